/**
 * Embedded ledger: the zero-set-up default store, files in config.dataDir, in nedb's line format
 * (one JSON document per line, later lines win, `{"$$deleted":true,"_id":...}` removes), so nedb
 * itself can still open every one of them.
 *
 * The running hub and the CLI are separate processes that use the folder at the same time, so
 * every file has one writer:
 *
 * | file                | written by                                  | read by                          |
 * |---------------------|---------------------------------------------|----------------------------------|
 * | trades.db events.db | the process holding ledger.lock: the hub    | anyone else reads them as they   |
 * | trades.idx          | (taken at start by ensureIndexes, or at its | are (trades through trades.idx), |
 * |                     | first ledger write; released by close)      | without writing                  |
 * | accounts.db         | the CLI (accounts add/remove/enable,        | the hub every accountsReloadMs;  |
 * |                     | setup-db): one appended line per change,    | re-parsed only when its size,    |
 * |                     | never a rewrite while the hub may read it   | mtime or inode changed           |
 * | ledger-spill.jsonl  | the hub's LedgerWriter (writer.ts)          | the hub's LedgerWriter           |
 *
 * Nothing that grows with history is read whole or held in memory: trades.db is an append-only
 * log with an index (trade-log.ts, trade-index.ts: the hub holds the live copies and the recent
 * tail, readers page over the index), and events.db is an append-only log read from its end (the
 * writer remembers the ids of the last RECENT_EVENT_IDS events, to drop replays).
 * `readOnly: true` never takes the lock: trade and event writes are refused, reads parse the
 * files. Accounts can be written in both modes, since appends from several processes cannot
 * clobber each other.
 *
 * A trade's _id is its unique key (master + position + slave). An event's _id is its id, so a
 * replayed event is recognised and skipped.
 */
import { BoundedSet } from '../bounded';
import { appendFile } from 'fs/promises';
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'fs';
import { join, resolve } from 'path';
import { randomUUID } from 'crypto';
import type { Account } from '../accounts';
import { StoreError } from '../errors';
import { forEachLineBackward, nedbModel, parseLine, readAt, type Doc } from './lines';
import { TradeLog, TradeReader, type TradeLogTuning } from './trade-log';
import { matchesEventQuery, type EventQuery, type LedgerEvent, type Store, type Trade, type TradeQuery, type TradeUpdate } from './types';

/** fn's result as a promise, a throw as a rejection: what an async method with no await returns. */
function promised<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}

export const EMBEDDED_FILES = {
  accounts: 'accounts.db',
  trades: 'trades.db',
  /** Derived from trades.db (trade-index.ts); rebuilt from it when missing. */
  tradesIndex: 'trades.idx',
  events: 'events.db',
  lock: 'ledger.lock',
} as const;

export interface EmbeddedStoreOptions {
  /** Never take the ledger lock: trade/event writes are refused, trades/events are parsed, not loaded. */
  readOnly?: boolean;
  /** Told when lines that do not parse are moved out of a data file (see setAsideCorrupt). */
  onWarning?: (message: string) => void;
  /** Sizes of the trade log (trade-log.ts); tests make them small. */
  tradeLog?: TradeLogTuning;
}

/**
 * Moves the lines of a data file that do not parse into `<file>.corrupt` (appended, each after a
 * line saying when and from where) and rewrites the file without them. nedb would drop them
 * silently when it compacts, and a hand edit gone wrong would be lost without a trace. Only the
 * lock holder (or the accounts compaction) calls this. Returns how many lines were moved.
 */
export function setAsideCorrupt(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 0;
  }
  const good: string[] = [];
  const bad: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      parseLine(line);
      good.push(line);
    } catch {
      bad.push(line);
    }
  }
  if (!bad.length) return 0;
  appendFileSync(`${path}.corrupt`, `# ${new Date().toISOString()}: ${bad.length} line(s) that did not parse, moved out of ${path}\n${bad.join('\n')}\n`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, good.map((l) => l + '\n').join(''));
  renameSync(tmp, path);
  return bad.length;
}

interface ParsedFile {
  stamp: string;
  docs: Map<string, Doc>;
  corrupt: number;
}

/** Changes whenever the file is appended to (size), rewritten (inode) or touched (mtime). */
function fileStamp(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * Reads an nedb data file the way nedb's loader does, without rewriting it. A last line torn by a
 * concurrent append (or a crash) does not parse and is skipped.
 */
function readNedbFile(path: string): ParsedFile {
  let file = path;
  // nedb writes a compacted file to `name~` and renames it; during that instant only `name~` exists.
  if (!existsSync(file) && existsSync(`${file}~`)) file = `${file}~`;
  const stamp = fileStamp(file) ?? 'missing';
  const docs = new Map<string, Doc>();
  let corrupt = 0;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { stamp, docs, corrupt };
    throw new StoreError(`cannot read ${file}: ${(e as Error).message}`, 'check the data folder and its permissions', { cause: e });
  }
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (!line) continue;
    let doc: Doc;
    try {
      doc = parseLine(line) as Doc;
    } catch {
      corrupt++;
      continue;
    }
    if (doc && typeof doc._id === 'string') {
      if (doc.$$deleted === true) docs.delete(doc._id);
      else docs.set(doc._id, doc);
    }
  }
  return { stamp, docs, corrupt };
}

/**
 * Cuts a last line left half-written by a crash. nedb would count it as corrupt, and in a small
 * file one such line is over its 10% limit and it refuses to load. Only the lock holder calls this,
 * so no append can be in flight; the cut bytes are kept in `<file>.torn` for inspection.
 */
function repairTornTail(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  let keep = 0;
  let size: number;
  try {
    size = fstatSync(fd).size;
    // Only the end is read: the file can be gigabytes, and only its last line can be torn.
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - 65_536);
      const buf = readAt(fd, start, end - start);
      if (end === size && buf[buf.length - 1] === 0x0a) return;
      const nl = buf.lastIndexOf(0x0a);
      if (nl >= 0) {
        keep = start + nl + 1;
        break;
      }
      end = start;
    }
  } finally {
    closeSync(fd);
  }
  if (size === 0) return;
  const torn = readFileSlice(path, keep, size);
  appendFileSync(`${path}.torn`, Buffer.concat([torn, Buffer.from('\n')]));
  truncateSync(path, keep);
}

function readFileSlice(path: string, from: number, to: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readAt(fd, from, to - from);
  } finally {
    closeSync(fd);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isNedbFieldError(e: unknown): boolean {
  return /^Field names cannot/.test((e as Error)?.message ?? '');
}

function withoutId<T>(d: Doc): T {
  const { _id, ...rest } = d;
  void _id;
  return structuredClone(rest) as unknown as T;
}

/**
 * Event ids remembered to drop replays: a writer retry re-sends its last batch, and a spill replay
 * after a crash at most the batch whose read offset was not saved yet (batches of 500 ops): 20 batches of margin.
 */
const RECENT_EVENT_IDS = 10_000;

/** The ids of the last `max` events of the event log and the highest _seq, read from its end. */
function recentEventIds(path: string, max: number): { ids: BoundedSet<string>; seq: number } {
  const ids: string[] = [];
  let seq = 0;
  forEachLineBackward(path, (line) => {
    try {
      const d = JSON.parse(line) as Doc;
      if (typeof d._id === 'string') ids.push(d._id);
      if (typeof d._seq === 'number' && d._seq > seq) seq = d._seq;
    } catch {
      // Unreadable: skipped by readers too.
    }
    return ids.length < max;
  });
  // Oldest first, so the oldest are evicted first.
  const recent = new BoundedSet<string>(max);
  for (const id of ids.reverse()) recent.add(id);
  return { ids: recent, seq };
}

function eventFromDoc(d: Doc): LedgerEvent {
  const { _id, _seq, data_json, ...e } = d;
  void _seq;
  const ev = structuredClone(e) as unknown as LedgerEvent;
  ev.id = _id;
  if (typeof data_json === 'string') ev.data = JSON.parse(data_json) as Record<string, unknown>;
  return ev;
}

export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  readonly location: string;
  readonly readOnly: boolean;
  private readonly files: { accounts: string; trades: string; tradesIndex: string; events: string; lock: string };
  private opened = false;
  /** The trade log, open for writing while this store holds the ledger lock (trade-log.ts). */
  private trades: TradeLog | undefined;
  /** Read access to the trades for a store that does not hold the lock. */
  private readonly tradeReader: TradeReader;
  /**
   * Events are an append-only log, not a nedb collection: nedb keeps every document in memory,
   * and the event log grows with every decision for as long as the hub runs. Only the ids of
   * the most recent events are kept, to drop replays (writer retries, spill replay at start).
   */
  private events: { recentIds: BoundedSet<string> } | undefined;
  private eventSeq = 0;
  private claiming: Promise<boolean> | undefined;
  /** pid of another live process holding the ledger lock, when we found one. */
  private lockedBy: number | undefined;
  private accountsCache: ParsedFile | undefined;

  private readonly warn: (message: string) => void;
  private readonly tradeTuning: TradeLogTuning | undefined;

  constructor(dir: string, opts: EmbeddedStoreOptions = {}) {
    this.location = resolve(dir);
    this.readOnly = opts.readOnly ?? false;
    this.warn = opts.onWarning ?? (() => undefined);
    this.tradeTuning = opts.tradeLog;
    this.files = {
      accounts: join(this.location, EMBEDDED_FILES.accounts),
      trades: join(this.location, EMBEDDED_FILES.trades),
      tradesIndex: join(this.location, EMBEDDED_FILES.tradesIndex),
      events: join(this.location, EMBEDDED_FILES.events),
      lock: join(this.location, EMBEDDED_FILES.lock),
    };
    this.tradeReader = new TradeReader(this.files.trades, this.files.tradesIndex, this.warn);
  }

  /** True while this store holds the ledger lock (it is the process writing trades and events). */
  get ledgerOwner(): boolean {
    return this.trades !== undefined;
  }

  open(): Promise<void> {
    return promised(() => {
      if (this.opened) return;
      if (!this.readOnly) {
        try {
          mkdirSync(this.location, { recursive: true });
        } catch (e) {
          throw new StoreError(`cannot create data folder ${this.location}: ${(e as Error).message}`, 'set --data-dir to a writable folder', { cause: e });
        }
      }
      this.opened = true;
    });
  }

  async close(): Promise<void> {
    const trades = this.trades;
    if (trades) {
      this.trades = undefined;
      this.events = undefined;
      try {
        await trades.close();
      } finally {
        this.releaseLock();
      }
    }
    this.opened = false;
  }

  /**
   * Takes the ledger lock when it is free and opens trades.db (checking its index, or building it:
   * the first start on a trades.db nedb wrote) and the end of events.db: the hub does this at
   * start so a damaged file is reported then, not at the first trade.
   * While another live process holds the lock this is a no-op: that process owns the files.
   * Also compacts accounts.db when it is mostly superseded lines.
   */
  async ensureIndexes(): Promise<void> {
    if (this.readOnly) return;
    await this.open();
    await this.claimLedger();
    this.compactAccounts();
  }

  /**
   * Makes this store the ledger writer: takes ledger.lock and loads the files. Returns false when
   * another live process (a running hub) holds the lock.
   */
  async claimLedger(): Promise<boolean> {
    if (this.readOnly) return false;
    if (this.trades) return true;
    this.claiming ??= this.doClaim().finally(() => {
      this.claiming = undefined;
    });
    return this.claiming;
  }

  private async doClaim(): Promise<boolean> {
    await this.open();
    if (!this.takeLock()) return false;
    try {
      repairTornTail(this.files.trades);
      repairTornTail(this.files.events);
      const trades = await TradeLog.open(this.files.trades, this.files.tradesIndex, this.warn, this.tradeTuning);
      const { ids, seq } = recentEventIds(this.files.events, RECENT_EVENT_IDS);
      this.eventSeq = seq;
      this.trades = trades;
      this.events = { recentIds: ids };
      return true;
    } catch (e) {
      this.releaseLock();
      throw new StoreError(
        `cannot load the ledger in ${this.location}: ${(e as Error).message}`,
        'a data file is damaged; move trades.db / events.db aside (the terminals still hold every open position) and start again',
        { cause: e },
      );
    }
  }

  private takeLock(): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.files.lock, 'wx');
        writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
        closeSync(fd);
        this.lockedBy = undefined;
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StoreError(`cannot create ${this.files.lock}: ${(e as Error).message}`, 'check that the data folder is writable', { cause: e });
        }
      }
      let pid = NaN;
      try {
        pid = Number((JSON.parse(readFileSync(this.files.lock, 'utf8')) as { pid?: unknown }).pid);
      } catch {
        // Unreadable lock: treat as stale.
      }
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
        this.lockedBy = pid;
        return false;
      }
      try {
        unlinkSync(this.files.lock);
      } catch {
        // Someone else removed it first; try again.
      }
    }
    return false;
  }

  private releaseLock(): void {
    try {
      const held = JSON.parse(readFileSync(this.files.lock, 'utf8')) as { pid?: unknown };
      if (held.pid === process.pid) unlinkSync(this.files.lock);
    } catch {
      // Gone already.
    }
  }

  private async ledgerForWrite(): Promise<{ trades: TradeLog; events: { recentIds: BoundedSet<string> } }> {
    if (this.readOnly) {
      throw new StoreError(`the embedded store in ${this.location} is open read-only`, 'trades and events are written by the running hub only', { code: 'E_STORE_READONLY' });
    }
    if (!(await this.claimLedger())) {
      throw new StoreError(
        `the ledger in ${this.location} is being written by another process (pid ${this.lockedBy})`,
        `only one hub may use a data folder; stop the other hub, or if none is running delete ${this.files.lock}`,
        { code: 'E_STORE_LOCKED' },
      );
    }
    return { trades: this.trades!, events: this.events! };
  }

  // ---- accounts: shared file, appended to by any process ----

  private accountDocs(): Map<string, Doc> {
    const stamp = fileStamp(this.files.accounts) ?? 'missing';
    if (this.accountsCache?.stamp !== stamp) {
      this.accountsCache = readNedbFile(this.files.accounts);
      const n = this.accountsCache.corrupt;
      if (n) this.warn(`${n} line(s) of ${this.files.accounts} do not parse and are skipped; the next hub start moves them to ${this.files.accounts}.corrupt`);
    }
    return this.accountsCache.docs;
  }

  listAccounts(): Promise<Account[]> {
    return promised(() =>
      [...this.accountDocs().values()]
        .map((d) => withoutId<Account>(d))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
  }

  getAccount(name: string): Promise<Account | undefined> {
    return promised(() => {
      const d = this.accountDocs().get(name);
      return d && withoutId<Account>(d);
    });
  }

  async upsertAccount(account: Account): Promise<void> {
    // Plain JSON, not nedb's serializer: symbol_map keys such as "XAUUSD.c" contain dots, which
    // nedb refuses in field names but reads back without complaint.
    await this.appendAccountLine(JSON.stringify({ ...account, _id: account.name }));
  }

  async removeAccount(name: string): Promise<boolean> {
    if (!this.accountDocs().has(name)) return false;
    await this.appendAccountLine(JSON.stringify({ $$deleted: true, _id: name }));
    return true;
  }

  private async appendAccountLine(line: string): Promise<void> {
    try {
      mkdirSync(this.location, { recursive: true });
      await appendFile(this.files.accounts, line + '\n');
    } catch (e) {
      throw new StoreError(`cannot write ${this.files.accounts}: ${(e as Error).message}`, 'check that the data folder is writable', { cause: e });
    }
    this.accountsCache = undefined;
  }

  private setAside(path: string): void {
    const n = setAsideCorrupt(path);
    if (n) this.warn(`${n} line(s) of ${path} did not parse and were moved to ${path}.corrupt; look at them there (a hand edit?) and re-add what is needed`);
  }

  /** Rewrites accounts.db without superseded lines; skipped if it changed meanwhile. */
  private compactAccounts(): void {
    this.setAside(this.files.accounts);
    const stamp = fileStamp(this.files.accounts);
    if (!stamp) return;
    const parsed = readNedbFile(this.files.accounts);
    const lines = readFileSync(this.files.accounts, 'utf8').split('\n').filter(Boolean).length;
    if (lines < 64 || lines < parsed.docs.size * 4) return;
    const tmp = `${this.files.accounts}.${process.pid}.tmp`;
    writeFileSync(tmp, [...parsed.docs.values()].map((d) => JSON.stringify(d) + '\n').join(''));
    if (fileStamp(this.files.accounts) !== parsed.stamp) {
      unlinkSync(tmp);
      return;
    }
    renameSync(tmp, this.files.accounts);
    this.accountsCache = undefined;
  }

  // ---- trades ----

  async upsertTrades(updates: TradeUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const { trades } = await this.ledgerForWrite();
    try {
      await trades.upsert(updates);
    } catch (e) {
      throw this.writeError(e, 'trade');
    }
  }

  private writeError(e: unknown, what: string): Error {
    if (isNedbFieldError(e)) {
      return new StoreError(`embedded store refused a ${what}: ${(e as Error).message}`, 'a field name starts with $ or contains a dot', { code: 'E_STORE_REJECTED', cause: e });
    }
    return new StoreError(`embedded store write failed: ${(e as Error).message}`, `check free disk space and permissions of ${this.location}`, { cause: e });
  }

  findTrades(q: TradeQuery): Promise<Trade[]> {
    return promised(() => (this.trades ?? this.tradeReader).find(q));
  }

  countTrades(q: TradeQuery): Promise<number> {
    return promised(() => (this.trades ?? this.tradeReader).count(q));
  }

  // ---- events ----

  async appendEvents(events: LedgerEvent[]): Promise<void> {
    if (events.length === 0) return;
    const ledger = await this.ledgerForWrite();
    const docs: Doc[] = [];
    const ids = new Set<string>();
    for (const e of events) {
      const id = e.id ?? randomUUID();
      if (ids.has(id)) continue;
      ids.add(id);
      const { id: _drop, data, ...rest } = e;
      void _drop;
      const doc = { ...rest, _id: id } as Doc;
      if (data !== undefined) {
        // nedb refuses field names with $ or dots; keep such payloads as JSON text instead.
        try {
          nedbModel.checkObject(data);
          doc.data = data;
        } catch {
          doc.data_json = JSON.stringify(data);
        }
      }
      docs.push(doc);
    }
    const recent = ledger.events.recentIds;
    const fresh = docs.filter((d) => !recent.has(d._id));
    for (const d of fresh) d._seq = ++this.eventSeq;
    try {
      if (fresh.length) await appendFile(this.files.events, fresh.map((d) => JSON.stringify(d)).join('\n') + '\n');
    } catch (e) {
      throw this.writeError(e, 'event');
    }
    for (const d of fresh) recent.add(d._id);
  }

  /** Reads events.db from its end (appended in _seq order: newest first) and stops at the limit. */
  findEvents(q: EventQuery): Promise<LedgerEvent[]> {
    return promised(() => {
      const out: LedgerEvent[] = [];
      const limit = q.limit ?? Infinity;
      if (limit <= 0) return out;
      // A line can only match if the values asked for appear in it: cheaper than parsing every line.
      const needles = [q.account, q.kind].filter((v): v is string => !!v).map((v) => JSON.stringify(v));
      forEachLineBackward(this.files.events, (line) => {
        if (!needles.every((n) => line.includes(n))) return true;
        let d: Doc;
        try {
          d = parseLine(line) as Doc;
        } catch {
          return true;
        }
        if (d && typeof d._id === 'string' && d.$$deleted !== true && matchesEventQuery(d as unknown as LedgerEvent, q)) out.push(eventFromDoc(d));
        return out.length < limit;
      });
      return out;
    });
  }
}
