import { readdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { createLogger, dailyPattern, stamp, stampNow, SenderLimiter, suppressedLine, untrusted, type Suppressed } from '../../hub/log';
import { removeTempDirs, tempDir, until } from '../helpers';

afterAll(() => removeTempDirs());

describe('console and file lines', () => {
  it('stamps date, time with milliseconds and the zone offset', () => {
    const d = new Date(2026, 11, 2, 9, 5, 7, 42);
    expect(stamp(d)).toMatch(/^2026-12-02 09:05:07\.042 [+-]\d\d:\d\d$/);
    const off = -d.getTimezoneOffset();
    expect(stamp(d).endsWith(`${off < 0 ? '-' : '+'}${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`)).toBe(true);
  });

  it('stamps with the date and time formatted once a second the same as each time', () => {
    const base = new Date(2026, 11, 2, 23, 59, 58, 0).getTime();
    for (const ms of [base, base + 7, base + 42, base + 999, base + 1000, base + 1999, base + 2001, base + 123_456]) {
      expect(stampNow(ms)).toBe(stamp(new Date(ms)));
    }
  });

  it('writes text lines to the console directly: info on stdout, warnings on stderr', () => {
    const out: string[] = [];
    const err: string[] = [];
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    try {
      const log = createLogger({ level: 'info' });
      log.info('COPY open M1#7 -> S1', { decision: 'copy' });
      log.warn('ledger slow');
      log.debug('not at info level');
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(out).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d info {2}COPY open M1#7 -> S1\n$/)]);
    expect(err).toEqual([expect.stringMatching(/ warn {2}ledger slow\n$/)]);
  });

  it('writes a batch of lines (a fan-out\'s decisions) in one write per stream, in order, at the logger\'s level', () => {
    const out: string[] = [];
    const err: string[] = [];
    const seen: string[] = [];
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    try {
      const log = createLogger({ level: 'info', sink: (level, message) => seen.push(`${level} ${message}`) });
      log.writeLines!([['info', 'COPY open M1#7 -> S1'], ['debug', 'hidden'], ['warn', 'REFUSE open M1#7 -> S2: no symbol'], ['info', 'COPY open M1#7 -> S3']]);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(out).toHaveLength(1);
    expect(out[0].split('\n').filter(Boolean).map((l) => l.replace(/^\S+ \S+ \S+ /, ''))).toEqual(['info  COPY open M1#7 -> S1', 'info  COPY open M1#7 -> S3']);
    expect(err).toEqual([expect.stringMatching(/ warn {2}REFUSE open M1#7 -> S2: no symbol\n$/)]);
    expect(seen).toEqual(['info COPY open M1#7 -> S1', 'warn REFUSE open M1#7 -> S2: no symbol', 'info COPY open M1#7 -> S3']);
  });

  it('names a file a day after the given name', () => {
    expect(dailyPattern('logs/hub.log')).toBe('logs/hub-%DATE%.log');
    expect(dailyPattern('/var/log/copybridge')).toBe('/var/log/copybridge-%DATE%.log');
  });

  it('writes decisions to the daily JSON file with their fields, and deletes files past the retention', async () => {
    const dir = tempDir('cb-log-');
    // Files of earlier runs: 8 days old goes with a retention of 7 days, 7 days old stays.
    const ymd = (daysAgo: number) => {
      const d = new Date();
      d.setDate(d.getDate() - daysAgo);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    for (const name of [`hub-${ymd(8)}.log`, `hub-${ymd(7)}.log`, 'hub-notes.log', `other-${ymd(30)}.log`]) writeFileSync(join(dir, name), '{}\n');
    const log = createLogger({ console: false, file: join(dir, 'hub.log'), retentionDays: 7 });
    log.info('COPY open M1#7 -> S1', { decision: 'copy', account: 'S1', position: '7', reason: 'open M1#7 -> S1', master: 'M1', slave: 'S1', symbol: 'EURUSD' });
    log.warn('plain warning');
    const today = join(dir, `hub-${ymd(0)}.log`);
    const lines = () => {
      try {
        return readFileSync(today, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      } catch {
        return [];
      }
    };
    await until(() => lines().length === 2, { timeoutMs: 5000, what: 'two JSON lines in the daily file' });
    expect(lines()[0]).toMatchObject({ level: 'info', message: 'COPY open M1#7 -> S1', decision: 'copy', account: 'S1', position: '7', master: 'M1', slave: 'S1', symbol: 'EURUSD' });
    expect(String(lines()[0].timestamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines()[1]).toMatchObject({ level: 'warn', message: 'plain warning' });
    const files = readdirSync(dir);
    expect(files).not.toContain(`hub-${ymd(8)}.log`);
    expect(files).toEqual(expect.arrayContaining([`hub-${ymd(7)}.log`, 'hub-notes.log', `other-${ymd(30)}.log`]));
  });
});

describe('untrusted', () => {
  it('returns plain short text as it is', () => {
    expect(untrusted('Apex-2', 64)).toBe('Apex-2');
    expect(untrusted('C:\\MT5\\terminal64.exe')).toBe('C:\\MT5\\terminal64.exe');
    expect(untrusted('Köln €')).toBe('Köln €');
  });

  it('escapes newlines and control characters so one value stays on one line', () => {
    expect(untrusted('a\nb\r\tc')).toBe('a\\nb\\r\\tc');
    expect(untrusted('\x1b[31mred\x00\x7f\x9b')).toBe('\\x1b[31mred\\x00\\x7f\\x9b');
    expect(untrusted('x\u2028y\u202eevil')).toBe('x\\u2028y\\u202eevil');
    expect(untrusted('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
    expect(untrusted('pair 😀 kept')).toBe('pair 😀 kept');
  });

  it('escaping twice changes nothing', () => {
    const once = untrusted('a\nb\x1bc');
    expect(untrusted(once)).toBe(once);
  });

  it('caps the length and says how much was left out', () => {
    expect(untrusted('x'.repeat(300))).toBe(`${'x'.repeat(200)}…(+100 chars)`);
    expect(untrusted('y'.repeat(70), 64)).toBe(`${'y'.repeat(64)}…(+6 chars)`);
    // The cap is on what is shown: escapes count with their length and are never cut.
    expect(untrusted('\n'.repeat(10), 5)).toBe('\\n\\n…(+8 chars)');
    // Nor is a surrogate pair.
    expect(untrusted('ab😀', 3)).toBe('ab…(+2 chars)');
  });

  it('shows what is not a string', () => {
    expect(untrusted(undefined)).toBe('undefined');
    expect(untrusted(42)).toBe('42');
  });
});

describe('SenderLimiter', () => {
  function limiter(opts: { perWindow?: number; windowMs?: number; maxKeys?: number } = {}) {
    let now = 1_000;
    const summaries: Suppressed[] = [];
    const notices: string[] = [];
    const l = new SenderLimiter({
      ...opts,
      now: () => now,
      onSuppressing: (kind, sender) => notices.push(`${kind}/${sender}`),
      onSuppressed: (s) => summaries.push(s),
    });
    const allowed = (kind: string, sender: string, n: number) => Array.from({ length: n }, () => l.allow(kind, sender)).filter(Boolean).length;
    return { l, summaries, notices, allowed, advance: (ms: number) => (now += ms) };
  }

  it('lets the first few of a kind from a sender through per window, then counts and reports the rest', () => {
    const { l, summaries, notices, allowed, advance } = limiter();
    expect(allowed('rejected E_NOT_JSON', 'S1', 12)).toBe(5);
    expect(notices).toEqual(['rejected E_NOT_JSON/S1']);
    // Other kinds and other senders have their own budget.
    expect(allowed('rejected E_VERSION', 'S1', 2)).toBe(2);
    expect(allowed('rejected E_NOT_JSON', 'S2', 5)).toBe(5);
    expect(summaries).toEqual([]);
    advance(9_999);
    l.flush();
    expect(summaries).toEqual([]);
    advance(1);
    l.flush();
    expect(summaries).toEqual([{ kind: 'rejected E_NOT_JSON', sender: 'S1', count: 7, windowMs: 10_000 }]);
    expect(suppressedLine(summaries[0])).toBe('… suppressed 7 similar warnings (rejected E_NOT_JSON) from S1 in the last 10 s');
    // A new window: a new budget, and nothing reported twice.
    expect(allowed('rejected E_NOT_JSON', 'S1', 5)).toBe(5);
    advance(20_000);
    l.flush();
    expect(summaries).toHaveLength(1);
  });

  it('reports a window that is over at the next warning of any kind, without a flush', () => {
    const { summaries, allowed, advance } = limiter({ perWindow: 1, windowMs: 1000 });
    allowed('a', 'S1', 3);
    advance(1000);
    allowed('b', 'S2', 1);
    expect(summaries).toEqual([{ kind: 'a', sender: 'S1', count: 2, windowMs: 1000 }]);
  });

  it('holds at most maxKeys senders: stale ones are evicted, and beyond that senders share one bucket', () => {
    const { l, summaries, allowed, advance } = limiter({ perWindow: 2, maxKeys: 100 });
    for (let i = 0; i < 100; i++) expect(allowed('unknown account', `name-${i}`, 1)).toBe(1);
    expect(l.size).toBe(100);
    // The table is full of live windows: 1,000 more names share the bucket of unknown senders.
    let through = 0;
    for (let i = 100; i < 1_100; i++) through += allowed('unknown account', `name-${i}`, 1);
    expect(through).toBe(2);
    expect(l.size).toBeLessThanOrEqual(101);
    advance(10_000);
    l.flush();
    expect(summaries).toEqual([{ kind: 'unknown account', sender: SenderLimiter.UNKNOWN_SENDERS, count: 998, windowMs: 10_000 }]);
    // Windows over: new names take the place of the least recently used.
    for (let i = 0; i < 500; i++) allowed('unknown account', `later-${i}`, 1);
    expect(l.size).toBeLessThanOrEqual(101);
  });

  it('reports what an evicted sender had suppressed', () => {
    const { summaries, allowed, advance } = limiter({ perWindow: 1, maxKeys: 1 });
    allowed('k', 'A', 3);
    advance(10_000);
    allowed('k', 'B', 1);
    expect(summaries).toEqual([{ kind: 'k', sender: 'A', count: 2, windowMs: 10_000 }]);
  });
});
