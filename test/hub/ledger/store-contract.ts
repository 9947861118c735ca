/**
 * The store contract (hub/ledger/types.ts), run against every adapter: memory, embedded, mongodb.
 * Each adapter's test file supplies a harness that makes an empty, opened store.
 */
import type { Account } from '../../../hub/accounts';
import type { LedgerEvent, Store, Trade, TradeUpdate } from '../../../hub/ledger';

export interface StoreHarness {
  /** A fresh, empty, opened store with indexes in place. */
  create(): Promise<Store>;
  /** Closes the store and opens a new one on the same data; undefined for the memory store. */
  reopen?: (store: Store) => Promise<Store>;
  /** Stores that recognise an event id they already hold (memory does not: it never replays). */
  dedupesEvents: boolean;
}

const T0 = Date.parse('2025-01-06T08:00:00.000Z');
export const iso = (sec: number): string => new Date(T0 + sec * 1000).toISOString();

export function tradeUpdate(master: string, ticket: string | number, slave: string, set: Partial<Trade>): TradeUpdate {
  return { key: { master_name: master, master_ticket: String(ticket), slave_name: slave }, set: { updated_at: iso(0), ...set } };
}

export function openTrade(master: string, ticket: number, slave: string, sec: number, extra: Partial<Trade> = {}): TradeUpdate {
  return tradeUpdate(master, ticket, slave, {
    symbol: 'EURUSD.c',
    master_symbol: 'EURUSD',
    direction: ticket % 2 ? 'BUY' : 'SELL',
    status: 'open',
    open_time: iso(sec),
    updated_at: iso(sec),
    volume: 0.1,
    master_volume: 0.2,
    ...extra,
  });
}

function account(name: string, type: Account['type'], extra: Partial<Account> = {}): Account {
  return { name, type, enabled: true, ...extra };
}

export function describeStoreContract(name: string, h: StoreHarness): void {
  describe(`${name} store contract`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await h.create();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('accounts', () => {
      it('upserts, reads, lists by name and removes', async () => {
        await store.upsertAccount(account('slave-b', 'SLAVE', { suffix: '.c', slippage_tolerance: 20 }));
        await store.upsertAccount(account('MASTER-a', 'MASTER'));
        await store.upsertAccount(account('ftmo.1', 'SLAVE', { symbol_map: { 'XAUUSD.r': 'GOLD', US30: 'DJ30.c' }, follows: ['MASTER-a'] }));
        expect((await store.listAccounts()).map((a) => a.name)).toEqual(['ftmo.1', 'MASTER-a', 'slave-b']);
        expect(await store.getAccount('ftmo.1')).toEqual(account('ftmo.1', 'SLAVE', { symbol_map: { 'XAUUSD.r': 'GOLD', US30: 'DJ30.c' }, follows: ['MASTER-a'] }));
        expect(await store.getAccount('nobody')).toBeUndefined();
        expect(await store.removeAccount('slave-b')).toBe(true);
        expect(await store.removeAccount('slave-b')).toBe(false);
        expect((await store.listAccounts()).map((a) => a.name)).toEqual(['ftmo.1', 'MASTER-a']);
      });

      it('replaces the whole account on upsert (a removed field stays removed)', async () => {
        await store.upsertAccount(account('s1', 'SLAVE', { suffix: '.c', prefix: 'x' }));
        await store.upsertAccount(account('s1', 'SLAVE', { suffix: '.r', enabled: false }));
        expect(await store.getAccount('s1')).toEqual({ name: 's1', type: 'SLAVE', enabled: false, suffix: '.r' });
        expect(await store.listAccounts()).toHaveLength(1);
      });

      it('hands out copies', async () => {
        await store.upsertAccount(account('s1', 'SLAVE', { symbol_map: { A: 'B' } }));
        const a = (await store.getAccount('s1'))!;
        a.symbol_map!.A = 'changed';
        (await store.listAccounts())[0].suffix = 'changed';
        expect(await store.getAccount('s1')).toEqual(account('s1', 'SLAVE', { symbol_map: { A: 'B' } }));
      });
    });

    describe('trades', () => {
      it('creates a trade on first upsert and merges later fields into it', async () => {
        await store.upsertTrades([tradeUpdate('M', 1001, 'S', { status: 'pending', symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'BUY', updated_at: iso(1) })]);
        await store.upsertTrades([tradeUpdate('M', 1001, 'S', { status: 'open', slave_ticket: '555', open_time: iso(2), open_price: 1.1, updated_at: iso(2) })]);
        await store.upsertTrades([tradeUpdate('M', 1001, 'S', { status: 'closed', close_time: iso(9), close_price: 1.2, updated_at: iso(9) })]);
        const all = await store.findTrades({});
        expect(all).toEqual([
          {
            master_name: 'M',
            master_ticket: '1001',
            slave_name: 'S',
            slave_ticket: '555',
            symbol: 'EURUSD.c',
            master_symbol: 'EURUSD',
            direction: 'BUY',
            status: 'closed',
            open_time: iso(2),
            open_price: 1.1,
            close_time: iso(9),
            close_price: 1.2,
            updated_at: iso(9),
          },
        ]);
      });

      it('keys trades by master + position + slave, and applies a batch in order', async () => {
        await store.upsertTrades([
          openTrade('M', 1, 'S1', 1),
          openTrade('M', 1, 'S2', 2),
          openTrade('M2', 1, 'S1', 3),
          openTrade('M', 2, 'S1', 4),
          tradeUpdate('M', 1, 'S1', { status: 'closed', reason: 'first', updated_at: iso(5) }),
          tradeUpdate('M', 1, 'S1', { reason: 'second', updated_at: iso(6) }),
        ]);
        expect(await store.countTrades({})).toBe(4);
        const t = (await store.findTrades({ account: 'S1' })).find((x) => x.master_name === 'M' && x.master_ticket === '1')!;
        expect(t).toMatchObject({ status: 'closed', reason: 'second', updated_at: iso(6), open_time: iso(1) });
      });

      it('re-applying a batch (a retry after a partial write) leaves the same state', async () => {
        const batch = [openTrade('M', 1, 'S', 1), tradeUpdate('M', 1, 'S', { status: 'closed', updated_at: iso(3) }), openTrade('M', 2, 'S', 2)];
        await store.upsertTrades(batch.slice(0, 2));
        await store.upsertTrades(batch);
        await store.upsertTrades(batch);
        expect(await store.countTrades({})).toBe(2);
        expect((await store.findTrades({ status: 'closed' })).map((x) => x.master_ticket)).toEqual(['1']);
      });

      it('lists newest first by open time, copies without one by their last update', async () => {
        await store.upsertTrades([
          openTrade('M', 1, 'S', 10),
          openTrade('M', 2, 'S', 30),
          tradeUpdate('M', 3, 'S', { status: 'refused', reason: 'price moved', symbol: 'X', master_symbol: 'X', direction: 'BUY', updated_at: iso(20) }),
          openTrade('M', 4, 'S', 20, { updated_at: iso(25) }),
        ]);
        expect((await store.findTrades({})).map((t) => t.master_ticket)).toEqual(['2', '4', '3', '1']);
        // A later update of a copy that has an open time does not move it.
        await store.upsertTrades([tradeUpdate('M', 1, 'S', { status: 'closed', updated_at: iso(99) })]);
        // A copy without one moves with its updates, until it gets one.
        await store.upsertTrades([tradeUpdate('M', 3, 'S', { reason: 'again', updated_at: iso(40) })]);
        expect((await store.findTrades({})).map((t) => t.master_ticket)).toEqual(['3', '2', '4', '1']);
        await store.upsertTrades([tradeUpdate('M', 3, 'S', { status: 'open', open_time: iso(5), updated_at: iso(50) })]);
        expect((await store.findTrades({})).map((t) => t.master_ticket)).toEqual(['2', '4', '1', '3']);
      });

      it('answers the CLI queries: account (as slave or master), open, status, skip and limit', async () => {
        const ups: TradeUpdate[] = [];
        for (let i = 0; i < 30; i++) ups.push(openTrade(i % 2 ? 'MA' : 'MB', 100 + i, i % 3 ? 'S1' : 'S2', i));
        await store.upsertTrades(ups);
        await store.upsertTrades([
          tradeUpdate('MA', 101, 'S1', { status: 'closed', updated_at: iso(50) }),
          tradeUpdate('MB', 102, 'S1', { status: 'pending', updated_at: iso(51) }),
          tradeUpdate('MB', 104, 'S1', { status: 'failed', updated_at: iso(52) }),
        ]);
        expect(await store.countTrades({})).toBe(30);
        expect(await store.countTrades({ account: 'S2' })).toBe(10);
        expect(await store.countTrades({ account: 'MA' })).toBe(15);
        expect(await store.countTrades({ open: true })).toBe(28);
        expect(await store.countTrades({ status: 'failed' })).toBe(1);
        expect(await store.countTrades({ account: 'S1', open: true })).toBe(18);
        expect(await store.countTrades({ account: 'S1', status: 'closed' })).toBe(1);
        expect(await store.countTrades({ account: 'S2', status: 'closed' })).toBe(0);
        expect(await store.countTrades({ account: 'nobody' })).toBe(0);

        const s1 = await store.findTrades({ account: 'S1' });
        expect(s1).toHaveLength(20);
        const page2 = await store.findTrades({ account: 'S1', skip: 5, limit: 5 });
        expect(page2).toEqual(s1.slice(5, 10));
        expect(await store.findTrades({ account: 'S1', skip: 18, limit: 5 })).toEqual(s1.slice(18));
        expect(await store.findTrades({ account: 'S1', skip: 40, limit: 5 })).toEqual([]);
        expect(await store.findTrades({ limit: 0 })).toEqual([]);
        const open = await store.findTrades({ open: true, limit: 100 });
        expect(open.every((t) => t.status === 'open' || t.status === 'pending')).toBe(true);
        expect(open).toHaveLength(28);
        expect((await store.findTrades({ status: 'pending' })).map((t) => t.master_ticket)).toEqual(['102']);
        expect((await store.findTrades({ account: 'MB', status: 'failed' })).map((t) => t.master_ticket)).toEqual(['104']);
        const ticketsNewestFirst = (await store.findTrades({ account: 'MB', limit: 3 })).map((t) => t.master_ticket);
        expect(ticketsNewestFirst).toEqual(['128', '126', '124']);
      });

      it('hands out copies', async () => {
        await store.upsertTrades([openTrade('M', 1, 'S', 1)]);
        const [t] = await store.findTrades({});
        t.status = 'closed';
        expect((await store.findTrades({}))[0].status).toBe('open');
      });

      it('accepts an empty batch', async () => {
        await store.upsertTrades([]);
        await store.appendEvents([]);
        expect(await store.countTrades({})).toBe(0);
      });
    });

    describe('events', () => {
      const ev = (i: number, extra: Partial<LedgerEvent> = {}): LedgerEvent => ({
        id: `ev-${i}`,
        time: iso(i),
        kind: i % 2 ? 'decision' : 'refusal',
        account: i % 3 ? 'S1' : 'S2',
        master_ticket: String(1000 + i),
        message: `event ${i}`,
        ...extra,
      });

      it('lists newest first, filtered by account and kind, limited', async () => {
        await store.appendEvents([ev(1), ev(2), ev(3)]);
        await store.appendEvents([ev(4, { data: { retcode: 10009, price: 1.2345, nested: { list: [1, 2] } } }), ev(5), ev(6)]);
        expect((await store.findEvents({})).map((e) => e.id)).toEqual(['ev-6', 'ev-5', 'ev-4', 'ev-3', 'ev-2', 'ev-1']);
        expect((await store.findEvents({ limit: 2 })).map((e) => e.id)).toEqual(['ev-6', 'ev-5']);
        expect((await store.findEvents({ account: 'S2' })).map((e) => e.id)).toEqual(['ev-6', 'ev-3']);
        expect((await store.findEvents({ kind: 'refusal', account: 'S1' })).map((e) => e.id)).toEqual(['ev-4', 'ev-2']);
        expect((await store.findEvents({ account: 'S1', kind: 'refusal' }))[0]).toEqual(ev(4, { data: { retcode: 10009, price: 1.2345, nested: { list: [1, 2] } } }));
      });

      it('keeps payloads whose keys have dots (symbol names)', async () => {
        await store.appendEvents([ev(1, { data: { 'XAUUSD.r': { bid: 1 }, spread: 2 } })]);
        expect((await store.findEvents({}))[0].data).toEqual({ 'XAUUSD.r': { bid: 1 }, spread: 2 });
      });

      if (h.dedupesEvents) {
        it('stores a replayed event once (same id)', async () => {
          await store.appendEvents([ev(1), ev(2)]);
          await store.appendEvents([ev(1), ev(2), ev(3)]);
          await store.appendEvents([ev(3), ev(3)]);
          expect((await store.findEvents({})).map((e) => e.id)).toEqual(['ev-3', 'ev-2', 'ev-1']);
        });
      }

      it('gives events without an id one', async () => {
        const { id: _, ...noId } = ev(1);
        void _;
        await store.appendEvents([noId]);
        const [got] = await store.findEvents({});
        expect(got).toMatchObject(noId);
      });
    });

    if (h.reopen) {
      it('keeps everything across close and open', async () => {
        await store.upsertAccount(account('s1', 'SLAVE', { symbol_map: { 'A.b': 'C' } }));
        await store.upsertTrades([openTrade('M', 1, 'S', 1), openTrade('M', 2, 'S', 2), tradeUpdate('M', 1, 'S', { status: 'closed', updated_at: iso(3) })]);
        await store.appendEvents([{ id: 'e1', time: iso(1), kind: 'decision', message: 'x' }]);
        const before = { a: await store.listAccounts(), t: await store.findTrades({}), e: await store.findEvents({}) };
        store = await h.reopen!(store);
        expect({ a: await store.listAccounts(), t: await store.findTrades({}), e: await store.findEvents({}) }).toEqual(before);
        // And the unique key still holds after the reload.
        await store.upsertTrades([tradeUpdate('M', 2, 'S', { status: 'closed', updated_at: iso(4) })]);
        expect(await store.countTrades({})).toBe(2);
        if (h.dedupesEvents) {
          await store.appendEvents([{ id: 'e1', time: iso(1), kind: 'decision', message: 'x' }]);
          expect(await store.findEvents({})).toHaveLength(1);
        }
      });
    }

    it('counts a placed copy (a pending order copy) as live, also after a reopen, and finds every status by name', async () => {
      await store.upsertTrades([
        openTrade('M', 1, 'S', 1),
        tradeUpdate('M', 2, 'S', { status: 'placed', symbol: 'EURUSD', order_type: 'buy_limit', order_price: 1.09, updated_at: iso(2) }),
        tradeUpdate('M', 3, 'S', { status: 'canceled', symbol: 'EURUSD', reason: 'removed on the slave', updated_at: iso(3) }),
        tradeUpdate('M', 4, 'S', { status: 'closed', symbol: 'EURUSD', updated_at: iso(4) }),
      ]);
      const live = async () => (await store.findTrades({ open: true })).map((t) => `${t.master_ticket} ${t.status}`).sort();
      expect(await live()).toEqual(['1 open', '2 placed']);
      expect(await store.countTrades({ open: true })).toBe(2);
      for (const status of ['placed', 'canceled', 'closed', 'open'] as const) expect((await store.findTrades({ status })).map((t) => t.status)).toEqual([status]);
      if (h.reopen) {
        store = await h.reopen(store);
        expect(await live()).toEqual(['1 open', '2 placed']);
        expect((await store.findTrades({ status: 'canceled' })).map((t) => t.master_ticket)).toEqual(['3']);
      }
    });

    it('ensureIndexes is idempotent', async () => {
      await store.upsertTrades([openTrade('M', 1, 'S', 1)]);
      await store.ensureIndexes();
      await store.ensureIndexes();
      expect(await store.countTrades({})).toBe(1);
    });
  });
}
