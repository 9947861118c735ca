/**
 * Pending orders end to end with the EA's own code: the real hub, the real bridge and two
 * terminals (the EA compiled with the MQL5 stand-in over a fake broker). A user places, changes
 * and removes pending orders in the master; the slave's EA lists its orders in its snapshots, so
 * the hub copies them as pending orders (docs/pending.md), and executes place, modify_order and
 * remove.
 */
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

  test('a removed master order removes its copy', async () => {
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
