/**
 * The real hub on real loopback ZeroMQ sockets with simulated terminals: every copy path and
 * every kind of bad input. Ports are chosen by the OS (tcp://127.0.0.1:*).
 */
import { Push } from 'zeromq';
import { startHub, type RunningHub } from '../../hub';
import type { Account } from '../../hub/accounts';
import { memoryLogger } from '../../hub/log';
import { tempDir } from '../helpers';
import { logLine, startSimHub, startSimTerminal, welcomed, type HubLog } from '../helpers/sim-hub';
import { MAPPED_PRESET, MAPPED_SYMBOL_MAP, MASTER_PRESET, SUFFIX_PRESET, SimTerminal, brokerFromPreset, type BrokerPreset } from '../../sim';

jest.setTimeout(30_000);

interface World {
  hub: RunningHub;
  log: HubLog;
  terminals: SimTerminal[];
  term(account: string, preset: BrokerPreset, journalFrom?: SimTerminal): Promise<SimTerminal>;
  logged(re: RegExp, timeoutMs?: number): Promise<string>;
}

async function world(accounts: Partial<Account>[], config: Record<string, unknown> = {}): Promise<World> {
  const { hub, log } = await startSimHub(accounts, config);
  const terminals: SimTerminal[] = [];
  return {
    hub,
    log,
    terminals,
    term: (account, preset, journalFrom) =>
      startSimTerminal(hub, terminals, { account, broker: journalFrom?.broker ?? brokerFromPreset(preset), journal: journalFrom?.journal }),
    logged: (re, timeoutMs) => logLine(log, re, timeoutMs),
  };
}

let current: World | undefined;
afterEach(async () => {
  if (!current) return;
  await Promise.all(current.terminals.map((t) => t.stop()));
  await current.hub.stop();
  current = undefined;
});

const vol = (t: SimTerminal, symbol: string) => t.positions().filter((p) => p.symbol === symbol).reduce((s, p) => s + p.volume, 0);
const until = (t: SimTerminal, f: () => boolean, what: string) => t.waitFor(() => f() || undefined, 5000, what);

async function standard(extra: Partial<Account>[] = [], config: Record<string, unknown> = {}, masterPreset: BrokerPreset = MASTER_PRESET) {
  const w = (current = await world(
    [
      { name: 'M1', type: 'MASTER', enabled: true },
      { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 },
      { name: 'S2', type: 'SLAVE', enabled: true, symbol_map: { ...MAPPED_SYMBOL_MAP }, volume_mode: 'multiplier', volume_multiplier: 0.5 },
      ...extra,
    ],
    config,
  ));
  const m = await w.term('M1', masterPreset);
  const s1 = await w.term('S1', SUFFIX_PRESET);
  const s2 = await w.term('S2', MAPPED_PRESET);
  await Promise.all([m, s1, s2].map(welcomed));
  // Symbols arrive right after the welcome; the engine needs them for translation checks.
  await until(s2, () => w.hub.engine.status().terminals.filter((t) => (t.name === 'S1' || t.name === 'S2') && t.symbols !== undefined).length === 2, 'symbols');
  return { w, m, s1, s2 };
}

describe('hub over loopback ZeroMQ with simulated terminals', () => {
  it('copies open, partial close, SL/TP modify and close to a suffix slave and a mapped slave', async () => {
    const { w, m, s1, s2 } = await standard();
    const eur = m.buy('EURUSD', 1, { sl: 1.07, tp: 1.1 });
    const xau = m.sell('XAUUSD', 0.4);
    await until(s1, () => vol(s1, 'EURUSD.c') === 1 && vol(s1, 'XAUUSD.c') === 0.4, 'S1 copies');
    await until(s2, () => vol(s2, 'EURUSDm') === 0.5 && vol(s2, 'GOLD') === 0.2, 'S2 copies');
    const c1 = s1.positions().find((p) => p.symbol === 'EURUSD.c')!;
    expect(c1).toMatchObject({ side: 'buy', sl: 1.07, tp: 1.1, magic: 20250 });
    expect(c1.comment).toMatch(new RegExp(`^CB:[0-9a-f]{4}:${eur.position}$`));

    m.close(eur.position, 0.4);
    await until(s1, () => Math.abs(vol(s1, 'EURUSD.c') - 0.6) < 1e-9, 'S1 partial');
    await until(s2, () => Math.abs(vol(s2, 'EURUSDm') - 0.3) < 1e-9, 'S2 partial');

    m.modify(eur.position, 1.075, 1.105);
    await until(s1, () => s1.positions().some((p) => p.symbol === 'EURUSD.c' && p.sl === 1.075 && p.tp === 1.105), 'S1 modify');
    await until(s2, () => s2.positions().some((p) => p.symbol === 'EURUSDm' && p.sl === 1.075), 'S2 modify');

    m.close(eur.position);
    m.close(xau.position);
    await until(s1, () => s1.positions().length === 0, 'S1 closed');
    await until(s2, () => s2.positions().length === 0, 'S2 closed');
    // The terminals close before their results reach the hub: wait for the hub to have them all.
    await until(s1, () => w.hub.engine.status().pending.length === 0 && !w.hub.engine.status().copies.some((c) => c.status === 'open'), 'hub has every result');

    await w.hub.ledger.flush();
    const trades = await w.hub.store.findTrades({});
    expect(trades).toHaveLength(4);
    for (const t of trades) expect(t).toMatchObject({ status: 'closed', remaining_volume: 0 });
    expect(trades.find((t) => t.slave_name === 'S2' && t.symbol === 'GOLD')).toMatchObject({ master_symbol: 'XAUUSD', direction: 'SELL', volume: 0.2, master_volume: 0.4 });
    expect(w.log.lines.filter((l) => /^COPY open/.test(l.message))).toHaveLength(4);
  });

  it('matches decorated symbol names automatically and refuses ambiguous ones with candidates', async () => {
    const { w, m } = await standard([{ name: 'S3', type: 'SLAVE', enabled: true }]);
    const s3 = await w.term('S3', { ...MAPPED_PRESET, symbols: [...MAPPED_PRESET.symbols, { ...MAPPED_PRESET.symbols[1], name: 'GBPUSD.pro' }] });
    await s3.waitFor(() => s3.role, 5000, 'S3 welcome');
    await until(s3, () => w.hub.engine.status().terminals.find((t) => t.name === 'S3')?.symbols !== undefined, 'S3 symbols');
    m.buy('EURUSD', 0.1);
    await until(s3, () => vol(s3, 'EURUSDm') === 0.1, 'auto-matched EURUSDm');
    m.buy('GBPUSD', 0.1);
    const line = await w.logged(/REFUSE open M1#\d+ buy 0.1 GBPUSD -> S3: unknown symbol: GBPUSD is ambiguous on S3: GBPUSD.pro, GBPUSDm/);
    expect(line).toMatch(/--map GBPUSD=GBPUSD\.pro/);
    expect(vol(s3, 'GBPUSDm')).toBe(0);
  });

  it('refuses at the hub when the slave price ran away, and lets the EA refuse when the hub has no quote', async () => {
    const { w, m, s1 } = await standard();
    // First EURUSD trade: the hub learns the symbol and asks the slaves to stream its ticks.
    const first = m.buy('EURUSD', 0.1);
    await until(s1, () => vol(s1, 'EURUSD.c') === 0.1, 'first copy');
    await until(s1, () => w.hub.engine.status().terminals.find((t) => t.name === 'S1')!.quotes['EURUSD.c'] !== undefined, 'S1 tick for EURUSD.c');
    const q = SUFFIX_PRESET.quotes['EURUSD.c'];
    s1.setQuote('EURUSD.c', q.bid + 0.0005, q.ask + 0.0005);
    await until(s1, () => w.hub.engine.status().terminals.find((t) => t.name === 'S1')!.quotes['EURUSD.c'].ask === q.ask + 0.0005, 'moved tick at the hub');
    m.buy('EURUSD', 0.2);
    await w.logged(/REFUSE open M1#\d+ buy 0.2 EURUSD -> S1: slippage: price moved 5\d points \(slave ask [\d.]+ vs master fill [\d.]+\), tolerance 20/);
    await new Promise((r) => setTimeout(r, 200));
    expect(vol(s1, 'EURUSD.c')).toBe(0.1);
    await w.hub.ledger.flush();
    const refused = await w.hub.store.findTrades({ status: 'refused' });
    expect(refused).toEqual([expect.objectContaining({ slave_name: 'S1', reason: expect.stringMatching(/slippage/) })]);
    // No quote at the hub for GBPUSD.c yet: the command goes out and the terminal refuses it.
    const g = SUFFIX_PRESET.quotes['GBPUSD.c'];
    s1.setQuote('GBPUSD.c', g.bid + 0.0009, g.ask + 0.0009);
    m.buy('GBPUSD', 0.1);
    await w.logged(/result refused open M1#\d+ -> S1: .*40|result refused open M1#\d+ -> S1: .*9\d/);
    expect(vol(s1, 'GBPUSD.c')).toBe(0);
    void first;
  });

  it('refuses a volume below the slave minimum and a disabled slave, each with its reason', async () => {
    const { w, m, s2 } = await standard([{ name: 'S4', type: 'SLAVE', enabled: false, suffix: '.c' }]);
    const s4 = await w.term('S4', SUFFIX_PRESET);
    await s4.waitFor(() => s4.role === 'disabled' || undefined, 5000, 'S4 disabled welcome');
    m.buy('EURUSD', 0.01);
    await w.logged(/REFUSE open M1#\d+ buy 0.01 EURUSD -> S2: invalid volume: volume 0.005 \(multiplier, x0.5 of 0.01\) rounds to 0, below EURUSDm minimum 0.01/);
    await w.logged(/REFUSE open M1#\d+ buy 0.01 EURUSD -> S4: slave S4 is disabled/);
    await new Promise((r) => setTimeout(r, 200));
    expect(s2.positions()).toHaveLength(0);
    expect(s4.positions()).toHaveLength(0);

    // Enabling it in the store takes effect without a restart.
    await w.hub.store.upsertAccount({ name: 'S4', type: 'SLAVE', enabled: true, suffix: '.c' });
    await w.hub.reloadAccounts();
    await s4.waitFor(() => s4.role === 'slave' || undefined, 5000, 'S4 slave welcome');
    m.buy('EURUSD', 0.3);
    await until(s4, () => vol(s4, 'EURUSD.c') === 0.3, 'S4 copy after enabling');
  });

  it('delivers to a slave that was offline once it is back, without a duplicate, also after an EA restart', async () => {
    const { w, m, s1 } = await standard();
    await s1.stop();
    const p = m.buy('EURUSD', 0.7);
    await w.logged(/COPY open M1#\d+ buy 0.7 EURUSD -> S1/);
    await new Promise((r) => setTimeout(r, 300));
    // Same broker and journal, new EA object: a terminal restarted.
    const again = await w.term('S1', SUFFIX_PRESET, s1);
    await until(again, () => vol(again, 'EURUSD.c') === 0.7, 'copy after reconnect');
    // The hub keeps re-sending until it sees the result; more sends must not open more.
    await new Promise((r) => setTimeout(r, 500));
    expect(again.positions().filter((x) => x.symbol === 'EURUSD.c')).toHaveLength(1);
    await w.hub.ledger.flush();
    expect(await w.hub.store.findTrades({ account: 'S1', open: true })).toHaveLength(1);

    // Restart the EA again with the copy open: snapshot reconciliation keeps one copy, and the close still arrives.
    await again.stop();
    const third = await w.term('S1', SUFFIX_PRESET, again);
    await third.waitFor(() => third.role, 5000, 'third welcome');
    m.close(p.position);
    await until(third, () => third.positions().length === 0, 'close after restart');
  });

  it('rebuilds the copy map after a hub restart from the terminals own positions', async () => {
    // Fixed ports below the kernel's ephemeral range, so no outgoing connection takes them while the hub is down.
    const base = 10000 + Math.floor(Math.random() * 5000) * 2; // below the EA tests' 20000-32000 and the ephemeral range
    const { w, m, s1 } = await standard([], { pubEndpoint: `tcp://127.0.0.1:${base}`, pullEndpoint: `tcp://127.0.0.1:${base + 1}` });
    const p = m.buy('EURUSD', 0.5);
    await until(s1, () => vol(s1, 'EURUSD.c') === 0.5, 'copy');
    // New hub on the same ports, empty memory.
    const pub = w.hub.pubEndpoint;
    const pull = w.hub.pullEndpoint;
    await w.hub.stop();
    const { hub: hub2, log: log2 } = await startSimHub(
      [
        { name: 'M1', type: 'MASTER', enabled: true },
        { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c' },
        { name: 'S2', type: 'SLAVE', enabled: true, symbol_map: { ...MAPPED_SYMBOL_MAP } },
      ],
      { pubEndpoint: pub, pullEndpoint: pull },
    );
    current = { ...w, hub: hub2, log: log2 };
    await s1.waitFor(() => hub2.engine.status().copies.filter((c) => c.slave === 'S1' && c.status === 'open').length === 1 || undefined, 8000, 'adopted copy');
    expect(log2.lines.some((l) => /ADOPT reconcile: found S1 ticket/.test(l.message))).toBe(true);
    await s1.waitFor(() => hub2.engine.status().masterPositions.length > 0 || undefined, 8000, 'master snapshot');
    m.close(p.position);
    await until(s1, () => s1.positions().length === 0, 'close after hub restart');
  });

  it('knows the live copies of its ledger at start, before any terminal speaks', async () => {
    const { w, m, s1, s2 } = await standard();
    m.buy('EURUSD', 0.4);
    await until(s2, () => vol(s1, 'EURUSD.c') === 0.4 && s2.positions().length === 1, 'copies');
    await until(s2, () => w.hub.engine.status().copies.filter((c) => c.status === 'open').length === 2, 'results');
    await w.hub.ledger.flush();
    const log2 = memoryLogger('debug');
    const hub2 = await startHub({ config: { store: 'memory', pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*' }, store: w.hub.store, logger: log2 });
    try {
      const copies = hub2.engine.status().copies;
      expect(copies.map((c) => [c.slave, c.status, c.volume]).sort()).toEqual([['S1', 'open', 0.4], ['S2', 'open', 0.2]]);
      expect(log2.lines.some((l) => /restored 2 live copies from the ledger/.test(l.message))).toBe(true);
    } finally {
      await hub2.stop();
    }
  });

  it('frees its ports on stop, so a restarted hub binds them at once', async () => {
    const base = 10000 + Math.floor(Math.random() * 5000) * 2; // below the EA tests' 20000-32000 and the ephemeral range
    const cfg = { store: 'memory', pubEndpoint: `tcp://127.0.0.1:${base}`, pullEndpoint: `tcp://127.0.0.1:${base + 1}` };
    for (let i = 0; i < 30; i++) {
      const h = await startHub({ config: cfg, logger: memoryLogger() });
      await h.stop();
    }
  });

  it('refuses a second hub on the same data folder before it binds', async () => {
    const dataDir = tempDir('cb-lock-');
    const cfg = { store: 'embedded', dataDir, pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*' };
    const first = await startHub({ config: cfg, logger: memoryLogger() });
    try {
      await expect(startHub({ config: cfg, logger: memoryLogger() })).rejects.toMatchObject({
        code: 'E_STORE_LOCKED',
        hint: expect.stringMatching(/only one hub may use a data folder/),
      });
    } finally {
      await first.stop();
    }
    // Once the first hub stopped, the folder is free again.
    const again = await startHub({ config: cfg, logger: memoryLogger() });
    await again.stop();
  });

  describe('bad input', () => {
    async function raw() {
      const { w, m, s1 } = await standard([], { maxMessageBytes: 4096 });
      const push = new Push({ linger: 0 });
      push.connect(w.hub.pullEndpoint);
      return { w, m, s1, push };
    }

    it('answers each malformed message with a clear error to its sender and keeps copying', async () => {
      const { w, m, s1, push } = await raw();
      try {
        await push.send('{"account":"S1", this is not json');
        await s1.waitFor(() => s1.errors.find((e) => e.code === 'E_NOT_JSON'), 5000, 'E_NOT_JSON');
        await push.send(JSON.stringify({ v: 1, type: 'teleport', account: 'S1', seq: 1, ts: 1 }));
        const unknown = await s1.waitFor(() => s1.errors.find((e) => e.code === 'E_UNKNOWN_TYPE'), 5000, 'E_UNKNOWN_TYPE');
        expect(unknown.message).toMatch(/known terminal-to-hub types/);
        await push.send(JSON.stringify({ v: 1, type: 'tick', account: 'S1', seq: 2, ts: 1, symbol: 'EURUSD.c', bid: 'x', ask: 1, time_ms: 1 }));
        const invalid = await s1.waitFor(() => s1.errors.find((e) => e.code === 'E_INVALID_MESSAGE'), 5000, 'E_INVALID_MESSAGE');
        expect(invalid).toMatchObject({ ref_type: 'tick', ref_seq: 2 });
        expect(invalid.message).toMatch(/\/bid/);
        await push.send(JSON.stringify({ v: 1, type: 'heartbeat', account: 'S1', seq: 3, ts: 1, balance: 1, equity: 1, margin: 0, pad: 'x'.repeat(5000) }));
        const big = await s1.waitFor(() => s1.errors.find((e) => e.code === 'E_TOO_LARGE'), 5000, 'E_TOO_LARGE');
        expect(big.message).toMatch(/exceeds the limit of 4096 bytes/);
        await push.send([JSON.stringify({ v: 1, type: 'heartbeat', account: 'S1', seq: 4, ts: 1 }), 'second frame']);
        await s1.waitFor(() => s1.errors.find((e) => /one frame per message/.test(e.message)), 5000, 'multi-frame error');
        await push.send(JSON.stringify({ v: 7, type: 'hello', account: 'S1', seq: 5, ts: 1 }));
        await s1.waitFor(() => s1.errors.find((e) => e.code === 'E_VERSION'), 5000, 'E_VERSION');
        // Unparseable and anonymous: logged only.
        await push.send('garbage');
        await w.logged(/rejected message from unknown sender: E_NOT_JSON/);
      } finally {
        push.close();
      }
      // Nothing above disturbed copying.
      m.buy('EURUSD', 0.2);
      await until(s1, () => vol(s1, 'EURUSD.c') === 0.2, 'copy after bad input');
    });

    it('tells an unknown terminal the command that registers it', async () => {
      const { w } = await standard();
      const stranger = await w.term('Stranger-9', SUFFIX_PRESET);
      const e = await stranger.waitFor(() => stranger.errors.find((x) => x.code === 'E_UNKNOWN_ACCOUNT'), 5000, 'unknown account error');
      expect(e.message).toMatch(/npm run hub -- accounts add Stranger-9 --type SLAVE/);
      await w.logged(/unknown terminal "Stranger-9" sent hello; register it with: npm run hub -- accounts add Stranger-9/);
    });

    it('refuses a deal for a symbol no slave can trade and records why', async () => {
      const btc = { ...MASTER_PRESET.symbols[0], name: 'BTCUSD', digits: 2, point: 0.01, contract_size: 1 };
      const preset = { ...MASTER_PRESET, symbols: [...MASTER_PRESET.symbols, btc], quotes: { ...MASTER_PRESET.quotes, BTCUSD: { bid: 90000, ask: 90010 } } };
      const { w, m, s1 } = await standard([], {}, preset);
      m.buy('BTCUSD', 1);
      await w.logged(/REFUSE open M1#\d+ buy 1 BTCUSD -> S1: unknown symbol: BTCUSD.c \(prefix\/suffix applied to BTCUSD\) is not offered/);
      await w.logged(/REFUSE open M1#\d+ buy 1 BTCUSD -> S2: unknown symbol: no symbol like BTCUSD on S2's broker; add a symbol_map entry/);
      await w.hub.ledger.flush();
      expect(await w.hub.store.countTrades({ status: 'refused' })).toBe(2);
      await new Promise((r) => setTimeout(r, 100));
      expect(s1.positions()).toHaveLength(0);
    });
  });
});
