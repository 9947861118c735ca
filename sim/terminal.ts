/**
 * SimTerminal: a MetaTrader terminal with our EA attached, speaking the real protocol over real
 * ZeroMQ sockets (PUSH to the hub's PULL, SUB on the hub's PUB). It behaves as the EA does:
 * the hub decides, the EA executes, but the EA still refuses a copy whose price has run away and
 * never opens a second copy of one master position.
 */
import { Push, Subscriber } from 'zeromq';
import {
  PROTOCOL_VERSION,
  decodeHubMessage,
  encode,
  type Body,
  type CloseByMsg,
  type CloseMsg,
  type CommandMsg,
  type ErrorMessage,
  type HubMessage,
  type ModifyMsg,
  type ModifyOrderMsg,
  type PendingOrder,
  type PlaceMsg,
  type RemoveMsg,
  type OpenMsg,
  type Position,
  type ResultMsg,
  type TerminalMessage,
  type WelcomeMsg,
} from '../hub/protocol';
import { accountProof } from '../hub/transport/keys';
import {
  chooseFilling,
  normalizeDouble,
  normalizeVolume,
  truncateComment,
  type SimBrokerEvent,
  type SimOrderChange,
  type SimOrderRequest,
  type SimPendingRequest,
  type SimQuote,
  type SimBroker,
  type SimTradeResult,
} from './broker';
import { SimJournal, type StoredResult } from './journal';
import { RETRYABLE_RETCODES, Retcode } from './retcodes';

export interface SimTerminalOptions {
  account: string;
  /** the hub's PULL endpoint; the terminal connects a PUSH socket to it */
  hubPush: string;
  /** the hub's PUB endpoint; the terminal connects a SUB socket subscribed to its account */
  hubPub: string;
  broker: SimBroker;
  /** heartbeat interval until the welcome says otherwise; default 2000 */
  heartbeatMs?: number;
  /** default 1000 */
  helloRetryMs?: number;
  /** minimum interval between ticks of one symbol; default 100 (protocol: at most every 100 ms) */
  tickThrottleMs?: number;
  login?: number;
  server?: string;
  /** ACCOUNT_COMPANY */
  company?: string;
  currency?: string;
  /** the EA's journal file; pass the previous one to simulate a restart with a new object */
  journal?: SimJournal;
  /** symbols per `symbols` message; default 200 */
  symbolsChunk?: number;
  /** positions per snapshot part, for a hub whose welcome says it takes parts (max_message_bytes); default 1000 */
  snapshotChunk?: number;
  /** default Date.now: envelope ts, and command expiry from a hub that sends no ttl_ms */
  now?: () => number;
  log?: (line: string) => void;
  /** CURVE, as the EA's InpServerKey / InpClientPublicKey / InpClientSecretKey (Z85) */
  curve?: { serverKey: string; publicKey: string; secretKey: string };
}

type Action = Omit<SimOrderRequest, 'symbol' | 'side' | 'volume' | 'position'>;
type ResultBody = StoredResult;

/**
 * Why a command is too old to execute, or undefined: its ttl_ms counted from its receipt on this
 * process's monotonic clock; from a hub without ttl_ms, its expires_ms against this terminal's clock.
 */
function expiry(cmd: CommandMsg, receivedAt: number, now: number): string | undefined {
  if (cmd.ttl_ms !== undefined) {
    const waited = Math.round(performance.now() - receivedAt);
    return waited > cmd.ttl_ms ? `command expired: received ${waited} ms ago, time to live ${cmd.ttl_ms} ms` : undefined;
  }
  return now > cmd.expires_ms ? `command expired ${now - cmd.expires_ms} ms ago (expires_ms ${cmd.expires_ms}, now ${now})` : undefined;
}

/** Retries after requote / price changed / off quotes, as the EA does (docs/install-windows.md). */
const MAX_RETRIES = 3;
const WAIT_POLL_MS = 5;
/** How many received/sent/result entries the test hooks keep. */
const RECORD_LIMIT = 10_000;

export class SimTerminal {
  readonly account: string;
  readonly broker: SimBroker;
  readonly journal: SimJournal;
  /** Hub messages addressed to this account, decoded, oldest first. */
  readonly received: HubMessage[] = [];
  /** Every message this terminal sent. */
  readonly sent: TerminalMessage[] = [];
  /** Results sent (also in `sent`). */
  readonly results: ResultMsg[] = [];
  /** `error` messages from the hub. */
  readonly errors: ErrorMessage[] = [];
  /** Frames for this account that could not be decoded, with the reason. */
  readonly decodeErrors: string[] = [];

  private readonly opts: SimTerminalOptions;
  private readonly now: () => number;
  private push?: Push;
  private proof?: Buffer;
  private sub?: Subscriber;
  private loop?: Promise<void>;
  private running = false;
  private offline = false;
  private tradeAllowed = true;
  /** Results still to drop (fault injection): the command runs, its result never leaves. */
  private resultsToDrop = 0;
  private dropped = 0;
  private seq = 0;
  private welcomeMsg?: WelcomeMsg;
  private readonly timers = new Set<NodeJS.Timeout>();
  private periodic: NodeJS.Timeout[] = [];
  private outbox: Buffer[] = [];
  private pumping = false;
  private watched = new Set<string>();
  private readonly lastTick = new Map<string, { at: number; bid: number; ask: number }>();
  private readonly tickTimers = new Map<string, NodeJS.Timeout>();
  /** Deal/position events raised while a command runs go out after its result, as in the EA
   *  (OrderSend returns before OnTradeTransaction runs). */
  private deferring = false;
  private deferred: Body<TerminalMessage>[] = [];

  constructor(opts: SimTerminalOptions) {
    this.opts = opts;
    this.account = opts.account;
    this.broker = opts.broker;
    this.journal = opts.journal ?? new SimJournal();
    this.now = opts.now ?? Date.now;
    // Subscribed for the object's lifetime: events while stopped are lost, as in a closed terminal.
    this.broker.onEvent((e) => this.onBrokerEvent(e));
  }

  // ------------------------------------------------------------------ lifecycle

  get started(): boolean {
    return this.running;
  }

  /** The welcome received since the last start(), if any. */
  get welcome(): WelcomeMsg | undefined {
    return this.welcomeMsg;
  }

  get role(): WelcomeMsg['role'] | undefined {
    return this.welcomeMsg?.role;
  }

  /** Connects and says hello every helloRetryMs until a welcome arrives. */
  start(): Promise<void> {
    // The work is synchronous; a connect that throws still reaches the caller as a rejection.
    return new Promise((resolve) => resolve(this.connect()));
  }

  private connect(): void {
    if (this.running) return;
    const curve = this.opts.curve;
    const keys = curve ? { curveServerKey: curve.serverKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey } : {};
    // What copybridge.dll sends as the first frame of every message over CURVE.
    this.proof = curve ? accountProof(curve.secretKey, curve.serverKey) : undefined;
    const push = new Push({ ...keys, linger: 0, sendHighWaterMark: 100000 });
    const sub = new Subscriber({ ...keys, linger: 0, receiveHighWaterMark: 100000 });
    push.connect(this.opts.hubPush);
    sub.connect(this.opts.hubPub);
    sub.subscribe(this.account);
    this.push = push;
    this.sub = sub;
    this.running = true;
    this.seq = 0; // the EA starts counting again after a (re)start; hello marks the restart
    this.welcomeMsg = undefined;
    this.loop = this.receiveLoop(sub);
    this.sendHello();
    this.every(this.opts.helloRetryMs ?? 1000, () => {
      if (!this.welcomeMsg) this.sendHello();
    });
    this.log(`started, connecting to ${this.opts.hubPush} / ${this.opts.hubPub}`);
  }

  /** Closes the sockets with linger 0, like a terminal being closed or the EA removed. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.tickTimers.clear();
    this.periodic = [];
    this.outbox = [];
    this.deferred = [];
    this.watched = new Set();
    this.lastTick.clear();
    this.welcomeMsg = undefined;
    this.push?.close();
    this.sub?.close();
    this.push = undefined;
    this.sub = undefined;
    await this.loop;
    this.loop = undefined;
    this.log('stopped');
  }

  /** Offline: nothing is sent and everything received is dropped, sockets stay open. */
  setOffline(offline: boolean): void {
    this.offline = offline;
    if (offline) this.outbox = [];
  }

  /** The next `count` commands execute but their results are lost on the way to the hub, as when
   *  the terminal dies between OrderSend and the reply. The journal keeps them, so a re-sent
   *  command is answered `duplicate` with what was done. */
  dropResults(count: number): void {
    this.resultsToDrop = Math.max(0, Math.floor(count));
  }

  /** How many results dropResults() has swallowed since this object was made. */
  get droppedResults(): number {
    return this.dropped;
  }

  /** Algo trading switched off in the terminal: commands are rejected with 10027. */
  setTradeAllowed(allowed: boolean): void {
    this.tradeAllowed = allowed;
  }

  // ------------------------------------------------------------------ user actions (manual trading)

  buy(symbol: string, volume: number, opts: Action = {}): SimTradeResult {
    return this.broker.order({ ...opts, symbol, side: 'buy', volume });
  }

  sell(symbol: string, volume: number, opts: Action = {}): SimTradeResult {
    return this.broker.order({ ...opts, symbol, side: 'sell', volume });
  }

  close(ticketOrPosition: string, volume?: number): SimTradeResult {
    return this.broker.close(ticketOrPosition, { volume });
  }

  modify(position: string, sl: number, tp: number): SimTradeResult {
    const p = this.broker.position(position);
    const spec = p && this.broker.symbol(p.symbol);
    return spec ? this.broker.modify(position, normalizeDouble(sl, spec.digits), normalizeDouble(tp, spec.digits)) : this.broker.modify(position, sl, tp);
  }

  closeBy(position: string, positionBy: string): SimTradeResult {
    return this.broker.closeBy(position, positionBy);
  }

  setQuote(symbol: string, bid: number, ask: number): SimQuote {
    return this.broker.setQuote(symbol, bid, ask);
  }

  positions(): Position[] {
    return this.snapshotPositions();
  }

  /** A pending order placed by hand (or by another EA). */
  placeOrder(symbol: string, type: SimPendingRequest['type'], volume: number, price: number, opts: Omit<SimPendingRequest, 'symbol' | 'type' | 'volume' | 'price'> = {}): SimTradeResult {
    return this.broker.placeOrder({ ...opts, symbol, type, volume, price });
  }

  modifyOrder(ticket: string, change: SimOrderChange): SimTradeResult {
    return this.broker.modifyOrder(ticket, change);
  }

  removeOrder(ticket: string): SimTradeResult {
    return this.broker.removeOrder(ticket);
  }

  orders(): PendingOrder[] {
    return this.broker.orders().map((o) => this.withCopy(o));
  }

  // ------------------------------------------------------------------ test hooks

  /** Pushes raw bytes to the hub (bad-input tests). */
  send(raw: Buffer | string): void {
    this.enqueue(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
  }

  /** Sends a message with this terminal's envelope (v, account, seq, ts). */
  sendMessage(body: Body<TerminalMessage>): TerminalMessage {
    const msg = { v: PROTOCOL_VERSION, ...body, account: this.account, seq: ++this.seq, ts: this.now() } as TerminalMessage;
    this.record(this.sent, msg);
    if (msg.type === 'result') this.record(this.results, msg);
    this.enqueue(encode(msg));
    return msg;
  }

  /** Polls until predicate returns something truthy and resolves with it. */
  async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = predicate();
      if (v) return v;
      if (Date.now() >= deadline) {
        const last = this.received.slice(-10).map((m) => m.type).join(', ') || 'nothing';
        throw new Error(`SimTerminal ${this.account}: timed out after ${timeoutMs} ms waiting for ${what}; last received: ${last}`);
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }

  /** Resolves with the first received message of this type (matching predicate), past or future. */
  waitForMessage<K extends HubMessage['type']>(
    type: K,
    predicate: (m: Extract<HubMessage, { type: K }>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Extract<HubMessage, { type: K }>> {
    return this.waitFor(
      () => this.received.find((m): m is Extract<HubMessage, { type: K }> => m.type === type && predicate(m as Extract<HubMessage, { type: K }>)),
      timeoutMs,
      `a "${type}" message`,
    );
  }

  // ------------------------------------------------------------------ receiving

  private async receiveLoop(sub: Subscriber): Promise<void> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await sub.receive();
      } catch (e) {
        if (!sub.closed) this.log(`receive failed: ${(e as Error).message}`);
        return;
      }
      if (sub !== this.sub || this.offline) continue;
      // SUB matches prefixes: "S1" also receives "S10"; keep the exact topic only.
      if (frames.length < 2 || frames[0].toString('utf8') !== this.account) continue;
      try {
        this.onFrame(frames[1]);
      } catch (e) {
        this.log(`error handling a message: ${(e as Error).stack ?? String(e)}`);
      }
    }
  }

  private onFrame(payload: Buffer): void {
    // A command's ttl_ms counts from here, on this process's monotonic clock.
    const receivedAt = performance.now();
    let msg: HubMessage;
    try {
      msg = decodeHubMessage(payload);
    } catch (e) {
      const why = (e as Error).message;
      this.record(this.decodeErrors, why);
      this.log(`dropped an undecodable message: ${why}`);
      return;
    }
    if (msg.account !== this.account) {
      this.record(this.decodeErrors, `message addressed to ${msg.account} arrived on topic ${this.account}`);
      return;
    }
    this.record(this.received, msg);
    switch (msg.type) {
      case 'welcome':
        this.onWelcome(msg);
        break;
      case 'ping':
        this.sendHeartbeat();
        break;
      case 'snapshot_request':
        this.sendSnapshot();
        break;
      case 'watch':
        this.onWatch(msg.symbols);
        break;
      case 'error':
        this.record(this.errors, msg);
        this.log(`hub error ${msg.code}: ${msg.message}`);
        break;
      case 'notify':
        // what the EA hands to SendNotification; kept in `received` like every message
        this.log(`notification (${msg.event}): ${msg.text}`);
        break;
      case 'open':
      case 'close':
      case 'close_by':
      case 'modify':
      case 'place':
      case 'modify_order':
      case 'remove':
        this.onCommand(msg, receivedAt);
        break;
    }
  }

  private onWelcome(w: WelcomeMsg): void {
    this.welcomeMsg = w;
    for (const t of this.periodic) this.clear(t);
    this.periodic = [this.every(w.heartbeat_ms > 0 ? w.heartbeat_ms : this.opts.heartbeatMs ?? 2000, () => this.sendHeartbeat())];
    if (w.snapshot_ms > 0) this.periodic.push(this.every(w.snapshot_ms, () => this.sendSnapshot()));
    this.log(`welcome: role ${w.role}, magic ${w.magic}`);
    this.sendSymbols();
    this.sendSnapshot();
    this.sendHeartbeat();
  }

  private onWatch(symbols: string[]): void {
    this.watched = new Set(symbols);
    for (const [s, t] of this.tickTimers) {
      if (!this.watched.has(s)) {
        this.clear(t);
        this.tickTimers.delete(s);
      }
    }
    for (const s of [...this.lastTick.keys()]) if (!this.watched.has(s)) this.lastTick.delete(s);
    for (const s of symbols) {
      if (this.lastTick.has(s)) continue;
      const q = this.broker.quote(s);
      if (q) this.sendTick(s, q);
    }
  }

  // ------------------------------------------------------------------ sending

  private sendHello(): void {
    this.sendMessage({
      type: 'hello',
      login: this.opts.login ?? 5000000,
      server: this.opts.server ?? 'Sim-Server',
      broker: this.opts.company ?? 'Sim Broker Ltd',
      currency: this.opts.currency ?? 'USD',
      margin_mode: this.broker.marginMode,
      ea_version: '1.0.0-sim',
    });
  }

  private sendHeartbeat(): void {
    const a = this.broker.account();
    this.sendMessage({ type: 'heartbeat', balance: a.balance, equity: a.equity, margin: a.margin, free_margin: a.free_margin, trade_allowed: this.tradeAllowed });
  }

  private sendSymbols(): void {
    const all = this.broker.symbols();
    const size = Math.max(1, this.opts.symbolsChunk ?? 200);
    for (let i = 0; i === 0 || i < all.length; i += size) {
      this.sendMessage({ type: 'symbols', replace: i === 0, symbols: all.slice(i, i + size) });
    }
  }

  private sendSnapshot(): void {
    // As the EA does (Market.mqh): a restarted hub learns a netting account without a new hello;
    // a long list goes in parts to a hub that takes them (its welcome says max_message_bytes).
    const positions = this.snapshotPositions();
    const margin_mode = this.broker.marginMode;
    const size = Math.max(1, this.opts.snapshotChunk ?? 1000);
    if (this.welcomeMsg?.max_message_bytes === undefined || positions.length <= size) {
      this.sendMessage({ type: 'snapshot', positions, orders: this.broker.orders().map((o) => this.withCopy(o)), margin_mode });
      return;
    }
    // unique across restarts, which number messages from 1 again
    const snapshot_id = `${Date.now().toString(36)}-${this.seq + 1}`;
    const parts = Math.ceil(positions.length / size);
    for (let part = 1; part <= parts; part++) {
      const orders = part === 1 ? { orders: this.broker.orders().map((o) => this.withCopy(o)) } : {};
      this.sendMessage({ type: 'snapshot', snapshot_id, part, parts, positions: positions.slice((part - 1) * size, part * size), ...orders, margin_mode });
    }
  }

  /** A pending order with the master order it copies, from the journal. */
  private withCopy(o: PendingOrder): PendingOrder {
    const c = this.journal.copyOf(o.ticket);
    return c ? { ...o, master: c.master, master_position: c.master_position } : o;
  }

  private snapshotPositions(): Position[] {
    const positions = this.broker.positions();
    // A pending copy's journal entry names its order's ticket, which its position keeps when it fills.
    this.journal.prune([...positions.map((p) => p.position), ...this.broker.orders().map((o) => o.ticket)]);
    return positions.map((p) => {
      const c = this.journal.copyOf(p.position);
      return c ? { ...p, master: c.master, master_position: c.master_position } : p;
    });
  }

  private sendTick(symbol: string, q: SimQuote): void {
    this.lastTick.set(symbol, { at: Date.now(), bid: q.bid, ask: q.ask });
    this.sendMessage({ type: 'tick', symbol, bid: q.bid, ask: q.ask, time_ms: q.time_ms });
  }

  private onBrokerEvent(e: SimBrokerEvent): void {
    if (!this.running || this.offline || !this.welcomeMsg) return;
    if (e.type === 'quote') {
      this.onQuote(e.symbol);
      return;
    }
    const body: Body<TerminalMessage> =
      e.type === 'deal' ? { type: 'deal', ...e.deal } : e.type === 'order' ? { type: 'order', ...e.change, order: this.withCopy(e.change.order) } : { type: 'position', ...e.change };
    if (this.deferring) this.deferred.push(body);
    else this.sendMessage(body);
  }

  /** First tick of a watched symbol goes at once; later ones at most every tickThrottleMs, the
   *  latest quote winning (a trailing send, so the hub never keeps a stale price). */
  private onQuote(symbol: string): void {
    if (!this.watched.has(symbol) || this.tickTimers.has(symbol)) return;
    const last = this.lastTick.get(symbol);
    const throttle = this.opts.tickThrottleMs ?? 100;
    const wait = last ? last.at + throttle - Date.now() : 0;
    const q = this.broker.quote(symbol);
    if (!q) return;
    if (wait <= 0) {
      this.sendTick(symbol, q);
      return;
    }
    const t = this.after(wait, () => {
      this.tickTimers.delete(symbol);
      const now = this.broker.quote(symbol);
      const prev = this.lastTick.get(symbol);
      if (now && this.watched.has(symbol) && (!prev || prev.bid !== now.bid || prev.ask !== now.ask)) this.sendTick(symbol, now);
    });
    this.tickTimers.set(symbol, t);
  }

  private enqueue(bytes: Buffer): void {
    if (!this.running || this.offline) return;
    this.outbox.push(bytes);
    void this.pump();
  }

  /** zeromq allows one send in flight per socket; this keeps the order and never blocks the caller. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.outbox.length > 0 && this.push && !this.push.closed) {
        const next = this.outbox.shift() as Buffer;
        await this.push.send(this.proof ? [this.proof, next] : next);
      }
    } catch (e) {
      if (this.running) this.log(`send failed: ${(e as Error).message}`);
    } finally {
      this.pumping = false;
    }
  }

  // ------------------------------------------------------------------ commands

  private onCommand(cmd: CommandMsg, receivedAt: number): void {
    // Commands before the welcome are ignored; the hub re-sends until it gets a result.
    if (!this.welcomeMsg) return;
    const prev = this.journal.command(cmd.cmd_id);
    if (prev) {
      this.reply(cmd, replay(cmd.cmd_id, prev));
      return;
    }
    this.deferring = true;
    let res: ResultBody;
    try {
      res = this.execute(cmd, this.welcomeMsg, receivedAt);
    } finally {
      this.deferring = false;
    }
    this.journal.recordCommand(cmd.cmd_id, res);
    if (this.resultsToDrop > 0) {
      this.resultsToDrop--;
      this.dropped++;
      this.log(`${cmd.type} ${cmd.cmd_id}: ${res.status}; result dropped (fault injection)`);
    } else this.reply(cmd, res);
    const events = this.deferred;
    this.deferred = [];
    for (const body of events) this.sendMessage(body);
  }

  private reply(cmd: CommandMsg, res: ResultBody): void {
    const line = `${cmd.type} ${cmd.cmd_id}: ${res.status} ${res.retcode} ${res.message}`;
    this.log(line);
    this.sendMessage({ type: 'result', cmd_id: cmd.cmd_id, ...res });
  }

  private execute(cmd: CommandMsg, welcome: WelcomeMsg, receivedAt: number): ResultBody {
    if (welcome.role !== 'slave') return refused(`this terminal's role is ${welcome.role}; only slaves execute ${cmd.type} commands`);
    const expired = expiry(cmd, receivedAt, this.now());
    if (expired) return { status: 'expired', retcode: 0, message: expired };
    if (!this.tradeAllowed) return fromTrade({ retcode: Retcode.CLIENT_DISABLES_AT, message: 'autotrading disabled by client: enable Algo Trading in the terminal' });
    switch (cmd.type) {
      case 'open':
        return this.execOpen(cmd);
      case 'close':
        return this.execClose(cmd, welcome.magic);
      case 'close_by':
        return this.execCloseBy(cmd, welcome.magic);
      case 'modify':
        return this.execModify(cmd);
      case 'place':
        return this.execPlace(cmd);
      case 'modify_order':
        return this.execModifyOrder(cmd);
      case 'remove':
        return this.execRemove(cmd);
    }
  }

  /** The welcome's protection limits, as the EA checks them before an open (defence in depth; closes are never refused). */
  private beyondLimits(cmd: OpenMsg, volume: number): string | undefined {
    const lim = this.welcomeMsg?.limits;
    if (!lim) return undefined;
    if (lim.blocked) return `protection: ${lim.blocked}`;
    const { equity } = this.broker.account();
    if (lim.equity_floor !== undefined && equity <= lim.equity_floor) return `protection: equity ${equity} at or below the floor ${lim.equity_floor}`;
    const positions = this.broker.positions();
    if (!cmd.increase && lim.max_positions !== undefined && positions.length >= lim.max_positions) return `protection: ${positions.length} positions, the limit is ${lim.max_positions}`;
    const lots = (list: Position[]) => list.reduce((n, p) => n + p.volume, 0);
    if (lim.max_lots !== undefined && lots(positions) + volume > lim.max_lots + 1e-9) return `protection: ${lots(positions) + volume} lots would be more than ${lim.max_lots}`;
    const onSymbol = lots(positions.filter((p) => p.symbol === cmd.symbol)) + volume;
    if (lim.max_lots_per_symbol !== undefined && onSymbol > lim.max_lots_per_symbol + 1e-9) return `protection: ${onSymbol} lots of ${cmd.symbol} would be more than ${lim.max_lots_per_symbol}`;
    return undefined;
  }

  private execOpen(cmd: OpenMsg): ResultBody {
    if (!cmd.increase) {
      const copy = this.findCopy(cmd);
      if (copy) {
        return {
          status: 'duplicate',
          retcode: 0,
          message: `master position ${cmd.master}/${cmd.master_position} is already copied as position ${copy.position}`,
          ticket: copy.ticket,
          position: copy.position,
          price: copy.price_open,
          volume: copy.volume,
        };
      }
    }
    const spec = this.broker.symbol(cmd.symbol);
    if (!spec) return refused(`symbol ${cmd.symbol} is not known in this terminal`);
    const volume = normalizeVolume(cmd.volume, spec.volume_step);
    const limited = this.beyondLimits(cmd, volume);
    if (limited) return refused(limited);
    const request: SimOrderRequest = {
      symbol: cmd.symbol,
      side: cmd.side,
      volume,
      sl: cmd.sl ? normalizeDouble(cmd.sl, spec.digits) : 0,
      tp: cmd.tp ? normalizeDouble(cmd.tp, spec.digits) : 0,
      magic: cmd.magic,
      comment: cmd.comment,
      filling: chooseFilling(spec.filling_modes),
      reason: 'expert',
    };
    let r: SimTradeResult | undefined;
    for (let attempt = 0; ; attempt++) {
      const q = this.broker.quote(cmd.symbol);
      if (!q) return refused(`no quote for ${cmd.symbol}`);
      // Under market execution the broker fills at its own price: check the fresh tick first.
      const price = cmd.side === 'buy' ? q.ask : q.bid;
      const points = Math.abs(price - cmd.price) / spec.point;
      if (points > cmd.max_deviation_points + 1e-6) {
        const retried = attempt > 0 ? ` after ${attempt} ${attempt === 1 ? 'retry' : 'retries'} (last retcode ${r?.retcode})` : '';
        return refused(
          `price moved ${points.toFixed(1)} points: ${cmd.side === 'buy' ? 'ask' : 'bid'} ${price.toFixed(spec.digits)} vs master price ${cmd.price}, more than the allowed ${cmd.max_deviation_points} points${retried}`,
        );
      }
      r = this.broker.order(request);
      if (!RETRYABLE_RETCODES.has(r.retcode) || attempt >= MAX_RETRIES) break;
    }
    if (r.retcode === Retcode.DONE || r.retcode === Retcode.DONE_PARTIAL) this.journal.recordCopy(r.position, cmd.master, cmd.master_position);
    return fromTrade(r);
  }

  /** The journal first; then magic + comment, in case the journal file was lost. */
  private findCopy(cmd: OpenMsg): Position | undefined {
    for (const id of this.journal.copiesOf(cmd.master, cmd.master_position)) {
      const p = this.broker.position(id);
      if (p) return p;
    }
    const comment = truncateComment(cmd.comment);
    return this.broker.positions().find((p) => p.magic === cmd.magic && p.comment === comment);
  }

  private execClose(cmd: CloseMsg, magic: number): ResultBody {
    const pos = this.broker.position(cmd.ticket);
    if (!pos) return { ...refused(`position ${cmd.ticket} not found (already closed?)`), remaining_volume: 0 };
    const spec = this.broker.symbol(pos.symbol);
    if (!spec) return refused(`symbol ${pos.symbol} is not known in this terminal`);
    let volume = normalizeVolume(cmd.volume, spec.volume_step);
    if (volume >= pos.volume - 1e-9) volume = pos.volume;
    if (!(volume > 0)) return { ...refused(`close volume ${cmd.volume} rounds to 0 at step ${spec.volume_step}`), remaining_volume: pos.volume };
    const filling = chooseFilling(spec.filling_modes);
    // Closes are never refused for deviation: getting out matters more than the price.
    let r: SimTradeResult;
    for (let attempt = 0; ; attempt++) {
      r = this.broker.close(pos.ticket, { volume, magic, comment: pos.comment, filling, reason: 'expert' });
      if (!RETRYABLE_RETCODES.has(r.retcode) || attempt >= MAX_RETRIES) break;
    }
    const left = this.broker.position(pos.ticket)?.volume ?? 0;
    return { ...fromTrade(r), remaining_volume: left };
  }

  private execCloseBy(cmd: CloseByMsg, magic: number): ResultBody {
    const a = this.broker.position(cmd.ticket);
    const b = this.broker.position(cmd.ticket_by);
    if (!a || !b) return refused(`position ${!a ? cmd.ticket : cmd.ticket_by} not found (already closed?)`);
    let r: SimTradeResult;
    for (let attempt = 0; ; attempt++) {
      r = this.broker.closeBy(a.ticket, b.ticket, { magic, comment: a.comment, reason: 'expert' });
      if (!RETRYABLE_RETCODES.has(r.retcode) || attempt >= MAX_RETRIES) break;
    }
    return { ...fromTrade(r), remaining_volume: this.broker.position(a.ticket)?.volume ?? 0 };
  }

  private execModify(cmd: ModifyMsg): ResultBody {
    const pos = this.broker.position(cmd.ticket);
    if (!pos) return refused(`position ${cmd.ticket} not found (already closed?)`);
    const spec = this.broker.symbol(pos.symbol);
    if (!spec) return refused(`symbol ${pos.symbol} is not known in this terminal`);
    const r = this.broker.modify(pos.ticket, normalizeDouble(cmd.sl, spec.digits), normalizeDouble(cmd.tp, spec.digits));
    // Setting what is already set is success: the command is idempotent.
    if (r.retcode === Retcode.NO_CHANGES) return { ...fromTrade({ ...r, retcode: Retcode.DONE }), message: 'no changes' };
    return fromTrade(r);
  }

  /** TRADE_ACTION_PENDING, once per master order: the journal, then magic + comment, find one placed before. */
  private execPlace(cmd: PlaceMsg): ResultBody {
    const comment = truncateComment(cmd.comment);
    const mine = new Set(this.journal.copiesOf(cmd.master, cmd.master_position));
    const order = this.broker.orders().find((o) => mine.has(o.ticket) || (o.magic === cmd.magic && o.comment === comment));
    const position = order ? undefined : this.broker.positions().find((p) => mine.has(p.position) || (p.magic === cmd.magic && p.comment === comment));
    const held = order ?? (position && { ticket: position.position, volume: position.volume, price: position.price_open });
    if (held) {
      return { status: 'duplicate', retcode: 0, message: `master order ${cmd.master}/${cmd.master_position} is already copied as ${order ? 'order' : 'position'} ${held.ticket}`, ticket: held.ticket, volume: held.volume, price: held.price };
    }
    const spec = this.broker.symbol(cmd.symbol);
    if (!spec) return refused(`symbol ${cmd.symbol} is not known in this terminal`);
    const digits = (p: number | undefined) => (p ? normalizeDouble(p, spec.digits) : p);
    const req: SimPendingRequest = {
      symbol: cmd.symbol, type: cmd.order_type, volume: normalizeVolume(cmd.volume, spec.volume_step), price: digits(cmd.price)!, stoplimit: digits(cmd.stoplimit),
      sl: digits(cmd.sl), tp: digits(cmd.tp), expiration: cmd.expiration, expiration_ms: cmd.expiration_ms, magic: cmd.magic, comment: cmd.comment, reason: 'expert',
    };
    const r = this.broker.placeOrder(req);
    if (r.retcode !== Retcode.DONE) return fromTrade(r);
    this.journal.recordCopy(r.ticket, cmd.master, cmd.master_position);
    return { ...fromTrade(r), ticket: r.ticket, price: r.price, volume: r.volume };
  }

  private execModifyOrder(cmd: ModifyOrderMsg): ResultBody {
    const o = this.broker.pendingOrder(cmd.ticket);
    if (!o) return refused(`order ${cmd.ticket} not found (filled or removed?)`);
    const spec = this.broker.symbol(o.symbol);
    if (!spec) return refused(`symbol ${o.symbol} is not known in this terminal`);
    const digits = (p: number | undefined) => (p ? normalizeDouble(p, spec.digits) : p);
    const change: SimOrderChange = { price: digits(cmd.price)!, stoplimit: digits(cmd.stoplimit), sl: digits(cmd.sl), tp: digits(cmd.tp), expiration: cmd.expiration, expiration_ms: cmd.expiration_ms };
    const r = this.broker.modifyOrder(o.ticket, change);
    if (r.retcode === Retcode.NO_CHANGES) return { ...fromTrade({ ...r, retcode: Retcode.DONE }), message: 'no changes' };
    return { ...fromTrade(r), ...(r.retcode === Retcode.DONE ? { ticket: o.ticket } : {}) };
  }

  private execRemove(cmd: RemoveMsg): ResultBody {
    if (!this.broker.pendingOrder(cmd.ticket)) return refused(`order ${cmd.ticket} not found (filled or removed?)`);
    return fromTrade(this.broker.removeOrder(cmd.ticket));
  }

  // ------------------------------------------------------------------ small helpers

  private every(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  private clear(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  private record<T>(list: T[], item: T): void {
    list.push(item);
    // Trim in batches so long benchmark runs don't pay for a shift per message.
    if (list.length > RECORD_LIMIT + 1000) list.splice(0, list.length - RECORD_LIMIT);
  }

  private log(line: string): void {
    this.opts.log?.(`[${this.account}] ${line}`);
  }
}

function refused(message: string): ResultBody {
  return { status: 'refused', retcode: 0, message };
}

function fromTrade(r: Partial<SimTradeResult> & { retcode: number; message: string }): ResultBody {
  const status = r.retcode === Retcode.DONE ? 'done' : r.retcode === Retcode.DONE_PARTIAL ? 'partial' : 'rejected';
  const out: ResultBody = { status, retcode: r.retcode, message: r.message };
  if (r.ticket) out.ticket = r.ticket;
  if (r.position) out.position = r.position;
  if (r.deal) out.deal = r.deal;
  if (r.deal && r.price !== undefined) out.price = r.price;
  if (r.deal && r.volume !== undefined) out.volume = r.volume;
  return out;
}

/** A repeated cmd_id: an executed command answers duplicate with what it did; one that was not
 *  executed (refused, rejected, expired) gives the same answer again, so a lost result is not
 *  turned into a false "already done". */
function replay(cmdId: string, prev: StoredResult): ResultBody {
  const executed = prev.status === 'done' || prev.status === 'partial' || prev.status === 'duplicate';
  return {
    ...prev,
    status: executed ? 'duplicate' : prev.status,
    retcode: executed ? 0 : prev.retcode,
    message: `cmd_id ${cmdId} already handled (${prev.status}: ${prev.message})`,
  };
}
