/**
 * 100,000 trades in the embedded and MongoDB stores, paged the way `hub trades` pages them
 * (countTrades, then findTrades with skip/limit, newest first). Prints the timings.
 */
import { MongoClient } from 'mongodb';
import { EmbeddedStore, type Store, type TradeUpdate } from '../../../hub/ledger';
import { MongoStore } from '../../../hub/ledger/mongo';
import { removeTempDirs, tempDir } from '../../helpers';
import { startMongoServer, type MongoTestServer } from '../../helpers/mongo-server';
import { openTrade } from './store-contract';

jest.setTimeout(300_000);

const N = 100_000;
const BATCH = 5_000;
const SLAVES = 7;
const MASTERS = 3;

/** Trade i: opened at second i, so newest first is i = N-1 .. 0; every 10th is still open. */
function trade(i: number): TradeUpdate {
  const u = openTrade(`M${i % MASTERS}`, 7_000_000 + i, `S${i % SLAVES}`, i);
  if (i % 10 !== 0) Object.assign(u.set, { status: 'closed', close_time: u.set.open_time, close_price: 1.1 });
  return u;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, Math.round(performance.now() - t0)];
}

async function fill(store: Store, report: string[]): Promise<void> {
  const [, ms] = await timed(async () => {
    for (let i = 0; i < N; i += BATCH) {
      const batch: TradeUpdate[] = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) batch.push(trade(j));
      await store.upsertTrades(batch);
    }
  });
  report.push(`insert ${N} trades in batches of ${BATCH}: ${ms} ms`);
}

/** What `hub trades` does for one page, and the checks that the page is right. */
async function checkPages(store: Store, report: string[], label: string): Promise<void> {
  const [total, countMs] = await timed(() => store.countTrades({}));
  expect(total).toBe(N);
  const times: string[] = [];
  for (const skip of [0, N / 2, N - 50]) {
    const [page, ms] = await timed(() => store.findTrades({ skip, limit: 50 }));
    expect(page.map((t) => Number(t.master_ticket) - 7_000_000)).toEqual(Array.from({ length: 50 }, (_, k) => N - 1 - skip - k));
    times.push(`skip ${skip}: ${ms} ms`);
  }
  // An account's open copies: slave S3 or master... S3 is only ever a slave.
  const [openCount, openCountMs] = await timed(() => store.countTrades({ account: 'S3', open: true }));
  const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i % SLAVES === 3 && i % 10 === 0);
  expect(openCount).toBe(expected.length);
  const [openPage, openMs] = await timed(() => store.findTrades({ account: 'S3', open: true, skip: 100, limit: 50 }));
  expect(openPage.map((t) => Number(t.master_ticket) - 7_000_000)).toEqual(expected.reverse().slice(100, 150));
  report.push(
    `${label}: count ${countMs} ms; page of 50 at ${times.join(', ')}; S3 open: count ${openCountMs} ms, page 3 ${openMs} ms`,
  );
}

/** Every page in turn: each trade exactly once, in order. */
async function walk(store: Store, pageSize: number, report: string[]): Promise<void> {
  const [seen, ms] = await timed(async () => {
    let n = 0;
    let outOfOrder = 0;
    for (let skip = 0; ; skip += pageSize) {
      const page = await store.findTrades({ skip, limit: pageSize });
      for (const t of page) if (Number(t.master_ticket) - 7_000_000 !== N - 1 - n++) outOfOrder++;
      if (page.length < pageSize) {
        expect(outOfOrder).toBe(0);
        return n;
      }
    }
  });
  expect(seen).toBe(N);
  report.push(`walked all ${N / pageSize} pages of ${pageSize}: ${ms} ms, each trade once, newest first`);
}

describe('100,000-trade history', () => {
  const report: string[] = [];
  afterAll(() => console.log(report.join('\n')));

  it('embedded: bulk insert, page from the hub and from a read-only CLI process', async () => {
    const dir = tempDir('copybridge-large-');
    try {
      const hub = new EmbeddedStore(dir);
      await hub.open();
      await hub.ensureIndexes();
      await fill(hub, report);
      await checkPages(hub, report, 'embedded (hub process)');
      await walk(hub, 50, report);
      // A status change on 5,000 existing trades.
      const [, upd] = await timed(() => hub.upsertTrades(Array.from({ length: BATCH }, (_, k) => ({ key: trade(k * 10).key, set: { status: 'closed', updated_at: trade(k * 10).set.updated_at } }))));
      report.push(`embedded: update ${BATCH} existing trades in one batch: ${upd} ms`);
      await hub.upsertTrades(Array.from({ length: BATCH }, (_, k) => ({ key: trade(k * 10).key, set: { status: 'open' } })));

      // `hub trades` in another process: read-only, reads the files without writing them.
      const cli = new EmbeddedStore(dir, { readOnly: true });
      await cli.open();
      const [first, cliMs] = await timed(() => cli.findTrades({ limit: 50 }));
      expect(first).toHaveLength(50);
      report.push(`embedded read-only (CLI): first page incl. opening trades.idx and reading the lines after it: ${cliMs} ms`);
      await checkPages(cli, report, 'embedded (read-only CLI)');
      await cli.close();

      await hub.close();
      const again = new EmbeddedStore(dir);
      await again.open();
      const [, loadMs] = await timed(() => again.ensureIndexes());
      report.push(`embedded: hub start (${N} trades: index check, live copies): ${loadMs} ms`);
      expect(await again.countTrades({})).toBe(N);
      await again.close();
    } finally {
      removeTempDirs(dir);
    }
  });

  describe('mongodb', () => {
    let server: MongoTestServer;
    let store: MongoStore;
    const db = `copybridge_large_${process.pid}`;
    beforeAll(async () => {
      server = await startMongoServer();
      store = new MongoStore(server.uri, db);
      await store.open();
      await store.ensureIndexes();
    });
    afterAll(async () => {
      await store?.close();
      if (server?.kind === 'external') {
        const c = new MongoClient(server.uri);
        await c.db(db).dropDatabase().catch(() => undefined);
        await c.close();
      }
      await server?.stop();
    });

    it(`bulk insert and page (server: see test/helpers/mongo-server.ts)`, async () => {
      report.push(`mongodb server: ${server.kind}`);
      await fill(store, report);
      await checkPages(store, report, 'mongodb');
      await walk(store, 1_000, report);
    });
  });
});
