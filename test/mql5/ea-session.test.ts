/**
 * The EA's identity and time against an unkind terminal (harness.cpp, the MQL5 stand-in):
 * command expiry by time to live on a computer whose clock is an hour off, another account
 * activated in the terminal while the EA runs, a second chart for the same account name, and a
 * snapshot of 2,000 positions through a hub with a small message limit.
 */
import { masterTag } from '../../hub/engine/tag';
import { startHub } from '../../hub';
import { freePorts, sleep, tempDir, until } from '../helpers';
import { useFakeHub } from './fake-hub-suite';
import { startTestHub, Terminal } from './terminal';

jest.setTimeout(120_000);

const MAGIC = 20250;
const HOUR = 3_600_000;
const { hub, terminals, terminal, welcome: welcomeUntilSnapshot } = useFakeHub();

/** Welcome (with the login of the terminal's hello, as the hub sends it) until the terminal answers with a snapshot. */
async function welcome(t: Terminal, role: 'master' | 'slave', login: number) {
  const send = () => hub.send(t.account, { type: 'welcome', role, magic: MAGIC, heartbeat_ms: 300, snapshot_ms: 60_000, hub_version: 'scripted', login });
  await welcomeUntilSnapshot(t, send, (h) => h.login === login);
}
function openCmd(over: Record<string, unknown> = {}) {
  const pos = (over.master_position as string) ?? '5001';
  return {
    type: 'open', cmd_id: `c-${Math.random().toString(36).slice(2)}`, expires_ms: Date.now() + 10_000, ttl_ms: 10_000, master: 'M1', master_position: pos,
    symbol: 'EURUSD', side: 'buy', volume: 0.1, price: 1.1001, max_deviation_points: 30, sl: 0, tp: 0, magic: MAGIC, comment: `CB:${masterTag('M1')}:${pos}`, ...over,
  };
}
const resultOf = (account: string, cmdId: string) => hub.of(account, 'result').find((r) => r.cmd_id === cmdId);

describe('command time to live, on a computer whose clock is an hour off', () => {
  test('an hour ahead: a command is executed within its ttl_ms (expires_ms alone would say expired)', async () => {
    const t = await terminal({ account: 'T1', login: 3001, clockOffsetMs: HOUR });
    await welcome(t, 'slave', 3001);
    const open = openCmd();
    await hub.send('T1', open);
    expect(await hub.result('T1', open.cmd_id)).toMatchObject({ status: 'done', retcode: 10009 });
    expect(await t.positions()).toHaveLength(1);
  });

  test('an hour behind: a command that waited longer than its ttl_ms behind a slow one expires (expires_ms alone would run it)', async () => {
    const t = await terminal({ account: 'T2', login: 3002, clockOffsetMs: -HOUR });
    await welcome(t, 'slave', 3002);
    // the server takes 600 ms per order; both commands wait in the bridge while the EA is busy,
    // and are read in one go: the second one's 300 ms are over when its turn comes
    await t.ok('latency 600');
    await t.ok('busy 1000');
    const slow = openCmd({ master_position: '6001', comment: `CB:${masterTag('M1')}:6001` });
    const quick = openCmd({ master_position: '6002', comment: `CB:${masterTag('M1')}:6002`, ttl_ms: 300, expires_ms: Date.now() + 300 });
    await hub.send('T2', slow);
    await hub.send('T2', quick);
    expect(await hub.result('T2', slow.cmd_id)).toMatchObject({ status: 'done' });
    const r = await hub.result('T2', quick.cmd_id);
    expect(r).toMatchObject({ status: 'expired', retcode: 0, message: expect.stringMatching(/^command expired: received \d+ ms ago, time to live 300 ms$/) });
    expect((await t.positions()).map((p) => p.comment)).toEqual([slow.comment]);
    await t.ok('latency 0');
  });
});

describe.each([11, 23])('live terminals (seed %i), the slave on a computer an hour ahead of the hub', (seed) => {
  test('trades are copied and closed through the real hub', async () => {
    const real = await startTestHub([
      { name: `LM${seed}`, type: 'MASTER', enabled: true },
      { name: `LS${seed}`, type: 'SLAVE', enabled: true, follows: [`LM${seed}`] },
    ]);
    const ep = { pullEndpoint: real.pullEndpoint, pubEndpoint: real.pubEndpoint };
    const [m, sl] = await Promise.all([
      Terminal.start({ ...ep, account: `LM${seed}`, login: 5101, tickets: 51000, live: { seed } }),
      Terminal.start({ ...ep, account: `LS${seed}`, login: 5102, tickets: 52000, live: { seed: seed + 1 }, clockOffsetMs: HOUR }),
    ]);
    terminals.push(m, sl);
    try {
      for (const t of [m, sl]) await t.waitLog(/welcome from hub/);
      await sleep(300);
      for (let i = 0; i < 3; i++) await m.trade('buy', 'EURUSD', 0.1 * (i + 1));
      const copies = await sl.waitPositions('3 copies', (ps) => ps.length === 3, 15_000);
      expect(copies.map((p) => p.volume).sort()).toEqual([0.1, 0.2, 0.3]);
      for (const p of await m.positions()) await m.ok(`close ${p.ticket}`);
      await sl.waitPositions('copies closed', (ps) => ps.length === 0, 15_000);
      expect(sl.logs.some((l) => /expired/.test(l))).toBe(false);
    } finally {
      await real.stop();
    }
  });
});

describe('another account activated in the terminal', () => {
  test('no command runs on the new account until the hub welcomes its login', async () => {
    const t = await terminal({ account: 'A1', login: 4001, tickets: 41000 });
    await welcome(t, 'slave', 4001);
    const hellos = hub.of('A1', 'hello').length;
    // the terminal switches now and re-initialises the EA (REASON_ACCOUNT) 8 s later
    await t.ok('login 4002 8000');
    const during = openCmd({ master_position: '7001', comment: `CB:${masterTag('M1')}:7001` });
    await sleep(100);
    await hub.send('A1', during);
    await t.waitLog(/another account was activated in the terminal: login 4002 \(was 4001\); no command is executed until the hub welcomes the new login/);
    await hub.waitFor('A1', 'hello', (h) => h.login === 4002 && hub.of('A1', 'hello').indexOf(h) >= hellos);
    await sleep(500);
    expect(resultOf('A1', during.cmd_id)).toBeUndefined();
    expect(await t.positions()).toHaveLength(0);
    expect(await t.status()).toMatch(/ACCOUNT SWITCHED to login 4002: no command is executed until the hub welcomes it/);

    // a welcome the hub sent for the old login changes nothing
    await hub.send('A1', { type: 'welcome', role: 'slave', magic: MAGIC, heartbeat_ms: 300, snapshot_ms: 60_000, hub_version: 'scripted', login: 4001 });
    await t.waitLog(/welcome for login 4001 ignored: this terminal is logged in to 4002 now/);
    await hub.send('A1', during);
    await sleep(300);
    expect(resultOf('A1', during.cmd_id)).toBeUndefined();

    // the hub welcomes the new login: the re-sent command runs
    await welcome(t, 'slave', 4002);
    await hub.send('A1', during);
    expect(await hub.result('A1', during.cmd_id)).toMatchObject({ status: 'done' });
    expect(await t.positions()).toHaveLength(1);
    // then the terminal's re-initialisation: a new session, said hello as the new login
    await t.waitLog(/stopped: another account was activated in the terminal \(REASON_ACCOUNT\)/, 15_000);
    await welcome(t, 'slave', 4002);
  });

  test('an account name made of server and login is the old account\'s: the EA says nothing under it and waits to be restarted', async () => {
    // no account name input: the EA names itself <server>-<login>
    const t = await terminal({ account: 'FakeBroker-Demo-4101', login: 4101, inputs: { InpAccountName: '' } });
    await welcome(t, 'slave', 4101);
    const mark = hub.received.length;
    await t.ok('login 4102 2000');
    await t.waitLog(/another account was activated in the terminal: login 4102/);
    await t.waitLog(/stopped: another account was activated in the terminal \(REASON_ACCOUNT\)/, 10_000);
    const after = hub.received.slice(mark);
    // nothing went out as the old name for the new account; the restarted EA speaks as the new name
    expect(after.filter((m) => m.account === 'FakeBroker-Demo-4101' && m.type === 'hello')).toEqual([]);
    await hub.waitFor('FakeBroker-Demo-4102', 'hello', (h) => h.login === 4102);
  });
});

describe('one EA per account name in a terminal', () => {
  test('a second chart with the same account name refuses to start and says why; a closed holder is replaced', async () => {
    const dir = tempDir('cb-terminal-');
    // adjacent chart IDs as MetaTrader gives them: as doubles both are 133246248352168448
    const a = await terminal({ account: 'L1', filesDir: dir, chartId: 133246248352168440n });
    await welcome(a, 'slave', 1000);
    const b = await terminal({ account: 'L1', filesDir: dir, chartId: 133246248352168441n });
    expect(b.events.some((e) => e.startsWith('initfailed'))).toBe(true);
    expect(b.logs.join('\n')).toMatch(/ERROR OnInit: another chart of this terminal \(EURUSD, chart ID 133246248352168440\) already runs CopyBridge for account "L1"/);
    expect(await b.status()).toMatch(/^CopyBridge: STOPPED\nanother chart of this terminal .*Remove the EA from one of the charts/);
    await b.stop();
    // the first one runs on, and another account name in the same terminal is no conflict
    const other = await terminal({ account: 'L2', filesDir: dir, chartId: 133246248352168442n });
    expect(other.events.some((e) => e.startsWith('ready'))).toBe(true);
    expect((await a.ok('status')).running).toBe(true);
    // each lock holds its chart's key: the low 52 bits of the chart ID + 1, exact in a double
    const key = (id: bigint) => Number(id & 0xfffffffffffffn) + 1;
    expect((await a.ok('globals')).globals).toEqual({ 'CopyBridge.lock.L1': key(133246248352168440n), 'CopyBridge.lock.L2': key(133246248352168442n) });

    // the holder's chart goes away without OnDeinit (a crash): the lock stays, its chart is gone
    await a.kill();
    const c = await terminal({ account: 'L1', filesDir: dir, chartId: 133246248352168443n });
    expect(c.events.some((e) => e.startsWith('ready'))).toBe(true);
    await c.waitLog(/the lock on account "L1" was held by a chart that is closed now; this chart takes it over/);
    // and the EA removed from its chart lets go
    await c.stop();
    expect((await other.ok('globals')).globals).toEqual({ 'CopyBridge.lock.L2': key(133246248352168442n) });
  });
});

describe('a snapshot larger than the hub takes in one message', () => {
  test('2,000 positions go in parts and the hub reconciles all of them', async () => {
    const [pub, pull] = await freePorts(2);
    const ep = { pubEndpoint: `tcp://127.0.0.1:${pub}`, pullEndpoint: `tcp://127.0.0.1:${pull}` };
    // the positions exist before the hub hears of them: opened while it is down, then the
    // terminal restarts (its EA reports nothing of the past but in snapshots)
    const t = await Terminal.start({ ...ep, account: 'BIG', login: 9001, tickets: 900000 });
    terminals.push(t);
    for (let i = 0; i < 2000; i++) await t.ok(`buy EURUSD 0.01`);
    await t.restart();
    expect(await t.positions()).toHaveLength(2000);
    const real = await startHub({
      config: { ...ep, store: 'memory', logLevel: 'error', maxMessageBytes: 128 * 1024 },
      accounts: [{ name: 'BIG', type: 'MASTER', enabled: true }],
    });
    try {
      const open = () => real.engine.status().masterPositions.filter((p) => p.master === 'BIG' && p.open);
      await until(() => open().length === 2000, { timeoutMs: 20_000, what: 'the hub to know 2,000 positions', detail: () => `${open().length}\n${t.tail()}` });
      const mine = new Set((await t.positions()).map((p) => p.position));
      expect(new Set(open().map((p) => p.position))).toEqual(mine);
      expect(t.logs.some((l) => /E_TOO_LARGE/.test(l))).toBe(false);
    } finally {
      await real.stop();
    }
  });
});
