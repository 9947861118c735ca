/**
 * The hub under test, in its own process: the real startHub (engine, transport, ledger writer,
 * store) driven over IPC by bench/run.ts. Logging is the production logger (winston, info level,
 * console transport); the parent points this process's stdout at a file, as `hub start > hub.log`.
 */
import { openSync, readSync } from 'fs';
import { Publisher } from 'zeromq';
import type { Account } from '../hub/accounts';
import type { ConfigInput } from '../hub/config';
import { startHub, type RunningHub } from '../hub/hub';
import type { EngineStats } from '../hub/engine';
import { createLogger } from '../hub/log';
import { serve } from './ipc';

export interface HubStartArgs {
  config: ConfigInput;
  accounts: Partial<Account>[];
  /** 'info': production logging to stdout; 'off': no log output at all. */
  log: 'info' | 'off';
}

export interface HubReady {
  pubEndpoint: string;
  pullEndpoint: string;
  store: string;
  storeLocation: string;
  /** Why the requested store was not used, if it was not. */
  storeFallback?: string;
}

export interface HubStats extends Omit<EngineStats, 'lastLatencyMs'> {
  cpuUs: number;
  rss: number;
  heapUsed: number;
  pending: number;
  ledgerPending: number;
  ledgerWritten: number;
  ledgerDropped: number;
  terminalsOnline: number;
}

let hub: RunningHub | undefined;

/** Per master deal, measured in this process (µs). */
export interface DealTiming {
  /** engine.handle for the deal: decisions, commands, log lines, ledger writes queued. */
  handleUs: number;
  /** From the start of handle to the first / last command handed to ZeroMQ (PUB send called). */
  firstSendUs: number;
  lastSendUs: number;
  sends: number;
  /** Main thread from the start of handle to the next setImmediate: on a CPU / runnable but waiting. */
  cpuUs: number;
  waitUs: number;
}
let dealTimes: DealTiming[] = [];

let schedFd: number | undefined;
try {
  schedFd = openSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'r');
} catch {
  schedFd = undefined; // not Linux
}
const schedBuf = Buffer.alloc(128);

/** [ns on a CPU, ns runnable but waiting] of the main thread so far. */
function schedstat(): [number, number] {
  if (schedFd === undefined) return [NaN, NaN];
  const n = readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
  const [run, wait] = schedBuf.toString('latin1', 0, n).split(' ');
  return [Number(run), Number(wait)];
}

/** Sends of the deal being timed: whether the transport sends at once or from its send loop. */
let tracking: { t0: bigint; first: bigint; last: bigint; sends: number } | undefined;
// eslint-disable-next-line @typescript-eslint/unbound-method -- the original, called below with the socket as this (send.apply)
const send = Publisher.prototype.send;
// zeromq.js defines send read-only on the socket prototype: shadow it on Publisher's.
Object.defineProperty(Publisher.prototype, 'send', {
  configurable: true,
  writable: true,
  value: function (this: Publisher, ...args: Parameters<typeof send>) {
    if (tracking) {
      const now = process.hrtime.bigint();
      if (!tracking.sends++) tracking.first = now;
      tracking.last = now;
    }
    return send.apply(this, args);
  },
});

/** Times deals through the engine: the hub's own share of the copy path. */
function instrument(h: RunningHub): void {
  const engine = h.engine;
  const handle = engine.handle.bind(engine);
  engine.handle = (msg, receivedAt) => {
    if (msg.type !== 'deal') return handle(msg, receivedAt);
    const s0 = schedstat();
    const tr = (tracking = { t0: process.hrtime.bigint(), first: 0n, last: 0n, sends: 0 });
    handle(msg, receivedAt);
    const handleUs = Number(process.hrtime.bigint() - tr.t0) / 1000;
    setImmediate(() => {
      if (tracking === tr) tracking = undefined;
      const s1 = schedstat();
      dealTimes.push({
        handleUs, sends: tr.sends, firstSendUs: tr.sends ? Number(tr.first - tr.t0) / 1000 : NaN, lastSendUs: tr.sends ? Number(tr.last - tr.t0) / 1000 : NaN,
        cpuUs: (s1[0] - s0[0]) / 1000, waitUs: (s1[1] - s0[1]) / 1000,
      });
    });
  };
}

function stats(): HubStats {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const e = hub?.engine;
  const load = e?.load();
  return {
    cpuUs: cpu.user + cpu.system,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    decisions: e?.stats.decisions ?? 0,
    commandsSent: e?.stats.commandsSent ?? 0,
    resends: e?.stats.resends ?? 0,
    results: e?.stats.results ?? 0,
    refusals: e?.stats.refusals ?? 0,
    expired: e?.stats.expired ?? 0,
    pending: load?.commandsInFlight ?? 0,
    ledgerPending: hub?.ledger.pending ?? 0,
    ledgerWritten: hub?.ledger.written ?? 0,
    ledgerDropped: hub?.ledger.dropped ?? 0,
    terminalsOnline: load?.terminalsOnline ?? 0,
  };
}

serve({
  async start(args: HubStartArgs): Promise<HubReady> {
    const logger = createLogger({ level: 'info', console: args.log === 'info' });
    let storeFallback: string | undefined;
    try {
      hub = await startHub({ config: args.config, accounts: args.accounts, logger });
    } catch (e) {
      if (args.config.store === 'memory') throw e;
      storeFallback = `${String(args.config.store)} store unavailable (${(e as Error).message})`;
      hub = await startHub({ config: { ...args.config, store: 'memory' }, accounts: args.accounts, logger });
    }
    instrument(hub);
    return { pubEndpoint: hub.pubEndpoint, pullEndpoint: hub.pullEndpoint, store: hub.store.kind, storeLocation: hub.store.location, storeFallback };
  },

  stats,

  /** Resolves once the hub has handled `results` results, nothing is in flight and the ledger is flushed. */
  async quiesce(args: { results: number; timeoutMs?: number }): Promise<HubStats & { quiet: boolean }> {
    const deadline = Date.now() + (args.timeoutMs ?? 10_000);
    for (;;) {
      const s = stats();
      const quiet = s.results >= args.results && s.pending === 0 && s.ledgerPending === 0;
      if (quiet || Date.now() > deadline) return { ...s, quiet };
      await new Promise((r) => setTimeout(r, s.results >= args.results && s.pending === 0 ? 2 : 1));
    }
  },

  /** Deal timings since the last call. */
  takeDealTimes(): DealTiming[] {
    const out = dealTimes;
    dealTimes = [];
    return out;
  },

  async counts(): Promise<{ trades: number; open: number }> {
    if (!hub) throw new Error('hub not started');
    await hub.ledger.flush();
    const trades = await hub.store.countTrades({});
    const open = await hub.store.countTrades({ status: 'open' });
    return { trades, open };
  },

  /** process.memoryUsage() now: rss, heapTotal, heapUsed, external, arrayBuffers (bytes). */
  memory() {
    return process.memoryUsage();
  },

  async stop(): Promise<HubStats> {
    const s = stats();
    await hub?.stop();
    hub = undefined;
    setImmediate(() => process.exit(0));
    return s;
  },
});
