/**
 * `npx ts-node --transpile-only bench/cost-chart.ts BEFORE_DIR [--out docs]`: the hub's cost per
 * slave before and after a change. Runs bench/engine-cost.ts (with the production console logger,
 * output to /dev/null) in BEFORE_DIR (a copy of the repository at the earlier commit, e.g.
 * `git archive <commit> hub sim bench | tar -x -C DIR`, with node_modules linked) and in this
 * tree, alternating, at 1, 10, 50 and 200 slaves; writes bench-cost.png / .svg and prints a table.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { renderPng, renderSvg, type LatencyChart } from './chart';

interface Cost {
  slaves: number;
  copies: number;
  fanOutUsPerSlave: number;
  resultsUsPerSlave: number;
  convergePassUs: number;
  snapshotReconcileUs: number;
}

const COUNTS = [1, 10, 50, 200];
const POSITIONS = 20;

function run(dir: string, slaves: number): Cost {
  // The log lines go to stdout (dropped); the figures come as the last line on stderr.
  const r = spawnSync('npx', ['ts-node', '--transpile-only', 'bench/engine-cost.ts', String(slaves), String(POSITIONS), '--log'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`engine-cost in ${dir} failed: ${r.stderr}`);
  return JSON.parse(r.stderr.trim().split('\n').pop()!) as Cost;
}

function main(): void {
  const before = resolve(process.argv[2] ?? '');
  const outIdx = process.argv.indexOf('--out');
  const outDir = resolve(outIdx > 0 ? process.argv[outIdx + 1] : join(__dirname, '..', 'docs'));
  const here = resolve(__dirname, '..');
  const b: Cost[] = [];
  const a: Cost[] = [];
  for (const n of COUNTS) {
    b.push(run(before, n));
    a.push(run(here, n));
  }
  const perCopy = (c: Cost) => c.convergePassUs / c.copies;
  const chart: LatencyChart = {
    title: 'HUB COST PER SLAVE, BEFORE AND AFTER',
    subtitle: `ENGINE + LOG LINE CPU, ${POSITIONS} OPEN COPIES PER SLAVE (BENCH/ENGINE-COST.TS)`,
    categories: COUNTS.map((n) => `${n} SLAVE${n > 1 ? 'S' : ''}`),
    xLabel: 'SLAVES',
    unit: 'US',
    series: [
      { label: 'BEFORE: DEAL FAN-OUT PER SLAVE', color: [150, 150, 150], values: b.map((c) => c.fanOutUsPerSlave) },
      { label: 'AFTER: DEAL FAN-OUT PER SLAVE', color: [40, 90, 200], values: a.map((c) => c.fanOutUsPerSlave) },
      { label: 'BEFORE: PERIODIC PASS PER COPY', color: [150, 150, 150], dash: true, values: b.map(perCopy) },
      { label: 'AFTER: PERIODIC PASS PER COPY', color: [40, 90, 200], dash: true, values: a.map(perCopy) },
    ],
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'bench-cost.png'), renderPng(chart));
  writeFileSync(join(outDir, 'bench-cost.svg'), renderSvg(chart));
  const f = (x: number) => x.toFixed(1);
  process.stdout.write('| Slaves | Fan-out per slave before / after (µs) | Result per slave before / after (µs) | Periodic pass per copy before / after (µs) | Snapshot reconciled before / after (µs) |\n|---|---|---|---|---|\n');
  COUNTS.forEach((n, i) => {
    process.stdout.write(
      `| ${n} | ${f(b[i].fanOutUsPerSlave)} / ${f(a[i].fanOutUsPerSlave)} | ${f(b[i].resultsUsPerSlave)} / ${f(a[i].resultsUsPerSlave)} | ${f(perCopy(b[i]))} / ${f(perCopy(a[i]))} | ${f(b[i].snapshotReconcileUs)} / ${f(a[i].snapshotReconcileUs)} |\n`,
    );
  });
}

main();
