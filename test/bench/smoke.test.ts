/**
 * `npm run bench` still runs: a short version (a few hundred messages) through the same code,
 * with the real hub and the raw ZeroMQ relay in child processes. Checks that it completes, that
 * every figure is there and sane, and that no command was lost. Timings are not asserted: the
 * benchmark is not a test.
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { runBench, type BenchResults } from '../../bench/run';
import { removeTempDirs, tempDir } from '../helpers';

jest.setTimeout(180_000);

let out: string;
let r: BenchResults;
const lines: string[] = [];

beforeAll(async () => {
  out = tempDir('copybridge-bench-smoke-');
  r = await runBench({ smoke: true, outDir: out, print: (l) => lines.push(l) });
});

afterAll(() => removeTempDirs());

const positive = (x: number) => Number.isFinite(x) && x > 0;

describe('bench smoke run', () => {
  it('measures hub and baseline latency for each slave count, losing nothing', () => {
    expect(r.latency.map((l) => l.n)).toEqual(r.plan.counts);
    for (const { n, hub, base } of r.latency) {
      for (const x of [hub, base]) {
        expect(x.latency.n).toBe(x.deals * n);
        expect(x.lost).toBe(0);
        for (const v of [x.latency.p50, x.latency.p99, x.latency.max]) expect(positive(v)).toBe(true);
        expect(x.latency.p50).toBeLessThanOrEqual(x.latency.p99);
        expect(x.latency.p99).toBeLessThanOrEqual(x.latency.max);
      }
      expect(hub.hub).toMatchObject({ refusals: 0, expired: 0 });
      expect(hub.hub!.commandsSent).toBeGreaterThanOrEqual(hub.latency.n);
      expect(positive(hub.hubLastSend!.p50)).toBe(true);
      expect(hub.hubLastSend!.p50).toBeLessThanOrEqual(hub.hubHandle!.p99 + 1);
    }
  });

  it('delivers every command of the burst and records every copy in the ledger', () => {
    const { hub, base } = r.burst!;
    for (const x of [hub, base]) {
      expect(x.lost).toBe(0);
      for (const round of x.rounds) {
        expect(round.received).toBe(x.slaves * x.positions);
        expect(positive(round.elapsedMs)).toBe(true);
      }
    }
    expect(hub.ledgerOpenTrades).toBe(hub.ledgerExpectedOpen);
  });

  it('measures CPU and resident memory with many idle slaves', () => {
    const { hub, base } = r.scale!;
    for (const x of [hub, base]) {
      expect(x.cpuPct).toBeGreaterThan(0);
      expect(positive(x.rssEnd)).toBe(true);
      expect(x.rssIdlePeak).toBeGreaterThanOrEqual(x.rssEnd);
      expect(x.inRate).toBeGreaterThan(0);
      expect(x.fanout.lost).toBe(0);
      expect(x.fanout.latency.n).toBe(x.fanout.deals * x.slaves);
    }
  });

  it('times a probe copy while every slave\'s snapshot is reconciled', () => {
    const rc = r.reconcile!;
    expect(rc.copies).toBe(rc.slaves * rc.positions);
    const [alone, during] = rc.phases;
    expect(alone.snapshots).toBe(0);
    expect(during.snapshots).toBe(rc.slaves);
    for (const p of [alone, during]) {
      expect(p.probes).toBeGreaterThan(100);
      expect(p.delay.p50).toBeLessThanOrEqual(p.delay.p99);
      expect(p.delay.p99).toBeLessThanOrEqual(p.delay.max);
      expect(p.ticks).toBeGreaterThan(0);
    }
  });

  it('writes the report and the chart', () => {
    const md = readFileSync(join(out, 'benchmarks.md'), 'utf8');
    expect(md).toMatch(/\| Hub path, 1 slave +\| p50/);
    expect(md).toMatch(/Burst, /);
    expect(md).toMatch(/\| Reconciliation, \d+ slaves x \d+ copies +\| delay of a concurrent copy/);
    expect(md).toMatch(/not measured: EA harness not available|EA harness/);
    expect(md).toContain(r.machine.cpu);
    const png = readFileSync(join(out, 'bench-latency.png'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(existsSync(join(out, 'bench-latency.svg'))).toBe(true);
    expect(lines.some((l) => l.startsWith('| Measurement'))).toBe(true);
  });
});
