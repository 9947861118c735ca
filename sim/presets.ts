/**
 * Realistic symbol sets for simulated brokers: a master broker with plain names, a slave broker
 * with ".c" suffixes, and one with different names that needs a symbol map. Contract sizes follow
 * the usual CFD conventions (FX 100000, gold 100 oz, US30 1 per point), so 1:1 lot sizing holds;
 * digits, volume steps, filling modes and stops levels differ so translation and normalisation
 * are exercised.
 */
import type { SymbolSpec } from '../hub/protocol';
import { SimBroker, type MarginMode, type SimBrokerOptions } from './broker';

export interface BrokerPreset {
  company: string;
  server: string;
  currency: string;
  marginMode: MarginMode;
  /** ticket numbering starts here, different per preset so tickets never collide */
  ticketBase: number;
  symbols: SymbolSpec[];
  quotes: Record<string, { bid: number; ask: number }>;
}

/** Tick size = point, tick value = contract size x point: the quote currency is the account's (USD). */
const ticks = (s: SymbolSpec): SymbolSpec => ({ tick_size: s.point, tick_value: Number((s.contract_size * s.point).toFixed(10)), ...s });

const fx = (name: string, over: Partial<SymbolSpec> = {}): SymbolSpec => ticks({
  name,
  digits: 5,
  point: 0.00001,
  volume_min: 0.01,
  volume_step: 0.01,
  volume_max: 100,
  volume_limit: 0,
  contract_size: 100000,
  filling_modes: 3,
  trade_mode: 'full',
  stops_level: 0,
  freeze_level: 0,
  ...over,
});

const gold = (name: string, over: Partial<SymbolSpec> = {}): SymbolSpec => ticks({
  name,
  digits: 2,
  point: 0.01,
  volume_min: 0.01,
  volume_step: 0.01,
  volume_max: 50,
  volume_limit: 0,
  contract_size: 100,
  filling_modes: 3,
  trade_mode: 'full',
  stops_level: 0,
  freeze_level: 0,
  ...over,
});

const index = (name: string, over: Partial<SymbolSpec> = {}): SymbolSpec => ticks({
  name,
  digits: 2,
  point: 0.01,
  volume_min: 0.01,
  volume_step: 0.01,
  volume_max: 100,
  volume_limit: 0,
  contract_size: 1,
  filling_modes: 3,
  trade_mode: 'full',
  stops_level: 0,
  freeze_level: 0,
  ...over,
});

/** Prop-firm style master account: plain names, FOK and IOC, no stops level. */
export const MASTER_PRESET: BrokerPreset = {
  company: 'Sim Prop Firm s.r.o.',
  server: 'SimProp-Demo',
  currency: 'USD',
  marginMode: 'hedging',
  ticketBase: 5000,
  symbols: [fx('EURUSD'), fx('GBPUSD'), gold('XAUUSD'), index('US30')],
  quotes: {
    EURUSD: { bid: 1.0841, ask: 1.08412 },
    GBPUSD: { bid: 1.2705, ask: 1.27053 },
    XAUUSD: { bid: 2385.4, ask: 2385.6 },
    US30: { bid: 39120.5, ask: 39122.5 },
  },
};

/** ".c" suffix broker: IOC only, a stops level, US30 in 0.1 lots. */
export const SUFFIX_PRESET: BrokerPreset = {
  company: 'Sim Futures Funding LLC',
  server: 'SimFunding-Live',
  currency: 'USD',
  marginMode: 'hedging',
  ticketBase: 7000,
  symbols: [
    fx('EURUSD.c', { filling_modes: 2, stops_level: 10 }),
    fx('GBPUSD.c', { filling_modes: 2, stops_level: 10 }),
    gold('XAUUSD.c', { filling_modes: 2, stops_level: 20 }),
    index('US30.c', { filling_modes: 2, volume_min: 0.1, volume_step: 0.1, volume_max: 50, stops_level: 50 }),
  ],
  quotes: {
    'EURUSD.c': { bid: 1.08409, ask: 1.08413 },
    'GBPUSD.c': { bid: 1.27049, ask: 1.27054 },
    'XAUUSD.c': { bid: 2385.35, ask: 2385.65 },
    'US30.c': { bid: 39120.3, ask: 39122.8 },
  },
};

/** Different names: "m" suffix for FX, GOLD for XAUUSD, DJ30 (1 digit) for US30. */
export const MAPPED_PRESET: BrokerPreset = {
  company: 'Sim Markets Ltd',
  server: 'SimMarkets-Real3',
  currency: 'USD',
  marginMode: 'hedging',
  ticketBase: 9000,
  symbols: [fx('EURUSDm', { filling_modes: 1 }), fx('GBPUSDm', { filling_modes: 1 }), gold('GOLD', { filling_modes: 1 }), index('DJ30', { digits: 1, point: 0.1, volume_min: 0.1, volume_step: 0.1 })],
  quotes: {
    EURUSDm: { bid: 1.08408, ask: 1.08414 },
    GBPUSDm: { bid: 1.27048, ask: 1.27055 },
    GOLD: { bid: 2385.3, ask: 2385.7 },
    DJ30: { bid: 39120.4, ask: 39122.6 },
  },
};

/** Master name -> MAPPED_PRESET name. */
export const MAPPED_SYMBOL_MAP: Readonly<Record<string, string>> = {
  EURUSD: 'EURUSDm',
  GBPUSD: 'GBPUSDm',
  XAUUSD: 'GOLD',
  US30: 'DJ30',
};

/** A broker built from a preset; overrides win (e.g. marginMode: 'netting', now, ticketBase). */
export function brokerFromPreset(preset: BrokerPreset, overrides: Partial<SimBrokerOptions> = {}): SimBroker {
  return new SimBroker({
    marginMode: preset.marginMode,
    ticketBase: preset.ticketBase,
    symbols: preset.symbols,
    quotes: preset.quotes,
    ...overrides,
  });
}
