/**
 * Account protection and the schedule with the real hub on loopback ZeroMQ and simulated
 * terminals: a daily-loss guard tripping as the slave's equity falls (block, close_all), the
 * EA side honouring the welcome's limits, the guard's state across a hub restart on the embedded
 * and the MongoDB store, trading windows, the blackout file and its reload, and max_delay_ms.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { startHub, type RunningHub } from '../../hub';
import type { Account } from '../../hub/accounts';
import { memoryLogger } from '../../hub/log';
import { MASTER_PRESET, SUFFIX_PRESET, SimBroker, SimTerminal, brokerFromPreset } from '../../sim';
import { removeTempDirs, tempDir } from '../helpers';
import { useMongoServer } from '../helpers/mongo-server';
import { logLine, startSimHub, startSimTerminal, welcomed, type HubLog } from '../helpers/sim-hub';

jest.setTimeout(60_000);

const M1: Partial<Account> = { name: 'M1', type: 'MASTER', enabled: true };
const S1 = (extra: Partial<Account> = {}): Partial<Account> => ({ name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20, ...extra });
const DAILY_200: Account['protection'] = { daily_loss: { value: 200, unit: 'money' } };

interface World {
  hub: RunningHub;
  log: HubLog;
  m: SimTerminal;
  s1: SimTerminal;
  logged(re: RegExp, timeoutMs?: number): Promise<string>;
}

const running: { hubs: RunningHub[]; terminals: SimTerminal[] } = { hubs: [], terminals: [] };
afterEach(async () => {
  await Promise.all(running.terminals.splice(0).map((t) => t.stop()));
  for (const h of running.hubs.splice(0)) await h.stop();
});
afterAll(() => removeTempDirs());

async function startWorld(accounts: Partial<Account>[], config: Record<string, unknown> = {}, opts: { masterBroker?: SimBroker; s1Broker?: SimBroker; terminals?: boolean } = {}): Promise<World> {
  const { hub, log } = await startSimHub(accounts, { heartbeatMs: 200, accountsReloadMs: 200, ...config });
  running.hubs.push(hub);
  const term = async (account: string, broker: SimBroker) => {
    const t = await startSimTerminal(hub, running.terminals, { account, broker, heartbeatMs: 200 });
    await welcomed(t);
    return t;
  };
  const m = await term('M1', opts.masterBroker ?? brokerFromPreset(MASTER_PRESET));
  const s1 = await term('S1', opts.s1Broker ?? brokerFromPreset(SUFFIX_PRESET));
  await s1.waitFor(() => hub.engine.status().terminals.find((t) => t.name === 'S1')?.symbols !== undefined || undefined, 5000, 'S1 symbols');
  return {
    hub, log, m, s1,
    logged: (re, timeoutMs) => logLine(log, re, timeoutMs),
  };
}

const guard = (w: World) => w.hub.engine.guards().find((g) => g.account === 'S1');
const eur = SUFFIX_PRESET.quotes['EURUSD.c'];

/** S1 holds a 1-lot EURUSD.c copy whose price then falls 30 points: about 300 USD of floating loss. */
async function copyThenFall(w: World) {
  await w.s1.waitFor(() => guard(w)?.state, 5000, 'guard anchor');
  const p = w.m.buy('EURUSD', 1);
  await w.s1.waitFor(() => w.s1.positions().length === 1 || undefined, 5000, 'copy');
  w.s1.setQuote('EURUSD.c', eur.bid - 0.003, eur.ask - 0.003);
  return p;
}

describe('daily-loss guard over ZeroMQ', () => {
  it('trips as the equity in the heartbeats falls, refuses the next copy, tells the EA, and still mirrors the close', async () => {
    const w = await startWorld([M1, S1({ protection: DAILY_200 })]);
    const p = await copyThenFall(w);
    const trip = await w.logged(/^TRIP protection S1: daily loss limit: equity/);
    expect(trip).toMatch(/at or below the floor (\d+\.\d{2}) = anchor \d+\.\d{2} \(balance at the reset .*\) less 200\.00; new copies blocked until the next reset at .* \(00:00 UTC\)$/);
    // The EA got the trip in a new welcome: it refuses opens itself too.
    const welcome = await w.s1.waitForMessage('welcome', (m) => m.limits?.blocked !== undefined);
    expect(welcome.limits).toMatchObject({ equity_floor: expect.any(Number), blocked: expect.stringMatching(/^daily loss limit/) });

    w.m.sell('XAUUSD', 0.1);
    await w.logged(/^REFUSE open M1#\d+ sell 0\.1 XAUUSD -> S1: protection: daily loss limit: equity/);
    w.m.close(p.position);
    await w.s1.waitFor(() => w.s1.positions().length === 0 || undefined, 5000, 'close mirrored');
    await w.hub.ledger.flush();
    const trips = await w.hub.store.findEvents({ account: 'S1', kind: 'trip' });
    expect(trips).toHaveLength(1);
    expect((await w.hub.store.findTrades({ account: 'S1', status: 'refused' }))[0]).toMatchObject({ master_symbol: 'XAUUSD', reason: expect.stringMatching(/^protection: daily loss limit/) });
  });

  it('with close_all closes every copy on the account', async () => {
    const w = await startWorld([M1, S1({ protection: { ...DAILY_200, action: 'close_all' } })]);
    await copyThenFall(w);
    await w.logged(/^CLOSE protection S1: daily loss limit tripped, closes M1#\d+ ticket \d+ \(1 lots\)$/);
    await w.s1.waitFor(() => w.s1.positions().length === 0 || undefined, 5000, 'copies closed');
    // The master's position is still open: the copy is not made again while the trip lasts.
    await new Promise((r) => setTimeout(r, 600));
    expect(w.s1.positions()).toHaveLength(0);
    expect(w.m.positions()).toHaveLength(1);
  });

  it("the simulated EA refuses an open itself once its welcome's limits are past (defence in depth)", async () => {
    const w = await startWorld([M1, S1({ protection: { max_positions: 1 } })]);
    const welcome = await w.s1.waitForMessage('welcome', (m) => m.limits?.max_positions === 1);
    expect(welcome.limits).toEqual({ max_positions: 1 });
    w.m.buy('EURUSD', 0.1);
    await w.s1.waitFor(() => w.s1.positions().length === 1 || undefined, 5000, 'first copy');
    // An open the hub's own gate would refuse, sent straight to the terminal.
    w.hub.sendTo('S1', { type: 'open', cmd_id: 'direct-1', expires_ms: Date.now() + 5000, master: 'M1', master_position: '999', symbol: 'GBPUSD.c', side: 'buy', volume: 0.1, price: 1.27, max_deviation_points: 1000, sl: 0, tp: 0, magic: 20250, comment: 'CB:test:999' });
    const res = await w.s1.waitFor(() => w.s1.results.find((m) => m.cmd_id === 'direct-1'), 5000, 'result');
    expect(res).toMatchObject({ status: 'refused', message: 'protection: 1 positions, the limit is 1' });
  });
});

describe.each(['embedded', 'mongodb'] as const)('guard state across a hub restart (%s store)', (kind) => {
  const mongo = kind === 'mongodb' ? useMongoServer() : undefined;

  it('keeps the anchor and the trip: the restarted hub refuses new copies and welcomes the EA with the trip', async () => {
    const store = kind === 'embedded' ? { store: 'embedded', dataDir: tempDir('cb-guard-') } : { store: 'mongodb', mongoUri: mongo!.server.uri, mongoDb: mongo!.dbName('guard') };
    const w = await startWorld([M1, S1({ protection: DAILY_200 })], store);
    await copyThenFall(w);
    await w.logged(/^TRIP protection S1/);
    const before = guard(w)!;
    await Promise.all(running.terminals.splice(0).map((t) => t.stop()));
    await running.hubs.pop()!.stop();

    const w2 = await startWorld([], store, { s1Broker: w.s1.broker, masterBroker: w.m.broker });
    expect(guard(w2)).toMatchObject({ trip: { rule: 'daily_loss', equity: before.trip!.equity }, state: { anchor: before.state!.anchor, day: before.state!.day } });
    const welcome = await w2.s1.waitForMessage('welcome', (m) => m.limits?.blocked !== undefined);
    expect(welcome.limits?.equity_floor).toBeCloseTo(before.floors.daily!, 2);
    await w2.s1.waitFor(() => w2.hub.engine.status().terminals.find((t) => t.name === 'S1')?.equity !== undefined || undefined, 5000, 'heartbeat');
    w2.m.sell('XAUUSD', 0.1);
    await w2.logged(/^REFUSE open M1#\d+ sell 0\.1 XAUUSD -> S1: protection: daily loss limit/);
    expect(w2.log.lines.filter((l) => /^TRIP/.test(l.message))).toHaveLength(0);
  });
});

describe('schedule over ZeroMQ', () => {
  it('refuses new copies outside the trading windows', async () => {
    const day = new Date().getUTCDay();
    const other = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(day + 3) % 7];
    const w = await startWorld([M1, S1({ schedule: { zone: 'UTC', windows: [`${other} 00:00-24:00`] } })]);
    w.m.buy('EURUSD', 0.1);
    await w.logged(new RegExp(`^REFUSE open M1#\\d+ buy 0\\.1 EURUSD -> S1: schedule: outside the trading windows of S1 \\(${other} 00:00-24:00 UTC\\)$`));
  });

  it('refuses new copies in a blackout of the file, and copies once the file no longer has it (re-read on change)', async () => {
    const dir = tempDir('cb-news-');
    const file = join(dir, 'news.csv');
    const at = new Date(Date.now() + 60_000).toISOString();
    writeFileSync(file, `time,targets,minutes_before,minutes_after,title\n${at},USD,5,5,Test CPI\n`);
    const w = await startWorld([M1, S1()], { blackoutFile: file });
    w.m.buy('EURUSD', 0.1);
    await w.logged(/^REFUSE open M1#\d+ buy 0\.1 EURUSD -> S1: schedule: Test CPI \(USD\) blackout .* \(.*news\.csv line 2\)$/);
    writeFileSync(file, '# no events this week\n');
    await w.logged(/^blackouts: 0 events from /);
    w.m.buy('EURUSD', 0.2);
    await w.s1.waitFor(() => w.s1.positions().length === 1 || undefined, 5000, 'copy after the file changed');
  });

  it('refuses to start on a blackout file with a mistake, naming the line', async () => {
    const file = join(tempDir('cb-news-'), 'bad.csv');
    writeFileSync(file, '2026-12-04 13:30,USD,2,2\n');
    await expect(startHub({ config: { store: 'memory', pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*', blackoutFile: file }, logger: memoryLogger('debug') })).rejects.toMatchObject({
      code: 'E_CONFIG', message: expect.stringMatching(/bad\.csv line 1: time "2026-12-04 13:30" has no zone/), hint: expect.stringMatching(/fix that line/),
    });
  });
});

describe('max delay over ZeroMQ', () => {
  it("records a master position whose deal is older than the slave's max_delay_ms as missed, with its age", async () => {
    // The master's clock runs 1.5 s behind: every deal reaches the hub 1.5 s old.
    const masterBroker = brokerFromPreset(MASTER_PRESET, { now: () => Date.now() - 1500 });
    const w = await startWorld([M1, S1({ max_delay_ms: 1000 })], {}, { masterBroker });
    await new Promise((r) => setTimeout(r, 1600)); // deals after the hub's start, so decided at once
    w.m.buy('EURUSD', 0.1);
    const line = await w.logged(/^MISS open M1#\d+ buy 0\.1 EURUSD -> S1: master event \d+ ms ago, more than max_delay_ms 1000$/);
    expect(Number(/event (\d+) ms/.exec(line)![1])).toBeGreaterThanOrEqual(1500);
    await w.hub.ledger.flush();
    expect((await w.hub.store.findTrades({ account: 'S1' }))[0]).toMatchObject({ status: 'missed', reason: expect.stringMatching(/^master event \d+ ms ago/) });
    expect(w.s1.positions()).toHaveLength(0);
  });
});
