import { EmbeddedStore, type Store } from '../../../hub/ledger';
import { removeTempDirs, tempDir } from '../../helpers';
import { describeStoreContract } from './store-contract';

afterAll(() => removeTempDirs());

async function openEmbedded(dir: string): Promise<Store> {
  const s = new EmbeddedStore(dir);
  await s.open();
  await s.ensureIndexes();
  return s;
}

describeStoreContract('embedded', {
  dedupesEvents: true,
  async create() {
    return openEmbedded(tempDir('copybridge-embedded-'));
  },
  async reopen(store) {
    await store.close();
    return openEmbedded(store.location);
  },
});

// The same contract with trades.idx rewritten after every 2 trades: queries then always merge the
// index with a tail that replaces some of its entries.
describeStoreContract('embedded, index rewritten every 2 trades', {
  dedupesEvents: true,
  async create() {
    const s = new EmbeddedStore(tempDir('copybridge-embedded-'), { tradeTailMax: 2 });
    await s.open();
    await s.ensureIndexes();
    return s;
  },
  async reopen(store) {
    await store.close();
    const s = new EmbeddedStore(store.location, { tradeTailMax: 2 });
    await s.open();
    await s.ensureIndexes();
    return s;
  },
});
