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
