/** Simulated MetaTrader terminals for tests, `hub demo` and the benchmark. */
export {
  SimBroker,
  chooseFilling,
  normalizePrice,
  normalizeVolume,
  truncateComment,
  MAX_COMMENT,
  type AccountState,
  type BrokerEvent,
  type CloseOptions,
  type DealReason,
  type DealRecord,
  type Filling,
  type MarginMode,
  type OrderRequest,
  type PositionChangeRecord,
  type Quote,
  type SimBrokerOptions,
  type TradeAction,
  type TradeResult,
} from './broker';
export { SimTerminal, type CurveKeys, type SimTerminalOptions } from './terminal';
export { SimJournal, type CopyRecord, type JournalData, type StoredResult } from './journal';
export { Retcode, RETRYABLE_RETCODES, retcodeMessage } from './retcodes';
export {
  MASTER_PRESET,
  SUFFIX_PRESET,
  MAPPED_PRESET,
  MAPPED_SYMBOL_MAP,
  PRESETS,
  brokerFromPreset,
  type BrokerPreset,
} from './presets';
