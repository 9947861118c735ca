/**
 * Notifications: refusals, expiries, terminals going offline and coming back, ledger outages,
 * protection guards tripping, each switched on or off by notifyEvents. At most notifyMaxPerWindow go out one by one per
 * window; the rest are held and sent as one digest when the window ends, so a storm of refusals
 * sends a handful of messages. Each message goes to every sink: the webhook (notifyUrl) and the
 * EA of notifyTerminal, which hands it to the MetaTrader app (SendNotification). Sends go one at
 * a time, in order, off the copy path; a sink that fails is logged (a webhook without its URL,
 * which may hold a bot token) and not retried.
 */
import { notifyEvents, type HubConfig, type NotifyEvent } from '../config';
import type { HubEvent } from '../hub';
import type { Logger } from '../log';
import type { Body, HubMessage } from '../protocol';
import { body, notifyMessage, type Digest, type Note } from './format';

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
      if (e.kind === 'resume') return { event: 'guard', time: e.time, account: e.account, message: `RESUME ${e.message}` };
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

/** Where notifications go; `send` rejects with what went wrong, logged with `what` and `fix`. */
export interface NotifySink {
  what: string;
  fix: string;
  send(message: Note | Digest): Promise<void>;
  /** Hears every hub event (the terminal sink: its terminal coming back). */
  hear?(e: HubEvent): void;
}

/** Notes a terminal sink holds while its terminal is away; older ones are counted, not kept. */
export const TERMINAL_HELD_MAX = 20;

type SinkConfig = Pick<HubConfig, 'notifyUrl' | 'notifyFormat' | 'notifyTelegramChat'>;

/** The webhook of notifyUrl; named by its host only (a Telegram URL holds the bot's token). */
export function webhookSink(config: SinkConfig, post: Post = postJson): NotifySink {
  const { notifyUrl, notifyFormat, notifyTelegramChat } = config;
  const host = URL.canParse(notifyUrl) ? new URL(notifyUrl).host : 'the webhook';
  return {
    what: `notification to ${host}`,
    fix: `check notifyUrl (${notifyFormat})`,
    send: (message) => post(notifyUrl, body(notifyFormat, notifyTelegramChat, message)),
  };
}

/**
 * The EA of one account: a notify message on its topic, which it passes to SendNotification.
 * While the terminal is away (`online` says so) a publish would be lost: the notes wait, the last
 * TERMINAL_HELD_MAX of them, and go when it is back, with a count of those that did not fit.
 */
export function terminalSink(account: string, sendTo: (account: string, body: Body<HubMessage>) => void, online?: (account: string) => boolean): NotifySink {
  const held: (Note | Digest)[] = [];
  let dropped = 0;
  // a publish that throws becomes a rejection, logged like a failed webhook
  const publish = (message: Note | Digest) => new Promise<void>((resolve) => resolve(sendTo(account, notifyMessage(message))));
  return {
    what: `notification through the EA of ${account}`,
    fix: 'check notifyTerminal',
    send: (message) => {
      if (online && !online(account)) {
        held.push(message);
        if (held.length > TERMINAL_HELD_MAX) {
          held.shift();
          dropped++;
        }
        return Promise.resolve();
      }
      return publish(message);
    },
    hear: (e) => {
      if (e.type !== 'terminal' || e.what !== 'back' || e.name !== account || !held.length) return;
      if (dropped) held.unshift({ event: 'online', time: e.time, account, message: `${dropped} earlier notification${dropped > 1 ? 's' : ''} while ${account} was away were not kept` });
      for (const m of held.splice(0)) void publish(m).catch(() => undefined);
      dropped = 0;
    },
  };
}

export interface NotifierOptions {
  config: Pick<HubConfig, 'notifyUrl' | 'notifyFormat' | 'notifyTelegramChat' | 'notifyEvents' | 'notifyMaxPerWindow' | 'notifyWindowMs' | 'notifyTerminal'>;
  log: Logger;
  post?: Post;
  /** Publishes to a terminal (the running hub's sendTo): with notifyTerminal, its EA is a sink. */
  sendTo?: (account: string, body: Body<HubMessage>) => void;
  /** Whether a terminal is there to hear a publish now (notes for notifyTerminal wait while it is not). */
  online?: (account: string) => boolean;
  now?: () => number;
}

/** The sinks the configuration asks for. */
export function sinksOf(opts: NotifierOptions): NotifySink[] {
  const sinks: NotifySink[] = [];
  if (opts.config.notifyUrl) sinks.push(webhookSink(opts.config, opts.post));
  if (opts.config.notifyTerminal && opts.sendTo) sinks.push(terminalSink(opts.config.notifyTerminal, opts.sendTo, opts.online));
  return sinks;
}

export class Notifier {
  private readonly on: Set<NotifyEvent>;
  private readonly sinks: NotifySink[];
  private readonly now: () => number;
  private windowStart = -Infinity;
  private sentInWindow = 0;
  private held: Digest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Messages delivered to a sink and failed there (for status and tests). */
  sent = 0;
  failed = 0;

  constructor(private readonly opts: NotifierOptions) {
    this.on = notifyEvents(opts.config);
    this.sinks = sinksOf(opts);
    this.now = opts.now ?? Date.now;
  }

  /** Where the notifications go, for the log line at start ("" when nowhere). */
  get destinations(): string {
    return this.sinks.map((s) => s.what.replace(/^notification /, '')).join(', and ');
  }

  add(e: HubEvent): void {
    for (const sink of this.sinks) sink.hear?.(e);
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
    for (const sink of this.sinks) {
      this.chain = this.chain.then(() =>
        sink.send(what).then(
          () => void this.sent++,
          (e: Error) => {
            this.failed++;
            this.opts.log.warn(`${sink.what} failed (${e.message}); ${sink.fix}`);
          },
        ),
      );
    }
  }
}
