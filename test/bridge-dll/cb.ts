/**
 * Loads the Linux build of the bridge library through koffi and exposes its C interface as the
 * EA sees it: byte arrays with explicit lengths, 64-bit handles, int status codes, caller-owned
 * buffers. Constants come from bridge-dll/include/copybridge.h itself (one source of truth).
 */
import * as fs from 'fs';
import * as path from 'path';
import koffi from 'koffi';
import { until } from '../helpers';

export const REPO = path.resolve(__dirname, '../..');
export const HEADER = path.join(REPO, 'bridge-dll/include/copybridge.h');
export const LINUX_LIB = path.join(REPO, 'build/bridge/linux/libcopybridge.so');
export const WINDOWS_DIR = path.join(REPO, 'build/bridge/windows');
export const BUILD_INFO = path.join(REPO, 'build/bridge/build-info.json');

/** Every `#define CB_NAME <integer expression>` of the header. */
export function headerConstants(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of fs.readFileSync(HEADER, 'utf8').matchAll(/^#define\s+(CB_[A-Z0-9_]+)\s+([-()\d\s*+]+?)\s*(?:\/\*.*)?$/gm)) {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the text is only digits, spaces, parentheses, + - and *
    if (/^[-()\d\s*+]+$/.test(m[2])) out[m[1]] = Function(`return (${m[2]});`)() as number;
  }
  return out;
}

export const CB = headerConstants();

/** The release version: the root package.json is its one source (the build stamps it into the library and the EA). */
export const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** The numbers of a major.minor.patch version, and cb_version()'s packing of them. */
export function versionParts(version: string): { major: number; minor: number; patch: number; packed: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`version ${version} is not major.minor.patch`);
  const [major, minor, patch] = m.slice(1).map(Number);
  return { major, minor, patch, packed: major * 10000 + minor * 100 + patch };
}

/** Fails with the instruction a developer needs, instead of skipping. */
export function requireBuilt(file: string): string {
  if (!fs.existsSync(file)) {
    throw new Error(`${path.relative(REPO, file)} is missing: build the bridge first with \`npm run build:bridge\``);
  }
  return file;
}

/** The calls as function-valued fields: each also carries koffi's `.async`, so tests pass them around. */
export interface Bridge {
  version: () => number;
  zmqVersion: () => number;
  open: (push: Buffer | null, pushLen: number, sub: Buffer | null, subLen: number, topic: Buffer | null, topicLen: number) => number;
  openCurve: (push: Buffer, pushLen: number, sub: Buffer, subLen: number, topic: Buffer, topicLen: number,
              serverPublic: Buffer | null, serverPublicLen: number, clientPublic: Buffer | null, clientPublicLen: number,
              clientSecret: Buffer | null, clientSecretLen: number) => number;
  send: (h: number, data: Buffer | null, len: number) => number;
  recv: (h: number, buf: Buffer | null, cap: number, needed: number[] | null) => number;
  pending: (h: number) => number;
  setWakeup: (h: number, hwnd: number, msg: number) => number;
  lastError: (h: number, buf: Buffer | null, cap: number) => number;
  strerror: (status: number) => string;
  strerrorR: (status: number, buf: Buffer | null, cap: number) => number;
  close: (h: number) => number;
  handleCount: () => number;
  dropped: (h: number) => number;
  recvDropped: (h: number) => number;
}

let loaded: Bridge | undefined;

export function loadBridge(): Bridge {
  if (loaded) return loaded;
  const lib = koffi.load(requireBuilt(LINUX_LIB));
  loaded = {
    version: lib.func('int cb_version(void)'),
    zmqVersion: lib.func('int cb_zmq_version(void)'),
    open: lib.func('long long cb_open(const uint8_t *push, int push_len, const uint8_t *sub, int sub_len, const uint8_t *topic, int topic_len)'),
    openCurve: lib.func('long long cb_open_curve(const uint8_t *push, int push_len, const uint8_t *sub, int sub_len, const uint8_t *topic, int topic_len, const uint8_t *sp, int sp_len, const uint8_t *cp, int cp_len, const uint8_t *cs, int cs_len)'),
    send: lib.func('int cb_send(long long h, const uint8_t *data, int len)'),
    recv: lib.func('int cb_recv(long long h, uint8_t *buf, int cap, _Out_ int *needed)'),
    pending: lib.func('int cb_pending(long long h)'),
    setWakeup: lib.func('int cb_set_wakeup(long long h, long long hwnd, int msg)'),
    lastError: lib.func('int cb_last_error(long long h, uint8_t *buf, int cap)'),
    strerror: lib.func('const char *cb_strerror(int status)'),
    strerrorR: lib.func('int cb_strerror_r(int status, uint8_t *buf, int cap)'),
    close: lib.func('int cb_close(long long h)'),
    handleCount: lib.func('int cb_handle_count(void)'),
    dropped: lib.func('long long cb_dropped(long long h)'),
    recvDropped: lib.func('long long cb_recv_dropped(long long h)'),
  };
  return loaded;
}

/** What MQL5's StringToCharArray(s, buf, 0, WHOLE_ARRAY, CP_UTF8) produces: UTF-8 plus a NUL,
 *  and the count it returns (NUL included). The bridge ignores trailing NULs. */
export function mqlString(s: string): [Buffer, number] {
  const b = Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);
  return [b, b.length];
}

/** A thin client in the EA's style on top of the raw calls. */
export class Conn {
  readonly buf = Buffer.alloc(64 * 1024);
  constructor(readonly cb: Bridge, readonly h: number) {}

  static open(cb: Bridge, push: string, sub: string, topic: string): Conn {
    const h = cb.open(...mqlString(push), ...mqlString(sub), ...mqlString(topic));
    if (h <= 0) throw new Error(`cb_open failed (${h}): ${lastError(cb, 0)}`);
    return new Conn(cb, h);
  }

  /** cb_open_curve, as the EA calls it when InpServerKey is set. */
  static openCurve(cb: Bridge, push: string, sub: string, topic: string, keys: { serverKey: string; publicKey: string; secretKey: string }): Conn {
    const h = cb.openCurve(...mqlString(push), ...mqlString(sub), ...mqlString(topic), ...mqlString(keys.serverKey), ...mqlString(keys.publicKey), ...mqlString(keys.secretKey));
    if (h <= 0) throw new Error(`cb_open_curve failed (${h}): ${lastError(cb, 0)}`);
    return new Conn(cb, h);
  }

  send(text: string | Buffer): number {
    const b = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    return this.cb.send(this.h, b, b.length);
  }

  sendJson(obj: unknown): number {
    return this.send(JSON.stringify(obj));
  }

  /** One message as text, null when none waits; grows the buffer on CB_ETRUNC like an EA. */
  recv(): string | null {
    let buf = this.buf;
    for (;;) {
      const needed = [0];
      const n = this.cb.recv(this.h, buf, buf.length, needed);
      if (n === 0) return null;
      if (n === CB.CB_ETRUNC) {
        buf = Buffer.alloc(needed[0]);
        continue;
      }
      if (n < 0) throw new Error(`cb_recv failed (${n}): ${lastError(this.cb, this.h)}`);
      return buf.subarray(0, n).toString('utf8');
    }
  }

  /** Polls like OnTimer until a message satisfying pred arrives (others are kept in `seen`). */
  async waitFor(pred: (m: any) => boolean, timeoutMs = 5000, seen: any[] = []): Promise<any> {
    return until(() => {
      let s: string | null;
      while ((s = this.recv()) !== null) {
        const m = JSON.parse(s);
        seen.push(m);
        if (pred(m)) return m;
      }
      return undefined;
    }, { timeoutMs, everyMs: 2, what: 'a matching message', detail: () => `got ${seen.length}: ${JSON.stringify(seen).slice(0, 300)}` });
  }

  /**
   * The EA's hello loop: `hello(seq)` now and every 200 ms (the EA: every second) until a
   * welcome or an error arrives.
   */
  async handshake(hello: (seq: number) => unknown, seen: any[] = []): Promise<any> {
    let seq = 1;
    this.sendJson(hello(seq++));
    const timer = setInterval(() => this.sendJson(hello(seq++)), 200);
    try {
      return await this.waitFor((m) => m.type === 'welcome' || m.type === 'error', 10_000, seen);
    } finally {
      clearInterval(timer);
    }
  }

  close(): number {
    return this.cb.close(this.h);
  }
}

export function lastError(cb: Bridge, h: number): string {
  const buf = Buffer.alloc(600);
  const n = cb.lastError(h, buf, buf.length);
  return buf.subarray(0, Math.max(0, Math.min(n, buf.length - 1))).toString('utf8');
}
