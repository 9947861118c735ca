/** The store contract against a real MongoDB-protocol server (test/helpers/mongo-server.ts). */
import type { Store } from '../../../hub/ledger';
import { MongoStore } from '../../../hub/ledger/mongo';
import { useMongoServer } from '../../helpers/mongo-server';
import { describeStoreContract } from './store-contract';

jest.setTimeout(60_000);

const mongo = useMongoServer();

async function openMongo(db: string): Promise<Store> {
  const s = new MongoStore(mongo.server.uri, db, { serverSelectionTimeoutMS: 5_000 });
  await s.open();
  await s.ensureIndexes();
  return s;
}

describeStoreContract('mongodb', {
  dedupesEvents: true,
  create: () => openMongo(mongo.dbName('contract')),
  async reopen(store) {
    await store.close();
    return openMongo(store.location.split('/').pop()!);
  },
});
