/** The `hub` command: in-process for the store commands, as a real child process for start. */
import { spawn, spawnSync } from 'child_process';
import { readdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Publisher } from 'zeromq';
import { VERSION } from '../../../hub/version';
import { EmbeddedStore } from '../../../hub/ledger/embedded';
import type { TradeUpdate } from '../../../hub/ledger/types';
import { removeTempDirs, sleep, tempDir, until } from '../../helpers';
import { runCli } from '../../helpers/cli';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '../../..');
const BIN = join(ROOT, 'bin/hub.js');

const run = runCli;

const dataDir = () => tempDir('cb-cli-');
afterAll(() => removeTempDirs());

describe('hub accounts', () => {
  it('adds, lists, changes, disables, enables and removes accounts in the embedded store', async () => {
    const d = ['--data-dir', dataDir()];
    expect((await run(['accounts', 'list', ...d])).out).toMatch(/no accounts; add one with: npm run hub -- accounts add NAME/);
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
    expect(dup.err).toMatch(/account A1 already exists\n {2}what to do: change it with: npm run hub -- accounts set A1/);
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
    const badConfig = await run(['start', '--pub', 'tcp://0.0.0.0:5555', ...d]);
    expect(badConfig).toMatchObject({ code: 2 });
    expect(badConfig.err).toMatch(/not a loopback address[\s\S]*what to do: bind 127\.0\.0\.1, or pass --curve and --allow-remote/);
  });

  it('setup-db creates the sample accounts once', async () => {
    const d = ['--data-dir', dataDir()];
    const first = await run(['setup-db', ...d]);
    expect(first.out).toMatch(/created FTMO-Master[\s\S]*created Apex-Slave[\s\S]*indexes ready in embedded store/);
    const second = await run(['setup-db', ...d]);
    expect(second.out).toMatch(/kept {4}FTMO-Master \(exists\)/);
  });
});

describe('hub accounts with open copies', () => {
  /** A data folder with master M1, slaves S1 and S2, and the given trades of M1 -> S1 (status by master position). */
  async function withTrades(statuses: Record<string, 'pending' | 'open' | 'closed'>) {
    const dir = dataDir();
    const d = ['--data-dir', dir];
    await run(['accounts', 'add', 'M1', '--type', 'MASTER', ...d]);
    await run(['accounts', 'add', 'S1', '--type', 'SLAVE', ...d]);
    await run(['accounts', 'add', 'S2', '--type', 'SLAVE', ...d]);
    const store = new EmbeddedStore(dir);
    await store.open();
    await store.upsertTrades(
      Object.entries(statuses).map(([position, status]) => ({
        key: { master_name: 'M1', master_ticket: position, slave_name: 'S1' },
        set: { symbol: 'EURUSD', master_symbol: 'EURUSD', direction: 'BUY', status, updated_at: new Date().toISOString() },
      })),
    );
    await store.close();
    return d;
  }

  it('refuses to disable or remove an account with open copies without --force, and says what would happen', async () => {
    const d = await withTrades({ '1': 'open', '2': 'pending', '3': 'closed' });
    const slave = await run(['accounts', 'disable', 'S1', ...d]);
    expect(slave.code).toBe(3);
    expect(slave.err).toBe(
      'error: S1 has 2 open copies; if you disable it, it takes no new copies and executes no commands: its 2 open copies stay open and are not closed with their masters until it is enabled again\n' +
        '  what to do: add --force to disable it anyway, or wind it down first with: npm run hub -- accounts close-only S1',
    );
    const master = await run(['accounts', 'disable', 'M1', ...d]);
    expect(master.code).toBe(3);
    expect(master.err).toMatch(/M1 has 2 open copies; if you disable it, its new positions are not copied; closes of the positions behind its 2 open copies are still mirrored to the slaves\n {2}what to do: add --force to disable it anyway/);
    for (const name of ['M1', 'S1']) {
      const remove = await run(['accounts', 'remove', name, ...d]);
      expect(remove.code).toBe(3);
      expect(remove.err).toMatch(new RegExp(`${name} has 2 open copies; if you remove it, the hub forgets it: [^\n]*\n {2}what to do: add --force to remove it anyway`));
    }
    // Nothing changed; an account without open copies needs no --force.
    expect((await run(['accounts', 'list', ...d])).out).not.toMatch(/DISABLED/);
    expect((await run(['accounts', 'disable', 'S2', ...d])).out).toBe('disabled S2');
    expect((await run(['accounts', 'remove', 'S2', ...d])).out).toBe('removed S2');
  });

  it('disables and removes with --force, saying what happens to the copies', async () => {
    const d = await withTrades({ '1': 'open' });
    const disable = await run(['accounts', 'disable', 'M1', '--force', ...d]);
    expect(disable).toMatchObject({ code: 0, out: 'disabled M1: its new positions are not copied; closes of the positions behind its 1 open copy are still mirrored to the slaves' });
    expect((await run(['accounts', 'list', ...d])).out).toMatch(/M1 +MASTER {2}DISABLED/);
    const remove = await run(['accounts', 'remove', 'S1', '--force', ...d]);
    expect(remove).toMatchObject({ code: 0, out: 'removed S1: the hub forgets it: its 1 open copy stays open on its terminal and is no longer closed with their masters' });
    expect((await run(['accounts', 'list', ...d])).out).not.toMatch(/^S1 /m);
    expect((await run(['accounts', 'disable', 'Nope', '--force', ...d])).code).toBe(4);
  });

  it('sets and clears close-only', async () => {
    const d = await withTrades({ '1': 'open', '2': 'open' });
    const set = await run(['accounts', 'close-only', 'S1', ...d]);
    expect(set).toMatchObject({
      code: 0,
      out: 'S1 is close-only: it takes no new copies; its 2 open copies are managed to the end (closes, partial closes, SL/TP). Undo with: npm run hub -- accounts set S1 --close-only false',
    });
    expect((await run(['accounts', 'close-only', 'M1', ...d])).out).toMatch(/^M1 is close-only: its new positions are not copied; its 2 open copies/);
    expect((await run(['accounts', 'list', ...d])).out).toMatch(/S1 +SLAVE {2}enabled {2}CLOSE-ONLY/);
    expect((await run(['accounts', 'set', 'S1', '--close-only', 'false', ...d])).out).toMatch(/updated S1 +SLAVE {2}enabled {2}volume=same$/);
    expect((await run(['accounts', 'set', 'S1', '--close-only', ...d])).out).toMatch(/updated S1 +SLAVE {2}enabled {2}CLOSE-ONLY/);
    expect((await run(['accounts', 'set', 'M1', '--close-only', 'true', ...d])).out).toMatch(/updated M1 +MASTER {2}enabled {2}CLOSE-ONLY/);
    expect((await run(['accounts', 'close-only', 'Nope', ...d])).code).toBe(4);
  });

  it('sets the delay and master-offline settings of a slave and shows them', async () => {
    const d = await withTrades({});
    const set = await run(['accounts', 'set', 'S1', '--max-delay-ms', '30000', '--master-offline', 'close', '--master-offline-grace-ms', '300000', ...d]);
    expect(set.out).toBe(`updated ${'S1'.padEnd(24)} SLAVE  enabled  volume=same  max-delay=30000ms  master-offline=close after 300000ms`);
    const add = await run(['accounts', 'add', 'S3', '--type', 'SLAVE', '--master-offline', 'keep', '--max-delay-ms', '0', ...d]);
    expect(add.out).toMatch(/added S3 +SLAVE {2}enabled {2}volume=same {2}max-delay=0ms {2}master-offline=keep$/);
    expect((await run(['accounts', 'list', ...d])).out).toMatch(/S1 +SLAVE {2}enabled {2}volume=same {2}max-delay=30000ms {2}master-offline=close after 300000ms/);
  });

  it.each([
    [['--close-only', 'maybe'], 'account S1: close_only must be true or false, got "maybe"\n  what to do: e.g. --close-only true'],
    [['--max-delay-ms', 'soon'], 'account S1: max_delay_ms must be a whole number of milliseconds from 0 to 86400000, got "soon"\n  what to do: e.g. --max-delay-ms 60000 (a minute)'],
    [['--max-delay-ms', '-5'], 'account S1: max_delay_ms must be a whole number of milliseconds from 0 to 86400000, got "-5"'],
    [['--max-delay-ms', '1.5'], 'max_delay_ms must be a whole number of milliseconds'],
    [['--master-offline', 'sometimes'], 'account S1: master_offline must be keep or close, got "sometimes"\n  what to do: e.g. --master-offline close --master-offline-grace-ms 300000'],
    [['--master-offline-grace-ms', '99999999999'], 'account S1: master_offline_grace_ms must be a whole number of milliseconds from 0 to 86400000, got "99999999999"\n  what to do: e.g. --master-offline-grace-ms 300000 (five minutes)'],
  ])('refuses %j with a clear error', async (flags, text) => {
    const d = await withTrades({});
    const r = await run(['accounts', 'set', 'S1', ...flags, ...d]);
    expect(r.code).toBe(3);
    expect(r.err).toContain(text);
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

describe('tables align with long names', () => {
  it('accounts list and trades line their columns up whatever the names', async () => {
    const dir = dataDir();
    const d = ['--data-dir', dir];
    const long = 'A-Prop-Firm-Challenge-Account-Number-0001';
    await run(['accounts', 'add', 'M', '--type', 'MASTER', ...d]);
    await run(['accounts', 'add', long, '--type', 'SLAVE', ...d]);
    const list = (await run(['accounts', 'list', ...d])).out.split('\n');
    expect(list.map((l) => /(MASTER|SLAVE) /.exec(l)!.index)).toEqual([long.length + 1, long.length + 1]);

    const store = new EmbeddedStore(dir);
    await store.open();
    await store.upsertTrades([
      { key: { master_name: 'M', master_ticket: '1', slave_name: long }, set: { symbol: 'EURUSD.cash-long-suffix', master_symbol: 'EURUSD', direction: 'BUY', status: 'open', open_time: new Date(Date.UTC(2026, 0, 1)).toISOString(), updated_at: new Date().toISOString(), volume: 12.25, slave_ticket: '123456789012345' } },
      { key: { master_name: 'A-Master-With-A-Long-Name-Too', master_ticket: '2', slave_name: 'S' }, set: { symbol: 'X', master_symbol: 'X', direction: 'SELL', status: 'refused', reason: 'no', open_time: new Date(Date.UTC(2026, 0, 2)).toISOString(), updated_at: new Date().toISOString(), volume: 0.1 } },
    ]);
    await store.close();
    const lines = (await run(['trades', ...d])).out.split('\n').slice(0, 3);
    for (const col of ['master', 'slave', 's.ticket', 'symbol', 'status']) {
      const at = lines[0].indexOf(` ${col} `) + 1;
      for (const l of lines.slice(1)) expect({ col, line: l, before: l[at - 1], start: l[at] }).toMatchObject({ before: ' ', start: expect.stringMatching(/\S/) });
    }
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

  it('runs as `npm run hub -- ...` and `npm start` (the commands the README and every hint give)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts).toMatchObject({ start: 'node bin/hub.js start', hub: 'node bin/hub.js' });
    const r = spawnSync('npm', ['run', '-s', 'hub', '--', '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect({ status: r.status, out: r.stdout.trim() }).toEqual({ status: 0, out: VERSION });
  });

  it('binds, reports, and stops cleanly on SIGINT', async () => {
    const dir = dataDir();
    const child = startChild(['--pub', 'tcp://127.0.0.1:*', '--pull', 'tcp://127.0.0.1:*', '--data-dir', dir]);
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    await until(() => /hub started/.test(out) || child.exitCode !== null, { timeoutMs: 20_000, what: '"hub started"', everyMs: 50, detail: () => out });
    expect(out).toMatch(/hub listening: PUB tcp:\/\/127\.0\.0\.1:\d+, PULL tcp:\/\/127\.0\.0\.1:\d+; store embedded/);
    // The first line says what it starts with, before the store opens and the sockets bind.
    const first = out.split('\n')[0];
    expect(first).toContain(`info  CopyBridge hub ${VERSION} (Node ${process.version}) starting: config file none (defaults, environment, flags); data folder ${dir}; store embedded; opening the store, then binding PUB tcp://127.0.0.1:* and PULL tcp://127.0.0.1:*`);
    expect(out).toMatch(/no accounts registered: add them with `npm run hub -- accounts add NAME/);
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    // A rare failure here was an exit by signal with no message: say which one, with the output.
    if (code !== 0) console.error(`hub start exited with ${code ?? signal}:\n${out}`);
    expect(code).toBe(0);
    expect(out).toMatch(/hub stopped/);
  });

  it('survives its console going away (`hub start | head`), and stops gracefully on SIGHUP', async () => {
    const dir = dataDir();
    const child = startChild(['--pub', 'tcp://127.0.0.1:*', '--pull', 'tcp://127.0.0.1:*', '--data-dir', dir, '--log-file', join(dir, 'hub.log')], { COPYBRIDGE_NO_SUCH: '1' });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    await until(() => /hub started/.test(out) || child.exitCode !== null, { timeoutMs: 20_000, what: '"hub started"', everyMs: 50, detail: () => out + err });
    // Date, time and zone on every console line; warnings on stderr, not stdout.
    expect(out.split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d info /);
    expect(err).toMatch(/warning: environment variable COPYBRIDGE_NO_SUCH is not a CopyBridge setting/);
    expect(out).not.toMatch(/COPYBRIDGE_NO_SUCH/);
    // What `head` does once it has its lines: the reading end of the pipe goes away.
    child.stdout.destroy();
    await sleep(200);
    child.kill('SIGHUP');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    if (code !== 0) console.error(`hub start exited with ${code ?? signal}:\n${out}\n${err}`);
    expect(code).toBe(0);
    expect(err).not.toMatch(/EPIPE|Error:|at /);
    // The log file went on after the console was gone, up to the end.
    const file = readdirSync(dir).find((f) => /^hub-\d{4}-\d\d-\d\d\.log$/.test(f));
    expect(file).toBeDefined();
    const lines = readFileSync(join(dir, file!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { message: string });
    expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['SIGHUP received, stopping (send it again to exit at once)', 'hub stopped']));
  });

  it('refuses a bad configuration before binding, and a port in use, with exit codes', async () => {
    const bad = spawnSync(process.execPath, [BIN, 'start', '--pub', 'tcp://127.0.0.1:5555', '--pull', 'tcp://127.0.0.1:5555'], { cwd: dataDir(), encoding: 'utf8', timeout: 20_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/pubEndpoint and pullEndpoint must differ/);

    const cwd = dataDir();
    writeFileSync(join(cwd, 'copybridge.json'), JSON.stringify({ heartbeatMs: 'often' }));
    const badFile = spawnSync(process.execPath, [BIN, 'start'], { cwd, encoding: 'utf8', timeout: 20_000 });
    expect(badFile.status).toBe(2);
    expect(badFile.stderr).toMatch(/config file .*copybridge\.json: heartbeatMs must be a whole number/);

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
