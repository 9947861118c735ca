/** Wires config, store, ledger writer, engine and transport into one running hub. */
import { validateAccount, type Account } from './accounts';
import { makeConfig, type ConfigInput, type HubConfig } from './config';
import { Engine } from './engine';
import { LedgerWriter } from './ledger/writer';
import { MemoryStore } from './ledger/memory';
import { openStore } from './ledger/open';
import type { Store } from './ledger/types';
import { createLogger, type Logger } from './log';
import { StoreError } from './errors';
import { decodeTerminalMessage, ProtocolError, type Body, type HubMessage } from './protocol';
import { Transport } from './transport';

export interface StartOptions {
  /** Full config (from loadConfig) or overrides of the defaults. */
  config?: HubConfig | ConfigInput;
  /** Accounts written to the store before the hub starts (tests, demo). */
  accounts?: Partial<Account>[];
  /** An already open store; the hub does not close it on stop. */
  store?: Store;
  logger?: Logger;
  /** Engine tick period; default min(resendMs / 2, 50) ms. */
  tickMs?: number;
}

export interface RunningHub {
  readonly config: HubConfig;
  readonly engine: Engine;
  readonly store: Store;
  readonly ledger: LedgerWriter;
  readonly pubEndpoint: string;
  readonly pullEndpoint: string;
  readonly log: Logger;
  /** Publishes a message to one account's topic (envelope fields are stamped). */
  sendTo(account: string, body: Body<HubMessage> | HubMessage): void;
  /** Re-reads accounts from the store now. */
  reloadAccounts(): Promise<void>;
  stop(): Promise<void>;
}

const ACCOUNT_IN_PREFIX = /"account"\s*:\s*"([A-Za-z0-9._@-]{1,64})"/;

export async function startHub(opts: StartOptions = {}): Promise<RunningHub> {
  const config = makeConfig(opts.config as ConfigInput);
  const log = opts.logger ?? createLogger({ level: config.logLevel, file: config.logFile || undefined });
  const ownStore = !opts.store;
  const store = opts.store ?? (config.store === 'memory' ? new MemoryStore() : await openStore(config));
  if (ownStore) await store.open();
  await store.ensureIndexes();
  if ((store as { ledgerOwner?: boolean }).ledgerOwner === false) {
    if (ownStore) await store.close();
    throw new StoreError(
      `the ledger in ${store.location} is held by another running hub`,
      'only one hub may use a data folder: stop the other hub, or give this one its own --data-dir',
      'E_STORE_LOCKED',
    );
  }
  for (const a of opts.accounts ?? []) await store.upsertAccount(validateAccount(a));

  const ledger = new LedgerWriter(store, {
    maxQueue: config.ledgerQueueMax,
    spillDir: config.store === 'memory' ? undefined : config.dataDir,
    onError: (e, n) => log.error(`ledger: ${store.kind} write failed (${e.message}); copying continues, ${n} writes queued`),
    onRecover: (n) => log.info(`ledger: ${store.kind} reachable again, ${n} writes left to flush`),
    onSpill: (file, n) => log.warn(`ledger: write queue full, ${n} writes spill to ${file} until ${store.kind} catches up`),
    onOverflow: (n) => log.error(`ledger: ${n} writes dropped (no spill file for the ${store.kind} store)`),
  });

  let transport: Transport | undefined;
  const send = (account: string, body: Body<HubMessage>) => transport?.send(account, body);
  const engine = new Engine({ config, send, ledger, log });
  engine.setAccounts(await store.listAccounts());

  transport = new Transport({
    pubEndpoint: config.pubEndpoint,
    pullEndpoint: config.pullEndpoint,
    maxMessageBytes: config.maxMessageBytes,
    onMessage: (frames, receivedAt) => {
      const bytes = frames[0];
      if (frames.length !== 1) {
        const account = ACCOUNT_IN_PREFIX.exec(bytes.subarray(0, 4096).toString('utf8'))?.[1];
        engine.rejectInvalid({ account }, 'E_INVALID_MESSAGE', `expected one frame per message, got ${frames.length}; send the JSON as a single frame`);
        return;
      }
      try {
        engine.handle(decodeTerminalMessage(bytes, config.maxMessageBytes), receivedAt);
      } catch (e) {
        if (e instanceof ProtocolError) {
          const ref = { ...e.ref };
          if (!ref.account) ref.account = ACCOUNT_IN_PREFIX.exec(bytes.subarray(0, 4096).toString('utf8'))?.[1];
          engine.rejectInvalid(ref, e.code, e.message);
        } else {
          log.error(`internal error handling a message: ${(e as Error).stack ?? e}`);
        }
      }
    },
  });
  await transport.bind();
  log.info(`hub listening: PUB ${transport.pubEndpoint}, PULL ${transport.pullEndpoint}; store ${store.kind} (${store.location})`);
  const accounts = await store.listAccounts();
  if (!accounts.length) log.warn('no accounts registered: add them with `npx hub accounts add NAME --type MASTER|SLAVE` (or `npx hub setup-db` for samples)');

  const tickMs = opts.tickMs ?? Math.min(Math.floor(config.resendMs / 2), 50);
  const ticker = setInterval(() => engine.tick(), tickMs);
  let reloading = false;
  const reloadAccounts = async () => {
    if (reloading) return;
    reloading = true;
    try {
      engine.setAccounts(await store.listAccounts());
    } catch (e) {
      log.warn(`could not re-read accounts from ${store.kind}: ${(e as Error).message}`);
    } finally {
      reloading = false;
    }
  };
  const reloader = setInterval(() => void reloadAccounts(), config.accountsReloadMs);

  let stopped = false;
  const t = transport;
  return {
    config,
    engine,
    store,
    ledger,
    log,
    pubEndpoint: t.pubEndpoint,
    pullEndpoint: t.pullEndpoint,
    sendTo: (account, body) => t.send(account, body as Body<HubMessage>),
    reloadAccounts,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(ticker);
      clearInterval(reloader);
      await t.close();
      const left = await ledger.close();
      if (left) log.warn(`ledger: ${left} writes not flushed at stop`);
      if (ownStore) await store.close();
      log.info('hub stopped');
    },
  };
}
