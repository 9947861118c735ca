/**
 * Pending order copies with the real hub on loopback ZeroMQ and simulated terminals whose brokers
 * fill pending orders when the price crosses: placement (symbol translated, volume sized, offset),
 * modification, removal, fills in either order, reverse copy, and a hub restart in between.
 */
import type { RunningHub } from '../../hub';
import type { Account } from '../../hub/accounts';
import { MAPPED_PRESET, MASTER_PRESET, SUFFIX_PRESET, SimTerminal, brokerFromPreset, type BrokerPreset } from '../../sim';
import { freePorts, tempDir } from '../helpers';
import { knownToHub, logLine, startSimHub, startSimTerminal, type HubLog } from '../helpers/sim-hub';

jest.setTimeout(30_000);

let hub: RunningHub | undefined;
let log: HubLog;
const terminals: SimTerminal[] = [];
const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((t) => t.stop()));
  await hub?.stop();
  hub = undefined;
});

async function start(accounts: Account[], config: Record<string, unknown> = {}): Promise<RunningHub> {
  ({ hub, log } = await startSimHub([M1, ...accounts], { reconcileMs: 200, ...config }));
  return hub;
}

async function term(account: string, preset: BrokerPreset): Promise<SimTerminal> {
  const t = await startSimTerminal(hub!, terminals, { account, broker: brokerFromPreset(preset) });
  await knownToHub(hub!, t);
  return t;
}

const logged = (re: RegExp) => logLine(log, re);

const until = <T>(t: SimTerminal, f: () => T | undefined | false, what: string) => t.waitFor(f, 5000, what);
const S1: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c' };
const S2: Account = { name: 'S2', type: 'SLAVE', enabled: true, symbol_map: { EURUSD: 'EURUSDm' }, volume_mode: 'multiplier', volume_multiplier: 0.5 };

describe('pending order copies with the real hub and simulated terminals', () => {
  it('places, modifies and removes the copies of a master limit order', async () => {
    await start([{ ...S1, pending_offset_points: 10 }, S2]);
    const [master, s1, s2] = [await term('M1', MASTER_PRESET), await term('S1', SUFFIX_PRESET), await term('S2', MAPPED_PRESET)];
    const expiry = Date.now() + 3_600_000;
    const r = master.placeOrder('EURUSD', 'buy_limit', 1, 1.082, { sl: 1.08, tp: 1.09, expiration: 'specified', expiration_ms: expiry });
    expect(r.retcode).toBe(10009);
    const o1 = await until(s1, () => s1.orders()[0], 'S1 order');
    expect(o1).toMatchObject({ symbol: 'EURUSD.c', order_type: 'buy_limit', volume: 1, price: 1.0819, sl: 1.08, tp: 1.09, expiration: 'specified', expiration_ms: expiry, master: 'M1', master_position: r.ticket });
    const o2 = await until(s2, () => s2.orders()[0], 'S2 order');
    expect(o2).toMatchObject({ symbol: 'EURUSDm', volume: 0.5, price: 1.082 });
    await logged(new RegExp(`^PLACE place M1#${r.ticket} buy limit 1 EURUSD @ 1.082 -> S1: buy limit @ 1.0819 specified`));

    master.modifyOrder(r.ticket, { price: 1.081, sl: 1.079, tp: 1.09, expiration: 'gtc' });
    await until(s1, () => s1.orders()[0]?.price === 1.0809 && s1.orders()[0], 'S1 order modified');
    expect(s1.orders()[0]).toMatchObject({ sl: 1.079, expiration: 'gtc' });
    await until(s2, () => s2.orders()[0]?.price === 1.081, 'S2 order modified');

    master.removeOrder(r.ticket);
    await until(s1, () => s1.orders().length === 0, 'S1 order removed');
    await until(s2, () => s2.orders().length === 0, 'S2 order removed');
    await logged(new RegExp(`^REMOVE master M1 order ${r.ticket} canceled unfilled: S1 removes order`));
    // The slave's order is gone before its result reaches the hub: the row changes with the result.
    await logged(new RegExp(`^result done remove M1#${r.ticket} -> S1`));
    await hub!.ledger.flush();
    const rows = await hub!.store.findTrades({ account: 'S1', limit: 10 });
    expect(rows[0]).toMatchObject({ master_ticket: r.ticket, status: 'canceled', order_type: 'buy_limit' });
  });

  it('fills both when the price crosses: the slave position copies the master position, and follows its partial close and close', async () => {
    await start([S1]);
    const [master, s1] = [await term('M1', MASTER_PRESET), await term('S1', SUFFIX_PRESET)];
    const r = master.placeOrder('EURUSD', 'buy_limit', 1, 1.082);
    const o = await until(s1, () => s1.orders()[0], 'S1 order');
    // The slave's price crosses first: its order fills and is kept as the copy.
    s1.setQuote('EURUSD.c', 1.0818, 1.0819);
    const pos = await until(s1, () => s1.positions()[0], 'S1 fill');
    expect(pos).toMatchObject({ position: o.ticket, volume: 1, master: 'M1', master_position: r.ticket });
    await logged(/^LINK S1 order \d+ \(copy of M1 order \d+\) filled before the master's: kept as its copy/);
    master.setQuote('EURUSD', 1.0818, 1.08182);
    const mpos = await until(master, () => master.positions()[0], 'master fill');
    expect(mpos.position).toBe(r.ticket);
    await logged(new RegExp(`^LINK master M1 order ${r.ticket} filled: S1 ticket ${o.ticket} \\(its copy, filled first\\) now follows position #${r.ticket}$`));
    master.close(r.ticket, 0.4);
    await until(s1, () => Math.abs((s1.positions()[0]?.volume ?? 0) - 0.6) < 1e-9, 'partial close followed');
    master.close(r.ticket);
    await until(s1, () => s1.positions().length === 0, 'close followed');
    expect(s1.broker.history().filter((d) => d.entry === 'in')).toHaveLength(1);
  });

  it('master filled first: the slave order is removed and the copy opened at market; a reverse copy is a sell stop', async () => {
    await start([{ ...S1, slippage_tolerance: 100 }, { ...S2, reverse: true, slippage_tolerance: 100 }]);
    const [master, s1, s2] = [await term('M1', MASTER_PRESET), await term('S1', SUFFIX_PRESET), await term('S2', MAPPED_PRESET)];
    const r = master.placeOrder('EURUSD', 'buy_limit', 1, 1.082, { sl: 1.079, tp: 1.09 });
    await until(s1, () => s1.orders()[0], 'S1 order');
    const rev = await until(s2, () => s2.orders()[0], 'S2 order');
    expect(rev).toMatchObject({ order_type: 'sell_stop', price: 1.082, sl: 1.09, tp: 1.079, volume: 0.5 });
    // The slaves' prices come near, without reaching their orders; the master's order fills.
    s1.setQuote('EURUSD.c', 1.0821, 1.08214);
    s2.setQuote('EURUSDm', 1.0821, 1.08214);
    await new Promise((res) => setTimeout(res, 300));
    master.setQuote('EURUSD', 1.0818, 1.08182);
    const p1 = await until(s1, () => s1.positions()[0], 'S1 market copy');
    expect(p1).toMatchObject({ side: 'buy', volume: 1, master_position: r.ticket });
    expect(s1.orders()).toHaveLength(0);
    const p2 = await until(s2, () => s2.positions()[0], 'S2 market copy');
    expect(p2).toMatchObject({ side: 'sell', volume: 0.5 });
    await logged(new RegExp(`^CONVERT master M1 order ${r.ticket} filled, S1 order \\d+ still pending: removes it, then opens at market$`));
    master.close(r.ticket);
    await until(s1, () => s1.positions().length === 0, 'S1 closed');
    await until(s2, () => s2.positions().length === 0, 'S2 closed');
  });

  it('keeps the link across a hub restart: the placed copy is neither placed twice nor lost, and the fill converts it', async () => {
    const [pub, pull] = await freePorts(2);
    const config = { store: 'embedded', dataDir: tempDir('cb-pend-'), pubEndpoint: `tcp://127.0.0.1:${pub}`, pullEndpoint: `tcp://127.0.0.1:${pull}` };
    await start([{ ...S1, slippage_tolerance: 100 }], config);
    const [master, s1] = [await term('M1', MASTER_PRESET), await term('S1', SUFFIX_PRESET)];
    const r = master.placeOrder('EURUSD', 'sell_stop', 1, 1.083);
    await until(s1, () => s1.orders()[0], 'S1 order');
    await hub!.stop();
    hub = undefined;
    await start([{ ...S1, slippage_tolerance: 100 }], config);
    // The terminals notice the new hub by its welcome.
    await until(s1, () => hub!.engine.status().copies.find((c) => c.masterPosition === r.ticket && c.status === 'placed'), 'restored placed copy');
    await new Promise((res) => setTimeout(res, 600));
    expect(s1.orders()).toHaveLength(1);
    expect(s1.received.filter((m) => m.type === 'place')).toHaveLength(1);
    s1.setQuote('EURUSD.c', 1.0831, 1.08314);
    await new Promise((res) => setTimeout(res, 300));
    master.setQuote('EURUSD', 1.0829, 1.08292);
    await until(s1, () => s1.positions()[0], 'S1 market copy');
    expect(s1.orders()).toHaveLength(0);
    expect(s1.positions()).toHaveLength(1);
  });
});
