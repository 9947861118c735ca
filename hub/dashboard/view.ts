/**
 * The picture the dashboard page and `hub status` show, built from the engine's status snapshot,
 * the registered accounts and the tally: plain JSON, the same for both.
 */
import { resolve } from 'path';
import type { Account } from '../accounts';
import { describeProtection } from '../accounts/protection';
import type { EngineStatus } from '../engine';
import type { GuardStatus } from '../engine/protect';
import type { RunningHub } from '../hub';
import { VERSION } from '../version';
import { LATENCY_BUCKETS_MS, type DecisionRow, type Tally, type TallyCounts } from './tally';
import type { LauncherStatus } from '../launcher';

export interface TerminalView {
  name: string;
  /** master, slave, or disabled (a slave turned off), or unregistered (a terminal not in the accounts). */
  role: string;
  enabled?: boolean;
  closeOnly?: boolean;
  /** Never seen since the hub started: offline since the hub's start. */
  online: boolean;
  since: number;
  lastSeen?: number;
  lastMessage?: string;
  broker?: string;
  login?: number;
  server?: string;
  balance?: number;
  equity?: number;
  margin?: number;
  eaVersion?: string;
  /** Latencies (ms) of the terminal's latest confirmed copies, newest last. */
  latencies: number[];
  liveCopies: number;
}

export interface CopyView {
  slave: string;
  symbol: string;
  side: string;
  status: string;
  ticket?: string;
  volume: number;
  price?: number;
  slippagePoints?: number;
  latencyMs?: number;
}

export interface PositionView {
  master: string;
  position: string;
  symbol?: string;
  side?: string;
  volume?: number;
  /** False: the master closed it and its copies are closing. */
  open: boolean;
  copies: CopyView[];
}

/** A protected slave's guard: its settings, the day's anchor, equity against the floor, the trip in force. */
export interface GuardPanel {
  account: string;
  /** The settings in force, one line each (as `hub accounts protect NAME` prints them). */
  limits: string[];
  /** At a loss limit: block new copies, or also close every copy. */
  action: 'block' | 'close_all';
  /** ok; tripped (a loss limit reached: `trip`); waiting (no balance and equity from the terminal yet). */
  state: 'ok' | 'tripped' | 'waiting';
  balance?: number;
  equity?: number;
  /** The day's anchor, when it was read and the reset it belongs to; the initial balance and trailing peak in use. */
  anchor?: number;
  anchorAt?: number;
  day?: number;
  initial?: number;
  peak?: number;
  floors: { daily?: number; drawdown?: number };
  /** The higher floor, and the equity above it (negative: below). */
  floor?: number;
  headroom?: number;
  trip?: { rule: string; at: number; reason: string };
  /** The latest trips, newest last (those of an earlier hub process from the ledger). */
  trips: { time: number; message: string }[];
}

export interface DashboardView {
  hub: {
    version: string;
    pid: number;
    startedAt: number;
    now: number;
    dataDir: string;
    store: string;
    pubEndpoint: string;
    pullEndpoint: string;
    ledgerQueue: number;
    ledgerDown: boolean;
  };
  terminals: TerminalView[];
  positions: PositionView[];
  counters: Omit<TallyCounts, 'latencyBuckets' | 'ledgerDown'> & { resends: number; commandsSent: number; results: number; inFlight: number };
  latency: { bucketsMs: readonly number[]; counts: number[] };
  /** Every protected slave's guard, by name. */
  guards: GuardPanel[];
  /** The terminals the hub starts and watches (`hub start --launch`); null without --launch. */
  launcher: LauncherStatus | null;
  /** The decision ids' numbering (Tally.id): it changes when the hub or its dashboard restarts. */
  stream: string;
  decisions: DecisionRow[];
}

const LIVE = new Set(['open', 'pending', 'placed']);

export function buildView(hub: RunningHub, tally: Tally, decisions = 200, s: EngineStatus = hub.engine.status(), launcher?: LauncherStatus): DashboardView {
  const counts = tally.snapshot();
  const live = s.copies.filter((c) => LIVE.has(c.status));
  return {
    hub: {
      version: VERSION, pid: process.pid, startedAt: hub.startedAt, now: Date.now(), dataDir: resolve(hub.config.dataDir), store: hub.store.kind,
      pubEndpoint: hub.pubEndpoint, pullEndpoint: hub.pullEndpoint, ledgerQueue: hub.ledger.pending, ledgerDown: counts.ledgerDown,
    },
    terminals: terminals(s, hub.engine.accounts(), tally, hub.startedAt, live),
    positions: positions(s, live),
    counters: {
      copies: counts.copies, refusals: counts.refusals, refusalsByReason: counts.refusalsByReason, expired: counts.expired, opened: counts.opened,
      resends: s.counters.resends, commandsSent: s.counters.commandsSent, results: s.counters.results, inFlight: s.pending.length,
    },
    latency: { bucketsMs: LATENCY_BUCKETS_MS, counts: counts.latencyBuckets },
    guards: guards(hub.engine.guards(), hub.engine.accounts(), s, tally),
    launcher: launcher ?? null,
    stream: tally.id,
    decisions: tally.recent(decisions),
  };
}

function terminals(s: EngineStatus, accounts: Account[], tally: Tally, startedAt: number, live: EngineStatus['copies']): TerminalView[] {
  const byName = new Map(accounts.map((a) => [a.name, a]));
  const liveCount = new Map<string, number>();
  for (const c of live) for (const n of [c.slave, c.master]) liveCount.set(n, (liveCount.get(n) ?? 0) + 1);
  const liveOf = (name: string) => liveCount.get(name) ?? 0;
  const out: TerminalView[] = s.terminals.map((t) => {
    const a = byName.get(t.name);
    return {
      name: t.name, role: a ? t.role : 'unregistered', enabled: a?.enabled, closeOnly: a?.close_only ?? (a ? false : undefined), online: t.online, since: t.since,
      lastSeen: t.lastSeen, lastMessage: t.lastMessage, broker: t.broker, login: t.login, server: t.server, balance: t.balance, equity: t.equity,
      margin: t.margin, eaVersion: t.eaVersion, latencies: tally.latenciesOf(t.name), liveCopies: liveOf(t.name),
    };
  });
  const seen = new Set(s.terminals.map((t) => t.name));
  for (const a of accounts) {
    if (seen.has(a.name)) continue;
    out.push({
      name: a.name, role: a.type === 'MASTER' ? 'master' : a.enabled ? 'slave' : 'disabled', enabled: a.enabled, closeOnly: a.close_only ?? false,
      online: false, since: startedAt, latencies: [], liveCopies: liveOf(a.name),
    });
  }
  return out.sort((x, y) => (x.role === y.role ? x.name.localeCompare(y.name) : x.role === 'master' ? -1 : y.role === 'master' ? 1 : x.name.localeCompare(y.name)));
}

/** Live copies under their master positions; a copy whose position the engine no longer holds still shows. */
function positions(s: EngineStatus, live: EngineStatus['copies']): PositionView[] {
  const byKey = new Map<string, PositionView>();
  const book = new Map(s.masterPositions.map((mp) => [`${mp.master}\u0000${mp.position}`, mp]));
  for (const [key, mp] of book) {
    if (mp.open) byKey.set(key, { master: mp.master, position: mp.position, symbol: mp.symbol, side: mp.side, volume: mp.volume, open: true, copies: [] });
  }
  for (const c of live) {
    const key = `${c.master}\u0000${c.masterPosition}`;
    let p = byKey.get(key);
    if (!p) {
      const mp = book.get(key);
      byKey.set(key, (p = { master: c.master, position: c.masterPosition, symbol: mp?.symbol, side: mp?.side, volume: mp?.volume, open: false, copies: [] }));
    }
    p.copies.push({
      slave: c.slave, symbol: c.symbol, side: c.side, status: c.status, ticket: c.ticket, volume: c.volume, price: c.openPrice, slippagePoints: c.slippagePoints, latencyMs: c.latencyMs,
    });
  }
  return [...byKey.values()].sort((a, b) => a.master.localeCompare(b.master) || a.position.localeCompare(b.position, undefined, { numeric: true }));
}

function guards(list: GuardStatus[], accounts: Account[], s: EngineStatus, tally: Tally): GuardPanel[] {
  const byName = new Map(accounts.map((a) => [a.name, a]));
  const terminal = new Map(s.terminals.map((t) => [t.name, t]));
  return list.map((g): GuardPanel => {
    const a = byName.get(g.account);
    const t = terminal.get(g.account);
    const { daily, drawdown } = g.floors;
    const floor = daily === undefined && drawdown === undefined ? undefined : Math.max(daily ?? -Infinity, drawdown ?? -Infinity);
    const st = g.state;
    return {
      account: g.account, limits: describeProtection(a?.protection, a?.schedule), action: a?.protection?.action ?? 'block',
      state: g.trip ? 'tripped' : st && t?.equity !== undefined ? 'ok' : 'waiting',
      balance: t?.balance, equity: t?.equity, anchor: st?.anchor, anchorAt: st?.anchorAt, day: st?.day, initial: st?.initial, peak: st?.peak,
      floors: g.floors, floor, headroom: floor !== undefined && t?.equity !== undefined ? Number((t.equity - floor).toFixed(2)) : undefined,
      trip: g.trip && { rule: g.trip.rule, at: g.trip.at, reason: g.trip.reason }, trips: tally.tripsOf(g.account),
    };
  }).sort((x, y) => x.account.localeCompare(y.account));
}
