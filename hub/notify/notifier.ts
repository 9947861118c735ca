/**
 * Notifications to a webhook: refusals, expiries, terminals going offline and coming back, ledger
 * outages, protection guards tripping, each switched on or off by notifyEvents. At most notifyMaxPerWindow go out one by one
 * per window; the rest are held and sent as one digest when the window ends, so a storm of
 * refusals sends a handful of messages. Sends go one at a time, in order, off the copy path; a
 * webhook that fails is logged (without its URL, which may hold a bot token) and not retried.
 */
import { notifyEvents, type HubConfig, type NotifyEvent } from '../config';
import type { HubEvent } from '../hub';
import type { Logger } from '../log';
import { body, type Digest, type Note } from './format';

/** Notes kept as examples in a digest. */
const DIGEST_EXAMPLES = 10;
const SEND_TIMEOUT_MS = 5_000;

export type Post = (url: string, body: Record<string, unknown>) => Promise<void>;

/** The note an event makes, if it is one of the notified kinds. */
export function noteOf(e: HubEvent): Note | undefined {
  switch (e.type) {
    case 'decision':
      if (e.kind === 'refuse' || e.kind === 'miss') return { event: 'refusal', time: e.time, account: e.account, message: `${e.kind.toUpperCase()} ${e.message}` };
      if (e.kind === 'expire') return { event: 'expiry', time: e.time, account: e.account, message: e.message };
      if (e.kind === 'trip') return { event: 'guard', time: e.time, account: e.account, message: `TRIP ${e.message}` };
      return undefined;
    case 'result':
      if (e.command === 'open' && (e.status === 'refused' || e.status === 'rejected')) return { event: 'refusal', time: e.time, account: e.slave, message: `slave ${e.message}` };
      return undefined;
    case 'terminal':
      if (e.what === 'offline') return { event: 'offline', time: e.time, account: e.name, message: e.message };
      if (e.what === 'back') return { event: 'online', time: e.time, account: e.name, message: e.message };
      return undefined;
    case 'ledger':
      return { event: 'ledger', time: e.time, message: e.message };
  }
}

/** POSTs JSON; throws on a network error, a timeout or a status other than 2xx. */
export const postJson: Post = async (url, payload) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
};

export interface NotifierOptions {
  config: Pick<HubConfig, 'notifyUrl' | 'notifyFormat' | 'notifyTelegramChat' | 'notifyEvents' | 'notifyMaxPerWindow' | 'notifyWindowMs'>;
  log: Logger;
  post?: Post;
  now?: () => number;
}

export class Notifier {
  private readonly on: Set<NotifyEvent>;
  private readonly post: Post;
  private readonly now: () => number;
  private windowStart = -Infinity;
  private sentInWindow = 0;
  private held: Digest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Messages POSTed and failed (for status and tests). */
  sent = 0;
  failed = 0;

  constructor(private readonly opts: NotifierOptions) {
    this.on = notifyEvents(opts.config);
    this.post = opts.post ?? postJson;
    this.now = opts.now ?? Date.now;
  }

  add(e: HubEvent): void {
    const note = noteOf(e);
    if (!note || !this.on.has(note.event)) return;
    const now = this.now();
    const { notifyWindowMs: windowMs, notifyMaxPerWindow: max } = this.opts.config;
    if (now - this.windowStart >= windowMs) this.endWindow(now);
    if (this.sentInWindow < max) {
      this.sentInWindow++;
      this.send(note);
      return;
    }
    const d = (this.held ??= { count: 0, byEvent: {}, first: [], windowMs });
    d.count++;
    d.byEvent[note.event] = (d.byEvent[note.event] ?? 0) + 1;
    if (d.first.length < DIGEST_EXAMPLES) d.first.push(note);
    this.timer ??= setTimeout(() => this.endWindow(this.now()), Math.max(0, this.windowStart + windowMs - now)).unref();
  }

  /** Sends what is held and waits for every send. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushHeld();
    await this.chain;
  }

  /** A new window begins; the digest of the one that ended is its first message. */
  private endWindow(now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.windowStart = now;
    this.sentInWindow = this.flushHeld() ? 1 : 0;
  }

  private flushHeld(): boolean {
    const d = this.held;
    this.held = undefined;
    if (d) this.send(d);
    return d !== undefined;
  }

  private send(what: Note | Digest): void {
    const { notifyUrl, notifyFormat, notifyTelegramChat } = this.opts.config;
    const payload = body(notifyFormat, notifyTelegramChat, what);
    this.chain = this.chain.then(() =>
      this.post(notifyUrl, payload).then(
        () => void this.sent++,
        (e: Error) => {
          this.failed++;
          const host = URL.canParse(notifyUrl) ? new URL(notifyUrl).host : 'the webhook';
          this.opts.log.warn(`notification to ${host} failed (${e.message}); check notifyUrl (${notifyFormat})`);
        },
      ),
    );
  }
}
