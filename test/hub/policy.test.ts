/**
 * Copy policy with the real hub on loopback ZeroMQ and simulated terminals: filters, reverse copy
 * and the prop-firm rule, SL/TP modes, risk and balance sizing, symbol multipliers, lot limits,
 * per-master overrides, and store records that fail validation.
 */
import type { RunningHub } from '../../hub';
import type { Account } from '../../hub/accounts';
import { MAPPED_PRESET, MAPPED_SYMBOL_MAP, MASTER_PRESET, SUFFIX_PRESET, SimTerminal, brokerFromPreset, type BrokerPreset } from '../../sim';
import { knownToHub, logLine, startSimHub, startSimTerminal, type HubLog } from '../helpers/sim-hub';

jest.setTimeout(30_000);

let hub: RunningHub | undefined;
let log: HubLog;
const terminals: SimTerminal[] = [];

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((t) => t.stop()));
  await hub?.stop();
  hub = undefined;
});

async function start(accounts: Partial<Account>[]): Promise<RunningHub> {
  ({ hub, log } = await startSimHub([{ name: 'M1', type: 'MASTER', enabled: true }, ...accounts], { reconcileMs: 200 }));
  return hub;
}

/** A connected terminal whose symbols and first heartbeat (balance, equity) the hub has. */
async function term(account: string, preset: BrokerPreset, balance = 100_000): Promise<SimTerminal> {
  const t = await startSimTerminal(hub!, terminals, { account, broker: brokerFromPreset(preset, { balance }) });
  await knownToHub(hub!, t);
  return t;
}

const logged = (re: RegExp) => logLine(log, re);

const until = (t: SimTerminal, f: () => boolean, what: string) => t.waitFor(() => f() || undefined, 5000, what);
const on = (t: SimTerminal, symbol: string) => t.positions().filter((p) => p.symbol === symbol);

describe('copy policy with the real hub and simulated terminals', () => {
  it('filters by direction, symbol, magic number and comment, each refusal a FILTER line and a refused record with its reason', async () => {
    await start([
      { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', direction: 'buy', symbols_exclude: ['XAU*'], magic_include: [0, 11], comment_regex: '^(|copy.*)$' },
    ]);
    const m = await term('M1', MASTER_PRESET);
    const s1 = await term('S1', SUFFIX_PRESET);
    const ok = m.buy('EURUSD', 0.1);
    const sell = m.sell('GBPUSD', 0.1);
    const gold = m.buy('XAUUSD', 0.1);
    const magic = m.buy('EURUSD', 0.2, { magic: 5 });
    const comment = m.buy('EURUSD', 0.3, { magic: 11, comment: 'manual' });
    const both = m.buy('GBPUSD', 0.4, { magic: 11, comment: 'copy me' });
    await until(s1, () => on(s1, 'EURUSD.c').length === 1 && on(s1, 'GBPUSD.c').length === 1, 'the two that pass');
    expect(on(s1, 'EURUSD.c')[0].volume).toBe(0.1);
    expect(on(s1, 'GBPUSD.c')[0].volume).toBe(0.4);
    await logged(new RegExp(`^FILTER open M1#${sell.position} sell 0.1 GBPUSD -> S1: filtered: direction: sell not copied \\(direction buy only\\)`));
    await logged(new RegExp(`^FILTER open M1#${gold.position} .*: filtered: symbol XAUUSD \\(XAUUSD.c\\) is excluded by symbols_exclude XAU\\*`));
    await logged(new RegExp(`^FILTER open M1#${magic.position} .*: filtered: magic 5 is not in magic_include 0,11`));
    await logged(new RegExp(`^FILTER open M1#${comment.position} .*: filtered: comment "manual" does not match comment_regex`));
    await hub!.ledger.flush();
    const trades = await hub!.store.findTrades({});
    expect(trades.filter((t) => t.status === 'refused').map((t) => t.master_ticket).sort()).toEqual([sell, gold, magic, comment].map((r) => r.position).sort());
    expect(trades.find((t) => t.master_ticket === magic.position)?.reason).toBe('filtered: magic 5 is not in magic_include 0,11');
    expect(trades.filter((t) => t.status !== 'refused').map((t) => t.master_ticket).sort()).toEqual([ok.position, both.position].sort());
  });

  it('reverses a copy (side, SL and TP swapped, modifies and closes followed), and refuses it between two prop accounts unless allowed for that master', async () => {
    await start([
      { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', reverse: true },
      { name: 'S2', type: 'SLAVE', enabled: true, symbol_map: { ...MAPPED_SYMBOL_MAP }, reverse: true, firm: 'FTMO' },
      { name: 'S3', type: 'SLAVE', enabled: true, reverse: true, firm: 'FTMO', masters: { M1: { allow_prop_reverse: true } } },
    ]);
    await hub!.store.upsertAccount({ name: 'M1', type: 'MASTER', enabled: true, firm: 'FTMO' });
    await hub!.reloadAccounts();
    const m = await term('M1', MASTER_PRESET);
    const s1 = await term('S1', SUFFIX_PRESET);
    const s2 = await term('S2', MAPPED_PRESET);
    const s3 = await term('S3', MASTER_PRESET);
    const pos = m.buy('EURUSD', 0.5, { sl: 1.07, tp: 1.1 });
    await until(s1, () => on(s1, 'EURUSD.c').length === 1, 'S1 reversed copy');
    expect(on(s1, 'EURUSD.c')[0]).toMatchObject({ side: 'sell', volume: 0.5, sl: 1.1, tp: 1.07 });
    await until(s3, () => on(s3, 'EURUSD').length === 1, 'S3 reversed copy, allowed for M1');
    expect(on(s3, 'EURUSD')[0]).toMatchObject({ side: 'sell', sl: 1.1, tp: 1.07 });
    const line = await logged(/^REFUSE open M1#\d+ buy 0.5 EURUSD -> S2: reverse copy between two prop-firm accounts \(M1 at FTMO, S2 at FTMO\)/);
    expect(line).toMatch(/prop firms forbid \(FTMO: forbidden trading practices\); if your firms allow it: hub accounts set S2 --for-master M1 --allow-prop-reverse true$/);
    expect(s2.positions()).toHaveLength(0);

    // A change while the open's result is on its way only moves the copy's target: wait for the hub to know the ticket.
    await until(s1, () => hub!.engine.status().copies.some((c) => c.slave === 'S1' && c.status === 'open'), 'hub has the S1 ticket');
    m.modify(pos.position, 1.075, 1.095);
    await until(s1, () => on(s1, 'EURUSD.c')[0]?.sl === 1.095 && on(s1, 'EURUSD.c')[0]?.tp === 1.075, 'S1 swapped modify');
    m.close(pos.position, 0.2);
    await until(s1, () => Math.abs((on(s1, 'EURUSD.c')[0]?.volume ?? 0) - 0.3) < 1e-9, 'S1 partial close');
    // Convergence compares the copy with the master's side reversed: nothing is "reversed back".
    await new Promise((r) => setTimeout(r, 600));
    expect(on(s1, 'EURUSD.c')).toHaveLength(1);
    expect(log.lines.some((l) => /master reversed/.test(l.message))).toBe(false);
    m.close(pos.position);
    await until(s1, () => s1.positions().length === 0 && s3.positions().length === 0, 'closes mirrored');
    // The terminals close before their results reach the hub: wait for the hub to have them.
    await until(s1, () => !hub!.engine.status().copies.some((c) => c.status !== 'closed' && c.status !== 'refused'), 'hub has every result');
    await hub!.ledger.flush();
    expect(await hub!.store.findTrades({ account: 'S1' })).toEqual([expect.objectContaining({ direction: 'SELL', reversed: true, status: 'closed' })]);
  });

  it('SL/TP: none opens without and leaves the slave its own; offset moves them by points', async () => {
    await start([
      { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', sltp: 'offset', sltp_offset_points: 100 },
      { name: 'S2', type: 'SLAVE', enabled: true, symbol_map: { ...MAPPED_SYMBOL_MAP }, sltp: 'none' },
    ]);
    const m = await term('M1', MASTER_PRESET);
    const s1 = await term('S1', SUFFIX_PRESET);
    const s2 = await term('S2', MAPPED_PRESET);
    const pos = m.buy('EURUSD', 0.1, { sl: 1.07, tp: 1.1 });
    await until(s2, () => on(s2, 'EURUSDm').length === 1 && on(s1, 'EURUSD.c').length === 1, 'copies');
    expect(on(s1, 'EURUSD.c')[0]).toMatchObject({ sl: 1.069, tp: 1.101 });
    expect(on(s2, 'EURUSDm')[0]).toMatchObject({ sl: 0, tp: 0 });
    await logged(/^COPY open M1#\d+ .* -> S2 EURUSDm 0.1 lots .*; SL\/TP left to the slave$/);
    await until(s1, () => hub!.engine.status().copies.filter((c) => c.status === 'open').length === 2, 'hub has both tickets');
    // The slave's own stop survives a master change and convergence.
    s2.modify(on(s2, 'EURUSDm')[0].position, 1.06, 0);
    m.modify(pos.position, 1.075, 1.105);
    await until(s1, () => on(s1, 'EURUSD.c')[0]?.sl === 1.074 && on(s1, 'EURUSD.c')[0]?.tp === 1.106, 'S1 offset modify');
    await new Promise((r) => setTimeout(r, 600));
    expect(on(s2, 'EURUSDm')[0]).toMatchObject({ sl: 1.06, tp: 0 });
    m.close(pos.position);
    await until(s2, () => s2.positions().length === 0 && s1.positions().length === 0, 'closes');
  });

  it('sizes by risk from the slave tick value (FX, gold, index), refuses without a stop loss, and by balance with symbol multipliers and max lot', async () => {
    await start([
      { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', volume_mode: 'risk', risk_percent: 1, slippage_tolerance: 1000 },
      { name: 'S2', type: 'SLAVE', enabled: true, symbol_map: { ...MAPPED_SYMBOL_MAP }, volume_mode: 'balance', symbol_multipliers: { XAUUSD: 0.5 }, max_lot: 0.3, slippage_tolerance: 1000 },
    ]);
    const m = await term('M1', MASTER_PRESET, 100_000);
    const s1 = await term('S1', SUFFIX_PRESET, 100_000);
    const s2 = await term('S2', MAPPED_PRESET, 50_000);
    // 1% of 100000 = 1000. EURUSD: 0.005 = 500 ticks of 1 USD -> 2 lots. XAUUSD: 10.00 = 1000 ticks of 1 -> 1 lot.
    // US30: 100 points = 10000 ticks of 0.01 -> 10 lots (US30.c steps 0.1).
    m.buy('EURUSD', 0.1, { sl: 1.07912 });
    m.sell('XAUUSD', 0.4, { sl: 2395.4 });
    m.buy('US30', 1, { sl: 39022.5 });
    const bare = m.buy('GBPUSD', 0.1);
    await until(s1, () => on(s1, 'EURUSD.c').length + on(s1, 'XAUUSD.c').length + on(s1, 'US30.c').length === 3, 'S1 risk copies');
    expect([on(s1, 'EURUSD.c')[0].volume, on(s1, 'XAUUSD.c')[0].volume, on(s1, 'US30.c')[0].volume]).toEqual([2, 1, 10]);
    await logged(new RegExp(`^REFUSE open M1#${bare.position} buy 0.1 GBPUSD -> S1: invalid volume: risk sizing needs a stop loss and the master position has none`));
    // Balance 50000 / 100000: EURUSD 0.05; XAUUSD 0.4 x 0.5 x 0.5 = 0.1; US30 1 x 0.5 = 0.5 -> max_lot 0.3; GBPUSD 0.05.
    await until(s2, () => s2.positions().length === 4, 'S2 balance copies');
    expect([on(s2, 'EURUSDm')[0].volume, on(s2, 'GOLD')[0].volume, on(s2, 'DJ30')[0].volume, on(s2, 'GBPUSDm')[0].volume]).toEqual([0.05, 0.1, 0.3, 0.05]);
    await logged(/^COPY open M1#\d+ buy 1 US30 -> S2 DJ30 0.3 lots \(map, balance ratio 0.5000, clamped to max_lot 0.3;/);
  });

  it('an account edited in the store into something invalid keeps its last valid settings, and the log says what to do', async () => {
    await start([{ name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', volume_mode: 'multiplier', volume_multiplier: 2 }]);
    const m = await term('M1', MASTER_PRESET);
    const s1 = await term('S1', SUFFIX_PRESET);
    await hub!.store.upsertAccount({ name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', volume_mode: 'multiplier', volume_multiplier: 2, max_lot: -1 });
    await hub!.reloadAccounts();
    await logged(/^account S1 in the memory store is invalid: account S1: max_lot must be a number > 0, got -1; its last valid settings stay in force \(what to do: e\.g\. --max-lot 5\)/);
    m.buy('EURUSD', 0.1);
    await until(s1, () => on(s1, 'EURUSD.c')[0]?.volume === 0.2, 'copied with the last valid settings');
    // Reported once, not on every reload.
    await hub!.reloadAccounts();
    expect(log.lines.filter((l) => /^account S1 in the memory store is invalid/.test(l.message))).toHaveLength(1);
  });
});
