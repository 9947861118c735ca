/** The ledger's public surface: the store contract, its adapters, openStore and the LedgerWriter. */
export * from './types';
export { MemoryStore } from './memory';
export { EmbeddedStore, EMBEDDED_FILES, readNedbFile, type EmbeddedStoreOptions } from './embedded';
export { MongoStore, MONGO_COLLECTIONS, MONGO_INDEXES, mapMongoError, redactUri, type MongoStoreOptions } from './mongo';
export { openStore, type OpenStoreOptions } from './open';
export { LedgerWriter, SPILL_FILE_NAME, type LedgerOp, type LedgerWriterOptions } from './writer';
