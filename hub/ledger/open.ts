/**
 * Picks the ledger store from the configuration. The store comes back unopened: callers open()
 * it (that is where an unreachable MongoDB or a bad data folder is reported), and the hub then
 * calls ensureIndexes().
 *
 * readOnly is for processes that are not the running hub, such as `hub trades`: they must never
 * load the embedded trades/events files with nedb, which rewrites them while the hub appends. Account writes still work read-only (see embedded.ts for who owns what).
 */
import type { HubConfig } from '../config';
import { ConfigError } from '../errors';
import { EmbeddedStore } from './embedded';
import { MemoryStore } from './memory';
import type { MongoStoreOptions } from './mongo';
import type { Store } from './types';

export interface OpenStoreOptions {
  readOnly?: boolean;
  /** Embedded store: told of damaged lines moved out of a data file. */
  onWarning?: (message: string) => void;
  /** MongoDB only: see MongoStoreOptions.serverSelectionTimeoutMS. */
  serverSelectionTimeoutMS?: number;
  mongo?: MongoStoreOptions;
}

export async function openStore(config: HubConfig, opts: OpenStoreOptions = {}): Promise<Store> {
  switch (config.store) {
    case 'memory':
      return new MemoryStore();
    case 'embedded':
      return new EmbeddedStore(config.dataDir, { readOnly: opts.readOnly, onWarning: opts.onWarning });
    case 'mongodb': {
      if (!config.mongoUri) {
        throw new ConfigError('store is mongodb but no mongoUri is set', 'pass --mongo-uri mongodb://host:27017 or set MONGO_URI');
      }
      // Loaded only when used: the driver adds about 22 MB to a hub on the embedded store.
      const { MongoStore } = await import('./mongo');
      return new MongoStore(config.mongoUri, config.mongoDb, {
        ...opts.mongo,
        readOnly: opts.readOnly,
        serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? opts.mongo?.serverSelectionTimeoutMS,
      });
    }
    default:
      throw new ConfigError(`unknown store "${String(config.store)}"`, 'use embedded, mongodb or memory');
  }
}
