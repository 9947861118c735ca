/**
 * The launcher against the real hub, with stand-in terminals (stand-in-terminal.js) that read the
 * start-up files as MetaTrader 5 does and run the EA harness (the EA's own source, built with the
 * MQL5 stand-in, talking to the hub through the real bridge): masters first, slaves after the
 * master's hello, a trade copied, a crash restarted with back-off, graceful and forced close.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'fs';
import { join } from 'path';
import { validateAccount, type Account } from '../../../hub/accounts';
import { startDashboard } from '../../../hub/dashboard/server';
import { renderView } from '../../../hub/dashboard/render';
import type { DashboardView } from '../../../hub/dashboard/view';
import { Launcher, hubAddress } from '../../../hub/launcher';
import type { Logger } from '../../../hub/log';
import { sleep, tempDir, until } from '../../helpers';
import { buildTerminal, startTestHub, type Hub } from '../../mql5/terminal';

jest.setTimeout(90_000);

const STAND_IN = join(__dirname, 'stand-in-terminal.js');

interface Launch {
  pid: number;
  account?: string;
  argv?: string[];
  data?: string;
  startup?: Record<string, string>;
  experts?: Record<string, string>;
  inputs?: Record<string, string>;
  event?: string;
  at: number;
}

let root: string;
let hub: Hub;
let launcher: Launcher | undefined;
const lines: string[] = [];
const log: Logger = {
  error: (m) => lines.push(`error ${m}`),
  warn: (m) => lines.push(`warn ${m}`),
  info: (m) => lines.push(`info ${m}`),
  debug: () => undefined,
};

const launches = (): Launch[] =>
  existsSync(join(root, 'standin', 'launches.jsonl'))
    ? readFileSync(join(root, 'standin', 'launches.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Launch)
    : [];
const dump = () => `${lines.join('\n')}\n${JSON.stringify(launches())}`;
const ctl = (account: string, line: string) => appendFileSync(join(root, 'standin', `${account}.ctl`), line + '\n');

/** An installation folder with the stand-in as its terminal; `installed`: a data folder under APPDATA names it in origin.txt (UTF-16LE, as MetaTrader writes it). */
function terminal(name: string, installed: boolean): string {
  const inst = join(root, 'Program Files', `${name} MetaTrader 5`);
  mkdirSync(join(inst, 'MQL5'), { recursive: true });
  const exe = join(inst, 'terminal64');
  copyFileSync(STAND_IN, exe);
  chmodSync(exe, 0o755);
  if (installed) {
    const data = join(root, 'AppData', 'MetaQuotes', 'Terminal', `ID${name.toUpperCase()}`);
    mkdirSync(join(data, 'MQL5'), { recursive: true });
    writeFileSync(join(data, 'origin.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(inst, 'utf16le')]));
  }
  return exe;
}

function startLauncher(accounts: Account[], opts: { stopTimeoutMs?: number } = {}): Launcher {
  launcher = new Launcher({
    accounts,
    hub: hubAddress(hub.pullEndpoint, hub.pubEndpoint),
    configDir: join(root, 'hubdata'),
    appData: join(root, 'AppData'),
    log,
    helloed: () => new Set(hub.engine.status().terminals.filter((t) => t.online && t.broker !== undefined).map((t) => t.name)),
    backoff: { baseMs: 300, maxMs: 2_000, stableMs: 60_000 },
    masterWaitMs: 30_000,
    stopTimeoutMs: opts.stopTimeoutMs ?? 5_000,
    everyMs: 50,
    // jest's process.env is the test's copy; child processes get the real one unless told
    env: { ...process.env },
  });
  launcher.start();
  return launcher;
}

beforeAll(() => {
  const { bin, bridge } = buildTerminal();
  process.env.CB_EA_HARNESS = bin;
  process.env.CB_BRIDGE_LIB = bridge;
});

beforeEach(() => {
  root = tempDir('cb-launch-');
  mkdirSync(join(root, 'standin'));
  process.env.CB_STANDIN_DIR = join(root, 'standin');
  // the stand-ins find their data folders as MetaTrader does, through %APPDATA%
  process.env.APPDATA = join(root, 'AppData');
  lines.length = 0;
});

afterEach(async () => {
  await launcher?.stop();
  launcher = undefined;
  await hub?.stop();
});

test('masters first, slaves after the master said hello; start-up files as MetaTrader reads them; a trade is copied; Ctrl+C closes them gracefully', async () => {
  const accounts = [
    validateAccount({ name: 'S1', type: 'SLAVE', enabled: true, path: terminal('Apex', false), portable: true }),
    validateAccount({ name: 'M1', type: 'MASTER', enabled: true, path: terminal('FTMO', true) }),
    validateAccount({ name: 'X1', type: 'SLAVE', enabled: true }),
  ];
  hub = await startTestHub(accounts);
  const l = startLauncher(accounts);

  const first = await until(() => launches().find((x) => x.account), { timeoutMs: 10_000, what: 'the first terminal to start', detail: dump });
  expect(first.account).toBe('M1');
  // The master's start: /config: with the hub's .ini, no /portable, its installed data folder.
  expect(first.argv).toEqual([`/config:${join(root, 'hubdata', 'launch-M1.ini')}`]);
  expect(first.data).toBe(join(root, 'AppData', 'MetaQuotes', 'Terminal', 'IDFTMO'));
  expect(first.startup).toEqual({ Expert: 'CopyBridge', ExpertParameters: 'CopyBridge-M1.set', Symbol: 'EURUSD', Period: 'H1' });
  expect(first.experts).toMatchObject({ AllowDllImport: '1', AllowLiveTrading: '0', Enabled: '1' });
  const { pullPort, pubPort } = hubAddress(hub.pullEndpoint, hub.pubEndpoint);
  expect(first.inputs).toEqual({ InpHubHost: '127.0.0.1', InpHubPullPort: String(pullPort), InpHubPubPort: String(pubPort), InpAccountName: 'M1' });
  expect(l.status().skipped).toEqual([{ name: 'X1', reason: expect.stringMatching(/^no terminal path/) }]);

  const slave = await until(() => launches().find((x) => x.account === 'S1'), { timeoutMs: 20_000, what: 'the slave to start' });
  // Started only once the master had said hello.
  const at = (re: RegExp) => lines.findIndex((x) => re.test(x));
  expect(at(/^info launcher: started master M1:/)).toBeGreaterThan(-1);
  expect(at(/^info launcher: master M1 said hello; starting the slaves$/)).toBeGreaterThan(at(/^info launcher: started master M1:/));
  expect(at(/^info launcher: started slave S1:/)).toBeGreaterThan(at(/M1 said hello/));
  expect(slave.argv).toEqual([`/config:${join(root, 'hubdata', 'launch-S1.ini')}`, '/portable']);
  expect(slave.data).toBe(join(root, 'Program Files', 'Apex MetaTrader 5'));
  expect(slave.experts).toMatchObject({ AllowLiveTrading: '1' });

  await until(() => hub.engine.status().terminals.find((t) => t.name === 'S1' && t.welcomed), { timeoutMs: 20_000, what: 'the slave EA to be welcomed' });
  ctl('M1', 'buy EURUSD 0.1');
  const copy = await until(() => hub.engine.status().copies.find((c) => c.slave === 'S1' && c.status === 'open'), { timeoutMs: 20_000, what: 'the copy on S1' });
  expect(copy).toMatchObject({ master: 'M1', symbol: 'EURUSD', side: 'buy', volume: 0.1 });
  expect(l.status().terminals.map((t) => [t.name, t.state, t.restarts])).toEqual([['M1', 'running', 0], ['S1', 'running', 0]]);

  await l.stop();
  const events = launches().filter((x) => x.event).map((x) => `${x.account} ${x.event}`).sort();
  expect(events).toEqual(['M1 closed on SIGTERM', 'S1 closed on SIGTERM']);
  expect(l.status().terminals.map((t) => [t.name, t.state, t.lastExit?.code])).toEqual([['M1', 'stopped', 0], ['S1', 'stopped', 0]]);
  expect(lines).toEqual(expect.arrayContaining(['info launcher: M1 exited with code 0', 'info launcher: S1 exited with code 0']));
});

test('a terminal that crashes is restarted after a back-off that grows, and says so; one that ignores the close is ended after the timeout', async () => {
  const accounts = [validateAccount({ name: 'M2', type: 'MASTER', enabled: true, path: terminal('Solo', true) })];
  hub = await startTestHub(accounts);
  const l = startLauncher(accounts, { stopTimeoutMs: 1_500 });
  const starts = () => launches().filter((x) => x.account === 'M2' && x.argv);
  // A stand-in reads only the control lines written after it started: wait for its EA's hello.
  const helloFrom = (n: number) => until(() => starts().length === n && hub.engine.status().terminals.find((t) => t.name === 'M2' && t.online && t.lastSeen > starts()[n - 1].at), { timeoutMs: 10_000, what: `start ${n} of M2 to say hello`, detail: dump });
  await helloFrom(1);
  ctl('M2', 'crash');
  // (the back-off state lasts 0.3 s: what stays is the last exit)
  await until(() => l.status().terminals[0].lastExit?.code === 3, { timeoutMs: 5_000, what: 'the crash to be seen' });
  expect(l.status().terminals[0].lastExit).toMatchObject({ code: 3, signal: null });
  await helloFrom(2);
  ctl('M2', 'crash');
  await helloFrom(3);
  const [a, b, c] = starts().map((x) => x.at);
  // 300 ms, then 600 ms (plus the stand-in's start)
  expect(b - a).toBeGreaterThanOrEqual(300);
  expect(c - b).toBeGreaterThanOrEqual(600);
  expect(l.status().terminals[0].restarts).toBe(2);
  expect(lines.filter((x) => x.startsWith('warn launcher: terminal M2 exited with code 3'))).toEqual([
    expect.stringMatching(/restarting in 0\.3 s \(failure 1 in a row\)$/),
    expect.stringMatching(/restarting in 0\.6 s \(failure 2 in a row\)$/),
  ]);
  expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^info launcher: started master M2 again \(restart 2\)/)]));
  // The dashboard's picture (and `hub status`) shows the launched terminal, its restarts and last exit.
  const dashboard = await startDashboard(hub, { port: 0, launcher: () => l.status() });
  try {
    const view = (await (await fetch(`${dashboard.url}api/status`)).json()) as DashboardView;
    expect(view.launcher?.terminals).toEqual([expect.objectContaining({ name: 'M2', role: 'MASTER', state: 'running', restarts: 2, lastExit: expect.objectContaining({ code: 3 }) })]);
    expect(renderView(view, 5).join('\n')).toMatch(/terminals started by the hub \(1\):\n.*\n {2}M2 +master +running +\d+ +2 +code 3 /);
  } finally {
    await dashboard.close();
  }

  ctl('M2', 'ignore-term');
  await sleep(300);
  const t0 = Date.now();
  await l.stop();
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1_400);
  expect(l.status().terminals[0]).toMatchObject({ state: 'stopped', lastExit: { signal: 'SIGKILL' } });
  expect(lines).toEqual(expect.arrayContaining(['warn launcher: M2 did not close within 2 s; ending it forcefully']));
  expect(launches().some((x) => x.event === 'SIGTERM ignored')).toBe(true);
});

test('a terminal without a data folder is not started, and the reason says what to do; its slaves wait for its hello', async () => {
  const accounts = [
    validateAccount({ name: 'M3', type: 'MASTER', enabled: true, path: terminal('Fresh', false) }),
    validateAccount({ name: 'S3', type: 'SLAVE', enabled: true, path: terminal('Other', true) }),
  ];
  hub = await startTestHub(accounts);
  const l = startLauncher(accounts);
  await until(() => l.status().terminals[0].state === 'failed', { timeoutMs: 5_000, what: 'M3 to be refused' });
  expect(l.status().terminals[0].detail).toMatch(/no data folder of .*terminal64 .*start that terminal once by hand .* or set --portable true/);
  await sleep(300);
  expect(l.status().terminals[1]).toMatchObject({ name: 'S3', state: 'waiting', detail: 'waiting for the hello of M3', restarts: 0 });
  expect(launches()).toEqual([]);
});

test('a terminal path that cannot be started is tried again with back-off, and the reason is shown', async () => {
  const missing = join(root, 'Program Files', 'Gone MetaTrader 5', 'terminal64');
  mkdirSync(join(root, 'Program Files', 'Gone MetaTrader 5'), { recursive: true });
  const accounts = [validateAccount({ name: 'M5', type: 'MASTER', enabled: true, path: missing, portable: true })];
  hub = await startTestHub(accounts);
  const l = startLauncher(accounts);
  await until(() => lines.filter((x) => x.startsWith('error launcher: M5: could not start')).length >= 2, { timeoutMs: 5_000, what: 'two failed starts', detail: dump });
  expect(lines.filter((x) => x.startsWith('error launcher: M5:'))[0]).toMatch(/could not start .*terminal64: spawn .*ENOENT; trying again in 0\.3 s$/);
  expect(l.status().terminals[0]).toMatchObject({ name: 'M5', restarts: 0 });
  expect(l.status().terminals[0].detail).toMatch(/could not start .*ENOENT/);
});
