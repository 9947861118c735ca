/**
 * trades.idx: every trade of trades.db in "newest first" order, as fixed-width columns (offset and
 * length of its line in trades.db, sort times, key hash, account ids, status), so a page, a count
 * or a filter reads a few megabytes of numbers instead of parsing the whole history. It covers
 * trades.db up to `logEnd`; the lines after that (the tail) are read and merged by whoever reads.
 * It is derived data: rebuilt from trades.db when missing or not matching it, and replaced whole
 * (written aside, then renamed), so a reader or a crash sees the old or the new one, never half.
 *
 * Layout: "CBTIDX2\n", u32 header length, header JSON, padding to 8, then each column in COLUMNS
 * order, `count` values each, little-endian, then a hash table of positions + 1 by key hash (u32,
 * open addressing, linear probing, tableSize(count) slots, 0 = empty) so the hub finds an old
 * trade in a few reads, then the summary (JSON to the end of the file): for
 * every SUMMARY_SPAN entries, how many there are per account and status, so a count is a sum and
 * a deep page skips whole spans without reading them.
 */
import { closeSync, fstatSync, fsync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'fs';
import type { Doc } from './lines';
import type { TradeStatus } from './types';

/** Version 2: the placed and canceled statuses have codes (version 1 gave them 255, and a placed copy was not restored at start); a version 1 index is rebuilt. */
const MAGIC = 'CBTIDX2\n';

export interface IndexHeader {
  count: number;
  /** trades.db bytes covered: lines starting before this offset are in the index. */
  logEnd: number;
  /** inode of the trades.db indexed: another file (a rewrite, a restore) is not this one. */
  logIno: number;
  /** Account names; the master and slave columns hold positions in this list. */
  names: string[];
  /** Entries per summary span (SUMMARY_SPAN unless a test asks for small spans). */
  span: number;
}

const COLUMNS = { off: 8, sort: 8, upd: 8, len: 4, hash: 4, master: 4, slave: 4, status: 1 } as const;
export type ColName = keyof typeof COLUMNS;
export type Col = Float64Array | Uint32Array | Uint8Array;
const COL_NAMES = Object.keys(COLUMNS) as ColName[];

/** Entries per summary span, by default. */
export const SUMMARY_SPAN = 65_536;
/**
 * One span's counts, keyed `<account>:<status code>` (account: its id in `names`, as master or as
 * slave, a trade counted once per distinct account) and `*:<status code>` (every trade).
 */
export type SpanCounts = Record<string, number>;

export function makeCol(name: ColName, n: number): Col {
  const w = COLUMNS[name];
  return w === 8 ? new Float64Array(n) : w === 4 ? new Uint32Array(n) : new Uint8Array(n);
}

/** Hash table slots: a power of two, at least twice the entries (short probe runs). */
function tableSize(count: number): number {
  let n = 8;
  while (n < count * 2) n *= 2;
  return n;
}

function tableStart(dataStart: number, count: number): number {
  return colStart(dataStart, count, 'status') + count;
}

function summaryStart(dataStart: number, count: number): number {
  return tableStart(dataStart, count) + tableSize(count) * 4;
}

function colStart(dataStart: number, count: number, name: ColName): number {
  let off = dataStart;
  for (const c of COL_NAMES) {
    if (c === name) return off;
    off += COLUMNS[c] * count;
  }
  throw new Error(`no column ${name}`);
}

/** Every TradeStatus, its code its place here: append only (codes are in trades.idx). */
export const STATUSES: readonly TradeStatus[] = ['pending', 'open', 'closed', 'refused', 'failed', 'expired', 'missed', 'placed', 'canceled'];
const STATUS_CODE = new Map(STATUSES.map((s, i) => [s as string, i]));
export const UNKNOWN_STATUS = 255;
export function statusCode(s: unknown): number {
  return STATUS_CODE.get(s as string) ?? UNKNOWN_STATUS;
}
const PLACED = STATUS_CODE.get('placed')!;
/** pending, open and placed: the copies the hub keeps in memory (and restores at start). */
export function isLiveCode(code: number): boolean {
  return code <= 1 || code === PLACED;
}

/** FNV-1a over the key's UTF-16 units: a filter before the line itself is read and compared. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Times are ISO text (as the engine writes them), whose order is their time order. */
export function timeValue(v: unknown): number {
  const t = typeof v === 'string' ? Date.parse(v) : v instanceof Date ? v.getTime() : NaN;
  return Number.isNaN(t) ? -Infinity : t;
}

/** One trade's index entry. */
export interface Rec {
  off: number;
  len: number;
  sort: number;
  upd: number;
  hash: number;
  master: number;
  slave: number;
  status: number;
}

/** True when (aSort, aUpd) comes before (bSort, bUpd) newest first. */
export function newer(aSort: number, aUpd: number, bSort: number, bUpd: number): boolean {
  return aSort > bSort || (aSort === bSort && aUpd > bUpd);
}

export class Names {
  readonly list: string[];
  private readonly ids = new Map<string, number>();
  constructor(list: string[] = []) {
    this.list = [...list];
    this.list.forEach((n, i) => this.ids.set(n, i));
  }
  id(name: unknown): number {
    const s = typeof name === 'string' ? name : '';
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.list.push(s) - 1;
      this.ids.set(s, id);
    }
    return id;
  }
  find(name: string): number | undefined {
    return this.ids.get(name);
  }
}

export function recOf(d: Doc, off: number, len: number, names: Names): Rec {
  return {
    off,
    len,
    sort: timeValue(d.open_time ?? d.updated_at),
    upd: timeValue(d.updated_at),
    hash: keyHash(d._id),
    master: names.id(d.master_name),
    slave: names.id(d.slave_name),
    status: statusCode(d.status),
  };
}

/** An open trades.idx; the header is read at open, columns on demand. */
export class IndexFile {
  private constructor(
    private readonly fd: number,
    readonly header: IndexHeader,
    private readonly dataStart: number,
  ) {}

  /** undefined when missing or not an index (it is then rebuilt, or not used). */
  static open(path: string): IndexFile | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    try {
      const head = Buffer.alloc(12);
      if (readSync(fd, head, 0, 12, 0) === 12 && head.toString('latin1', 0, 8) === MAGIC) {
        const hlen = head.readUInt32LE(8);
        const json = Buffer.alloc(hlen);
        if (readSync(fd, json, 0, hlen, 12) === hlen) {
          const header = JSON.parse(json.toString('utf8')) as IndexHeader;
          if (Number.isInteger(header.count) && Array.isArray(header.names) && Number.isInteger(header.span) && header.span > 0) {
            const index = new IndexFile(fd, header, Math.ceil((12 + hlen) / 8) * 8);
            if (Array.isArray(index.summary())) return index;
          }
        }
      }
    } catch {
      // Not an index: handled as missing.
    }
    closeSync(fd);
    return undefined;
  }

  get count(): number {
    return this.header.count;
  }

  get span(): number {
    return this.header.span;
  }

  private spans: SpanCounts[] | undefined;

  /** The summary: counts per account and status for each SUMMARY_SPAN entries. */
  summary(): SpanCounts[] {
    if (!this.spans) {
      const at = summaryStart(this.dataStart, this.count);
      const buf = Buffer.alloc(fstatSync(this.fd).size - at);
      readSync(this.fd, buf, 0, buf.length, at);
      this.spans = JSON.parse(buf.toString('utf8')) as SpanCounts[];
    }
    return this.spans;
  }

  read(name: ColName, from = 0, n = this.count - from): Col {
    const col = makeCol(name, n);
    const bytes = Buffer.from(col.buffer, col.byteOffset, col.byteLength);
    const at = colStart(this.dataStart, this.count, name) + from * COLUMNS[name];
    let got = 0;
    while (got < bytes.length) {
      const r = readSync(this.fd, bytes, got, bytes.length - got, at + got);
      if (r === 0) throw new Error(`trades index ends early (column ${name})`);
      got += r;
    }
    return col;
  }

  /** Positions whose key hash is `hash` (then compare the keys themselves). */
  positionsOf(hash: number): number[] {
    const size = tableSize(this.count);
    const at = tableStart(this.dataStart, this.count);
    const out: number[] = [];
    const run = new Uint32Array(16);
    const bytes = Buffer.from(run.buffer);
    for (let slot = hash & (size - 1), probed = 0; probed < size; ) {
      const n = Math.min(16, size - slot);
      readSync(this.fd, bytes, 0, n * 4, at + slot * 4);
      for (let i = 0; i < n; i++) {
        const v = run[i];
        if (v === 0) return out;
        if (this.read('hash', v - 1, 1)[0] === hash) out.push(v - 1);
      }
      probed += n;
      slot = (slot + n) & (size - 1);
    }
    return out;
  }

  /** Offset and length of position p's line in trades.db. */
  line(p: number): { off: number; len: number } {
    return { off: (this.read('off', p, 1) as Float64Array)[0], len: (this.read('len', p, 1) as Uint32Array)[0] };
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Writes a new index aside (columns in chunks, at their offsets), then puts it in place. */
export class IndexWriter {
  private readonly fd: number;
  private readonly dataStart: number;
  private readonly chunk: Record<ColName, Col>;
  private readonly spanCounts: Uint32Array[] = [];
  private readonly table: Uint32Array;
  private fill = 0;
  private written = 0;

  constructor(
    private readonly tmp: string,
    private readonly header: IndexHeader,
    private readonly chunkSize = 65_536,
  ) {
    this.fd = openSync(tmp, 'w');
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const head = Buffer.alloc(Math.ceil((12 + json.length) / 8) * 8);
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(json.length, 8);
    json.copy(head, 12);
    writeSync(this.fd, head, 0, head.length, 0);
    this.dataStart = head.length;
    this.chunk = Object.fromEntries(COL_NAMES.map((c) => [c, makeCol(c, chunkSize)])) as Record<ColName, Col>;
    this.table = new Uint32Array(tableSize(header.count));
  }

  push(r: Rec): void {
    this.put(r.off, r.sort, r.upd, r.len, r.hash, r.master, r.slave, r.status);
  }

  /** Entry i of columns read from another index (no object per entry: a merge copies a million). */
  pushFrom(cols: Record<ColName, Col>, i: number): void {
    this.put(cols.off[i], cols.sort[i], cols.upd[i], cols.len[i], cols.hash[i], cols.master[i], cols.slave[i], cols.status[i]);
  }

  private put(off: number, sort: number, upd: number, len: number, hash: number, master: number, slave: number, status: number): void {
    const pos = this.written + this.fill;
    // Counts by (account + 1) * 256 + status; account -1 is "every trade".
    const counts = (this.spanCounts[Math.floor(pos / this.header.span)] ??= new Uint32Array((this.header.names.length + 1) * 256));
    counts[status]++;
    counts[(master + 1) * 256 + status]++;
    if (slave !== master) counts[(slave + 1) * 256 + status]++;
    const mask = this.table.length - 1;
    let slot = hash & mask;
    while (this.table[slot] !== 0) slot = (slot + 1) & mask;
    this.table[slot] = pos + 1;
    const i = this.fill++;
    const c = this.chunk;
    c.off[i] = off;
    c.sort[i] = sort;
    c.upd[i] = upd;
    c.len[i] = len;
    c.hash[i] = hash;
    c.master[i] = master;
    c.slave[i] = slave;
    c.status[i] = status;
    if (this.fill === this.chunkSize) this.flush();
  }

  private summary(): SpanCounts[] {
    return this.spanCounts.map((counts) => {
      const cells: SpanCounts = {};
      counts.forEach((n, k) => {
        if (n) cells[`${k < 256 ? '*' : (k >> 8) - 1}:${k & 255}`] = n;
      });
      return cells;
    });
  }

  private flush(): void {
    for (const c of COL_NAMES) {
      const col = this.chunk[c];
      const bytes = Buffer.from(col.buffer, col.byteOffset, this.fill * COLUMNS[c]);
      writeSync(this.fd, bytes, 0, bytes.length, colStart(this.dataStart, this.header.count, c) + this.written * COLUMNS[c]);
    }
    this.written += this.fill;
    this.fill = 0;
  }

  /** Completes the file and fsyncs it (in the thread pool: the copy path shares this event loop); the count pushed must be the header's. */
  async finish(): Promise<void> {
    this.flush();
    try {
      if (this.written !== this.header.count) throw new Error(`trades index: wrote ${this.written} of ${this.header.count} entries`);
      const table = Buffer.from(this.table.buffer, this.table.byteOffset, this.table.byteLength);
      writeSync(this.fd, table, 0, table.length, tableStart(this.dataStart, this.header.count));
      const json = Buffer.from(JSON.stringify(this.summary()), 'utf8');
      writeSync(this.fd, json, 0, json.length, summaryStart(this.dataStart, this.header.count));
      await new Promise<void>((resolve, reject) => fsync(this.fd, (e) => (e ? reject(e) : resolve())));
    } finally {
      closeSync(this.fd);
    }
  }

  /** Puts the finished file in place of `path`: readers see the old index or this one, whole. */
  install(path: string): void {
    renameSync(this.tmp, path);
  }

  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Closed by finish().
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      // Renamed by finish() or never written.
    }
  }
}

export { COL_NAMES };
