/** RunningHub.subscribe: the engine's events and the ledger's outages, each outage told once. */
import { StoreError } from '../../hub/errors';
import { startHub, type HubEvent } from '../../hub/hub';
import { MemoryStore } from '../../hub/ledger/memory';
import type { LedgerEvent } from '../../hub/ledger/types';
import { memoryLogger } from '../../hub/log';
import { sleep, until } from '../helpers';

/** A memory store whose event writes fail while `down`. */
class FlakyStore extends MemoryStore {
  down = false;
  failed = 0;
  override appendEvents(events: LedgerEvent[]): Promise<void> {
    if (!this.down) return super.appendEvents(events);
    this.failed++;
    return Promise.reject(new StoreError('connection refused', undefined, { code: 'E_STORE_UNREACHABLE' }));
  }
}

it('tells a ledger outage once when it starts and once when it ends, and stops telling after unsubscribe', async () => {
  const store = new FlakyStore();
  const log = memoryLogger('debug');
  const hub = await startHub({ config: { store: 'memory', pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*' }, store, logger: log });
  const heard: HubEvent[] = [];
  const off = hub.subscribe((e) => heard.push(e));
  try {
    store.down = true;
    hub.ledger.event({ time: new Date().toISOString(), kind: 'test', message: 'one' });
    // Several failed retries (200 ms, then doubling) while it is down.
    await until(() => store.failed >= 3 || undefined, { what: 'three failed writes', timeoutMs: 10_000 });
    expect(heard).toEqual([expect.objectContaining({ type: 'ledger', ok: false, message: expect.stringMatching(/^ledger: memory write failed \(connection refused\)/) })]);
    store.down = false;
    await until(() => heard.length === 2 || undefined, { what: 'the recovery', timeoutMs: 10_000 });
    expect(heard[1]).toMatchObject({ type: 'ledger', ok: true, message: expect.stringMatching(/^ledger: memory reachable again/) });
    off();
    store.down = true;
    hub.ledger.event({ time: new Date().toISOString(), kind: 'test', message: 'two' });
    await sleep(500);
    expect(heard).toHaveLength(2);
    store.down = false;
  } finally {
    await hub.stop();
  }
});
