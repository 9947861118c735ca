import { MemoryStore } from '../../../hub/ledger';
import { describeStoreContract } from './store-contract';

describeStoreContract('memory', {
  dedupesEvents: false,
  async create() {
    const s = new MemoryStore();
    await s.open();
    return s;
  },
});
