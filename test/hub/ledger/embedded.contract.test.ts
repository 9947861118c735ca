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

// The same contract with trades.idx rewritten after every 2 trades (index summary spans of 3): queries then always merge the
// index with a tail that replaces some of its entries.
describeStoreContract('embedded, index rewritten every 2 trades, spans of 3', {
  dedupesEvents: true,
  async create() {
    const s = new EmbeddedStore(tempDir('copybridge-embedded-'), { tradeLog: { tailMax: 2, span: 3 } });
    await s.open();
    await s.ensureIndexes();
    return s;
  },
  async reopen(store) {
    await store.close();
    const s = new EmbeddedStore(store.location, { tradeLog: { tailMax: 2, span: 3 } });
    await s.open();
    await s.ensureIndexes();
    return s;
  },
});
