/** The chaos run with the EA's own code as every terminal (a small one; `npm run chaos -- --ea` for more). */
import { runEaSeed } from '../../chaos/ea';
import { buildHub, buildIsStale } from '../../chaos/hub-process';
import { eaDamage, eaTable } from '../../chaos/report';

beforeAll(() => {
  if (buildIsStale()) buildHub();
}, 120_000);

it('keeps the EA slaves right through hub kills and terminal restarts', async () => {
  const r = await runEaSeed({ seed: 5, ops: 40, settleMs: 15_000 });
  console.log(`${eaTable([r])}${r.check.problems.length ? `\n(replay: npm run chaos -- --ea --seed 5 --ops 40)\n${r.check.problems.join('\n')}` : ''}`);
  expect(r.faults.hub_kill + r.faults.terminal_restart).toBeGreaterThan(0);
  expect(eaDamage(r)).toBe(0);
}, 90_000);
