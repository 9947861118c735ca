/** MongoDB adapter specifics against a real MongoDB-protocol server: indexes, database choice, errors. */
import { MongoServerError } from 'mongodb';
import { makeConfig } from '../../../hub/config';
import { ConfigError } from '../../../hub/errors';
import { openStore } from '../../../hub/ledger';
import { MONGO_INDEXES, MongoStore, mapMongoError, redactUri } from '../../../hub/ledger/mongo';
import { freePort } from '../../helpers';
import { startMongoServer, useMongoServer } from '../../helpers/mongo-server';
import { openTrade } from './store-contract';

jest.setTimeout(60_000);

const mongo = useMongoServer();
const dbName = (tag: string) => mongo.dbName(tag);

describe('MongoDB store', () => {
  it('creates its collections and indexes in the configured database', async () => {
    const name = dbName('setup');
    const store = await openStore(makeConfig({ store: 'mongodb', mongoUri: mongo.server.uri, mongoDb: name }));
    expect(store.kind).toBe('mongodb');
    expect(store.location).toBe(`${mongo.server.uri.replace(/\/$/, '')}/${name}`);
    await store.open();
    await store.ensureIndexes();
    await store.ensureIndexes();
    const db = mongo.admin.db(name);
    for (const [col, specs] of Object.entries(MONGO_INDEXES)) {
      const have = await db.collection(col).listIndexes().toArray();
      for (const s of specs) {
        const ix = have.find((i) => i.name === s.name);
        expect(ix).toBeDefined();
        expect(ix!.key).toEqual(s.key);
        expect(Boolean(ix!.unique)).toBe(Boolean(s.unique));
      }
    }
    // The unique key holds at the server, not only in the adapter.
    await store.upsertTrades([openTrade('M', 1, 'S', 1)]);
    const dup = await db
      .collection('trades')
      .insertOne({ master_name: 'M', master_ticket: '1', slave_name: 'S' })
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(MongoServerError);
    expect((dup as MongoServerError).code).toBe(11000);
    // Stored under the field names of Trade (hub/ledger/types.ts), nothing renamed.
    const raw = await db.collection('trades').findOne({});
    expect(raw).toMatchObject({ master_name: 'M', master_ticket: '1', slave_name: 'S', status: 'open', symbol: 'EURUSD.c' });
    await store.close();
  });

  it('read-only refuses trade and event writes', async () => {
    const store = new MongoStore(mongo.server.uri, dbName('ro'), { readOnly: true });
    await store.open();
    await expect(store.upsertTrades([openTrade('M', 1, 'S', 1)])).rejects.toMatchObject({ code: 'E_STORE_READONLY' });
    await expect(store.appendEvents([{ time: 't', kind: 'k', message: 'm' }])).rejects.toMatchObject({ code: 'E_STORE_READONLY' });
    expect(await store.countTrades({})).toBe(0);
    await store.close();
  });

  describe('clear errors', () => {
    it('a malformed URI is a configuration error', async () => {
      for (const uri of ['mongodb://127.0.0.1:notaport', 'mongodb://', 'mongodb://host/?replicaSet']) {
        const err = await new MongoStore(uri).open().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConfigError);
        expect(err).toMatchObject({ code: 'E_CONFIG' });
        expect((err as Error).message).toContain('malformed');
        expect((err as ConfigError).hint).toContain('mongodb://');
      }
    });

    it('an unreachable server fails fast and says what to check', async () => {
      const port = await freePort();
      const t0 = Date.now();
      const err = await new MongoStore(`mongodb://127.0.0.1:${port}`, 'x', { serverSelectionTimeoutMS: 800 }).open().catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(err).toMatchObject({ code: 'E_STORE_UNREACHABLE' });
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      expect((err as Error).message).toContain('within 800 ms');
      expect((err as { hint: string }).hint).toMatch(/running.*listens.*firewall.*MONGO_URI/s);
      // The driver's error stays attached, stack and all.
      expect((err as Error).cause).toBeInstanceOf(Error);
      expect(((err as Error).cause as Error).name).toMatch(/^Mongo/);
    });

    it('an authentication failure is E_STORE_AUTH, without the password in the message', async () => {
      const uri = mongo.server.uri.replace('mongodb://', 'mongodb://ledger:s3cret-pw@');
      const err = await new MongoStore(uri, 'x', { serverSelectionTimeoutMS: 3_000 }).open().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_STORE_AUTH' });
      expect((err as Error).message).not.toContain('s3cret-pw');
      expect((err as Error).message).toContain('ledger:***@');
      // mongo-java-server has no authentication: it answers the driver's SCRAM handshake with
      // "no such command: saslStart"; a real mongod answers AuthenticationFailed (code 18).
      if (mongo.server.kind === 'mongo-java-server') expect((err as Error).message).toContain('does not support authentication');
      else expect((err as { hint: string }).hint).toContain('authSource');
    });

    it('maps the AuthenticationFailed a secured server sends', () => {
      const uri = 'mongodb://ledger:pw@db.example:27017/?authSource=admin';
      const driverErr = new MongoServerError({ ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' });
      const err = mapMongoError(driverErr, uri, 'connect');
      expect(err).toMatchObject({ code: 'E_STORE_AUTH' });
      expect(err.message).toBe('authentication to MongoDB at mongodb://ledger:***@db.example:27017/?authSource=admin failed: Authentication failed.');
      expect(err.hint).toContain('authSource=admin');
      const wrapped = new Error('server selection failed', { cause: driverErr });
      expect(mapMongoError(wrapped, uri, 'connect').code).toBe('E_STORE_AUTH');
    });

    it('maps a server going away (shutdown, a batch cut by a closed connection) to E_STORE_UNREACHABLE, so the outage is reported as one', () => {
      const shutdown = new MongoServerError({ ok: 0, code: 11600, codeName: 'InterruptedAtShutdown', errmsg: 'interrupted at shutdown' });
      expect(mapMongoError(shutdown, 'mongodb://h:1', 'write').code).toBe('E_STORE_UNREACHABLE');
      const cut = new Error('connection 3 to 127.0.0.1:41217 closed');
      cut.name = 'MongoBulkWriteError';
      const err = mapMongoError(cut, 'mongodb://127.0.0.1:41217', 'write 50 events');
      expect(err.code).toBe('E_STORE_UNREACHABLE');
      expect(err.message).toBe('cannot reach MongoDB at 127.0.0.1:41217 while trying to write 50 events: connection 3 to 127.0.0.1:41217 closed');
    });

    it('maps a document the server refuses to E_STORE_REJECTED (the writer sets it aside)', () => {
      const e = new MongoServerError({ ok: 0, code: 2, codeName: 'BadValue', errmsg: 'bad' });
      expect(mapMongoError(e, 'mongodb://h', 'write').code).toBe('E_STORE_REJECTED');
    });

    it('redacts passwords', () => {
      expect(redactUri('mongodb://u:p%40ss@h1:1,h2:2/db?x=1')).toBe('mongodb://u:***@h1:1,h2:2/db?x=1');
      expect(redactUri('mongodb+srv://u:p@cluster.example/db')).toBe('mongodb+srv://u:***@cluster.example/db');
      expect(redactUri('mongodb://h:1')).toBe('mongodb://h:1');
      expect(redactUri('mongodb://u@h:1/?authMechanism=MONGODB-X509')).toBe('mongodb://u@h:1/?authMechanism=MONGODB-X509');
      expect(new MongoStore('mongodb://u:pw@h:1/?authSource=admin', 'ledger').location).toBe('mongodb://u:***@h:1/ledger');
    });

    it('a server that goes away after start gives E_STORE_UNREACHABLE, which the writer retries', async () => {
      if (mongo.server.kind === 'external') return; // MONGO_URL: no server of ours to stop
      const local = await startMongoServer();
      const store = new MongoStore(local.uri, dbName('gone'), { serverSelectionTimeoutMS: 500 });
      await store.open();
      await store.upsertTrades([openTrade('M', 1, 'S', 1)]);
      await local.stop();
      await expect(store.upsertTrades([openTrade('M', 2, 'S', 2)])).rejects.toMatchObject({ code: 'E_STORE_UNREACHABLE' });
      await expect(store.countTrades({})).rejects.toMatchObject({ code: 'E_STORE_UNREACHABLE' });
      await store.close();
    });
  });
});
