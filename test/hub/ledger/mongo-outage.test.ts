/**
 * The outage test: a run of trades through the LedgerWriter into MongoDB, the server stopped
 * in the middle and started again on the same port and data folder, every ledger entry counted.
 */
import { existsSync } from 'fs';
import { MongoClient } from 'mongodb';
import { join } from 'path';
import { LedgerWriter, SPILL_FILE_NAME } from '../../../hub/ledger';
import { MongoStore } from '../../../hub/ledger/mongo';
import { removeTempDirs, sleep, tempDir, until } from '../../helpers';
import { startMongoServer, type MongoTestServer } from '../../helpers/mongo-server';
import { iso, openTrade, tradeUpdate } from './store-contract';

jest.setTimeout(180_000);

let server: MongoTestServer;
let dir: string;
beforeAll(async () => {
  server = await startMongoServer({ persistent: true });
  dir = tempDir('copybridge-outage-');
});
afterAll(async () => {
  await server?.stop();
  removeTempDirs();
});

function store(db: string): MongoStore {
  // Short selection timeout: a write during the outage fails within a second into the retry loop.
  return new MongoStore(server.uri, db, { serverSelectionTimeoutMS: 1_000 });
}

describe('ledger through a MongoDB outage', () => {
  it('keeps copying, spills to a file, and writes every entry exactly once after the restart', async () => {
    if (!server.canRestart) {
      console.warn('skipped: MONGO_URL names a server this test cannot stop');
      return;
    }
    const db = `copybridge_outage_${process.pid}`;
    const s = store(db);
    await s.open();
    await s.ensureIndexes();
    const log: string[] = [];
    const writer = new LedgerWriter(s, {
      maxQueue: 300,
      batchSize: 100,
      retryMs: 100,
      maxRetryMs: 400,
      spillDir: dir,
      onError: (e) => log.push(`error: ${e.message}`),
      onSpill: (_f, n) => log.push(`spill at ${n}`),
      onRecover: (n) => log.push(`recovered with ${n} pending`),
    });

    // Each trade: an open and later a close, each with an event: 4 ledger ops per trade.
    const TRADES = 2_000;
    const TICKS = 400;
    const perTick = TRADES / (TICKS / 2);
    let opened = 0;
    let closed = 0;
    let events = 0;
    let maxInMemory = 0;
    let sawSpill = false;
    let killing: Promise<void> | undefined;
    let restarting: Promise<void> | undefined;
    const t0 = Date.now();
    let downAt = 0;
    let upAt = 0;
    for (let tick = 0; tick < TICKS; tick++) {
      if (tick === 100) {
        downAt = Date.now() - t0;
        killing = server.kill();
      }
      if (tick === 300) {
        await killing;
        upAt = Date.now() - t0;
        restarting = server.restart();
      }
      for (let k = 0; k < perTick; k++) {
        // Copying goes on whatever the database does: these calls never wait.
        if (tick < TICKS / 2) {
          const n = opened++;
          writer.trade(openTrade('MASTER', 5_000_000 + n, `SLAVE-${n % 4}`, n));
          writer.event({ time: iso(n), kind: 'decision', account: `SLAVE-${n % 4}`, master_ticket: String(5_000_000 + n), message: `open ${n}` });
        } else {
          const n = closed++;
          writer.trade(tradeUpdate('MASTER', 5_000_000 + n, `SLAVE-${n % 4}`, { status: 'closed', close_time: iso(n + 100_000), close_price: 1.5, updated_at: iso(n + 100_000) }));
          writer.event({ time: iso(n + 100_000), kind: 'result', account: `SLAVE-${n % 4}`, master_ticket: String(5_000_000 + n), message: `close ${n}` });
        }
        events++;
      }
      maxInMemory = Math.max(maxInMemory, writer.inMemory);
      sawSpill ||= writer.spilling;
      await sleep(10);
    }
    await restarting;
    const enqueuedAt = Date.now() - t0;
    const pendingAtRestart = writer.pending;
    await until(() => writer.pending === 0, { timeoutMs: 120_000, what: 'the ledger to drain', everyMs: 20 });
    const drainedAt = Date.now() - t0;

    expect(sawSpill).toBe(true);
    expect(maxInMemory).toBeLessThanOrEqual(300);
    expect(writer.dropped).toBe(0);
    expect(writer.rejected).toBe(0);
    expect(writer.corrupt).toBe(0);
    expect(existsSync(join(dir, SPILL_FILE_NAME))).toBe(false);
    expect(log.some((l) => l.startsWith('error: cannot reach MongoDB'))).toBe(true);

    const client = new MongoClient(server.uri);
    try {
      const d = client.db(db);
      const trades = d.collection('trades');
      expect(await trades.countDocuments({})).toBe(TRADES);
      expect(await trades.countDocuments({ status: 'closed', close_price: 1.5, open_time: { $exists: true } })).toBe(TRADES);
      const ev = await d.collection('events').find({}, { projection: { _id: 0, id: 1, message: 1 } }).toArray();
      expect(ev).toHaveLength(events);
      expect(new Set(ev.map((e) => e.id)).size).toBe(events);
      const messages = new Set(ev.map((e) => e.message as string));
      for (let n = 0; n < TRADES; n++) {
        expect(messages.has(`open ${n}`)).toBe(true);
        expect(messages.has(`close ${n}`)).toBe(true);
      }
    } finally {
      await client.close();
    }
    console.log(
      [
        `outage test: ${TRADES} trades, ${TRADES * 2} trade updates + ${events} events enqueued in ${enqueuedAt} ms`,
        `server down at ${downAt} ms, restarted at ${upAt} ms; ${writer.spilled} ops went through the spill file`,
        `max ${maxInMemory} ops in memory (bound 300); ${pendingAtRestart} pending when enqueuing ended; all written at ${drainedAt} ms`,
        `written ${writer.written}, dropped ${writer.dropped}; in MongoDB: ${TRADES} trades, ${events} events, each once`,
        ...log.slice(0, 6),
      ].join('\n'),
    );
    await writer.close();
    await s.close();
  });

  it('a hub stopped during the outage leaves a spill that the next hub writes once', async () => {
    if (!server.canRestart) return;
    const db = `copybridge_outage_restart_${process.pid}`;
    const spillDir = tempDir('copybridge-outage-spill-');
    try {
      const s1 = store(db);
      await s1.open();
      await s1.ensureIndexes();
      await server.kill();
      const w1 = new LedgerWriter(s1, { maxQueue: 50, batchSize: 20, retryMs: 50, spillDir });
      for (let n = 0; n < 200; n++) {
        w1.trade(openTrade('M', n, 'S', n));
        w1.event({ time: iso(n), kind: 'decision', message: `ev ${n}` });
      }
      expect(await w1.close(300)).toBe(400);
      await s1.close();
      expect(existsSync(join(spillDir, SPILL_FILE_NAME))).toBe(true);

      await server.restart();
      const s2 = store(db);
      await s2.open();
      const w2 = new LedgerWriter(s2, { maxQueue: 50, batchSize: 20, spillDir });
      expect(w2.pending).toBe(400);
      w2.event({ time: iso(999), kind: 'decision', message: 'after restart' });
      await until(() => w2.pending === 0, { timeoutMs: 60_000, what: 'the replay', everyMs: 20 });
      expect(await s2.countTrades({})).toBe(200);
      const ev = await s2.findEvents({});
      expect(ev).toHaveLength(201);
      expect(ev[0].message).toBe('after restart');
      expect(new Set(ev.map((e) => e.id)).size).toBe(201);
      await w2.close();
      await s2.close();
    } finally {
      removeTempDirs(spillDir);
    }
  });
});
