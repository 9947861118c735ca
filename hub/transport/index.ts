/**
 * ZeroMQ sockets of the hub: PULL for everything terminals send, PUB for commands addressed by
 * topic (= account name). Outgoing messages are stamped (v, account, seq, ts) here, once. With
 * CURVE, both sockets encrypt, the ZAP handler admits registered keys only, and every incoming
 * message is attributed to the account of the key that made its proof frame (docs/remote.md).
 */
import { Context, Publisher, Pull } from 'zeromq';
import { TransportError } from '../errors';
import { PROTOCOL_VERSION, type Body, type HubMessage } from '../protocol';
import { ZapHandler } from './zap';

export interface CurveServerOptions {
  /** The hub's CURVE secret key (Z85). */
  secretKey: string;
  /** The account a connecting terminal's public key belongs to; undefined refuses the connection. */
  admit(publicKey: string, address: string): string | undefined;
  /** The account whose key made a message's proof frame (see keys.ts, accountProof). */
  ownerOfProof(proof: Buffer): string | undefined;
  /** A message dropped for want of a valid proof frame. */
  onUnproven(why: string): void;
  /**
   * Whether messages may go to this account's topic: not once all its keys are revoked. A revoked
   * terminal's connection stays up (closing connections under CURVE tripped a libzmq assertion),
   * so it must hear nothing more to act on.
   */
  mayReceive(account: string): boolean;
}

export interface TransportOptions {
  pubEndpoint: string;
  pullEndpoint: string;
  maxMessageBytes: number;
  /** CURVE on both sockets, with a ZAP handler admitting only registered keys. */
  curve?: CurveServerOptions;
  /** `owner`: with CURVE, the account of the key that sent the message (its proof frame is removed). */
  onMessage(frames: Buffer[], receivedAt: number, owner?: string): void;
}

/**
 * Topics whose sequence number is remembered. Errors go to any name a terminal claims, so the
 * map is bounded: the least recently addressed topic is forgotten (its next message starts at
 * seq 1 again, which a terminal takes as a hub restart and answers with hello).
 */
const MAX_TOPICS = 65_536;

/** How long a busy port is retried: a hub that just stopped may still hold it for a moment. */
const BIND_GRACE_MS = 2_000;

/**
 * With CURVE: a handshake not done within this time is closed. It ends the connections of refused
 * keys (see zap.ts), which the terminals then retry; CURVE's two round trips fit many times over.
 */
const CURVE_HANDSHAKE_MS = 5_000;

async function bindWithGrace(sock: Publisher | Pull, ep: string): Promise<void> {
  const deadline = Date.now() + BIND_GRACE_MS;
  for (;;) {
    try {
      return await sock.bind(ep);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EADDRINUSE' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export class Transport {
  private readonly pub: Publisher;
  private readonly pull: Pull;
  private readonly zap: ZapHandler | undefined;
  private queue: [string, Buffer][] = [];
  private sending = false;
  /** The last send handed to zeromq.js directly; the send loop waits for it before it sends. */
  private lastSend: Promise<void> | undefined;
  private closed = false;
  private seq = new Map<string, number>();
  private receiving: Promise<void> | undefined;
  pubEndpoint = '';
  pullEndpoint = '';
  sent = 0;

  constructor(private readonly opts: TransportOptions) {
    const curve = opts.curve;
    // libzmq asks the ZAP handler of the sockets' own context: a context per hub keeps two hubs
    // of one process (tests) from answering for each other.
    const context = curve ? new Context() : undefined;
    const security = curve ? { context, curveServer: true, curveSecretKey: curve.secretKey, handshakeInterval: CURVE_HANDSHAKE_MS } : {};
    this.pub = new Publisher({ ...security, linger: 0, sendHighWaterMark: 1_000_000, noDrop: false });
    this.pull = new Pull({ ...security, linger: 0, receiveHighWaterMark: 1_000_000 });
    this.zap = curve && context ? new ZapHandler(context, (key, address) => ({ account: curve.admit(key, address) })) : undefined;
    // ZeroMQ drops the connection of a peer that sends more than this; the decoder answers
    // E_TOO_LARGE for anything between the protocol limit and this hard ceiling.
    this.pull.maxMessageSize = Math.max(opts.maxMessageBytes * 4, 16 * 1024 * 1024);
  }

  async bind(): Promise<void> {
    await this.zap?.start();
    for (const [sock, ep, name] of [
      [this.pub, this.opts.pubEndpoint, 'pubEndpoint'],
      [this.pull, this.opts.pullEndpoint, 'pullEndpoint'],
    ] as const) {
      try {
        await bindWithGrace(sock, ep);
      } catch (e) {
        await this.close();
        throw new TransportError(
          `cannot bind ${name} ${ep}: ${(e as Error).message}`,
          (e as { code?: string }).code === 'EADDRINUSE'
            ? 'another hub (or program) uses this port: stop it or choose another port with --pub/--pull'
            : 'check the address; only local addresses can be bound',
          { cause: e },
        );
      }
    }
    this.pubEndpoint = this.pub.lastEndpoint ?? this.opts.pubEndpoint;
    this.pullEndpoint = this.pull.lastEndpoint ?? this.opts.pullEndpoint;
    this.receiving = this.receiveLoop();
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.pull) {
        const curve = this.opts.curve;
        if (!curve) {
          this.opts.onMessage(frames, Date.now());
          continue;
        }
        const owner = frames.length >= 2 ? curve.ownerOfProof(frames[0]) : undefined;
        if (owner !== undefined) this.opts.onMessage(frames.slice(1), Date.now(), owner);
        else curve.onUnproven(frames.length < 2 ? 'it has no account proof frame (a copybridge.dll older than the hub?)' : 'its account proof belongs to no registered key (revoked while connected?)');
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  /** Stamps and publishes a message to one account's topic; never waits. */
  send(account: string, body: Body<HubMessage>): void {
    if (this.closed || (this.opts.curve && !this.opts.curve.mayReceive(account))) return;
    const seq = (this.seq.get(account) ?? 0) + 1;
    // Re-inserted, so the map's order is least recently addressed first.
    this.seq.delete(account);
    this.seq.set(account, seq);
    if (this.seq.size > MAX_TOPICS) this.seq.delete(this.seq.keys().next().value!);
    const msg = { v: PROTOCOL_VERSION, ...body, account, seq, ts: Date.now() };
    const frames: [string, Buffer] = [account, Buffer.from(JSON.stringify(msg), 'utf8')];
    // Handed to ZeroMQ now, so that a fan-out's first commands are on the wire while the engine
    // still decides the others (and, in a burst, before the next message is read).
    if (!this.sending && this.sendNow(frames)) return;
    this.queue.push(frames);
    if (!this.sending) void this.drain();
  }

  /**
   * zeromq.js sends synchronously while the socket is writable (a PUB socket always is: at the
   * high-water mark it drops), except that now and then it defers one send to the next turn of
   * the event loop and refuses (EBUSY) any other until that one is done. Returns false then:
   * the message goes to the queue and the send loop takes over.
   */
  private sendNow(frames: [string, Buffer]): boolean {
    let sent: Promise<void>;
    try {
      sent = this.pub.send(frames);
    } catch {
      return false;
    }
    this.sent++;
    this.lastSend = sent;
    // Rejected only when the socket closed under it; a PUB socket drops messages anyway.
    sent.catch(() => undefined);
    return true;
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      await this.lastSend?.catch(() => undefined);
      // zeromq.js allows one send in flight per socket; PUB never blocks, so this loop is quick.
      while (this.queue.length && !this.closed) {
        const batch = this.queue;
        this.queue = [];
        for (const frames of batch) {
          await this.pub.send(frames);
          this.sent++;
        }
      }
    } finally {
      this.sending = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pull.close();
    this.pub.close();
    await this.receiving?.catch(() => undefined);
    await this.zap?.close();
  }
}
