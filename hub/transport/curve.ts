/**
 * The hub's CURVE side as one part: its key pair (made on first start), the registered keys
 * (re-read while running), the ZAP decisions and the proof check, each refusal logged once per
 * sender and window.
 */
import { SenderLimiter, suppressedLine, untrusted, type Logger } from '../log';
import { hints } from '../hints';
import type { CurveServerOptions } from './index';
import { KeyRing, serverKeys, keysDir } from './keys';

export interface CurveSide {
  readonly publicKey: string;
  readonly options: CurveServerOptions;
  /** Re-reads the registered keys if their file changed; the public keys revoked since. */
  refresh(): string[];
  /**
   * Whether a refusal for using another account's name may also be answered on that name's
   * topic (where an EA with a mistyped InpAccountName listens); at most a few per key and window.
   */
  answerClaimed(owner: string): boolean;
}

export function openCurve(dataDir: string, log: Logger): CurveSide {
  const server = serverKeys(dataDir, true)!;
  if (server.created) log.info(`CURVE: made the hub's key pair in ${keysDir(dataDir)} (public key ${server.publicKey}; every EA needs it: ${hints.showKey})`);
  const ring = new KeyRing(dataDir, server);
  if (!ring.size) log.warn(`CURVE: no terminal keys registered yet, every terminal will be refused: issue one per account with ${hints.issueKey('NAME')}`);
  const limiter = new SenderLimiter({ onSuppressed: (s) => log.warn(suppressedLine(s)) });
  const options: CurveServerOptions = {
    secretKey: server.secretKey,
    admit(publicKey, address) {
      const account = ring.accountOfKey(publicKey);
      if (account !== undefined) log.debug(`CURVE: ${account}'s key ${publicKey.slice(0, 8)}… connected from ${untrusted(address)}`);
      else if (limiter.allow('CURVE key refused', address)) {
        log.warn(`CURVE: refused a connection from ${untrusted(address)}: key ${publicKey} is not registered (never issued, revoked, or issued by another hub); see: ${hints.listKeys}`);
      }
      return account;
    },
    ownerOfProof: (proof) => ring.accountOfProof(proof),
    mayReceive: (account) => !ring.isCut(account),
    onUnproven(why) {
      if (limiter.allow('unproven message', SenderLimiter.UNKNOWN_SENDERS)) log.warn(`CURVE: dropped a message: ${why}`);
    },
  };
  return {
    publicKey: server.publicKey,
    options,
    answerClaimed: (owner) => limiter.allow('answer on a claimed name', owner),
    refresh() {
      limiter.flush();
      const { changed, removed } = ring.refresh();
      if (changed) log.info(`CURVE: terminal keys re-read: ${ring.size} registered${removed.length ? `, ${removed.length} revoked` : ''}`);
      return removed;
    },
  };
}
