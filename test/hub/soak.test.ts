/**
 * Hostile input against a real hub on loopback ZeroMQ while a master and a slave keep copying:
 * random bytes, bad JSON, invalid and unknown messages with huge and control-character account
 * names and types, from a raw PUSH socket. The hub must not crash, keep copying, write a bounded
 * number of log lines and ledger events, and keep its memory flat.
 */
import v8 from 'v8';
import { runInNewContext } from 'vm';
import { Push } from 'zeromq';
import { startHub, type RunningHub } from '../../hub';
import { createLogger } from '../../hub/log';
import { MASTER_PRESET, SUFFIX_PRESET, SimTerminal, brokerFromPreset } from '../../sim';
import { sleep, until } from '../helpers';
import { startSimTerminal, welcomed } from '../helpers/sim-hub';
import { mulberry32 } from '../../sim/rng';

jest.setTimeout(120_000);

const HOSTILE = 20_000;
const MAX_BYTES = 16 * 1024;


/** A lazy stream of hostile messages: holding 20,000 of them would weigh more than what is measured. */
function* hostileMessages(count: number, rnd: () => number): Generator<string | Buffer | string[]> {
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const controls = (n: number) => Array.from({ length: n }, () => String.fromCharCode(int(32))).join('');
  const name = () => `x${int(1e9).toString(36)}`;
  const evilName = () => `\u001b[31m${name()}\nFAKE LINE ${controls(8)}\u202e`.slice(0, 64);
  const env = (account: string, type: string, extra: Record<string, unknown> = {}) => JSON.stringify({ v: 1, type, account, seq: int(1e6), ts: Date.now(), ...extra });
  const kinds: (() => string | Buffer | string[])[] = [
    () => bytes(1 + int(300)),
    () => `{"account":"${name()}", "type": ${controls(20)} not json`,
    () => env(name(), 'hello'),
    () => env(evilName(), 'heartbeat', { balance: 1, equity: 1, margin: 0, free_margin: 0, trade_allowed: true }),
    () => env(`${name()}${'A'.repeat(5000)}`, 'hello'),
    () => env(name(), `teleport\n${controls(10)}${'T'.repeat(3000)}`),
    () => JSON.stringify({ v: { nested: 'v'.repeat(2000) }, type: 'hello', account: name() }),
    () => env('S1', 'tick', { symbol: 'EURUSD.c', bid: 'x', ask: 1, time_ms: 1 }),
    () => env('M1', 'deal', { deal: controls(30) }),
    () => env(name(), 'heartbeat', { pad: 'p'.repeat(MAX_BYTES) }),
    () => [env(name(), 'hello'), 'second frame'],
    () => `[${int(100)}]`,
  ];
  for (let i = 0; i < count; i++) yield kinds[int(kinds.length)]();
}

/** A full collection, so that heapUsed measures what is kept rather than garbage not yet collected. */
function collect(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapMb(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('hub under hostile input', () => {
  let hub: RunningHub | undefined;
  const terminals: SimTerminal[] = [];
  afterAll(async () => {
    await Promise.all(terminals.map((t) => t.stop()));
    await hub?.stop();
  });

  it('stays up, keeps copying, and bounds its log, its ledger and its memory', async () => {
    let lines = 0;
    const bad: string[] = [];
    const last: string[] = [];
    const log = createLogger({
      level: 'info',
      console: false,
      sink: (_level, message) => {
        lines++;
        last.push(message);
        if (last.length > 20) last.shift();
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/.test(message) || message.length > 1000) bad.push(message);
      },
    });
    hub = await startHub({
      config: { store: 'memory', pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*', heartbeatMs: 300, resendMs: 100, maxMessageBytes: MAX_BYTES },
      accounts: [
        { name: 'M1', type: 'MASTER', enabled: true },
        { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 },
      ],
      logger: log,
      tickMs: 20,
    });
    const h = hub;
    const term = async (account: string, preset: typeof MASTER_PRESET) => {
      const t = await startSimTerminal(h, terminals, { account, broker: brokerFromPreset(preset) });
      await welcomed(t);
      return t;
    };
    const m = await term('M1', MASTER_PRESET);
    const s1 = await term('S1', SUFFIX_PRESET);
    await until(() => h.engine.status().terminals.some((t) => t.name === 'S1' && t.symbols !== undefined), { timeoutMs: 5000, what: 'S1 symbols' });
    const copies = () => s1.positions().filter((p) => p.symbol === 'EURUSD.c').length;
    const roundTrip = async (what: string) => {
      const p = m.buy('EURUSD', 0.1);
      await until(() => copies() === 1, { timeoutMs: 10_000, what: `${what}: copy opened` });
      m.close(p.position);
      await until(() => copies() === 0, { timeoutMs: 10_000, what: `${what}: copy closed` });
    };
    await roundTrip('before');

    const push = new Push({ linger: 0, sendHighWaterMark: 100_000 });
    push.connect(h.pullEndpoint);
    let sentinel = 0;
    /** Sends, then waits until the hub has read all of it: a PUSH socket's messages arrive in order. */
    const flood = async (messages: Iterable<string | Buffer | string[]>) => {
      for (const msg of messages) await push.send(msg);
      const symbol = `SENTINEL.${++sentinel}`;
      await push.send(JSON.stringify({ v: 1, type: 'tick', account: 'S1', seq: 1, ts: Date.now(), symbol, bid: 1, ask: 1, time_ms: 1 }));
      await until(() => h.engine.status().terminals.some((t) => t.name === 'S1' && t.quotes[symbol]), { timeoutMs: 60_000, what: `hub read ${symbol}` });
    };
    try {
      // Warm-up: caches, code and socket buffers reach their working size before the baseline.
      const rnd = mulberry32(1);
      await flood(hostileMessages(2_000, rnd));
      await sleep(200);
      const gc = collect();
      const heapBefore = heapMb(gc);
      const rssBefore = process.memoryUsage().rss / 2 ** 20;
      const linesBefore = lines;

      const chunk = HOSTILE / 4;
      for (let i = 0; i < HOSTILE; i += chunk) {
        await flood(hostileMessages(chunk, rnd));
        await roundTrip(`during the flood, after ${i + chunk} hostile messages`);
      }
      await sleep(500);
      const heapAfter = heapMb(gc);
      const rssAfter = process.memoryUsage().rss / 2 ** 20;
      const floodLines = lines - linesBefore;
      await h.ledger.flush();
      const errors = await h.store.findEvents({ kind: 'error', limit: 100_000 });

      const report = `${floodLines} log lines, ${errors.length} error events, ${s1.errors.length} errors answered to S1, heap ${heapBefore.toFixed(1)} -> ${heapAfter.toFixed(1)} MB, rss ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MB; last lines:\n${last.join('\n')}`;
      expect({ report, bad: bad.slice(0, 5) }).toEqual({ report, bad: [] });
      expect({ report, floodLines: floodLines < 500 }).toEqual({ report, floodLines: true });
      expect({ report, events: errors.length < 500 }).toEqual({ report, events: true });
      // The answers to a registered name someone else uses are bounded too.
      expect({ report, answers: s1.errors.length < 100 }).toEqual({ report, answers: true });
      // Measured after full collections: about 0.5 MB with the limits, 10 MB without them.
      expect({ report, heap: heapAfter - heapBefore < 5 }).toEqual({ report, heap: true });
      // Resident memory also holds socket buffers and code: a generous bound.
      expect({ report, rss: rssAfter - rssBefore < 64 }).toEqual({ report, rss: true });
      expect(last.join('\n')).toMatch(/suppressed/);
    } finally {
      push.close();
    }
    await roundTrip('after');
    expect(m.started && s1.started).toBe(true);
  });
});
