/**
 * Reconciliation cost: how long a copy waits while the hub reconciles big snapshots. The engine
 * alone (bench/engine-world.ts) with `positions` open copies on each of `slaves` slaves of master M,
 * driven as the hub drives it: messages handled one at a time as they arrive, the 50 ms tick, and
 * the slices of unfinished reconciliation passes from setImmediate (hub/hub.ts). Snapshots arrive
 * as JSON and go through the real decoder. A probe master P with its own slave Q trades every few
 * milliseconds; a probe deal's delay is the time from its arrival to the moment the hub starts
 * handling it, i.e. how long whatever ran before it (a snapshot, a slice of a pass) held it back.
 *
 *   npx ts-node --transpile-only bench/reconcile.ts [slaves] [positions] [--slice N] [--json]
 *
 * Two phases: the probe alone (the periodic pass over every copy still runs, as in any hub), then
 * the probe while every slave's snapshot of its `positions` positions arrives. --slice sets
 * reconcileSlice (1000000: every pass in one piece, as before passes were sliced).
 */
import { performance } from 'perf_hooks';
import { decodeTerminalFrames } from '../hub/protocol';
import { engineWorld, type EngineWorld } from './engine-world';
import { summarize } from './stats';

export interface ReconcilePhase {
  name: string;
  probes: number;
  delay: { p50: number; p99: number; max: number };
  snapshots: number;
  /** ms the hub spent on one snapshot before it could read the next message: decode, reconcile, first slice. */
  snapshotHandling: { p50: number; max: number };
  slices: number;
  sliceMax: number;
  ticks: number;
  tickMax: number;
}

export interface ReconcileResult {
  slaves: number;
  positions: number;
  copies: number;
  slice: number;
  fillS: number;
  /** Resident memory with every copy held, MB. */
  rssMB: number;
  phases: ReconcilePhase[];
}

const PROBE_EVERY_MS = 4;
const SNAPSHOT_EVERY_MS = 10;
const TICK_MS = 50;

export async function reconcileBench(slaves: number, positions: number, slice: number, progress: (l: string) => void = () => undefined): Promise<ReconcileResult> {
  const w = engineWorld(slaves, { probe: true, config: { reconcileSlice: slice, reconcileMs: 1_000, snapshotMs: 30_000 } });
  const t0 = performance.now();
  for (let i = 0; i < positions; i++) {
    w.deal();
    w.answer();
    w.clock.now += 5;
    if ((i + 1) % 100 === 0) progress(`  ${(i + 1) * slaves} of ${positions * slaves} copies made`);
  }
  // Every copy confirmed by a snapshot, as the slaves' periodic snapshots would.
  for (const n of w.names) w.msg(n, { type: 'snapshot', positions: w.held.get(n), margin_mode: 'hedging' });
  while (w.engine.reconcileStep(w.clock.now));
  w.out = [];
  const fillS = (performance.now() - t0) / 1000;
  const phases = [await phase(w, 'probe alone', 2_000, false), await phase(w, `probe while ${slaves} snapshots of ${positions} positions arrive`, slaves * SNAPSHOT_EVERY_MS + 500, true)];
  return { slaves, positions, copies: slaves * positions, slice, fillS, rssMB: process.memoryUsage().rss / 2 ** 20, phases };
}

interface Arrival {
  at: number;
  slave?: string;
  frame?: Buffer;
}

function phase(w: EngineWorld, name: string, durationMs: number, snapshots: boolean): Promise<ReconcilePhase> {
  const arrivals: Arrival[] = [];
  for (let at = 1; at < durationMs; at += PROBE_EVERY_MS) arrivals.push({ at });
  if (snapshots) {
    let seq = 1_000_000;
    w.names.forEach((slave, i) => {
      const body = { v: 1, type: 'snapshot', account: slave, seq: ++seq, ts: 0, positions: w.held.get(slave), margin_mode: 'hedging' };
      arrivals.push({ at: 2 + i * SNAPSHOT_EVERY_MS, slave, frame: Buffer.from(JSON.stringify(body)) });
    });
  }
  arrivals.sort((a, b) => a.at - b.at);
  const delays: number[] = [];
  const handling: number[] = [];
  const slices: number[] = [];
  const ticks: number[] = [];
  const start = performance.now();
  const base = w.clock.now;
  const clock = () => {
    w.clock.now = base + Math.round(performance.now() - start);
  };
  // As hub/hub.ts: the tick, and the rest of a pass one slice per turn of the event loop.
  let queued = false;
  const soon = () => {
    if (queued) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      clock();
      const s = performance.now();
      const more = w.engine.reconcileStep();
      slices.push(performance.now() - s);
      if (more) soon();
    });
  };
  const ticker = setInterval(() => {
    clock();
    const s = performance.now();
    if (w.engine.tick()) soon();
    ticks.push(performance.now() - s);
  }, TICK_MS);
  return new Promise((resolve) => {
    let next = 0;
    // The transport: each message that has arrived is read and handled, one per turn.
    const read = () => {
      const now = performance.now() - start;
      if (next < arrivals.length && arrivals[next].at <= now) {
        const a = arrivals[next++];
        clock();
        if (!a.frame) {
          delays.push(now - a.at);
          w.deal('P');
          w.answer();
        } else {
          const s = performance.now();
          // A snapshot arrives with a sequence number the world's own counter has not used.
          const msg = decodeTerminalFrames([a.frame]);
          w.engine.handle({ ...msg, ts: w.clock.now }, w.clock.now);
          if (w.engine.reconciling) soon();
          handling.push(performance.now() - s);
          w.out = [];
        }
      }
      if (next < arrivals.length || queued) setImmediate(read);
      else {
        clearInterval(ticker);
        const d = summarize(delays);
        const h = summarize(handling);
        resolve({
          name, probes: d.n, delay: { p50: d.p50, p99: d.p99, max: d.max },
          snapshots: h.n, snapshotHandling: { p50: h.p50, max: h.max },
          slices: slices.length, sliceMax: Math.max(0, ...slices), ticks: ticks.length, tickMax: Math.max(0, ...ticks),
        });
      }
    };
    setImmediate(read);
  });
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const slice = Number(flag('--slice') ?? 500);
  const json = args.includes('--json');
  const [slaves = 200, positions = 500] = args.filter((a) => !a.startsWith('--')).map(Number);
  const say = (l: string) => process.stderr.write(`${l}\n`);
  void reconcileBench(slaves, positions, slice, json ? () => undefined : say).then((r) => {
    if (json) return process.stdout.write(`${JSON.stringify(r)}\n`);
    say(`${r.copies} copies (${r.slaves} slaves x ${r.positions}), made in ${r.fillS.toFixed(1)} s, RSS ${r.rssMB.toFixed(0)} MB, reconcileSlice ${r.slice}`);
    for (const p of r.phases) {
      say(`${p.name}: ${p.probes} probe copies, delay p50 ${p.delay.p50.toFixed(3)} ms, p99 ${p.delay.p99.toFixed(3)} ms, max ${p.delay.max.toFixed(3)} ms; ${p.snapshots} snapshots handled in p50 ${p.snapshotHandling.p50.toFixed(2)} ms, max ${p.snapshotHandling.max.toFixed(2)} ms; ${p.slices} slices, longest ${p.sliceMax.toFixed(2)} ms; ${p.ticks} ticks, longest ${p.tickMax.toFixed(2)} ms`);
    }
  });
}
