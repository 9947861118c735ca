import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { EmbeddedStore, type Store } from '../../../hub/ledger';
import { describeStoreContract } from './store-contract';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function openEmbedded(dir: string): Promise<Store> {
  const s = new EmbeddedStore(dir);
  await s.open();
  await s.ensureIndexes();
  return s;
}

describeStoreContract('embedded', {
  dedupesEvents: true,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'copybridge-embedded-'));
    dirs.push(dir);
    return openEmbedded(dir);
  },
  async reopen(store) {
    await store.close();
    return openEmbedded(store.location);
  },
});
