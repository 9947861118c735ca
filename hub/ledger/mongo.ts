/**
 * MongoDB ledger through the official driver: collections `accounts`, `trades` and `events` in
 * one database (default prop_copy_trader).
 *
 * Trades carry one extra field, `sort_time` (open_time, or updated_at while the copy has no
 * open_time), so "newest first" is an indexed sort instead of a computed one; it is never returned.
 * Every driver error leaves this module as a CopyBridgeError saying what to check:
 * E_CONFIG (malformed URI), E_STORE_AUTH, E_STORE_UNREACHABLE (transient: the LedgerWriter keeps
 * retrying), E_STORE_REJECTED (a document the server will never take), E_STORE.
 */
import { randomUUID } from 'crypto';
import {
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type MongoClientOptions,
} from 'mongodb';
import type { Account } from '../accounts';
import { ConfigError, CopyBridgeError, StoreError } from '../errors';
import { CLI } from '../hints';
import { tradeKeyString, type EventQuery, type LedgerEvent, type Store, type Trade, type TradeQuery, type TradeUpdate } from './types';
import { hostsOf, redactUri } from './uri';

export interface MongoStoreOptions {
  /** How long to look for the server before an operation fails; short, so a hub started against
   *  a server that is not there says so at once, and a write during an outage fails fast into
   *  the LedgerWriter's retry loop. */
  serverSelectionTimeoutMS?: number;
  connectTimeoutMS?: number;
  /** Like the embedded store's: trade/event writes and index builds are refused. */
  readOnly?: boolean;
  /** Extra driver options (tests). */
  driver?: MongoClientOptions;
}

const MONGO_COLLECTIONS = { accounts: 'accounts', trades: 'trades', events: 'events' } as const;

interface IndexSpec {
  key: Record<string, 1 | -1>;
  name: string;
  unique?: boolean;
}

/** Created by `hub setup-db` and at hub start; createIndexes is a no-op when they exist. */
export const MONGO_INDEXES: Record<keyof typeof MONGO_COLLECTIONS, IndexSpec[]> = {
  accounts: [{ key: { name: 1 }, name: 'name_unique', unique: true }],
  trades: [
    { key: { master_name: 1, master_ticket: 1, slave_name: 1 }, name: 'trade_key_unique', unique: true },
    { key: { status: 1 }, name: 'status' },
    { key: { slave_name: 1 }, name: 'slave_name' },
    { key: { master_name: 1 }, name: 'master_name' },
    { key: { sort_time: -1, updated_at: -1 }, name: 'newest_first' },
  ],
  events: [
    { key: { id: 1 }, name: 'id_unique', unique: true },
    { key: { time: -1 }, name: 'time' },
    { key: { account: 1, time: -1 }, name: 'account_time' },
    { key: { kind: 1, time: -1 }, name: 'kind_time' },
  ],
};

const TRADE_PROJECTION = { _id: 0, sort_time: 0 } as const;
const NETWORK_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoServerClosedError',
]);
/**
 * Server codes of a server going away (shutting down, stepping down, host unreachable): an outage,
 * like a dropped connection. A write batch cut by one may also come wrapped in a bulk-write error.
 */
const SHUTDOWN_CODES = new Set([6, 7, 89, 91, 189, 10107, 11600, 11602, 13435]);
/** Server codes for a document or command that will fail the same way every time. */
const REJECTION_CODES = new Set([2, 9, 14, 17, 52, 55, 56, 57, 10334, 17419, 16755, 121]);
const AUTH_CODES = new Set([18, 11, 13]);

function causes(e: unknown): Error[] {
  const out: Error[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur instanceof Error; i++) {
    out.push(cur);
    // A bulk write that lost its connection is a MongoBulkWriteError holding the network error
    // as errorResponse, not as cause.
    const inner = (cur as { errorResponse?: unknown }).errorResponse;
    cur = inner instanceof Error ? inner : (cur as { cause?: unknown }).cause;
  }
  // A server selection error keeps the per-server failure in its topology description.
  const servers = (e as { reason?: { servers?: Map<string, { error?: unknown }> } })?.reason?.servers;
  if (servers instanceof Map) for (const s of servers.values()) if (s.error instanceof Error) out.push(s.error);
  return out;
}

function isAuthError(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  const codeName = (e as { codeName?: unknown }).codeName;
  if (e.name === 'MongoMissingCredentialsError') return true;
  if (typeof code === 'number' && AUTH_CODES.has(code) && /auth/i.test(e.message + String(codeName))) return true;
  if (codeName === 'AuthenticationFailed' || /authentication failed/i.test(e.message)) return true;
  // A server without authentication support answering the driver's SCRAM handshake.
  return code === 59 && /sasl/i.test(e.message);
}

function malformedUri(uri: string, err: Error): ConfigError {
  return new ConfigError(
    `MongoDB URI "${redactUri(uri)}" is malformed: ${err.message}`,
    'use the form mongodb://[user:password@]host:27017[/?authSource=admin]; percent-encode @ : / in the password',
    { cause: err },
  );
}

/** Maps a driver error to a CopyBridgeError that says what to check; the driver error is its cause. */
export { redactUri };

export function mapMongoError(e: unknown, uri: string, action: string, timeoutMs?: number): CopyBridgeError {
  if (e instanceof CopyBridgeError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const where = redactUri(uri);
  const chain = causes(err);
  const names = chain.map((c) => c.name);
  if (names.includes('MongoParseError') || (names.includes('MongoAPIError') && /URI|connection string/i.test(err.message))) {
    return malformedUri(uri, err);
  }
  const auth = chain.find(isAuthError);
  if (auth) {
    const noSasl = (auth as { code?: unknown }).code === 59;
    return new StoreError(
      noSasl
        ? `MongoDB at ${where} does not support authentication, but the URI has credentials (${auth.message})`
        : `authentication to MongoDB at ${where} failed: ${auth.message}`,
      noSasl
        ? 'remove user:password@ from the URI, or use a server with authentication enabled'
        : 'check the user name and password in the URI (percent-encode special characters), add ?authSource=admin if the user was created in the admin database, and check the user has readWrite on the ledger database',
      { code: 'E_STORE_AUTH', cause: err },
    );
  }
  if (
    chain.some((c) => NETWORK_ERRORS.has(c.name) || SHUTDOWN_CODES.has((c as { code?: unknown }).code as number)) ||
    chain.some((c) => /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EPIPE|connection \d+ to \S+ closed/.test(c.message))
  ) {
    const within = timeoutMs !== undefined ? ` within ${timeoutMs} ms` : '';
    return new StoreError(
      `cannot reach MongoDB at ${hostsOf(uri)}${within} while trying to ${action}: ${err.message.trim()}`,
      `check that MongoDB is running (Windows: the "MongoDB Server" service; container: docker ps), that it listens on ${hostsOf(uri)} (net.bindIp / --bind_ip), that no firewall blocks the port, and that --mongo-uri / MONGO_URI is right; or use --store embedded`,
      { code: 'E_STORE_UNREACHABLE', cause: err },
    );
  }
  const code = (err as { code?: unknown }).code;
  if (err instanceof MongoServerError && typeof code === 'number' && REJECTION_CODES.has(code)) {
    return new StoreError(`MongoDB refused to ${action}: ${err.message}`, 'the document is not valid for this server', { code: 'E_STORE_REJECTED', cause: err });
  }
  return new StoreError(`MongoDB error while trying to ${action} at ${where}: ${err.message}`, 'see the MongoDB server log', { cause: err });
}

function tradeFilter(q: TradeQuery): Filter<Document> {
  const and: Filter<Document>[] = [];
  if (q.account) and.push({ $or: [{ slave_name: q.account }, { master_name: q.account }] });
  if (q.open) and.push({ status: { $in: ['open', 'pending', 'placed'] } });
  if (q.status) and.push({ status: q.status });
  if (and.length === 0) return {};
  return and.length === 1 ? and[0] : { $and: and };
}

export class MongoStore implements Store {
  readonly kind = 'mongodb' as const;
  readonly location: string;
  readonly readOnly: boolean;
  private client: MongoClient | undefined;
  private db: Db | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly uri: string,
    private readonly dbName = 'prop_copy_trader',
    private readonly opts: MongoStoreOptions = {},
  ) {
    this.location = `${/^mongodb(?:\+srv)?:\/\/[^/?]*/.exec(redactUri(uri))?.[0] ?? redactUri(uri)}/${dbName}`;
    this.readOnly = opts.readOnly ?? false;
    this.timeoutMs = opts.serverSelectionTimeoutMS ?? 3_000;
  }

  /** MongoDB has no ledger lock: any store that is not read-only may write (one hub per database). */
  get ledgerOwner(): boolean {
    return !this.readOnly;
  }

  async open(): Promise<void> {
    if (this.client) return;
    let client: MongoClient;
    try {
      client = new MongoClient(this.uri, {
        serverSelectionTimeoutMS: this.timeoutMs,
        connectTimeoutMS: this.opts.connectTimeoutMS ?? this.timeoutMs,
        appName: 'copybridge-hub',
        ignoreUndefined: true,
        ...this.opts.driver,
      });
    } catch (e) {
      // The constructor only parses the URI (MongoParseError, MongoAPIError, MongoRuntimeError
      // depending on what is wrong), so any failure here is a bad connection string.
      throw malformedUri(this.uri, e as Error);
    }
    try {
      await client.connect();
      const db = client.db(this.dbName);
      await db.command({ ping: 1 });
      this.client = client;
      this.db = db;
    } catch (e) {
      await client.close().catch(() => undefined);
      throw mapMongoError(e, this.uri, `connect to database ${this.dbName}`, this.timeoutMs);
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.db = undefined;
    await c?.close().catch(() => undefined);
  }

  private col(name: keyof typeof MONGO_COLLECTIONS): Collection<Document> {
    if (!this.db) throw new StoreError(`MongoDB store ${this.location} is not open`, 'call open() first');
    return this.db.collection(MONGO_COLLECTIONS[name]);
  }

  private async run<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw mapMongoError(e, this.uri, action, this.timeoutMs);
    }
  }

  private refuseWrite(what: string): void {
    if (this.readOnly) {
      throw new StoreError(`the MongoDB store ${this.location} is open read-only`, `${what} are written by the running hub only`, { code: 'E_STORE_READONLY' });
    }
  }

  async ensureIndexes(): Promise<void> {
    if (this.readOnly) return;
    for (const [name, specs] of Object.entries(MONGO_INDEXES) as [keyof typeof MONGO_COLLECTIONS, IndexSpec[]][]) {
      await this.run(`create the indexes of ${name}`, async () => {
        try {
          await this.col(name).createIndexes(specs.map((s) => ({ key: s.key, name: s.name, ...(s.unique ? { unique: true } : {}) })));
        } catch (e) {
          if ((e as { code?: unknown }).code === 11000) {
            throw new StoreError(
              `cannot create the unique index of ${this.dbName}.${name}: it holds duplicates (${(e as Error).message})`,
              `remove the duplicate documents from ${name} (the message names one key), then run \`${CLI} setup-db\` again`,
              { cause: e },
            );
          }
          throw e;
        }
      });
    }
  }

  async listAccounts(): Promise<Account[]> {
    const docs = await this.run('list accounts', () => this.col('accounts').find({}, { projection: { _id: 0 } }).toArray());
    return (docs as unknown as Account[]).sort((a, b) => a.name.localeCompare(b.name));
  }

  async getAccount(name: string): Promise<Account | undefined> {
    const doc = await this.run('read an account', () => this.col('accounts').findOne({ name }, { projection: { _id: 0 } }));
    return (doc as unknown as Account | null) ?? undefined;
  }

  async upsertAccount(account: Account): Promise<void> {
    await this.run(`save account ${account.name}`, () => this.col('accounts').replaceOne({ name: account.name }, { ...account }, { upsert: true }));
  }

  async removeAccount(name: string): Promise<boolean> {
    const r = await this.run(`remove account ${name}`, () => this.col('accounts').deleteOne({ name }));
    return r.deletedCount > 0;
  }

  async upsertTrades(updates: TradeUpdate[]): Promise<void> {
    this.refuseWrite('trades');
    if (updates.length === 0) return;
    const ops: AnyBulkWriteOperation<Document>[] = [];
    for (const u of updates) {
      const set: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(u.set)) if (v !== undefined) set[k] = v;
      if (set.open_time !== undefined) set.sort_time = set.open_time;
      ops.push({ updateOne: { filter: { ...u.key }, update: { $set: set }, upsert: true } });
      const k = tradeKeyString(u.key);
      if (set.open_time !== undefined) this.rememberOpenTime(k);
      else if (set.updated_at !== undefined && !this.hasOpenTime.has(k)) {
        // The copy has no open time yet: it sorts by its latest update, as in the memory store.
        ops.push({ updateOne: { filter: { ...u.key, open_time: { $exists: false } }, update: { $set: { sort_time: set.updated_at } } } });
      }
    }
    await this.run(`write ${updates.length} trade updates`, () => this.col('trades').bulkWrite(ops, { ordered: true }));
  }

  /**
   * Keys this process has written an open_time for: their updates need no second, conditional
   * sort_time op (which also costs a collection scan on servers that only use an index for an
   * exact key match). Bounded; forgetting a key only costs that extra op.
   */
  private hasOpenTime = new Set<string>();

  private rememberOpenTime(key: string): void {
    if (this.hasOpenTime.size >= 200_000) this.hasOpenTime.clear();
    this.hasOpenTime.add(key);
  }

  async findTrades(q: TradeQuery): Promise<Trade[]> {
    if (q.limit !== undefined && q.limit <= 0) return [];
    return this.run('read trades', () => {
      let cursor = this.col('trades').find(tradeFilter(q), { projection: TRADE_PROJECTION }).sort({ sort_time: -1, updated_at: -1 });
      if (q.skip) cursor = cursor.skip(q.skip);
      if (q.limit !== undefined) cursor = cursor.limit(q.limit);
      return cursor.toArray() as unknown as Promise<Trade[]>;
    });
  }

  async countTrades(q: TradeQuery): Promise<number> {
    return this.run('count trades', () => this.col('trades').countDocuments(tradeFilter(q)));
  }

  async appendEvents(events: LedgerEvent[]): Promise<void> {
    this.refuseWrite('events');
    if (events.length === 0) return;
    const docs = events.map((e) => ({ ...e, id: e.id ?? randomUUID() }));
    await this.run(`write ${events.length} events`, async () => {
      try {
        // Unordered, so a replayed batch inserts what is missing and reports the rest as duplicates.
        await this.col('events').insertMany(docs, { ordered: false });
      } catch (e) {
        if (e instanceof MongoBulkWriteError) {
          const errs = [e.writeErrors].flat();
          if (errs.length > 0 && errs.every((w) => w.code === 11000)) return;
        }
        throw e;
      }
    });
  }

  async findEvents(q: EventQuery): Promise<LedgerEvent[]> {
    if (q.limit !== undefined && q.limit <= 0) return [];
    const filter: Filter<Document> = {};
    if (q.account) filter.account = q.account;
    if (q.kind) filter.kind = q.kind;
    return this.run('read events', () => {
      let cursor = this.col('events').find(filter, { projection: { _id: 0 } }).sort({ time: -1, _id: -1 });
      if (q.limit !== undefined) cursor = cursor.limit(q.limit);
      return cursor.toArray() as unknown as Promise<LedgerEvent[]>;
    });
  }
}
