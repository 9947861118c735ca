/**
 * The Windows x64 DLL, driven by the cross-compiled cb_wintest.exe under wine64 against a hub on
 * loopback: connect, messages both ways, the wake-up message (WM_TIMER; collapse, re-arm), wake-up
 * latency against timer polling, 1,000 open/close cycles with handles/threads/memory stable, 256
 * handles at once, and a clean exit in bounded time with handles left open. Build first: `npm run build:bridge`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireBuilt, WINDOWS_DIR, REPO } from './cb';
import { startHub } from '../../hub';
import { memoryLogger } from '../../hub/log';
import { issueKey } from '../../hub/transport/keys';
import { tempDir, until } from '../helpers';
import { FakeHub } from '../helpers/fake-hub';
import { ensurePrefix, killWineserver, runWinTest, wineProcesses } from './wine';

jest.setTimeout(180_000);

let hub: FakeHub;
const args = (mode: string, topic: string, n?: number) =>
  [hub.pullEndpoint, hub.pubEndpoint, mode, topic, ...(n === undefined ? [] : [String(n)])];

beforeAll(async () => {
  requireBuilt(path.join(WINDOWS_DIR, 'copybridge.dll'));
  requireBuilt(path.join(WINDOWS_DIR, 'cb_wintest.exe'));
  ensurePrefix();
  hub = await FakeHub.start();
});

afterAll(async () => {
  await hub?.stop();
  killWineserver();
  // Nothing of wine may outlive the tests.
  await until(() => wineProcesses().length === 0, { timeoutMs: 10_000, everyMs: 100, what: 'the wine processes to end' }).catch(() => undefined);
  expect(wineProcesses()).toEqual([]);
});

test('connects, exchanges messages both ways, large message, truncation, bad arguments, topic isolation, wake-up message, FreeLibrary', async () => {
  const run = await runWinTest(args('basic', 'WIN1'), 60_000);
  expect(run.failures).toEqual([]);
  expect(run.code).toBe(0);
  expect(run.results).toEqual([{ mode: 'basic', failures: 0 }]);
});

test('wake-up (WM_TIMER to an OnTimer stand-in): the EA sees a hub message sooner than with its 10 ms timer alone', async () => {
  const n = 150;
  const run = await runWinTest(args('latency', 'WIN2', n), 90_000);
  expect(run.failures).toEqual([]);
  expect(run.code).toBe(0);
  const wake = run.results.find((r) => r.kind === 'wakeup');
  const timer = run.results.find((r) => r.kind === 'timer10ms');
  expect(wake.n).toBe(n);
  expect(timer.n).toBe(n);
  const report = {
    measured: new Date().toISOString(),
    environment: 'wine64 on Linux, loopback',
    message: 'WM_TIMER, wParam 0, lParam 0, posted to the window whose WM_TIMER runs the OnTimer stand-in',
    wakeup: wake,
    timer10ms: timer,
  };
  fs.mkdirSync(path.join(REPO, 'build/bridge'), { recursive: true });
  fs.writeFileSync(path.join(REPO, 'build/bridge/wakeup-latency.json'), JSON.stringify(report, null, 2));
  console.log(`hub -> EA latency (ms), wake-up on (10 ms timer running too): mean ${wake.mean_ms} p50 ${wake.p50_ms} p90 ${wake.p90_ms} p99 ${wake.p99_ms}, ` +
    `${wake.via_wakeup} of ${n} delivered by the wake-up; 10 ms timer alone: mean ${timer.mean_ms} p50 ${timer.p50_ms} p90 ${timer.p90_ms} p99 ${timer.p99_ms} ` +
    `(timer interval ${timer.timer_interval_ms})`);
  // The timer adds on average half its interval; the wake-up removes that wait. The two ways
  // alternate message by message, so both see the same machine load; medians, because under
  // wine every ZeroMQ hop goes through wineserver and a busy machine adds outliers to both.
  // A machine loaded past twice its cores (other jobs beside the tests) queues wineserver behind
  // them and the wait for a time slice swamps the half interval measured: the comparison is then
  // said, not asserted. CI runs alone, so there it is asserted.
  const load = os.loadavg()[0];
  if (load <= 2 * os.cpus().length) expect(wake.p50_ms).toBeLessThan(timer.p50_ms);
  else console.warn(`load average ${load.toFixed(1)} on ${os.cpus().length} cores: wake-up median ${wake.p50_ms} ms vs timer ${timer.p50_ms} ms not compared`);
  // With the timer running as well, the wake-up must be what delivers most messages: the WM_TIMER
  // with wParam 0 reached the handler, not only the timer's own (wParam 1).
  expect(wake.via_wakeup).toBeGreaterThan(n / 2);
});

test('1,000 open/close cycles (remove/re-attach, timeframe change): sockets, threads and memory stay flat', async () => {
  const n = 1000;
  const run = await runWinTest(args('cycles', 'WIN3', n), 150_000);
  expect(run.failures).toEqual([]);
  expect(run.code).toBe(0);
  const [c0, c1, c2] = run.checkpoints;
  expect(run.checkpoints.map((c) => c.k)).toEqual([0, 1, 2]);
  const summary = run.checkpoints.map((c) => ({ k: c.k, ...c.proc, ...c.inside }));
  fs.writeFileSync(path.join(REPO, 'build/bridge/cycles.json'), JSON.stringify({ n, result: run.results[0], checkpoints: summary }, null, 2));
  console.log(`${n} cycles, ${run.results[0]?.ms_per_cycle} ms each:\n` + summary.map((s) => JSON.stringify(s)).join('\n'));
  // No handle left open, no socket, thread or memory growth after the warm-up.
  for (const c of [c0, c1, c2]) expect(c.inside.cb_handles).toBe(0);
  expect(c2.proc.fds - c0.proc.fds).toBeLessThanOrEqual(4);
  expect(c2.proc.threads - c0.proc.threads).toBeLessThanOrEqual(1);
  expect(c2.inside.threads - c0.inside.threads).toBeLessThanOrEqual(1);
  if (c0.inside.handles > 0) expect(c2.inside.handles - c0.inside.handles).toBeLessThanOrEqual(8);
  // Memory: the second half of the cycles adds (almost) nothing. (wine reports no private bytes,
  // so the working set, and the process's resident size seen from Linux.)
  expect(c2.proc.rssKb - c1.proc.rssKb).toBeLessThan(2 * 1024);
  expect(c2.inside.working_set - c1.inside.working_set).toBeLessThan(2 * 1024 * 1024);
  if (c1.inside.private_bytes > 0) expect(c2.inside.private_bytes - c1.inside.private_bytes).toBeLessThan(2 * 1024 * 1024);
});

test("CURVE with the built-in tweetnacl against the hub with CURVE on: welcome, and another account's name refused", async () => {
  const dataDir = tempDir('copybridge-wine-curve-');
  const client = issueKey(dataDir, 'WINC');
  const log = memoryLogger('debug');
  const secureHub = await startHub({
    config: { store: 'memory', dataDir, curve: true, pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*', logLevel: 'error' },
    accounts: [{ name: 'WINC', type: 'SLAVE', enabled: true }],
    logger: log,
  });
  try {
    const run = await runWinTest([secureHub.pullEndpoint, secureHub.pubEndpoint, 'curve', 'WINC'], 60_000, {
      CB_CURVE_SERVER_PUBLIC: secureHub.serverPublicKey!,
      CB_CURVE_CLIENT_PUBLIC: client.publicKey,
      CB_CURVE_CLIENT_SECRET: client.secretKey,
    });
    expect(run.failures).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.results).toEqual([{ mode: 'curve', failures: 0 }]);
    // The DLL's account proof (its own X25519) matched the hub's: the hello was taken as WINC's.
    expect(log.lines.some((l) => /terminal WINC connected/.test(l.message))).toBe(true);
    expect(log.lines.some((l) => /rejected hello from WINC: E_INVALID_MESSAGE account "WINCX" is not the account of this terminal's CURVE key \(WINC\)/.test(l.message))).toBe(true);
  } finally {
    await secureHub.stop();
  }
});

test('256 handles at once (more than a default select() can hold), then CB_ELIMIT', async () => {
  const run = await runWinTest(args('many', 'MANY', 256), 120_000);
  expect(run.failures).toEqual([]);
  expect(run.code).toBe(0);
  expect(run.results[0]).toMatchObject({ mode: 'many', n: 256, answered: 256 });
});

test('the process ends at once with handles left open (no zmq_ctx_term on exit)', async () => {
  const run = await runWinTest(args('exit', 'WIN5'), 30_000);
  expect(run.code).toBe(0);
  expect(run.results[0]).toMatchObject({ mode: 'exit', open_handles: 8 });
  expect(run.ms).toBeLessThan(10_000);
}, 40_000);

test('with no hub reachable, sends queue and the process still ends at once', async () => {
  // Nothing listens on these ports: connects retry in the background, nothing may block.
  const run = await runWinTest(['tcp://127.0.0.1:1', 'tcp://127.0.0.1:2', 'exit', 'NOHUB'], 30_000);
  expect(run.code).toBe(0);
  expect(run.ms).toBeLessThan(10_000);
}, 40_000);
