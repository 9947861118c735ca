/**
 * The copy engine: in-memory state of every terminal, master position and copy; decides every
 * copy with the pure functions of this folder and emits commands and ledger writes through
 * callbacks. No I/O of its own, so it is driven directly in unit tests and by the hub in production.
 */
import type { Account } from '../accounts';
import type { HubConfig } from '../config';
import type { LedgerEvent, TradeStatus, TradeUpdate } from '../ledger/types';
import type { Logger } from '../log';
import type {
  Body,
  CommandMsg,
  DealMsg,
  HelloMsg,
  HubMessage,
  Position,
  PositionMsg,
  ResultMsg,
  Side,
  SnapshotMsg,
  SymbolSpec,
  TerminalMessage,
} from '../protocol';
import { closeVolume, sizeVolume } from './sizing';
import { checkSlippage, normalizePrice, type Quote } from './slippage';
import { copyComment, masterTag, parseCopyComment } from './tag';
import { translateSymbol } from './translate';

export const HUB_VERSION = '0.1.0';

export interface EngineDeps {
  config: HubConfig;
  send(account: string, body: Body<HubMessage>): void;
  ledger: { trade(u: TradeUpdate): void; event(e: LedgerEvent): void };
  log: Logger;
  now?: () => number;
}

export interface TerminalState {
  name: string;
  hello?: HelloMsg;
  marginMode?: 'hedging' | 'netting' | 'exchange';
  lastSeen: number;
  online: boolean;
  /** The terminal answered a welcome (hello retried until welcomed, or symbols received). */
  welcomed: boolean;
  welcomeSentAt?: number;
  symbols?: Map<string, SymbolSpec>;
  symbolNames?: Set<string>;
  ticks: Map<string, Quote>;
  balance?: number;
  equity?: number;
  watch: string[];
  /** Time of the last snapshot received since the hub started. */
  snapshotAt?: number;
  positions?: Map<string, Position>;
}

export interface MasterPosition {
  master: string;
  position: string;
  symbol: string;
  side: Side;
  volume: number;
  price: number;
  sl: number;
  tp: number;
  open: boolean;
  /** Time the hub received the opening deal; undefined for positions first seen in a snapshot. */
  openedAt?: number;
  /** Time the hub learnt it closed. */
  closedAt?: number;
}

export interface Copy {
  master: string;
  masterPosition: string;
  slave: string;
  masterSymbol: string;
  symbol: string;
  side: Side;
  /** Lots open on the slave as last confirmed. */
  volume: number;
  /** Master volume this copy was sized from (for proportional closes while the open is in flight). */
  masterVolume: number;
  ticket?: string;
  position?: string;
  status: TradeStatus;
  masterPrice: number;
  openPrice?: number;
  sl: number;
  tp: number;
  /** In-flight command ids of this copy. */
  inflight: Set<string>;
  /** cmd_id of a close_by that covers this copy. */
  closeBy?: string;
}

interface Pending {
  body: Body<CommandMsg>;
  slave: string;
  copyKey: string;
  firstSent: number;
  lastSent: number;
  attempts: number;
  /** Hub receive time of the master event that caused this command (latency). */
  origin: number;
  /** Command to send once this one is done (netting reversal: close, then open). */
  then?: () => void;
  /** For close_by: the other copy. */
  otherKey?: string;
}

export interface EngineStats {
  decisions: number;
  commandsSent: number;
  resends: number;
  results: number;
  refusals: number;
  expired: number;
  lastLatencyMs?: number;
}

const EPS = 1e-9;
const SEEN_DEALS_MAX = 50_000;

function copyKey(master: string, position: string, slave: string): string {
  return `${master}\u0000${position}\u0000${slave}`;
}
function posKey(master: string, position: string): string {
  return `${master}\u0000${position}`;
}
// Several ledger fields per decision carry the same millisecond: format it once.
let isoMs = NaN;
let isoText = '';
const iso = (ms: number) => (ms === isoMs ? isoText : ((isoMs = ms), (isoText = new Date(ms).toISOString())));
const dir = (s: Side) => (s === 'buy' ? 'BUY' : 'SELL');
const opposite = (s: Side): Side => (s === 'buy' ? 'sell' : 'buy');

/** Copies by key, indexed by master position and by slave ticket (hot paths must not scan). */
class CopyTable extends Map<string, Copy> {
  private byMaster = new Map<string, Set<string>>();
  private bySlave = new Map<string, Set<string>>();
  private byTicket = new Map<string, string>();

  override set(key: string, c: Copy): this {
    const old = super.get(key);
    if (old && old !== c) this.unindex(key, old);
    super.set(key, c);
    const pk = posKey(c.master, c.masterPosition);
    let set = this.byMaster.get(pk);
    if (!set) this.byMaster.set(pk, (set = new Set()));
    set.add(key);
    let mine = this.bySlave.get(c.slave);
    if (!mine) this.bySlave.set(c.slave, (mine = new Set()));
    mine.add(key);
    this.indexTicket(c);
    return this;
  }

  override delete(key: string): boolean {
    const c = super.get(key);
    if (c) this.unindex(key, c);
    return super.delete(key);
  }

  /** Call after a copy's ticket or position changed. */
  indexTicket(c: Copy): void {
    const key = copyKey(c.master, c.masterPosition, c.slave);
    if (c.ticket) this.byTicket.set(`${c.slave}\u0000${c.ticket}`, key);
    if (c.position) this.byTicket.set(`${c.slave}\u0000${c.position}`, key);
  }

  ofMasterPosition(master: string, position: string): Copy[] {
    const keys = this.byMaster.get(posKey(master, position));
    return keys ? [...keys].map((k) => super.get(k)!).filter(Boolean) : [];
  }

  /** [key, copy] of every copy on one slave. */
  ofSlave(slave: string): [string, Copy][] {
    const keys = this.bySlave.get(slave);
    return keys ? [...keys].map((k): [string, Copy] => [k, super.get(k)!]) : [];
  }

  bySlaveTicket(slave: string, ticket: string): Copy | undefined {
    const key = this.byTicket.get(`${slave}\u0000${ticket}`);
    return key === undefined ? undefined : super.get(key);
  }

  private unindex(key: string, c: Copy): void {
    const pk = posKey(c.master, c.masterPosition);
    const set = this.byMaster.get(pk);
    set?.delete(key);
    if (set && !set.size) this.byMaster.delete(pk);
    const mine = this.bySlave.get(c.slave);
    mine?.delete(key);
    if (mine && !mine.size) this.bySlave.delete(c.slave);
    for (const t of [c.ticket, c.position]) {
      if (t && this.byTicket.get(`${c.slave}\u0000${t}`) === key) this.byTicket.delete(`${c.slave}\u0000${t}`);
    }
  }
}

/** Closed master positions and their settled copies are forgotten this long after the last activity. */
const FORGET_AFTER_MS = 10 * 60_000;

export class Engine {
  private accounts = new Map<string, Account>();
  private tags = new Map<string, string>();
  readonly terminals = new Map<string, TerminalState>();
  readonly masterPositions = new Map<string, MasterPosition>();
  readonly copies = new CopyTable();
  readonly pending = new Map<string, Pending>();
  /** Expired commands, so that a result arriving late is still applied (bounded). */
  private expiredCmds = new Map<string, Pending>();
  private masterSymbols = new Map<string, Set<string>>();
  private seenDeals = new Set<string>();
  private cmdCounter = 0;
  /** Decision log lines held back while a fan-out sends its commands (see fanOut). */
  private heldLines: [level: 'info' | 'warn', line: string][] | undefined;
  readonly stats: EngineStats = { decisions: 0, commandsSent: 0, resends: 0, results: 0, refusals: 0, expired: 0 };
  private readonly now: () => number;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
  }

  private get cfg(): HubConfig {
    return this.deps.config;
  }
  private get log(): Logger {
    return this.deps.log;
  }

  // ------------------------------------------------------------------ accounts

  setAccounts(accounts: Account[]): void {
    const prev = this.accounts;
    this.accounts = new Map(accounts.map((a) => [a.name, a]));
    this.tags = new Map(accounts.filter((a) => a.type === 'MASTER').map((a) => [masterTag(a.name), a.name]));
    for (const [name, a] of this.accounts) {
      const before = prev.get(name);
      if (!before) this.log.debug(`account ${name} loaded (${a.type}${a.enabled ? '' : ', disabled'})`);
      else if (before.enabled !== a.enabled || before.type !== a.type) {
        this.log.info(`account ${name} is now ${a.type}${a.enabled ? '' : ' (disabled)'}`);
        // The terminal learns its new role from a fresh welcome.
        if (this.terminals.get(name)?.welcomed) this.sendWelcome(name);
      }
    }
    for (const name of prev.keys()) if (!this.accounts.has(name)) this.log.info(`account ${name} removed`);
  }

  getAccount(name: string): Account | undefined {
    return this.accounts.get(name);
  }

  private roleOf(a: Account | undefined): 'master' | 'slave' | 'disabled' {
    if (!a || !a.enabled) return 'disabled';
    return a.type === 'MASTER' ? 'master' : 'slave';
  }

  // ------------------------------------------------------------------ input

  /** Entry point for every decoded terminal message. */
  handle(msg: TerminalMessage, receivedAt = this.now()): void {
    const account = this.accounts.get(msg.account);
    if (!account) {
      this.unknownAccount(msg.account, msg.type, msg.seq);
      return;
    }
    let t = this.terminals.get(msg.account);
    if (!t) {
      t = { name: msg.account, lastSeen: receivedAt, online: true, welcomed: false, ticks: new Map(), watch: [] };
      this.terminals.set(msg.account, t);
    }
    t.lastSeen = receivedAt;
    if (!t.online) {
      t.online = true;
      this.log.info(`terminal ${t.name} is back online`);
      this.resendPendingFor(t.name);
    }
    if (msg.type === 'symbols') t.welcomed = true;
    else if (msg.type !== 'hello' && !t.welcomed && (t.welcomeSentAt === undefined || receivedAt - t.welcomeSentAt >= 1000)) {
      // The hub restarted while the terminal kept running: a welcome makes it resend symbols and a
      // snapshot. Repeated each second until symbols arrive, since the first may reach a SUB
      // socket that has not reconnected yet.
      this.log.info(`terminal ${t.name} sent ${msg.type} without hello (hub restarted?): sending welcome`);
      this.sendWelcome(t.name);
    }
    switch (msg.type) {
      case 'hello':
        return this.onHello(t, msg);
      case 'heartbeat':
        t.balance = msg.balance;
        t.equity = msg.equity;
        return;
      case 'symbols':
        return this.onSymbols(t, msg.symbols, msg.replace);
      case 'snapshot':
        return this.onSnapshot(t, account, msg, receivedAt);
      case 'deal':
        return account.type === 'MASTER' ? this.fanOut(() => this.onMasterDeal(account, msg, receivedAt)) : this.onSlaveDeal(t, msg);
      case 'position':
        return account.type === 'MASTER' ? this.fanOut(() => this.onMasterPosition(account, msg, receivedAt)) : undefined;
      case 'tick':
        t.ticks.set(msg.symbol, { bid: msg.bid, ask: msg.ask, receivedAt });
        return;
      case 'result':
        return this.onResult(t, msg, receivedAt);
    }
  }

  /** A message that failed validation; answered when it names a registered account. */
  rejectInvalid(ref: { account?: string; type?: string; seq?: number }, code: string, message: string): void {
    const addressable = ref.account !== undefined && this.accounts.has(ref.account);
    this.log.warn(`rejected ${ref.type ?? 'message'} from ${ref.account ?? 'unknown sender'}: ${code} ${message}`);
    this.event({ kind: 'error', account: ref.account, message: `${code}: ${message}`, data: { ref_type: ref.type, ref_seq: ref.seq } });
    if (addressable) {
      this.deps.send(ref.account!, { type: 'error', code, message, ref_type: ref.type, ref_seq: ref.seq });
    }
  }

  private unknownAccount(name: string, type: string, seq: number): void {
    const hint = `npx hub accounts add ${name} --type SLAVE   (or --type MASTER)`;
    this.log.warn(`unknown terminal "${name}" sent ${type}; register it with: ${hint}`);
    this.deps.send(name, {
      type: 'error',
      code: 'E_UNKNOWN_ACCOUNT',
      message: `account "${name}" is not registered on this hub; on the hub run: ${hint}`,
      ref_type: type,
      ref_seq: seq,
    });
  }

  private sendWelcome(name: string): void {
    const t = this.terminals.get(name);
    const role = this.roleOf(this.accounts.get(name));
    this.deps.send(name, {
      type: 'welcome',
      role,
      magic: this.cfg.magic,
      heartbeat_ms: this.cfg.heartbeatMs,
      snapshot_ms: this.cfg.snapshotMs,
      hub_version: HUB_VERSION,
    });
    if (t) {
      t.welcomeSentAt = this.now();
      if (role === 'slave') this.sendWatch(t, true);
    }
  }

  private onHello(t: TerminalState, msg: HelloMsg): void {
    const first = !t.hello;
    t.hello = msg;
    t.marginMode = msg.margin_mode;
    const role = this.roleOf(this.accounts.get(t.name));
    if (first || !t.welcomed) {
      this.log.info(`terminal ${t.name} connected: ${msg.broker} ${msg.server} login ${msg.login}, ${msg.margin_mode}, EA ${msg.ea_version}; role ${role}`);
    }
    // A lost welcome costs nothing: the terminal repeats hello until one arrives.
    t.welcomed = true;
    this.sendWelcome(t.name);
    this.resendPendingFor(t.name);
  }

  private onSymbols(t: TerminalState, symbols: SymbolSpec[], replace: boolean): void {
    if (replace || !t.symbols) {
      t.symbols = new Map();
      t.symbolNames = new Set();
    }
    for (const s of symbols) {
      t.symbols.set(s.name, s);
      t.symbolNames!.add(s.name);
    }
    this.log.debug(`terminal ${t.name}: ${t.symbols.size} symbols known`);
    if (this.accounts.get(t.name)?.type === 'SLAVE') this.sendWatch(t, false);
  }

  // ------------------------------------------------------------------ master events

  private onMasterDeal(master: Account, d: DealMsg, receivedAt: number): void {
    const seenKey = `${master.name}\u0000${d.deal}`;
    if (this.seenDeals.has(seenKey)) {
      this.log.debug(`deal ${d.deal} of ${master.name} already handled`);
      return;
    }
    this.seenDeals.add(seenKey);
    if (this.seenDeals.size > SEEN_DEALS_MAX) this.seenDeals.delete(this.seenDeals.values().next().value as string);
    this.noteMasterSymbol(master.name, d.symbol);

    const key = posKey(master.name, d.position);
    let mp = this.masterPositions.get(key);
    const remaining = d.position_volume;
    const positionSide = d.position_side ?? (d.entry === 'in' ? d.side : opposite(d.side));
    this.event({ kind: 'master_deal', account: master.name, master_ticket: d.position, message: `${d.entry} ${d.side} ${d.volume} ${d.symbol} @ ${d.price}`, data: { deal: d.deal, reason: d.reason } });

    if (!master.enabled) {
      this.decision('skip', `master ${master.name} is disabled: deal ${d.deal} (${d.entry} ${d.side} ${d.volume} ${d.symbol}) not copied`, master.name, d.position);
      return;
    }

    switch (d.entry) {
      case 'in': {
        if (mp && mp.open && remaining > d.volume + EPS) {
          // Netting add: the position grew.
          mp.volume = remaining;
          mp.price = d.price;
          this.forEachCopy(master.name, d.position, (c) => this.increaseCopy(master, mp!, c, d, receivedAt));
          // Followers without a copy yet get nothing: they refused the opening for a reason.
          return;
        }
        mp = {
          master: master.name,
          position: d.position,
          symbol: d.symbol,
          side: d.side,
          volume: remaining > 0 ? remaining : d.volume,
          price: d.price,
          sl: d.sl ?? 0,
          tp: d.tp ?? 0,
          open: true,
          openedAt: receivedAt,
        };
        this.masterPositions.set(key, mp);
        for (const slave of this.followersOf(master.name)) this.decideOpen(master, slave, mp, receivedAt);
        return;
      }
      case 'out':
      case 'out_by': {
        if (!mp) {
          mp = { master: master.name, position: d.position, symbol: d.symbol, side: positionSide, volume: remaining, price: d.price, sl: d.sl ?? 0, tp: d.tp ?? 0, open: remaining > EPS };
          this.masterPositions.set(key, mp);
        }
        const before = mp.volume > remaining ? mp.volume : remaining + d.volume;
        mp.volume = remaining;
        mp.open = remaining > EPS;
        if (!mp.open) mp.closedAt = receivedAt;
        this.forEachCopy(master.name, d.position, (c) => {
          if (d.entry === 'out_by' && d.position_by && this.tryCloseBy(master, c, d, receivedAt)) return;
          this.reduceCopy(c, before - remaining, remaining, receivedAt, d.entry === 'out_by' ? 'master closed by opposite position' : `master ${remaining > EPS ? 'partially closed' : 'closed'} (${d.reason})`);
        });
        return;
      }
      case 'inout': {
        // Netting reversal: same position identifier, other side, new volume.
        const newSide = positionSide;
        if (!mp) {
          mp = { master: master.name, position: d.position, symbol: d.symbol, side: newSide, volume: remaining, price: d.price, sl: d.sl ?? 0, tp: d.tp ?? 0, open: true, openedAt: receivedAt };
          this.masterPositions.set(key, mp);
        }
        mp.side = newSide;
        mp.volume = remaining;
        mp.price = d.price;
        mp.open = remaining > EPS;
        mp.openedAt = receivedAt;
        if (!mp.open) mp.closedAt = receivedAt;
        this.forEachCopy(master.name, d.position, (c) => this.reverseCopy(master, mp!, c, receivedAt));
        return;
      }
    }
  }

  private onMasterPosition(master: Account, p: PositionMsg, receivedAt: number): void {
    const mp = this.masterPositions.get(posKey(master.name, p.position));
    if (!mp) {
      this.log.debug(`position change for unknown master position ${master.name}#${p.position}`);
      return;
    }
    mp.sl = p.sl;
    mp.tp = p.tp;
    if (!master.enabled) return;
    this.forEachCopy(master.name, p.position, (c) => {
      if (c.status !== 'open' && c.status !== 'pending') return;
      const spec = this.terminals.get(c.slave)?.symbols?.get(c.symbol);
      const sl = normalizePrice(p.sl, spec?.digits);
      const tp = normalizePrice(p.tp, spec?.digits);
      if (sl === c.sl && tp === c.tp) return;
      if (!c.ticket) {
        // The open is still in flight; its result triggers this modify (see onOpenResult).
        c.sl = sl;
        c.tp = tp;
        return;
      }
      this.decision('modify', `${c.master}#${c.masterPosition} -> ${c.slave} ticket ${c.ticket}: SL ${sl} TP ${tp}`, c.slave, c.masterPosition);
      this.issue(c, { type: 'modify', ...this.cmdBase(c), ticket: c.ticket, symbol: c.symbol, sl, tp }, receivedAt);
    });
  }

  // ------------------------------------------------------------------ decisions

  private followersOf(master: string): Account[] {
    const out: Account[] = [];
    for (const a of this.accounts.values()) {
      if (a.type !== 'SLAVE') continue;
      if (a.follows && a.follows.length && !a.follows.includes(master)) continue;
      out.push(a);
    }
    return out;
  }

  private decideOpen(master: Account, slave: Account, mp: MasterPosition, receivedAt: number, increase?: { deal: DealMsg; copy: Copy }): void {
    this.stats.decisions++;
    const what = `${increase ? 'add to' : 'open'} ${master.name}#${mp.position} ${mp.side} ${increase ? increase.deal.volume : mp.volume} ${mp.symbol} -> ${slave.name}`;
    const key = copyKey(master.name, mp.position, slave.name);
    const refuse = (reason: string, status: TradeStatus = 'refused') => {
      this.stats.refusals++;
      this.decision('refuse', `${what}: ${reason}`, slave.name, mp.position, 'warn');
      if (increase) return;
      const c: Copy = {
        master: master.name, masterPosition: mp.position, slave: slave.name, masterSymbol: mp.symbol, symbol: mp.symbol, side: mp.side,
        volume: 0, masterVolume: mp.volume, status, masterPrice: mp.price, sl: mp.sl, tp: mp.tp, inflight: new Set(),
      };
      this.copies.set(key, c);
      this.tradeUpdate(c, { status, reason, open_time: iso(receivedAt) });
    };
    if (!slave.enabled) return refuse(`slave ${slave.name} is disabled`);
    const t = this.terminals.get(slave.name);
    const tr = translateSymbol(mp.symbol, slave, t?.symbolNames, master);
    if (!tr.ok) return refuse(`unknown symbol: ${tr.reason}`);
    const spec = t?.symbols?.get(tr.symbol);
    if (spec && spec.trade_mode !== 'full') {
      const allowed = spec.trade_mode === (mp.side === 'buy' ? 'longonly' : 'shortonly');
      if (!allowed) return refuse(`${tr.symbol} trade mode is ${spec.trade_mode} on ${slave.name}`);
    }
    if (!increase && t?.marginMode && t.marginMode !== 'hedging') {
      const other = this.copies.ofSlave(slave.name).find(
        ([, c]) => c.symbol === tr.symbol && c.side !== mp.side && (c.status === 'open' || c.status === 'pending'),
      )?.[1];
      if (other) {
        return refuse(
          `${slave.name} is a ${t.marginMode} account and already holds a ${other.side} copy of ${other.master}#${other.masterPosition} on ${tr.symbol}; an opposite copy would net it away`,
        );
      }
    }
    const masterSpec = this.terminals.get(master.name)?.symbols?.get(mp.symbol);
    const sized = sizeVolume({
      masterVolume: increase ? increase.deal.volume : mp.volume,
      account: slave,
      slaveSpec: spec,
      masterSpec,
      masterEquity: this.terminals.get(master.name)?.equity,
      slaveEquity: t?.equity,
    });
    if (!sized.ok) return refuse(`invalid volume: ${sized.reason}`);
    const tolerance = slave.slippage_tolerance ?? this.cfg.defaultSlippagePoints;
    const gate = checkSlippage({
      side: mp.side,
      masterPrice: increase ? increase.deal.price : mp.price,
      quote: t?.ticks.get(tr.symbol),
      point: spec?.point,
      tolerancePoints: tolerance,
      now: this.now(),
      maxAgeMs: this.cfg.tickMaxAgeMs,
    });
    if (gate.verdict === 'refuse') return refuse(`slippage: ${gate.reason}`);

    let c = this.copies.get(key);
    if (increase) c = increase.copy;
    else {
      c = {
        master: master.name, masterPosition: mp.position, slave: slave.name, masterSymbol: mp.symbol, symbol: tr.symbol, side: mp.side,
        volume: 0, masterVolume: mp.volume, status: 'pending', masterPrice: mp.price,
        sl: normalizePrice(mp.sl, spec?.digits), tp: normalizePrice(mp.tp, spec?.digits), inflight: new Set(),
      };
      this.copies.set(key, c);
    }
    const online = t?.online && t.welcomed;
    const gateNote = gate.verdict === 'pass' ? `slippage ${gate.points} pts <= ${tolerance}` : gate.reason;
    this.decision(
      'copy',
      `${what} ${tr.symbol} ${sized.volume} lots (${tr.via}${sized.note ? ', ' + sized.note : ''}; ${gateNote})${online ? '' : `; ${slave.name} offline, queued until ${this.cfg.commandTtlMs} ms expiry`}`,
      slave.name,
      mp.position,
    );
    if (!increase) {
      this.tradeUpdate(c, {
        status: 'pending', symbol: tr.symbol, master_symbol: mp.symbol, direction: dir(mp.side), master_volume: mp.volume, volume: sized.volume,
        master_price: mp.price, open_time: iso(receivedAt), reason: undefined,
      });
    }
    this.issue(
      c,
      {
        type: 'open', ...this.cmdBase(c), symbol: tr.symbol, side: mp.side, volume: sized.volume,
        price: increase ? increase.deal.price : mp.price, max_deviation_points: tolerance, sl: c.sl, tp: c.tp,
        magic: this.cfg.magic, comment: copyComment(master.name, mp.position), ...(increase ? { increase: true } : {}),
      },
      receivedAt,
    );
  }

  private increaseCopy(master: Account, mp: MasterPosition, c: Copy, d: DealMsg, receivedAt: number): void {
    if (c.status !== 'open' && c.status !== 'pending') return;
    const slave = this.accounts.get(c.slave);
    if (!slave) return;
    this.decideOpen(master, slave, mp, receivedAt, { deal: d, copy: c });
  }

  private reduceCopy(c: Copy, closed: number, remaining: number, receivedAt: number, why: string): void {
    if (c.status !== 'open' && c.status !== 'pending') return;
    if (!c.ticket) {
      // Open still in flight: onOpenResult compares the master's volume and closes what is due.
      this.decision('defer', `${why}: ${c.master}#${c.masterPosition} -> ${c.slave} open still in flight; close follows its result`, c.slave, c.masterPosition);
      return;
    }
    const spec = this.terminals.get(c.slave)?.symbols?.get(c.symbol);
    const vol = closeVolume(c.volume, closed, remaining, spec);
    if (vol <= 0) {
      this.decision('skip', `${why}: ${c.master}#${c.masterPosition} -> ${c.slave}: ${closed} of ${closed + remaining} lots is less than one step of the ${c.volume} lot copy; nothing to close yet`, c.slave, c.masterPosition);
      return;
    }
    const full = vol >= c.volume - EPS;
    this.decision('close', `${why}: ${c.master}#${c.masterPosition} -> ${c.slave} ticket ${c.ticket}: close ${full ? 'all ' : ''}${vol} of ${c.volume} lots`, c.slave, c.masterPosition);
    this.issue(c, { type: 'close', ...this.cmdBase(c), ticket: c.ticket, symbol: c.symbol, volume: vol }, receivedAt);
  }

  private tryCloseBy(master: Account, c: Copy, d: DealMsg, receivedAt: number): boolean {
    const other = this.copies.get(copyKey(master.name, d.position_by!, c.slave));
    if (c.closeBy) return true; // Already covered by the close_by sent for the first of the two deals.
    const t = this.terminals.get(c.slave);
    if (!other || !c.ticket || !other.ticket || other.status !== 'open' || c.status !== 'open' || t?.marginMode !== 'hedging') return false;
    if (other.side === c.side) return false;
    const body = {
      type: 'close_by' as const, ...this.cmdBase(c), ticket: c.ticket, ticket_by: other.ticket, master_position_by: other.masterPosition,
    };
    c.closeBy = body.cmd_id;
    other.closeBy = body.cmd_id;
    this.decision('close_by', `master ${master.name} closed #${c.masterPosition} by #${other.masterPosition}: ${c.slave} close ${c.ticket} by ${other.ticket}`, c.slave, c.masterPosition);
    this.issue(c, body, receivedAt, { otherKey: copyKey(other.master, other.masterPosition, other.slave) });
    return true;
  }

  private reverseCopy(master: Account, mp: MasterPosition, c: Copy, receivedAt: number): void {
    if (c.status !== 'open' || !c.ticket) {
      this.decision('skip', `master reversed ${master.name}#${mp.position}; ${c.slave} copy is ${c.status}: no reversal`, c.slave, mp.position);
      return;
    }
    const slave = this.accounts.get(c.slave);
    this.decision('reverse', `master reversed ${master.name}#${mp.position} to ${mp.side} ${mp.volume}: ${c.slave} closes ticket ${c.ticket} (${c.volume} lots), then opens the new side`, c.slave, mp.position);
    this.issue(c, { type: 'close', ...this.cmdBase(c), ticket: c.ticket, symbol: c.symbol, volume: c.volume }, receivedAt, {
      then: () => {
        if (!slave || !mp.open) return;
        this.copies.delete(copyKey(c.master, c.masterPosition, c.slave));
        this.decideOpen(master, slave, mp, receivedAt);
      },
    });
  }

  // ------------------------------------------------------------------ commands and results

  private cmdBase(c: Copy) {
    const now = this.now();
    return {
      cmd_id: `c${now.toString(36)}-${(++this.cmdCounter).toString(36)}`,
      expires_ms: now + this.cfg.commandTtlMs,
      master: c.master,
      master_position: c.masterPosition,
    };
  }

  private issue(c: Copy, body: Body<CommandMsg>, origin: number, extra: Partial<Pick<Pending, 'then' | 'otherKey'>> = {}): void {
    const now = this.now();
    const p: Pending = { body, slave: c.slave, copyKey: copyKey(c.master, c.masterPosition, c.slave), firstSent: now, lastSent: now, attempts: 1, origin, ...extra };
    this.pending.set(body.cmd_id, p);
    c.inflight.add(body.cmd_id);
    this.stats.commandsSent++;
    this.deps.send(c.slave, body);
    this.event({ kind: 'command', account: c.slave, cmd_id: body.cmd_id, master_ticket: c.masterPosition, message: body.type, data: body as unknown as Record<string, unknown> });
  }

  private resendPendingFor(slave: string): void {
    const now = this.now();
    for (const p of this.pending.values()) {
      if (p.slave !== slave || now > p.body.expires_ms) continue;
      p.lastSent = now;
      p.attempts++;
      this.stats.resends++;
      this.deps.send(slave, p.body);
    }
  }

  private onResult(t: TerminalState, r: ResultMsg, receivedAt: number): void {
    this.stats.results++;
    const p = this.pending.get(r.cmd_id) ?? this.expiredCmds.get(r.cmd_id);
    this.expiredCmds.delete(r.cmd_id);
    this.event({ kind: 'result', account: t.name, cmd_id: r.cmd_id, message: `${r.status} ${r.retcode} ${r.message}`, data: r as unknown as Record<string, unknown> });
    if (!p) {
      this.log.debug(`result for unknown or finished command ${r.cmd_id} from ${t.name} (${r.status})`);
      return;
    }
    if (p.slave !== t.name) {
      this.log.warn(`result for ${r.cmd_id} came from ${t.name}, but it was sent to ${p.slave}; ignored`);
      return;
    }
    this.pending.delete(r.cmd_id);
    const c = this.copies.get(p.copyKey);
    if (!c) return;
    c.inflight.delete(r.cmd_id);
    const latency = receivedAt - p.origin;
    const ok = r.status === 'done' || r.status === 'partial' || r.status === 'duplicate';
    const line = `${r.status} ${p.body.type} ${c.master}#${c.masterPosition} -> ${c.slave}: ${r.message} (retcode ${r.retcode}${r.ticket ? ', ticket ' + r.ticket : ''}${ok ? `, ${latency} ms` : ''})`;
    if (ok) this.log.info(`result ${line}`);
    else this.log.warn(`result ${line}`);
    switch (p.body.type) {
      case 'open':
        return this.onOpenResult(c, p, r, latency, receivedAt);
      case 'close':
        return this.onCloseResult(c, p, r, receivedAt);
      case 'close_by':
        return this.onCloseByResult(c, p, r, receivedAt);
      case 'modify':
        if (ok) {
          c.sl = p.body.sl;
          c.tp = p.body.tp;
        }
        return;
    }
  }

  private onOpenResult(c: Copy, p: Pending, r: ResultMsg, latency: number, receivedAt: number): void {
    const body = p.body as Extract<Body<CommandMsg>, { type: 'open' }>;
    if (r.status === 'done' || r.status === 'partial' || r.status === 'duplicate') {
      const wasOpen = c.status === 'open';
      c.status = 'open';
      if (r.ticket) c.ticket = r.ticket;
      c.position = r.position ?? r.ticket ?? c.position;
      this.copies.indexTicket(c);
      if (body.increase) c.volume = Number((c.volume + (r.volume ?? body.volume)).toFixed(8));
      else if (r.volume !== undefined) c.volume = r.volume;
      else if (!wasOpen) c.volume = body.volume;
      if (!body.increase && r.price) c.openPrice = r.price;
      this.stats.lastLatencyMs = latency;
      const spec = this.terminals.get(c.slave)?.symbols?.get(c.symbol);
      const slip = r.price && spec?.point ? Math.round((Math.abs(r.price - body.price) / spec.point) * 10) / 10 : undefined;
      this.tradeUpdate(c, {
        status: 'open', slave_ticket: c.ticket, volume: c.volume, remaining_volume: c.volume, ...(body.increase ? {} : { open_price: r.price, slippage_points: slip, latency_ms: latency }),
        reason: r.status === 'duplicate' ? 'already copied (duplicate)' : undefined,
      });
      this.afterOpen(c, receivedAt);
      return;
    }
    if (body.increase) return; // The existing copy stays as it was.
    c.status = r.status === 'expired' ? 'expired' : r.status === 'refused' ? 'refused' : 'failed';
    this.stats.refusals++;
    this.tradeUpdate(c, { status: c.status, reason: `${r.message} (retcode ${r.retcode})` });
  }

  /** The master may have moved on while the open was in flight: catch up. */
  private afterOpen(c: Copy, receivedAt: number): void {
    const mp = this.masterPositions.get(posKey(c.master, c.masterPosition));
    if (!mp || !c.ticket) return;
    if (!mp.open) {
      this.decision('close', `master ${c.master}#${c.masterPosition} closed while the copy was opening: ${c.slave} closes ticket ${c.ticket}`, c.slave, c.masterPosition);
      this.issue(c, { type: 'close', ...this.cmdBase(c), ticket: c.ticket, symbol: c.symbol, volume: c.volume }, receivedAt);
      return;
    }
    if (mp.volume < c.masterVolume - EPS && mp.side === c.side) {
      const closed = c.masterVolume - mp.volume;
      c.masterVolume = mp.volume;
      this.reduceCopy(c, closed, mp.volume, receivedAt, 'master reduced while the copy was opening');
    }
    const spec = this.terminals.get(c.slave)?.symbols?.get(c.symbol);
    const sl = normalizePrice(mp.sl, spec?.digits);
    const tp = normalizePrice(mp.tp, spec?.digits);
    if (sl !== c.sl || tp !== c.tp) {
      this.decision('modify', `${c.master}#${c.masterPosition} SL/TP changed while opening -> ${c.slave} ticket ${c.ticket}: SL ${sl} TP ${tp}`, c.slave, c.masterPosition);
      this.issue(c, { type: 'modify', ...this.cmdBase(c), ticket: c.ticket, symbol: c.symbol, sl, tp }, receivedAt);
    }
  }

  private onCloseResult(c: Copy, p: Pending, r: ResultMsg, receivedAt: number): void {
    const body = p.body as Extract<Body<CommandMsg>, { type: 'close' }>;
    if (r.status === 'done' || r.status === 'partial' || r.status === 'duplicate') {
      const left = r.remaining_volume ?? Math.max(0, Number((c.volume - (r.volume ?? body.volume)).toFixed(8)));
      c.volume = left;
      if (left <= EPS) {
        c.status = 'closed';
        this.tradeUpdate(c, { status: 'closed', remaining_volume: 0, close_time: iso(receivedAt), close_price: r.price });
      } else {
        this.tradeUpdate(c, { remaining_volume: left });
      }
      p.then?.();
      return;
    }
    this.tradeUpdate(c, { reason: `close failed: ${r.message} (retcode ${r.retcode}); the next snapshot reconciles it` });
  }

  private onCloseByResult(c: Copy, p: Pending, r: ResultMsg, receivedAt: number): void {
    const other = p.otherKey ? this.copies.get(p.otherKey) : undefined;
    c.closeBy = undefined;
    if (other) other.closeBy = undefined;
    if (!(r.status === 'done' || r.status === 'duplicate')) {
      this.log.warn(`close_by failed on ${c.slave}; closing each copy on its own`);
      for (const x of [c, other]) {
        if (!x || x.status !== 'open') continue;
        const m = this.masterPositions.get(posKey(x.master, x.masterPosition));
        if (m && !m.open) this.issue(x, { type: 'close', ...this.cmdBase(x), ticket: x.ticket!, symbol: x.symbol, volume: x.volume }, receivedAt);
      }
      return;
    }
    const closed = Math.min(c.volume, other?.volume ?? c.volume);
    for (const x of [c, other]) {
      if (!x) continue;
      x.volume = Number((x.volume - closed).toFixed(8));
      if (x.volume <= EPS) {
        x.volume = 0;
        x.status = 'closed';
        this.tradeUpdate(x, { status: 'closed', remaining_volume: 0, close_time: iso(receivedAt), reason: 'closed by opposite copy' });
      } else this.tradeUpdate(x, { remaining_volume: x.volume });
    }
  }

  // ------------------------------------------------------------------ slave events and snapshots

  private copyByTicket(slave: string, position: string): Copy | undefined {
    return this.copies.bySlaveTicket(slave, position);
  }

  private onSlaveDeal(t: TerminalState, d: DealMsg): void {
    if (d.entry === 'in') return;
    const c = this.copyByTicket(t.name, d.position);
    if (!c || c.status !== 'open') return;
    if (d.position_volume <= EPS && c.inflight.size === 0) {
      c.status = 'closed';
      c.volume = 0;
      this.decision('closed', `${c.slave} ticket ${c.ticket} (copy of ${c.master}#${c.masterPosition}) closed on the slave (${d.reason})`, c.slave, c.masterPosition);
      this.tradeUpdate(c, { status: 'closed', remaining_volume: 0, close_time: iso(d.time_ms), close_price: d.price, reason: `closed on slave (${d.reason})` });
    } else if (c.inflight.size === 0) {
      c.volume = d.position_volume;
      this.tradeUpdate(c, { remaining_volume: c.volume });
    }
  }

  private masterOf(p: Position): { master: string; masterPosition: string } | undefined {
    if (p.master && p.master_position && this.accounts.get(p.master)?.type === 'MASTER') return { master: p.master, masterPosition: p.master_position };
    if (p.magic !== this.cfg.magic) return undefined;
    const parsed = parseCopyComment(p.comment);
    if (!parsed) return undefined;
    const master = this.tags.get(parsed.tag);
    return master ? { master, masterPosition: parsed.masterPosition } : undefined;
  }

  private onSnapshot(t: TerminalState, account: Account, s: SnapshotMsg, receivedAt: number): void {
    t.snapshotAt = receivedAt;
    t.positions = new Map(s.positions.map((p) => [p.position, p]));
    const mm = s.margin_mode;
    if (!t.marginMode && (mm === 'hedging' || mm === 'netting' || mm === 'exchange')) t.marginMode = mm;
    if (account.type === 'MASTER') this.reconcileMaster(account, t, receivedAt);
    else this.reconcileSlave(t, receivedAt);
  }

  private reconcileMaster(master: Account, t: TerminalState, receivedAt: number): void {
    const open = t.positions!;
    for (const p of open.values()) {
      this.noteMasterSymbol(master.name, p.symbol);
      const key = posKey(master.name, p.position);
      const mp = this.masterPositions.get(key);
      if (!mp) {
        this.masterPositions.set(key, { master: master.name, position: p.position, symbol: p.symbol, side: p.side, volume: p.volume, price: p.price_open, sl: p.sl, tp: p.tp, open: true });
        const copied = this.copies.ofMasterPosition(master.name, p.position).length > 0;
        if (!copied) {
          this.decision('skip', `master ${master.name}#${p.position} (${p.side} ${p.volume} ${p.symbol}) was opened while the hub was not watching: not copied`, master.name, p.position);
        }
      } else {
        mp.open = true;
        mp.volume = p.volume;
        mp.sl = p.sl;
        mp.tp = p.tp;
      }
    }
    for (const mp of this.masterPositions.values()) {
      if (mp.master !== master.name || !mp.open || open.has(mp.position)) continue;
      mp.open = false;
      mp.volume = 0;
      mp.closedAt = receivedAt;
      this.log.info(`reconcile: master ${master.name}#${mp.position} is no longer open (missed close)`);
    }
    if (!master.enabled) return;
    // Copies whose master position is gone: close them (each one logged).
    for (const c of this.copies.values()) {
      if (c.master !== master.name || c.status !== 'open' || !c.ticket || c.inflight.size) continue;
      const mp = this.masterPositions.get(posKey(c.master, c.masterPosition));
      if (mp && !mp.open) {
        this.decision('close', `reconcile: ${c.master}#${c.masterPosition} is closed on the master; ${c.slave} closes ticket ${c.ticket}`, c.slave, c.masterPosition);
        this.issue(c, { type: 'close', ...this.cmdBase(c), ticket: c.ticket, symbol: c.symbol, volume: c.volume }, receivedAt);
      }
    }
  }

  private reconcileSlave(t: TerminalState, receivedAt: number): void {
    const seen = new Set<string>();
    for (const p of t.positions!.values()) {
      const id = this.masterOf(p);
      if (!id) continue;
      const key = copyKey(id.master, id.masterPosition, t.name);
      seen.add(key);
      let c = this.copies.get(key);
      if (!c) {
        c = {
          master: id.master, masterPosition: id.masterPosition, slave: t.name, masterSymbol: p.symbol, symbol: p.symbol, side: p.side,
          volume: p.volume, masterVolume: p.volume, ticket: p.ticket, position: p.position, status: 'open', masterPrice: p.price_open,
          openPrice: p.price_open, sl: p.sl, tp: p.tp, inflight: new Set(),
        };
        const mp = this.masterPositions.get(posKey(id.master, id.masterPosition));
        if (mp) {
          c.masterSymbol = mp.symbol;
          c.masterVolume = mp.volume;
          c.masterPrice = mp.price;
        }
        this.copies.set(key, c);
        this.decision('adopt', `reconcile: found ${t.name} ticket ${p.ticket} (${p.side} ${p.volume} ${p.symbol}) copying ${id.master}#${id.masterPosition}; tracking it`, t.name, id.masterPosition);
        this.tradeUpdate(c, { status: 'open', slave_ticket: p.ticket, symbol: p.symbol, master_symbol: c.masterSymbol, direction: dir(p.side), volume: p.volume, remaining_volume: p.volume, open_price: p.price_open, open_time: iso(p.time_ms) });
      } else if (c.inflight.size === 0) {
        if (c.status !== 'open' || c.ticket !== p.ticket || Math.abs(c.volume - p.volume) > EPS) {
          this.log.info(`reconcile: ${t.name} ticket ${p.ticket} copy of ${id.master}#${id.masterPosition}: ${c.status} ${c.volume} -> open ${p.volume}`);
          c.status = 'open';
          c.ticket = p.ticket;
          c.position = p.position;
          this.copies.indexTicket(c);
          c.volume = p.volume;
          this.tradeUpdate(c, { status: 'open', slave_ticket: p.ticket, remaining_volume: p.volume });
        }
      }
      // A copy whose master position is known to be closed: close it.
      const mp = this.masterPositions.get(posKey(id.master, id.masterPosition));
      const masterT = this.terminals.get(id.master);
      if (mp && !mp.open && masterT?.snapshotAt && c.inflight.size === 0 && c.status === 'open') {
        this.decision('close', `reconcile: ${id.master}#${id.masterPosition} is closed on the master; ${t.name} closes ticket ${p.ticket}`, t.name, id.masterPosition);
        this.issue(c, { type: 'close', ...this.cmdBase(c), ticket: p.ticket, symbol: p.symbol, volume: p.volume }, receivedAt);
      }
    }
    for (const [key, c] of this.copies.ofSlave(t.name)) {
      if (c.status !== 'open' || seen.has(key) || c.inflight.size) continue;
      c.status = 'closed';
      c.volume = 0;
      this.decision('closed', `reconcile: ${t.name} no longer has ticket ${c.ticket} (copy of ${c.master}#${c.masterPosition}); marked closed`, t.name, c.masterPosition);
      this.tradeUpdate(c, { status: 'closed', remaining_volume: 0, close_time: iso(receivedAt), reason: 'not in slave snapshot (closed on the slave)' });
    }
  }

  // ------------------------------------------------------------------ timers

  /** Re-sends unanswered commands, expires old ones, marks silent terminals offline. Call often. */
  tick(now = this.now()): void {
    for (const [id, p] of this.pending) {
      if (now > p.body.expires_ms + this.cfg.resendMs) {
        // Grace of one resend period for a result already on its way.
        this.pending.delete(id);
        this.expiredCmds.set(id, p);
        if (this.expiredCmds.size > 10_000) this.expiredCmds.delete(this.expiredCmds.keys().next().value as string);
        this.stats.expired++;
        const c = this.copies.get(p.copyKey);
        c?.inflight.delete(id);
        this.decision('expire', `${p.body.type} ${p.body.master}#${p.body.master_position} -> ${p.slave} expired after ${p.attempts} sends without result`, p.slave, p.body.master_position, 'warn');
        if (c && p.body.type === 'open' && !p.body.increase && c.status === 'pending') {
          c.status = 'expired';
          this.tradeUpdate(c, { status: 'expired', reason: `no result from ${p.slave} within ${this.cfg.commandTtlMs} ms (offline?)` });
        }
        continue;
      }
      if (now - p.lastSent >= this.cfg.resendMs && now <= p.body.expires_ms) {
        p.lastSent = now;
        p.attempts++;
        this.stats.resends++;
        this.deps.send(p.slave, p.body);
      }
    }
    if (now - this.lastPrune > 10_000) this.prune(now);
    const offlineAfter = this.cfg.heartbeatMs * 3;
    for (const t of this.terminals.values()) {
      if (t.online && now - t.lastSeen > offlineAfter) {
        t.online = false;
        t.welcomed = false;
        this.log.warn(`terminal ${t.name} is offline (silent for ${now - t.lastSeen} ms)`);
        this.event({ kind: 'offline', account: t.name, message: `silent for ${now - t.lastSeen} ms` });
      }
    }
  }

  private lastPrune = 0;

  /** Forgets closed master positions whose copies are settled, so memory stays flat over months. */
  private prune(now: number): void {
    this.lastPrune = now;
    for (const [key, mp] of this.masterPositions) {
      if (mp.open || mp.closedAt === undefined || now - mp.closedAt < FORGET_AFTER_MS) continue;
      const copies = this.copies.ofMasterPosition(mp.master, mp.position);
      if (copies.some((c) => c.inflight.size || c.status === 'open' || c.status === 'pending')) continue;
      for (const c of copies) this.copies.delete(copyKey(c.master, c.masterPosition, c.slave));
      this.masterPositions.delete(key);
    }
  }

  // ------------------------------------------------------------------ helpers

  private noteMasterSymbol(master: string, symbol: string): void {
    let set = this.masterSymbols.get(master);
    if (!set) this.masterSymbols.set(master, (set = new Set()));
    if (set.has(symbol)) return;
    set.add(symbol);
    for (const slave of this.followersOf(master)) {
      const t = this.terminals.get(slave.name);
      if (t?.welcomed) this.sendWatch(t, false);
    }
  }

  /** Slaves stream ticks for the translations of every symbol their masters trade. */
  private sendWatch(t: TerminalState, force: boolean): void {
    const slave = this.accounts.get(t.name);
    if (!slave || slave.type !== 'SLAVE') return;
    const want = new Set<string>();
    for (const [masterName, symbols] of this.masterSymbols) {
      if (slave.follows?.length && !slave.follows.includes(masterName)) continue;
      const master = this.accounts.get(masterName);
      for (const s of symbols) {
        const tr = translateSymbol(s, slave, t.symbolNames, master);
        if (tr.ok) want.add(tr.symbol);
      }
    }
    const list = [...want].sort();
    if (!force && list.length === t.watch.length && list.every((s, i) => s === t.watch[i])) return;
    t.watch = list;
    if (list.length || force) this.deps.send(t.name, { type: 'watch', symbols: list.slice(0, 500) });
  }

  private forEachCopy(master: string, position: string, fn: (c: Copy) => void): void {
    for (const c of this.copies.ofMasterPosition(master, position)) fn(c);
  }

  private decision(kind: string, message: string, account: string, masterTicket: string, level: 'info' | 'warn' = 'info'): void {
    const line = `${kind.toUpperCase()} ${message}`;
    if (this.heldLines) this.heldLines.push([level, line]);
    else this.log[level](line);
    this.event({ kind, account, master_ticket: masterTicket, message });
  }

  /**
   * Runs the decisions for one master event: every slave's command is sent as it is decided and
   * the decision log lines (one per slave, same text, same order) are written once all commands
   * are out, before this returns. Writing a line costs about as much as deciding, so the last
   * of N slaves no longer waits for N - 1 log lines.
   */
  private fanOut(fn: () => void): void {
    if (this.heldLines) return fn();
    const lines: [level: 'info' | 'warn', line: string][] = (this.heldLines = []);
    try {
      fn();
    } finally {
      this.heldLines = undefined;
      for (const [level, line] of lines) this.log[level](line);
    }
  }

  private event(e: Omit<LedgerEvent, 'time'>): void {
    this.deps.ledger.event({ time: iso(this.now()), ...e });
  }

  private tradeUpdate(c: Copy, set: TradeUpdate['set']): void {
    const clean: TradeUpdate['set'] = { updated_at: iso(this.now()) };
    for (const [k, v] of Object.entries(set)) if (v !== undefined) (clean as Record<string, unknown>)[k] = v;
    if (set.reason === undefined && 'reason' in set) (clean as Record<string, unknown>).reason = '';
    if (!('symbol' in clean)) clean.symbol = c.symbol;
    if (!('master_symbol' in clean)) clean.master_symbol = c.masterSymbol;
    if (!('direction' in clean)) clean.direction = dir(c.side);
    this.deps.ledger.trade({ key: { master_name: c.master, master_ticket: c.masterPosition, slave_name: c.slave }, set: clean });
  }

  /** Open copies per slave, for status displays. */
  openCopies(slave?: string): Copy[] {
    const all = slave ? this.copies.ofSlave(slave).map(([, c]) => c) : [...this.copies.values()];
    return all.filter((c) => c.status === 'open');
  }
}
