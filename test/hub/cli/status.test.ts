/** `hub status`, `hub dashboard-url`, and `hub start` serving the dashboard (or not, with --no-dashboard). */
import { spawn, spawnSync } from 'child_process';
import { join } from 'path';
import { readToken } from '../../../hub/dashboard/token';
import { freePort, portOpen, tempDir, until } from '../../helpers';
import { SUFFIX_PRESET } from '../../../sim';
import { dashWorld } from '../dashboard/world';
import { runCli } from '../../helpers/cli';

jest.setTimeout(90_000);

const ROOT = join(__dirname, '../../..');

const run = runCli;

describe('hub status (in process, against a running hub)', () => {
  it('prints the terminals, the copies, the counters and the last decisions; --json gives the picture', async () => {
    const w = await dashWorld();
    try {
      const args = ['--dashboard-port', String(w.dash.port), '--data-dir', w.hub.config.dataDir];
      w.m.buy('EURUSD', 1);
      await until(() => w.hub.engine.status().copies.filter((c) => c.status === 'open').length === 2 || undefined, { what: 'two open copies' });
      const r = await run(['status', ...args]);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toMatch(/^hub \S+ pid \d+, up \d+s; memory store \(.*\); ledger ok, queue \d+$/m);
      expect(r.out).toMatch(/^ {2}S1 +slave +online +\d+s +Sim Broker Ltd +5000000 +Sim-Server +100000\.00 +\d+\.\d\d +\d+\.\d\d +1\.0\.0-sim +\w+ \d+s ago +\d+$/m);
      expect(r.out).toMatch(/^open copies \(2 on 1 master positions\):$/m);
      expect(r.out).toMatch(/^ {2}M1#\d+ +EURUSD +buy +1$/m);
      expect(r.out).toMatch(/^ {10,}EURUSDm +buy +S2 +open +\d+ +0\.5 +1\.08414 +\d+ +\d+$/m);
      expect(r.out).toMatch(/^counters: 2 copies decided, 2 opens confirmed, 0 refusals, \d+ re-sends, 0 expired, 0 commands in flight$/m);
      expect(r.out).toMatch(/^latency: <=5ms \d+ .* >2500ms 0$/m);
      expect(r.out).toMatch(/^ {2}[\d:.]+ COPY open M1#\d+ buy 1 EURUSD -> S2 EURUSDm 0\.5 lots/m);
      const json = JSON.parse((await run(['status', '--json', ...args])).out);
      expect(json.positions[0].copies).toHaveLength(2);
      expect(json.terminals.map((t: { name: string }) => t.name)).toEqual(['M1', 'S1', 'S2']);

      // Read from another data folder: said, not hidden.
      expect((await run(['status', '--dashboard-port', String(w.dash.port), '--data-dir', tempDir()])).out).toMatch(/^note: that hub uses the data folder /m);
    } finally {
      await w.stop();
    }
  });

  it('prints each guard: state, equity against the floor, anchor, settings, the trip in force; --json too', async () => {
    const w = await dashWorld({}, { S1: { protection: { daily_loss: { value: 200, unit: 'money' }, max_lots: 3 } } });
    try {
      const args = ['--dashboard-port', String(w.dash.port), '--data-dir', w.hub.config.dataDir];
      await until(() => w.hub.engine.guards()[0]?.state, { what: 'the guard anchor' });
      await until(async () => (await run(['status', ...args])).out.includes('guards (1 protected slaves):') || undefined, { what: 'the guard in the view' });
      let r = await run(['status', ...args]);
      expect(r.out).toMatch(/^ {2}account +state +equity +floor +headroom +daily floor +drawdown floor +anchor +anchor read +at a limit$/m);
      expect(r.out).toMatch(/^ {2}S1 +ok +100000\.00 +99800\.00 +200\.00 +99800\.00 +- +100000\.00 +\d{4}-\S+Z +block$/m);
      expect(r.out).toMatch(/^ {2}S1: daily loss 200; anchor balance at the reset 00:00 UTC; .*max lots 3; at a loss limit: block new copies; /m);

      w.m.buy('EURUSD', 1);
      await w.s1.waitFor(() => w.s1.positions().length === 1 || undefined, 5000, 'copy');
      const q = SUFFIX_PRESET.quotes['EURUSD.c'];
      w.s1.setQuote('EURUSD.c', q.bid - 0.003, q.ask - 0.003);
      await until(() => w.hub.engine.guards()[0]?.trip, { what: 'the trip' });
      await until(async () => (await run(['status', ...args])).out.includes('TRIPPED') || undefined, { what: 'the trip in the view' });
      r = await run(['status', ...args]);
      expect(r.out).toMatch(/^ {2}S1 +TRIPPED +\d+\.\d\d +99800\.00 +-\d+\.\d\d /m);
      expect(r.out).toMatch(/^ {4}TRIPPED \S+Z: daily loss limit: equity \d+\.\d\d \(balance 100000\.00\) at or below the floor 99800\.00 = /m);
      expect(r.out).toMatch(/^ {4}trip \S+Z: protection S1: daily loss limit: .*new copies blocked until the next reset/m);
      const json = JSON.parse((await run(['status', '--json', ...args])).out);
      expect(json.guards).toEqual([
        expect.objectContaining({
          account: 'S1', state: 'tripped', action: 'block', anchor: 100000, floor: 99800, floors: { daily: 99800 }, headroom: expect.any(Number),
          trip: expect.objectContaining({ rule: 'daily_loss', reason: expect.stringMatching(/^daily loss limit/) }), trips: [expect.objectContaining({ message: expect.stringMatching(/^protection S1/) })],
        }),
      ]);
      expect(json.guards[0].headroom).toBeLessThanOrEqual(0);
    } finally {
      await w.stop();
    }
  });

  it('says what to do when no hub answers', async () => {
    const port = await freePort();
    const r = await run(['status', '--dashboard-port', String(port), '--data-dir', tempDir()]);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(new RegExp(`^error: no running hub answers on http://127\\.0\\.0\\.1:${port}/ \\(.*ECONNREFUSED.*\\)\\n {2}what to do: start it with \`npm start\``));
  });

  it('dashboard-url prints the link with the data folder\'s token, making it once', async () => {
    const dir = tempDir();
    const first = await run(['dashboard-url', '--data-dir', dir, '--dashboard-port', '9999']);
    const token = readToken(dir)!;
    expect(token).toMatch(/^[\w-]{32}$/);
    expect(first.out).toBe(`http://127.0.0.1:9999/#token=${token}`);
    expect((await run(['dashboard-url', '--data-dir', dir, '--dashboard-port', '9999'])).out).toBe(first.out);
    expect((await run(['dashboard-url', '--data-dir', dir, '--dashboard-host', '192.168.1.5'])).err).toMatch(/dashboardHost "192\.168\.1\.5" is not a loopback address/);
  });
});

describe('hub start (child process) and its dashboard', () => {
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  });

  async function start(args: string[], env: Record<string, string> = {}) {
    const dir = tempDir('cb-start-');
    const child = spawn(process.execPath, [join(ROOT, 'bin/hub.js'), 'start', '--pub', 'tcp://127.0.0.1:*', '--pull', 'tcp://127.0.0.1:*', '--data-dir', dir, ...args], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    await until(() => /hub started/.test(out) || child.exitCode !== null, { timeoutMs: 20_000, what: '"hub started"', everyMs: 50, detail: () => out });
    const stop = async () => {
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(0);
    };
    return { dir, out: () => out, stop };
  }

  it('serves the dashboard that hub status reads, and none with --no-dashboard', async () => {
    const port = await freePort();
    const hub = await start(['--dashboard-port', String(port)], { COPYBRIDGE_NOTIFY_URL: 'https://hooks.example:8443/x?secret=1', COPYBRIDGE_NOTIFY_EVENTS: 'offline,ledger' });
    try {
      await until(() => /dashboard on /.test(hub.out()) || undefined, { what: 'the dashboard line', detail: hub.out });
      expect(hub.out()).toContain(`dashboard on http://127.0.0.1:${port}/ (read-only there; the link with its token for the controls: \`npm run hub -- dashboard-url\`)`);
      expect(hub.out()).not.toContain(readToken(hub.dir)!);
      expect(hub.out()).toContain('notifications (json) of offline,ledger to hooks.example:8443, at most 5 per 60 s, then a digest');
      expect(hub.out()).not.toContain('secret');
      const r = await run(['status', '--dashboard-port', String(port), '--data-dir', hub.dir]);
      expect(r.out).toMatch(/^terminals:\n {2}none registered or seen$/m);
    } finally {
      await hub.stop();
    }
    expect(await portOpen(port)).toBe(false);

    const off = await start(['--dashboard-port', String(port), '--no-dashboard']);
    try {
      expect(await portOpen(port)).toBe(false);
      expect(off.out()).not.toMatch(/dashboard/);
    } finally {
      await off.stop();
    }
  });

  it('keeps copying when the dashboard port is taken', async () => {
    const first = await start(['--dashboard-port', '0']);
    const port = Number(/dashboard on http:\/\/127\.0\.0\.1:(\d+)\//.exec(await until(() => /dashboard on .*\n/.exec(first.out())?.[0], { what: 'first dashboard' }))![1]);
    try {
      const second = await start(['--dashboard-port', String(port)]);
      const line = await until(() => /dashboard not started.*/.exec(second.out())?.[0], { what: 'the dashboard error', detail: second.out });
      expect(line).toMatch(new RegExp(`dashboard not started on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*; copying goes on\\. Choose another --dashboard-port, or --no-dashboard$`));
      await second.stop();
    } finally {
      await first.stop();
    }
  });
});
