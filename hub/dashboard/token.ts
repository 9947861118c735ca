/**
 * The dashboard's token: made once into the data folder (readable by its owner only), needed for
 * every control and for reading from anywhere but loopback. `hub dashboard-url` prints it.
 */
import { randomBytes, timingSafeEqual } from 'crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { ConfigError } from '../errors';

export const TOKEN_FILE = 'dashboard-token';

export function tokenPath(dataDir: string): string {
  return join(resolve(dataDir), TOKEN_FILE);
}

/** The token of this data folder, or undefined when none was made yet. */
export function readToken(dataDir: string): string | undefined {
  try {
    const t = readFileSync(tokenPath(dataDir), 'utf8').trim();
    return t || undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the dashboard token ${tokenPath(dataDir)}: ${(e as Error).message}`, 'check the permissions of the data folder', { cause: e });
  }
}

/** The token of this data folder, made now when there is none. */
export function ensureToken(dataDir: string): string {
  const have = readToken(dataDir);
  if (have) return have;
  const token = randomBytes(24).toString('base64url');
  const file = tokenPath(dataDir);
  try {
    mkdirSync(resolve(dataDir), { recursive: true });
    // wx: two processes making it at once keep the first one's.
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readToken(dataDir) ?? token;
    throw new ConfigError(`cannot write the dashboard token ${file}: ${(e as Error).message}`, 'give the hub a writable --data-dir', { cause: e });
  }
  return token;
}

/** Compares in constant time: the token is a secret. */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
