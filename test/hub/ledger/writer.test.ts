/** LedgerWriter: order, bounded memory with a spill file, recovery, restart, idempotent replays. */
import { existsSync, readFileSync, appendFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { StoreError } from '../../../hub/errors';
import { LedgerWriter, MemoryStore, SPILL_FILE_NAME, type LedgerEvent, type LedgerOp, type TradeUpdate } from '../../../hub/ledger';
import { removeTempDirs, sleep, tempDir as makeTempDir, until } from '../../helpers';
import { iso, tradeUpdate } from './store-contract';

/** A MemoryStore that can be taken down, records what reaches it, and can fail half way. */
class FlakyStore extends MemoryStore {
  down = false;
  /** Next call applies this many ops, then fails (a connection lost mid bulk write). */
  failAfter: number | undefined;
  /** Ops (by event message / trade reason) refused as invalid. */
  poison = new Set<string>();
  calls = 0;
  applied: string[] = [];
  private seen = new Set<string>();

  private gate<T>(items: T[], tag: (t: T) => string, apply: (items: T[]) => Promise<void>): Promise<void> {
    this.calls++;
    if (this.down) return Promise.reject(new StoreError('store is down', undefined, { code: 'E_STORE_UNREACHABLE' }));
    const bad = items.find((i) => this.poison.has(tag(i)));
    if (bad) return Promise.reject(new StoreError(`refused ${tag(bad)}`, undefined, { code: 'E_STORE_REJECTED' }));
    let take = items;
    let fail = false;
    if (this.failAfter !== undefined) {
      take = items.slice(0, this.failAfter);
      fail = true;
      this.failAfter = undefined;
    }
    this.applied.push(...take.map(tag));
    return apply(take).then(() => {
      if (fail) throw new StoreError('connection lost', undefined, { code: 'E_STORE_UNREACHABLE' });
    });
  }

  override upsertTrades(updates: TradeUpdate[]): Promise<void> {
    return this.gate(updates, (u) => `t:${u.set.reason}`, (x) => super.upsertTrades(x));
  }

  override appendEvents(events: LedgerEvent[]): Promise<void> {
    // Dedupe by id like the persistent stores, so replays are visible as "stored once".
    return this.gate(events, (e) => `e:${e.message}`, async (x) => {
      const fresh = x.filter((e) => !this.seen.has(e.id!));
      for (const e of fresh) this.seen.add(e.id!);
      await super.appendEvents(fresh);
    });
  }
}

const tempDir = () => makeTempDir('copybridge-writer-');
afterAll(() => removeTempDirs());

const drained = (w: LedgerWriter) => until(() => w.pending === 0, { what: 'the writer to drain', everyMs: 5 });

/** Op i: even i is a trade update (reason "i"), odd i an event (message "i"). */
function enqueueOp(w: LedgerWriter, i: number): void {
  if (i % 2 === 0) w.trade(tradeUpdate('M', Math.floor(i / 10), 'S', { status: 'open', reason: String(i), updated_at: iso(i) }));
  else w.event({ time: iso(i), kind: 'decision', message: String(i) });
}
const tagOf = (i: number) => (i % 2 === 0 ? `t:${i}` : `e:${i}`);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
/** The order guarantee: trades in enqueue order, events in enqueue order. */
const perKind = (tags: string[]) => ({ trades: tags.filter((t) => t.startsWith('t:')), events: tags.filter((t) => t.startsWith('e:')) });

describe('LedgerWriter', () => {
  it('keeps enqueue synchronous and writes in order, one store call per kind and window', async () => {
    const store = new FlakyStore();
    const w = new LedgerWriter(store, { maxQueue: 1000, batchSize: 50 });
    for (let i = 0; i < 200; i++) {
      if (i < 100) w.trade(tradeUpdate('M', i, 'S', { status: 'open', reason: `t${i}` }));
      else w.event({ time: iso(i), kind: 'k', message: `e${i}` });
    }
    expect(w.pending).toBe(200);
    await w.flush();
    expect(w.pending).toBe(0);
    expect(w.written).toBe(200);
    expect(store.calls).toBe(4);
    expect(await store.countTrades({})).toBe(100);
    const events = await store.findEvents({});
    expect(events).toHaveLength(100);
    expect(new Set(events.map((e) => e.id)).size).toBe(100);
    expect(await w.close()).toBe(0);
  });

  it('batches the engine pattern (trade, event, trade, event) into one call per kind', async () => {
    const store = new FlakyStore();
    const w = new LedgerWriter(store, { maxQueue: 1000, batchSize: 100 });
    for (let i = 0; i < 400; i++) enqueueOp(w, i);
    await w.flush();
    expect(store.calls).toBe(8);
    expect(perKind(store.applied)).toEqual(perKind(range(0, 400).map(tagOf)));
    await w.close();
  });

  it('spills past maxQueue instead of dropping, keeps the order, and drains after recovery', async () => {
    const dir = tempDir();
    const store = new FlakyStore();
    const errors: string[] = [];
    let spills = 0;
    let recovered = 0;
    const w = new LedgerWriter(store, {
      maxQueue: 50,
      batchSize: 20,
      retryMs: 10,
      maxRetryMs: 20,
      spillDir: dir,
      onError: (e) => errors.push(e.message),
      onSpill: () => spills++,
      onRecover: () => recovered++,
    });
    for (let i = 0; i < 30; i++) enqueueOp(w, i);
    await w.flush();
    store.down = true;
    for (let i = 30; i < 500; i++) {
      enqueueOp(w, i);
      if (i % 50 === 0) await sleep(2);
    }
    expect(w.spilling).toBe(true);
    expect(spills).toBe(1);
    expect(w.dropped).toBe(0);
    expect(w.pending).toBe(470);
    expect(w.spilled).toBe(420);
    expect(existsSync(join(dir, SPILL_FILE_NAME))).toBe(true);
    expect(errors).toEqual(['store is down']);

    store.down = false;
    // New ops during the drain still go behind the spilled ones.
    for (let i = 500; i < 600; i++) enqueueOp(w, i);
    await drained(w);
    for (let i = 600; i < 610; i++) enqueueOp(w, i);
    await drained(w);
    expect(recovered).toBe(1);
    expect(w.spilling).toBe(false);
    expect(existsSync(join(dir, SPILL_FILE_NAME))).toBe(false);
    expect(perKind(store.applied)).toEqual(perKind(range(0, 610).map(tagOf)));
    expect(w.written).toBe(610);
    await w.close();
  });

  it('a spill left by a stopped hub is replayed first at the next start, exactly once', async () => {
    const dir = tempDir();
    const store = new FlakyStore();
    store.down = true;
    const w1 = new LedgerWriter(store, { maxQueue: 40, batchSize: 25, retryMs: 5, spillDir: dir });
    for (let i = 0; i < 100; i++) enqueueOp(w1, i);
    expect(await w1.close(50)).toBe(100);
    const lines = readFileSync(join(dir, SPILL_FILE_NAME), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(100);
    expect((JSON.parse(lines[0]) as LedgerOp).op).toBe('trade');

    store.down = false;
    const w2 = new LedgerWriter(store, { maxQueue: 40, batchSize: 25, spillDir: dir });
    expect(w2.pending).toBe(100);
    for (let i = 100; i < 120; i++) enqueueOp(w2, i);
    await drained(w2);
    expect(perKind(store.applied)).toEqual(perKind(range(0, 120).map(tagOf)));
    expect(await store.findEvents({})).toHaveLength(60);
    expect(existsSync(join(dir, SPILL_FILE_NAME))).toBe(false);
    await w2.close();
  });

  it('resumes from the saved offset and survives a line torn by a crash', async () => {
    const dir = tempDir();
    const file = join(dir, SPILL_FILE_NAME);
    const ops: LedgerOp[] = range(0, 10).map((i) => ({ op: 'event', event: { id: `id-${i}`, time: iso(i), kind: 'k', message: String(i) } }));
    writeFileSync(file, ops.map((o) => JSON.stringify(o) + '\n').join(''));
    // The first four were written before the crash...
    writeFileSync(`${file}.offset`, String(ops.slice(0, 4).reduce((n, o) => n + Buffer.byteLength(JSON.stringify(o) + '\n'), 0)));
    // ...which also tore the last append.
    appendFileSync(file, '{"op":"event","event":{"id":"id-10","ti');
    const store = new FlakyStore();
    const errors: string[] = [];
    const w = new LedgerWriter(store, { maxQueue: 100, spillFile: file, onError: (e) => errors.push(e.message) });
    w.event({ time: iso(11), kind: 'k', message: '11' });
    await drained(w);
    expect(store.applied).toEqual(['e:4', 'e:5', 'e:6', 'e:7', 'e:8', 'e:9', 'e:11']);
    expect(w.corrupt).toBe(1);
    expect(errors[0]).toContain('unreadable line');
    await w.close();
  });

  it('retries a batch that was applied half way without storing anything twice', async () => {
    const store = new FlakyStore();
    const w = new LedgerWriter(store, { maxQueue: 100, batchSize: 10, retryMs: 5 });
    for (let i = 0; i < 10; i++) w.event({ time: iso(i), kind: 'k', message: String(i) });
    store.failAfter = 6;
    await drained(w);
    expect(store.applied).toHaveLength(16);
    const events = await store.findEvents({});
    expect(events.map((e) => e.message)).toEqual(range(0, 10).reverse().map(String));
    await w.close();
  });

  it('sets an invalid op aside (E_STORE_REJECTED) and keeps going', async () => {
    const dir = tempDir();
    const store = new FlakyStore();
    store.poison.add('e:3');
    const rejected: LedgerOp[] = [];
    const w = new LedgerWriter(store, { maxQueue: 100, batchSize: 10, spillDir: dir, onReject: (op) => rejected.push(op) });
    for (let i = 0; i < 8; i++) w.event({ time: iso(i), kind: 'k', message: String(i) });
    await drained(w);
    expect(w.rejected).toBe(1);
    expect(w.written).toBe(7);
    expect(rejected).toHaveLength(1);
    expect((await store.findEvents({})).map((e) => e.message)).toEqual(['7', '6', '5', '4', '2', '1', '0']);
    const kept = readFileSync(join(dir, `${SPILL_FILE_NAME}.rejected`), 'utf8').trim().split('\n');
    expect(kept).toHaveLength(1);
    expect(JSON.parse(kept[0])).toMatchObject({ error: 'refused e:3', op: 'event' });
    await w.close();
  });

  it('without a spill file, overflow is dropped and reported', async () => {
    const store = new FlakyStore();
    store.down = true;
    let dropped = 0;
    const w = new LedgerWriter(store, { maxQueue: 10, retryMs: 5, onOverflow: (n) => (dropped = n) });
    for (let i = 0; i < 15; i++) enqueueOp(w, i);
    expect(w.pending).toBe(10);
    expect(dropped).toBe(5);
    await w.close(20);
  });

  it('does not hammer a failing store: only the backoff timer retries', async () => {
    const store = new FlakyStore();
    store.down = true;
    const w = new LedgerWriter(store, { maxQueue: 100_000, retryMs: 50, maxRetryMs: 50 });
    for (let i = 0; i < 2_000; i++) {
      enqueueOp(w, i);
      if (i % 100 === 0) await sleep(1);
    }
    await sleep(120);
    expect(store.calls).toBeLessThan(10);
    await w.close(10);
  });

  it('enqueue stays cheap while spilling', async () => {
    const dir = tempDir();
    const store = new FlakyStore();
    store.down = true;
    const w = new LedgerWriter(store, { maxQueue: 100, retryMs: 1_000, spillDir: dir });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) enqueueOp(w, i);
    const perOpUs = Number(process.hrtime.bigint() - t0) / 1e3 / 20_000;
    expect(w.spilled).toBe(19_900);
    // Generous bound for a loaded CI machine; typically a few microseconds.
    expect(perOpUs).toBeLessThan(100);
    await w.close(10);
  });
});
