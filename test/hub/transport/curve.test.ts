/**
 * CURVE end to end on loopback: the real hub with `curve: true`, the real Linux bridge
 * (cb_open_curve, through koffi) and simulated terminals with CURVE keys. Keys are issued and
 * revoked through the same files `hub keys` writes, while the hub runs.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { curveKeyPair } from 'zeromq';
import { startHub, type RunningHub } from '../../../hub';
import type { Account } from '../../../hub/accounts';
import { ConfigError } from '../../../hub/errors';
import { memoryLogger } from '../../../hub/log';
import { KeyRing, accountProof, issueKey, keysDir, readAccountKeys, revokeKeys, serverKeys, z85Decode, z85Encode, type KeyPair } from '../../../hub/transport/keys';
import { MASTER_PRESET, SUFFIX_PRESET, SimTerminal, brokerFromPreset } from '../../../sim';
import { Conn, loadBridge, type Bridge } from '../../bridge-dll/cb';
import { sleep, tempDir, until } from '../../helpers';
import { logLine, startSimHub, startSimTerminal, welcomed, type HubLog } from '../../helpers/sim-hub';

jest.setTimeout(60_000);

describe('key files', () => {
  test('Z85 and the account proof agree with ZeroMQ and with both sides of the key exchange', () => {
    for (let i = 0; i < 20; i++) {
      const k = curveKeyPair();
      expect(z85Encode(z85Decode(k.publicKey))).toBe(k.publicKey);
      expect(z85Encode(z85Decode(k.secretKey))).toBe(k.secretKey);
    }
    const server = curveKeyPair();
    const client = curveKeyPair();
    const proof = accountProof(client.secretKey, server.publicKey);
    expect(proof).toHaveLength(32);
    expect(proof.equals(accountProof(server.secretKey, client.publicKey))).toBe(true);
    expect(proof.equals(accountProof(curveKeyPair().secretKey, server.publicKey))).toBe(false);
    expect(() => z85Decode(server.publicKey.slice(1))).toThrow(/not a 40-character Z85 CURVE key/);
  });

  test('the server pair is made once; terminal secrets are never stored; files are owner-only', () => {
    const dir = tempDir();
    expect(serverKeys(dir, false)).toBeUndefined();
    const made = serverKeys(dir, true)!;
    expect(made.created).toBe(true);
    expect(serverKeys(dir, true)).toEqual({ ...made, created: false });
    const a = issueKey(dir, 'A1');
    const b = issueKey(dir, 'A1');
    expect(readAccountKeys(dir).keys.map((k) => k.publicKey)).toEqual([a.publicKey, b.publicKey]);
    const text = readFileSync(join(keysDir(dir), 'accounts.json'), 'utf8');
    expect(text).not.toContain(a.secretKey);
    for (const f of ['server.json', 'accounts.json']) expect(statSync(join(keysDir(dir), f)).mode & 0o077).toBe(0);
    expect(statSync(keysDir(dir)).mode & 0o077).toBe(0);
    expect(revokeKeys(dir, 'A1', a.publicKey).map((k) => k.publicKey)).toEqual([a.publicKey]);
    expect(readAccountKeys(dir)).toMatchObject({ keys: [{ account: 'A1', publicKey: b.publicKey }], revoked: [{ account: 'A1', publicKey: a.publicKey }] });
    expect(revokeKeys(dir, 'nobody')).toEqual([]);
  });

  test('damaged key files stop the hub with what to do', async () => {
    const dir = tempDir();
    serverKeys(dir, true);
    writeFileSync(join(keysDir(dir), 'accounts.json'), '{"keys": [{"account": "A1", "publicKey": "short"}]}');
    expect(() => readAccountKeys(dir)).toThrow(ConfigError);
    expect(() => readAccountKeys(dir)).toThrow(/accounts\.json is damaged \(entry \{"account":"A1","publicKey":"short"\}\)/);
    const twice = curveKeyPair().publicKey;
    writeFileSync(join(keysDir(dir), 'accounts.json'), JSON.stringify({ keys: [{ account: 'A1', publicKey: twice }, { account: 'A2', publicKey: twice }] }));
    expect(() => readAccountKeys(dir)).toThrow(new RegExp(`gives key ${escape(twice)} to both A1 and A2`));
    // A point of small order: X25519 with it gives zero, which OpenSSL refuses.
    writeFileSync(join(keysDir(dir), 'accounts.json'), JSON.stringify({ keys: [{ account: 'A1', publicKey: z85Encode(Buffer.alloc(32)) }] }));
    expect(() => new KeyRing(dir, serverKeys(dir, false)!)).toThrow(/A1's key .* is not a usable CURVE public key/);
    writeFileSync(join(keysDir(dir), 'server.json'), '{"publicKey": 1');
    const start = startHub({ config: { store: 'memory', dataDir: dir, curve: true, pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*' }, logger: memoryLogger() });
    await expect(start).rejects.toThrow(/cannot read .*server\.json/);
    await expect(start).rejects.toMatchObject({ hint: expect.stringMatching(/remove it: the hub then makes a new pair, and every EA needs the new server key \(npm run hub -- keys show\)/) });
  });
});

// ---------------------------------------------------------------------------------------------

const ACCOUNTS: Partial<Account>[] = [
  { name: 'M1', type: 'MASTER', enabled: true },
  { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c' },
  { name: 'S2', type: 'SLAVE', enabled: true, suffix: '.c' },
  { name: 'B1', type: 'SLAVE', enabled: true },
];

interface World {
  hub: RunningHub;
  dataDir: string;
  keys: Record<string, KeyPair>;
  log: HubLog;
  sim(account: string, keys: KeyPair | undefined, preset?: typeof MASTER_PRESET, serverKey?: string): Promise<SimTerminal>;
  bridge(topic: string, keys: KeyPair): Conn;
  logged(re: RegExp, timeoutMs?: number): Promise<string>;
}

let cb: Bridge;
let current: { hub: RunningHub; terminals: SimTerminal[]; conns: Conn[] } | undefined;

beforeAll(() => {
  cb = loadBridge();
});

afterEach(async () => {
  if (!current) return;
  for (const c of current.conns) c.close();
  await Promise.all(current.terminals.map((t) => t.stop()));
  await current.hub.stop();
  current = undefined;
});

afterAll(() => {
  expect(cb.handleCount()).toBe(0);
});

async function world(): Promise<World> {
  const dataDir = tempDir('copybridge-curve-');
  const keys: Record<string, KeyPair> = {};
  for (const a of ACCOUNTS) keys[a.name!] = issueKey(dataDir, a.name!);
  const { hub, log } = await startSimHub(ACCOUNTS, { dataDir, curve: true, accountsReloadMs: 100 });
  const terminals: SimTerminal[] = [];
  const conns: Conn[] = [];
  current = { hub, terminals, conns };
  return {
    hub,
    dataDir,
    keys,
    log,
    async sim(account, k, preset = SUFFIX_PRESET, serverKey = hub.serverPublicKey!) {
      const curve = k && { serverKey, publicKey: k.publicKey, secretKey: k.secretKey };
      return startSimTerminal(hub, terminals, { account, broker: brokerFromPreset(preset), curve });
    },
    bridge(topic, k) {
      const c = Conn.openCurve(cb, hub.pullEndpoint, hub.pubEndpoint, topic, { serverKey: hub.serverPublicKey!, ...k });
      conns.push(c);
      return c;
    },
    logged: (re, timeoutMs) => logLine(log, re, timeoutMs),
  };
}

function hello(account: string, seq: number) {
  return { v: 1, type: 'hello', account, seq, ts: Date.now(), login: 7, server: 'Demo', broker: 'X', currency: 'USD', margin_mode: 'hedging', ea_version: '0.1.0' };
}

const handshake = (c: Conn, account: string, seen: any[] = []): Promise<any> => c.handshake((seq) => hello(account, seq), seen);

const vol = (t: SimTerminal, symbol: string) => t.positions().filter((p) => p.symbol === symbol).reduce((s, p) => s + p.volume, 0);
const online = (hub: RunningHub, name: string) => hub.engine.status().terminals.some((t) => t.name === name && t.online);

/** A master's deal; the simulated terminal stamps its own account name on it. */
function deal() {
  const now = Date.now();
  return {
    type: 'deal', deal: '777001', order: '777001', position: '777001', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1,
    sl: 0, tp: 0, magic: 0, comment: '', reason: 'client', time_ms: now, position_volume: 1, position_side: 'buy',
  } as const;
}

describe('the hub with CURVE', () => {
  test('a simulated master, a simulated slave and the Linux bridge (cb_open_curve) as a slave copy a trade', async () => {
    const w = await world();
    const m = await w.sim('M1', w.keys.M1, MASTER_PRESET);
    const s1 = await w.sim('S1', w.keys.S1);
    const b1 = w.bridge('B1', w.keys.B1);
    expect(await handshake(b1, 'B1')).toMatchObject({ type: 'welcome', account: 'B1', role: 'slave' });
    await Promise.all([m, s1].map(welcomed));
    await until(() => w.hub.engine.status().terminals.find((t) => t.name === 'S1')?.symbols !== undefined, { timeoutMs: 5000, what: 'S1 symbols' });

    const pos = m.buy('EURUSD', 1);
    await s1.waitFor(() => vol(s1, 'EURUSD.c') === 1 || undefined, 5000, 'S1 copy');
    const open = await b1.waitFor((x) => x.type === 'open', 5000);
    expect(open).toMatchObject({ account: 'B1', master: 'M1', master_position: pos.position, symbol: 'EURUSD', side: 'buy', volume: 1 });
    // The bridge's result (proof frame and all) makes the copy open.
    b1.sendJson({ v: 1, type: 'result', account: 'B1', seq: 100, ts: Date.now(), cmd_id: open.cmd_id, status: 'done', retcode: 10009, message: 'done', ticket: '9001', position: '9001', volume: 1 });
    await until(() => w.hub.engine.status().copies.some((c) => c.slave === 'B1' && c.status === 'open'), { timeoutMs: 5000, what: "B1's copy open" });
    expect(w.log.lines.filter((l) => /CURVE: (refused|dropped)|not the account of/.test(l.message))).toEqual([]);
  });

  test('an unregistered key, a key for another hub and a terminal without CURVE are refused', async () => {
    const w = await world();
    const unregistered = curveKeyPair();
    const stranger = await w.sim('S1', unregistered);
    const otherHub = await w.sim('S2', w.keys.S2, SUFFIX_PRESET, curveKeyPair().publicKey);
    const plain = Conn.open(cb, w.hub.pullEndpoint, w.hub.pubEndpoint, 'B1');
    current!.conns.push(plain);
    plain.sendJson(hello('B1', 1));
    await w.logged(new RegExp(`CURVE: refused a connection from 127\\.0\\.0\\.1: key ${escape(unregistered.publicKey)} is not registered`));
    await sleep(1500);
    expect(stranger.role).toBeUndefined();
    expect(otherHub.role).toBeUndefined();
    expect(plain.recv()).toBeNull();
    for (const name of ['S1', 'S2', 'B1']) expect(online(w.hub, name)).toBe(false);
  });

  test("a valid key sending in another account's name is refused, logged and told; its deal is not copied", async () => {
    const w = await world();
    const m = await w.sim('M1', w.keys.M1, MASTER_PRESET);
    const s1 = await w.sim('S1', w.keys.S1);
    await Promise.all([m, s1].map(welcomed));
    // The bridge holds B1's key and claims to be the master M1.
    const b1 = w.bridge('B1', w.keys.B1);
    const answer = await handshake(b1, 'M1');
    expect(answer).toMatchObject({ type: 'error', account: 'B1', code: 'E_INVALID_MESSAGE', ref_type: 'hello' });
    expect(answer.message).toMatch(/account "M1" is not the account of this terminal's CURVE key \(B1\)/);
    await w.logged(/rejected hello from B1: E_INVALID_MESSAGE account "M1" is not the account of this terminal's CURVE key \(B1\)/);

    // A simulated impostor with S2's valid key sends a deal in the master's name while the master is online.
    const impostor = await w.sim('M1', w.keys.S2, MASTER_PRESET);
    impostor.sendMessage(deal());
    await w.logged(/rejected deal from S2: E_INVALID_MESSAGE account "M1" is not the account of this terminal's CURVE key \(S2\)/);
    // Told on the name it claims too, where an EA with a mistyped InpAccountName would listen.
    await impostor.waitFor(() => impostor.received.find((x) => x.type === 'error' && x.code === 'E_INVALID_MESSAGE' && /CURVE key \(S2\)/.test(x.message)), 5000, 'the refusal on M1\'s topic');
    await sleep(500);
    expect(vol(s1, 'EURUSD.c')).toBe(0);
    expect(w.hub.engine.status().copies).toEqual([]);
    expect(online(w.hub, 'S2')).toBe(false);
  });

  test('a bridge refused before its key is registered keeps retrying and gets in once the hub has it', async () => {
    const w = await world();
    const later = curveKeyPair();
    const b1 = w.bridge('B1', later);
    const refused = new RegExp(`CURVE: refused a connection from 127\\.0\\.0\\.1: key ${escape(later.publicKey)} is not registered`);
    await w.logged(refused);
    b1.sendJson(hello('B1', 1));
    await sleep(500);
    expect(b1.recv()).toBeNull();
    // Registered as `hub keys issue` does (a secret of its own is not needed here: the terminal has one).
    const { keys } = readAccountKeys(w.dataDir);
    writeFileSync(join(keysDir(w.dataDir), 'accounts.json.tmp'), JSON.stringify({ keys: [...keys, { account: 'B1', publicKey: later.publicKey, issuedAt: new Date().toISOString() }], revoked: [] }));
    renameSync(join(keysDir(w.dataDir), 'accounts.json.tmp'), join(keysDir(w.dataDir), 'accounts.json'));
    expect(await handshake(b1, 'B1')).toMatchObject({ type: 'welcome', account: 'B1' });
  });

  test('a key revoked while the hub runs is refused; a new key for the account works', async () => {
    const w = await world();
    const m = await w.sim('M1', w.keys.M1, MASTER_PRESET);
    const s1 = await w.sim('S1', w.keys.S1);
    const s2 = await w.sim('S2', w.keys.S2);
    await Promise.all([m, s1, s2].map(welcomed));
    await until(() => w.hub.engine.status().terminals.filter((t) => t.symbols !== undefined).length >= 2, { timeoutMs: 5000, what: 'symbols' });
    m.buy('EURUSD', 1);
    await s2.waitFor(() => vol(s2, 'EURUSD.c') === 1 || undefined, 5000, 'S2 copy');

    revokeKeys(w.dataDir, 'S2');
    await w.logged(/CURVE: terminal keys re-read: 3 registered, 1 revoked/);
    // Its connection stays up (closing connections under CURVE tripped a libzmq assertion), but
    // nothing it sends is taken any more: its heartbeats are dropped and it goes offline.
    await w.logged(/CURVE: dropped a message: /, 10_000);
    m.buy('GBPUSD', 1);
    await s1.waitFor(() => vol(s1, 'GBPUSD.c') === 1 || undefined, 10_000, 'S1 copy after the revocation');
    await sleep(500);
    expect(vol(s2, 'GBPUSD.c')).toBe(0);
    await until(() => !online(w.hub, 'S2'), { timeoutMs: 5000, what: 'S2 offline' });

    // Rotation: a new key for S2, the terminal restarted with it.
    await s2.stop();
    const fresh = issueKey(w.dataDir, 'S2');
    const s2b = await w.sim('S2', fresh);
    await s2b.waitFor(() => s2b.role, 15_000, 'S2 welcome with its new key (refused until the hub re-read the keys, then retried)');
    expect(online(w.hub, 'S2')).toBe(true);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
