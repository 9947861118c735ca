/**
 * The simulated accounts of a chaos run: a hedging and a netting master, and hedging and netting
 * slaves whose names are prefixes of each other (S1/S10, Acc/Acc-2, which ZeroMQ's prefix
 * subscriptions must tell apart) and whose brokers name symbols with a suffix or a symbol map.
 * Netting slaves follow the netting master only, so one slave position stands for one master
 * position per symbol; hedging slaves follow the hedging master.
 */
import type { Account } from '../hub/accounts';
import { SimBroker } from '../sim/broker';
import { MAPPED_PRESET, MAPPED_SYMBOL_MAP, MASTER_PRESET, SUFFIX_PRESET, brokerFromPreset, type BrokerPreset } from '../sim/presets';
import { SimTerminal } from '../sim/terminal';
import type { MarginMode, SlaveState } from './check';
import type { Follower } from './ops';

export const MAGIC = 20250;
/** Wide enough that the small quote differences between the presets never refuse a copy. */
const SLIPPAGE = 5000;

export interface MasterDef {
  name: string;
  mode: MarginMode;
  ticketBase: number;
}

export interface SlaveDef {
  name: string;
  mode: MarginMode;
  preset: BrokerPreset;
  follows: string[];
  ratio: number;
  account: Partial<Account>;
  translate: (masterSymbol: string) => string;
}

export const MASTERS: readonly MasterDef[] = [
  { name: 'M1', mode: 'hedging', ticketBase: 50_000 },
  { name: 'M1-N', mode: 'netting', ticketBase: 600_000 },
];

const suffixed = (s: string) => `${s}.c`;
const mapped = (s: string) => MAPPED_SYMBOL_MAP[s] ?? s;

export const SLAVES: readonly SlaveDef[] = [
  { name: 'S1', mode: 'hedging', preset: SUFFIX_PRESET, follows: ['M1'], ratio: 1, account: { suffix: '.c' }, translate: suffixed },
  { name: 'S10', mode: 'netting', preset: SUFFIX_PRESET, follows: ['M1-N'], ratio: 1, account: { suffix: '.c' }, translate: suffixed },
  {
    name: 'Acc', mode: 'hedging', preset: MAPPED_PRESET, follows: ['M1'], ratio: 0.5, translate: mapped,
    account: { symbol_map: { ...MAPPED_SYMBOL_MAP }, volume_mode: 'multiplier', volume_multiplier: 0.5 },
  },
  {
    name: 'Acc-2', mode: 'netting', preset: MAPPED_PRESET, follows: ['M1-N'], ratio: 0.5, translate: mapped,
    account: { symbol_map: { ...MAPPED_SYMBOL_MAP }, volume_mode: 'multiplier', volume_multiplier: 0.5 },
  },
];

/** The account records the hub is given before it starts. */
export function accountRecords(): Partial<Account>[] {
  return [
    ...MASTERS.map((m): Partial<Account> => ({ name: m.name, type: 'MASTER', enabled: true })),
    ...SLAVES.map((s): Partial<Account> => ({ name: s.name, type: 'SLAVE', enabled: true, follows: s.follows, slippage_tolerance: SLIPPAGE, ...s.account })),
  ];
}

export interface World {
  masters: Map<string, SimTerminal>;
  slaves: Map<string, SimTerminal>;
  all: SimTerminal[];
}

export function makeWorld(endpoints: { pull: string; pub: string }, seed: number, log?: (line: string) => void): World {
  const terminal = (account: string, broker: SimBroker) =>
    // Snapshots of more than two positions go in parts, so hub kills and drops meet them half sent.
    new SimTerminal({ account, hubPush: endpoints.pull, hubPub: endpoints.pub, broker, heartbeatMs: 300, helloRetryMs: 200, log, snapshotChunk: 2 });
  const masters = new Map(MASTERS.map((m) => [m.name, terminal(m.name, brokerFromPreset(MASTER_PRESET, { marginMode: m.mode, ticketBase: m.ticketBase, seed }))]));
  const slaves = new Map(SLAVES.map((s, i) => [s.name, terminal(s.name, brokerFromPreset(s.preset, { marginMode: s.mode, ticketBase: (i + 1) * 1_000_000, seed }))]));
  return { masters, slaves, all: [...masters.values(), ...slaves.values()] };
}

/** Per master, the slave terminals following it (whose quotes move with the master's). */
export function followersOf(world: World): Map<string, Follower[]> {
  const out = new Map<string, Follower[]>();
  for (const def of SLAVES) for (const m of def.follows) out.set(m, [...(out.get(m) ?? []), { terminal: world.slaves.get(def.name)!, translate: def.translate }]);
  return out;
}

/** A slave's state for check(), read from its broker. */
export function slaveState(def: SlaveDef, t: SimTerminal): SlaveState {
  return {
    name: def.name,
    mode: def.mode,
    follows: def.follows,
    ratio: def.ratio,
    translate: def.translate,
    spec: (symbol) => t.broker.symbol(symbol),
    positions: t.broker.positions(),
    orders: t.broker.orders(),
  };
}
