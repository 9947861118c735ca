/**
 * `hub install-ea` on a fake %APPDATA%\MetaQuotes\Terminal tree: finds the installed terminals by
 * origin.txt and the portable ones from the accounts, shows the plan (--dry-run copies nothing),
 * copies the EA, its includes and the DLL, and says what to do next.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { main, type Io } from '../../../hub/cli/main';
import { tempDir } from '../../helpers';

const REPO = join(__dirname, '../../..');
const INCLUDES = readdirSync(join(REPO, 'include/CopyBridge')).filter((f) => f.endsWith('.mqh'));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(args, io);
  process.exitCode = 0;
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let root: string;
let appData: string;
let dataDir: string;

function installed(id: string, origin: string): string {
  const dir = join(appData, 'MetaQuotes', 'Terminal', id);
  mkdirSync(join(dir, 'MQL5', 'Experts'), { recursive: true });
  writeFileSync(join(dir, 'origin.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(origin, 'utf16le')]));
  return dir;
}

beforeEach(() => {
  root = tempDir('cb-install-');
  appData = join(root, 'AppData');
  dataDir = join(root, 'hubdata');
  process.env.APPDATA = appData;
});

afterAll(() => {
  delete process.env.APPDATA;
});

test('finds installed and portable terminals, --dry-run shows the plan and copies nothing, a real run copies every file once', async () => {
  const ftmo = installed('D0E8209F77C8CF37AD8BF550E51FF075', 'C:\\Program Files\\FTMO MetaTrader 5');
  const apex = installed('3294B546D50FEEDA6BF3CFC7CF858DB7', 'C:\\Program Files\\Apex MetaTrader 5');
  // not a terminal: no origin.txt (MetaTrader's Common folder sits here too)
  mkdirSync(join(appData, 'MetaQuotes', 'Terminal', 'Common', 'Files'), { recursive: true });
  const portable = join(root, 'Portable MT5');
  mkdirSync(join(portable, 'MQL5'), { recursive: true });
  expect((await run(['accounts', 'add', 'P1', '--type', 'SLAVE', '--path', join(portable, 'terminal64.exe'), '--portable', '--data-dir', dataDir])).code).toBe(0);

  const dry = await run(['install-ea', '--dry-run', '--data-dir', dataDir]);
  expect(dry.code).toBe(0);
  expect(dry.out).toContain('found 3 MetaTrader 5 terminals:');
  expect(dry.out).toContain(`${apex}  (installation: C:\\Program Files\\Apex MetaTrader 5)`);
  expect(dry.out).toContain(`${portable}  (portable: ${portable})`);
  expect(dry.out).toMatch(/MQL5\\Experts\\CopyBridge\.mq5 +new/);
  expect(dry.out).toMatch(/MQL5\\Libraries\\copybridge\.dll +new/);
  expect(dry.out).toContain('dry run: nothing copied');
  expect(existsSync(join(ftmo, 'MQL5', 'Experts', 'CopyBridge.mq5'))).toBe(false);

  const real = await run(['install-ea', '--data-dir', dataDir]);
  expect(real.code).toBe(0);
  const perTerminal = 2 + INCLUDES.length;
  expect(real.out).toContain(`copied ${3 * perTerminal} files.`);
  expect(real.out).toMatch(/compile it once \(F7\)/);
  expect(real.out).toMatch(/Allow DLL imports/);
  for (const dir of [ftmo, apex, portable]) {
    // Buffer.equals: jest's toEqual walks a 1.5 MB buffer byte by byte for minutes
    expect(readFileSync(join(dir, 'MQL5/Experts/CopyBridge.mq5')).equals(readFileSync(join(REPO, 'mql5/Experts/CopyBridge.mq5')))).toBe(true);
    expect(readFileSync(join(dir, 'MQL5/Libraries/copybridge.dll')).equals(readFileSync(join(REPO, 'build/bridge/windows/copybridge.dll')))).toBe(true);
    expect(readdirSync(join(dir, 'MQL5/Include/CopyBridge')).sort()).toEqual([...INCLUDES].sort());
  }
  expect(existsSync(join(appData, 'MetaQuotes', 'Terminal', 'Common', 'MQL5'))).toBe(false);

  // Again: nothing changed; an edited file is replaced.
  writeFileSync(join(apex, 'MQL5/Include/CopyBridge/Ea.mqh'), '// edited');
  const again = await run(['install-ea', '--data-dir', dataDir, '--terminal', 'apex']);
  expect(again.out).toContain('found 1 MetaTrader 5 terminal:');
  expect(again.out).toMatch(/MQL5\\Include\\CopyBridge\\Ea\.mqh +replaced/);
  expect(again.out).toMatch(/MQL5\\Experts\\CopyBridge\.mq5 +unchanged \(same file\)/);
  expect(again.out).toContain('copied 1 file.');
});

test('a --terminal that matches nothing, or no terminal at all, is an error that says what was found and what to do', async () => {
  installed('AAAA', 'C:\\MT5 One');
  const none = await run(['install-ea', '--terminal', 'nosuch', '--data-dir', dataDir]);
  expect(none.code).toBe(4);
  expect(none.err).toContain('error: no terminal matches "nosuch"');
  expect(none.err).toContain('(C:\\MT5 One)');
  process.env.APPDATA = join(root, 'empty');
  const empty = await run(['install-ea', '--data-dir', dataDir]);
  expect(empty.code).toBe(4);
  expect(empty.err).toMatch(/no MetaTrader 5 data folder found under .*empty.MetaQuotes.Terminal/);
  expect(empty.err).toMatch(/what to do: start each terminal once/);
});

test('--from takes the MQL5 tree of a bundle; a tree without the DLL says what is missing', async () => {
  const dir = installed('BBBB', 'C:\\MT5 Two');
  const tree = join(root, 'bundle', 'MQL5');
  mkdirSync(join(tree, 'Experts'), { recursive: true });
  mkdirSync(join(tree, 'Include', 'CopyBridge'), { recursive: true });
  writeFileSync(join(tree, 'Experts', 'CopyBridge.mq5'), '// ea');
  writeFileSync(join(tree, 'Include', 'CopyBridge', 'Ea.mqh'), '// ea.mqh');
  const missing = await run(['install-ea', '--from', join(root, 'bundle'), '--data-dir', dataDir]);
  expect(missing.code).toBe(4);
  expect(missing.err).toMatch(/the bridge DLL .*copybridge\.dll is missing/);
  mkdirSync(join(tree, 'Libraries'));
  writeFileSync(join(tree, 'Libraries', 'copybridge.dll'), 'MZ');
  const ok = await run(['install-ea', '--from', join(root, 'bundle'), '--data-dir', dataDir]);
  expect(ok.code).toBe(0);
  expect(ok.out).toContain(`EA files from ${tree}`);
  expect(readFileSync(join(dir, 'MQL5/Include/CopyBridge/Ea.mqh'), 'utf8')).toBe('// ea.mqh');
});
