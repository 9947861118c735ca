/** Logging: winston for the running hub, a tiny interface for everything that logs. */
import { readdirSync, unlinkSync } from 'fs';
import { basename, dirname, extname, join } from 'path';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';

export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  /**
   * Several lines at once, in order: the text console writes them with one write per stream (a
   * fan-out's decision lines to 200 slaves were 200 write calls). Loggers without it get one call a line.
   */
  writeLines?(entries: readonly LogEntry[]): void;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogEntry = readonly [level: LogLevel, message: string, meta?: Record<string, unknown>];

export type LogFormat = 'text' | 'json';

export interface LogOptions {
  level?: string;
  /** Console lines: text (date, time and zone, level, message) or one JSON object per line. */
  format?: LogFormat;
  /** JSON lines to this file, a file a day: the date goes before the extension (hub-2026-12-02.log). */
  file?: string;
  /** Days of log files kept; older ones are deleted. Default 14. */
  retentionDays?: number;
  /** false: no console output (tests). */
  console?: boolean;
  /** Receives every line as well (tests, demo). */
  sink?: (level: string, message: string, meta: Record<string, unknown>) => void;
}

export const LOG_RETENTION_DAYS = 14;

/** The local offset as +01:00 / -05:00, so a line read on another machine says when it was. */
function zone(d: Date): string {
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** Local date, time with milliseconds and zone: 2026-12-02 09:15:02.123 +01:00. */
export function stamp(d = new Date()): string {
  return (
    `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}` +
    `.${String(d.getMilliseconds()).padStart(3, '0')} ${zone(d)}`
  );
}

// A decision writes one line, a fan-out hundreds within a millisecond or two: the date, time to
// the second and zone are formatted once a second (the zone can only change on a second).
let stampSecond = NaN;
let stampHead = '';
let stampZone = '';

/** stamp() of now, formatting only the milliseconds again within one second. */
export function stampNow(ms = Date.now()): string {
  const second = Math.floor(ms / 1000);
  if (second !== stampSecond) {
    const d = new Date(ms);
    stampSecond = second;
    stampHead = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.`;
    stampZone = ` ${zone(d)}`;
  }
  const milli = ms - second * 1000;
  return stampHead + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + stampZone;
}

const PADDED: Record<string, string> = { error: 'error', warn: 'warn ', info: 'info ', debug: 'debug' };

/** hub.log -> hub-%DATE%.log, the name pattern of the daily files. */
export function dailyPattern(file: string): string {
  const ext = extname(file);
  return ext ? `${file.slice(0, -ext.length)}-%DATE%${ext}` : `${file}-%DATE%.log`;
}

/**
 * Deletes the daily files of `file` dated more than `days` days ago. The transport deletes only the
 * files it rotated itself while running; this also clears those of earlier runs at start.
 */
export function sweepOldLogs(file: string, days: number, now = new Date()): string[] {
  const dir = dirname(file);
  const ext = extname(file) || '.log';
  const base = basename(file, extname(file));
  const cutoff = new Date(now.getFullYear(), now.getMonth(), now.getDate() - days);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(`${base}-`) || !name.endsWith(ext)) continue;
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(name.slice(base.length + 1, name.length - ext.length));
    if (!m || new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) >= cutoff) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // Held open elsewhere (Windows) or already gone: tried again at the next start.
    }
  }
  return removed;
}

const jsonLine = winston.format.combine(winston.format.timestamp({ format: () => new Date().toISOString() }), winston.format.json());

/**
 * The text console, written directly: winston's console transport (printf format, logform, a
 * stream pipeline) cost 10-15 µs a line, several times the decision the line reports. A write to
 * a file, pipe or terminal is synchronous in Node, as it was through winston: no line is lost.
 */
function textConsole(): (level: string, message: string) => void {
  watchConsoles();
  return (level, message) => {
    if (consoleClosed) return;
    // Warnings and errors on stderr, so `hub start > out.log` still shows them on screen.
    const stream = level === 'error' || level === 'warn' ? process.stderr : process.stdout;
    stream.write(textLine(level, message));
  };
}

const textLine = (level: string, message: string) => `${stampNow()} ${PADDED[level] ?? level.padEnd(5)} ${message}\n`;

/** Lines of one batch: each stream gets its lines in one write, stdout's first. */
function writeTextLines(entries: readonly LogEntry[]): void {
  if (consoleClosed) return;
  let out = '';
  let err = '';
  for (const [level, message] of entries) {
    if (level === 'error' || level === 'warn') err += textLine(level, message);
    else out += textLine(level, message);
  }
  if (out) process.stdout.write(out);
  if (err) process.stderr.write(err);
}

export function createLogger(opts: LogOptions = {}): Logger {
  const transports: winston.transport[] = [];
  let text: ((level: string, message: string) => void) | undefined;
  if (opts.console !== false && opts.format === 'json') {
    const console = new winston.transports.Console({ stderrLevels: ['error', 'warn'], format: jsonLine });
    transports.push(console);
    quietOnClosedConsole(console);
  } else if (opts.console !== false) {
    text = textConsole();
  }
  if (opts.file) {
    sweepOldLogs(opts.file, opts.retentionDays ?? LOG_RETENTION_DAYS);
    transports.push(
      new DailyRotateFile({
        filename: dailyPattern(opts.file),
        datePattern: 'YYYY-MM-DD',
        maxFiles: `${opts.retentionDays ?? LOG_RETENTION_DAYS}d`,
        format: jsonLine,
      }),
    );
  }
  const w = transports.length ? winston.createLogger({ level: opts.level ?? 'info', transports }) : undefined;
  const order = ['error', 'warn', 'info', 'debug'];
  const threshold = order.indexOf(opts.level ?? 'info');
  const emit = (level: LogLevel) => (message: string, meta: Record<string, unknown> = {}) => {
    if (order.indexOf(level) > threshold) return;
    text?.(level, message);
    w?.log(level, message, meta);
    opts.sink?.(level, message, meta);
  };
  const writeLines = (entries: readonly LogEntry[]) => {
    const shown = entries.filter(([level]) => order.indexOf(level) <= threshold);
    if (text) writeTextLines(shown);
    for (const [level, message, meta = {}] of shown) {
      w?.log(level, message, meta);
      opts.sink?.(level, message, meta);
    }
  };
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug'), writeLines };
}

/**
 * A console that went away (`hub start | head` after head exits, a closed terminal window) makes
 * writes fail with EPIPE, which Node raises as an uncaught error on the stream: the hub would die
 * with a stack trace. The console transport is silenced instead; the hub and its log file go on.
 */
const consoles = new Set<winston.transport>();
let watching = false;
let consoleClosed = false;

function quietOnClosedConsole(console: winston.transport): void {
  consoles.add(console);
  watchConsoles();
}

function watchConsoles(): void {
  if (watching) return;
  watching = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
      consoleClosed = true;
      for (const c of consoles) c.silent = true;
    });
  }
}

/** A logger that keeps lines in memory; for tests. */
export function memoryLogger(level = 'debug'): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const logger = createLogger({ level, console: false, sink: (l, m) => lines.push({ level: l, message: m }) });
  return Object.assign(logger, { lines });
}

/** Longest account name (or other identifier) from the wire that goes into a log line. */
export const NAME_MAX = 64;
/** Longest free text from the wire (error texts, comments) that goes into a log line. */
export const TEXT_MAX = 200;

// C0 and C1 controls, DEL, line and paragraph separators, bidirectional overrides (they make a log
// line read other than it is) and lone surrogates. The backslash is left alone so that escaping
// twice changes nothing (the codec escapes the wire parts of its messages, the log line again).
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const short = SHORT[c];
  if (short) return short;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text that came off the wire, made safe for one log line: control characters, newlines and the
 * like escaped (\n, \x1b, \u202e), at most `max` characters shown, then "…(+N chars)" saying how
 * many of the original were left out. Anything not a string is shown as String(value).
 */
export function untrusted(value: unknown, max = TEXT_MAX): string {
  const s = typeof value === 'string' ? value : String(value);
  if (s.length <= max && !UNSAFE.test(s)) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const code = s.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const c = pair ? s.slice(i, i + 2) : s[i];
    const shown = UNSAFE.test(c) ? escapeChar(c) : c;
    if (out.length + shown.length > max) break;
    out += shown;
    i += c.length;
  }
  return i < s.length ? `${out}…(+${s.length - i} chars)` : out;
}

export interface Suppressed {
  kind: string;
  sender: string;
  count: number;
  windowMs: number;
}

export interface SenderLimiterOptions {
  /** Warnings let through per (kind, sender) per window; default 5. */
  perWindow?: number;
  /** Default 10 s. */
  windowMs?: number;
  /** Senders tracked at once; beyond, new senders share the bucket UNKNOWN_SENDERS. Default 1,000. */
  maxKeys?: number;
  now?: () => number;
  /** Said once when a (kind, sender) starts being suppressed in a window. */
  onSuppressing?(kind: string, sender: string, windowMs: number): void;
  /** How many were suppressed in a window, said once that window is over. */
  onSuppressed(s: Suppressed): void;
}

interface Bucket {
  kind: string;
  sender: string;
  start: number;
  count: number;
}

/**
 * Bounds repeated warnings of one kind from one sender (hostile or broken input): the first
 * `perWindow` of each window pass, the rest are counted and reported in one summary once the
 * window is over. The summary comes out at the next warning of any kind, or at flush() (call it
 * from a periodic tick): no timers of its own, so nothing fires after its owner stopped.
 * Memory is bounded: at most maxKeys buckets, the least recently used evicted once its window is
 * over, and senders beyond go to one shared bucket per kind.
 */
export class SenderLimiter {
  static readonly UNKNOWN_SENDERS = 'unknown senders';
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** Least recently used first (Map order, re-inserted on use). */
  private readonly buckets = new Map<string, Bucket>();
  /** Buckets with a suppressed count to report. */
  private readonly pending = new Set<Bucket>();

  constructor(private readonly opts: SenderLimiterOptions) {
    this.perWindow = opts.perWindow ?? 5;
    this.windowMs = opts.windowMs ?? 10_000;
    this.maxKeys = opts.maxKeys ?? 1_000;
    this.now = opts.now ?? Date.now;
  }

  /** Buckets held (for tests and for the memory bound). */
  get size(): number {
    return this.buckets.size;
  }

  /** True when this warning should be written; false when it is counted instead. */
  allow(kind: string, sender: string): boolean {
    const now = this.now();
    this.flush(now);
    const b = this.bucket(kind, sender, now);
    if (now - b.start >= this.windowMs) this.restart(b, now);
    b.count++;
    if (b.count <= this.perWindow) return true;
    if (b.count === this.perWindow + 1) {
      this.pending.add(b);
      this.opts.onSuppressing?.(b.kind, b.sender, this.windowMs);
    }
    return false;
  }

  /** Reports the suppressed counts of windows that are over. */
  flush(now = this.now()): void {
    for (const b of this.pending) if (now - b.start >= this.windowMs) this.restart(b, now);
  }

  private bucket(kind: string, sender: string, now: number): Bucket {
    const key = `${kind}\u0000${sender}`;
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key);
      this.buckets.set(key, b);
      return b;
    }
    // A table full of live buckets: the sender shares its kind's bucket of unknown senders, the
    // one bucket allowed beyond maxKeys (one per kind, and kinds are few).
    if (this.buckets.size >= this.maxKeys && !this.evictOldest(now) && sender !== SenderLimiter.UNKNOWN_SENDERS) {
      return this.bucket(kind, SenderLimiter.UNKNOWN_SENDERS, now);
    }
    b = { kind, sender, start: now, count: 0 };
    this.buckets.set(key, b);
    return b;
  }

  private evictOldest(now: number): boolean {
    const first = this.buckets.entries().next();
    if (first.done) return false;
    const [key, b] = first.value;
    if (now - b.start < this.windowMs) return false;
    this.restart(b, now);
    this.buckets.delete(key);
    return true;
  }

  /** Ends a bucket's window, reporting what it suppressed, and starts a new one. */
  private restart(b: Bucket, now: number): void {
    if (this.pending.delete(b)) {
      this.opts.onSuppressed({ kind: b.kind, sender: b.sender, count: b.count - this.perWindow, windowMs: this.windowMs });
    }
    b.start = now;
    b.count = 0;
  }
}

/** The summary line of a suppressed count. */
export function suppressedLine(s: Suppressed): string {
  return `… suppressed ${s.count} similar warnings (${s.kind}) from ${s.sender} in the last ${Math.round(s.windowMs / 1000)} s`;
}
