/** Engine decisions driven directly (no sockets): the integration tests repeat the key paths over ZeroMQ. */
import { makeConfig } from '../../../hub/config';
import { Engine, masterTag } from '../../../hub/engine';
import type { LedgerEvent, TradeUpdate } from '../../../hub/ledger/types';
import { memoryLogger } from '../../../hub/log';
import type { Body, HubMessage, SymbolSpec, TerminalMessage } from '../../../hub/protocol';

const fx = (name: string): SymbolSpec => ({ name, digits: 5, point: 0.00001, volume_min: 0.01, volume_step: 0.01, volume_max: 100, contract_size: 100000, filling_modes: 1, trade_mode: 'full' });

/** handshake false: a hub that just restarted, its terminals still running (no hello, no symbols yet). */
function setup({ handshake = true } = {}) {
  let now = 1_700_000_000_000;
  const sent: { to: string; body: Body<HubMessage> }[] = [];
  const trades: TradeUpdate[] = [];
  const events: LedgerEvent[] = [];
  const log = memoryLogger('debug');
  const config = makeConfig({ store: 'memory', commandTtlMs: 5000, resendMs: 500, heartbeatMs: 1000 });
  const engine = new Engine({ config, send: (to, body) => sent.push({ to, body }), ledger: { trade: (u) => trades.push(u), event: (e) => events.push(e) }, log, now: () => now });
  engine.setAccounts([
    { name: 'M1', type: 'MASTER', enabled: true },
    { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 },
    { name: 'S2', type: 'SLAVE', enabled: true, symbol_map: { XAUUSD: 'GOLD' }, volume_mode: 'multiplier', volume_multiplier: 0.5 },
    { name: 'S3', type: 'SLAVE', enabled: false },
  ]);
  let seq = 0;
  const msg = (account: string, body: Record<string, unknown>) =>
    engine.handle({ v: 1, account, seq: ++seq, ts: now, ...body } as TerminalMessage, now);
  const hello = (account: string, margin_mode = 'hedging') =>
    msg(account, { type: 'hello', login: 1, server: 'x', broker: 'b', currency: 'USD', margin_mode, ea_version: '1' });
  const commands = (to: string, type?: string) => sent.filter((s) => s.to === to && (!type || s.body.type === type)).map((s) => s.body as Record<string, any>);
  const deal = (fields: Record<string, unknown>) =>
    msg('M1', { type: 'deal', order: '1', magic: 0, comment: '', reason: 'client', time_ms: now, sl: 0, tp: 0, ...fields });
  const result = (account: string, cmd: Record<string, any>, fields: Record<string, unknown>) =>
    msg(account, { type: 'result', cmd_id: cmd.cmd_id, retcode: 10009, message: 'done', ...fields });
  if (handshake) {
    for (const a of ['M1', 'S1', 'S2', 'S3']) hello(a);
    msg('M1', { type: 'symbols', replace: true, symbols: [fx('EURUSD'), { ...fx('XAUUSD'), digits: 2, point: 0.01, contract_size: 100 }] });
    msg('S1', { type: 'symbols', replace: true, symbols: [fx('EURUSD.c'), fx('GBPUSD.c')] });
    msg('S2', { type: 'symbols', replace: true, symbols: [fx('EURUSD'), { ...fx('GOLD'), digits: 2, point: 0.01, contract_size: 100 }] });
  }
  return { engine, sent, trades, events, log, msg, hello, commands, deal, result, advance: (ms: number) => (now += ms), get now() { return now; } };
}

/** Open copies, of one slave or all. */
const openCopies = (engine: Engine, slave?: string) => engine.status().copies.filter((c) => c.status === 'open' && (!slave || c.slave === slave));

describe('Engine', () => {
  it('answers hello with the role from the account record', () => {
    const t = setup();
    expect(t.commands('M1', 'welcome')[0]).toMatchObject({ role: 'master', magic: 20250 });
    expect(t.commands('S1', 'welcome')[0]).toMatchObject({ role: 'slave' });
    expect(t.commands('S3', 'welcome')[0]).toMatchObject({ role: 'disabled' });
  });

  it('tells an unknown terminal how to register it', () => {
    const t = setup();
    t.hello('Nobody');
    expect(t.commands('Nobody', 'error')[0]).toMatchObject({ code: 'E_UNKNOWN_ACCOUNT' });
    expect(t.commands('Nobody', 'error')[0].message).toMatch(/npm run hub -- accounts add Nobody --type SLAVE/);
    expect(t.log.lines.some((l) => /register it with: npm run hub -- accounts add Nobody/.test(l.message))).toBe(true);
  });

  it('copies an open, a partial close, an SL/TP change and the final close', () => {
    const t = setup();
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy', sl: 1.09, tp: 1.12 });
    const o1 = t.commands('S1', 'open')[0];
    const o2 = t.commands('S2', 'open')[0];
    expect(o1).toMatchObject({ symbol: 'EURUSD.c', side: 'buy', volume: 1, price: 1.1, sl: 1.09, tp: 1.12, max_deviation_points: 20, magic: 20250, master: 'M1', master_position: '500' });
    expect(o1.comment).toMatch(/^CB:[0-9a-f]{4}:500$/);
    expect(o2).toMatchObject({ symbol: 'EURUSD', volume: 0.5, max_deviation_points: 30 });
    expect(t.commands('S3', 'open')).toHaveLength(0);
    expect(t.log.lines.some((l) => /REFUSE open M1#500 .* -> S3: slave S3 is disabled/.test(l.message))).toBe(true);

    t.advance(5);
    t.result('S1', o1, { status: 'done', ticket: '9001', position: '9001', price: 1.10005, volume: 1 });
    t.result('S2', o2, { status: 'done', ticket: '7001', position: '7001', price: 1.1, volume: 0.5 });
    expect(openCopies(t.engine)).toHaveLength(2);
    const s1trade = t.trades.filter((u) => u.key.slave_name === 'S1').pop()!;
    expect(s1trade.set).toMatchObject({ status: 'open', slave_ticket: '9001', slippage_points: 5, latency_ms: 5 });

    t.deal({ deal: '11', position: '500', symbol: 'EURUSD', side: 'sell', entry: 'out', volume: 0.4, price: 1.101, position_volume: 0.6, position_side: 'buy' });
    expect(t.commands('S1', 'close')[0]).toMatchObject({ ticket: '9001', volume: 0.4, symbol: 'EURUSD.c' });
    expect(t.commands('S2', 'close')[0]).toMatchObject({ ticket: '7001', volume: 0.2 });
    t.result('S1', t.commands('S1', 'close')[0], { status: 'done', volume: 0.4, remaining_volume: 0.6 });
    t.result('S2', t.commands('S2', 'close')[0], { status: 'done', volume: 0.2, remaining_volume: 0.3 });

    t.msg('M1', { type: 'position', position: '500', symbol: 'EURUSD', side: 'buy', volume: 0.6, sl: 1.095, tp: 1.13 });
    expect(t.commands('S1', 'modify')[0]).toMatchObject({ ticket: '9001', sl: 1.095, tp: 1.13 });

    t.deal({ deal: '12', position: '500', symbol: 'EURUSD', side: 'sell', entry: 'out', volume: 0.6, price: 1.102, position_volume: 0, position_side: 'buy' });
    expect(t.commands('S1', 'close')[1]).toMatchObject({ ticket: '9001', volume: 0.6 });
    expect(t.commands('S2', 'close')[1]).toMatchObject({ ticket: '7001', volume: 0.3 });
    t.result('S1', t.commands('S1', 'close')[1], { status: 'done', volume: 0.6, remaining_volume: 0, price: 1.102 });
    expect(t.trades.filter((u) => u.key.slave_name === "S1").pop()!.set).toMatchObject({ status: "closed", remaining_volume: 0, close_price: 1.102 });
  });

  it('handles the same deal twice only once', () => {
    const t = setup();
    const d = { deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' };
    t.deal(d);
    t.deal(d);
    expect(t.commands('S1', 'open')).toHaveLength(1);
  });

  it('refuses when the slave price ran away, and copies when it is within tolerance', () => {
    const t = setup();
    t.msg('S1', { type: 'tick', symbol: 'EURUSD.c', bid: 1.1003, ask: 1.1005, time_ms: t.now });
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    expect(t.commands('S1', 'open')).toHaveLength(0);
    expect(t.log.lines.some((l) => /REFUSE .* -> S1: slippage: price moved 50 points \(slave ask 1.1005 vs master fill 1.1\), tolerance 20/.test(l.message))).toBe(true);
    expect(t.trades.find((u) => u.key.slave_name === 'S1')!.set).toMatchObject({ status: 'refused' });
    t.msg('S1', { type: 'tick', symbol: 'EURUSD.c', bid: 1.0999, ask: 1.1001, time_ms: t.now });
    t.deal({ deal: '11', position: '501', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    expect(t.commands('S1', 'open')).toHaveLength(1);
  });

  it('refuses an unknown symbol and a volume below the minimum, with reasons', () => {
    const t = setup();
    t.deal({ deal: '10', position: '500', symbol: 'XAUUSD', side: 'sell', entry: 'in', volume: 0.01, price: 2000, position_volume: 0.01, position_side: 'sell' });
    expect(t.log.lines.some((l) => /REFUSE .* -> S1: unknown symbol: XAUUSD.c \(prefix\/suffix applied to XAUUSD\) is not offered/.test(l.message))).toBe(true);
    expect(t.log.lines.some((l) => /REFUSE .* -> S2: invalid volume: volume 0.005 .* below GOLD minimum 0.01/.test(l.message))).toBe(true);
    expect(t.commands('S1', 'open')).toHaveLength(0);
    expect(t.commands('S2', 'open')).toHaveLength(0);
  });

  it('re-sends an unanswered command with the same id until it expires', () => {
    const t = setup();
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    const id = t.commands('S1', 'open')[0].cmd_id;
    t.advance(600);
    t.engine.tick();
    expect(t.commands('S1', 'open').map((c) => c.cmd_id)).toEqual([id, id]);
    t.advance(6000);
    t.engine.tick();
    expect(t.engine.status().pending.some((p) => p.cmd_id === id)).toBe(false);
    expect(t.trades.filter((u) => u.key.slave_name === 'S1').pop()!.set).toMatchObject({ status: 'expired' });
  });

  it('closes a copy whose master closed while the open was in flight', () => {
    const t = setup();
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    t.deal({ deal: '11', position: '500', symbol: 'EURUSD', side: 'sell', entry: 'out', volume: 1, price: 1.1, position_volume: 0, position_side: 'buy' });
    expect(t.commands('S1', 'close')).toHaveLength(0);
    t.result('S1', t.commands('S1', 'open')[0], { status: 'done', ticket: '9001', volume: 1, price: 1.1 });
    expect(t.commands('S1', 'close')[0]).toMatchObject({ ticket: '9001', volume: 1 });
  });

  it('mirrors a close-by on a hedging slave with one close_by', () => {
    const t = setup();
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    t.deal({ deal: '11', position: '501', symbol: 'EURUSD', side: 'sell', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'sell' });
    const [a, b] = t.commands('S1', 'open');
    t.result('S1', a, { status: 'done', ticket: '9001', volume: 1 });
    t.result('S1', b, { status: 'done', ticket: '9002', volume: 1 });
    t.deal({ deal: '12', position: '500', position_by: '501', symbol: 'EURUSD', side: 'sell', entry: 'out_by', volume: 1, price: 1.1, position_volume: 0, position_side: 'buy' });
    t.deal({ deal: '13', position: '501', position_by: '500', symbol: 'EURUSD', side: 'buy', entry: 'out_by', volume: 1, price: 1.1, position_volume: 0, position_side: 'sell' });
    expect(t.commands('S1', 'close_by')).toEqual([expect.objectContaining({ ticket: '9001', ticket_by: '9002' })]);
    expect(t.commands('S1', 'close')).toHaveLength(0);
    t.result('S1', t.commands('S1', 'close_by')[0], { status: 'done' });
    expect(openCopies(t.engine, 'S1')).toHaveLength(0);
  });

  it('mirrors a netting reversal: close the copy, then open the other side', () => {
    const t = setup();
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    t.result('S1', t.commands('S1', 'open')[0], { status: 'done', ticket: '9001', volume: 1 });
    t.deal({ deal: '11', position: '500', symbol: 'EURUSD', side: 'sell', entry: 'inout', volume: 1.5, price: 1.1, position_volume: 0.5, position_side: 'sell' });
    expect(t.commands('S1', 'close')[0]).toMatchObject({ ticket: '9001', volume: 1 });
    expect(t.commands('S1', 'open')).toHaveLength(1);
    t.result('S1', t.commands('S1', 'close')[0], { status: 'done', remaining_volume: 0 });
    expect(t.commands('S1', 'open')[1]).toMatchObject({ side: 'sell', volume: 0.5, master_position: '500' });
  });

  it('rebuilds the copy map from a slave snapshot and closes copies of closed master positions', () => {
    const t = setup();
    const comment = `CB:${masterTag('M1')}:777`;
    t.msg('M1', { type: 'snapshot', positions: [] });
    t.msg('S1', { type: 'snapshot', positions: [{ ticket: '9100', position: '9100', symbol: 'EURUSD.c', side: 'buy', volume: 0.3, price_open: 1.1, sl: 0, tp: 0, magic: 20250, comment, time_ms: t.now }] });
    expect(t.log.lines.some((l) => /ADOPT reconcile: found S1 ticket 9100/.test(l.message))).toBe(true);
    // The master snapshot came first and did not hold 777, but the hub only knows positions it has seen: no close yet.
    t.msg('M1', { type: 'deal', deal: '1', order: '1', position: '777', symbol: 'EURUSD', side: 'sell', entry: 'out', volume: 0.3, price: 1.1, position_volume: 0, position_side: 'buy', magic: 0, comment: '', reason: 'client', time_ms: t.now });
    expect(t.commands('S1', 'close')[0]).toMatchObject({ ticket: '9100', volume: 0.3 });
  });

  it('answers invalid messages from registered accounts with an error', () => {
    const t = setup();
    t.engine.rejectInvalid({ account: 'S1', type: 'tick', seq: 9 }, 'E_INVALID_MESSAGE', 'bad');
    expect(t.commands('S1', 'error')[0]).toMatchObject({ code: 'E_INVALID_MESSAGE', ref_seq: 9 });
    t.engine.rejectInvalid({}, 'E_NOT_JSON', 'bad');
    expect(t.sent.filter((s) => s.body.type === 'error')).toHaveLength(1);
  });

  it('marks a silent terminal offline and re-sends its commands when it is back', () => {
    const t = setup();
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    t.advance(3500);
    t.engine.tick();
    expect(t.engine.status().terminals.find((s) => s.name === 'S1')!.online).toBe(false);
    const before = t.commands('S1', 'open').length;
    t.hello('S1');
    expect(t.commands('S1', 'open').length).toBeGreaterThan(before);
  });

  it('forgets closed positions and settled copies after a while, keeping memory flat', () => {
    const t = setup();
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    t.result('S1', t.commands('S1', 'open')[0], { status: 'done', ticket: '9001', volume: 1 });
    t.result('S2', t.commands('S2', 'open')[0], { status: 'done', ticket: '7001', volume: 0.5 });
    t.deal({ deal: '11', position: '500', symbol: 'EURUSD', side: 'sell', entry: 'out', volume: 1, price: 1.1, position_volume: 0, position_side: 'buy' });
    t.result('S1', t.commands('S1', 'close')[0], { status: 'done', remaining_volume: 0 });
    t.advance(11 * 60_000);
    t.engine.tick();
    // S2 never answered its close: that copy and its master position are kept.
    expect(t.engine.status().masterPositions.length).toBe(1);
    t.result('S2', t.commands('S2', 'close')[0], { status: 'done', remaining_volume: 0 });
    t.advance(11_000);
    t.engine.tick();
    expect(t.engine.status().masterPositions.length).toBe(0);
    expect(t.engine.status().copies.length).toBe(0);
  });

  it('refuses an opposite copy on a netting slave, which would net the first one away', () => {
    const t = setup();
    t.hello('S1', 'netting');
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    t.deal({ deal: '11', position: '501', symbol: 'EURUSD', side: 'sell', entry: 'in', volume: 0.4, price: 1.1, position_volume: 0.4, position_side: 'sell' });
    expect(t.commands('S1', 'open')).toHaveLength(1);
    expect(t.log.lines.some((l) => /REFUSE open M1#501 .* -> S1: S1 is a netting account and already holds a buy copy of M1#500 on EURUSD.c/.test(l.message))).toBe(true);
    // The hedging slave S2 takes both.
    expect(t.commands('S2', 'open')).toHaveLength(2);
  });

  it('counts terminals online and commands in flight cheaply, for callers that poll', () => {
    const t = setup();
    expect(t.engine.load()).toEqual({ terminalsOnline: 4, commandsInFlight: 0 });
    t.deal({ deal: '10', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, position_side: 'buy' });
    t.advance(3500);
    t.engine.tick();
    expect(t.engine.load()).toEqual({ terminalsOnline: 0, commandsInFlight: 2 });
    expect(t.engine.status().pending).toHaveLength(2);
  });

  it('after a hub restart, welcomes a terminal that never said hello, once a second until it answers', () => {
    const t = setup({ handshake: false });
    const before = t.commands('M1', 'welcome').length;
    t.msg('M1', { type: 'heartbeat', balance: 1, equity: 1, margin: 0 });
    t.msg('M1', { type: 'heartbeat', balance: 1, equity: 1, margin: 0 });
    expect(t.commands('M1', 'welcome').length).toBe(before + 1);
    t.advance(1000);
    t.msg('M1', { type: 'heartbeat', balance: 1, equity: 1, margin: 0 });
    expect(t.commands('M1', 'welcome').length).toBe(before + 2);
    t.msg('M1', { type: 'symbols', replace: true, symbols: [] });
    t.advance(1000);
    t.msg('M1', { type: 'heartbeat', balance: 1, equity: 1, margin: 0 });
    expect(t.commands('M1', 'welcome').length).toBe(before + 2);
  });

  it('ignores a message sent before (a replay by sequence number or session), and starts a new session at a restarted terminal\'s hello', () => {
    const t = setup();
    const raw = (account: string, seq: number, ts: number, body: Record<string, unknown>) => t.engine.handle({ v: 1, account, seq, ts, ...body } as TerminalMessage, t.now);
    t.deal({ deal: '1', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1 });
    const open = t.commands('S1', 'open')[0];
    t.result('S1', open, { status: 'done', ticket: '9001', position: '9001', volume: 1, price: 1.1 });
    expect(openCopies(t.engine, 'S1')).toHaveLength(1);
    // The slave's old close deal, replayed with its original sequence number: nothing changes.
    raw('S1', 1, t.now, { type: 'deal', deal: '77', order: '1', position: '9001', symbol: 'EURUSD.c', side: 'sell', entry: 'out', volume: 1, price: 1.1, position_volume: 0, magic: 20250, comment: '', reason: 'sl', time_ms: t.now });
    expect(openCopies(t.engine, 'S1')).toHaveLength(1);
    expect(t.log.lines.some((l) => /^deal 1 of S1 was sent before \(replayed\): ignored$/.test(l.message))).toBe(true);
    // The EA restarts: its hello counts from 1 again, with a fresh time, and is answered.
    t.advance(1000);
    const welcomes = t.commands('S1', 'welcome').length;
    raw('S1', 1, t.now, { type: 'hello', login: 1, server: 'x', broker: 'b', currency: 'USD', margin_mode: 'hedging', ea_version: '1' });
    expect(t.commands('S1', 'welcome')).toHaveLength(welcomes + 1);
    // A message of the session before the restart, with a higher number but an older time: a replay.
    raw('S1', 500, t.now - 2000, { type: 'deal', deal: '78', order: '1', position: '9001', symbol: 'EURUSD.c', side: 'sell', entry: 'out', volume: 1, price: 1.1, position_volume: 0, magic: 20250, comment: '', reason: 'sl', time_ms: t.now });
    expect(openCopies(t.engine, 'S1')).toHaveLength(1);
    // The new session's own messages count.
    raw('S1', 2, t.now, { type: 'deal', deal: '79', order: '1', position: '9001', symbol: 'EURUSD.c', side: 'sell', entry: 'out', volume: 1, price: 1.1, position_volume: 0, magic: 20250, comment: '', reason: 'sl', time_ms: t.now });
    expect(openCopies(t.engine, 'S1')).toHaveLength(0);
  });

  it('does not let a replayed hello start the session again (an old snapshot of the master, replayed after it, would close every copy)', () => {
    const t = setup({ handshake: false });
    const raw = (account: string, seq: number, ts: number, body: Record<string, unknown>) => t.engine.handle({ v: 1, account, seq, ts, ...body } as TerminalMessage, t.now);
    const hello = { type: 'hello', login: 1, server: 'x', broker: 'b', currency: 'USD', margin_mode: 'hedging', ea_version: '1' };
    const t0 = t.now;
    raw('M1', 1, t0, hello);
    raw('M1', 2, t0, { type: 'symbols', replace: true, symbols: [fx('EURUSD')] });
    raw('M1', 3, t0 + 10, { type: 'snapshot', positions: [] });
    raw('S1', 1, t0, hello);
    raw('S1', 2, t0, { type: 'symbols', replace: true, symbols: [fx('EURUSD.c')] });
    raw('S1', 3, t0, { type: 'snapshot', positions: [] });
    t.advance(100);
    // The hub restarted meanwhile (in the EA's eyes): a second hello within the same session.
    raw('M1', 4, t.now, hello);
    t.advance(100);
    raw('M1', 5, t.now, { type: 'deal', deal: '1', order: '1', position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, position_volume: 1, magic: 0, comment: '', reason: 'client', time_ms: t.now, sl: 0, tp: 0 });
    const open = t.commands('S1', 'open')[0];
    raw('S1', 4, t.now, { type: 'result', cmd_id: open.cmd_id, retcode: 10009, message: 'done', status: 'done', ticket: '9001', position: '9001', volume: 1, price: 1.1 });
    expect(openCopies(t.engine, 'S1')).toHaveLength(1);
    t.advance(2000);
    const welcomes = t.commands('M1', 'welcome').length;
    for (const [seq, ts] of [[1, t0], [4, t0 + 100]]) {
      raw('M1', seq, ts, hello);
      raw('M1', 3, t0 + 10, { type: 'snapshot', positions: [] });
    }
    expect(t.commands('M1', 'welcome')).toHaveLength(welcomes);
    expect(t.commands('S1', 'close')).toHaveLength(0);
    expect(openCopies(t.engine, 'S1')).toHaveLength(1);
    // A real restart of the master's EA (counting from 1, later than anything before) is still a new session.
    raw('M1', 1, t.now, hello);
    expect(t.commands('M1', 'welcome')).toHaveLength(welcomes + 1);
  });
});
