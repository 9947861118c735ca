/**
 * Simulated MetaTrader terminals and brokers for the tests, `hub demo` and the benchmark. Not part
 * of the hub's build: the demo loads it on demand (hub/cli/demo.ts).
 */
export { SimBroker, type SimBrokerEvent, type SimBrokerOptions } from './broker';
export { SimTerminal, type SimTerminalOptions } from './terminal';
export { SimJournal } from './journal';
export { Retcode } from './retcodes';
export { MASTER_PRESET, SUFFIX_PRESET, MAPPED_PRESET, MAPPED_SYMBOL_MAP, brokerFromPreset, type BrokerPreset } from './presets';
