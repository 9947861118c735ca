/**
 * What every chaos run stands on: a temporary data folder (or a MongoDB-protocol server), the
 * accounts registered through the store API, the hub process on two fixed loopback ports and the
 * simulated terminals, welcomed; then the settle period and the check; then everything removed.
 */
import { mkdtempSync, rmSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { validateAccount } from '../hub/accounts';
import { makeConfig, type HubConfig } from '../hub/config';
import { openStore } from '../hub/ledger/open';
import type { Store, Trade } from '../hub/ledger/types';
import { startMongoServer, type MongoTestServer } from '../test/helpers/mongo-server';
import { check, type CheckInput, type CheckResult } from './check';
import { HubProcess } from './hub-process';
import { MAGIC, MASTERS, SLAVES, accountRecords, makeWorld, slaveState, type World } from './world';

/** Temporary folders of rigs not closed yet; removed if this process exits first. */
const folders = new Set<string>();
process.once('exit', () => {
  for (const d of folders) rmSync(d, { recursive: true, force: true });
});

/** Hub timings for a run measured in seconds, not minutes. */
export const HUB_ENV: Readonly<Record<string, string>> = {
  COPYBRIDGE_HEARTBEAT_MS: '300',
  COPYBRIDGE_COMMAND_TTL_MS: '3000',
  COPYBRIDGE_RESEND_MS: '300',
  COPYBRIDGE_SNAPSHOT_MS: '1000',
  COPYBRIDGE_RECONCILE_MS: '300',
  // Every master position of a run is young enough to be copied late: nothing is legitimately missed.
  COPYBRIDGE_MAX_DELAY_MS: '600000',
  COPYBRIDGE_ACCOUNTS_RELOAD_MS: '500',
  // The runner's own environment must not pick another store.
  MONGO_URI: '',
  MONGO_URL: '',
  COPYBRIDGE_STORE: '',
};

export type StoreKind = 'embedded' | 'mongodb';

export interface RigOptions {
  seed: number;
  store?: StoreKind;
  hubLog?: (line: string) => void;
}

export interface Heal {
  /** ms from the end of the last fault until the slowest item was right for good. */
  maxMs: number;
  p95Ms: number;
  items: number;
  /** Items still wrong when the settle period ended. */
  unhealed: number;
}

export class Rig {
  readonly hub: HubProcess;
  readonly world: World;
  readonly mongo?: MongoTestServer;
  private readonly storeConfig: HubConfig;

  private constructor(
    private readonly dir: string,
    readonly dataDir: string,
    readonly mongoDb: string,
    hub: HubProcess,
    world: World,
    mongo: MongoTestServer | undefined,
  ) {
    this.hub = hub;
    this.world = world;
    this.mongo = mongo;
    this.storeConfig = makeConfig({ store: mongo ? 'mongodb' : 'embedded', dataDir, mongoUri: mongo?.uri ?? '', mongoDb });
  }

  /** Sets everything up; on failure whatever was started is stopped again. */
  static async start(opts: RigOptions): Promise<Rig> {
    const dir = mkdtempSync(join(tmpdir(), 'copybridge-chaos-'));
    folders.add(dir);
    const dataDir = join(dir, 'data');
    const mongoDb = `copybridge_chaos_${process.pid}_${opts.seed}`;
    let mongo: MongoTestServer | undefined;
    let rig: Rig | undefined;
    try {
      if (opts.store === 'mongodb') mongo = await startMongoServer({ persistent: true });
      const [pubPort, pullPort] = await portPair();
      const endpoints = { pub: `tcp://127.0.0.1:${pubPort}`, pull: `tcp://127.0.0.1:${pullPort}` };
      const hub = new HubProcess({ ...endpoints, dataDir, store: mongo ? 'mongodb' : 'embedded', mongoUri: mongo?.uri, mongoDb, env: { ...HUB_ENV }, onLine: opts.hubLog });
      rig = new Rig(dir, dataDir, mongoDb, hub, makeWorld(endpoints, opts.seed), mongo);
      await rig.registerAccounts();
      await hub.start();
      const all = rig.world.all;
      await Promise.all(all.map((t) => t.start()));
      await Promise.all(all.map((t) => t.waitFor(() => t.role, 15_000, `${t.account} welcome`)));
      return rig;
    } catch (e) {
      if (rig) await rig.close();
      else {
        await mongo?.stop().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
        folders.delete(dir);
      }
      throw e;
    }
  }

  /** The store as an outside reader (never the ledger writer). */
  async openLedger(): Promise<Store> {
    const s = await openStore(this.storeConfig, { readOnly: true, serverSelectionTimeoutMS: 5000 });
    await s.open();
    return s;
  }

  async registerAccounts(): Promise<void> {
    const s = await this.openLedger();
    try {
      const now = new Date().toISOString();
      for (const a of accountRecords()) await s.upsertAccount(validateAccount({ ...a, created_at: now, updated_at: now }));
    } finally {
      await s.close();
    }
  }

  /** The hub's data gone (folder removed, database dropped) and the accounts registered again. */
  async wipeData(): Promise<void> {
    if (this.mongo) await dropDatabase(this.mongo.uri, this.mongoDb);
    rmSync(this.dataDir, { recursive: true, force: true });
    await this.registerAccounts();
  }

  async readLedger(): Promise<Trade[]> {
    const s = await this.openLedger();
    try {
      return await s.findTrades({ limit: 1_000_000 });
    } finally {
      await s.close();
    }
  }

  checkInput(ledger: Trade[] | undefined): CheckInput {
    const w = this.world;
    return {
      magic: MAGIC,
      masters: MASTERS.map((m) => ({ name: m.name, positions: w.masters.get(m.name)!.broker.positions(), orders: w.masters.get(m.name)!.broker.orders() })),
      slaves: SLAVES.map((s) => slaveState(s, w.slaves.get(s.name)!)),
      ledger,
    };
  }

  /** Every terminal connected and online, the hub running. */
  async allUp(): Promise<void> {
    if (!this.hub.running) await this.hub.start();
    for (const t of this.world.all) {
      if (!t.started) await t.start();
      t.setOffline(false);
    }
    for (const t of this.world.slaves.values()) t.dropResults(0);
  }

  /**
   * Polls the check until everything has been right for quietMs (or settleMs passed), noting when
   * each item last became right. An item that disappears (an orphan closed) is right from then on.
   */
  async settle(settleMs: number, quietMs: number): Promise<Heal> {
    const t0 = Date.now();
    const goodSince = new Map<string, number>();
    const seen = new Set<string>();
    let ledger: Trade[] | undefined;
    let ledgerAt = 0;
    let allGoodSince: number | undefined;
    while (Date.now() - t0 < settleMs) {
      if (Date.now() - ledgerAt >= LEDGER_READ_EVERY_MS) {
        ledger = await this.readLedger().catch(() => ledger);
        ledgerAt = Date.now();
      }
      const res = check(this.checkInput(ledger));
      const now = Date.now();
      for (const [item, ok] of res.items) {
        seen.add(item);
        if (!ok) goodSince.delete(item);
        else if (!goodSince.has(item)) goodSince.set(item, now);
      }
      for (const item of seen) if (!res.items.has(item) && !goodSince.has(item)) goodSince.set(item, now);
      if ([...res.items.values()].every(Boolean)) {
        allGoodSince ??= now;
        if (now - allGoodSince >= quietMs) break;
      } else allGoodSince = undefined;
      await sleep(POLL_MS);
    }
    const times = [...seen].map((i) => goodSince.get(i)).filter((t): t is number => t !== undefined).map((t) => t - t0).sort((a, b) => a - b);
    return { maxMs: times.at(-1) ?? 0, p95Ms: percentile(times, 0.95), items: seen.size, unhealed: seen.size - times.length };
  }

  /** Stops the hub cleanly (so its ledger is flushed), reads the ledger and checks everything. */
  async finalCheck(): Promise<CheckResult> {
    await this.hub.stop();
    return check(this.checkInput(await this.readLedger()));
  }

  async close(): Promise<void> {
    await Promise.all(this.world.all.map((t) => t.stop().catch(() => undefined)));
    await this.hub.kill().catch(() => undefined);
    await this.mongo?.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
    folders.delete(this.dir);
  }
}

const LEDGER_READ_EVERY_MS = 1000;
const POLL_MS = 200;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The p-quantile (0..1) of ascending values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];
}

/**
 * Two free consecutive loopback ports below the kernel's ephemeral range (32768+): the terminals'
 * reconnecting sockets take their local ports from that range, and one could take the hub's port
 * while the hub is down, so the restarted hub could not bind it. 12000-19999: the hub tests use
 * 10000-19999 too (checked free here), the EA tests 20000-32000.
 */
async function portPair(): Promise<[number, number]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 12_000 + 2 * Math.floor(Math.random() * 4000);
    if ((await canBind(base)) && (await canBind(base + 1))) return [base, base + 1];
  }
  throw new Error('no two free loopback ports between 12000 and 19999');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function dropDatabase(uri: string, db: string): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    await client.db(db).dropDatabase();
  } finally {
    await client.close();
  }
}
