/**
 * A smaller chaos run with the EA's own code: every terminal is the EA compiled from its MQL5
 * source over the harness broker (test/mql5/terminal.ts), talking to the hub process through the
 * real bridge library. One hedging master M1, two hedging slaves S1 (".c", 1:1) and S10 (".c",
 * x0.5); operations on EURUSD and XAUUSD; faults: hub SIGKILL (the master trading while the hub is
 * down), slave and master terminal restarts. The same check as the simulated runs.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { validateAccount } from '../hub/accounts';
import { EmbeddedStore } from '../hub/ledger/embedded';
import type { Position } from '../hub/protocol';
import { Terminal, buildTerminal, type TerminalPosition } from '../test/mql5/terminal';
import { check, type CheckResult, type SlaveState } from './check';
import { HUB_ENV, sleep } from './rig';
import { HubProcess } from './hub-process';
import { Rng } from './rng';
import { MAGIC } from './world';

export interface EaOptions {
  seed: number;
  ops: number;
  /** MetaTrader's asynchrony in the harness (reordered and late transactions), seeded. */
  live?: boolean;
  settleMs?: number;
  log?: (line: string) => void;
}

export interface EaResult {
  seed: number;
  trades: number;
  faults: { hub_kill: number; terminal_restart: number };
  check: CheckResult;
  crashes: string[];
  durationMs: number;
}

const SYMBOLS = ['EURUSD', 'XAUUSD'];
const SPECS: Record<string, { digits: number; point: number; volume_step: number; volume_min: number; price: number }> = {
  EURUSD: { digits: 5, point: 0.00001, volume_step: 0.01, volume_min: 0.01, price: 1.1 },
  XAUUSD: { digits: 2, point: 0.01, volume_step: 0.01, volume_min: 0.01, price: 2000 },
};
const SLAVES = [
  { name: 'S1', ratio: 1, account: { suffix: '.c' } },
  { name: 'S10', ratio: 0.5, account: { suffix: '.c', volume_mode: 'multiplier', volume_multiplier: 0.5 } },
] as const;

const base = (symbol: string) => symbol.replace(/\.c$/, '');
const asPosition = (p: TerminalPosition): Position => ({ ...p, time_ms: 0 });

export async function runEaSeed(opts: EaOptions): Promise<EaResult> {
  const started = Date.now();
  const rng = new Rng(opts.seed);
  const note = (line: string) => opts.log?.(`[ea ${opts.seed} +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
  buildTerminal();
  const dir = mkdtempSync(join(tmpdir(), 'copybridge-chaos-ea-'));
  const dataDir = join(dir, 'data');
  const terminals: Terminal[] = [];
  let hub: HubProcess | undefined;
  try {
    const store = new EmbeddedStore(dataDir, { readOnly: true });
    await store.open();
    await store.upsertAccount(validateAccount({ name: 'M1', type: 'MASTER' }));
    for (const s of SLAVES) await store.upsertAccount(validateAccount({ name: s.name, type: 'SLAVE', follows: ['M1'], slippage_tolerance: 5000, ...s.account }));
    await store.close();
    // The EA tests' range (20000-32000) is theirs; this run takes ports just below it.
    const port = 18_000 + 2 * Math.floor(Math.random() * 900);
    const endpoints = { pub: `tcp://127.0.0.1:${port}`, pull: `tcp://127.0.0.1:${port + 1}` };
    const h = (hub = new HubProcess({ ...endpoints, dataDir, store: 'embedded', env: { ...HUB_ENV } }));
    await h.start();
    const live = opts.live ? { live: { seed: opts.seed } } : {};
    const ep = { pullEndpoint: endpoints.pull, pubEndpoint: endpoints.pub };
    const [m1, ...slaves] = await Promise.all([
      Terminal.start({ ...ep, account: 'M1', login: 5001, tickets: 10000, symbols: SYMBOLS, ...live }),
      Terminal.start({ ...ep, account: 'S1', login: 7001, tickets: 70000, suffix: '.c', symbols: SYMBOLS, ...live }),
      Terminal.start({ ...ep, account: 'S10', login: 7101, tickets: 80000, suffix: '.c', symbols: SYMBOLS, ...live }),
    ]);
    terminals.push(m1, ...slaves);
    for (const t of terminals) await t.waitLog(/welcome from hub/, 15_000);
    note(`hub pid ${h.pid}; M1, S1, S10 (EA processes) welcomed`);

    let trades = 0;
    const faults = { hub_kill: 0, terminal_restart: 0 };
    const op = async () => {
      const ps = await m1.positions();
      const pairs = ps.flatMap((a) => ps.filter((b) => a.side === 'buy' && b.side === 'sell' && a.symbol === b.symbol).map((b) => [a, b] as const));
      const kind = rng.weighted({ open: ps.length >= 8 ? 1 : 30, partial: ps.some((p) => p.volume >= 0.4 - 1e-9) ? 12 : 0, modify: ps.length ? 12 : 0, close_by: pairs.length ? 6 : 0, close: ps.length ? 18 : 0 });
      let line: string;
      if (kind === 'open') {
        const symbol = rng.pick(SYMBOLS);
        const side = rng.chance(0.5) ? 'buy' : 'sell';
        const spec = SPECS[symbol];
        const dirn = side === 'buy' ? 1 : -1;
        const sl = rng.chance(0.7) ? Number((spec.price - dirn * rng.int(200, 900) * spec.point).toFixed(spec.digits)) : 0;
        const tp = rng.chance(0.7) ? Number((spec.price + dirn * rng.int(200, 900) * spec.point).toFixed(spec.digits)) : 0;
        line = `${side} ${symbol} ${(0.2 * rng.int(1, 4)).toFixed(1)} ${sl} ${tp}`;
      } else if (kind === 'close_by') {
        const [a, b] = rng.pick(pairs);
        line = `closeby ${a.ticket} ${b.ticket}`;
      } else {
        const p = rng.pick(kind === 'partial' ? ps.filter((x) => x.volume >= 0.4 - 1e-9) : ps);
        const spec = SPECS[p.symbol];
        const dirn = p.side === 'buy' ? 1 : -1;
        if (kind === 'partial') line = `close ${p.ticket} ${(0.2 * rng.int(1, Math.round(p.volume / 0.2) - 1)).toFixed(1)}`;
        else if (kind === 'modify') line = `modify ${p.ticket} ${(spec.price - dirn * rng.int(200, 900) * spec.point).toFixed(spec.digits)} ${(spec.price + dirn * rng.int(200, 900) * spec.point).toFixed(spec.digits)}`;
        else line = `close ${p.ticket}`;
      }
      const r = await m1.cmd(line);
      if (r.ok === true) trades++;
      note(`M1 ${line}${r.ok === true ? '' : ` (failed: ${JSON.stringify(r)})`}`);
    };

    for (let i = 0; i < opts.ops; ) {
      if (i >= 2 && rng.chance(0.1)) {
        if (rng.chance(0.5)) {
          note(`FAULT hub_kill: SIGKILL hub pid ${h.pid}`);
          await h.kill();
          for (let k = rng.int(0, 2); k > 0; k--) await op();
          await sleep(rng.int(0, 500));
          await h.start();
          faults.hub_kill++;
        } else {
          const t = rng.pick(terminals);
          note(`FAULT terminal_restart: ${t.account}`);
          await t.restart();
          faults.terminal_restart++;
        }
        continue;
      }
      await op();
      i++;
      await sleep(rng.int(0, 150));
    }

    note('all faults over; settling');
    const state = async (): Promise<Parameters<typeof check>[0]> => ({
      magic: MAGIC,
      masters: [{ name: 'M1', positions: (await m1.positions()).map(asPosition) }],
      slaves: await Promise.all(
        SLAVES.map(async (s, i): Promise<SlaveState> => ({
          name: s.name, mode: 'hedging', follows: ['M1'], ratio: s.ratio, translate: (m) => `${m}.c`,
          spec: (symbol) => SPECS[base(symbol)], positions: (await slaves[i].positions()).map(asPosition),
        })),
      ),
    });
    const deadline = Date.now() + (opts.settleMs ?? 20_000);
    let quietSince: number | undefined;
    while (Date.now() < deadline) {
      const ok = check(await state()).problems.length === 0;
      quietSince = ok ? (quietSince ?? Date.now()) : undefined;
      if (quietSince !== undefined && Date.now() - quietSince >= 2500) break;
      await sleep(250);
    }
    await h.stop();
    const ledgerStore = new EmbeddedStore(dataDir, { readOnly: true });
    await ledgerStore.open();
    const ledger = await ledgerStore.findTrades({ limit: 1_000_000 });
    await ledgerStore.close();
    const result = check({ ...(await state()), ledger });
    note(`done: ${trades} trades, ${result.matched} matched, ${result.problems.length} problems`);
    return { seed: opts.seed, trades, faults, check: result, crashes: [...h.crashes], durationMs: Date.now() - started };
  } finally {
    await Promise.all(terminals.map((t) => t.stop().catch(() => undefined)));
    await hub?.kill().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
