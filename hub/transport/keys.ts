/**
 * CURVE keys of the hub and of its terminals, kept as files in `<dataDir>/curve/` (owner-only
 * permissions): `server.json` holds the hub's key pair, made on first use; `accounts.json` the
 * public key(s) each account's terminal may connect with. A terminal's secret key is printed once
 * when it is issued and never stored. The hub re-reads `accounts.json` when it changes
 * (`KeyRing.refresh`), so keys are issued and revoked without a restart.
 */
import { createPrivateKey, createPublicKey, diffieHellman } from 'crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { curveKeyPair } from 'zeromq';
import { ConfigError } from '../errors';
import { hints } from '../hints';

export interface KeyPair {
  publicKey: string;
  secretKey: string;
}

export interface AccountKey {
  account: string;
  publicKey: string;
  issuedAt: string;
}

export interface RevokedKey extends AccountKey {
  revokedAt: string;
}

interface AccountsFile {
  keys: AccountKey[];
  revoked: RevokedKey[];
}

export const KEYS_DIR = 'curve';
const SERVER_FILE = 'server.json';
const ACCOUNTS_FILE = 'accounts.json';

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** The 32 bytes of a 40-character Z85 key (ZeroMQ's text form of CURVE keys). */
export function z85Decode(text: string): Buffer {
  if (!Z85_KEY.test(text)) throw new ConfigError(`"${text.slice(0, 48)}" is not a 40-character Z85 CURVE key`, 'copy the key again, all 40 characters');
  const out = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) {
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 85 + Z85.indexOf(text[i * 5 + j]);
    out.writeUInt32BE(n >>> 0, i * 4);
  }
  return out;
}

export function z85Encode(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let n = bytes.readUInt32BE(i);
    let chunk = '';
    for (let j = 0; j < 5; j++) {
      chunk = Z85[n % 85] + chunk;
      n = Math.floor(n / 85);
    }
    out += chunk;
  }
  return out;
}

// DER prefixes of an X25519 private key (PKCS#8) and public key (SPKI) around the raw 32 bytes.
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

/**
 * The account proof a terminal sends as the first frame of every message over CURVE:
 * X25519(its secret key, the hub's public key), which equals X25519(the hub's secret key, its
 * public key). Only the terminal holding the account's secret key and the hub can compute it.
 */
export function accountProof(secretKey: string, publicKey: string): Buffer {
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, z85Decode(secretKey)]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey({ key: Buffer.concat([X25519_SPKI, z85Decode(publicKey)]), format: 'der', type: 'spki' });
  return diffieHellman({ privateKey, publicKey: pub });
}

export function keysDir(dataDir: string): string {
  return resolve(dataDir, KEYS_DIR);
}

/** Writes a file readable by its owner only, atomically (a reader never sees half of it). */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

const REMAKE_SERVER = `restore it from a backup, or remove it: the hub then makes a new pair, and every EA needs the new server key (${hints.showKey})`;
const REISSUE = `restore it from a backup, or remove it and issue the keys again: ${hints.issueKey('NAME')}`;

function readJson(file: string, hint: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${(e as Error).message}`, hint, { cause: e });
  }
}

/**
 * The hub's key pair; made and saved when `create` and there is none yet. Returns undefined when
 * there is none and `create` is false.
 */
export function serverKeys(dataDir: string, create: boolean): (KeyPair & { created: boolean }) | undefined {
  const dir = keysDir(dataDir);
  const file = join(dir, SERVER_FILE);
  if (existsSync(file)) {
    const k = readJson(file, REMAKE_SERVER) as Partial<KeyPair>;
    if (typeof k.publicKey !== 'string' || typeof k.secretKey !== 'string' || !Z85_KEY.test(k.publicKey) || !Z85_KEY.test(k.secretKey)) {
      throw new ConfigError(`${file} holds no valid key pair`, REMAKE_SERVER);
    }
    return { publicKey: k.publicKey, secretKey: k.secretKey, created: false };
  }
  if (!create) return undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = curveKeyPair();
  writePrivate(file, JSON.stringify({ ...pair, createdAt: new Date().toISOString() }, null, 2) + '\n');
  return { ...pair, created: true };
}

export function readAccountKeys(dataDir: string): AccountsFile {
  const file = join(keysDir(dataDir), ACCOUNTS_FILE);
  if (!existsSync(file)) return { keys: [], revoked: [] };
  const f = readJson(file, REISSUE) as Partial<AccountsFile>;
  const keys = Array.isArray(f.keys) ? f.keys : [];
  const bad = keys.find((k) => typeof k?.account !== 'string' || typeof k.publicKey !== 'string' || !Z85_KEY.test(k.publicKey));
  if (bad !== undefined || !Array.isArray(f.keys)) {
    throw new ConfigError(`${file} is damaged (${bad !== undefined ? `entry ${JSON.stringify(bad).slice(0, 120)}` : 'no "keys" list'})`, REISSUE);
  }
  const owners = new Map<string, string>();
  for (const k of keys) {
    const other = owners.get(k.publicKey);
    if (other !== undefined && other !== k.account) {
      throw new ConfigError(`${file} gives key ${k.publicKey} to both ${other} and ${k.account}`, `a key belongs to one account: remove one of the entries, or revoke it (${hints.revokeKey(k.account, k.publicKey)}) and issue a new one`);
    }
    owners.set(k.publicKey, k.account);
  }
  return { keys, revoked: Array.isArray(f.revoked) ? f.revoked : [] };
}

function writeAccountKeys(dataDir: string, f: AccountsFile): void {
  mkdirSync(keysDir(dataDir), { recursive: true, mode: 0o700 });
  writePrivate(join(keysDir(dataDir), ACCOUNTS_FILE), JSON.stringify(f, null, 2) + '\n');
}

/** A new key pair for an account's terminal; its public key is registered, the secret only returned. */
export function issueKey(dataDir: string, account: string, now = new Date()): KeyPair {
  const f = readAccountKeys(dataDir);
  const pair = curveKeyPair();
  f.keys.push({ account, publicKey: pair.publicKey, issuedAt: now.toISOString() });
  writeAccountKeys(dataDir, f);
  return pair;
}

/** Revokes an account's keys (all, or the one whose public key is given); returns those revoked. */
export function revokeKeys(dataDir: string, account: string, publicKey?: string, now = new Date()): AccountKey[] {
  const f = readAccountKeys(dataDir);
  const hit = (k: AccountKey) => k.account === account && (publicKey === undefined || k.publicKey === publicKey);
  const gone = f.keys.filter(hit);
  if (!gone.length) return [];
  f.keys = f.keys.filter((k) => !hit(k));
  f.revoked.push(...gone.map((k) => ({ ...k, revokedAt: now.toISOString() })));
  writeAccountKeys(dataDir, f);
  return gone;
}

/**
 * The keys the running hub admits: which account a connecting public key belongs to, and which
 * account a message's proof was made by. `refresh()` re-reads the file when it changed.
 */
export class KeyRing {
  private byKey = new Map<string, string>();
  private byProof = new Map<string, string>();
  private accounts = new Set<string>();
  /** Accounts whose every key was revoked while the hub ran (until one is issued again). */
  private cut = new Set<string>();
  private stamp = '';

  constructor(
    private readonly dataDir: string,
    private readonly server: KeyPair,
  ) {
    this.refresh();
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Re-reads the account keys if the file changed; returns the keys revoked since, if any changed. */
  refresh(): { changed: boolean; removed: string[] } {
    const file = join(keysDir(this.dataDir), ACCOUNTS_FILE);
    const st = existsSync(file) ? statSync(file) : undefined;
    // Every write is a rename: a new inode, so even two writes within a millisecond differ.
    const stamp = st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
    if (stamp === this.stamp) return { changed: false, removed: [] };
    const { keys } = readAccountKeys(this.dataDir);
    const byKey = new Map(keys.map((k) => [k.publicKey, k.account]));
    const removed = [...this.byKey.keys()].filter((k) => byKey.get(k) !== this.byKey.get(k));
    const byProof = new Map<string, string>();
    for (const [key, account] of byKey) {
      let proof: Buffer;
      try {
        proof = accountProof(this.server.secretKey, key);
      } catch (e) {
        // OpenSSL refuses the few public keys whose exchange gives zero (never one zeromq makes).
        throw new ConfigError(`${file}: ${account}'s key ${key} is not a usable CURVE public key (${(e as Error).message})`, REISSUE, { cause: e });
      }
      byProof.set(proof.toString('hex'), account);
    }
    this.byKey = byKey;
    this.byProof = byProof;
    const accounts = new Set(byKey.values());
    for (const a of this.accounts) if (!accounts.has(a)) this.cut.add(a);
    for (const a of accounts) this.cut.delete(a);
    this.accounts = accounts;
    this.stamp = stamp;
    return { changed: true, removed };
  }

  /** Whether every key of the account was revoked while the hub ran (and none issued since). */
  isCut(account: string): boolean {
    return this.cut.has(account);
  }

  accountOfKey(publicKey: string): string | undefined {
    return this.byKey.get(publicKey);
  }

  accountOfProof(proof: Buffer): string | undefined {
    return proof.length === 32 ? this.byProof.get(proof.toString('hex')) : undefined;
  }
}
