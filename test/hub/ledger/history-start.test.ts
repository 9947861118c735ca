/**
 * Issue 15's ledger target, scaled down (the full figures: `npm run bench:ledger`, in
 * docs/benchmarks.md): the real hub process starts as fast, and in as little memory, on a data
 * folder with 100,000 trades and 300,000 events as on an empty one. Ratios, not absolute times:
 * the machine may be busy. (With trades.db loaded whole at start, as nedb did, 100,000 trades
 * took 3 to 6 s: issue 15.)
 */
import { join, resolve } from 'path';
import { transpileForChildren } from '../../../bench/build';
import { timeHubStart, writeHistory, type StartResult } from '../../../bench/ledger-history';
import { EmbeddedStore } from '../../../hub/ledger';
import { removeTempDirs, tempDir } from '../../helpers';

jest.setTimeout(300_000);
afterAll(() => removeTempDirs());

const ROOT = resolve(__dirname, '../../..');
const SHAPE = { trades: 100_000, events: 300_000, live: 100 };

it('hub start with 100,000 trades and 300,000 events: ready time and memory as with an empty store', async () => {
  const build = tempDir('copybridge-history-build-');
  transpileForChildren(ROOT, build);
  const hub = ['-e', `require(${JSON.stringify(join(build, 'hub/cli/main.js'))}).main(process.argv.slice(1))`];
  const env = { ...process.env, NODE_PATH: join(ROOT, 'node_modules') };
  const full = tempDir('copybridge-history-');
  const empty = tempDir('copybridge-history-empty-');
  writeHistory(full, SHAPE);
  writeHistory(empty, { trades: 0, events: 0, live: 0 });
  // The first start builds trades.idx (as for a trades.db nedb wrote); the ones measured use it.
  await timeHubStart(hub, full, ROOT, env);

  const runs: Record<'empty' | 'full', StartResult[]> = { empty: [], full: [] };
  for (let r = 0; r < 3; r++) {
    runs.empty.push(await timeHubStart(hub, empty, ROOT, env));
    runs.full.push(await timeHubStart(hub, full, ROOT, env));
  }
  // The fastest of each: a busy machine only ever slows a run down.
  const ready = (w: 'empty' | 'full') => Math.min(...runs[w].map((s) => s.readyMs));
  const rss = (w: 'empty' | 'full') => Math.min(...runs[w].map((s) => s.rss));
  console.log(`ready: empty ${ready('empty').toFixed(0)} ms, history ${ready('full').toFixed(0)} ms; RSS: empty ${(rss('empty') / 2 ** 20).toFixed(1)} MB, history ${(rss('full') / 2 ** 20).toFixed(1)} MB`);
  expect(ready('full') / ready('empty')).toBeLessThan(2);
  if (process.platform === 'linux') expect(rss('full') - rss('empty')).toBeLessThan(20 * 2 ** 20);

  // And the live copies are what the engine gets back.
  const store = new EmbeddedStore(full, { readOnly: true });
  expect(await store.countTrades({ open: true })).toBe(SHAPE.live);
  expect(await store.countTrades({})).toBe(SHAPE.trades);
});
