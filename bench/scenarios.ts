/**
 * The scenarios of the benchmark. Each one starts its own target process (the real hub, or the
 * raw ZeroMQ relay for the baseline), drives it from this process with a Swarm of fake terminals,
 * and returns plain numbers.
 */
import { join } from 'path';
import type { Account } from '../hub/accounts';
import type { DealTiming, HubReady, HubStartArgs, HubStats } from './hub-process';
import { forkChild, procMem, threadSched, type Child } from './ipc';
import { MASTER_QUOTE, SLAVE_QUOTE, SLAVE_SYMBOL, Swarm, sleep, type Mode, type OpenSeen } from './loadgen';
import type { RelayStartArgs } from './relay-process';
import { summarize, type Summary } from './stats';

export interface Ctx {
  /** Transpiled hub/ and bench/ (see build.ts). */
  buildDir: string;
  /** Scratch folder: stores, hub logs, profiles. */
  tmpDir: string;
  nodePath: string;
  store: 'embedded' | 'memory';
  log: 'info' | 'off';
  /** Write a V8 CPU profile of each hub process to tmpDir/profiles. */
  profile: boolean;
  progress(line: string): void;
  /** Filled in by the first hub started. */
  storeUsed?: string;
  storeFallback?: string;
}

export const MASTER = 'Bench-Master';
export const slaveName = (i: number) => `Bench-S${String(i + 1).padStart(4, '0')}`;

interface Target {
  mode: Mode;
  child: Child;
  pubEndpoint: string;
  pullEndpoint: string;
}

let runCounter = 0;

async function startTarget(ctx: Ctx, mode: Mode, slaves: number, label: string): Promise<Target> {
  const n = ++runCounter;
  const env = { ...process.env, NODE_PATH: ctx.nodePath };
  const names = Array.from({ length: slaves }, (_, i) => slaveName(i));
  if (mode === 'relay') {
    const child = forkChild(`relay (${label})`, join(ctx.buildDir, 'bench', 'relay-process.js'), { env });
    const args: RelayStartArgs = { topics: names, payloads: names.map((s) => relayPayload(s)) };
    const r = await child.call<{ pubEndpoint: string; pullEndpoint: string }>('start', args);
    return { mode, child, ...r };
  }
  const execArgv = ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(ctx.tmpDir, 'profiles')}`, `--cpu-prof-name=hub-${n}-${label.replace(/\W+/g, '-')}.cpuprofile`] : [];
  const child = forkChild(`hub (${label})`, join(ctx.buildDir, 'bench', 'hub-process.js'), {
    env,
    execArgv,
    stdoutFile: join(ctx.tmpDir, `hub-${n}-${label.replace(/\W+/g, '-')}.log`),
  });
  const accounts: Partial<Account>[] = [
    { name: MASTER, type: 'MASTER', enabled: true },
    ...names.map((name) => ({ name, type: 'SLAVE' as const, enabled: true, suffix: '.c', slippage_tolerance: 30 })),
  ];
  const args: HubStartArgs = {
    config: { store: ctx.store, dataDir: join(ctx.tmpDir, `data-${n}`), pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*' },
    accounts,
    log: ctx.log,
  };
  const r = await child.call<HubReady>('start', args);
  if (!ctx.storeUsed) {
    ctx.storeUsed = r.store;
    ctx.storeFallback = r.storeFallback;
    if (r.storeFallback) ctx.progress(`  note: ${r.storeFallback}; using the ${r.store} store`);
  }
  return { mode, child, pubEndpoint: r.pubEndpoint, pullEndpoint: r.pullEndpoint };
}

/** The relay's open message for one slave: the same fields (and so the same size) as the hub's. */
function relayPayload(slave: string): string {
  const now = Date.now();
  return JSON.stringify({
    v: 1, type: 'open', cmd_id: `c${now.toString(36)}-${(1000).toString(36)}`, expires_ms: now + 10_000, master: MASTER, master_position: '0',
    symbol: SLAVE_SYMBOL, side: 'buy', volume: 0.1, price: MASTER_QUOTE.ask, max_deviation_points: 30, sl: 1.08, tp: 1.09, magic: 20250,
    comment: 'CB:ffff:5000001', account: slave, seq: 100, ts: now,
  });
}

async function connect(ctx: Ctx, t: Target, slaves: number, tickEveryMs: number, snapshots = false): Promise<Swarm> {
  const swarm = new Swarm({
    mode: t.mode,
    pullEndpoint: t.pullEndpoint,
    pubEndpoint: t.pubEndpoint,
    masterName: MASTER,
    slaveNames: Array.from({ length: slaves }, (_, i) => slaveName(i)),
    tickEveryMs,
    snapshots,
  });
  swarm.start();
  await swarm.waitWelcomed(30_000 + slaves * 100);
  if (t.mode === 'hub') {
    // Symbols and snapshots follow each welcome: let the hub take them in.
    await sleep(100 + slaves);
    await t.child.call('quiesce', { results: 0 });
  }
  return swarm;
}

async function stopTarget(t: Target, swarm?: Swarm): Promise<void> {
  swarm?.stop();
  await t.child.stop();
}

export interface Fanout {
  /** Every command: master send -> slave receipt, ms. */
  latency: Summary;
  /** Per deal: master send -> receipt by the last slave, ms. */
  lastSlave: Summary;
  deals: number;
  lost: number;
  duplicates: number;
}

/** One target with its swarm, and what was measured on it so far. */
class Lane {
  samples: number[] = [];
  lasts: number[] = [];
  lost = 0;
  duplicates = 0;
  deals = 0;
  /** Commands received so far = results the hub will have handled. */
  results = 0;
  /** Target started and every terminal welcomed after this long, ms. */
  connectMs = 0;

  constructor(
    readonly t: Target,
    readonly swarm: Swarm,
  ) {}

  get mode(): Mode {
    return this.t.mode;
  }

  /**
   * One opening deal: waits for every slave's command (or a timeout), then for the target to go
   * quiet (hub: every result handled, nothing in flight, ledger flushed).
   */
  async deal(position: string, record: boolean): Promise<void> {
    const { swarm, t } = this;
    const n = swarm.slaves.length;
    const bytes = swarm.master.dealBytes(position);
    const lat: number[] = [];
    const seen = new Set<string>();
    let t0 = 0n;
    let resolve!: () => void;
    const all = new Promise<void>((r) => (resolve = r));
    swarm.onOpen = (o: OpenSeen) => {
      if (t.mode === 'hub' && o.masterPosition !== position) return;
      if (seen.has(o.slave.account)) {
        if (record) this.duplicates++;
        return;
      }
      seen.add(o.slave.account);
      lat.push(Number(o.at - t0) / 1e6);
      if (seen.size === n) resolve();
    };
    t0 = process.hrtime.bigint();
    swarm.master.sendRaw(bytes);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, 3000 + n * 20)))]);
    clearTimeout(timer);
    if (record) {
      this.deals++;
      this.lost += n - seen.size;
      this.samples.push(...lat);
      if (lat.length) this.lasts.push(Math.max(...lat));
    }
    this.results += seen.size;
    await this.quiet();
    swarm.onOpen = undefined;
  }

  async quiet(): Promise<void> {
    if (this.t.mode === 'hub') await this.t.child.call('quiesce', { results: this.results, timeoutMs: 20_000 });
    // The relay drops results: just let them go out (the slaves answer within 5 ms).
    else await sleep(8);
  }

  fanout(): Fanout {
    return { latency: summarize(this.samples), lastSlave: summarize(this.lasts), deals: this.deals, lost: this.lost, duplicates: this.duplicates };
  }

  async stop(): Promise<void> {
    await stopTarget(this.t, this.swarm);
  }
}

async function lane(ctx: Ctx, mode: Mode, slaves: number, label: string, tickEveryMs: number, snapshots = false): Promise<Lane> {
  const t = await startTarget(ctx, mode, slaves, label);
  try {
    const c0 = Date.now();
    const l = new Lane(t, await connect(ctx, t, slaves, tickEveryMs, snapshots));
    l.connectMs = Date.now() - c0;
    return l;
  } catch (e) {
    await t.child.stop();
    throw e;
  }
}

/** Runs fn with a baseline lane and a hub lane up at the same time. */
async function pair<T>(ctx: Ctx, slaves: number, label: string, fn: (base: Lane, hub: Lane) => Promise<T>): Promise<T> {
  const base = await lane(ctx, 'relay', slaves, label, 2000);
  let hub: Lane | undefined;
  try {
    hub = await lane(ctx, 'hub', slaves, label, 2000);
    return await fn(base, hub);
  } finally {
    await hub?.stop();
    await base.stop();
  }
}

export interface LatencyResult extends Fanout {
  slaves: number;
  hub?: HubStats;
  /** Hub only, measured in the hub process per deal (ms): deal handed to the engine -> last command handed to ZeroMQ. */
  hubLastSend?: Summary;
  /** engine.handle for the deal, log lines included. */
  hubHandle?: Summary;
  /** The hub main thread from the deal to the next setImmediate: on a CPU, and runnable but waiting for one (Linux schedstat). */
  hubCpu?: Summary;
  hubWait?: Summary;
}

/**
 * Latency with `slaves` followers: baseline and hub are both up, and deals alternate between them
 * (relay, hub, hub, relay, ...) so that both see the same machine at the same moments.
 */
export async function latencyPair(ctx: Ctx, slaves: number, deals: number, warmup: number): Promise<{ hub: LatencyResult; base: LatencyResult }> {
  return pair(ctx, slaves, `latency-${slaves}`, async (base, hub) => {
    for (let i = 0; i < warmup + deals; i++) {
      const order = i % 2 ? [base, hub] : [hub, base];
      for (const l of order) await l.deal(String(5_000_001 + i), i >= warmup);
    }
    const stats = await hub.t.child.call<HubStats>('stats');
    const d = (await hub.t.child.call<DealTiming[]>('takeDealTimes')).slice(warmup);
    const ms = (f: (x: DealTiming) => number) => summarize(d.map((x) => f(x) / 1000).filter(Number.isFinite));
    return {
      base: { slaves, ...base.fanout() },
      hub: { slaves, ...hub.fanout(), hub: stats, hubLastSend: ms((x) => x.lastSendUs), hubHandle: ms((x) => x.handleUs), hubCpu: ms((x) => x.cpuUs), hubWait: ms((x) => x.waitUs) },
    };
  });
}

export interface BurstRound {
  expected: number;
  received: number;
  duplicates: number;
  /** First deal sent -> last command received, ms. */
  elapsedMs: number;
  /** Each command: burst start -> receipt, ms. */
  latency: Summary;
  /** The target's main thread from the first send to the last receipt: ms on a CPU, ms waiting for one. */
  cpuMs: number;
  waitMs: number;
}

export interface BurstResult {
  slaves: number;
  positions: number;
  rounds: BurstRound[];
  /** The round with the median elapsed time. */
  median: BurstRound;
  lost: number;
  duplicates: number;
  /** Hub only: ledger rows after the bursts (trades with status open) and how many were expected. */
  ledgerOpenTrades?: number;
  ledgerExpectedOpen?: number;
  hub?: HubStats;
}

async function burstRound(l: Lane, positions: number, firstPosition: number): Promise<BurstRound> {
  const { swarm, t } = l;
  const expected = swarm.slaves.length * positions;
  const frames = Array.from({ length: positions }, (_, i) => swarm.master.dealBytes(String(firstPosition + i)));
  const seen = new Set<string>();
  const lat: number[] = [];
  let total = 0;
  let last = 0n;
  let t0 = 0n;
  let s1: [number, number] | undefined;
  let resolve!: () => void;
  const all = new Promise<void>((r) => (resolve = r));
  swarm.onOpen = (o) => {
    total++;
    const key = t.mode === 'hub' ? `${o.masterPosition}|${o.slave.account}` : `${total}`;
    if (seen.has(key)) return;
    seen.add(key);
    last = o.at;
    lat.push(Number(o.at - t0) / 1e6);
    if (seen.size === expected) {
      s1 = threadSched(t.child.pid);
      resolve();
    }
  };
  const s0 = threadSched(t.child.pid);
  t0 = process.hrtime.bigint();
  for (const f of frames) swarm.master.sendRaw(f);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, 15_000)))]);
  clearTimeout(timer);
  // Late duplicates (re-sends) would show up shortly after.
  await sleep(t.mode === 'hub' ? 300 : 50);
  swarm.onOpen = undefined;
  l.results += total;
  await l.quiet();
  return {
    expected, received: seen.size, duplicates: total - seen.size, elapsedMs: seen.size ? Number(last - t0) / 1e6 : NaN, latency: summarize(lat),
    cpuMs: s0 && s1 ? s1[0] - s0[0] : NaN, waitMs: s0 && s1 ? s1[1] - s0[1] : NaN,
  };
}

function burstResult(slaves: number, positions: number, rounds: BurstRound[]): BurstResult {
  const sorted = [...rounds].sort((a, b) => a.elapsedMs - b.elapsedMs);
  return {
    slaves, positions, rounds, median: sorted[Math.floor((sorted.length - 1) / 2)],
    lost: rounds.reduce((s, r) => s + r.expected - r.received, 0), duplicates: rounds.reduce((s, r) => s + r.duplicates, 0),
  };
}

/**
 * `positions` opening deals pushed back to back by the master, `slaves` followers each; `rounds`
 * rounds alternating between baseline and hub (both up), after `warmup` single deals.
 */
export async function burstPair(ctx: Ctx, slaves: number, positions: number, warmup: number, rounds: number): Promise<{ hub: BurstResult; base: BurstResult }> {
  return pair(ctx, slaves, `burst-${slaves}x${positions}`, async (base, hub) => {
    for (let i = 0; i < warmup; i++) for (const l of [base, hub]) await l.deal(String(6_000_001 + i), false);
    // One unmeasured burst each: the first burst a process sees is slower (code not yet optimised).
    for (const l of [base, hub]) await burstRound(l, positions, 6_500_001);
    const br: BurstRound[] = [];
    const hr: BurstRound[] = [];
    for (let r = 0; r < rounds; r++) {
      const first = 7_000_001 + r * positions;
      if (r % 2) {
        hr.push(await burstRound(hub, positions, first));
        br.push(await burstRound(base, positions, first));
      } else {
        br.push(await burstRound(base, positions, first));
        hr.push(await burstRound(hub, positions, first));
      }
    }
    const c = await hub.t.child.call<{ open: number }>('counts');
    return {
      base: burstResult(slaves, positions, br),
      hub: {
        ...burstResult(slaves, positions, hr),
        ledgerOpenTrades: c.open,
        ledgerExpectedOpen: (warmup + (rounds + 1) * positions) * slaves,
        hub: await hub.t.child.call<HubStats>('stats'),
      },
    };
  });
}

export interface ScaleResult {
  slaves: number;
  idleMs: number;
  /** CPU time of the target during the idle window, % of one core. */
  cpuPct: number;
  rssEnd: number;
  rssMax: number;
  /** Peak RSS (VmHWM) up to the end of the idle window: connect, first deal, idle. */
  rssIdlePeak: number;
  /** Peak RSS over the whole life of the process, including the fan-out deals after the idle window. */
  rssPeak: number;
  /** Messages the terminals sent during the idle window, per second (heartbeats and ticks). */
  inRate: number;
  /** Target up -> every terminal connected and welcomed (hub: symbols and snapshots taken in), ms. */
  connectMs: number;
  fanout: Fanout;
  hub?: HubStats;
  /** Hub only: process.memoryUsage() at the end of the idle window. */
  idleMem?: NodeJS.MemoryUsage;
}

export async function scaleRun(ctx: Ctx, mode: Mode, slaves: number, idleMs: number, fanoutDeals: number, tickEveryMs: number): Promise<ScaleResult> {
  const l = await lane(ctx, mode, slaves, `scale-${slaves}`, tickEveryMs, true);
  const { t, swarm, connectMs } = l;
  try {
    // One deal: every slave gets its first command and a watch list, and starts streaming ticks.
    await l.deal('8000001', false);
    await sleep(Math.min(2000, idleMs / 4));
    const s0 = await t.child.call<{ cpuUs: number }>('stats');
    const w0 = process.hrtime.bigint();
    const sent0 = swarm.sentTotal;
    const rss: number[] = [];
    const end = Date.now() + idleMs;
    while (Date.now() < end) {
      await sleep(Math.min(250, Math.max(1, end - Date.now())));
      const m = procMem(t.child.pid);
      if (m) rss.push(m.rss);
    }
    const s1 = await t.child.call<{ cpuUs: number }>('stats');
    const wallUs = Number(process.hrtime.bigint() - w0) / 1000;
    const inRate = ((swarm.sentTotal - sent0) * 1e6) / wallUs;
    const cpuPct = ((s1.cpuUs - s0.cpuUs) / wallUs) * 100;
    const rssIdlePeak = procMem(t.child.pid)?.hwm ?? NaN;
    const idleMem = mode === 'hub' ? await t.child.call<NodeJS.MemoryUsage>('memory') : undefined;
    for (let i = 0; i < 2 + fanoutDeals; i++) await l.deal(String(8_100_001 + i), i >= 2);
    const mem = procMem(t.child.pid);
    const hub = mode === 'hub' ? await t.child.call<HubStats>('stats') : undefined;
    return {
      slaves, idleMs, cpuPct, rssEnd: rss[rss.length - 1] ?? NaN, rssMax: Math.max(...rss), rssIdlePeak, rssPeak: mem?.hwm ?? NaN, inRate, connectMs,
      fanout: l.fanout(), hub, idleMem,
    };
  } finally {
    await l.stop();
  }
}

export { SLAVE_QUOTE };
