/**
 * The embedded store's trades: trades.db, an append-only log in nedb's line format (each line the
 * whole trade after a change, later lines win), and trades.idx (trade-index.ts), the trades in
 * "newest first" order up to an offset of the log. Neither the hub nor a reader ever holds the
 * history in memory:
 *
 * - The hub (TradeLog, the ledger lock holder) keeps the live copies (pending, open: what the
 *   engine restores) and the tail (trades written since the index was last rewritten, at most
 *   TAIL_MAX) in memory. A write appends one line per trade; a trade neither live nor in the tail
 *   is found through the index's key hashes. When the tail is full (and at close) the index is
 *   rewritten: a merge of the old index and the tail, a chunk at a time, yielding to the copy path.
 * - A reader (TradeReader: `hub trades` and the other CLI commands, while the hub writes) opens the
 *   index, parses only the lines after it, and pages or counts over the columns.
 *
 * Crash safety: trades.db is only ever appended to (a torn last line is cut by the lock holder at
 * start), and the index is replaced whole; after a kill the next start reads the lines the index
 * does not cover. An index that does not match trades.db (missing, another file, a hand edit: a
 * sample of its lines is checked at start) is rebuilt from trades.db: this is also how a trades.db
 * written by nedb (before this index existed) is taken over at the first start.
 */
import { appendFile } from 'fs/promises';
import { appendFileSync, closeSync, openSync, readdirSync, statSync, truncateSync, unlinkSync, writeSync } from 'fs';
import { basename, dirname, join } from 'path';
import { StoreError } from '../errors';
import { forEachLine, nedbModel, parseLine, readAt, type Doc } from './lines';
import { IndexFile, IndexWriter, Names, SUMMARY_SPAN, isLiveCode, keyHash, newer, recOf, statusCode, timeValue, type Col, type ColName, type Rec } from './trade-index';
import { compareTradesNewestFirst, matchesTradeQuery, tradeKeyString, type Trade, type TradeQuery, type TradeUpdate } from './types';

/** Trades written since the index was rewritten, past which it is rewritten: bounds the hub's memory and a reader's parse. */
export const TAIL_MAX = 5_000;

/** Sizes that tests make small, to exercise index rewrites and span skipping with few trades. */
export interface TradeLogTuning {
  /** Default TAIL_MAX. */
  tailMax?: number;
  /** Entries per summary span of the index; default SUMMARY_SPAN. */
  span?: number;
}
/** Index entries read at once by the merge and the scans: the merge yields to the copy path after each. */
const CHUNK = 4_096;
/** Lines of trades.db read back at start to check the index still matches it. */
const SAMPLES = 64;

/** The newest version of a trade among the lines after the index; doc null: a `$$deleted` line. */
interface TailEntry {
  doc: Doc | null;
  off: number;
  len: number;
}

interface BadLine {
  off: number;
  len: number;
  text: string;
}

function withoutId(d: Doc): Trade {
  const { _id, ...rest } = d;
  void _id;
  return structuredClone(rest) as unknown as Trade;
}

function isDoc(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && typeof (v as Doc)._id === 'string';
}

function readDoc(logFd: number, off: number, len: number): Doc | undefined {
  try {
    const d = parseLine(readAt(logFd, off, len).toString('utf8'));
    return isDoc(d) ? d : undefined;
  } catch {
    return undefined;
  }
}

/** Parses the lines of trades.db from `from` on: each trade line in order, and the lines that do not parse. */
function scanLines(path: string, from: number, onDoc: (d: Doc, off: number, len: number) => void): { bad: BadLine[]; end: number } {
  const bad: BadLine[] = [];
  const end = forEachLine(path, from, (line, off, len) => {
    let d: unknown;
    try {
      d = parseLine(line);
    } catch {
      bad.push({ off, len, text: line });
      return;
    }
    if (isDoc(d)) onDoc(d, off, len);
  });
  return { bad, end };
}

/** The newest version of each trade among the lines of trades.db from `from` on. */
function readTail(path: string, from: number): { tail: Map<string, TailEntry>; bad: BadLine[]; end: number } {
  const tail = new Map<string, TailEntry>();
  const { bad, end } = scanLines(path, from, (d, off, len) => tail.set(d._id, { doc: d.$$deleted === true ? null : d, off, len }));
  return { tail, bad, end };
}

/**
 * Moves lines that do not parse to `<file>.corrupt` and blanks them in place (same length, so
 * no offset moves and the file is never rewritten): nedb would drop them silently, and a hand edit
 * gone wrong would be lost without a trace.
 */
function setAsideLines(path: string, bad: BadLine[], warn: (m: string) => void): void {
  if (!bad.length) return;
  appendFileSync(`${path}.corrupt`, `# ${new Date().toISOString()}: ${bad.length} line(s) that did not parse, moved out of ${path}\n${bad.map((b) => b.text).join('\n')}\n`);
  const fd = openSync(path, 'r+');
  try {
    for (const b of bad) writeSync(fd, Buffer.from(b.len >= 2 ? '{}' + ' '.repeat(b.len - 2) : '0'), 0, b.len, b.off);
  } finally {
    closeSync(fd);
  }
  warn(`${bad.length} line(s) of ${path} did not parse and were moved to ${path}.corrupt; look at them there (a hand edit?) and re-add what is needed`);
}

/** An index entry the tail replaces: its position and what the filters look at. */
interface DeadEntry {
  p: number;
  status: number;
  master: number;
  slave: number;
}

/** What a query runs over: the index (or none), the tail after it and the index entries the tail replaces. */
interface Snapshot {
  index: IndexFile | undefined;
  logFd: number;
  tail: Map<string, TailEntry>;
  dead: DeadEntry[];
}

function deadEntries(index: IndexFile, positions: Iterable<number>): DeadEntry[] {
  const out: DeadEntry[] = [];
  for (const p of positions) out.push({ p, status: index.read('status', p, 1)[0], master: index.read('master', p, 1)[0], slave: index.read('slave', p, 1)[0] });
  return out.sort((a, b) => a.p - b.p);
}

/** A query's filters in index terms. */
interface Filter {
  /** Account id in the index's names; -1: any; -2: not in the index (no index entry matches). */
  acct: number;
  /** Allowed status codes; undefined: any. */
  statuses: Uint8Array | undefined;
}

function filterOf(s: Snapshot, q: TradeQuery): Filter {
  let statuses: Uint8Array | undefined;
  if (q.open || q.status) {
    statuses = new Uint8Array(256);
    for (let c = 0; c < 256; c++) statuses[c] = (!q.open || isLiveCode(c)) && (!q.status || c === statusCode(q.status)) ? 1 : 0;
  }
  const acct = q.account === undefined || q.account === '' ? -1 : (s.index?.header.names.indexOf(q.account) ?? -1) < 0 ? -2 : s.index!.header.names.indexOf(q.account);
  return { acct, statuses };
}

function entryMatches(f: Filter, status: number, master: number, slave: number): boolean {
  return (!f.statuses || f.statuses[status] === 1) && (f.acct === -1 || master === f.acct || slave === f.acct);
}

/** Matching index entries in span c (dead ones included). */
function spanCount(index: IndexFile, f: Filter, c: number): number {
  if (f.acct === -2) return 0;
  const cells = index.summary()[c] ?? {};
  const prefix = f.acct === -1 ? '*' : String(f.acct);
  let n = 0;
  for (const k in cells) {
    const colon = k.indexOf(':');
    if (k.slice(0, colon) === prefix && (!f.statuses || f.statuses[Number(k.slice(colon + 1))] === 1)) n += cells[k];
  }
  return n;
}

/** The tail's trades that match, newest first. */
function tailMatching(s: Snapshot, q: TradeQuery): { doc: Doc; sort: number; upd: number }[] {
  const out: { doc: Doc; sort: number; upd: number }[] = [];
  for (const e of s.tail.values()) {
    if (e.doc && matchesTradeQuery(e.doc as unknown as Trade, q)) out.push({ doc: e.doc, sort: timeValue(e.doc.open_time ?? e.doc.updated_at), upd: timeValue(e.doc.updated_at) });
  }
  return out.sort((a, b) => (newer(a.sort, a.upd, b.sort, b.upd) ? -1 : newer(b.sort, b.upd, a.sort, a.upd) ? 1 : 0));
}

function countIn(s: Snapshot, q: TradeQuery): number {
  const tail = tailMatching(s, q);
  if (!s.index) return tail.length;
  const f = filterOf(s, q);
  let n = tail.length;
  for (let c = 0; c * s.index.span < s.index.count; c++) n += spanCount(s.index, f, c);
  for (const d of s.dead) if (f.acct !== -2 && entryMatches(f, d.status, d.master, d.slave)) n--;
  return n;
}

/**
 * The page: whole summary spans are skipped while everything in them (and the tail entries that
 * sort before their end) is still inside `skip`; from there the entries are walked a span at a
 * time, merged with the tail by time.
 */
function findIn(s: Snapshot, q: TradeQuery): Trade[] {
  const skip = q.skip ?? 0;
  const limit = q.limit ?? Infinity;
  if (limit <= 0) return [];
  const tail = tailMatching(s, q);
  const index = s.index;
  const n = index?.count ?? 0;
  const f = filterOf(s, q);
  const picked: (number | Doc)[] = [];
  let seen = 0;
  const take = (x: number | Doc): boolean => {
    if (seen++ >= skip) picked.push(x);
    return picked.length >= limit;
  };
  // Tail entries that come before index position p (newest first: newer than it).
  const tailBefore = (p: number): number => {
    const sort = index!.read('sort', p, 1)[0];
    const upd = index!.read('upd', p, 1)[0];
    let lo = 0;
    let hi = tail.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newer(tail[mid].sort, tail[mid].upd, sort, upd)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const deadIn = (from: number, to: number) => s.dead.filter((d) => d.p >= from && d.p < to);
  let from = 0;
  let before = 0;
  if (f.acct === -2) from = n;
  const span = index?.span ?? 1;
  while (from + span < n) {
    const inSpan = spanCount(index!, f, from / span) - deadIn(from, from + span).filter((d) => entryMatches(f, d.status, d.master, d.slave)).length;
    if (before + inSpan + tailBefore(from + span) > skip) break;
    before += inSpan;
    from += span;
  }
  let j = from > 0 && from < n ? tailBefore(from) : 0;
  seen = before + j;
  const dead = new Set(s.dead.map((d) => d.p));
  let done = false;
  for (let p0 = from; p0 < n && !done; p0 += span) {
    const m = Math.min(span, n - p0);
    const st = f.statuses ? index!.read('status', p0, m) : undefined;
    const ma = f.acct >= 0 ? index!.read('master', p0, m) : undefined;
    const sl = f.acct >= 0 ? index!.read('slave', p0, m) : undefined;
    const sort = tail.length ? index!.read('sort', p0, m) : undefined;
    const upd = tail.length ? index!.read('upd', p0, m) : undefined;
    for (let i = 0; i < m && !done; i++) {
      if (st && f.statuses![st[i]] !== 1) continue;
      if (ma && ma[i] !== f.acct && sl![i] !== f.acct) continue;
      if (dead.size && dead.has(p0 + i)) continue;
      while (!done && j < tail.length && newer(tail[j].sort, tail[j].upd, sort![i], upd![i])) done = take(tail[j++].doc);
      if (!done) done = take(p0 + i);
    }
  }
  while (!done && j < tail.length) done = take(tail[j++].doc);
  return picked.map((x) => withoutId(typeof x === 'number' ? rowAt(s, x) : x));
}

function rowAt(s: Snapshot, p: number): Doc {
  const { off, len } = s.index!.line(p);
  const d = readDoc(s.logFd, off, len);
  if (!d || keyHash(d._id) !== (s.index!.read('hash', p, 1) as Uint32Array)[0]) {
    throw new StoreError('trades.idx does not match trades.db (was trades.db edited?)', 'stop the hub and start it again: it checks trades.db and rebuilds the index', { code: 'E_STORE' });
  }
  return d;
}

function openLog(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return -1;
  }
}

/** Index positions of the given keys, with their documents (the index's hash table, then the lines). */
function lookup(index: IndexFile, logFd: number, keys: Iterable<string>): Map<string, { pos: number; doc: Doc }> {
  const found = new Map<string, { pos: number; doc: Doc }>();
  for (const k of keys) {
    for (const p of index.positionsOf(keyHash(k))) {
      const { off, len } = index.line(p);
      const d = readDoc(logFd, off, len);
      if (d?._id === k) {
        found.set(k, { pos: p, doc: d });
        break;
      }
    }
  }
  return found;
}

function stampOf(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/** Read access for processes that do not hold the ledger lock; never writes. */
export class TradeReader {
  private cached: { tag: string; tail: Map<string, TailEntry>; dead: DeadEntry[] } | undefined;

  constructor(
    private readonly logPath: string,
    private readonly indexPath: string,
    private readonly warn: (m: string) => void,
  ) {}

  find(q: TradeQuery): Trade[] {
    return this.withSnapshot((s) => findIn(s, q));
  }

  count(q: TradeQuery): number {
    return this.withSnapshot((s) => countIn(s, q));
  }

  private withSnapshot<T>(fn: (s: Snapshot) => T): T {
    const logFd = openLog(this.logPath);
    let index = IndexFile.open(this.indexPath);
    try {
      const size = logFd < 0 ? 0 : statSync(this.logPath).size;
      const ino = logFd < 0 ? 0 : statSync(this.logPath).ino;
      // Not the trades.db it indexes (rewritten, replaced, not yet migrated): read trades.db whole, as before the index.
      if (index && (index.header.logIno !== ino || index.header.logEnd > size)) {
        index.close();
        index = undefined;
      }
      const tag = `${index ? `${index.header.logEnd}:${index.count}:${stampOf(this.indexPath)}` : 'none'}|${stampOf(this.logPath)}`;
      if (this.cached?.tag !== tag) {
        const from = index?.header.logEnd ?? 0;
        const { tail, bad } = logFd < 0 ? { tail: new Map<string, TailEntry>(), bad: [] } : readTail(this.logPath, from);
        if (bad.length) this.warn(`${bad.length} line(s) of ${this.logPath} do not parse and are skipped; the next hub start moves them to ${this.logPath}.corrupt`);
        const dead = index && tail.size ? deadEntries(index, [...lookup(index, logFd, tail.keys()).values()].map((f) => f.pos)) : [];
        this.cached = { tag, tail, dead };
      }
      const c = this.cached;
      return fn({ index, logFd, tail: c.tail, dead: c.dead });
    } finally {
      index?.close();
      if (logFd >= 0) closeSync(logFd);
    }
  }
}

/** The lock holder's side: writes, and keeps live copies and the tail in memory. */
export class TradeLog {
  private readonly tail = new Map<string, TailEntry>();
  /** Index positions replaced by a tail entry. */
  private readonly dead = new Set<number>();
  private readonly live = new Map<string, Doc>();
  /** Index position of each live copy whose newest version is in the index (not in the tail). */
  private livePos = new Map<string, number>();
  private logSize = 0;
  private logIno = 0;
  private serial: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly logPath: string,
    private readonly indexPath: string,
    private readonly warn: (m: string) => void,
    private readonly tailMax: number,
    private readonly span: number,
  ) {}

  /** Checks (or rebuilds) the index and loads the live copies and the tail; the caller holds the lock and cut a torn last line. */
  static async open(logPath: string, indexPath: string, warn: (m: string) => void, tuning: TradeLogTuning = {}): Promise<TradeLog> {
    const tailMax = tuning.tailMax ?? TAIL_MAX;
    const t = new TradeLog(logPath, indexPath, warn, tailMax, tuning.span ?? SUMMARY_SPAN);
    await t.load();
    if (t.tail.size >= tailMax) await t.checkpointOrWarn();
    return t;
  }

  private async load(): Promise<void> {
    // An index rewrite a crash interrupted: never renamed into place, so never used.
    const dir = dirname(this.indexPath);
    for (const f of readdirSync(dir)) if (f.startsWith(`${basename(this.indexPath)}.`) && f.endsWith('.tmp')) unlinkSync(join(dir, f));
    closeSync(openSync(this.logPath, 'a'));
    const st = statSync(this.logPath);
    this.logIno = st.ino;
    let index = IndexFile.open(this.indexPath);
    const logFd = openSync(this.logPath, 'r');
    try {
      if (index && !this.indexMatches(index, logFd, st.size)) {
        index.close();
        index = undefined;
      }
      if (!index) {
        await this.rebuild();
        return;
      }
      const { tail, bad, end } = readTail(this.logPath, index.header.logEnd);
      setAsideLines(this.logPath, bad, this.warn);
      this.logSize = end;
      for (const [k, e] of tail) {
        this.tail.set(k, e);
        if (e.doc && isLiveCode(statusCode(e.doc.status))) this.live.set(k, e.doc);
      }
      for (const { pos } of lookup(index, logFd, tail.keys()).values()) this.dead.add(pos);
      for (let from = 0; from < index.count; from += CHUNK) {
        const st = index.read('status', from, Math.min(CHUNK, index.count - from));
        if (!st.some(isLiveCode)) continue;
        const offs = index.read('off', from, st.length);
        const lens = index.read('len', from, st.length);
        for (let i = 0; i < st.length; i++) {
          const p = from + i;
          if (!isLiveCode(st[i]) || this.dead.has(p)) continue;
          const d = readDoc(logFd, offs[i], lens[i]);
          if (d) {
            this.live.set(d._id, d);
            this.livePos.set(d._id, p);
          }
        }
      }
    } finally {
      index?.close();
      closeSync(logFd);
    }
  }

  /** Same file, covers no more than it holds, ends on a line end, and a sample of its lines are the trades it says. */
  private indexMatches(index: IndexFile, logFd: number, size: number): boolean {
    const { logIno, logEnd } = index.header;
    if (logIno !== this.logIno || logEnd > size) return false;
    if (logEnd > 0 && readAt(logFd, logEnd - 1, 1)[0] !== 10) return false;
    const n = Math.min(SAMPLES, index.count);
    for (let k = 0; k < n; k++) {
      const p = Math.floor((k * (index.count - 1)) / Math.max(1, n - 1));
      const { off, len } = index.line(p);
      const d = off + len <= logEnd ? readDoc(logFd, off, len) : undefined;
      if (!d || keyHash(d._id) !== (index.read('hash', p, 1) as Uint32Array)[0]) return false;
    }
    return true;
  }

  /** Reads trades.db whole (the first start on an nedb-written file, or after the index was lost) and writes the index. */
  private async rebuild(): Promise<void> {
    const recs = new Map<string, Rec>();
    const names = new Names();
    const { bad, end } = scanLines(this.logPath, 0, (d, off, len) => {
      if (d.$$deleted === true) {
        recs.delete(d._id);
        this.live.delete(d._id);
        return;
      }
      const r = recOf(d, off, len, names);
      recs.set(d._id, r);
      if (isLiveCode(r.status)) this.live.set(d._id, d);
      else this.live.delete(d._id);
    });
    setAsideLines(this.logPath, bad, this.warn);
    this.logSize = end;
    const sorted = [...recs].sort(([, a], [, b]) => (newer(a.sort, a.upd, b.sort, b.upd) ? -1 : newer(b.sort, b.upd, a.sort, a.upd) ? 1 : 0));
    const w = new IndexWriter(`${this.indexPath}.${process.pid}.tmp`, { count: sorted.length, logEnd: end, logIno: this.logIno, names: names.list, span: this.span });
    try {
      sorted.forEach(([k, r], p) => {
        w.push(r);
        if (this.live.has(k)) this.livePos.set(k, p);
      });
      await w.finish();
      w.install(this.indexPath);
    } catch (e) {
      w.abandon();
      throw e;
    }
  }

  /** Applies updates in order (each creates its trade when missing); one appended line per trade. */
  upsert(updates: TradeUpdate[]): Promise<void> {
    const run = this.serial.then(() => this.doUpsert(updates));
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async doUpsert(updates: TradeUpdate[]): Promise<void> {
    // Fold the batch per key first (in order, later fields win) so each trade costs one line.
    const folded = new Map<string, Doc>();
    for (const u of updates) {
      const id = tradeKeyString(u.key);
      const prev = folded.get(id);
      if (prev) Object.assign(prev, u.set, u.key);
      else folded.set(id, { ...u.set, ...u.key, _id: id });
    }
    const unknown = [...folded.keys()].filter((k) => !this.tail.has(k) && !this.live.has(k));
    const found = unknown.length ? this.inIndex(unknown) : new Map<string, { pos: number; doc: Doc }>();
    const next: Doc[] = [];
    for (const [id, f] of folded) {
      const prev = this.tail.get(id)?.doc ?? this.live.get(id) ?? found.get(id)?.doc;
      const doc = prev ? { ...prev, ...f } : f;
      // Field names nedb refuses ($..., dots) are refused here too, so nedb can still open the file.
      nedbModel.checkObject(doc);
      next.push(doc);
    }
    const lines = next.map((d) => JSON.stringify(d) + '\n');
    const text = lines.join('');
    try {
      await appendFile(this.logPath, text);
    } catch (e) {
      // Nothing half-written may stay in front of the next append.
      try {
        truncateSync(this.logPath, this.logSize);
      } catch {
        // The next start cuts a torn last line.
      }
      throw e;
    }
    let off = this.logSize;
    next.forEach((d, i) => {
      const len = Buffer.byteLength(lines[i]) - 1;
      const pos = found.get(d._id)?.pos ?? this.livePos.get(d._id);
      if (pos !== undefined) this.dead.add(pos);
      this.livePos.delete(d._id);
      this.tail.set(d._id, { doc: d, off, len });
      if (isLiveCode(statusCode(d.status))) this.live.set(d._id, d);
      else this.live.delete(d._id);
      off += len + 1;
    });
    this.logSize = off;
    if (this.tail.size >= this.tailMax) await this.checkpointOrWarn();
  }

  private inIndex(keys: string[]): Map<string, { pos: number; doc: Doc }> {
    const index = IndexFile.open(this.indexPath);
    if (!index) return new Map();
    const logFd = openSync(this.logPath, 'r');
    try {
      return lookup(index, logFd, keys);
    } finally {
      index.close();
      closeSync(logFd);
    }
  }

  /** Rewrites the index to cover the tail: a merge a chunk at a time, yielding between chunks. */
  private async checkpoint(): Promise<void> {
    const index = IndexFile.open(this.indexPath);
    if (!index) throw new StoreError(`${this.indexPath} is missing`, 'stop the hub and start it again: it rebuilds the index from trades.db', { code: 'E_STORE' });
    const names = new Names(index.header.names);
    const entries = [...this.tail]
      .filter((e): e is [string, TailEntry & { doc: Doc }] => e[1].doc !== null)
      .map(([k, e]) => ({ k, r: recOf(e.doc, e.off, e.len, names), live: this.live.has(k) }))
      .sort((a, b) => (newer(a.r.sort, a.r.upd, b.r.sort, b.r.upd) ? -1 : newer(b.r.sort, b.r.upd, a.r.sort, a.r.upd) ? 1 : 0));
    await new Promise((r) => setImmediate(r));
    const count = index.count - this.dead.size + entries.length;
    const w = new IndexWriter(`${this.indexPath}.${process.pid}.tmp`, { count, logEnd: this.logSize, logIno: this.logIno, names: names.list, span: this.span });
    const liveAt = new Map([...this.livePos].map(([k, p]) => [p, k]));
    const livePos = new Map<string, number>();
    let out = 0;
    let j = 0;
    const emit = (r: Rec, liveKey: string | undefined): void => {
      w.push(r);
      if (liveKey !== undefined) livePos.set(liveKey, out);
      out++;
    };
    try {
      for (let from = 0; from < index.count; from += CHUNK) {
        const n = Math.min(CHUNK, index.count - from);
        const cols = Object.fromEntries((['off', 'sort', 'upd', 'len', 'hash', 'master', 'slave', 'status'] as const).map((c) => [c, index.read(c, from, n)])) as Record<ColName, Col>;
        for (let i = 0; i < n; i++) {
          const p = from + i;
          if (this.dead.has(p)) continue;
          while (j < entries.length && newer(entries[j].r.sort, entries[j].r.upd, cols.sort[i], cols.upd[i])) {
            emit(entries[j].r, entries[j].live ? entries[j].k : undefined);
            j++;
          }
          w.pushFrom(cols, i);
          const liveKey = liveAt.get(p);
          if (liveKey !== undefined) livePos.set(liveKey, out);
          out++;
        }
        await new Promise((r) => setImmediate(r));
      }
      for (; j < entries.length; j++) emit(entries[j].r, entries[j].live ? entries[j].k : undefined);
      await w.finish();
    } catch (e) {
      w.abandon();
      throw e;
    } finally {
      index.close();
    }
    // No await from here on: the new index and the emptied tail appear together.
    try {
      w.install(this.indexPath);
    } catch (e) {
      w.abandon();
      throw e;
    }
    this.tail.clear();
    this.dead.clear();
    this.livePos = livePos;
  }

  /**
   * The trades are safe in trades.db whether or not the index could be rewritten (the lines after
   * it are read at every start), so a failure (disk full, a file another program holds open on
   * Windows) is told and the rewrite tried again at the next write.
   */
  private async checkpointOrWarn(): Promise<void> {
    try {
      await this.checkpoint();
    } catch (e) {
      this.warn(`could not rewrite ${this.indexPath} (${(e as Error).message}); the trades are safe in ${this.logPath}, the rewrite is tried again at the next write`);
    }
  }

  /** Rewrites the index when trades were written since (so the next start reads no tail). */
  close(): Promise<void> {
    const run = this.serial.then(() => (this.tail.size ? this.checkpointOrWarn() : undefined));
    this.serial = run.catch(() => undefined);
    return run;
  }

  find(q: TradeQuery): Trade[] {
    if (q.open) return this.liveMatching(q).slice(q.skip ?? 0, (q.skip ?? 0) + (q.limit ?? Infinity)).map(withoutId);
    return this.withSnapshot((s) => findIn(s, q));
  }

  count(q: TradeQuery): number {
    if (q.open) return this.liveMatching(q).length;
    return this.withSnapshot((s) => countIn(s, q));
  }

  /** Open queries (the engine's restore at start) come from memory. */
  private liveMatching(q: TradeQuery): Doc[] {
    if (q.limit !== undefined && q.limit <= 0) return [];
    return [...this.live.values()].filter((d) => matchesTradeQuery(d as unknown as Trade, q)).sort((a, b) => compareTradesNewestFirst(a as unknown as Trade, b as unknown as Trade));
  }

  private withSnapshot<T>(fn: (s: Snapshot) => T): T {
    const index = IndexFile.open(this.indexPath);
    const logFd = openSync(this.logPath, 'r');
    try {
      return fn({ index, logFd, tail: this.tail, dead: index ? deadEntries(index, this.dead) : [] });
    } finally {
      index?.close();
      closeSync(logFd);
    }
  }
}
