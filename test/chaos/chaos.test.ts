/**
 * A short chaos run in `npm test`: the real hub process through seeded operations and faults, then
 * a few thousand hostile messages. `npm run chaos` runs the long version (docs/chaos.md).
 */
import { buildHub, buildIsStale } from '../../chaos/hub-process';
import { fuzzDamage, runFuzz } from '../../chaos/fuzz';
import { failures, faultTable, fuzzTable, seedTable } from '../../chaos/report';
import { runSeed, saveLog, type SeedResult } from '../../chaos/scenario';

const SEEDS = [11, 12, 13];
const OPS = 80;

beforeAll(() => {
  // bin/hub.js runs dist/: compile it when a hub source is newer (as test/hub/cli/main.test.ts does).
  if (buildIsStale()) buildHub();
}, 120_000);

describe('chaos', () => {
  it(`keeps every slave right through ${SEEDS.length} seeds of ${OPS} operations and faults`, async () => {
    const results: SeedResult[] = [];
    for (const seed of SEEDS) {
      const r = await runSeed({ seed, ops: OPS, settleMs: 10_000 });
      results.push(r);
      if (r.check.problems.length || r.crashes.length) {
        console.log(`seed ${seed} (replay: npm run chaos -- --seed ${seed} --ops ${OPS}; full log: ${saveLog(r)}):\n${[...r.check.problems, ...r.crashes].join('\n')}\n\nlast steps:\n${r.journal.slice(-15).join('\n')}`);
      }
    }
    console.log(`${seedTable(results)}\n\n${faultTable(results)}`);
    expect(results.reduce((n, r) => n + r.trades, 0)).toBeGreaterThan(OPS);
    expect(failures(results)).toEqual([]);
  }, 100_000);

  it('survives hostile messages while copying, with bounded memory and log volume', async () => {
    const f = await runFuzz({ messages: 3000, seed: 14, settleMs: 8_000 });
    console.log(`${fuzzTable(f)}\n${Object.entries(f.kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (f.check.problems.length) console.log(`after the fuzz (replay: npm run chaos -- --fuzz 3000 --seed 14 --seeds 0):\n${f.check.problems.join('\n')}`);
    expect(f.crashes).toEqual([]);
    expect(f.latency.count).toBeGreaterThan(0);
    // Every hostile message may cost at most one log line (a flood must not become a log flood).
    expect(f.linesPer1000).toBeLessThanOrEqual(1000);
    // Hostile input (replays included) must not leave a slave wrong.
    expect(fuzzDamage(f.check)).toBe(0);
  }, 60_000);
});
