/** Pending order copies through the engine: placed, followed, removed, fills linked or converted, reconciled from snapshots and ledger rows. */
import type { Account } from '../../../hub/accounts';
import { makeConfig } from '../../../hub/config';
import { Engine } from '../../../hub/engine';
import { copyComment } from '../../../hub/engine/tag';
import type { Trade, TradeUpdate } from '../../../hub/ledger/types';
import { memoryLogger } from '../../../hub/log';
import type { Body, HubMessage, PendingOrder, Position, TerminalMessage } from '../../../hub/protocol';
import { fx } from './harness';

const T0 = 1_700_000_000_000;
const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };
const S1: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c' };
const S2: Account = { name: 'S2', type: 'SLAVE', enabled: true, volume_mode: 'multiplier', volume_multiplier: 0.5 };

function start({ accounts = [M1, S1, S2], rows = [] as Trade[], s2 = 'hedging', m1Orders = [] as PendingOrder[] } = {}) {
  const clock = { now: T0 };
  const sent: { to: string; body: Body<HubMessage> }[] = [];
  const trades: TradeUpdate[] = [];
  const log = memoryLogger('debug');
  const config = makeConfig({ store: 'memory', commandTtlMs: 5000, resendMs: 500, heartbeatMs: 1000, reconcileMs: 1000 });
  const engine = new Engine({ config, send: (to, body) => sent.push({ to, body }), ledger: { trade: (u) => trades.push(u), event: () => undefined }, log, now: () => clock.now });
  engine.setAccounts(accounts);
  engine.restore(rows);
  let seq = 0;
  const msg = (account: string, body: Record<string, unknown>) => engine.handle({ v: 1, account, seq: ++seq, ts: clock.now, ...body } as TerminalMessage, clock.now);
  const connect = (name: string, margin_mode = 'hedging') => {
    msg(name, { type: 'hello', login: 1, server: 'x', broker: 'b', currency: 'USD', margin_mode, ea_version: '1' });
    msg(name, { type: 'symbols', replace: true, symbols: [name === 'S1' ? fx('EURUSD.c') : fx('EURUSD')] });
  };
  const w = {
    engine, clock, sent, trades, log, msg, connect,
    advance: (ms: number) => (clock.now += ms),
    order: (account: string, state: string, o: PendingOrder, extra: Record<string, unknown> = {}) => msg(account, { type: 'order', state, order: o, ...extra }),
    snapshot: (name: string, positions: Position[], orders?: PendingOrder[]) => msg(name, { type: 'snapshot', positions, ...(orders ? { orders } : {}) }),
    deal: (fields: Record<string, unknown>) =>
      msg('M1', { type: 'deal', deal: String(++seq), order: '1', symbol: 'EURUSD', price: 1.1, magic: 0, comment: '', reason: 'client', time_ms: clock.now, sl: 0, tp: 0, ...fields }),
    result: (account: string, cmd: Record<string, any>, fields: Record<string, unknown> = {}) =>
      msg(account, { type: 'result', cmd_id: cmd.cmd_id, retcode: 10009, message: 'done', status: 'done', ...fields }),
    commands: (to: string, type?: string) => sent.filter((s) => s.to === to && (!type || s.body.type === type)).map((s) => s.body as Record<string, any>),
    last: (to: string, type: string) => sent.filter((s) => s.to === to && s.body.type === type).map((s) => s.body as Record<string, any>).pop()!,
    lines: (re: RegExp) => log.lines.filter((l) => re.test(l.message)),
    copy: (slave: string, position = '700') => engine.status().copies.find((c) => c.slave === slave && c.masterPosition === position),
    lastTrade: (slave: string, position = '700') => trades.filter((u) => u.key.slave_name === slave && u.key.master_ticket === position).pop()?.set,
  };
  connect('M1');
  connect('S1');
  if (s2) connect('S2', s2);
  for (const n of ['M1', 'S1', 'S2']) w.snapshot(n, [], n === 'M1' ? m1Orders : []);
  return w;
}

const limit = (extra: Partial<PendingOrder> = {}): PendingOrder => ({
  ticket: '700', symbol: 'EURUSD', order_type: 'buy_limit', volume: 1, price: 1.09, sl: 1.08, tp: 1.11, expiration: 'gtc', magic: 0, comment: '', time_ms: T0, ...extra,
});
/** The master's fill of order 700: its position identifier is the order's ticket. */
const fill = (w: ReturnType<typeof start>, volume = 1) => w.deal({ position: '700', order: '700', side: 'buy', entry: 'in', volume, position_volume: volume, position_side: 'buy', price: 1.09 });

/** M1 placed order 700 and S1 placed its copy as order 9700. */
function placed(accounts?: Account[]) {
  const w = start({ accounts });
  w.order('M1', 'placed', limit());
  w.result('S1', w.last('S1', 'place'), { ticket: '9700', volume: 1 });
  return w;
}

describe('pending order copies', () => {
  it('places a copy on each follower: translated symbol, sized volume, price, SL/TP and expiry; one line and a placed ledger row each', () => {
    const w = start();
    w.order('M1', 'placed', limit({ expiration: 'specified', expiration_ms: T0 + 3_600_000 }));
    expect(w.last('S1', 'place')).toMatchObject({ master: 'M1', master_position: '700', symbol: 'EURUSD.c', order_type: 'buy_limit', volume: 1, price: 1.09, sl: 1.08, tp: 1.11, expiration: 'specified', expiration_ms: T0 + 3_600_000, magic: 20250, comment: copyComment('M1', '700') });
    expect(w.last('S2', 'place')).toMatchObject({ symbol: 'EURUSD', volume: 0.5 });
    expect(w.lines(/^PLACE place M1#700 buy limit 1 EURUSD @ 1.09 -> S1: buy limit @ 1.09 specified .*, EURUSD.c 1 lots/)).toHaveLength(1);
    expect(w.lastTrade('S1')).toMatchObject({ status: 'placed', order_type: 'buy_limit', order_price: 1.09, volume: 1, master_volume: 1 });
    w.result('S1', w.last('S1', 'place'), { ticket: '9700', volume: 1 });
    expect(w.copy('S1')).toMatchObject({ status: 'placed', ticket: '9700' });
    expect(w.lastTrade('S1')).toMatchObject({ status: 'placed', slave_ticket: '9700' });
  });

  it('moves the price by pending_offset_points away from the market, and a reverse copy swaps limit and stop', () => {
    const w = start({ accounts: [M1, { ...S1, pending_offset_points: 20 }, { ...S2, reverse: true }] });
    w.order('M1', 'placed', limit());
    expect(w.last('S1', 'place')).toMatchObject({ order_type: 'buy_limit', price: 1.0898 });
    // The master buys when the price falls to 1.09: the reverse copy sells there, TP and SL swapped.
    expect(w.last('S2', 'place')).toMatchObject({ order_type: 'sell_stop', price: 1.09, sl: 1.11, tp: 1.08 });
    w.order('M1', 'placed', limit({ ticket: '701', order_type: 'buy_stop_limit', price: 1.1, stoplimit: 1.095, sl: 0, tp: 0 }));
    expect(w.last('S1', 'place')).toMatchObject({ order_type: 'buy_stop_limit', price: 1.1002, stoplimit: 1.0952 });
    expect(w.lines(/^REFUSE place M1#701 buy stop limit 1 EURUSD @ 1.1 -> S2: a buy stop limit order has no reverse copy .*; its fill, if it comes, is decided as a market copy$/)).toHaveLength(1);
  });

  it('refuses a pending copy on a netting slave, and filters as for positions', () => {
    const w = start({ accounts: [M1, { ...S1, direction: 'sell' }, S2], s2: 'netting' });
    w.order('M1', 'placed', limit());
    expect(w.commands('S1', 'place')).toHaveLength(0);
    expect(w.commands('S2', 'place')).toHaveLength(0);
    expect(w.lines(/^FILTER place M1#700 .* -> S1: filtered: /)).toHaveLength(1);
    expect(w.lines(/^REFUSE place M1#700 .* -> S2: S2 is a netting account: pending copies are placed on hedging accounts only/)).toHaveLength(1);
  });

  it('waits for a slave\'s first snapshot, and refuses a slave whose EA does not list pending orders', () => {
    const w = start({ accounts: [M1, S1, S2], s2: '' });
    w.connect('S2');
    w.order('M1', 'placed', limit());
    expect(w.lines(/^WAIT place M1#700 .* -> S2: S2 has not sent its snapshot since its welcome; placed once it has$/)).toHaveLength(1);
    w.snapshot('S2', []);
    w.engine.tick(w.clock.now + 2000);
    expect(w.commands('S2', 'place')).toHaveLength(0);
    w.order('M1', 'placed', limit({ ticket: '701' }));
    expect(w.lines(/^REFUSE place M1#701 .* -> S2: S2's EA does not report pending orders \(an older version\); update it to copy them/)).toHaveLength(1);
    expect(new Set(w.commands('S1', 'place').map((c) => c.master_position))).toEqual(new Set(['700', '701']));
  });

  it('removes a placed copy its slave\'s protection no longer admits; the master\'s fill is then decided at market', () => {
    const w = placed([M1, { ...S1, protection: { max_positions: 1 } }]);
    w.advance(1000);
    // A position of the slave's own (not a copy) reaches the limit of one.
    w.snapshot('S1', [{ ticket: '5', position: '5', symbol: 'EURUSD.c', side: 'buy', volume: 1, price_open: 1.1, sl: 0, tp: 0, magic: 0, comment: '', time_ms: T0 }], [
      limit({ ticket: '9700', symbol: 'EURUSD.c', magic: 20250, comment: copyComment('M1', '700') }),
    ]);
    expect(w.last('S1', 'remove')).toMatchObject({ ticket: '9700' });
    expect(w.lines(/^REMOVE protection: max positions: 1 open, the limit is 1: S1 removes order 9700 \(copy of M1 order 700\); the master's fill, if it comes, is decided at market$/)).toHaveLength(1);
    w.result('S1', w.last('S1', 'remove'));
    expect(w.lastTrade('S1')).toMatchObject({ status: 'canceled', reason: 'removed: protection: max positions: 1 open, the limit is 1' });
    fill(w);
    expect(w.commands('S1', 'open')).toHaveLength(0);
    expect(w.lines(/^REFUSE open M1#700 .* -> S1: protection: max positions/)).toHaveLength(1);
  });

  it('mirrors a modification and a removal', () => {
    const w = placed([M1, S1]);
    w.order('M1', 'modified', limit({ price: 1.085, tp: 1.12 }));
    expect(w.last('S1', 'modify_order')).toMatchObject({ ticket: '9700', symbol: 'EURUSD.c', price: 1.085, sl: 1.08, tp: 1.12, expiration: 'gtc' });
    w.result('S1', w.last('S1', 'modify_order'));
    w.order('M1', 'modified', limit({ price: 1.085, tp: 1.12 }));
    expect(w.commands('S1', 'modify_order')).toHaveLength(1);
    w.order('M1', 'removed', limit(), { reason: 'canceled' });
    expect(w.last('S1', 'remove')).toMatchObject({ ticket: '9700' });
    expect(w.lines(/^REMOVE master M1 order 700 canceled unfilled: S1 removes order 9700$/)).toHaveLength(1);
    w.result('S1', w.last('S1', 'remove'));
    expect(w.copy('S1')).toMatchObject({ status: 'canceled' });
    expect(w.lastTrade('S1')).toMatchObject({ status: 'canceled', reason: 'master order removed unfilled' });
    // Settled and its master order ended: forgotten at the next reconciliation.
    w.engine.tick(w.clock.now + 2000);
    expect(w.copy('S1')).toBeUndefined();
  });

  it('removes a copy whose placement was in flight when the master removed its order, once placed', () => {
    const w = start({ accounts: [M1, S1] });
    w.order('M1', 'placed', limit());
    w.order('M1', 'removed', limit(), { reason: 'expired' });
    expect(w.commands('S1', 'remove')).toHaveLength(0);
    w.result('S1', w.last('S1', 'place'), { ticket: '9700', volume: 1 });
    expect(w.last('S1', 'remove')).toMatchObject({ ticket: '9700' });
  });

  it('master filled first: removes the slave order, then opens at market through the plan', () => {
    const w = placed([M1, S1]);
    fill(w);
    expect(w.commands('S1', 'open')).toHaveLength(0);
    expect(w.last('S1', 'remove')).toMatchObject({ ticket: '9700' });
    expect(w.lines(/^CONVERT master M1 order 700 filled, S1 order 9700 still pending: removes it, then opens at market$/)).toHaveLength(1);
    w.result('S1', w.last('S1', 'remove'));
    expect(w.last('S1', 'open')).toMatchObject({ master_position: '700', symbol: 'EURUSD.c', side: 'buy', volume: 1, comment: copyComment('M1', '700') });
    w.result('S1', w.last('S1', 'open'), { ticket: '9800', position: '9800', volume: 1, price: 1.0901 });
    expect(w.copy('S1')).toMatchObject({ status: 'open', ticket: '9800' });
  });

  it('master filled first, but the slave order filled before it could be removed: the fill is linked, nothing is opened twice', () => {
    const w = placed([M1, S1]);
    fill(w);
    w.result('S1', w.last('S1', 'remove'), { status: 'refused', retcode: 0, message: 'order 9700 not found (filled or removed?)' });
    w.order('S1', 'filled', limit({ ticket: '9700', symbol: 'EURUSD.c' }), { position: '9700' });
    expect(w.copy('S1')).toMatchObject({ status: 'open', ticket: '9700', volume: 1 });
    expect(w.commands('S1', 'open')).toHaveLength(0);
    expect(w.lines(/^LINK S1 order 9700 \(copy of M1 order 700\) filled: follows master position #700$/)).toHaveLength(1);
  });

  it('slave filled first: kept as the copy, linked when the master fills, then follows its partial close', () => {
    const w = placed([M1, S1]);
    w.order('S1', 'filled', limit({ ticket: '9700', symbol: 'EURUSD.c' }), { position: '9700' });
    expect(w.lines(/^LINK S1 order 9700 \(copy of M1 order 700\) filled before the master's: kept as its copy/)).toHaveLength(1);
    expect(w.lastTrade('S1')).toMatchObject({ status: 'open', slave_ticket: '9700' });
    // A master snapshot without the position must not close it while the master's order waits.
    w.advance(1000);
    w.snapshot('M1', [], [limit()]);
    w.engine.tick(w.clock.now);
    expect(w.commands('S1', 'close')).toHaveLength(0);
    fill(w);
    expect(w.commands('S1', 'open')).toHaveLength(0);
    expect(w.commands('S1', 'remove')).toHaveLength(0);
    expect(w.lines(/^LINK master M1 order 700 filled: S1 ticket 9700 \(its copy, filled first\) now follows position #700$/)).toHaveLength(1);
    w.deal({ position: '700', side: 'sell', entry: 'out', volume: 0.4, position_volume: 0.6, position_side: 'buy' });
    expect(w.last('S1', 'close')).toMatchObject({ ticket: '9700', volume: 0.4 });
  });

  describe('a copy order adopted before its master order was known (hub data lost), x0.5', () => {
    /** S2's order 9700 (0.5 lots) copies M1's order 700 (1 lot); the hub has no ledger row and M1's snapshot has not listed the order yet. */
    function adopted() {
      const w = start({ accounts: [M1, S2] });
      w.advance(1000);
      w.snapshot('S2', [], [limit({ ticket: '9700', volume: 0.5, magic: 20250, comment: copyComment('M1', '700') })]);
      expect(w.lines(/^ADOPT reconcile: found S2 order 9700/)).toHaveLength(1);
      return w;
    }
    /** Both orders fill; the hub's remove (converting to market) finds the slave order gone. */
    function bothFill(w: ReturnType<typeof start>) {
      fill(w);
      w.order('S2', 'filled', limit({ ticket: '9700', volume: 0.5 }), { position: '9700' });
      const remove = w.last('S2', 'remove');
      if (remove) w.result('S2', remove, { status: 'refused', retcode: 0, message: 'order 9700 not found (filled or removed?)' });
    }

    it('learns its ratio from the master order once listed: the fill adds nothing', () => {
      const w = adopted();
      w.advance(1000);
      w.snapshot('M1', [], [limit()]);
      w.engine.tick(w.clock.now);
      bothFill(w);
      expect(w.copy('S2')).toMatchObject({ status: 'open', ticket: '9700', volume: 0.5 });
      expect(w.commands('S2', 'open')).toHaveLength(0);
      expect(w.lines(/master added while the copy was opening/)).toHaveLength(0);
    });

    it('filled before the master order was ever listed: the fill adds nothing either', () => {
      const w = adopted();
      bothFill(w);
      expect(w.copy('S2')).toMatchObject({ status: 'open', ticket: '9700', volume: 0.5 });
      expect(w.commands('S2', 'open')).toHaveLength(0);
    });
  });

  it('slave filled first and the master order is removed unfilled: the slave position is closed', () => {
    const w = placed([M1, S1]);
    w.order('S1', 'filled', limit({ ticket: '9700', symbol: 'EURUSD.c' }), { position: '9700' });
    w.order('M1', 'removed', limit(), { reason: 'canceled' });
    expect(w.last('S1', 'close')).toMatchObject({ ticket: '9700', volume: 1 });
    expect(w.lines(/^CLOSE master M1 order 700 canceled unfilled: S1 ticket 9700 had filled first; closes it$/)).toHaveLength(1);
  });

  it('a slave order removed on the slave is not placed again', () => {
    const w = placed([M1, S1]);
    w.order('S1', 'removed', limit({ ticket: '9700', symbol: 'EURUSD.c' }), { reason: 'canceled' });
    expect(w.copy('S1')).toMatchObject({ status: 'canceled' });
    w.advance(2000);
    w.snapshot('S1', [], []);
    w.engine.tick(w.clock.now);
    expect(w.commands('S1', 'place')).toHaveLength(1);
  });

  it('reconciles from snapshots: places a missing copy late, removes a slave order without its master order', () => {
    const w = start({ accounts: [M1, S1] });
    w.advance(1000);
    // The master's order arrives by snapshot only (its report was lost).
    w.snapshot('M1', [], [limit()]);
    expect(w.last('S1', 'place')).toMatchObject({ master_position: '700', price: 1.09 });
    expect(w.lines(/^PLACE late place M1#700/)).toHaveLength(1);
    w.result('S1', w.last('S1', 'place'), { ticket: '9700', volume: 1 });
    // An order of a master order the master no longer has: adopted, then removed.
    const stray = limit({ ticket: '9701', symbol: 'EURUSD.c', magic: 20250, comment: copyComment('M1', '650') });
    w.advance(1000);
    w.snapshot('S1', [], [limit({ ticket: '9700', symbol: 'EURUSD.c', magic: 20250, comment: copyComment('M1', '700') }), stray]);
    expect(w.lines(/^ADOPT reconcile: found S1 order 9701/)).toHaveLength(1);
    // Removed once a master snapshot newer than the slave's says the master has no such order.
    expect(w.commands('S1', 'remove')).toHaveLength(0);
    w.advance(1000);
    w.snapshot('M1', [], [limit()]);
    expect(w.last('S1', 'remove')).toMatchObject({ ticket: '9701', master_position: '650' });
    expect(w.commands('S1', 'remove')).toHaveLength(1);
    // The master's order gone from its snapshot, unfilled: the copy is removed.
    w.advance(1000);
    w.snapshot('M1', [], []);
    expect(w.last('S1', 'remove')).toMatchObject({ ticket: '9700' });
  });

  it('after a restart, a copy that filled before its master order is kept while the master snapshot lists the order', () => {
    const row: Trade = {
      master_name: 'M1', master_ticket: '700', slave_name: 'S1', slave_ticket: '9700', symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'BUY', status: 'open',
      master_volume: 1, volume: 1, remaining_volume: 1, order_type: 'buy_limit', order_price: 1.09, updated_at: '2023-11-14T22:13:20.000Z',
    };
    const w = start({ accounts: [M1, S1], rows: [row], m1Orders: [limit()] });
    w.advance(1000);
    w.snapshot('S1', [{ ticket: '9700', position: '9700', symbol: 'EURUSD.c', side: 'buy', volume: 1, price_open: 1.09, sl: 0, tp: 0, magic: 20250, comment: copyComment('M1', '700'), time_ms: T0 }], []);
    w.snapshot('M1', [], [limit()]);
    w.engine.tick(w.clock.now + 2000);
    expect(w.commands('S1', 'close')).toHaveLength(0);
    // Its master order gone from a later snapshot, unfilled: the copy closes.
    w.advance(3000);
    w.snapshot('M1', [], []);
    expect(w.last('S1', 'close')).toMatchObject({ ticket: '9700' });
  });

  it('after a restart, a placed ledger row keeps the link: the slave fill then follows the master', () => {
    const row: Trade = {
      master_name: 'M1', master_ticket: '700', slave_name: 'S1', slave_ticket: '9700', symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'BUY', status: 'placed',
      master_volume: 1, volume: 1, order_type: 'buy_limit', order_price: 1.09, updated_at: '2023-11-14T22:13:20.000Z',
    };
    const w = start({ accounts: [M1, S1], rows: [row] });
    w.advance(1000);
    w.snapshot('M1', [], [limit()]);
    w.snapshot('S1', [], [limit({ ticket: '9700', symbol: 'EURUSD.c', magic: 20250, comment: copyComment('M1', '700') })]);
    expect(w.commands('S1', 'place')).toHaveLength(0);
    expect(w.commands('S1', 'remove')).toHaveLength(0);
    fill(w);
    expect(w.last('S1', 'remove')).toMatchObject({ ticket: '9700' });
  });

  it('after a restart, a placement whose result was lost (a placed row without a ticket) is recorded canceled and decided afresh once its commands have expired (chaos seed 8000)', () => {
    const row: Trade = {
      master_name: 'M1', master_ticket: '700', slave_name: 'S1', symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'BUY', status: 'placed',
      master_volume: 1, volume: 1, order_type: 'buy_limit', order_price: 1.09, updated_at: '2023-11-14T22:13:20.000Z',
    };
    const w = start({ accounts: [M1, S1], rows: [row], m1Orders: [limit()] });
    // Within the dead process's command life the slave could still place it: nothing decided.
    w.advance(1000);
    w.snapshot('S1', [], []);
    expect(w.copy('S1')).toMatchObject({ status: 'placed' });
    w.advance(5000);
    w.snapshot('S1', [], []);
    expect(w.lines(/^CANCEL reconcile: S1 holds no order copying M1 order 700: its placement was lost with an earlier hub process; decided afresh$/)).toHaveLength(1);
    expect(w.trades.filter((u) => u.key.slave_name === 'S1' && u.set.status === 'canceled').pop()?.set).toMatchObject({ reason: 'never placed on the slave (its place command was lost with a hub restart)' });
    // The master order is still pending: placed late, once (re-sends keep the command's id).
    w.engine.tick(w.clock.now + 1000);
    const places = w.commands('S1', 'place');
    expect(places[0]).toMatchObject({ master_position: '700', volume: 1 });
    expect(new Set(places.map((p) => p.cmd_id)).size).toBe(1);
    expect(w.copy('S1')).toMatchObject({ status: 'placed' });
  });
});
