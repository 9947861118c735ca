/**
 * `npm run bench`: copy latency, burst throughput and 500-slave footprint of the hub, each against
 * a raw ZeroMQ baseline measured in the same run. Prints a table and writes docs/benchmarks.md and
 * docs/bench-latency.png (+ .svg). Not a test: timings are reported, never asserted.
 *
 *   npm run bench                      full run (a few minutes)
 *   npm run bench -- --smoke           a few hundred messages, output to a temp folder
 *   npm run bench -- --profile         also writes a V8 CPU profile of every hub process and
 *                                      prints where the hub's time goes
 *   options: --out DIR  --store embedded|memory  --log info|off  --only latency,burst,scale,ea,reconcile
 *            --counts 1,10,50,200  --scale-slaves 500  --keep (keep the scratch folder: hub logs, stores, profiles)
 *            --prebuilt DIR (run a hub/ and bench/ already transpiled there, e.g. a patched copy)
 */
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'os';
import { join, relative, resolve } from 'path';
import { transpileForChildren } from './build';
import { renderPng, renderSvg, type LatencyChart } from './chart';
import { eaEndToEnd, loadEaHarness, type EaResult } from './ea';
import { summarizeProfiles } from './profile';
import { burstPair, latencyPair, scaleRun, type BurstResult, type BurstRound, type Ctx, type LatencyResult, type ScaleResult } from './scenarios';
import type { ReconcileResult } from './reconcile';
import { fmtMB, fmtMs, fmtRatio } from './stats';

/** The section `npm run bench:ledger` (bench/ledger.ts) writes into the same file, kept as it is. */
function keptLedgerSection(file: string): string {
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const m = /<!-- ledger bench: start -->[\s\S]*<!-- ledger bench: end -->/.exec(old);
  return m ? `\n${m[0]}\n` : '';
}

export interface BenchOptions {
  smoke?: boolean;
  /** Where benchmarks.md and the chart go; default docs/ (smoke: a temp folder). */
  outDir?: string;
  store?: 'embedded' | 'memory';
  log?: 'info' | 'off';
  profile?: boolean;
  /** Default: everything; smoke: latency, burst and scale (not the EA harness). */
  only?: ('latency' | 'burst' | 'scale' | 'ea' | 'reconcile')[];
  counts?: number[];
  /** Slaves of the scale run (default 500): e.g. 2000 terminals' heartbeats and ticks. */
  scaleSlaves?: number;
  keep?: boolean;
  /** Use this already transpiled hub/ and bench/ instead of transpiling the sources (experiments). */
  prebuilt?: string;
  print?: (line: string) => void;
}

export interface Plan {
  counts: number[];
  deals: (n: number) => number;
  warmup: (n: number) => number;
  burst: { slaves: number; positions: number; warmup: number; rounds: number };
  scale: { slaves: number; idleMs: number; fanoutDeals: number; tickEveryMs: number };
  ea: { trades: number; warmup: number };
  reconcile: { slaves: number; positions: number };
}

const FULL: Plan = {
  counts: [1, 10, 50, 200],
  deals: (n) => (n <= 10 ? 400 : n <= 50 ? 300 : 100),
  warmup: (n) => (n <= 50 ? 50 : 15),
  burst: { slaves: 20, positions: 100, warmup: 10, rounds: 3 },
  scale: { slaves: 500, idleMs: 20_000, fanoutDeals: 20, tickEveryMs: 500 },
  ea: { trades: 40, warmup: 5 },
  reconcile: { slaves: 200, positions: 500 },
};

const SMOKE: Plan = {
  counts: [1, 5],
  deals: () => 30,
  warmup: () => 5,
  burst: { slaves: 5, positions: 10, warmup: 2, rounds: 1 },
  scale: { slaves: 20, idleMs: 1500, fanoutDeals: 5, tickEveryMs: 500 },
  ea: { trades: 3, warmup: 1 },
  reconcile: { slaves: 10, positions: 20 },
};

export interface BenchResults {
  machine: { cpu: string; cores: number; memGB: number; node: string; zeromq: string; kernel: string; loadStart: number[]; loadEnd: number[] };
  store: string;
  storeFallback?: string;
  log: string;
  smoke: boolean;
  plan: Plan;
  latency: { n: number; hub: LatencyResult; base: LatencyResult }[];
  burst?: { hub: BurstResult; base: BurstResult };
  scale?: { hub: ScaleResult; base: ScaleResult };
  /** What the EA row says when it was not measured. */
  ea: string;
  eaResult?: EaResult;
  reconcile?: ReconcileResult;
  profile?: string;
  durationS: number;
  files: string[];
}

const ROOT = resolve(__dirname, '..');

function machine() {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    /* not Linux */
  }
  let zeromq = '?';
  try {
    zeromq = (JSON.parse(readFileSync(require.resolve('zeromq/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    /* ignore */
  }
  return { cpu, cores: cpus().length, memGB: Math.round(totalmem() / 2 ** 30), node: process.version, zeromq, kernel: release(), loadStart: loadavg(), loadEnd: [] as number[] };
}

export async function runBench(opts: BenchOptions = {}): Promise<BenchResults> {
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  const started = Date.now();
  const plan = { ...(opts.smoke ? SMOKE : FULL) };
  if (opts.counts?.length) plan.counts = opts.counts;
  if (opts.scaleSlaves) plan.scale = { ...plan.scale, slaves: opts.scaleSlaves };
  const only = new Set(opts.only?.length ? opts.only : opts.smoke ? ['latency', 'burst', 'scale', 'reconcile'] : ['latency', 'burst', 'scale', 'ea', 'reconcile']);
  const tmpDir = mkdtempSync(join(tmpdir(), 'copybridge-bench-'));
  const buildDir = opts.prebuilt ?? join(tmpDir, 'build');
  const m = machine();
  print(`CopyBridge benchmark${opts.smoke ? ' (smoke)' : ''}: ${m.cpu}, ${m.cores} cores, node ${m.node}, load ${m.loadStart.map((l) => l.toFixed(2)).join(' ')}`);
  if (opts.prebuilt) print(`using the prebuilt hub in ${opts.prebuilt}`);
  else print(`transpiled ${transpileForChildren(ROOT, buildDir)} files for the child processes (${tmpDir})`);
  mkdirSync(join(tmpDir, 'profiles'), { recursive: true });
  const ctx: Ctx = {
    buildDir,
    tmpDir,
    nodePath: [join(ROOT, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(':'),
    store: opts.store ?? 'embedded',
    log: opts.log ?? 'info',
    profile: Boolean(opts.profile),
    progress: print,
  };
  const results: BenchResults = {
    machine: m, store: '', log: ctx.log === 'info' ? 'info level, text console lines (hub/log.ts), stdout to a file' : 'off', smoke: Boolean(opts.smoke), plan,
    latency: [], ea: '', durationS: 0, files: [],
  };
  try {
    if (only.has('latency')) {
      for (const n of plan.counts) {
        const deals = plan.deals(n);
        const warm = plan.warmup(n);
        print(`latency, ${n} slave${n > 1 ? 's' : ''}: ${deals} deals after ${warm} warm-up, alternating between baseline and hub ...`);
        const { hub, base } = await latencyPair(ctx, n, deals, warm);
        results.latency.push({ n, hub, base });
        print(`  baseline p50 ${fmtMs(base.latency.p50)} p99 ${fmtMs(base.latency.p99)} | hub p50 ${fmtMs(hub.latency.p50)} p99 ${fmtMs(hub.latency.p99)} max ${fmtMs(hub.latency.max)} (${fmtRatio(hub.latency.p50, base.latency.p50)}), lost ${hub.lost}`);
      }
    }
    if (only.has('burst')) {
      const b = plan.burst;
      print(`burst: ${b.positions} positions at once x ${b.slaves} slaves (${b.positions * b.slaves} commands), ${b.rounds} round${b.rounds > 1 ? 's' : ''} alternating between baseline and hub ...`);
      const { hub, base } = await burstPair(ctx, b.slaves, b.positions, b.warmup, b.rounds);
      results.burst = { hub, base };
      print(`  baseline ${base.rounds.map(roundText).join(', ')} | hub ${hub.rounds.map(roundText).join(', ')} (on a CPU / waiting); hub lost ${hub.lost}, ${hub.duplicates} re-sent, ledger ${hub.ledgerOpenTrades}/${hub.ledgerExpectedOpen} open trades`);
    }
    if (only.has('scale')) {
      const s = plan.scale;
      print(`scale: ${s.slaves} slaves idle for ${s.idleMs / 1000} s (heartbeats, a tick every ${s.tickEveryMs} ms each), then ${s.fanoutDeals} deals; baseline then hub ...`);
      const base = await scaleRun(ctx, 'relay', s.slaves, s.idleMs, s.fanoutDeals, s.tickEveryMs);
      const hub = await scaleRun(ctx, 'hub', s.slaves, s.idleMs, s.fanoutDeals, s.tickEveryMs);
      results.scale = { hub, base };
      print(`  baseline CPU ${base.cpuPct.toFixed(1)}% RSS ${fmtMB(base.rssIdlePeak)} | hub CPU ${hub.cpuPct.toFixed(1)}% RSS ${fmtMB(hub.rssEnd)} (peak ${fmtMB(hub.rssIdlePeak)}, after fan-out ${fmtMB(hub.rssPeak)}), connect ${hub.connectMs} ms, fan-out p50 ${fmtMs(hub.fanout.latency.p50)}`);
    }
    if (only.has('ea')) {
      const e = plan.ea;
      print(`end to end with the EA harness: ${e.trades} master orders after ${e.warmup} warm-up (building the EA if its source changed) ...`);
      const harness = loadEaHarness(ROOT);
      if (typeof harness === 'string') results.ea = `not measured: ${harness}`;
      else {
        try {
          results.eaResult = await eaEndToEnd(ctx, harness, e.trades, e.warmup);
          print(`  p50 ${fmtMs(results.eaResult.latency.p50)} p99 ${fmtMs(results.eaResult.latency.p99)}, lost ${results.eaResult.lost}`);
        } catch (err) {
          results.ea = `not measured: the EA harness failed (${(err as Error).message.split('\n')[0]})`;
        }
      }
      if (results.ea) print(`  ${results.ea}`);
    } else results.ea = 'not measured in this run';
    if (only.has('reconcile')) {
      const rc = plan.reconcile;
      print(`reconciliation: ${rc.slaves} slaves x ${rc.positions} copies, then every slave's snapshot while a probe master trades every few ms (engine in its own process) ...`);
      results.reconcile = runReconcile(buildDir, ctx.nodePath, rc.slaves, rc.positions);
      const during = results.reconcile.phases[1];
      print(`  probe delay p99 ${fmtMs(results.reconcile.phases[0].delay.p99)} alone, ${fmtMs(during.delay.p99)} during the snapshots (max ${fmtMs(during.delay.max)}); snapshot handled in ${fmtMs(during.snapshotHandling.p50)} p50`);
    }
    results.store = ctx.storeUsed ?? ctx.store;
    results.storeFallback = ctx.storeFallback;
    if (opts.profile) {
      const dir = join(tmpDir, 'profiles');
      const profs = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      results.profile = summarizeProfiles(profs.map((f) => join(dir, f)), join(buildDir, ''));
    }
  } finally {
    results.machine.loadEnd = loadavg();
    results.durationS = Math.round((Date.now() - started) / 1000);
    if (!opts.keep) rmSync(tmpDir, { recursive: true, force: true });
    else print(`scratch folder kept: ${tmpDir}`);
  }

  const outDir = opts.outDir ?? (opts.smoke ? mkdtempSync(join(tmpdir(), 'copybridge-bench-out-')) : join(ROOT, 'docs'));
  mkdirSync(outDir, { recursive: true });
  const chart = latencyChart(results);
  if (chart) {
    writeFileSync(join(outDir, 'bench-latency.png'), renderPng(chart));
    writeFileSync(join(outDir, 'bench-latency.svg'), renderSvg(chart));
    results.files.push(join(outDir, 'bench-latency.png'), join(outDir, 'bench-latency.svg'));
  }
  const md = report(results, Boolean(chart));
  writeFileSync(join(outDir, 'benchmarks.md'), md + keptLedgerSection(join(outDir, 'benchmarks.md')));
  results.files.push(join(outDir, 'benchmarks.md'));
  print('');
  print(tableLines(results).join('\n'));
  if (results.profile) print('\n' + results.profile);
  print(`\nwrote ${results.files.map((f) => relative(process.cwd(), f) || f).join(', ')} in ${results.durationS} s`);
  return results;
}

/** bench/reconcile.ts in a child process of its own: its 100,000 copies stay out of this one's heap. */
function runReconcile(buildDir: string, nodePath: string, slaves: number, positions: number): ReconcileResult {
  const out = execFileSync(process.execPath, [join(buildDir, 'bench', 'reconcile.js'), String(slaves), String(positions), '--json'], {
    env: { ...process.env, NODE_PATH: nodePath }, encoding: 'utf8', maxBuffer: 16 * 2 ** 20, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as ReconcileResult;
}

// ---------------------------------------------------------------- report

const BLUE: [number, number, number] = [31, 99, 190];
const GREY: [number, number, number] = [120, 120, 120];

function latencyChart(r: BenchResults): LatencyChart | undefined {
  if (!r.latency.length) return undefined;
  return {
    title: 'COPY LATENCY BY SLAVE COUNT',
    subtitle: `MASTER DEAL SENT -> OPEN RECEIVED BY EACH SLAVE. ${r.machine.cores} CORES, ${r.machine.cpu}`.slice(0, 75),
    categories: r.latency.map((l) => `${l.n} SLAVE${l.n > 1 ? 'S' : ''}`),
    xLabel: 'SLAVES CONNECTED',
    series: [
      { label: 'HUB P99', color: BLUE, dash: true, values: r.latency.map((l) => l.hub.latency.p99) },
      { label: 'HUB P50', color: BLUE, values: r.latency.map((l) => l.hub.latency.p50) },
      { label: 'RAW ZEROMQ P99', color: GREY, dash: true, values: r.latency.map((l) => l.base.latency.p99) },
      { label: 'RAW ZEROMQ P50', color: GREY, values: r.latency.map((l) => l.base.latency.p50) },
    ],
  };
}

const yes = (ok: boolean) => (ok ? 'met' : '**missed**');

function rows(r: BenchResults): string[][] {
  const out: string[][] = [];
  for (const { n, hub, base } of r.latency) {
    const who = `Hub path, ${n} slave${n > 1 ? 's' : ''}`;
    out.push([who, 'p50', fmtMs(hub.latency.p50), fmtMs(base.latency.p50), fmtRatio(hub.latency.p50, base.latency.p50), '<= 1.3x baseline', yes(hub.latency.p50 <= 1.3 * base.latency.p50)]);
    out.push([who, 'p99', fmtMs(hub.latency.p99), fmtMs(base.latency.p99), fmtRatio(hub.latency.p99, base.latency.p99), '<= 1.5x baseline', yes(hub.latency.p99 <= 1.5 * base.latency.p99)]);
    out.push([who, 'max', fmtMs(hub.latency.max), fmtMs(base.latency.max), fmtRatio(hub.latency.max, base.latency.max), '', '']);
    if (hub.hubLastSend && n >= 50) {
      const perSlaveUs = (hub.hubLastSend.p50 * 1000) / n;
      out.push([who, 'in the hub: deal -> last command to ZeroMQ, p50 per slave', `${perSlaveUs.toFixed(1)} µs`, '', '', '<= 10 µs', yes(perSlaveUs <= 10)]);
    }
    if (hub.lost || base.lost || hub.duplicates) out.push([who, 'lost / re-sent commands', `${hub.lost} / ${hub.duplicates}`, `${base.lost} / ${base.duplicates}`, '', 'none lost', yes(hub.lost === 0)]);
  }
  if (r.burst) {
    const { hub, base } = r.burst;
    const who = `Burst, ${hub.positions} positions x ${hub.slaves} slaves`;
    const fig = `last of ${hub.median.expected} commands received${hub.rounds.length > 1 ? ` (median of ${hub.rounds.length})` : ''}`;
    out.push([who, fig, fmtMs(hub.median.elapsedMs), fmtMs(base.median.elapsedMs), fmtRatio(hub.median.elapsedMs, base.median.elapsedMs), '<= 2x baseline', yes(hub.median.elapsedMs <= 2 * base.median.elapsedMs)]);
    out.push([who, 'main thread on a CPU in that time', fmtMs(hub.median.cpuMs), fmtMs(base.median.cpuMs), fmtRatio(hub.median.cpuMs, base.median.cpuMs), '<= 3x baseline', yes(hub.median.cpuMs <= 3 * base.median.cpuMs)]);
    out.push([who, 'lost / re-sent (all rounds)', `${hub.lost} / ${hub.duplicates}`, `${base.lost} / ${base.duplicates}`, '', 'none lost', yes(hub.lost === 0)]);
  }
  if (r.scale) {
    const { hub, base } = r.scale;
    const who = `Scale, ${hub.slaves} slaves idle`;
    out.push([who, `CPU (${hub.inRate.toFixed(0)} msg/s in)`, `${hub.cpuPct.toFixed(1)} % of a core`, `${base.cpuPct.toFixed(1)} %`, fmtRatio(hub.cpuPct, base.cpuPct), '', '']);
    out.push([who, 'resident memory: end of idle (peak)', `${fmtMB(hub.rssEnd)} (${fmtMB(hub.rssIdlePeak)})`, `${fmtMB(base.rssEnd)} (${fmtMB(base.rssIdlePeak)})`, fmtRatio(hub.rssIdlePeak, base.rssIdlePeak), '<= 1.5x baseline', yes(hub.rssIdlePeak <= 1.5 * base.rssIdlePeak)]);
    out.push([`Fan-out to ${hub.slaves} under that load`, 'p50 / p99', `${fmtMs(hub.fanout.latency.p50)} / ${fmtMs(hub.fanout.latency.p99)}`, `${fmtMs(base.fanout.latency.p50)} / ${fmtMs(base.fanout.latency.p99)}`, fmtRatio(hub.fanout.latency.p50, base.fanout.latency.p50), '<= 1.5x baseline', yes(hub.fanout.latency.p50 <= 1.5 * base.fanout.latency.p50)]);
  }
  if (r.reconcile) {
    const rc = r.reconcile;
    const [alone, during] = rc.phases;
    const who = `Reconciliation, ${rc.slaves} slaves x ${rc.positions} copies`;
    out.push([who, 'delay of a concurrent copy, p99 (max): during the snapshots', `${fmtMs(during.delay.p99)} (${fmtMs(during.delay.max)})`, '', '', '<= 1 ms', yes(during.delay.p99 <= 1)]);
    out.push([who, 'the same with no snapshot arriving (the periodic pass still runs)', `${fmtMs(alone.delay.p99)} (${fmtMs(alone.delay.max)})`, '', '', '', '']);
  }
  const ea = r.eaResult;
  const base1 = r.latency.find((l) => l.n === 1)?.base.latency.p50 ?? NaN;
  if (ea) {
    out.push(['End to end with the EA, 1 slave', `master order -> slave OrderSend p50 (timer ${ea.timerMs} ms)`, fmtMs(ea.latency.p50), fmtMs(base1), fmtRatio(ea.latency.p50, base1), '', '']);
    out.push(['End to end with the EA, 1 slave', 'p99 / max', `${fmtMs(ea.latency.p99)} / ${fmtMs(ea.latency.max)}`, '', '', '', '']);
    if (ea.lost) out.push(['End to end with the EA, 1 slave', 'lost', String(ea.lost), '', '', 'none', yes(false)]);
    if (ea.cpu?.n) out.push(['The EA per command (harness)', 'CPU of the timer event that sent the order, p50 / p99 / max', `${fmtMs(ea.cpu.p50)} / ${fmtMs(ea.cpu.p99)} / ${fmtMs(ea.cpu.max)}`, '', '', '< 0.5 ms', yes(ea.cpu.p99 < 0.5)]);
  } else out.push(['End to end with the EA', 'master order -> slave OrderSend', r.ea, '', '', '', '']);
  return out;
}

function table(header: string[], body: string[][]): string[] {
  const all = [header, ...body];
  const w = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (c ?? '').padEnd(w[i])).join(' | ')} |`;
  return [line(header), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...body.map(line)];
}

function tableLines(r: BenchResults): string[] {
  return table(['Measurement', 'Figure', 'Hub', 'Baseline (raw ZeroMQ)', 'Hub / baseline', 'Target', 'Verdict'], rows(r));
}

function detailLines(r: BenchResults): string[] {
  const body: string[][] = [];
  for (const { n, hub, base } of r.latency) {
    body.push([
      `${n}`, `${hub.deals} x ${n} = ${hub.latency.n}`, fmtMs(hub.lastSlave.p50), fmtMs(hub.lastSlave.p99), fmtMs(base.lastSlave.p50), fmtMs(base.lastSlave.p99),
      hub.hubLastSend ? `${fmtMs(hub.hubLastSend.p50)} / ${fmtMs(hub.hubLastSend.p99)}` : '-',
      hub.hubHandle ? fmtMs(hub.hubHandle.p50) : '-',
      hub.hubCpu && hub.hubWait ? `${fmtMs(hub.hubCpu.p50)} / ${fmtMs(hub.hubWait.p50)}` : '-',
      `${hub.lost} / ${hub.duplicates}`, hub.hub ? `${hub.hub.refusals} / ${hub.hub.resends} / ${hub.hub.expired}` : '-',
    ]);
  }
  return table(
    ['Slaves', 'Samples (deals x slaves)', 'Hub: last slave p50', 'Hub: last slave p99', 'Baseline: last slave p50', 'Baseline: last slave p99', 'Hub: deal -> last command to ZeroMQ p50 / p99', 'Hub: whole deal incl. log lines p50', 'Hub main thread on a CPU / waiting p50', 'Hub lost / re-sent', 'Hub refusals / resends / expired'],
    body,
  );
}

const roundText = (x: BurstRound) => `${fmtMs(x.elapsedMs)} (${fmtMs(x.cpuMs)} / ${fmtMs(x.waitMs)})`;

function report(r: BenchResults, chart: boolean): string {
  const m = r.machine;
  const L: string[] = [];
  L.push('# Benchmarks');
  L.push('');
  L.push(`Generated by \`npm run bench${r.smoke ? ' -- --smoke' : ''}\` (bench/run.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${r.durationS} s. Do not edit by hand: run it again.`);
  L.push('');
  L.push(`- Machine: ${m.cpu}, ${m.cores} cores, ${m.memGB} GiB, Linux ${m.kernel}; Node ${m.node}, zeromq.js ${m.zeromq}.`);
  L.push(`- Load average at start / end: ${m.loadStart.map((x) => x.toFixed(2)).join(' ')} / ${m.loadEnd.map((x) => x.toFixed(2)).join(' ')} (other work on the machine makes absolute figures noisy; the ratios compare runs made minutes apart).`);
  L.push(`- Hub: the real hub (\`startHub\`: transport, engine, ledger writer) in its own process, ledger on with the **${r.store}** store${r.storeFallback ? ` (${r.storeFallback})` : ''}, logging ${r.log}; default timings (heartbeat 2 s, resend 500 ms).`);
  L.push('- Load generator: a second process with one master and N slaves, each with its own PUSH and SUB socket, speaking the protocol (hello, symbols, snapshot, heartbeats, ticks, and a `done` result for every command within 5 ms, a stand-in for the broker\'s execution time).');
  L.push('- Baseline: the same load generator against a relay process doing the same two ZeroMQ hops (PUSH -> PULL, PUB -> SUB) with nothing in between: for every deal it publishes one message per slave topic, of the same size as the hub\'s open command, with the same send loop.');
  L.push('- Latency: process.hrtime in the load generator, from just before the master\'s deal is pushed to each slave\'s receipt of its open command. Deals go one at a time after a warm-up; the next deal waits until the hub has handled every result and flushed the ledger.');
  L.push('');
  L.push('## Results');
  L.push('');
  L.push(...tableLines(r));
  L.push('');
  if (chart) {
    L.push('![Copy latency by slave count](bench-latency.png)');
    L.push('');
  }
  if (r.latency.length) {
    L.push('### Latency details');
    L.push('');
    L.push('"Last slave" is, per deal, the time until the last of the N slaves had its command: the fan-out time of one copy. The "Hub:" columns are measured inside the hub process for each deal: from the deal handed to the engine to the last of its commands handed to ZeroMQ (the share of the hub itself in the latency of the last slave); the whole handling of the deal including the decision log lines written after the commands; and, from the Linux schedstat of the hub main thread until it is idle again, its time on a CPU and its time runnable but waiting for a CPU (other processes on the machine). The rest of the hub path is the two ZeroMQ hops and the load generator, which the baseline has too.');
    L.push('');
    L.push(...detailLines(r));
    L.push('');
  }
  if (r.burst) {
    const { hub, base } = r.burst;
    L.push('### Burst');
    L.push('');
    L.push(`${hub.positions} opening deals pushed back to back by the master with ${hub.slaves} slaves connected, ${hub.rounds.length} round${hub.rounds.length > 1 ? 's' : ''} alternating with the baseline (both processes up), after one unmeasured warm-up burst each. Each round's last command received after (in brackets: the target's main thread on a CPU / runnable but waiting for a CPU in that time, from Linux schedstat): hub ${hub.rounds.map(roundText).join(', ')}; baseline ${base.rounds.map(roundText).join(', ')}. Median round: per command p50 ${fmtMs(hub.median.latency.p50)}, p99 ${fmtMs(hub.median.latency.p99)} from the first send (baseline ${fmtMs(base.median.latency.p50)}, ${fmtMs(base.median.latency.p99)}). Lost ${hub.lost}; received twice (the hub re-sends a command without a result after 500 ms; the slave answers "duplicate") ${hub.duplicates}. Ledger afterwards: ${hub.ledgerOpenTrades} open trades of ${hub.ledgerExpectedOpen} expected (including ${r.plan.burst.warmup} warm-up positions and one unmeasured warm-up burst).`);
    L.push('');
  }
  if (r.scale) {
    const { hub, base } = r.scale;
    L.push('### Scale');
    L.push('');
    L.push(`${hub.slaves} slaves and a master connected (all welcomed, symbols and snapshots taken in, ${hub.connectMs} ms after connecting), one deal copied to all of them, then ${hub.idleMs / 1000} s idle with heartbeats every 2 s and a tick every ${r.plan.scale.tickEveryMs} ms per slave (${hub.inRate.toFixed(0)} messages/s into the hub). Hub CPU ${hub.cpuPct.toFixed(1)} % of one core (baseline relay ${base.cpuPct.toFixed(1)} %), resident memory ${fmtMB(hub.rssEnd)} at the end of the idle window${hub.idleMem ? ` (V8 heap ${fmtMB(hub.idleMem.heapUsed)} used of ${fmtMB(hub.idleMem.heapTotal)}, external ${fmtMB(hub.idleMem.external)})` : ''}, peak ${fmtMB(hub.rssIdlePeak)} up to then (relay ${fmtMB(base.rssIdlePeak)}), ${fmtMB(hub.rssPeak)} after the fan-out deals below. Then ${hub.fanout.deals} deals to all ${hub.slaves} under that load: every command p50 ${fmtMs(hub.fanout.latency.p50)}, p99 ${fmtMs(hub.fanout.latency.p99)}; last slave p50 ${fmtMs(hub.fanout.lastSlave.p50)} (baseline ${fmtMs(base.fanout.lastSlave.p50)}).`);
    L.push('');
  }
  if (r.reconcile) {
    const rc = r.reconcile;
    L.push('### Reconciliation');
    L.push('');
    L.push(`The engine in a process of its own (bench/reconcile.ts), driven as hub/hub.ts drives it: one message handled at a time as it arrives, the 50 ms tick, and the slices of unfinished reconciliation passes (reconcileSlice ${rc.slice} comparisons) from setImmediate. ${rc.copies} open copies (${rc.slaves} slaves x ${rc.positions}, made in ${rc.fillS.toFixed(1)} s; resident memory then ${rc.rssMB.toFixed(0)} MB). A probe master with its own slave trades every 4 ms; a probe copy's delay is the time from its arrival to the moment the hub starts on it: what ran before it held it back. Then every slave's snapshot of its ${rc.positions} positions arrives, one every 10 ms, as JSON through the real decoder.`);
    L.push('');
    L.push(...table(['Phase', 'Probe copies', 'Delay p50', 'Delay p99', 'Delay max', 'Snapshots: handled in p50 / max', 'Pass slices: count / longest', 'Ticks: count / longest'], rc.phases.map((p) => [
      p.name, String(p.probes), fmtMs(p.delay.p50), fmtMs(p.delay.p99), fmtMs(p.delay.max), p.snapshots ? `${fmtMs(p.snapshotHandling.p50)} / ${fmtMs(p.snapshotHandling.max)}` : '-', `${p.slices} / ${fmtMs(p.sliceMax)}`, `${p.ticks} / ${fmtMs(p.tickMax)}`,
    ])));
    L.push('');
  }
  L.push('### End to end with the EA');
  L.push('');
  const ea = r.eaResult;
  if (ea) {
    L.push(`Two terminals of the EA harness (test/mql5: the EA's own MQL5 source compiled as C++ against the MQL5 stand-in and a fake broker, talking through the Linux build of the bridge DLL) against the hub in its own process: a user's market order written to the master terminal -> the slave EA's Experts-tab line for its OrderSend, both seen by the benchmark process. ${ea.trades} orders one at a time: p50 ${fmtMs(ea.latency.p50)}, p99 ${fmtMs(ea.latency.p99)}, max ${fmtMs(ea.latency.max)}, lost ${ea.lost}. The slave EA reads the hub on its ${ea.timerMs} ms timer (InpTimerMs, as in MetaTrader where 10-16 ms is the finest), so on average about half a period of it is in every figure; the ratio is to the raw ZeroMQ 1-slave p50.${ea.cpu?.n ? ` The slave EA's own time for each timer event that sent an order (reading the hub through the bridge, parsing, the checks, OrderSend into the harness's stand-in broker), on the thread's CPU clock: p50 ${fmtMs(ea.cpu.p50)}, p99 ${fmtMs(ea.cpu.p99)}, max ${fmtMs(ea.cpu.max)} (${ea.cpu.n} orders).` : ''}`);
  } else {
    L.push(`${r.ea}. Measured when test/mql5/terminal.ts and the bridge library are built: a master order in the EA harness -> the slave EA's OrderSend.`);
  }
  L.push('');
  if (r.profile) {
    L.push('### Where the hub\'s time goes (V8 CPU profile, this run)');
    L.push('');
    L.push('```');
    L.push(r.profile);
    L.push('```');
    L.push('');
  }
  const notes = join(__dirname, 'NOTES.md');
  if (existsSync(notes)) {
    L.push(readFileSync(notes, 'utf8').trim());
    L.push('');
  }
  return L.join('\n');
}

// ---------------------------------------------------------------- CLI

function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--smoke') o.smoke = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--out') o.outDir = resolve(val());
    else if (a === '--prebuilt') o.prebuilt = resolve(val());
    else if (a === '--store') o.store = val() as BenchOptions['store'];
    else if (a === '--log') o.log = val() as BenchOptions['log'];
    else if (a === '--only') o.only = val().split(',') as BenchOptions['only'];
    else if (a === '--counts') o.counts = val().split(',').map(Number);
    else if (a === '--scale-slaves') {
      o.scaleSlaves = Number(val());
      if (!Number.isInteger(o.scaleSlaves) || o.scaleSlaves < 1) throw new Error(`--scale-slaves needs a whole number of slaves, 1 or more (got ${argv[i]})`);
    }
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(__filename, 'utf8').split('*/')[0] + '*/\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  return o;
}

if (require.main === module) {
  runBench(parseArgs(process.argv.slice(2))).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
