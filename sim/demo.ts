/**
 * The story `hub demo` tells (hub/cli/demo.ts runs the hub and loads this on demand): one
 * simulated master and two simulated slaves whose brokers name symbols differently.
 */
import type { DemoScript } from '../hub/cli/demo';
import { MAPPED_PRESET, MAPPED_SYMBOL_MAP, MASTER_PRESET, SUFFIX_PRESET, brokerFromPreset, type BrokerPreset } from './presets';
import { SimTerminal } from './terminal';

const MASTER = 'Demo-Master';
const SUFFIX = 'Demo-Suffix';
const MAPPED = 'Demo-Mapped';
const RISK = 'Demo-Risk';

export const demo: DemoScript = {
  accounts: [
    { name: MASTER, type: 'MASTER', enabled: true },
    { name: SUFFIX, type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 },
    { name: MAPPED, type: 'SLAVE', enabled: true, symbol_map: { ...MAPPED_SYMBOL_MAP }, volume_mode: 'multiplier', volume_multiplier: 0.5, slippage_tolerance: 50 },
    // Risk 0.5% of equity per trade at the master's stop; gold is filtered out.
    { name: RISK, type: 'SLAVE', enabled: true, volume_mode: 'risk', risk_percent: 0.5, risk_without_sl: 'refuse', symbols_exclude: ['XAU*'], slippage_tolerance: 50 },
  ],

  async play(hub, { say, out, pause }) {
    const mk = (account: string, preset: BrokerPreset) =>
      new SimTerminal({ account, hubPush: hub.pullEndpoint, hubPub: hub.pubEndpoint, broker: brokerFromPreset(preset), heartbeatMs: 1000, helloRetryMs: 200 });
    const master = mk(MASTER, MASTER_PRESET);
    const suffix = mk(SUFFIX, SUFFIX_PRESET);
    const mapped = mk(MAPPED, MAPPED_PRESET);
    const risk = mk(RISK, MASTER_PRESET);
    const terminals = [master, suffix, mapped, risk];
    try {
      say(
        `hub on ${hub.pubEndpoint} (PUB) / ${hub.pullEndpoint} (PULL); accounts: ${MASTER} (master), ${SUFFIX} (suffix ".c", 1:1), ${MAPPED} (symbol map, x0.5), ` +
          `${RISK} (0.5% of equity at risk at the master's stop; XAU* filtered out)`,
      );
      await Promise.all(terminals.map((t) => t.start()));
      await Promise.all(terminals.map((t) => t.waitFor(() => t.role, 5000, `${t.account} welcome`)));
      const copies = (n: number, what: string) =>
        Promise.all([suffix, mapped].map((t) => t.waitFor(() => t.positions().length === n || undefined, 5000, `${t.account}: ${what}`)));
      await pause();

      say(`${MASTER} buys 1.00 EURUSD with SL and TP; ${RISK} sizes its copy so that the stop loses 0.5% of its equity`);
      const eur = master.buy('EURUSD', 1, { sl: 1.07, tp: 1.1 });
      await copies(1, 'EURUSD copy');
      const riskCopy = await risk.waitFor(() => risk.positions()[0], 5000, `${RISK}: EURUSD copy`);
      const atRisk = (riskCopy.price_open - 1.07) * riskCopy.volume * 100_000;
      out(`   ${RISK}: ${riskCopy.volume} lots; at the stop it loses ${atRisk.toFixed(2)} USD of ${risk.broker.account().equity.toFixed(2)} (${((atRisk / risk.broker.account().equity) * 100).toFixed(2)}%)`);
      await pause();

      say(`${MASTER} sells 0.30 XAUUSD: ${RISK} does not copy it (filtered: XAU*)`);
      const xau = master.sell('XAUUSD', 0.3);
      await copies(2, 'XAUUSD copy');
      await pause();

      say(`${MASTER} closes 0.40 of the EURUSD position (partial close)`);
      master.close(eur.position, 0.4);
      await suffix.waitFor(() => suffix.positions().some((p) => p.symbol === 'EURUSD.c' && Math.abs(p.volume - 0.6) < 1e-9) || undefined, 5000, 'partial close');
      await pause();

      say(`${MASTER} moves the EURUSD stop loss and take profit`);
      master.modify(eur.position, 1.075, 1.105);
      await suffix.waitFor(() => suffix.positions().some((p) => p.symbol === 'EURUSD.c' && p.sl === 1.075) || undefined, 5000, 'modify');
      await pause();

      say(`${SUFFIX}'s GBPUSD.c quote runs 40 points away; ${MASTER} buys 0.50 GBPUSD: ${SUFFIX} refuses (tolerance 20), ${MAPPED} copies`);
      const q = MASTER_PRESET.quotes.GBPUSD;
      suffix.setQuote('GBPUSD.c', q.bid + 0.0004, q.ask + 0.0004);
      await pause();
      const gbp = master.buy('GBPUSD', 0.5);
      await mapped.waitFor(() => mapped.positions().length === 3 || undefined, 5000, 'GBPUSD copy');
      await pause();

      say(`${MASTER} closes everything`);
      for (const p of [eur, xau, gbp]) master.close(p.position);
      await copies(0, 'all closed');
      await risk.waitFor(() => risk.positions().length === 0 || undefined, 5000, `${RISK}: all closed`);
      await pause();

      say(`${MASTER} places a buy limit 0.40 EURUSD at 1.08380, 30 points below the market: each slave gets a pending copy (docs/pending.md)`);
      const limit = master.placeOrder('EURUSD', 'buy_limit', 0.4, 1.0838, { sl: 1.0808, tp: 1.0888 });
      await Promise.all([suffix, mapped].map((t) => t.waitFor(() => t.orders().length === 1 || undefined, 5000, `${t.account}: pending copy`)));
      for (const t of [suffix, mapped]) for (const o of t.orders()) out(`   ${t.account}: order ${o.ticket} ${o.order_type} ${o.volume} ${o.symbol} @ ${o.price}`);
      await pause();

      say('EURUSD falls 40 points at the slaves\' brokers first: their orders fill, each kept as the copy of the master order');
      const down = (t: SimTerminal, symbol: string, q: { bid: number; ask: number }) => t.setQuote(symbol, q.bid - 0.0004, q.ask - 0.0004);
      down(suffix, 'EURUSD.c', SUFFIX_PRESET.quotes['EURUSD.c']);
      down(mapped, 'EURUSDm', MAPPED_PRESET.quotes.EURUSDm);
      await copies(1, 'pending copy filled');
      const linked = () => hub.engine.status().copies.filter((c) => c.masterPosition === limit.ticket && c.status === 'open').length === 2 || undefined;
      await master.waitFor(linked, 5000, 'fills linked');
      await pause();

      say(`and at ${MASTER}'s: its order fills, and the copies follow the position it opened (a master order filling first would have the slaves' orders removed and the copies opened at market)`);
      down(master, 'EURUSD', MASTER_PRESET.quotes.EURUSD);
      await master.waitFor(() => master.positions().length === 1 || undefined, 5000, 'master fill');
      await pause();

      say(`${MASTER} closes the position its order opened: the copies close`);
      master.close(limit.ticket);
      await copies(0, 'filled copies closed');
      await pause();

      say(`${SUFFIX} gets a daily-loss guard of 200 USD on equity (hub accounts protect ${SUFFIX} --daily-loss 200); the hub takes the anchor from its next heartbeat`);
      const suffixAccount = (await hub.store.getAccount(SUFFIX))!;
      await hub.store.upsertAccount({ ...suffixAccount, protection: { daily_loss: { value: 200, unit: 'money' } } });
      await hub.reloadAccounts();
      const guard = () => hub.engine.guards().find((g) => g.account === SUFFIX);
      await suffix.waitFor(() => guard()?.state, 5000, 'guard anchor');
      out(`   anchor ${guard()!.state!.anchor.toFixed(2)} USD, floor ${guard()!.floors.daily!.toFixed(2)} USD`);
      await pause();

      say(`${MASTER} buys 1.00 EURUSD again; then ${SUFFIX}'s EURUSD.c bid falls 30 points: its equity drops about 300 USD and the guard trips`);
      const eur2 = master.buy('EURUSD', 1);
      await copies(1, 'EURUSD copy');
      const e = SUFFIX_PRESET.quotes['EURUSD.c'];
      suffix.setQuote('EURUSD.c', e.bid - 0.003, e.ask - 0.003);
      await suffix.waitFor(() => guard()?.trip, 5000, 'guard trip');
      out(`   ${SUFFIX} equity ${suffix.broker.account().equity.toFixed(2)} USD, at or below the floor: tripped`);
      await pause();

      say(`${MASTER} sells 0.10 XAUUSD: ${SUFFIX} refuses it (guard tripped), ${MAPPED} copies it`);
      const xau2 = master.sell('XAUUSD', 0.1);
      await mapped.waitFor(() => mapped.positions().length === 2 || undefined, 5000, 'XAUUSD copy');
      await pause();

      say(`${MASTER} closes both: closes are always mirrored, also on the tripped ${SUFFIX}`);
      for (const p of [eur2, xau2]) master.close(p.position);
      await copies(0, 'all closed again');
      await pause();

      await hub.ledger.flush();
      const trades = await hub.store.findTrades({ limit: 100 });
      say('ledger (trades):');
      for (const t of trades.reverse()) {
        out(`   ${t.master_name}#${t.master_ticket} -> ${t.slave_name} ${t.direction} ${t.volume ?? ''} ${t.symbol} ${t.status}${t.slippage_points !== undefined ? ` slip ${t.slippage_points} pts` : ''}${t.latency_ms !== undefined ? ` ${t.latency_ms} ms` : ''}${t.reason ? ` (${t.reason})` : ''}`);
      }
      say('done: every decision above is one hub log line with its reason. Next: `npm start` and attach the EA (docs/install-windows.md).');
      return { trades: trades.length, refusals: hub.engine.stats.refusals };
    } finally {
      await Promise.all(terminals.map((t) => t.stop()));
    }
  },
};
