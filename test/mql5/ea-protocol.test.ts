/**
 * The EA against the scripted fake hub (test/helpers/fake-hub.ts, plain ZeroMQ sockets): every
 * message the EA sends must pass the protocol's schemas (hub/protocol), and the EA must accept
 * every hub message. Covers
 * what the real hub rarely does on purpose: oversized messages (CB_ETRUNC), garbage, unknown
 * types, expired and repeated commands, refusals, permissions, symbol chunks and the clock.
 */
import { masterTag } from '../../hub/engine/tag';
import { VERSION } from '../../hub/version';
import { sleep } from '../helpers';
import { useFakeHub } from './fake-hub-suite';
import type { TerminalOptions } from './terminal';

jest.setTimeout(60_000);

const MAGIC = 20250;
const { hub, terminal, welcome } = useFakeHub();
/** Starts a terminal and answers its hello with a welcome. */
async function welcomed(opts: Partial<TerminalOptions> & { account: string }, role: 'master' | 'slave') {
  const t = await terminal(opts);
  await welcome(t, () => hub.welcome(opts.account, role));
  return t;
}
function openCmd(account: string, over: Record<string, unknown> = {}) {
  const pos = (over.master_position as string) ?? '5001';
  return {
    type: 'open', cmd_id: `c-${Math.random().toString(36).slice(2)}`, expires_ms: Date.now() + 10_000, master: 'M1', master_position: pos,
    symbol: 'EURUSD', side: 'buy', volume: 0.5, price: 1.1001, max_deviation_points: 30, sl: 1.09, tp: 1.12, magic: MAGIC,
    comment: `CB:${masterTag('M1')}:${pos}`, ...over,
  };
}

test('hello, symbols in chunks, snapshot and heartbeats are valid protocol messages', async () => {
  await welcomed({ account: 'P1', login: 4242, extraSymbols: 450 }, 'master');
  const hello = hub.of('P1', 'hello')[0];
  expect(hello).toMatchObject({ v: 1, account: 'P1', login: 4242, server: 'FakeBroker-Demo', broker: 'Fake Broker Ltd', currency: 'USD', margin_mode: 'hedging', ea_version: VERSION });
  expect(Math.abs(hello.ts - Date.now())).toBeLessThan(3000);
  await hub.waitFor('P1', 'heartbeat');
  // 455 symbols: chunks of at most 200, the first replaces the list
  const chunks = hub.of('P1', 'symbols');
  const first = chunks.findIndex((c) => c.replace);
  const list = chunks.slice(first, first + 3);
  expect(list.map((c) => [c.replace, c.symbols.length])).toEqual([[true, 200], [false, 200], [false, 55]]);
  expect(list[0].symbols.find((s) => s.name === 'XAUUSD')).toEqual({
    name: 'XAUUSD', digits: 2, point: 0.01, volume_min: 0.01, volume_step: 0.01, volume_max: 50, volume_limit: 0, contract_size: 100, tick_value: 1, tick_size: 0.01,
    filling_modes: 2, trade_mode: 'full', stops_level: 10, freeze_level: 0,
  });
  const seqs = hub.received.filter((m) => m.account === 'P1').map((m) => m.seq);
  expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i)); // +1 per message
});

test('a master reports deals (server time converted to UTC) and SL/TP changes', async () => {
  const t = await welcomed({ account: 'P2' }, 'master');
  const pos = await t.trade('buy', 'EURUSD', 0.5, 1.09, 1.12);
  const deal = await hub.waitFor('P2', 'deal');
  expect(deal).toMatchObject({ position: pos, symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 0.5, price: 1.1001, sl: 1.09, tp: 1.12, magic: 0, reason: 'client', position_volume: 0.5, position_side: 'buy' });
  // the fake trade server runs on UTC+2 like most brokers; the EA sends UTC
  expect(Math.abs(deal.time_ms - Date.now())).toBeLessThan(3000);
  await t.ok(`modify ${pos} 1.095 1.13`);
  expect(await hub.waitFor('P2', 'position')).toMatchObject({ position: pos, symbol: 'EURUSD', side: 'buy', volume: 0.5, sl: 1.095, tp: 1.13 });
  await hub.send('P2', { type: 'snapshot_request' });
  const snap = await hub.waitFor('P2', 'snapshot', (s) => s.positions.length === 1);
  expect(snap.positions[0]).toMatchObject({ ticket: pos, position: pos, symbol: 'EURUSD', side: 'buy', volume: 0.5, sl: 1.095, tp: 1.13, magic: 0, comment: '' });
  expect(snap).toMatchObject({ margin_mode: 'hedging' });
  const n = hub.of('P2', 'heartbeat').length;
  await hub.send('P2', { type: 'ping' });
  await hub.waitFor('P2', 'heartbeat', () => hub.of('P2', 'heartbeat').length > n);
});

test('a slave executes commands and answers each with a result; repeats and stale commands are not executed', async () => {
  const t = await welcomed({ account: 'P3', tickets: 30000 }, 'slave');
  const open = openCmd('P3');
  await hub.send('P3', open);
  const r = await hub.result('P3', open.cmd_id);
  expect(r).toMatchObject({ status: 'done', retcode: 10009, ticket: '30001', position: '30001', price: 1.1001, volume: 0.5 });
  const [p] = await t.positions();
  expect(p).toMatchObject({ ticket: '30001', magic: MAGIC, comment: open.comment, sl: 1.09, tp: 1.12 });
  // the snapshot names the master of the copy (from the journal)
  await hub.send('P3', { type: 'snapshot_request' });
  const snap = await hub.waitFor('P3', 'snapshot', (s) => s.positions.length === 1);
  expect(snap.positions[0]).toMatchObject({ master: 'M1', master_position: '5001' });

  // same cmd_id again: duplicate, no second position
  await hub.send('P3', open);
  await hub.waitFor('P3', 'result', (x) => x.cmd_id === open.cmd_id && x.status === 'duplicate');
  // new cmd_id, same master position: duplicate naming the existing copy
  const again = openCmd('P3');
  await hub.send('P3', again);
  expect(await hub.result('P3', again.cmd_id)).toMatchObject({ status: 'duplicate', ticket: '30001' });
  // expired
  const late = openCmd('P3', { master_position: '5002', expires_ms: Date.now() - 1000 });
  await hub.send('P3', late);
  expect(await hub.result('P3', late.cmd_id)).toMatchObject({ status: 'expired', retcode: 0 });
  expect(await t.positions()).toHaveLength(1);

  // modify, partial close, close
  const modify = { type: 'modify', cmd_id: 'm-1', expires_ms: Date.now() + 10_000, master: 'M1', master_position: '5001', ticket: '30001', symbol: 'EURUSD', sl: 1.0955555, tp: 0 };
  await hub.send('P3', modify);
  expect(await hub.result('P3', 'm-1')).toMatchObject({ status: 'done', retcode: 10009 });
  expect((await t.positions())[0]).toMatchObject({ sl: 1.09556, tp: 0 }); // normalised to 5 digits
  const part = { type: 'close', cmd_id: 'x-1', expires_ms: Date.now() + 10_000, master: 'M1', master_position: '5001', ticket: '30001', symbol: 'EURUSD', volume: 0.2 };
  await hub.send('P3', part);
  expect(await hub.result('P3', 'x-1')).toMatchObject({ status: 'done', remaining_volume: 0.3, volume: 0.2, price: 1.1 });
  const full = { ...part, cmd_id: 'x-2', volume: 5 };
  await hub.send('P3', full);
  expect(await hub.result('P3', 'x-2')).toMatchObject({ status: 'done', remaining_volume: 0, volume: 0.3 });
  // closing what is gone is refused, not an error
  const gone = { ...part, cmd_id: 'x-3' };
  await hub.send('P3', gone);
  expect(await hub.result('P3', 'x-3')).toMatchObject({ status: 'refused', remaining_volume: 0 });
  // slave deals are reported too (the hub learns about SL/TP hits and stop-outs on slaves)
  expect(hub.of('P3', 'deal').map((d) => d.entry)).toEqual(['in', 'out', 'out']);
});

test('a slave refuses what it must not do: manual positions, wrong volumes, closed markets, algo trading off', async () => {
  const t = await welcomed({ account: 'P4', tickets: 40000 }, 'slave');
  const manual = await t.trade('buy', 'EURUSD', 0.1);
  const close = { type: 'close', cmd_id: 'r-1', expires_ms: Date.now() + 10_000, master: 'M1', master_position: '1', ticket: manual, symbol: 'EURUSD', volume: 0.1 };
  await hub.send('P4', close);
  expect(await hub.result('P4', 'r-1')).toMatchObject({ status: 'refused', message: expect.stringMatching(/not a CopyBridge copy/) });

  const tiny = openCmd('P4', { master_position: '7001', volume: 0.001 });
  await hub.send('P4', tiny);
  expect(await hub.result('P4', tiny.cmd_id)).toMatchObject({ status: 'refused', message: expect.stringMatching(/below EURUSD minimum 0.01/) });

  await t.ok('market EURUSD closed');
  const closed = openCmd('P4', { master_position: '7002' });
  await hub.send('P4', closed);
  expect(await hub.result('P4', closed.cmd_id)).toMatchObject({ status: 'rejected', retcode: 10018, message: expect.stringMatching(/market is closed/) });
  await t.ok('market EURUSD open');

  const unknown = openCmd('P4', { master_position: '7003', symbol: 'NOPE' });
  await hub.send('P4', unknown);
  expect(await hub.result('P4', unknown.cmd_id)).toMatchObject({ status: 'refused', message: expect.stringMatching(/symbol NOPE is not available/) });

  // filling: XAUUSD allows IOC only, US30 neither FOK nor IOC (exchange: Return)
  for (const [sym, pos, price] of [['XAUUSD', '7004', 2000.3], ['US30', '7005', 38002]] as const) {
    const o = openCmd('P4', { master_position: pos, symbol: sym, price, volume: 1, sl: 0, tp: 0 });
    await hub.send('P4', o);
    expect(await hub.result('P4', o.cmd_id)).toMatchObject({ status: 'done', retcode: 10009 });
  }

  await t.ok('algo off');
  const off = openCmd('P4', { master_position: '7006' });
  await hub.send('P4', off);
  expect(await hub.result('P4', off.cmd_id)).toMatchObject({
    status: 'refused', retcode: 10027, message: expect.stringMatching(/press the 'Algo Trading' button/),
  });
  await t.waitLog(/WARNING algo trading is off: press the 'Algo Trading' button/);
  await hub.waitFor('P4', 'heartbeat', (h) => h.trade_allowed === false);
  await t.ok('algo on');
});

test('oversized, malformed and unknown messages from the hub', async () => {
  const t = await welcomed({ account: 'P5' }, 'slave');
  // 300 KB: larger than the EA's 64 KB receive buffer, so cb_recv answers CB_ETRUNC first
  const big = openCmd('P5', { master_position: '8001', padding: 'x'.repeat(300_000) });
  await hub.send('P5', big);
  expect(await hub.result('P5', big.cmd_id)).toMatchObject({ status: 'done' });
  const mark = t.logs.length;
  await hub.send('P5', '{"v":1,"type":"open", not json');
  await t.waitLog(/ERROR Dispatch: message from the hub is not valid JSON/, 5000, mark);
  await hub.send('P5', { type: 'teleport' });
  await t.waitLog(/unknown message type "teleport" from the hub ignored/, 5000, mark);
  await hub.send('P5', { type: 'ping', v: 2 });
  await t.waitLog(/hub speaks protocol v2/, 5000, mark);
  // strings with escapes and non-ASCII survive both ways
  const fancy = openCmd('P5', { master_position: '8002', cmd_id: 'ü-"quoted"\\-\u20ac' });
  await hub.send('P5', fancy);
  expect(await hub.result('P5', fancy.cmd_id)).toMatchObject({ status: 'done' });
  // the hub does not know this account
  await hub.send('P5', { type: 'error', code: 'E_UNKNOWN_ACCOUNT', message: 'account "P5" is not registered on this hub; on the hub run: npm run hub -- accounts add P5 --type SLAVE', ref_type: 'hello', ref_seq: 1 });
  await t.waitLog(/ERROR hub: E_UNKNOWN_ACCOUNT: account "P5" is not registered on this hub; on the hub run: npm run hub -- accounts add P5/, 5000, mark);
  expect(await t.status()).toMatch(/Hub: ERROR E_UNKNOWN_ACCOUNT/);
});

test('watched symbols stream ticks, at most one per 100 ms per symbol', async () => {
  const t = await welcomed({ account: 'P6' }, 'slave');
  await hub.send('P6', { type: 'watch', symbols: ['EURUSD', 'XAUUSD', 'NOPE'] });
  await t.waitLog(/watching 2 symbols for the hub: EURUSD, XAUUSD/);
  await t.waitLog(/symbol NOPE is not available/);
  for (let i = 0; i < 20; i++) {
    await t.ok(`quote EURUSD ${(1.1 + i / 100000).toFixed(5)} ${(1.1001 + i / 100000).toFixed(5)}`);
    await sleep(10);
  }
  await sleep(300);
  const ticks = hub.of('P6', 'tick').filter((k) => k.symbol === 'EURUSD');
  expect(ticks.length).toBeGreaterThanOrEqual(2);
  expect(ticks.length).toBeLessThan(10);
  expect(ticks[ticks.length - 1]).toMatchObject({ bid: 1.10019, ask: 1.10029 });
  expect(Math.abs(ticks[ticks.length - 1].time_ms - Date.now())).toBeLessThan(3000);
});

test('without DLL imports the EA says which box to tick and does not start', async () => {
  const t = await terminal({ account: 'P7', noDlls: true });
  expect(t.events.some((e) => e.startsWith('initfailed'))).toBe(true);
  expect(t.logs.join('\n')).toMatch(/DLL imports are not allowed.*Tools > Options > Expert Advisors, tick 'Allow DLL imports'/);
  expect(await t.status()).toMatch(/CopyBridge: STOPPED/);
  expect((await t.ok('status')).running).toBe(false);
});
