/**
 * Pending orders end to end with the EA's own code: the real hub, the real bridge and two
 * terminals (the EA compiled with the MQL5 stand-in over a fake broker). A user places, changes
 * and removes pending orders in the master; the slave's EA lists its orders in its snapshots, so
 * the hub copies them as pending orders (docs/pending.md), and executes place, modify_order and
 * remove.
 */
import { masterTag } from '../../hub/engine/tag';
import { until } from '../helpers';
import { FakeHub } from '../helpers/fake-hub';
import { buildTerminal, startTestHub, Terminal, type Hub } from './terminal';

jest.setTimeout(60_000);

type TerminalOrder = { ticket: string; symbol: string; type: string; volume: number; price: number; stoplimit: number; sl: number; tp: number; magic: number; comment: string };

const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;

beforeAll(() => {
  buildTerminal();
}, 300_000);

describe('master M1 pending orders -> slave S1 (suffix .c)', () => {
  let hub: Hub;
  let m1: Terminal, s1: Terminal;

  const orders = async (t: Terminal) => (await t.ok('orders')).orders as TerminalOrder[];
  const waitOrders = (t: Terminal, what: string, pred: (os: TerminalOrder[]) => boolean) =>
    t.waitFor(what, async () => {
      const os = await orders(t);
      return pred(os) ? os : undefined;
    });
  async function quote(bid: number, ask: number) {
    await m1.ok(`quote EURUSD ${bid} ${ask}`);
    await s1.ok(`quote EURUSD.c ${bid} ${ask}`);
  }

  beforeAll(async () => {
    hub = await startTestHub([
      { name: 'M1', type: 'MASTER', enabled: true },
      { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', volume_mode: 'same' },
    ]);
    const ep = { pullEndpoint: hub.pullEndpoint, pubEndpoint: hub.pubEndpoint };
    [m1, s1] = await Promise.all([
      Terminal.start({ ...ep, account: 'M1', login: 5001, tickets: 10000 }),
      Terminal.start({ ...ep, account: 'S1', login: 7001, tickets: 70000, suffix: '.c' }),
    ]);
    for (const t of [m1, s1]) await t.waitLog(/welcome from hub/);
    await quote(1.1, 1.1001);
  });

  afterAll(async () => {
    await Promise.all([m1, s1].map((t) => t?.stop()));
    await hub?.stop();
  });

  test('a buy limit is copied as a pending order, modified, filled as the price crosses and closed with the master', async () => {
    const placed = await m1.ok('place buy_limit EURUSD 0.3 1.095 1.09 1.11');
    const master = placed.order as string;
    const [copy] = await waitOrders(s1, 'the copied buy limit', (os) => os.length === 1);
    expect(copy).toMatchObject({ symbol: 'EURUSD.c', type: 'buy_limit', volume: 0.3, sl: 1.09, tp: 1.11, magic: 20250 });
    expect(near(copy.price, 1.095)).toBe(true);
    expect(copy.comment).toMatch(new RegExp(`^CB:[0-9a-f]+:${master}$`));
    // the EA reported its placement, and the master's EA the master's
    await m1.waitLog(new RegExp(`order #${master} buy_limit EURUSD placed`));
    await s1.waitLog(new RegExp(`order #${copy.ticket} buy_limit EURUSD.c placed`));

    await m1.ok(`modorder ${master} 1.096 1.091 1.112`);
    await waitOrders(s1, 'the copy modified', (os) => os.length === 1 && near(os[0].price, 1.096) && near(os[0].sl, 1.091) && near(os[0].tp, 1.112));
    await s1.waitLog(new RegExp(`order #${copy.ticket} buy_limit EURUSD.c modified`));

    // the price falls to the order at both brokers: both fill, the copy is the slave order's position
    await quote(1.0958, 1.0959);
    const [pos] = await s1.waitPositions('the copy filled', (ps) => ps.length === 1);
    expect(pos).toMatchObject({ position: copy.ticket, side: 'buy', volume: 0.3 });
    expect(await orders(s1)).toHaveLength(0);
    await s1.waitLog(new RegExp(`order #${copy.ticket} buy_limit EURUSD.c filled \\(position ${copy.ticket}\\)`));
    const [mpos] = await m1.positions();
    expect(mpos.position).toBe(master);
    // the hub keeps the filled copy linked: it is not opened a second time at market
    await new Promise((r) => setTimeout(r, 800));
    expect(await s1.positions()).toHaveLength(1);

    await m1.ok(`close ${mpos.ticket}`);
    await s1.waitPositions('the copy closed with the master', (ps) => ps.length === 0);
  });

  test('a copy that fills before the master order is kept as its copy and follows the master', async () => {
    await quote(1.1, 1.1001);
    const master = (await m1.ok('place buy_limit EURUSD 0.1 1.097')).order as string;
    const [copy] = await waitOrders(s1, 'the copied buy limit', (os) => os.length === 1);
    // the slave's broker reaches the price first
    await s1.ok('quote EURUSD.c 1.0969 1.097');
    const [pos] = await s1.waitPositions('the copy filled first', (ps) => ps.length === 1);
    expect(pos.position).toBe(copy.ticket);
    await new Promise((r) => setTimeout(r, 800));
    expect(await s1.positions()).toHaveLength(1); // not closed while the master order waits
    await m1.ok('quote EURUSD 1.0969 1.097');
    const [mpos] = await m1.waitPositions('the master filled', (ps) => ps.length === 1);
    expect(mpos.position).toBe(master);
    await new Promise((r) => setTimeout(r, 800));
    expect(await s1.positions()).toHaveLength(1); // linked: no second copy at market
    await m1.ok(`close ${mpos.ticket}`);
    await s1.waitPositions('the copy closed with the master', (ps) => ps.length === 0);
  });

  test('a removed master order removes its copy', async () => {
    await quote(1.1, 1.1001);
    const placed = await m1.ok('place sell_limit EURUSD 0.2 1.1050');
    const master = placed.order as string;
    const [copy] = await waitOrders(s1, 'the copied sell limit', (os) => os.length === 1);
    expect(copy).toMatchObject({ symbol: 'EURUSD.c', type: 'sell_limit', volume: 0.2 });
    await m1.ok(`remove ${master}`);
    await waitOrders(s1, 'the copy removed', (os) => os.length === 0);
    await s1.waitLog(new RegExp(`order #${copy.ticket} sell_limit EURUSD.c removed \\(reason canceled\\)`));
    expect(await s1.positions()).toHaveLength(0);
  });
});

describe('the EA against the fake hub: its order messages and results are valid protocol', () => {
  let fake: FakeHub;
  let t: Terminal;
  const cmd = (type: string, over: Record<string, unknown>) => ({ type, cmd_id: `p-${Math.random().toString(36).slice(2)}`, expires_ms: Date.now() + 10_000, master: 'M1', ...over });
  async function send(c: Record<string, unknown>) {
    await fake.send('P1', c);
    return fake.waitFor('P1', 'result', (x) => x.cmd_id === c.cmd_id);
  }

  beforeAll(async () => {
    fake = await FakeHub.start();
    t = await Terminal.start({ pullEndpoint: fake.pullEndpoint, pubEndpoint: fake.pubEndpoint, account: 'P1', tickets: 40000 });
    await fake.waitFor('P1', 'hello');
    await until(async () => {
      if (fake.of('P1', 'snapshot').length) return true;
      await fake.welcome('P1', 'slave');
      return false;
    }, { timeoutMs: 5000, everyMs: 100, what: 'P1 to answer the welcome', detail: () => t.tail() });
  });

  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
  });

  afterEach(() => {
    expect(fake.invalid).toEqual([]);
  });

  test('snapshots list the orders (empty at first: the capability), place/modify_order/remove answer results, order messages follow', async () => {
    expect(fake.of('P1', 'snapshot')[0].orders).toEqual([]);
    const comment = `CB:${masterTag('M1')}:6001`;
    const place = cmd('place', { master_position: '6001', symbol: 'EURUSD', order_type: 'sell_stop_limit', volume: 0.4, price: 1.095, stoplimit: 1.0955, sl: 1.1, tp: 1.09, expiration: 'gtc', magic: 20250, comment });
    const r = await send(place);
    expect(r).toMatchObject({ status: 'done', retcode: 10009, ticket: '40001', volume: 0.4, price: 1.095 });
    const placed = await fake.waitFor('P1', 'order', (m) => m.state === 'placed');
    expect(placed.order).toMatchObject({ ticket: '40001', symbol: 'EURUSD', order_type: 'sell_stop_limit', volume: 0.4, price: 1.095, stoplimit: 1.0955, sl: 1.1, tp: 1.09, expiration: 'gtc', magic: 20250, comment });
    // the journal names the master order in the snapshot
    await fake.send('P1', { type: 'snapshot_request' });
    const snap = await fake.waitFor('P1', 'snapshot', (s) => (s.orders?.length ?? 0) === 1);
    expect(snap.orders?.[0]).toMatchObject({ ticket: '40001', master: 'M1', master_position: '6001' });

    // the same master order again (new cmd_id): duplicate naming the order
    expect(await send({ ...place, cmd_id: 'p-again' })).toMatchObject({ status: 'duplicate', ticket: '40001' });
    expect((await t.ok('orders')).orders).toHaveLength(1);

    const expires = Date.now() + 3_600_000;
    const modify = cmd('modify_order', { master_position: '6001', ticket: '40001', symbol: 'EURUSD', price: 1.094, stoplimit: 1.0945, sl: 1.099, tp: 1.089, expiration: 'specified', expiration_ms: expires });
    expect(await send(modify)).toMatchObject({ status: 'done', retcode: 10009, ticket: '40001' });
    const modified = await fake.waitFor('P1', 'order', (m) => m.state === 'modified');
    expect(modified.order).toMatchObject({ price: 1.094, stoplimit: 1.0945, sl: 1.099, tp: 1.089, expiration: 'specified' });
    expect(Math.abs((modified.order.expiration_ms ?? 0) - expires)).toBeLessThan(1000); // seconds on the server
    // setting what is set is done (idempotent)
    expect(await send({ ...modify, cmd_id: 'p-same' })).toMatchObject({ status: 'done' });

    expect(await send(cmd('remove', { master_position: '6001', ticket: '40001', symbol: 'EURUSD' }))).toMatchObject({ status: 'done', retcode: 10009 });
    expect(await fake.waitFor('P1', 'order', (m) => m.state === 'removed')).toMatchObject({ reason: 'canceled', order: { ticket: '40001', price: 1.094 } });
    expect((await t.ok('orders')).orders).toHaveLength(0);
    // what is gone is refused, not an error
    expect(await send(cmd('remove', { master_position: '6001', ticket: '40001', symbol: 'EURUSD' }))).toMatchObject({ status: 'refused', message: expect.stringMatching(/not found/) });
    expect(await send({ ...modify, cmd_id: 'p-gone' })).toMatchObject({ status: 'refused' });
  });

  test('after a terminal restart the snapshot still names the master order of a pending copy (journal)', async () => {
    const comment = `CB:${masterTag('M1')}:6004`;
    const r = await send(cmd('place', { master_position: '6004', symbol: 'EURUSD', order_type: 'buy_limit', volume: 0.1, price: 1.09, sl: 0, tp: 0, expiration: 'gtc', magic: 20250, comment }));
    expect(r.status).toBe('done');
    const hellos = fake.of('P1', 'hello').length;
    await t.restart();
    await fake.waitFor('P1', 'hello', () => fake.of('P1', 'hello').length > hellos);
    const snaps = fake.of('P1', 'snapshot').length;
    await until(async () => {
      if (fake.of('P1', 'snapshot').length > snaps) return true;
      await fake.welcome('P1', 'slave');
      return false;
    }, { timeoutMs: 5000, everyMs: 100, what: 'P1 to answer the welcome after its restart', detail: () => t.tail() });
    const snap = fake.of('P1', 'snapshot').slice(snaps).find((s) => (s.orders?.length ?? 0) === 1);
    expect(snap?.orders?.[0]).toMatchObject({ ticket: r.ticket, order_type: 'buy_limit', comment, master: 'M1', master_position: '6004' });
    // the same master order again: the journal (and the order's comment) make it a duplicate
    expect(await send(cmd('place', { master_position: '6004', symbol: 'EURUSD', order_type: 'buy_limit', volume: 0.1, price: 1.09, sl: 0, tp: 0, expiration: 'gtc', magic: 20250, comment }))).toMatchObject({ status: 'duplicate', ticket: r.ticket });
    expect(await send(cmd('remove', { master_position: '6004', ticket: r.ticket, symbol: 'EURUSD' }))).toMatchObject({ status: 'done' });
  });

  test('a bad place is refused or rejected with the reason', async () => {
    const base = { master_position: '6002', symbol: 'EURUSD', volume: 0.1, sl: 0, tp: 0, expiration: 'gtc', magic: 20250, comment: `CB:${masterTag('M1')}:6002` };
    expect(await send(cmd('place', { ...base, order_type: 'buy_trailing', price: 1.09 }))).toMatchObject({ status: 'refused', message: expect.stringMatching(/unknown order_type/) });
    // a buy limit above the market is an invalid price at the broker
    expect(await send(cmd('place', { ...base, order_type: 'buy_limit', price: 1.2 }))).toMatchObject({ status: 'rejected', retcode: 10015 });
    expect(await send(cmd('place', { ...base, order_type: 'buy_limit', price: 1.09, expiration: 'specified' }))).toMatchObject({ status: 'refused', message: expect.stringMatching(/without expiration_ms/) });
    expect((await t.ok('orders')).orders).toHaveLength(0);
  });

  test('a filled order is reported with the position it opened', async () => {
    const comment = `CB:${masterTag('M1')}:6003`;
    const place = cmd('place', { master_position: '6003', symbol: 'EURUSD', order_type: 'buy_stop', volume: 0.2, price: 1.1005, sl: 0, tp: 0, expiration: 'gtc', magic: 20250, comment });
    const r = await send(place);
    expect(r.status).toBe('done');
    await t.ok('quote EURUSD 1.1005 1.1006');
    const filled = await fake.waitFor('P1', 'order', (m) => m.state === 'filled');
    expect(filled).toMatchObject({ position: r.ticket, order: { ticket: r.ticket, order_type: 'buy_stop', volume: 0.2, master: 'M1', master_position: '6003' } });
    const [p] = await t.positions();
    expect(p).toMatchObject({ position: r.ticket, side: 'buy', volume: 0.2, comment });
    await fake.send('P1', { type: 'snapshot_request' });
    const snap = await fake.waitFor('P1', 'snapshot', (s) => s.positions.length === 1);
    expect(snap.orders).toEqual([]);
    expect(snap.positions[0]).toMatchObject({ master: 'M1', master_position: '6003' });
  });
});
