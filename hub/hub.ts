/** Wires config, store, ledger writer, engine and transport into one running hub. */
import { validateAccount, type Account } from './accounts';
import { makeConfig, type ConfigInput, type HubConfig } from './config';
import { Engine } from './engine';
import { CLI, hints } from './hints';
import { LedgerWriter } from './ledger/writer';
import { openStore } from './ledger/open';
import type { Store } from './ledger/types';
import { createLogger, type Logger } from './log';
import { StoreError } from './errors';
import { decodeTerminalFrames, ProtocolError, type Body, type HubMessage } from './protocol';
import { Transport } from './transport';
import { openCurve, type CurveSide } from './transport/curve';

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
  /** With CURVE: the hub's public key (every EA's InpServerKey). */
  readonly serverPublicKey: string | undefined;
  /** Publishes a message to one account's topic (envelope fields are stamped). */
  sendTo(account: string, body: Body<HubMessage> | HubMessage): void;
  /** Re-reads accounts from the store (and, with CURVE, the terminal keys) now. */
  reloadAccounts(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Loads the live copies an earlier hub process left (status open or pending) into the engine
 * before any message, after the writer replayed a spill file left behind. Without them the hub
 * still heals from the slaves' snapshots, only without the copies' ratios.
 */
async function restoreCopies(engine: Engine, store: Store, ledger: LedgerWriter, log: Logger): Promise<void> {
  try {
    await ledger.flush();
    engine.restore(await store.findTrades({ open: true }));
  } catch (e) {
    log.warn(`could not read live copies from ${store.kind} (${(e as Error).message}); they are found again from the slaves' snapshots`);
  }
}

export async function startHub(opts: StartOptions = {}): Promise<RunningHub> {
  const config = makeConfig(opts.config);
  const log = opts.logger ?? createLogger({ level: config.logLevel, format: config.logFormat, file: config.logFile || undefined, retentionDays: config.logRetentionDays });
  // Before the store opens: damaged key files stop the start with nothing to undo.
  const curve: CurveSide | undefined = config.curve ? openCurve(config.dataDir, log) : undefined;
  const ownStore = !opts.store;
  const store = opts.store ?? (await openStore(config, { onWarning: (w) => log.warn(w) }));
  if (ownStore) await store.open();
  await store.ensureIndexes();
  if (!store.ledgerOwner) {
    if (ownStore) await store.close();
    throw new StoreError(
      `the ledger in ${store.location} is held by another running hub`,
      'only one hub may use a data folder: stop the other hub, or give this one its own --data-dir',
      { code: 'E_STORE_LOCKED' },
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

  // The engine's sends go out through the transport built below; a fresh engine sends nothing
  // before then.
  const send = (account: string, body: Body<HubMessage>) => transport.send(account, body);
  const engine = new Engine({ config, send, ledger, log });
  engine.setAccounts(await store.listAccounts());
  await restoreCopies(engine, store, ledger, log);

  const transport = new Transport({
    pubEndpoint: config.pubEndpoint,
    pullEndpoint: config.pullEndpoint,
    maxMessageBytes: config.maxMessageBytes,
    curve: curve?.options,
    onMessage: (frames, receivedAt, owner) => {
      try {
        const msg = decodeTerminalFrames(frames, config.maxMessageBytes);
        // With CURVE a terminal acts only as the account its key was issued for.
        if (owner !== undefined && msg.account !== owner) {
          const text = `account "${msg.account}" is not the account of this terminal's CURVE key (${owner}): message refused; set the EA's InpAccountName to ${owner}, or give this terminal ${msg.account}'s key (${hints.issueKey(msg.account)})`;
          engine.rejectInvalid({ account: owner, type: msg.type, seq: msg.seq }, 'E_INVALID_MESSAGE', text);
          // An EA listens on the name it sends (InpAccountName): a mistyped one hears it there.
          if (curve?.answerClaimed(owner)) transport.send(msg.account, { type: 'error', code: 'E_INVALID_MESSAGE', message: text, ref_type: msg.type, ref_seq: msg.seq });
          return;
        }
        engine.handle(msg, receivedAt);
      } catch (e) {
        // With CURVE the answer goes to the key's account, whatever name the bad message claims.
        if (e instanceof ProtocolError) engine.rejectInvalid(owner !== undefined ? { ...e.ref, account: owner } : e.ref, e.code, e.message);
        else log.error(`internal error handling a message: ${(e as Error).stack ?? String(e)}`);
      }
    },
  });
  await transport.bind();
  log.info(`hub listening: PUB ${transport.pubEndpoint}, PULL ${transport.pullEndpoint}${curve ? `, CURVE on (server key ${curve.publicKey})` : ''}; store ${store.kind} (${store.location})`);
  const accounts = await store.listAccounts();
  if (!accounts.length) log.warn(`no accounts registered: add them with \`${hints.addAnyAccount}\` (or \`${CLI} setup-db\` for samples)`);

  const tickMs = opts.tickMs ?? Math.min(Math.floor(config.resendMs / 2), 50);
  const ticker = setInterval(() => engine.tick(), tickMs);
  /** With CURVE: new keys are admitted at once; a revocation also closes every connection (ZAP judges new ones only). */
  const reloadKeys = async () => {
    let revoked = 0;
    try {
      revoked = curve?.refresh().length ?? 0;
    } catch (e) {
      log.warn(`CURVE: could not re-read the terminal keys (the previous ones stay in force): ${(e as Error).message}`);
    }
    if (!revoked) return;
    await transport.dropConnections().catch((e: Error) => {
      log.error(`CURVE: could not close the connections after a revocation (${e.message}); the revoked key's messages are refused, but its terminal stays connected until it reconnects`);
    });
  };
  let reloading = false;
  const reloadAccounts = async () => {
    if (reloading) return;
    reloading = true;
    try {
      engine.setAccounts(await store.listAccounts());
    } catch (e) {
      log.warn(`could not re-read accounts from ${store.kind}: ${(e as Error).message}`);
    }
    try {
      await reloadKeys();
    } finally {
      reloading = false;
    }
  };
  const reloader = setInterval(() => void reloadAccounts(), config.accountsReloadMs);

  let stopped = false;
  return {
    config,
    engine,
    store,
    ledger,
    log,
    serverPublicKey: curve?.publicKey,
    pubEndpoint: transport.pubEndpoint,
    pullEndpoint: transport.pullEndpoint,
    sendTo: (account, body) => transport.send(account, body),
    reloadAccounts,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(ticker);
      clearInterval(reloader);
      await transport.close();
      const left = await ledger.close();
      if (left) log.warn(`ledger: ${left} writes not flushed at stop`);
      if (ownStore) await store.close();
      log.info('hub stopped');
    },
  };
}
