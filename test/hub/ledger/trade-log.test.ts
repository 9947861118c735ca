/**
 * The embedded store's trade log and index (hub/ledger/trade-log.ts): the same answers as the
 * memory store through index rewrites, from the hub and from a read-only reader; the first start
 * on a trades.db nedb wrote; an index that no longer matches; damaged lines after the index; and
 * a kill -9 in the middle of writing.
 */
import Datastore from '@seald-io/nedb';
import { spawn } from 'child_process';
import * as fs from 'fs';
import { join, resolve } from 'path';
import { EMBEDDED_FILES, EmbeddedStore, MemoryStore, type Store, type TradeQuery, type TradeStatus, type TradeUpdate } from '../../../hub/ledger';
import { removeTempDirs, tempDir as makeTempDir } from '../../helpers';
import { iso, openTrade, tradeUpdate } from './store-contract';

const tempDir = () => makeTempDir('copybridge-tradelog-');
afterAll(() => removeTempDirs());

async function hubStore(dir: string, tradeTailMax?: number, onWarning?: (w: string) => void): Promise<EmbeddedStore> {
  const s = new EmbeddedStore(dir, { tradeLog: { tailMax: tradeTailMax, span: 4 }, onWarning });
  await s.open();
  await s.ensureIndexes();
  return s;
}

/** A small deterministic random generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const QUERIES: TradeQuery[] = [
  {},
  { limit: 7 },
  { skip: 5, limit: 11 },
  { skip: 1000, limit: 5 },
  { skip: 10, limit: 5 },
  { skip: 21, limit: 3 },
  { account: 'S1', skip: 6, limit: 4 },
  { open: true, skip: 3, limit: 4 },
  { account: 'M1', status: 'closed', skip: 2, limit: 2 },
  { open: true },
  { status: 'closed', skip: 2, limit: 9 },
  { status: 'pending' },
  { account: 'S1' },
  { account: 'M0', skip: 3, limit: 4 },
  { account: 'S2', open: true },
  { account: 'S0', status: 'refused' },
  { account: 'nobody' },
];

async function answers(store: Store): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of QUERIES) out.push([await store.countTrades(q), await store.findTrades(q)]);
  return out;
}

describe('embedded trade log', () => {
  it('answers like the memory store through index rewrites, from the hub and from a reader, across restarts', async () => {
    const dir = tempDir();
    const rand = rng(42);
    let clock = 0;
    const statuses: TradeStatus[] = ['pending', 'open', 'closed', 'refused', 'failed', 'missed'];
    const mem = new MemoryStore();
    let hub = await hubStore(dir, 25);
    const reader = new EmbeddedStore(dir, { readOnly: true });
    for (let round = 0; round < 40; round++) {
      const batch: TradeUpdate[] = [];
      for (let k = 0, n = 1 + Math.floor(rand() * 12); k < n; k++) {
        const ticket = Math.floor(rand() * 60);
        const set: TradeUpdate['set'] = { status: statuses[Math.floor(rand() * statuses.length)], updated_at: iso(++clock), reason: `r${round}` };
        if (rand() < 0.5) set.open_time = iso(++clock);
        batch.push(tradeUpdate(`M${ticket % 2}`, ticket, `S${ticket % 3}`, { symbol: 'EURUSD', master_symbol: 'EURUSD', direction: 'BUY', ...set }));
      }
      await hub.upsertTrades(batch);
      await mem.upsertTrades(batch);
      {
        const want = await answers(mem);
        expect(await answers(hub)).toEqual(want);
        expect(await answers(reader)).toEqual(want);
      }
      if (round % 13 === 12) {
        await hub.close();
        hub = await hubStore(dir, 25);
        expect(await answers(hub)).toEqual(await answers(mem));
      }
    }
    expect(fs.existsSync(join(dir, EMBEDDED_FILES.tradesIndex))).toBe(true);
    await hub.close();
    await reader.close();
  });

  it('reads a trades.db that nedb wrote and builds its index at the first start (the migration)', async () => {
    const dir = tempDir();
    const file = join(dir, EMBEDDED_FILES.trades);
    // What an earlier CopyBridge left: nedb's own datastore, with updates, a removal, a Date value and its compaction.
    const ds = new Datastore({ filename: file });
    await ds.loadDatabaseAsync();
    const doc = (t: TradeUpdate) => ({ ...t.set, ...t.key, _id: `${t.key.master_name}\u0000${t.key.master_ticket}\u0000${t.key.slave_name}` });
    await ds.insertAsync([doc(openTrade('M', 1, 'S', 1)), doc(openTrade('M', 2, 'S', 2)), doc(openTrade('M', 3, 'S', 3)), doc(openTrade('M', 4, 'S2', 4))]);
    await ds.updateAsync({ master_ticket: '1' }, { $set: { status: 'closed', close_time: iso(9), updated_at: iso(9), closed_at: new Date(0) } }, {});
    await ds.removeAsync({ master_ticket: '3' }, {});
    await ds.compactDatafileAsync();
    await ds.updateAsync({ master_ticket: '2' }, { $set: { status: 'failed', updated_at: iso(10) } }, {});
    expect(fs.readFileSync(file, 'utf8')).toContain('"$$date"');
    expect(fs.existsSync(join(dir, EMBEDDED_FILES.tradesIndex))).toBe(false);

    // A reader before any hub started reads the file as it is.
    const before = new EmbeddedStore(dir, { readOnly: true });
    expect((await before.findTrades({})).map((t) => [t.master_ticket, t.status])).toEqual([['4', 'open'], ['2', 'failed'], ['1', 'closed']]);

    const hub = await hubStore(dir);
    expect(fs.existsSync(join(dir, EMBEDDED_FILES.tradesIndex))).toBe(true);
    expect((await hub.findTrades({})).map((t) => [t.master_ticket, t.status])).toEqual([['4', 'open'], ['2', 'failed'], ['1', 'closed']]);
    expect(await hub.findTrades({ open: true })).toEqual([expect.objectContaining({ master_ticket: '4', slave_name: 'S2' })]);
    expect((await hub.findTrades({ status: 'closed' }))[0]).toMatchObject({ close_time: iso(9), open_time: iso(1) });
    // The unique key holds for trades that came from the old file.
    await hub.upsertTrades([tradeUpdate('M', 2, 'S', { status: 'closed', updated_at: iso(11) }), openTrade('M', 3, 'S', 12)]);
    expect(await hub.countTrades({})).toBe(4);
    await hub.close();
    const reader = new EmbeddedStore(dir, { readOnly: true });
    expect((await reader.findTrades({})).map((t) => [t.master_ticket, t.status])).toEqual([['3', 'open'], ['4', 'open'], ['2', 'closed'], ['1', 'closed']]);
  });

  it('rebuilds an index that belongs to another trades.db, and serves a reader from the file meanwhile', async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    await hub.upsertTrades([openTrade('M', 1, 'S', 1), openTrade('M', 2, 'S', 2)]);
    await hub.close();
    // Restored from a backup: same bytes, another file.
    const file = join(dir, EMBEDDED_FILES.trades);
    const text = fs.readFileSync(file, 'utf8');
    fs.unlinkSync(file);
    fs.writeFileSync(file, text + JSON.stringify({ ...openTrade('M', 3, 'S', 3).set, ...openTrade('M', 3, 'S', 3).key, _id: 'M\u00003\u0000S' }) + '\n');
    const reader = new EmbeddedStore(dir, { readOnly: true });
    expect((await reader.findTrades({})).map((t) => t.master_ticket)).toEqual(['3', '2', '1']);
    const again = await hubStore(dir);
    expect((await again.findTrades({})).map((t) => t.master_ticket)).toEqual(['3', '2', '1']);
    await again.close();
  });

  it('moves damaged lines written after the index aside at start, without rewriting trades.db', async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    await hub.upsertTrades([openTrade('M', 1, 'S', 1)]);
    await hub.close();
    const file = join(dir, EMBEDDED_FILES.trades);
    const good = JSON.stringify({ ...openTrade('M', 2, 'S', 2).set, ...openTrade('M', 2, 'S', 2).key, _id: 'M\u00002\u0000S' });
    fs.appendFileSync(file, `{"_id":"M\\u00009\\u0000S", broken\n${good}\n`);
    const inode = fs.statSync(file).ino;
    const warnings: string[] = [];
    const again = await hubStore(dir, undefined, (w) => warnings.push(w));
    expect((await again.findTrades({})).map((t) => t.master_ticket)).toEqual(['2', '1']);
    expect(warnings).toEqual([`1 line(s) of ${file} did not parse and were moved to ${file}.corrupt; look at them there (a hand edit?) and re-add what is needed`]);
    expect(fs.readFileSync(`${file}.corrupt`, 'utf8')).toContain('{"_id":"M\\u00009\\u0000S", broken\n');
    expect(fs.statSync(file).ino).toBe(inode);
    await again.close();
    // Moved once: the next start has nothing to say.
    const third = await hubStore(dir, undefined, (w) => warnings.push(w));
    expect(warnings).toHaveLength(1);
    expect(await third.countTrades({})).toBe(2);
    await third.close();
  });

  it('a write succeeds when the index cannot be rewritten; the next start rebuilds it from trades.db', async () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const hub = await hubStore(dir, 2, (w) => warnings.push(w));
    await hub.upsertTrades([openTrade('M', 1, 'S', 1)]);
    const index = join(dir, EMBEDDED_FILES.tradesIndex);
    fs.rmSync(index);
    fs.mkdirSync(join(index, 'in-the-way'), { recursive: true });
    await hub.upsertTrades([openTrade('M', 2, 'S', 2), openTrade('M', 3, 'S', 3)]);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toContain(`could not rewrite ${index}`);
    expect(warnings[0]).toContain('the trades are safe');
    await hub.close();
    fs.rmSync(index, { recursive: true });
    const again = await hubStore(dir);
    expect((await again.findTrades({})).map((t) => t.master_ticket)).toEqual(['3', '2', '1']);
    await again.close();
  });

  it('a kill -9 while writing loses nothing that was acknowledged, and the next start reads the rest', async () => {
    const dir = tempDir();
    // A first history, indexed, so the kill lands on index + tail.
    const first = await hubStore(dir);
    await first.upsertTrades(Array.from({ length: 300 }, (_, i) => openTrade('M', i, 'S', i)));
    await first.close();
    const script = `
      const { EmbeddedStore } = require(${JSON.stringify(resolve(__dirname, '../../../hub/ledger/embedded.ts'))});
      (async () => {
        const s = new EmbeddedStore(process.argv[1], { tradeLog: { tailMax: 40, span: 16 } });
        await s.open();
        await s.ensureIndexes();
        for (let b = 0; ; b++) {
          const batch = [];
          for (let k = 0; k < 25; k++) {
            const i = b * 25 + k;
            // New trades, and closes of the first history.
            batch.push({ key: { master_name: 'M', master_ticket: String(1000 + i), slave_name: 'S' }, set: { status: 'open', symbol: 'X', master_symbol: 'X', direction: 'BUY', open_time: new Date(Date.UTC(2025, 0, 7, 0, 0, i)).toISOString(), updated_at: new Date(Date.UTC(2025, 0, 7, 0, 0, i)).toISOString() } });
            if (i < 300) batch.push({ key: { master_name: 'M', master_ticket: String(i), slave_name: 'S' }, set: { status: 'closed', updated_at: new Date(Date.UTC(2025, 0, 8, 0, 0, i)).toISOString() } });
          }
          await s.upsertTrades(batch);
          process.stdout.write('acked ' + (b + 1) * 25 + '\\n');
        }
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script, dir], { cwd: resolve(__dirname, '../../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    await new Promise<void>((done) => {
      child.stdout.on('data', (b: Buffer) => {
        const m = /acked (\d+)\n$/.exec(b.toString());
        if (m) acked = Number(m[1]);
        if (acked >= 400 && !child.killed) {
          child.kill('SIGKILL');
          done();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const after = await hubStore(dir);
    const all = await after.findTrades({});
    const byTicket = new Map(all.map((t) => [Number(t.master_ticket), t]));
    expect(all.length).toBe(byTicket.size);
    for (let i = 0; i < acked; i++) {
      expect(byTicket.get(1000 + i)?.status).toBe('open');
      if (i < 300) expect(byTicket.get(i)?.status).toBe('closed');
    }
    expect(await after.countTrades({ open: true })).toBe(all.filter((t) => t.status === 'open').length);
    // Newest first still holds after the crash.
    const times = all.map((t) => t.open_time!);
    expect([...times].sort().reverse()).toEqual(times);
    await after.close();
  }, 120_000);
});
