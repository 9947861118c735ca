/**
 * The load generator: one master and N slaves speaking the hub protocol over their own ZeroMQ
 * sockets (one PUSH + one SUB each, as the EA does), all in the benchmark's main process.
 * Slaves are lightweight: hello, symbols, snapshot, heartbeats, ticks for watched symbols, and a
 * "done" result for every command, sent at most execMs after the command arrived (a stand-in for the
 * broker's execution time, which for a real terminal is tens of milliseconds). Each received
 * command is timestamped with process.hrtime before anything else is done with it.
 */
import { context, Push, Subscriber } from 'zeromq';
import { MASTER_PRESET, SUFFIX_PRESET } from '../sim/presets';

export const MASTER_SYMBOL = 'EURUSD';
export const SLAVE_SYMBOL = 'EURUSD.c';
// Two sockets per simulated terminal: libzmq's default of 1,023 sockets would stop at about 500.
context.maxSockets = 16_384;
export const MASTER_QUOTE = MASTER_PRESET.quotes.EURUSD;
export const SLAVE_QUOTE = SUFFIX_PRESET.quotes[SLAVE_SYMBOL];

export type Mode = 'hub' | 'relay';

export interface OpenSeen {
  slave: Slave;
  /** process.hrtime.bigint() at receipt. */
  at: bigint;
  cmdId: string;
  masterPosition: string;
}

type Json = Record<string, unknown>;

abstract class Peer {
  readonly push = new Push({ linger: 0, sendHighWaterMark: 100_000 });
  readonly sub = new Subscriber({ linger: 0, receiveHighWaterMark: 100_000 });
  protected seq = 0;
  private readonly topic: Buffer;
  sent = 0;

  constructor(
    readonly account: string,
    protected readonly swarm: Swarm,
  ) {
    this.topic = Buffer.from(account, 'utf8');
  }

  connect(pull: string, pub: string): void {
    this.push.connect(pull);
    this.sub.connect(pub);
    this.sub.subscribe(this.account);
    void this.receiveLoop();
  }

  /** Stamps the envelope and pushes; never waits. */
  send(body: Json): Buffer {
    const buf = Buffer.from(JSON.stringify({ v: 1, ...body, account: this.account, seq: ++this.seq, ts: Date.now() }), 'utf8');
    this.sendRaw(buf);
    return buf;
  }

  sendRaw(buf: Buffer): void {
    this.sent++;
    this.swarm.sentTotal++;
    if (this.backlog) {
      this.backlog.push(buf);
      return;
    }
    try {
      this.push.send(buf).catch(() => undefined);
    } catch {
      // zeromq.js refuses a send while it finishes one it deferred (EBUSY): wait for it, in order.
      this.backlog = [buf];
      void this.drainBacklog();
    }
  }

  private backlog: Buffer[] | undefined;

  private async drainBacklog(): Promise<void> {
    while (this.backlog?.length) {
      const buf = this.backlog.shift()!;
      try {
        await this.push.send(buf);
      } catch (e) {
        if ((e as { code?: string }).code !== 'EBUSY') break;
        this.backlog.unshift(buf);
        await new Promise((r) => setImmediate(r));
      }
    }
    this.backlog = undefined;
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.sub) {
        const at = process.hrtime.bigint();
        if (frames.length !== 2 || !frames[0].equals(this.topic)) continue;
        this.onMessage(JSON.parse(frames[1].toString('utf8')) as Json, at);
      }
    } catch {
      // closed
    }
  }

  protected abstract onMessage(m: Json, at: bigint): void;

  close(): void {
    this.push.close();
    this.sub.close();
  }
}

export class Master extends Peer {
  welcomed = false;
  private dealNo = 0;

  hello(): void {
    this.send({ type: 'hello', login: 1000001, server: MASTER_PRESET.server, broker: MASTER_PRESET.company, currency: 'USD', margin_mode: 'hedging', ea_version: 'bench' });
  }

  protected override onMessage(m: Json): void {
    if (m.type === 'welcome' && !this.welcomed) {
      this.welcomed = true;
      this.send({ type: 'symbols', replace: true, symbols: MASTER_PRESET.symbols });
      this.send({ type: 'snapshot', positions: [], margin_mode: 'hedging' });
      this.send({ type: 'heartbeat', balance: 100_000, equity: 100_000, margin: 0 });
    }
  }

  heartbeat(): void {
    this.send({ type: 'heartbeat', balance: 100_000, equity: 100_000, margin: 0 });
  }

  /** Builds the bytes of an opening deal for a new master position (same shape as the EA's), numbered in turn: the hub ignores a message numbered below one it has seen. */
  dealBytes(position: string): Buffer {
    const n = ++this.dealNo;
    const msg = {
      v: 1, type: 'deal', account: this.account, seq: ++this.seq, ts: Date.now(), deal: String(9_000_000 + n), order: String(8_000_000 + n), position,
      symbol: MASTER_SYMBOL, side: 'buy', entry: 'in', volume: 0.1, price: MASTER_QUOTE.ask, sl: 1.08, tp: 1.09, magic: 0, comment: '',
      reason: 'client', time_ms: Date.now(), position_volume: 0.1, position_side: 'buy',
    };
    return Buffer.from(JSON.stringify(msg), 'utf8');
  }
}

export class Slave extends Peer {
  welcomed = false;
  watch: string[] = [];
  nextHeartbeat = 0;
  nextTick = 0;
  nextSnapshot = 0;
  heartbeatMs = 2000;
  snapshotMs = 30_000;
  /** Copies this slave holds, reported in its snapshots. */
  readonly positions: Json[] = [];
  /** master#position -> ticket of the copy. */
  private readonly copies = new Map<string, string>();
  opens = 0;
  private ticket = 0;
  private readonly ticketBase: number;

  constructor(account: string, swarm: Swarm, index: number) {
    super(account, swarm);
    this.ticketBase = 10_000_000 * (index + 1);
  }

  hello(): void {
    this.send({ type: 'hello', login: 2000000 + this.ticketBase / 10_000_000, server: SUFFIX_PRESET.server, broker: SUFFIX_PRESET.company, currency: 'USD', margin_mode: 'hedging', ea_version: 'bench' });
  }

  protected override onMessage(m: Json, at: bigint): void {
    switch (m.type) {
      case 'open': {
        this.opens++;
        this.swarm.onOpen?.({ slave: this, at, cmdId: String(m.cmd_id), masterPosition: String(m.master_position) });
        // As the EA: a re-sent command (or another for the same master position) opens nothing.
        const copyOf = `${String(m.master)}#${String(m.master_position)}`;
        const had = this.copies.get(copyOf);
        if (had) {
          this.swarm.reply(this, { type: 'result', cmd_id: m.cmd_id, status: 'duplicate', retcode: 0, message: 'already copied', ticket: had, position: had, volume: m.volume });
          return;
        }
        const ticket = String(this.ticketBase + ++this.ticket);
        this.copies.set(copyOf, ticket);
        this.positions.push({
          ticket, position: ticket, symbol: m.symbol, side: m.side, volume: m.volume, price_open: SLAVE_QUOTE.ask, sl: m.sl, tp: m.tp,
          magic: m.magic, comment: m.comment, time_ms: Date.now(), master: m.master, master_position: m.master_position,
        });
        this.swarm.reply(this, { type: 'result', cmd_id: m.cmd_id, status: 'done', retcode: 10009, message: 'done', ticket, position: ticket, deal: ticket, price: SLAVE_QUOTE.ask, volume: m.volume });
        return;
      }
      case 'close':
      case 'modify':
      case 'close_by':
        this.swarm.reply(this, { type: 'result', cmd_id: m.cmd_id, status: 'done', retcode: 10009, message: 'done', remaining_volume: 0 });
        return;
      case 'welcome':
        if (typeof m.heartbeat_ms === 'number') this.heartbeatMs = m.heartbeat_ms;
        if (typeof m.snapshot_ms === 'number') this.snapshotMs = m.snapshot_ms;
        if (!this.welcomed) {
          this.welcomed = true;
          this.send({ type: 'symbols', replace: true, symbols: SUFFIX_PRESET.symbols });
          this.snapshot();
          this.nextSnapshot = Date.now() + Math.random() * this.snapshotMs;
          this.heartbeat();
          this.swarm.onWelcome();
        }
        return;
      case 'watch':
        this.watch = (m.symbols as string[]) ?? [];
        for (const s of this.watch) this.tick(s);
        return;
      case 'ping':
        this.heartbeat();
        return;
      case 'error':
        this.swarm.errors.push(`${this.account}: ${String(m.code)} ${String(m.message)}`);
        return;
    }
  }

  heartbeat(): void {
    this.nextHeartbeat = Date.now() + this.heartbeatMs;
    this.send({ type: 'heartbeat', balance: 100_000, equity: 100_000, margin: 0, free_margin: 100_000, trade_allowed: true });
  }

  snapshot(): void {
    this.send({ type: 'snapshot', positions: this.positions, margin_mode: 'hedging' });
  }

  tick(symbol: string): void {
    const q = SUFFIX_PRESET.quotes[symbol] ?? SLAVE_QUOTE;
    // A point of jitter either way: the quote changes, the slippage gate still passes.
    const j = (Math.floor(Math.random() * 3) - 1) * 0.00001;
    this.send({ type: 'tick', symbol, bid: Number((q.bid + j).toFixed(5)), ask: Number((q.ask + j).toFixed(5)), time_ms: Date.now() });
  }
}

export interface SwarmOptions {
  mode: Mode;
  pullEndpoint: string;
  pubEndpoint: string;
  masterName: string;
  slaveNames: string[];
  /** Each slave sends a tick per watched symbol this often; 0: only when the watch list arrives. */
  tickEveryMs: number;
  /** Periodic snapshots every snapshot_ms of the welcome (30 s by default), as the EA does. */
  snapshots?: boolean;
  /** Slaves answer a command this long after receiving it; default 5 ms. */
  execMs?: number;
}

/** The master and slaves of one scenario, with one shared timer for hellos, heartbeats and ticks. */
export class Swarm {
  readonly master: Master;
  readonly slaves: Slave[];
  onOpen?: (o: OpenSeen) => void;
  readonly errors: string[] = [];
  sentTotal = 0;
  private welcomedCount = 0;
  private replies: [Slave, Json][] = [];
  private replyScheduled = false;
  private timer?: NodeJS.Timeout;

  constructor(readonly opts: SwarmOptions) {
    this.master = new Master(opts.masterName, this);
    this.slaves = opts.slaveNames.map((n, i) => new Slave(n, this, i));
  }

  get welcomed(): number {
    return this.welcomedCount;
  }

  onWelcome(): void {
    this.welcomedCount++;
  }

  reply(slave: Slave, body: Json): void {
    this.replies.push([slave, body]);
    if (!this.replyScheduled) {
      this.replyScheduled = true;
      setTimeout(() => this.flushReplies(), this.opts.execMs ?? 5);
    }
  }

  private flushReplies(): void {
    this.replyScheduled = false;
    const batch = this.replies;
    this.replies = [];
    for (const [s, body] of batch) s.send(body);
  }

  /** Connects everyone; in hub mode says hello (repeated until welcomed), in relay mode nothing to say. */
  start(): void {
    const { pullEndpoint, pubEndpoint } = this.opts;
    this.master.connect(pullEndpoint, pubEndpoint);
    for (const s of this.slaves) s.connect(pullEndpoint, pubEndpoint);
    const now = Date.now();
    if (this.opts.mode === 'hub') {
      this.master.hello();
      for (const s of this.slaves) s.hello();
    } else {
      // No hub to welcome them: they behave as welcomed slaves watching the traded symbol.
      this.master.welcomed = true;
      for (const s of this.slaves) {
        s.welcomed = true;
        s.watch = [SLAVE_SYMBOL];
        s.nextHeartbeat = now + Math.random() * s.heartbeatMs;
      }
      this.welcomedCount = this.slaves.length;
    }
    for (const s of this.slaves) s.nextTick = now + Math.random() * (this.opts.tickEveryMs || 1000);
    let lastHello = now;
    let masterBeat = now + 2000;
    this.timer = setInterval(() => {
      const t = Date.now();
      if (this.opts.mode === 'hub' && t - lastHello >= 1000) {
        lastHello = t;
        if (!this.master.welcomed) this.master.hello();
        for (const s of this.slaves) if (!s.welcomed) s.hello();
      }
      if (this.opts.mode === 'hub' && this.master.welcomed && t >= masterBeat) {
        masterBeat = t + 2000;
        this.master.heartbeat();
      }
      for (const s of this.slaves) {
        if (!s.welcomed) continue;
        if (t >= s.nextHeartbeat) s.heartbeat();
        if (this.opts.snapshots && t >= s.nextSnapshot) {
          s.nextSnapshot = t + s.snapshotMs;
          s.snapshot();
        }
        if (this.opts.tickEveryMs > 0 && t >= s.nextTick) {
          s.nextTick = t + this.opts.tickEveryMs;
          for (const sym of s.watch) s.tick(sym);
        }
      }
    }, 20);
  }

  async waitWelcomed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.welcomedCount < this.slaves.length || !this.master.welcomed) {
      if (Date.now() > deadline) {
        throw new Error(`only ${this.welcomedCount} of ${this.slaves.length} slaves welcomed (master ${this.master.welcomed}) after ${timeoutMs} ms${this.errors.length ? `; errors: ${this.errors.slice(0, 3).join('; ')}` : ''}`);
      }
      await sleep(10);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.master.close();
    for (const s of this.slaves) s.close();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
