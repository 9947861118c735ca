/** The `hub` command: in-process for the store commands, as a real child process for start. */
import { spawn, spawnSync } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { Publisher } from 'zeromq';
import { main } from '../../../hub/cli/main';
import { EmbeddedStore } from '../../../hub/ledger/embedded';
import type { TradeUpdate } from '../../../hub/ledger/types';
import { removeTempDirs, tempDir, until } from '../../helpers';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '../../..');
const BIN = join(ROOT, 'bin/hub.js');

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  process.exitCode = 0;
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const dataDir = () => tempDir('cb-cli-');
afterAll(() => removeTempDirs());

describe('hub accounts', () => {
  it('adds, lists, changes, disables, enables and removes accounts in the embedded store', async () => {
    const d = ['--data-dir', dataDir()];
    expect((await run(['accounts', 'list', ...d])).out).toMatch(/no accounts; add one with: npx hub accounts add NAME/);
    const add = await run(['accounts', 'add', 'FTMO-1', '--type', 'MASTER', ...d]);
    expect(add).toMatchObject({ code: 0 });
    expect(add.out).toMatch(/added FTMO-1 +MASTER {2}enabled/);
    await run(['accounts', 'add', 'Apex-2', '--type', 'slave', '--suffix', '.c', '--map', 'XAUUSD=GOLD', '--map', 'US30=DJ30', '--slippage', '25', '--follows', 'FTMO-1', ...d]);
    const set = await run(['accounts', 'set', 'Apex-2', '--volume-mode', 'multiplier', '--volume-multiplier', '0.5', '--unmap', 'US30', ...d]);
    expect(set.out).toMatch(/updated Apex-2 +SLAVE {2}enabled {2}suffix=\.c {2}map=XAUUSD=GOLD {2}slippage=25 {2}follows=FTMO-1 {2}volume=multiplier x0\.5/);
    expect((await run(['accounts', 'disable', 'Apex-2', ...d])).out).toBe('disabled Apex-2');
    expect((await run(['accounts', 'list', ...d])).out).toMatch(/Apex-2 +SLAVE {2}DISABLED/);
    expect((await run(['accounts', 'enable', 'Apex-2', ...d])).out).toBe('enabled Apex-2');
    expect((await run(['accounts', 'remove', 'FTMO-1', ...d])).out).toBe('removed FTMO-1');
    expect((await run(['accounts', 'list', ...d])).out.split('\n')).toHaveLength(1);
  });

  it('says what to do for each bad input, with distinct exit codes', async () => {
    const d = ['--data-dir', dataDir()];
    await run(['accounts', 'add', 'A1', '--type', 'SLAVE', ...d]);
    const dup = await run(['accounts', 'add', 'A1', '--type', 'SLAVE', ...d]);
    expect(dup).toMatchObject({ code: 3 });
    expect(dup.err).toMatch(/account A1 already exists\n {2}what to do: change it with: npx hub accounts set A1/);
    const missing = await run(['accounts', 'set', 'Nope', '--suffix', '.c', ...d]);
    expect(missing).toMatchObject({ code: 4 });
    expect(missing.err).toMatch(/no account named Nope/);
    const badName = await run(['accounts', 'add', 'bad name', '--type', 'SLAVE', ...d]);
    expect(badName).toMatchObject({ code: 3 });
    expect(badName.err).toMatch(/account name "bad name" is invalid/);
    const badMode = await run(['accounts', 'set', 'A1', '--volume-mode', 'fixed', ...d]);
    expect(badMode.err).toMatch(/volume_mode fixed needs volume_fixed \(lots\)\n {2}what to do: e\.g\. --volume-fixed 0\.1/);
    const badMap = await run(['accounts', 'set', 'A1', '--map', 'XAUUSD', ...d]);
    expect(badMap.err).toMatch(/--map XAUUSD is not MASTER=SLAVE/);
    const usage = await run(['accounts', 'frobnicate', ...d]);
    expect(usage.code).toBe(64);
    const badConfig = await run(['accounts', 'list', '--pub', 'tcp://0.0.0.0:5555', ...d]);
    expect(badConfig).toMatchObject({ code: 2 });
    expect(badConfig.err).toMatch(/not a loopback address[\s\S]*what to do: bind 127\.0\.0\.1, or pass --allow-remote/);
  });

  it('setup-db creates the sample accounts once', async () => {
    const d = ['--data-dir', dataDir()];
    const first = await run(['setup-db', ...d]);
    expect(first.out).toMatch(/created FTMO-Master[\s\S]*created Apex-Slave[\s\S]*indexes ready in embedded store/);
    const second = await run(['setup-db', ...d]);
    expect(second.out).toMatch(/kept {4}FTMO-Master \(exists\)/);
  });
});

describe('hub trades', () => {
  it('pages through the ledger newest first and filters by account and status', async () => {
    const dir = dataDir();
    const store = new EmbeddedStore(dir);
    await store.open();
    const updates: TradeUpdate[] = Array.from({ length: 120 }, (_, i) => ({
      key: { master_name: 'M1', master_ticket: String(1000 + i), slave_name: i % 2 ? 'S1' : 'S2' },
      set: {
        symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'BUY', status: i < 5 ? 'open' : 'closed',
        open_time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), updated_at: new Date().toISOString(), volume: 0.1,
      },
    }));
    await store.upsertTrades(updates);
    await store.close();
    const d = ['--data-dir', dir];
    const p1 = await run(['trades', '--limit', '50', ...d]);
    const lines = p1.out.split('\n');
    expect(lines).toHaveLength(52);
    expect(lines[1]).toMatch(/M1 +1119 +S1/);
    expect(lines[51]).toBe('page 1 of 3 (120 trades; next: --page 2)');
    const p3 = await run(['trades', '--limit', '50', '--page', '3', ...d]);
    expect(p3.out.split('\n')).toHaveLength(22);
    expect((await run(['trades', '--open', ...d])).out).toMatch(/page 1 of 1 \(5 trades\)/);
    expect((await run(['trades', '--account', 'S1', '--status', 'closed', ...d])).out).toMatch(/\(58 trades/);
    const json = await run(['trades', '--json', '--limit', '2', ...d]);
    expect(JSON.parse(json.out.split('\n')[0])).toMatchObject({ master_ticket: '1119', slave_name: 'S1' });
  });
});

describe('hub start (child process)', () => {
  // bin/hub.js runs the compiled dist/; compile what is tested now.
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  });

  function startChild(args: string[], env: Record<string, string> = {}) {
    return spawn(process.execPath, [BIN, 'start', ...args], { cwd: dataDir(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  it('binds, reports, and stops cleanly on SIGINT', async () => {
    const dir = dataDir();
    const child = startChild(['--pub', 'tcp://127.0.0.1:*', '--pull', 'tcp://127.0.0.1:*', '--data-dir', dir]);
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    await until(() => /hub started/.test(out) || child.exitCode !== null, { timeoutMs: 20_000, what: '"hub started"', everyMs: 50, detail: () => out });
    expect(out).toMatch(/hub listening: PUB tcp:\/\/127\.0\.0\.1:\d+, PULL tcp:\/\/127\.0\.0\.1:\d+; store embedded/);
    expect(out).toMatch(/no accounts registered: add them with `npx hub accounts add NAME/);
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    // A rare failure here was an exit by signal with no message: say which one, with the output.
    if (code !== 0) console.error(`hub start exited with ${code ?? signal}:\n${out}`);
    expect(code).toBe(0);
    expect(out).toMatch(/hub stopped/);
  });

  it('refuses a bad configuration before binding, and a port in use, with exit codes', async () => {
    const bad = spawnSync(process.execPath, [BIN, 'start', '--pub', 'tcp://127.0.0.1:5555', '--pull', 'tcp://127.0.0.1:5555'], { cwd: dataDir(), encoding: 'utf8', timeout: 20_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/pubEndpoint and pullEndpoint must differ/);

    const cwd = dataDir();
    writeFileSync(join(cwd, 'copybridge.json'), JSON.stringify({ heartbeatMs: 'often' }));
    const badFile = spawnSync(process.execPath, [BIN, 'start'], { cwd, encoding: 'utf8', timeout: 20_000 });
    expect(badFile.status).toBe(2);
    expect(badFile.stderr).toMatch(/config file .*copybridge\.json: heartbeatMs must be an integer/);

    const squatter = new Publisher();
    await squatter.bind('tcp://127.0.0.1:*');
    try {
      const busy = spawnSync(process.execPath, [BIN, 'start', '--pub', squatter.lastEndpoint!, '--pull', 'tcp://127.0.0.1:*', '--store', 'memory'], { cwd: dataDir(), encoding: 'utf8', timeout: 20_000 });
      expect(busy.status).toBe(6);
      expect(busy.stderr).toMatch(/cannot bind pubEndpoint .*\n {2}what to do: another hub \(or program\) uses this port/);
    } finally {
      squatter.close();
    }
  });
});
