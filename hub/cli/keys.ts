/** `hub keys`: the hub's CURVE key and the terminals' keys (hub/transport/keys.ts keeps them). */
import type { HubConfig } from '../config';
import { NotFoundError } from '../errors';
import { CLI, closest, hints } from '../hints';
import type { Store } from '../ledger/types';
import { issueKey, keysDir, readAccountKeys, revokeKeys, serverKeys } from '../transport/keys';

type Out = (line: string) => void;

function serverKey(config: HubConfig, out: Out): string {
  const k = serverKeys(config.dataDir, true)!;
  if (k.created) out(`made the hub's CURVE key pair in ${keysDir(config.dataDir)} (keep that folder private and in your backups)`);
  return k.publicKey;
}

export function showKey(config: HubConfig, out: Out): void {
  const key = serverKey(config, out);
  out(`hub public key (every EA's InpServerKey): ${key}`);
  if (!config.curve) out(`note: CURVE is off in this configuration; start the hub with --curve (COPYBRIDGE_CURVE=true) to use it`);
}

export async function issue(config: HubConfig, store: Store, name: string, out: Out): Promise<void> {
  if (!(await store.getAccount(name))) {
    const near = closest(name, (await store.listAccounts()).map((a) => a.name));
    throw new NotFoundError(`no account named ${name}${near ? ` (did you mean ${near}?)` : ''}`, `register it first (${CLI} accounts add ${name} --type MASTER|SLAVE), or see: ${CLI} accounts list`);
  }
  const server = serverKey(config, out);
  const pair = issueKey(config.dataDir, name);
  const had = readAccountKeys(config.dataDir).keys.filter((k) => k.account === name && k.publicKey !== pair.publicKey);
  out(`issued a CURVE key for ${name}. Paste into the EA's inputs on ${name}'s terminal (the secret key is shown only now and not stored):`);
  out(`  InpServerKey       = ${server}`);
  out(`  InpClientPublicKey = ${pair.publicKey}`);
  out(`  InpClientSecretKey = ${pair.secretKey}`);
  out(`  InpAccountName     = ${name}`);
  out(`a running hub (--curve) admits it within accountsReloadMs (${config.accountsReloadMs} ms)${config.curve ? '' : '; CURVE is off in this configuration: start the hub with --curve'}`);
  for (const k of had) out(`${name} still has key ${k.publicKey} (issued ${k.issuedAt}): once the EA uses the new one, revoke it with: ${hints.revokeKey(name, k.publicKey)}`);
}

export function list(config: HubConfig, out: Out): void {
  const { keys, revoked } = readAccountKeys(config.dataDir);
  const server = serverKeys(config.dataDir, false);
  out(server ? `hub public key: ${server.publicKey}` : `no hub key yet (made by: ${hints.showKey}, or the first start with --curve)`);
  if (!keys.length) out(`no terminal keys; issue one with: ${hints.issueKey('NAME')}`);
  for (const k of keys) out(`${k.account.padEnd(24)} ${k.publicKey}  issued ${k.issuedAt}`);
  for (const k of revoked) out(`${k.account.padEnd(24)} ${k.publicKey}  REVOKED ${k.revokedAt}`);
}

export function revoke(config: HubConfig, name: string, key: string | undefined, out: Out): void {
  const gone = revokeKeys(config.dataDir, name, key);
  if (!gone.length) {
    throw new NotFoundError(`${name} has no registered key${key ? ` ${key}` : ''}`, `see: ${hints.listKeys}`);
  }
  for (const k of gone) out(`revoked ${name}'s key ${k.publicKey}`);
  out(`a running hub refuses it within accountsReloadMs (${config.accountsReloadMs} ms) and closes its connections (all terminals reconnect)`);
}
