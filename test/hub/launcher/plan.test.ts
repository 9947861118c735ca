import { readFileSync } from 'fs';
import { join } from 'path';
import { validateAccount, type Account } from '../../../hub/accounts';
import {
  backoffMs, DEFAULT_BACKOFF, eaInputs, failuresAfterExit, hubAddress, launchTargets, presetName, presetText, slavesMayStart, startupIni, terminalArgs,
} from '../../../hub/launcher/plan';

const acc = (a: Partial<Account> & { name: string; type: 'MASTER' | 'SLAVE' }): Account => validateAccount({ enabled: true, ...a });

describe('launchTargets', () => {
  test('masters first; accounts without a path, disabled or switched off are skipped with the reason', () => {
    const { targets, skipped } = launchTargets([
      acc({ name: 'S1', type: 'SLAVE', path: 'C:\\MT5 S1\\terminal64.exe', suffix: '.c' }),
      acc({ name: 'M1', type: 'MASTER', path: 'C:\\MT5 M1\\terminal64.exe', portable: true }),
      acc({ name: 'S2', type: 'SLAVE' }),
      acc({ name: 'S3', type: 'SLAVE', path: 'C:\\x\\terminal64.exe', enabled: false }),
      acc({ name: 'S4', type: 'SLAVE', path: 'C:\\y\\terminal64.exe', launch: false }),
      acc({ name: 'S5', type: 'SLAVE', path: 'C:\\z\\terminal64.exe', chart_symbol: 'GOLD' }),
    ]);
    expect(targets.map((t) => t.name)).toEqual(['M1', 'S1', 'S5']);
    expect(targets[0]).toEqual({ name: 'M1', role: 'MASTER', exe: 'C:\\MT5 M1\\terminal64.exe', portable: true, chartSymbol: 'EURUSD' });
    expect(targets[1].chartSymbol).toBe('EURUSD.c');
    expect(targets[2].chartSymbol).toBe('GOLD');
    expect(skipped.map((s) => [s.name, s.reason.split(' ')[0]])).toEqual([['S2', 'no'], ['S3', 'account'], ['S4', 'launch']]);
  });

  test('launch and portable accept true/false (also as text) and refuse anything else, saying how to set them', () => {
    expect(acc({ name: 'A', type: 'SLAVE', launch: 'false' as unknown as boolean }).launch).toBe(false);
    expect(() => acc({ name: 'A', type: 'SLAVE', portable: 'yes' as unknown as boolean })).toThrow(/portable must be true or false, got "yes"/);
    expect(() => acc({ name: 'A', type: 'SLAVE', chart_symbol: 'EUR USD' })).toThrow(/chart_symbol/);
  });
});

test('slaves wait for every launched master to say hello, or start after the wait with the masters missing', () => {
  expect(slavesMayStart(['M1', 'M2'], new Set(['M1']), 5_000, 60_000)).toBe('wait');
  expect(slavesMayStart(['M1', 'M2'], new Set(['M1', 'M2', 'S1']), 5_000, 60_000)).toBe('ready');
  expect(slavesMayStart(['M1', 'M2'], new Set(['M1']), 60_000, 60_000)).toBe('timeout');
  expect(slavesMayStart([], new Set(), 0, 60_000)).toBe('ready');
});

test('back-off doubles from the base to the cap; a terminal that ran stableMs starts the series again', () => {
  expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoffMs(n))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  expect(failuresAfterExit(4, 10_000)).toBe(5);
  expect(failuresAfterExit(4, DEFAULT_BACKOFF.stableMs)).toBe(1);
});

test('hubAddress: terminals started on this machine reach a hub bound to every interface on loopback', () => {
  expect(hubAddress('tcp://0.0.0.0:5556', 'tcp://0.0.0.0:5555')).toEqual({ host: '127.0.0.1', pullPort: 5556, pubPort: 5555 });
  expect(hubAddress('tcp://192.168.1.5:7001', 'tcp://192.168.1.5:7000')).toEqual({ host: '192.168.1.5', pullPort: 7001, pubPort: 7000 });
  expect(() => hubAddress('ipc:///tmp/x', 'tcp://127.0.0.1:1')).toThrow(/not tcp/);
});

test('start-up files: [Experts] allows DLLs (and trading on slaves), [StartUp] opens the chart with the EA and its .set; inputs named as in CopyBridge.mq5', () => {
  const [m] = launchTargets([acc({ name: 'FTMO-1', type: 'MASTER', path: 'C:\\a\\terminal64.exe' })]).targets;
  const ini = startupIni(m).split('\r\n');
  expect(ini).toEqual(expect.arrayContaining(['[Experts]', 'AllowDllImport=1', 'AllowLiveTrading=0', 'Enabled=1', '[StartUp]', 'Expert=CopyBridge', 'ExpertParameters=CopyBridge-FTMO-1.set', 'Symbol=EURUSD', 'Period=H1']));
  expect(ini.indexOf('[StartUp]')).toBeGreaterThan(ini.indexOf('AllowLiveTrading=0'));
  const [s] = launchTargets([acc({ name: 'S', type: 'SLAVE', path: 'C:\\b\\terminal64.exe', portable: true })]).targets;
  expect(startupIni(s)).toContain('AllowLiveTrading=1');
  expect(presetName('S')).toBe('CopyBridge-S.set');
  const inputs = eaInputs(s, { host: '127.0.0.1', pullPort: 5556, pubPort: 5555 });
  expect(presetText(inputs)).toBe('InpHubHost=127.0.0.1\r\nInpHubPullPort=5556\r\nInpHubPubPort=5555\r\nInpAccountName=S\r\n');
  // every input the launcher sets is one the EA declares
  const source = readFileSync(join(__dirname, '../../../mql5/Experts/CopyBridge.mq5'), 'utf8');
  for (const [name] of inputs) expect(source).toMatch(new RegExp(`^input \\S+ +${name} =`, 'm'));
  expect(terminalArgs(s, 'C:\\data\\launch-S.ini')).toEqual(['/config:C:\\data\\launch-S.ini', '/portable']);
  expect(terminalArgs(m, 'C:\\data\\launch-M.ini')).toEqual(['/config:C:\\data\\launch-M.ini']);
});
