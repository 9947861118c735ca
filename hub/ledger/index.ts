/**
 * The ledger's public surface: the store contract, its adapters, openStore and the LedgerWriter.
 * The MongoDB adapter is not re-exported: it loads the driver, which only a hub on the mongodb
 * store needs (openStore imports it then). Import MongoStore from './mongo' where it is wanted.
 */
export * from './types';
export { MemoryStore } from './memory';
export { EmbeddedStore, EMBEDDED_FILES, type EmbeddedStoreOptions } from './embedded';
export type { MongoStoreOptions } from './mongo';
export { openStore, type OpenStoreOptions } from './open';
export { LedgerWriter, SPILL_FILE_NAME, type LedgerOp, type LedgerWriterOptions } from './writer';
