/**
 * The EA enforces the protection limits of its welcome itself (docs/protection.md, "The EA
 * enforces the limits too"): the scripted fake hub welcomes a slave with limits and then sends
 * opens the real hub would have held back, as a hub that had not yet seen the loss would. The
 * EA's own code (compiled with the MQL5 stand-in) must refuse each open with the reason, in its
 * result, in the Experts tab and on the chart, and still execute every close.
 */
import { masterTag } from '../../hub/engine/tag';
import { useFakeHub } from './fake-hub-suite';
import type { Terminal } from './terminal';

jest.setTimeout(60_000);

const MAGIC = 20250;
const { hub, terminal, welcome } = useFakeHub();

/** Starts a slave and welcomes it with these limits (re-sent until its snapshot arrives: PUB may drop the first). */
async function protectedSlave(account: string, tickets: number, limits: Record<string, unknown>): Promise<Terminal> {
  const t = await terminal({ account, tickets });
  await welcome(t, () => hub.send(account, { type: 'welcome', role: 'slave', magic: MAGIC, heartbeat_ms: 300, snapshot_ms: 60_000, hub_version: 'scripted', limits }));
  return t;
}

function openCmd(over: Record<string, unknown> = {}) {
  const pos = (over.master_position as string) ?? '5001';
  return {
    type: 'open', cmd_id: `g-${Math.random().toString(36).slice(2)}`, expires_ms: Date.now() + 10_000, master: 'M1', master_position: pos,
    symbol: 'EURUSD', side: 'buy', volume: 1, price: 1.1001, max_deviation_points: 30, sl: 0, tp: 0, magic: MAGIC,
    comment: `CB:${masterTag('M1')}:${pos}`, ...over,
  };
}

test('equity falling to the floor: the EA refuses new copies itself, closes still go through, also after the hub restarted', async () => {
  const t = await protectedSlave('G1', 61000, { equity_floor: 99_900, max_positions: 10 });
  await t.waitLog(/protection limits from the hub, checked before every open: equity floor 99900\.00; max 10 positions/);
  // above the floor: copied
  const first = openCmd({ master_position: '5001' });
  await hub.send('G1', first);
  expect(await hub.result('G1', first.cmd_id)).toMatchObject({ status: 'done', ticket: '61001' });

  // the market falls: 1 lot EURUSD bought at 1.1001, bid 1.0990 -> equity 99890, under the floor
  await t.ok('quote EURUSD 1.0990 1.0991');
  expect((await t.ok('account')).equity).toBeCloseTo(99_890, 2);
  const second = openCmd({ master_position: '5002', price: 1.0991 });
  await hub.send('G1', second);
  const refused = await hub.result('G1', second.cmd_id);
  expect(refused).toMatchObject({ status: 'refused', retcode: 0 });
  expect(refused.message).toMatch(/^protection: equity 99890\.00 at or below the floor 99900\.00 \(checked by the EA/);
  expect(await t.positions()).toHaveLength(1);
  await t.waitLog(/REFUSED open M1#5002 buy 1 EURUSD -> refused: protection: equity 99890\.00 at or below the floor 99900\.00/);
  const chart = await t.status();
  expect(chart).toMatch(/Protection: equity floor 99900\.00; max 10 positions {2}NEW COPIES REFUSED \(equity 99890\.00\)/);
  expect(chart).toMatch(/Last: open M1#5002 buy 1 EURUSD -> refused: protection: equity 99890\.00/);

  // the hub restarts (its numbers start again at 1) and has not welcomed the terminal again:
  // the last welcome's limits still hold
  await hub.publish(['G1', JSON.stringify({ v: 1, account: 'G1', seq: 1, ts: Date.now(), type: 'ping' })]);
  await t.waitLog(/hub restarted, saying hello again/);
  const third = openCmd({ master_position: '5003', price: 1.0991 });
  await hub.publish(['G1', JSON.stringify({ v: 1, account: 'G1', seq: 2, ts: Date.now(), ...third })]);
  expect(await hub.result('G1', third.cmd_id)).toMatchObject({ status: 'refused', message: expect.stringMatching(/^protection: equity 99890\.00 at or below the floor/) });

  // a close is never refused
  const close = { type: 'close', cmd_id: 'g-close-1', expires_ms: Date.now() + 10_000, master: 'M1', master_position: '5001', ticket: '61001', symbol: 'EURUSD' };
  await hub.publish(['G1', JSON.stringify({ v: 1, account: 'G1', seq: 3, ts: Date.now(), ...close })]);
  expect(await hub.result('G1', close.cmd_id)).toMatchObject({ status: 'done', remaining_volume: 0 });
  expect(await t.positions()).toHaveLength(0);
});

test('exposure limits: positions, lots and lots per symbol counted over every position of the account; reaching a limit exactly is allowed', async () => {
  const t = await protectedSlave('G2', 62000, { max_positions: 2, max_lots: 1.5, max_lots_per_symbol: 1 });
  await t.trade('buy', 'EURUSD', 0.5); // a manual trade counts too
  const perSymbol = openCmd({ master_position: '6001', volume: 0.6 });
  await hub.send('G2', perSymbol);
  expect(await hub.result('G2', perSymbol.cmd_id)).toMatchObject({
    status: 'refused', message: expect.stringMatching(/^protection: max lots per symbol: 0\.5 lots of EURUSD open \+ 0\.6 would be 1\.1, more than 1 /),
  });
  const gold = openCmd({ master_position: '6002', symbol: 'XAUUSD', volume: 0.5, price: 2000.3 });
  await hub.send('G2', gold);
  expect(await hub.result('G2', gold.cmd_id)).toMatchObject({ status: 'done' });
  const third = openCmd({ master_position: '6003', symbol: 'GBPUSD', volume: 0.1, price: 1.27012 });
  await hub.send('G2', third);
  expect(await hub.result('G2', third.cmd_id)).toMatchObject({ status: 'refused', message: expect.stringMatching(/^protection: max positions: 2 open, the limit is 2 /) });
  // an add opens no new copy: only the lots count
  const tooMuch = openCmd({ master_position: '6002', symbol: 'XAUUSD', volume: 0.6, price: 2000.3, increase: true });
  await hub.send('G2', tooMuch);
  expect(await hub.result('G2', tooMuch.cmd_id)).toMatchObject({
    status: 'refused', message: expect.stringMatching(/^protection: max lots: 1 lots open \+ 0\.6 would be 1\.6, more than 1\.5 /),
  });
  const exactly = openCmd({ master_position: '6002', symbol: 'XAUUSD', volume: 0.5, price: 2000.3, increase: true });
  await hub.send('G2', exactly);
  expect(await hub.result('G2', exactly.cmd_id)).toMatchObject({ status: 'done' });
  expect((await t.positions()).reduce((n, p) => n + p.volume, 0)).toBeCloseTo(1.5, 8);
});

test('a tripped limit blocks every open with the hub\'s reason; a welcome without limits lifts them', async () => {
  const reason = 'daily loss limit: equity 96999.50 (balance 101800.00) at or below the floor 97000.00';
  const t = await protectedSlave('G3', 63000, { blocked: reason, equity_floor: 97_000 });
  await t.waitLog(/protection limits from the hub, checked before every open: BLOCKED: daily loss limit/);
  const open = openCmd({ master_position: '7001' });
  await hub.send('G3', open);
  expect(await hub.result('G3', open.cmd_id)).toMatchObject({ status: 'refused', message: `protection: ${reason} (checked by the EA against the hub's last welcome)` });
  expect(await t.positions()).toHaveLength(0);

  await hub.send('G3', { type: 'welcome', role: 'slave', magic: MAGIC, heartbeat_ms: 300, snapshot_ms: 60_000, hub_version: 'scripted' });
  await t.waitLog(/protection limits removed by the hub/);
  const again = openCmd({ master_position: '7002' });
  await hub.send('G3', again);
  expect(await hub.result('G3', again.cmd_id)).toMatchObject({ status: 'done' });
  expect(await t.status()).not.toMatch(/Protection:/);
});
