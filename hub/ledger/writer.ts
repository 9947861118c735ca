/**
 * Keeps ledger writes off the copy path: trade() and event() are synchronous and never wait on
 * the store; a background loop flushes batches and retries while the store is unreachable.
 * Order: trade updates reach the store in enqueue order, and so do events; a window of ops is
 * written as one trade call then one event call, so a trade update and an event enqueued close
 * together (different collections) may land in either order.
 *
 * Memory stays bounded and nothing is dropped: once maxQueue ops wait in memory, further ops are
 * appended to a spill file (JSON lines, ledger-spill.jsonl). From then on every new op goes to the
 * spill until it is drained, so the order above holds across the spill; after the spill is
 * drained the file is deleted and ops queue in memory again. close() moves what is still in memory
 * into the spill, and a spill left behind by a stopped or crashed hub is replayed before anything
 * else when the next writer starts.
 *
 * Exactly once in effect: a batch can be applied partly and then retried (connection lost half
 * way through a bulk write), or replayed from the spill after a crash (the read offset is saved
 * after every batch, but a crash can land between a write and that save). Both are harmless:
 * trade updates are $set by unique key, so re-applying a prefix of an ordered sequence and then
 * the whole sequence ends in the same state, and every event carries an id (assigned here) that
 * the stores index unique and skip when they see it again.
 */
import { randomBytes } from 'crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  appendFileSync,
} from 'fs';
import { open as openFile, type FileHandle } from 'fs/promises';
import { dirname, join } from 'path';
import { StoreError } from '../errors';
import type { LedgerEvent, Store, TradeUpdate } from './types';

export type LedgerOp = { op: 'trade'; update: TradeUpdate } | { op: 'event'; event: LedgerEvent };

export const SPILL_FILE_NAME = 'ledger-spill.jsonl';

/** Enqueued writes wait this long for company before a flush starts (ms). */
const FLUSH_DELAY_MS = 10;

export interface LedgerWriterOptions {
  /** See FLUSH_DELAY_MS. */
  flushDelayMs?: number;
  /** Ops held in memory; beyond this they go to the spill file (or are dropped without one). */
  maxQueue: number;
  /** Folder of the spill file (SPILL_FILE_NAME inside it). */
  spillDir?: string;
  /** Spill file path; wins over spillDir. With neither, overflow is dropped, counted and reported. */
  spillFile?: string;
  /** Spill size past which ops are dropped after all (disk protection); default 2 GiB. */
  maxSpillBytes?: number;
  batchSize?: number;
  /** Delay before retrying after a failed flush, doubling up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  onError?: (err: Error, pending: number) => void;
  onRecover?: (pending: number) => void;
  onOverflow?: (dropped: number) => void;
  /** The memory queue is full and ops now go to the spill file (once per episode). */
  onSpill?: (file: string, pending: number) => void;
  /** The store refused one op as invalid (StoreError E_STORE_REJECTED); it is kept in <spill>.rejected. */
  onReject?: (op: LedgerOp, err: Error) => void;
}

interface SpillEntry {
  /** undefined: a line that does not parse (torn by a crash); skipped. */
  op: LedgerOp | undefined;
  bytes: number;
}

interface Spill {
  file: string;
  /** Append descriptor. */
  fd: number;
  /** Bytes in the file (all complete lines). */
  size: number;
  /** Start of the first line not yet written to the store; saved to <file>.offset. */
  offset: number;
  /** Lines in [offset, size). */
  ops: number;
  /** Parsed lines read ahead, starting at offset. */
  ahead: SpillEntry[];
  /** End of the read-ahead. */
  readPos: number;
  reader: FileHandle | undefined;
}

const READ_CHUNK = 1 << 20;
const SPILL_HINT = 'check free disk space and permissions of the data folder';

/** Errors a store raises for a document it will never accept; anything else is retried. */
function isRejection(e: unknown): boolean {
  return e instanceof StoreError && e.code === 'E_STORE_REJECTED';
}

export class LedgerWriter {
  private queue: LedgerOp[] = [];
  private head = 0;
  private spill: Spill | undefined;
  private readonly spillFile: string | undefined;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private retryDelay: number;
  private stopped = false;
  /** After a rejected batch: ops left to write one at a time, to find the bad one. */
  private singles = 0;
  private readonly idPrefix = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  private idSeq = 0;
  /** Ops written to the store. */
  written = 0;
  /** Ops lost: no spill file configured, or the spill could not be written. */
  dropped = 0;
  /** Ops that went through the spill file. */
  spilled = 0;
  /** Ops the store refused as invalid (kept in <spill>.rejected). */
  rejected = 0;
  /** Unreadable spill lines skipped (a line torn by a crash). */
  corrupt = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: LedgerWriterOptions,
  ) {
    this.retryDelay = opts.retryMs ?? 200;
    this.spillFile = opts.spillFile ?? (opts.spillDir ? join(opts.spillDir, SPILL_FILE_NAME) : undefined);
    if (this.spillFile) this.resumeSpill(this.spillFile);
  }

  /** Ops not yet written: in memory plus in the spill file. */
  get pending(): number {
    return this.queue.length - this.head + (this.spill?.ops ?? 0);
  }

  /** Ops waiting in memory (at most maxQueue). */
  get inMemory(): number {
    return this.queue.length - this.head;
  }

  /** True while new ops go to the spill file. */
  get spilling(): boolean {
    return this.spill !== undefined;
  }

  get spillPath(): string | undefined {
    return this.spillFile;
  }

  trade(update: TradeUpdate): void {
    this.enqueue({ op: 'trade', update });
  }

  /** Stamps an id on `event` when it has none. */
  event(event: LedgerEvent): void {
    this.enqueue({ op: 'event', event });
  }

  enqueue(op: LedgerOp): void {
    if (this.stopped) {
      this.dropped++;
      this.opts.onOverflow?.(this.dropped);
      return;
    }
    // The id is stamped on the event given (each caller builds a new one): no copy per event.
    if (op.op === 'event' && !op.event.id) op.event.id = this.nextEventId();
    if (this.spill) {
      this.appendToSpill(op);
    } else if (this.queue.length - this.head >= this.opts.maxQueue) {
      if (!this.spillFile || !this.startSpill(this.spillFile)) {
        this.dropped++;
        this.opts.onOverflow?.(this.dropped);
        return;
      }
      this.appendToSpill(op);
    } else {
      this.queue.push(op);
    }
    // While the store is failing only the retry timer flushes, so a burst of enqueues cannot
    // turn into a burst of doomed attempts. The short delay gathers a fan-out's writes into one
    // batch instead of one store call per write competing with the copy path.
    if (!this.failing) this.schedule(this.opts.flushDelayMs ?? FLUSH_DELAY_MS);
  }

  private nextEventId(): string {
    return `${this.idPrefix}-${(++this.idSeq).toString(36)}`;
  }

  private schedule(delay: number): void {
    if (this.timer || this.flushing || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    this.timer.unref?.();
  }

  /** Writes everything queued so far; resolves when the queue is empty or a write failed. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 500;
    while (!this.stopped) {
      const max = this.singles > 0 ? 1 : batchSize;
      let run: LedgerOp[];
      let runBytes = 0;
      const fromSpill = this.queue.length === this.head;
      if (!fromSpill) {
        // Memory ops are always older than spilled ones: the spill only starts when memory is full.
        run = this.queue.slice(this.head, Math.min(this.queue.length, this.head + max));
      } else if (this.spill && this.spill.ops > 0) {
        const ahead = await this.readAhead(this.spill, max);
        if (ahead.length === 0) {
          this.spill.ops = 0;
          continue;
        }
        if (ahead[0].op === undefined) {
          this.corrupt++;
          this.consumeSpill(this.spill, 1, ahead[0].bytes);
          this.opts.onError?.(new StoreError(`skipped an unreadable line in ${this.spill.file}`, 'a line torn by a crash; the ops around it are kept'), this.pending);
          continue;
        }
        run = [];
        for (const e of ahead) {
          if (run.length >= max || e.op === undefined) break;
          run.push(e.op);
          runBytes += e.bytes;
        }
      } else {
        // Nothing left anywhere. No await since the checks above, so no enqueue can slip in
        // between them and the switch back to the memory queue.
        if (this.spill) this.endSpill();
        return;
      }

      let runWritten = run.length;
      try {
        // Trades and events live in separate collections, so one window becomes (at most) one
        // call for each, each in enqueue order. Keeping runs of one kind instead would turn the
        // engine's trade, event, trade, event pattern into one round trip per op.
        const trades: TradeUpdate[] = [];
        const events: LedgerEvent[] = [];
        for (const o of run) {
          if (o.op === 'trade') trades.push(o.update);
          else events.push(o.event);
        }
        if (trades.length) await this.store.upsertTrades(trades);
        if (events.length) await this.store.appendEvents(events);
      } catch (e) {
        const err = e as Error;
        if (isRejection(err)) {
          if (run.length > 1) {
            this.singles = run.length;
            continue;
          }
          this.reject(run[0], err);
          runWritten = 0;
        } else {
          if (!this.failing) this.opts.onError?.(err, this.pending);
          this.failing = true;
          const delay = this.retryDelay;
          this.retryDelay = Math.min(this.retryDelay * 2, this.opts.maxRetryMs ?? 5_000);
          if (!this.stopped) {
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              void this.flush();
            }, delay);
            this.retryTimer.unref?.();
          }
          return;
        }
      }
      if (fromSpill) this.consumeSpill(this.spill!, run.length, runBytes);
      else this.consumeMemory(run.length);
      this.singles = Math.max(0, this.singles - run.length);
      this.written += runWritten;
      if (this.failing) {
        this.failing = false;
        this.retryDelay = this.opts.retryMs ?? 200;
        this.opts.onRecover?.(this.pending);
      }
    }
  }

  private consumeMemory(n: number): void {
    this.head += n;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private reject(op: LedgerOp, err: Error): void {
    this.rejected++;
    if (this.spillFile) {
      try {
        mkdirSync(dirname(this.spillFile), { recursive: true });
        appendFileSync(`${this.spillFile}.rejected`, JSON.stringify({ time: new Date().toISOString(), error: err.message, ...op }) + '\n');
      } catch {
        // The callback below still reports the op; a full disk must not stop the ledger.
      }
    }
    this.opts.onReject?.(op, err);
  }

  // ---- spill file ----

  private offsetFile(file: string): string {
    return `${file}.offset`;
  }

  /** Picks up a spill left by an earlier writer: it is replayed before any new op. */
  private resumeSpill(file: string): void {
    if (!existsSync(file)) {
      rmQuiet(this.offsetFile(file));
      return;
    }
    const fd = openSync(file, 'a+');
    let size = fstatSync(fd).size;
    if (size === 0) {
      closeSync(fd);
      rmQuiet(file);
      rmQuiet(this.offsetFile(file));
      return;
    }
    let offset = 0;
    try {
      const saved = Number(readFileSync(this.offsetFile(file), 'utf8').trim());
      if (Number.isInteger(saved) && saved >= 0 && saved <= size) offset = saved;
    } catch {
      // No offset saved yet: replaying from the start is safe, only slower.
    }
    // Count lines and end a line torn by a crash, so the next append starts a line of its own.
    let ops = 0;
    let last = 0x0a;
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (let pos = offset; pos < size; ) {
      const n = readSync(fd, buf, 0, Math.min(READ_CHUNK, size - pos), pos);
      if (n <= 0) break;
      for (let i = 0; i < n; i++) if (buf[i] === 0x0a) ops++;
      last = buf[n - 1];
      pos += n;
    }
    if (last !== 0x0a) {
      writeSync(fd, '\n');
      size++;
      ops++;
    }
    this.spill = { file, fd, size, offset, ops, ahead: [], readPos: offset, reader: undefined };
    if (offset === size) this.spill.ops = 0;
    this.schedule(0);
  }

  private startSpill(file: string): boolean {
    try {
      mkdirSync(dirname(file), { recursive: true });
      rmQuiet(this.offsetFile(file));
      const fd = openSync(file, 'a');
      const size = fstatSync(fd).size;
      this.spill = { file, fd, size, offset: size, ops: 0, ahead: [], readPos: size, reader: undefined };
    } catch (e) {
      this.opts.onError?.(new StoreError(`cannot open ledger spill file ${file}: ${(e as Error).message}`, SPILL_HINT, { cause: e }), this.pending);
      return false;
    }
    this.opts.onSpill?.(file, this.pending);
    return true;
  }

  private appendToSpill(op: LedgerOp): void {
    const s = this.spill!;
    const line = Buffer.from(JSON.stringify(op) + '\n');
    if (s.size + line.length > (this.opts.maxSpillBytes ?? 2 ** 31)) {
      this.dropped++;
      this.opts.onOverflow?.(this.dropped);
      return;
    }
    try {
      let done = 0;
      while (done < line.length) done += writeSync(s.fd, line, done, line.length - done);
    } catch (e) {
      this.dropped++;
      this.opts.onOverflow?.(this.dropped);
      this.opts.onError?.(new StoreError(`cannot write ledger spill file ${s.file}: ${(e as Error).message}`, SPILL_HINT, { cause: e }), this.pending);
      return;
    }
    s.size += line.length;
    s.ops++;
    this.spilled++;
  }

  private async readAhead(s: Spill, want: number): Promise<SpillEntry[]> {
    if (s.ahead.length >= want || s.readPos >= s.size) return s.ahead;
    s.reader ??= await openFile(s.file, 'r');
    const len = Math.min(READ_CHUNK, s.size - s.readPos);
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await s.reader.read(buf, 0, len, s.readPos);
    let start = 0;
    for (let i = 0; i < bytesRead; i++) {
      if (buf[i] !== 0x0a) continue;
      const text = buf.toString('utf8', start, i);
      let op: LedgerOp | undefined;
      try {
        const v = JSON.parse(text) as LedgerOp;
        if (v && (v.op === 'trade' || v.op === 'event')) op = v;
      } catch {
        op = undefined;
      }
      s.ahead.push({ op, bytes: i + 1 - start });
      start = i + 1;
    }
    if (start === 0 && bytesRead === READ_CHUNK) {
      // One line longer than a chunk: no op is that big, so it is garbage.
      s.ahead.push({ op: undefined, bytes: bytesRead });
      start = bytesRead;
    }
    s.readPos += start;
    return s.ahead;
  }

  private consumeSpill(s: Spill, n: number, bytes: number): void {
    s.ahead.splice(0, n);
    s.offset += bytes;
    s.ops -= n;
    try {
      writeFileSync(this.offsetFile(s.file), String(s.offset));
    } catch {
      // Losing the offset only means replaying more (harmlessly) after a crash.
    }
  }

  private endSpill(): void {
    const s = this.spill!;
    this.spill = undefined;
    closeQuiet(s.fd);
    void s.reader?.close().catch(() => undefined);
    // Offset first: a crash between the two leaves a spill that is replayed whole, which is safe.
    rmQuiet(this.offsetFile(s.file));
    rmQuiet(s.file);
  }

  /**
   * Flushes what it can within timeoutMs, then stops. What is left in memory is moved into the
   * spill file (when there is one), ahead of what was already spilled, so the next start writes it.
   * Returns the number of ops not written to the store.
   */
  async close(timeoutMs = 5_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.pending > 0) await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
    }
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = undefined;
    if (this.flushing) await this.flushing.catch(() => undefined);
    const left = this.pending;
    const inMemory = this.queue.length - this.head;
    if (inMemory > 0 && this.spillFile) this.persistMemory(this.spillFile);
    if (this.spill) {
      closeQuiet(this.spill.fd);
      await this.spill.reader?.close().catch(() => undefined);
      this.spill = undefined;
    }
    return left;
  }

  private persistMemory(file: string): void {
    const tmp = `${file}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      const lines = this.queue.slice(this.head).map((op) => JSON.stringify(op) + '\n');
      writeFileSync(tmp, lines.join(''));
      if (this.spill) {
        // Only the part not yet written: the saved offset belongs to the old layout.
        const rest = readFileSync(this.spill.file).subarray(this.spill.offset);
        appendFileSync(tmp, rest);
      }
      rmQuiet(this.offsetFile(file));
      renameSync(tmp, file);
      this.queue = [];
      this.head = 0;
    } catch (e) {
      this.opts.onError?.(new StoreError(`cannot save ${this.queue.length - this.head} unwritten ledger ops to ${file}: ${(e as Error).message}`, SPILL_HINT, { cause: e }), this.pending);
    }
  }
}

function rmQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function closeQuiet(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
