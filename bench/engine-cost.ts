/**
 * `npx ts-node --transpile-only bench/engine-cost.ts [slaves] [positions] [--log] > /dev/null`:
 * the engine alone, on a hand-driven clock, without sockets or store: CPU time of one deal's
 * fan-out, of the periodic convergence pass over every copy, and of one slave's snapshot being
 * reconciled, with `positions` open copies on each of `slaves` slaves. With --log, the hub's
 * production console logger writes every line to stdout (send it to /dev/null). The figures go
 * to stderr as one JSON line. Meant to compare before / after a change on a busy machine: CPU
 * time of this process, the least of several repeats.
 */
import { engineWorld } from './engine-world';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const slaves = Number(args[0] ?? 200);
const positions = Number(args[1] ?? 100);
const logging = process.argv.includes('--log');
const w = engineWorld(slaves, { logging });
const { engine, clock, names, msg, answer, deal, held, heartbeats } = w;

const passes: number[] = [];
/** µs of CPU this process has used (other processes' load left out; wall time would count it). */
const onCpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(fn: () => void, repeats: number): number {
  const xs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = onCpuUs();
    fn();
    xs.push(onCpuUs() - t0);
  }
  return Math.min(...xs);
}

const c0 = onCpuUs();
for (let i = 0; i < positions; i++) {
  deal();
  answer();
  clock.now += 5;
}
const fill = onCpuUs() - c0;
const copies = slaves * positions;
// Snapshots confirm the copies, as the slaves' periodic snapshots would.
for (const n of names) msg(n, { type: 'snapshot', positions: held.get(n), margin_mode: 'hedging' });
w.out = [];
const fanOuts: number[] = [];
const results: number[] = [];
for (let i = 0; i < 15; i++) {
  fanOuts.push(timed(deal, 1));
  results.push(timed(answer, 1));
  clock.now += 5;
}
const fanOut = median(fanOuts);
const pass = timed(() => {
  clock.now += 1_000;
  heartbeats();
  const t0 = onCpuUs();
  // The whole pass, slice after slice (the hub runs them from setImmediate).
  for (let more = engine.tick(clock.now); more; more = engine.reconcileStep(clock.now));
  passes.push(onCpuUs() - t0);
}, 9) && Math.min(...passes);
let k = 0;
const snap =
  timed(() => {
    for (let i = 0; i < 10; i++) {
      const n = names[k++ % names.length];
      msg(n, { type: 'snapshot', positions: held.get(n), margin_mode: 'hedging' });
    }
  }, 5) / 10;
const stray = w.out.filter((o) => o.body.type !== 'welcome' && o.body.type !== 'watch' && o.body.type !== 'ping');
process.stderr.write(
  JSON.stringify({ logging, slaves, positions, copies, fillCpuMs: fill / 1000, fanOutUs: fanOut, fanOutUsPerSlave: fanOut / slaves, resultsUsPerSlave: median(results) / slaves, convergePassUs: pass, snapshotReconcileUs: snap, commandsOutsideDeals: stray.length }) + '\n',
);
