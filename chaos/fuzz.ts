/**
 * Hostile input: messages that are not what the protocol says, pushed at the hub's PULL socket
 * while the masters keep trading and the slaves keep copying. The hub must not crash, must keep
 * copying (latency master deal -> slave position), must not grow without bound (RSS) and must not
 * log without bound (lines per 1,000 hostile messages).
 */
import { Push } from 'zeromq';
import { masterTag, parseCopyComment } from '../hub/engine/tag';
import { encode } from '../hub/protocol';
import type { CheckResult } from './check';
import { masterOp } from './ops';
import { Rig, percentile, sleep, type StoreKind } from './rig';
import { Rng } from './rng';
import { followersOf } from './world';

export const HOSTILE_KINDS = [
  'random_bytes', 'invalid_json', 'wrong_types', 'huge_string', 'control_chars', 'unknown_type', 'replay', 'wrong_version', 'frames', 'deep_nesting', 'proto_keys',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export interface FuzzOptions {
  messages: number;
  seed: number;
  store?: StoreKind;
  /** How often a master trades while the fuzz runs; default every 150 ms. */
  tradeEveryMs?: number;
  /** Longest wait for everything to match after the fuzz; default 20 s. */
  settleMs?: number;
  /** Only these kinds (default all), to find which one does the damage. */
  kinds?: readonly HostileKind[];
  log?: (line: string) => void;
  /** Every line the hub prints (--verbose). */
  hubLog?: (line: string) => void;
}

/** Damage the post-fuzz check found: each must be zero, as in the chaos table. */
export function fuzzDamage(c: CheckResult): number {
  return c.duplicates + c.orphans + c.missing + c.volume + c.sltp + c.price + c.ledger;
}

export interface FuzzResult {
  seed: number;
  messages: number;
  kinds: Record<HostileKind, number>;
  crashes: string[];
  /** master deal -> slave deal of its copy, per copy opened while the fuzz ran */
  latency: { count: number; p50Ms: number; p99Ms: number };
  rssBeforeKb?: number;
  rssAfterKb?: number;
  logLines: number;
  linesPer1000: number;
  check: CheckResult;
  durationMs: number;
}

/** Hostile messages go out in batches between which the event loop runs the terminals. */
const BATCH = 200;
const WEIGHTS: Record<HostileKind, number> = {
  random_bytes: 12, invalid_json: 12, wrong_types: 20, huge_string: 0.3, control_chars: 12, unknown_type: 10, replay: 12, wrong_version: 6, frames: 4, deep_nesting: 1, proto_keys: 6,
};
const NASTY_NAMES = ['S1\nERROR forged log line', 'Acc\r\n2026-01-01 info hub stopped', 'M1\u0000', '\u001b[31mS10\u001b[0m', 'S1\u202e01S', '', ' ', 'S1 ', 'x'.repeat(65), '../../etc/passwd', '${jndi:ldap://x}', 'M1-N\t'];

const WRONG: Record<'string' | 'number' | 'boolean' | 'array' | 'object', unknown[]> = {
  string: [null, 1, -1, true, [], {}, ['x'], { $gt: '' }],
  number: [null, '1', 'NaN', '1e400', true, [], {}, [1, 2]],
  boolean: [null, 'true', 1, [], {}],
  array: [null, {}, 'x', 1, true, { length: 1 }],
  object: [null, [], 'x', 1, true],
};

function jsonType(v: unknown): keyof typeof WRONG {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  return 'object';
}

/** One hostile message: frames to push, and its kind. */
export function hostile(rng: Rng, kind: HostileKind, replayable: () => Buffer | undefined): Buffer[] {
  const now = Date.now();
  const env = (type: string, account: unknown = rng.pick(['S1', 'S10', 'Acc', 'Acc-2', 'M1', 'M1-N', 'Nobody'])) => ({ v: 1, type, account, seq: rng.int(1, 1e6), ts: now });
  const json = (o: unknown) => [Buffer.from(JSON.stringify(o), 'utf8')];
  switch (kind) {
    case 'random_bytes':
      return [rng.bytes(rng.int(0, 512))];
    case 'invalid_json': {
      const text = JSON.stringify({ ...env('deal'), deal: '1', position: '1', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1 });
      return [Buffer.from(rng.pick([text.slice(0, rng.int(1, text.length - 1)), `${text}}`, text.replace(/"/g, "'"), 'null', '[]', '"hello"', '{"v":1,', 'NaN', '{}'.repeat(3)]), 'utf8')];
    }
    case 'wrong_types': {
      const base: Record<string, unknown> = rng.pick([
        { ...env('deal'), deal: '9', position: '9', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 0.1, price: 1.1, magic: 0, comment: '', reason: 'client', time_ms: now, position_volume: 0.1 },
        { ...env('result'), cmd_id: 'c-1', status: 'done', retcode: 10009, message: 'done' },
        { ...env('snapshot'), positions: [] },
        { ...env('heartbeat'), balance: 1, equity: 1, margin: 0 },
        { ...env('hello'), login: 1, server: 's', broker: 'b', currency: 'USD', margin_mode: 'hedging', ea_version: '1' },
      ]);
      // A value of another JSON type than the field's: the message is invalid, never a forgery.
      const field = rng.pick(Object.keys(base).filter((k) => k !== 'type'));
      base[field] = rng.pick(WRONG[jsonType(base[field])]);
      return json(base);
    }
    case 'huge_string':
      return json({ ...env('heartbeat'), balance: 1, equity: 1, margin: 0, note: 'A'.repeat(rng.int(10_000, 1_500_000)) });
    case 'control_chars':
      return json({ ...env(rng.pick(['hello', 'heartbeat', 'deal', 'bogus']), rng.pick(NASTY_NAMES)), balance: 1, equity: 1, margin: 0 });
    case 'unknown_type':
      return json({ ...env(rng.pick(['hax', 'welcome', 'open', 'DEAL', '', 'constructor', '__proto__'])), payload: rng.int(0, 9) });
    case 'replay':
      return [replayable() ?? Buffer.from('{}')];
    case 'wrong_version':
      return json({ ...env('heartbeat'), v: rng.pick([0, 2, '1', null, 1.5]), balance: 1, equity: 1, margin: 0 });
    case 'frames':
      return [Buffer.from('S1'), Buffer.from(JSON.stringify({ ...env('heartbeat', 'S1'), balance: 1, equity: 1, margin: 0 }))];
    case 'deep_nesting': {
      const depth = rng.int(1000, 20_000);
      return [Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`)];
    }
    case 'proto_keys':
      return [Buffer.from(`{"v":1,"type":"heartbeat","account":"S1","seq":1,"ts":${now},"__proto__":{"type":"deal","polluted":true},"constructor":{"prototype":{"x":1}},"balance":1,"equity":1,"margin":0}`)];
  }
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const rng = new Rng(opts.seed);
  const note = (line: string) => opts.log?.(`[fuzz] ${line}`);
  const kinds = Object.fromEntries(HOSTILE_KINDS.map((k) => [k, 0])) as Record<HostileKind, number>;
  const rig = await Rig.start({ seed: opts.seed, store: opts.store, hubLog: opts.hubLog });
  const push = new Push({ linger: 0, sendHighWaterMark: 10_000 });
  try {
    const { hub, world } = rig;
    // Latency: a master deal opening a position -> the first deal of its copy on each slave.
    const opened = new Map<string, number>();
    const latencies: number[] = [];
    const tags = new Map<string, string>();
    for (const [name, t] of world.masters) {
      tags.set(masterTag(name), name);
      t.broker.onEvent((e) => {
        if (e.type === 'deal' && e.deal.entry === 'in' && e.deal.position_volume === e.deal.volume) opened.set(`${name}#${e.deal.position}`, Date.now());
      });
    }
    let timing = false;
    for (const t of world.slaves.values()) {
      t.broker.onEvent((e) => {
        if (!timing || e.type !== 'deal' || e.deal.entry !== 'in') return;
        const id = parseCopyComment(e.deal.comment);
        const at = id && opened.get(`${tags.get(id.tag)}#${id.masterPosition}`);
        if (at) latencies.push(Date.now() - at);
      });
    }
    const replayable = () => {
      const t = rng.pick(world.all);
      const m = t.sent.length ? t.sent[rng.int(Math.max(0, t.sent.length - 50), t.sent.length - 1)] : undefined;
      return m && encode(m);
    };

    push.connect(hub.pullEndpoint);
    await sleep(500);
    const rssBeforeKb = hub.rssKb();
    const linesBefore = hub.lines;
    timing = true;
    note(`hub pid ${hub.pid}, RSS ${rssBeforeKb} kB; sending ${opts.messages} hostile messages`);
    const masters = [...world.masters.values()];
    const followers = followersOf(world);
    const weights = Object.fromEntries(HOSTILE_KINDS.map((k) => [k, !opts.kinds || opts.kinds.includes(k) ? WEIGHTS[k] : 0])) as Record<HostileKind, number>;
    let lastTrade = 0;
    for (let sent = 0; sent < opts.messages; ) {
      for (const end = Math.min(opts.messages, sent + BATCH); sent < end; sent++) {
        const kind = rng.weighted(weights);
        kinds[kind]++;
        await push.send(hostile(rng, kind, replayable));
      }
      if (Date.now() - lastTrade >= (opts.tradeEveryMs ?? 150)) {
        lastTrade = Date.now();
        const t = rng.pick(masters);
        masterOp(rng, t, followers.get(t.account)).later?.();
      }
      await sleep(1);
      if (sent % 20_000 < BATCH) note(`${sent} sent, hub RSS ${hub.rssKb()} kB, ${hub.lines - linesBefore} log lines`);
    }
    // Let the hub drain its queue, then everything must still match.
    await sleep(1000);
    timing = false;
    const logLines = hub.lines - linesBefore;
    await rig.allUp();
    await rig.settle(opts.settleMs ?? 20_000, 2_500);
    const rssAfterKb = hub.rssKb();
    const check = await rig.finalCheck();
    latencies.sort((a, b) => a - b);
    return {
      seed: opts.seed, messages: opts.messages, kinds, crashes: [...hub.crashes],
      latency: { count: latencies.length, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) },
      rssBeforeKb, rssAfterKb, logLines, linesPer1000: opts.messages ? (logLines * 1000) / opts.messages : 0, check, durationMs: Date.now() - started,
    };
  } finally {
    push.close();
    await rig.close();
  }
}
