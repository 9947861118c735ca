/** In-process store: tests and `--store memory`. Same contract as the persistent adapters. */
import type { Account } from '../accounts';
import { compareTradesNewestFirst, matchesEventQuery, matchesTradeQuery, tradeKeyString, type EventQuery, type LedgerEvent, type Store, type Trade, type TradeQuery, type TradeUpdate } from './types';

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly location = 'memory';
  readonly ledgerOwner = true;
  private accounts = new Map<string, Account>();
  private trades = new Map<string, Trade>();
  private events: LedgerEvent[] = [];

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async ensureIndexes(): Promise<void> {}

  listAccounts(): Promise<Account[]> {
    return Promise.resolve([...this.accounts.values()].map((a) => structuredClone(a)).sort((a, b) => a.name.localeCompare(b.name)));
  }
  getAccount(name: string): Promise<Account | undefined> {
    const a = this.accounts.get(name);
    return Promise.resolve(a && structuredClone(a));
  }
  upsertAccount(account: Account): Promise<void> {
    this.accounts.set(account.name, structuredClone(account));
    return Promise.resolve();
  }
  removeAccount(name: string): Promise<boolean> {
    return Promise.resolve(this.accounts.delete(name));
  }

  upsertTrades(updates: TradeUpdate[]): Promise<void> {
    for (const u of updates) {
      const k = tradeKeyString(u.key);
      const existing = this.trades.get(k);
      const next = { ...(existing ?? {}), ...u.key, ...u.set } as Trade;
      this.trades.set(k, next);
    }
    return Promise.resolve();
  }
  findTrades(q: TradeQuery): Promise<Trade[]> {
    const all = [...this.trades.values()].filter((t) => matchesTradeQuery(t, q)).sort(compareTradesNewestFirst);
    const skip = q.skip ?? 0;
    return Promise.resolve(all.slice(skip, q.limit === undefined ? undefined : skip + q.limit).map((t) => ({ ...t })));
  }
  countTrades(q: TradeQuery): Promise<number> {
    let n = 0;
    for (const t of this.trades.values()) if (matchesTradeQuery(t, q)) n++;
    return Promise.resolve(n);
  }
  appendEvents(events: LedgerEvent[]): Promise<void> {
    this.events.push(...events.map((e) => structuredClone(e)));
    return Promise.resolve();
  }
  findEvents(q: EventQuery): Promise<LedgerEvent[]> {
    const out: LedgerEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && out.length < (q.limit ?? Infinity); i--) {
      const e = this.events[i];
      if (matchesEventQuery(e, q)) out.push(structuredClone(e));
    }
    return Promise.resolve(out);
  }
}
