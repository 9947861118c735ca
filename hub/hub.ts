/** Wires config, store, ledger writer, engine and transport into one running hub. */
import { loadAccounts, validateAccount, type Account } from './accounts';
import { makeConfig, type ConfigInput, type HubConfig } from './config';
import { BlackoutFile } from './blackouts';
import { Engine, type EngineEvent } from './engine';
import { GUARD_STATE_EVENT, guardStateFrom } from './engine/protect';
import { Feed } from './feed';
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

/** The ledger store became unreachable (ok false) or reachable again (ok true). */
export interface LedgerEventNote {
  type: 'ledger';
  time: number;
  ok: boolean;
  message: string;
}

/** What a running hub tells listeners: the engine's events and the ledger's outages. */
export type HubEvent = EngineEvent | LedgerEventNote;

export interface RunningHub {
  readonly config: HubConfig;
  readonly engine: Engine;
  readonly store: Store;
  readonly ledger: LedgerWriter;
  readonly pubEndpoint: string;
  readonly pullEndpoint: string;
  readonly log: Logger;
  readonly startedAt: number;
  /** Hears every HubEvent from now on; returns the way to stop. */
  subscribe(listener: (e: HubEvent) => void): () => void;
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

/**
 * The guards' states an earlier hub process left (the latest guard_state event of each protected
 * slave): today's anchor, the trailing peak and the trips survive a restart.
 */
async function restoreGuards(engine: Engine, store: Store, accounts: Account[], log: Logger): Promise<void> {
  for (const a of accounts) {
    if (!a.protection) continue;
    try {
      const [e] = await store.findEvents({ account: a.name, kind: GUARD_STATE_EVENT, limit: 1 });
      const state = guardStateFrom(e?.data);
      if (state) engine.restoreGuard(a.name, state);
    } catch (err) {
      log.warn(`protection ${a.name}: could not read its state from ${store.kind} (${(err as Error).message}); the anchor is taken afresh from its next heartbeat`);
    }
  }
}

export async function startHub(opts: StartOptions = {}): Promise<RunningHub> {
  const config = makeConfig(opts.config);
  const log = opts.logger ?? createLogger({ level: config.logLevel, format: config.logFormat, file: config.logFile || undefined, retentionDays: config.logRetentionDays });
  const blackouts = config.blackoutFile ? new BlackoutFile(config.blackoutFile, log) : undefined;
  const blackoutList = blackouts?.load();
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

  const feed = new Feed<LedgerEventNote>((e) => log.error(`hub event listener failed: ${(e as Error)?.stack ?? String(e)}`));
  // The writer reports an outage once when it starts and once when it ends, however often it retries.
  const ledgerNote = (ok: boolean, message: string) => {
    if (ok) log.info(message);
    else log.error(message);
    feed.emit({ type: 'ledger', time: Date.now(), ok, message });
  };
  const ledger = new LedgerWriter(store, {
    maxQueue: config.ledgerQueueMax,
    spillDir: config.store === 'memory' ? undefined : config.dataDir,
    onError: (e, n) => ledgerNote(false, `ledger: ${store.kind} write failed (${e.message}); copying continues, ${n} writes queued`),
    onRecover: (n) => ledgerNote(true, `ledger: ${store.kind} reachable again, ${n} writes left to flush`),
    onSpill: (file, n) => log.warn(`ledger: write queue full, ${n} writes spill to ${file} until ${store.kind} catches up`),
    onOverflow: (n) => log.error(`ledger: ${n} writes dropped (no spill file for the ${store.kind} store)`),
  });

  // The engine's sends go out through the transport built below; a fresh engine sends nothing
  // before then.
  const send = (account: string, body: Body<HubMessage>) => transport.send(account, body);
  const engine = new Engine({ config, send, ledger, log });
  const startedAt = Date.now();
  // Records are validated as they are read: one edited by hand into something invalid is not
  // loaded (its last valid version stays), and the log says why once per distinct problem.
  let loaded: Account[] = [];
  let reported = new Set<string>();
  const loadInto = async () => {
    const { accounts, errors } = loadAccounts(await store.listAccounts(), loaded);
    const now = new Set<string>();
    for (const { name, error, kept } of errors) {
      const line = `account ${name} in the ${store.kind} store is invalid: ${error.message}; ${kept ? 'its last valid settings stay in force' : 'not loaded'} (what to do: ${error.hint ?? `${CLI} accounts set ${name} ...`})`;
      now.add(line);
      if (!reported.has(line)) log.error(line);
    }
    reported = now;
    loaded = accounts;
    engine.setAccounts(accounts);
  };
  await loadInto();
  await restoreCopies(engine, store, ledger, log);
  await restoreGuards(engine, store, await store.listAccounts(), log);
  if (blackoutList) engine.setBlackouts(blackoutList);

  /**
   * Reconciliation passes go a slice at a time (reconcileSlice), each slice in its own turn of the
   * event loop after the messages that came meanwhile: a pass over 100,000 copies delays a copy by
   * one slice, not by the whole pass.
   */
  let reconcileQueued: NodeJS.Immediate | undefined;
  const reconcileSoon = () => {
    reconcileQueued ??= setImmediate(() => {
      reconcileQueued = undefined;
      if (engine.reconcileStep()) reconcileSoon();
    });
  };

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
        if (engine.reconciling) reconcileSoon();
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
  const ticker = setInterval(() => {
    if (engine.tick()) reconcileSoon();
  }, tickMs);
  /**
   * With CURVE: new keys are admitted at once. A revoked key's messages are refused from the next
   * read on (its proof is no longer known). The connections are not closed to make ZAP judge them
   * again: unbinding under live CURVE connections tripped a libzmq assertion (pipe.cpp
   * "term_ack_sent") that aborts the process, which would take every copy down with it.
   */
  const reloadKeys = () => {
    try {
      curve?.refresh();
    } catch (e) {
      log.warn(`CURVE: could not re-read the terminal keys (the previous ones stay in force): ${(e as Error).message}`);
    }
  };
  let reloading = false;
  const reloadAccounts = async () => {
    if (reloading) return;
    reloading = true;
    try {
      const changed = blackouts?.reloadIfChanged();
      if (changed) engine.setBlackouts(changed);
      await loadInto();
    } catch (e) {
      log.warn(`could not re-read accounts from ${store.kind}: ${(e as Error).message}`);
    }
    try {
      reloadKeys();
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
    startedAt,
    subscribe(listener) {
      const offEngine = engine.subscribe(listener);
      const offHub = feed.subscribe(listener);
      return () => {
        offEngine();
        offHub();
      };
    },
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
      if (reconcileQueued) clearImmediate(reconcileQueued);
      await transport.close();
      const left = await ledger.close();
      if (left) log.warn(`ledger: ${left} writes not flushed at stop`);
      if (ownStore) await store.close();
      log.info('hub stopped');
    },
  };
}
