/**
 * Terminal sessions: hello and welcome, symbols, quotes, the watch list of each slave, offline
 * detection, and the errors the hub answers terminals with.
 */
import { hints } from '../hints';
import { NAME_MAX, SenderLimiter, suppressedLine, TEXT_MAX, untrusted } from '../log';
import type { HeartbeatMsg, HelloMsg, Position, SnapshotMsg, SymbolSpec, TerminalMessage, TickMsg } from '../protocol';
import { VERSION } from '../version';
import type { Parts } from './context';
import { nextSeq } from './copies';
import type { TerminalEvent } from './events';
import type { Quote } from './slippage';
import { follows } from './roster';
import { translateSymbol } from './translate';

export interface TerminalState {
  name: string;
  hello?: HelloMsg;
  marginMode?: 'hedging' | 'netting' | 'exchange';
  lastSeen: number;
  /** Type of the terminal's last message. */
  lastType: TerminalMessage['type'];
  online: boolean;
  /** Hub time the terminal came online or went offline, whichever was last. */
  since: number;
  /** The terminal answered a welcome (hello retried until welcomed, or symbols received). */
  welcomed: boolean;
  welcomeSentAt?: number;
  symbols?: Map<string, SymbolSpec>;
  symbolNames?: Set<string>;
  ticks: Map<string, Quote>;
  balance?: number;
  equity?: number;
  margin?: number;
  watch: string[];
  /** Time of the last snapshot received since the hub started. */
  snapshotAt?: number;
  positions?: Map<string, Position>;
  /** Order (nextSeq) of the latest welcome the terminal answered (hello or symbols). */
  welcomeSeq?: number;
  /** Order (nextSeq) of the latest snapshot. */
  snapshotSeq?: number;
  /** Sender time (ts) of the latest snapshot: an older one arriving later is a replay. */
  snapshotTs?: number;
  /** Highest sequence number of this terminal's current session (since its hello) seen so far. */
  lastSeq?: number;
  /** Sender time of the hello that began the terminal's current session. */
  sessionTs?: number;
  /** The hellos of the current session, as "seq:ts": one of them again is a replay, not a restart. */
  hellos?: Set<string>;
}

/** The hub asks a slave for ticks of at most this many symbols. */
const WATCH_MAX = 500;
/** Message types exempt from the replay check (see inOrder). */
const UNORDERED: ReadonlySet<TerminalMessage['type']> = new Set(['tick', 'heartbeat']);
/** After a hub restart, a welcome is repeated this often until the terminal answers it. */
const REWELCOME_MS = 1000;

type SessionParts = Pick<Parts, 'cfg' | 'send' | 'log' | 'now' | 'feed' | 'journal' | 'roster' | 'masters' | 'commands' | 'guards'>;

export class Sessions {
  private terminals = new Map<string, TerminalState>();
  /** Bounds the log lines and ledger events bad input causes (unknown accounts, rejected messages). */
  private readonly warnings: SenderLimiter;

  constructor(private readonly parts: SessionParts) {
    const account = (sender: string) => (sender === SenderLimiter.UNKNOWN_SENDERS ? undefined : sender);
    this.warnings = new SenderLimiter({
      now: parts.now,
      onSuppressing: (kind, sender, ms) => parts.log.warn(`further warnings (${kind}) from ${sender} are suppressed for ${ms / 1000} s`),
      onSuppressed: (s) => {
        parts.log.warn(suppressedLine(s));
        parts.journal.event({ kind: 'error', account: account(s.sender), message: suppressedLine(s), data: { suppressed: s.count } });
      },
    });
  }

  get(name: string): Readonly<TerminalState> | undefined {
    return this.terminals.get(name);
  }

  all(): IterableIterator<Readonly<TerminalState>> {
    return this.terminals.values();
  }

  /** A symbol's specification as the terminal reported it. */
  spec(name: string, symbol: string): SymbolSpec | undefined {
    return this.terminals.get(name)?.symbols?.get(symbol);
  }

  /** Every message of a registered account passes here first: presence, and a welcome the hub owes. */
  /**
   * False for a replay. One terminal's messages come over one connection, in the order it numbered
   * them, so a message whose seq is not above the last one of the terminal's session, or that is
   * older than the hello that began the session, was sent before: it changes nothing. A hello
   * numbered at or below the last one starts a new session (the EA restarted and counts again),
   * unless it is one of the current session's own hellos (same number and time): replayed, it would
   * start the session again and let the rest of it be replayed (an old snapshot closing copies).
   * The EA's clock is not assumed to be later after a restart than its last message (it starts at
   * the beginning of the current second).
   * Ticks and heartbeats carry no decision (a quote's own time says how fresh it is), so they are
   * neither checked nor counted.
   */
  inOrder(msg: TerminalMessage): boolean {
    if (UNORDERED.has(msg.type)) return true;
    const t = this.terminals.get(msg.account);
    if (!t || t.lastSeq === undefined) return true;
    if (msg.type === 'hello' && msg.seq <= t.lastSeq) return msg.ts >= (t.sessionTs ?? -Infinity) && !t.hellos?.has(`${msg.seq}:${msg.ts}`);
    return msg.seq > t.lastSeq && msg.ts >= (t.sessionTs ?? -Infinity);
  }

  seen(msg: TerminalMessage, receivedAt: number): TerminalState {
    let t = this.terminals.get(msg.account);
    if (!t) {
      t = { name: msg.account, lastSeen: receivedAt, lastType: msg.type, online: true, since: receivedAt, welcomed: false, ticks: new Map(), watch: [] };
      this.terminals.set(msg.account, t);
    }
    if (!UNORDERED.has(msg.type)) {
      if (msg.type === 'hello' && (t.lastSeq === undefined || msg.seq <= t.lastSeq)) {
        t.sessionTs = msg.ts;
        t.hellos = new Set();
      }
      if (msg.type === 'hello') (t.hellos ??= new Set()).add(`${msg.seq}:${msg.ts}`);
      t.lastSeq = msg.seq;
    }
    t.lastSeen = receivedAt;
    t.lastType = msg.type;
    if (!t.online) {
      t.online = true;
      t.since = receivedAt;
      this.parts.log.info(`terminal ${t.name} is back online`);
      this.tell(t, 'back', 'back online');
      this.parts.commands.resendFor(t.name);
    }
    if (msg.type === 'symbols') {
      if (!t.welcomed) t.welcomeSeq = nextSeq();
      t.welcomed = true;
    } else if (msg.type !== 'hello' && !t.welcomed && (t.welcomeSentAt === undefined || receivedAt - t.welcomeSentAt >= REWELCOME_MS)) {
      // The hub restarted while the terminal kept running: a welcome makes it resend symbols and a
      // snapshot. Repeated each second until symbols arrive, since the first may reach a SUB
      // socket that has not reconnected yet.
      this.parts.log.info(`terminal ${t.name} sent ${msg.type} without hello (hub restarted?): sending welcome`);
      this.welcome(t.name);
    }
    return t;
  }

  hello(t: TerminalState, msg: HelloMsg): void {
    const first = !t.hello;
    if (t.hello && (t.hello.login !== msg.login || t.hello.server !== msg.server)) {
      this.parts.log.warn(`terminal ${t.name} now reports login ${msg.login} on ${untrusted(msg.server, NAME_MAX)} (was ${t.hello.login} on ${untrusted(t.hello.server, NAME_MAX)}): another account was activated in its terminal`);
    }
    t.hello = msg;
    t.marginMode = msg.margin_mode;
    if (first || !t.welcomed) {
      const line = `connected: ${msg.broker} ${msg.server} login ${msg.login}, ${msg.margin_mode}, EA ${msg.ea_version}; role ${this.parts.roster.role(t.name)}`;
      this.parts.log.info(`terminal ${t.name} ${line}`);
      this.tell(t, 'connected', line);
    }
    // A lost welcome costs nothing: the terminal repeats hello until one arrives.
    t.welcomed = true;
    t.welcomeSeq = nextSeq();
    this.welcome(t.name);
    this.parts.commands.resendFor(t.name);
  }

  heartbeat(t: TerminalState, msg: HeartbeatMsg): void {
    t.balance = msg.balance;
    t.equity = msg.equity;
    t.margin = msg.margin;
  }

  quote(t: TerminalState, msg: TickMsg, receivedAt: number): void {
    t.ticks.set(msg.symbol, { bid: msg.bid, ask: msg.ask, receivedAt });
  }

  symbols(t: TerminalState, symbols: SymbolSpec[], replace: boolean): void {
    if (replace || !t.symbols) {
      t.symbols = new Map();
      t.symbolNames = new Set();
    }
    for (const s of symbols) {
      t.symbols.set(s.name, s);
      t.symbolNames!.add(s.name);
    }
    this.parts.log.debug(`terminal ${t.name}: ${t.symbols.size} symbols known`);
    if (this.parts.roster.get(t.name)?.type === 'SLAVE') this.sendWatch(t, false);
  }

  /**
   * Keeps the positions of a snapshot; returns them by position identifier, or undefined for one
   * older than the last (a replay). `order`: when it began (a snapshot in parts: its first part).
   */
  snapshot(t: TerminalState, s: SnapshotMsg, receivedAt: number, order = nextSeq()): ReadonlyMap<string, Position> | undefined {
    if (t.snapshotTs !== undefined && s.ts < t.snapshotTs) return undefined;
    t.snapshotTs = s.ts;
    t.snapshotAt = receivedAt;
    t.snapshotSeq = order;
    t.positions = new Map(s.positions.map((p) => [p.position, p]));
    const mm = s.margin_mode;
    if (!t.marginMode && (mm === 'hedging' || mm === 'netting' || mm === 'exchange')) t.marginMode = mm;
    return t.positions;
  }

  /**
   * Order of the terminal's latest snapshot if it came after its latest welcome: what it says is
   * current. Snapshots queued before a hub restart reach the new hub before the terminal answers
   * its welcome, so they never count.
   */
  freshSnapshot(name: string): number | undefined {
    const t = this.terminals.get(name);
    if (!t?.snapshotSeq || t.welcomeSeq === undefined || t.snapshotSeq < t.welcomeSeq) return undefined;
    return t.snapshotSeq;
  }

  /** A slave that can take a late copy: online, welcomed, symbols known, and its positions reported since. */
  ready(name: string): boolean {
    const t = this.terminals.get(name);
    return !!t?.online && t.welcomed && t.symbols !== undefined && this.freshSnapshot(name) !== undefined;
  }

  /** Online and welcomed: commands sent now reach it. */
  reachable(name: string): boolean {
    const t = this.terminals.get(name);
    return !!t?.online && t.welcomed;
  }

  /** Since when the terminal has been silent (the hub's start when it has not spoken since); undefined while online. */
  offlineSince(name: string, startedAt: number): number | undefined {
    const t = this.terminals.get(name);
    if (!t) return startedAt;
    return t.online ? undefined : t.lastSeen;
  }

  welcome(name: string): void {
    const t = this.terminals.get(name);
    const role = this.parts.roster.role(name);
    const { cfg } = this.parts;
    const account = this.parts.roster.get(name);
    const limits = role === 'slave' && account ? this.parts.guards.welcomeLimits(account) : undefined;
    this.parts.send(name, {
      type: 'welcome', role, magic: cfg.magic, heartbeat_ms: cfg.heartbeatMs, snapshot_ms: cfg.snapshotMs, hub_version: VERSION,
      ...(limits ? { limits } : {}),
      // The login this welcome answers: a terminal that switched accounts since waits for its own.
      login: t?.hello?.login,
      max_message_bytes: cfg.maxMessageBytes,
      tick_max_age_ms: cfg.tickMaxAgeMs,
    });
    if (t) {
      t.welcomeSentAt = this.parts.now();
      if (role === 'slave') this.sendWatch(t, true);
    }
  }

  /** A master trades a symbol: the first time, its followers start watching its translation. */
  noteMasterSymbol(master: string, symbol: string): void {
    if (!this.parts.masters.noteSymbol(master, symbol)) return;
    for (const slave of this.parts.roster.followersOf(master)) {
      const t = this.terminals.get(slave.name);
      if (t?.welcomed) this.sendWatch(t, false);
    }
  }

  /** Marks terminals silent for three heartbeats offline; they need a new welcome when back. */
  checkSilence(now: number): void {
    const offlineAfter = this.parts.cfg.heartbeatMs * 3;
    for (const t of this.terminals.values()) {
      if (t.online && now - t.lastSeen > offlineAfter) {
        t.online = false;
        t.since = now;
        t.welcomed = false;
        this.parts.log.warn(`terminal ${t.name} is offline (silent for ${now - t.lastSeen} ms)`);
        this.tell(t, 'offline', `offline (silent for ${now - t.lastSeen} ms)`);
        this.parts.journal.event({ kind: 'offline', account: t.name, message: `silent for ${now - t.lastSeen} ms` });
      }
    }
  }

  unknownAccount(name: string, type: string, seq: number): void {
    // Unregistered senders share one bucket: a hostile sender can invent any number of names.
    if (!this.warnings.allow('unknown account', SenderLimiter.UNKNOWN_SENDERS)) return;
    const hint = hints.addAccount(untrusted(name, NAME_MAX));
    this.parts.log.warn(`unknown terminal "${untrusted(name, NAME_MAX)}" sent ${untrusted(type, NAME_MAX)}; register it with: ${hint}`);
    this.parts.send(name, {
      type: 'error',
      code: 'E_UNKNOWN_ACCOUNT',
      message: `account "${name}" is not registered on this hub; on the hub run: ${hints.addAccount(name)}`,
      ref_type: type,
      ref_seq: seq,
    });
  }

  /**
   * A message that failed validation; answered when it names a registered account. Log line,
   * ledger event and answer are rate-limited per code and sender (see SenderLimiter).
   */
  reject(ref: { account?: string; type?: string; seq?: number }, code: string, message: string): void {
    const addressable = ref.account !== undefined && this.parts.roster.get(ref.account) !== undefined;
    if (!this.warnings.allow(`rejected ${code}`, addressable ? ref.account! : SenderLimiter.UNKNOWN_SENDERS)) return;
    const from = ref.account === undefined ? 'unknown sender' : untrusted(ref.account, NAME_MAX);
    // The codec's text: its wire parts are escaped and bounded already, this bounds the whole.
    this.parts.log.warn(`rejected ${untrusted(ref.type ?? 'message', NAME_MAX)} from ${from}: ${code} ${untrusted(message, 2 * TEXT_MAX)}`);
    this.parts.journal.event({ kind: 'error', account: ref.account, message: `${code}: ${message}`, data: { ref_type: ref.type, ref_seq: ref.seq } });
    if (addressable) this.parts.send(ref.account!, { type: 'error', code, message, ref_type: ref.type, ref_seq: ref.seq });
  }

  private tell(t: TerminalState, what: TerminalEvent['what'], message: string): void {
    this.parts.feed.emit({ type: 'terminal', time: this.parts.now(), name: t.name, online: t.online, what, message });
  }

  /** A warning about what a registered terminal sent, rate-limited per kind and terminal like the rejections. */
  warnAbout(account: string, kind: string, line: string): void {
    if (this.warnings.allow(kind, account)) this.parts.log.warn(line);
  }

  /** Slaves stream ticks for the translations of every symbol their masters trade. */
  private sendWatch(t: TerminalState, force: boolean): void {
    const slave = this.parts.roster.get(t.name);
    if (!slave || slave.type !== 'SLAVE') return;
    const want = new Set<string>();
    for (const [masterName, symbols] of this.parts.masters.symbols()) {
      if (!follows(slave, masterName)) continue;
      const master = this.parts.roster.get(masterName);
      for (const s of symbols) {
        const tr = translateSymbol(s, slave, t.symbolNames, master);
        if (tr.ok) want.add(tr.symbol);
      }
    }
    const list = [...want].sort();
    if (!force && list.length === t.watch.length && list.every((s, i) => s === t.watch[i])) return;
    t.watch = list;
    if (list.length || force) this.parts.send(t.name, { type: 'watch', symbols: list.slice(0, WATCH_MAX) });
  }
}
