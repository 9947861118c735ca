/**
 * The end-of-run check, against the simulated brokers' own positions (not the hub's belief) and the
 * ledger. Pure: the runner and the checker's own tests hand it positions and ledger rows.
 *
 * A hedging slave holds one position per copied master position, found by its comment
 * CB:<master tag>:<master position> and the hub's magic. A netting slave holds one position per
 * symbol, so it is compared per symbol: its signed volume against the sum of what its masters'
 * open positions on that symbol ask for.
 *
 * Pending orders (when the states list them): a hedging slave holds one order per live master
 * order, found by the same comment (the master order's ticket), with the master's volume x ratio,
 * price (on the slave's tick grid) and SL/TP; or, when its order filled before the master's, the
 * position it opened (docs/pending.md). A netting slave holds no pending copies: the master's fill
 * is copied at market there.
 */
import { masterTag, parseCopyComment } from '../hub/engine/tag';
import type { Trade } from '../hub/ledger/types';
import type { PendingOrder, Position, SymbolSpec } from '../hub/protocol';

export type MarginMode = 'hedging' | 'netting';

export interface MasterState {
  name: string;
  positions: readonly Position[];
  /** Its pending orders; absent: pending orders are not compared. */
  orders?: readonly PendingOrder[];
}

export interface SlaveState {
  name: string;
  mode: MarginMode;
  /** Masters this slave copies. */
  follows: readonly string[];
  /** Copy volume per master lot (volume multiplier; contract sizes are equal in the presets). */
  ratio: number;
  /** Master symbol -> this slave's symbol. */
  translate: (masterSymbol: string) => string;
  spec: (symbol: string) => Pick<SymbolSpec, 'volume_step' | 'volume_min' | 'digits' | 'point' | 'tick_size'> | undefined;
  positions: readonly Position[];
  /** Its pending orders; absent: pending orders are not compared. */
  orders?: readonly PendingOrder[];
}

export interface CheckInput {
  /** The hub's magic number: slave positions with another magic are the trader's own. */
  magic: number;
  masters: readonly MasterState[];
  slaves: readonly SlaveState[];
  /** Ledger rows; absent: missing copies count as without reason and the ledger is not compared. */
  ledger?: readonly Trade[];
}

export interface CheckResult {
  /** Expected copies (hedging) and symbols (netting) that match. */
  matched: number;
  duplicates: number;
  orphans: number;
  missing: number;
  /** Missing copies whose ledger row gives a reason (refused, missed, failed). */
  skipped: number;
  volume: number;
  sltp: number;
  /** Pending copies whose price is not the master order's on the slave's tick grid. */
  price: number;
  ledger: number;
  /** Every compared item (slave|master#position or slave|symbol) and whether it is right. */
  items: Map<string, boolean>;
  /** One line per problem, for the report. */
  problems: string[];
  /** One line per skipped copy, with the ledger's reason. */
  skips: string[];
}

/** Ledger statuses that explain why a slave has no copy. */
const REASONED = new Set(['refused', 'missed', 'failed']);
/** ... and why it has no copy of a pending order (also removed: by the slave, or withdrawn). */
const REASONED_ORDER = new Set([...REASONED, 'canceled']);
const LIVE = new Set(['open', 'pending']);
const VOL_EPS = 1e-9;

function floorToStep(v: number, step: number): number {
  return step > 0 ? Number((Math.floor(v / step + 1e-9) * step).toFixed(8)) : v;
}

function signed(p: Pick<Position, 'side' | 'volume'>): number {
  return p.side === 'buy' ? p.volume : -p.volume;
}

function fmt(n: number): string {
  return Number(n.toFixed(8)).toString();
}

export function check(input: CheckInput): CheckResult {
  const r: CheckResult = { matched: 0, duplicates: 0, orphans: 0, missing: 0, skipped: 0, volume: 0, sltp: 0, price: 0, ledger: 0, items: new Map(), problems: [], skips: [] };
  const byTag = new Map(input.masters.map((m) => [masterTag(m.name), m.name]));
  const masterOpen = new Map<string, Position>();
  for (const m of input.masters) for (const p of m.positions) masterOpen.set(`${m.name}#${p.position}`, p);
  const ordersKnown = input.masters.every((m) => m.orders);
  const masterOrders = new Map<string, PendingOrder>();
  for (const m of input.masters) for (const o of m.orders ?? []) masterOrders.set(`${m.name}#${o.ticket}`, o);
  const rows = new Map<string, Trade>();
  for (const t of input.ledger ?? []) rows.set(`${t.slave_name}|${t.master_name}#${t.master_ticket}`, t);
  const book: Book = {
    explains: (slave, mkey, order = false) => {
      const row = rows.get(`${slave}|${mkey}`);
      return !!row && (order ? REASONED_ORDER : REASONED).has(row.status) && !!row.reason;
    },
    says: (slave, mkey) => {
      const row = rows.get(`${slave}|${mkey}`);
      return row ? `its ledger row is "${row.status}"${row.reason ? ` (${row.reason})` : ' without a reason'}` : 'it has no ledger row';
    },
  };
  const bad = (item: string, line: string) => {
    r.items.set(item, false);
    r.problems.push(line);
  };

  /** The slave's copies (positions or orders) by the master position or order they name. */
  const copiesOf = <T extends { magic: number; comment: string }>(list: readonly T[]): Map<string, T[]> => {
    const groups = new Map<string, T[]>();
    for (const p of list) {
      if (p.magic !== input.magic) continue;
      const id = parseCopyComment(p.comment);
      const master = id && byTag.get(id.tag);
      const key = master ? `${master}#${id.masterPosition}` : `?${p.comment}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    return groups;
  };

  for (const s of input.slaves) {
    const groups = copiesOf(s.positions);
    const orderGroups = ordersKnown && s.orders ? copiesOf(s.orders) : undefined;
    const followed = input.masters.filter((m) => s.follows.includes(m.name));
    // A slave position whose order filled before its master's is the copy of that live master order.
    const filledFirst = (mkey: string) => !!orderGroups && masterOrders.has(mkey) && s.follows.includes(mkey.split('#')[0]);
    if (s.mode === 'hedging') checkHedging(s, followed, groups, masterOpen, filledFirst, book, r, bad);
    else checkNetting(s, followed, groups, book, r, bad);
    if (orderGroups) checkOrders(s, followed, orderGroups, groups, masterOrders, book, r, bad);
    if (input.ledger) {
      if (s.mode === 'hedging') checkLedger(s, groups, input.ledger, r);
      else checkLedgerNetting(s, input.ledger, input.magic, r);
      if (orderGroups) checkLedgerOrders(s, orderGroups, input.ledger, r);
    }
  }
  return r;
}

type Bad = (item: string, line: string) => void;
/** What the ledger says about one slave's copy of one master position. */
interface Book {
  /** The row says why there is no copy (refused, missed, failed, with a reason; of an order also canceled). */
  explains(slave: string, mkey: string, order?: boolean): boolean;
  says(slave: string, mkey: string): string;
}

function checkHedging(
  s: SlaveState, followed: readonly MasterState[], groups: Map<string, Position[]>, masterOpen: Map<string, Position>, filledFirst: (mkey: string) => boolean, book: Book, r: CheckResult, bad: Bad,
): void {
  const follows = new Set(followed.map((m) => m.name));
  for (const [mkey, ps] of groups) {
    const item = `${s.name}|${mkey}`;
    const master = mkey.split('#')[0];
    if (filledFirst(mkey)) continue; // compared with the master order (checkOrders)
    if (!masterOpen.has(mkey) || !follows.has(master)) {
      r.orphans += ps.length;
      bad(item, `orphan: ${s.name} ${ps.map((p) => `#${p.ticket} ${p.side} ${p.volume} ${p.symbol} "${p.comment}"`).join(', ')} copies ${mkey}, which is not open`);
    } else if (ps.length > 1) {
      r.duplicates += ps.length - 1;
      bad(item, `duplicate: ${s.name} holds ${ps.length} copies of ${mkey}: ${ps.map((p) => `#${p.ticket} ${p.volume}`).join(', ')}`);
    }
  }
  for (const m of followed) {
    for (const mp of m.positions) {
      const mkey = `${m.name}#${mp.position}`;
      const item = `${s.name}|${mkey}`;
      const ps = groups.get(mkey);
      if (!ps) {
        if (book.explains(s.name, mkey)) {
          r.skipped++;
          r.skips.push(`skipped: ${s.name} has no copy of ${mkey}: ${book.says(s.name, mkey)}`);
          r.items.set(item, true);
        } else {
          r.missing++;
          bad(item, `missing: ${s.name} has no copy of ${mkey} (${mp.side} ${mp.volume} ${mp.symbol}) and ${book.says(s.name, mkey)}`);
        }
        continue;
      }
      if (r.items.get(item) === false) continue; // a duplicate, counted above
      const symbol = s.translate(mp.symbol);
      const spec = s.spec(symbol);
      const expected = floorToStep(mp.volume * s.ratio, spec?.volume_step ?? 0);
      const actual = ps.reduce((sum, p) => sum + signed(p), 0);
      let ok = true;
      if (Math.abs(actual - signed({ side: mp.side, volume: expected })) > (spec?.volume_step ?? 0) + VOL_EPS) {
        r.volume++;
        ok = false;
        bad(item, `volume: ${s.name} copy of ${mkey} is ${fmt(actual)} signed lots, master ${mp.side} ${mp.volume} x ${s.ratio} = ${expected}`);
      }
      if (!stopsMatch(ps[0], mp, spec)) {
        r.sltp++;
        ok = false;
        bad(item, `sl/tp: ${s.name} copy of ${mkey} has SL ${ps[0].sl} TP ${ps[0].tp}, master SL ${mp.sl} TP ${mp.tp}`);
      }
      if (ok) {
        r.matched++;
        r.items.set(item, true);
      }
    }
  }
}

function checkNetting(s: SlaveState, followed: readonly MasterState[], groups: Map<string, Position[]>, book: Book, r: CheckResult, bad: Bad): void {
  const own = new Map<string, Position>();
  for (const ps of groups.values()) for (const p of ps) own.set(p.symbol, p);
  const contributors = new Map<string, { mkey: string; mp: Position }[]>();
  for (const m of followed) {
    for (const mp of m.positions) {
      const symbol = s.translate(mp.symbol);
      contributors.set(symbol, [...(contributors.get(symbol) ?? []), { mkey: `${m.name}#${mp.position}`, mp }]);
    }
  }
  for (const symbol of new Set([...own.keys(), ...contributors.keys()])) {
    const item = `${s.name}|${symbol}`;
    const spec = s.spec(symbol);
    const step = spec?.volume_step ?? 0;
    const all = contributors.get(symbol) ?? [];
    const explained = all.filter((c) => book.explains(s.name, c.mkey));
    const expectedFrom = all.filter((c) => !explained.includes(c));
    const expected = expectedFrom.reduce((sum, c) => sum + signed({ side: c.mp.side, volume: floorToStep(c.mp.volume * s.ratio, step) }), 0);
    const pos = own.get(symbol);
    const actual = pos ? signed(pos) : 0;
    if (pos && !all.length) {
      r.orphans++;
      bad(item, `orphan: ${s.name} holds ${pos.side} ${pos.volume} ${symbol} "${pos.comment}" but no master position on it is open`);
      continue;
    }
    if (!pos && Math.abs(expected) > VOL_EPS) {
      r.missing++;
      bad(item, `missing: ${s.name} holds nothing on ${symbol}; ${expectedFrom.map((c) => `master ${c.mkey} ${c.mp.side} ${c.mp.volume}: ${book.says(s.name, c.mkey)}`).join('; ')}`);
      continue;
    }
    r.skipped += explained.length;
    for (const c of explained) r.skips.push(`skipped: ${s.name} has no share of ${c.mkey} on ${symbol}: ${book.says(s.name, c.mkey)}`);
    if (!pos) {
      r.items.set(item, true);
      continue;
    }
    let ok = true;
    if (Math.abs(actual - expected) > step + VOL_EPS) {
      r.volume++;
      ok = false;
      bad(item, `volume: ${s.name} holds ${fmt(actual)} signed lots of ${symbol}, masters ask for ${fmt(expected)} (${all.map((c) => `${c.mkey} ${c.mp.side} ${c.mp.volume}`).join(', ')} x ${s.ratio})`);
    }
    if (expectedFrom.length === 1 && !stopsMatch(pos, expectedFrom[0].mp, spec)) {
      r.sltp++;
      ok = false;
      bad(item, `sl/tp: ${s.name} ${symbol} has SL ${pos.sl} TP ${pos.tp}, master ${expectedFrom[0].mkey} SL ${expectedFrom[0].mp.sl} TP ${expectedFrom[0].mp.tp}`);
    }
    if (ok) {
      r.matched++;
      r.items.set(item, true);
    }
  }
}

/**
 * Pending copies: every live master order of a followed master has exactly one copy on a hedging
 * slave (its order, or the position it opened by filling first), with the master's volume x
 * ratio, price and SL/TP; a copy order whose master order is not pending is an orphan; a netting
 * slave holds no copy orders at all.
 */
function checkOrders(
  s: SlaveState, followed: readonly MasterState[], orderGroups: Map<string, PendingOrder[]>, positionGroups: Map<string, Position[]>, masterOrders: Map<string, PendingOrder>, book: Book, r: CheckResult, bad: Bad,
): void {
  const follows = new Set(followed.map((m) => m.name));
  const describe = (os: readonly PendingOrder[]) => os.map((o) => `#${o.ticket} ${o.order_type.replace('_', ' ')} ${o.volume} ${o.symbol} @ ${o.price} "${o.comment}"`).join(', ');
  for (const [mkey, os] of orderGroups) {
    if (s.mode === 'hedging' && masterOrders.has(mkey) && follows.has(mkey.split('#')[0])) continue;
    r.orphans += os.length;
    const why = s.mode === 'netting' ? `${s.name} is a netting account, which gets no pending copies` : 'which is not a pending master order';
    bad(`${s.name}|${mkey}`, `orphan: ${s.name} order ${describe(os)} copies ${mkey}, ${why}`);
  }
  if (s.mode !== 'hedging') return;
  for (const m of followed) {
    for (const mo of m.orders ?? []) {
      const mkey = `${m.name}#${mo.ticket}`;
      const item = `${s.name}|${mkey}`;
      const os = orderGroups.get(mkey) ?? [];
      const ps = positionGroups.get(mkey) ?? [];
      if (os.length + ps.length > 1) {
        r.duplicates += os.length + ps.length - 1;
        bad(item, `duplicate: ${s.name} holds ${os.length + ps.length} copies of order ${mkey}: ${[describe(os), ...ps.map((p) => `position #${p.ticket} ${p.volume}`)].filter(Boolean).join(', ')}`);
        continue;
      }
      const held = os[0] ?? ps[0];
      if (!held) {
        if (book.explains(s.name, mkey, true)) {
          r.skipped++;
          r.skips.push(`skipped: ${s.name} has no copy of order ${mkey}: ${book.says(s.name, mkey)}`);
          r.items.set(item, true);
        } else {
          r.missing++;
          bad(item, `missing: ${s.name} has no copy of order ${mkey} (${mo.order_type.replace('_', ' ')} ${mo.volume} ${mo.symbol} @ ${mo.price}) and ${book.says(s.name, mkey)}`);
        }
        continue;
      }
      const what = os.length ? `order #${held.ticket}` : `position #${held.ticket} (filled first)`;
      const side = os.length ? sideOf(os[0]) : ps[0].side;
      const spec = s.spec(s.translate(mo.symbol));
      const step = spec?.volume_step ?? 0;
      const expected = floorToStep(mo.volume * s.ratio, step);
      let ok = true;
      if (Math.abs(held.volume - expected) > step + VOL_EPS || side !== sideOf(mo)) {
        r.volume++;
        ok = false;
        bad(item, `volume: ${s.name} copy of order ${mkey} is ${what}, ${side} ${held.volume} lots, master ${mo.order_type.replace('_', ' ')} ${mo.volume} x ${s.ratio} = ${expected}`);
      }
      if (!stopsMatch(held, mo, spec)) {
        r.sltp++;
        ok = false;
        bad(item, `sl/tp: ${s.name} copy of order ${mkey} (${what}) has SL ${held.sl} TP ${held.tp}, master SL ${mo.sl} TP ${mo.tp}`);
      }
      const o = os[0];
      if (o && (o.order_type !== mo.order_type || !near(o.price, gridPrice(mo.price, spec), spec))) {
        r.price++;
        ok = false;
        bad(item, `price: ${s.name} copy of order ${mkey} is a ${o.order_type.replace('_', ' ')} @ ${o.price}, master ${mo.order_type.replace('_', ' ')} @ ${mo.price}`);
      }
      if (ok) {
        r.matched++;
        r.items.set(item, true);
      }
    }
  }
}

/** A placed row needs its copy order on the slave, a copy order needs a placed row. */
function checkLedgerOrders(s: SlaveState, orderGroups: Map<string, PendingOrder[]>, ledger: readonly Trade[], r: CheckResult): void {
  const rows = ledger.filter((t) => t.slave_name === s.name);
  const byKey = new Map(rows.map((t) => [`${t.master_name}#${t.master_ticket}`, t]));
  for (const [mkey, os] of orderGroups) {
    if (mkey.startsWith('?')) continue;
    const row = byKey.get(mkey);
    if (row?.status !== 'placed') {
      r.ledger++;
      r.problems.push(`ledger: ${s.name} holds order #${os[0].ticket} copying ${mkey} but its ledger row is ${row ? `"${row.status}"` : 'missing'}`);
    }
  }
  for (const row of rows) {
    const mkey = `${row.master_name}#${row.master_ticket}`;
    if (row.status === 'placed' && !orderGroups.has(mkey)) {
      r.ledger++;
      r.problems.push(`ledger: row ${s.name} <- ${mkey} is "placed" but ${s.name} holds no copy order of it`);
    }
  }
}

/** Ledger rows against the slave's positions: a live row needs its copy, a copy needs a live row. */
function checkLedger(s: SlaveState, groups: Map<string, Position[]>, ledger: readonly Trade[], r: CheckResult): void {
  const rows = ledger.filter((t) => t.slave_name === s.name);
  const byKey = new Map(rows.map((t) => [`${t.master_name}#${t.master_ticket}`, t]));
  for (const [mkey, ps] of groups) {
    if (mkey.startsWith('?')) continue;
    const row = byKey.get(mkey);
    const held = ps.reduce((sum, p) => sum + p.volume, 0);
    const step = s.spec(ps[0].symbol)?.volume_step ?? 0;
    if (!row || !LIVE.has(row.status)) {
      r.ledger++;
      r.problems.push(`ledger: ${s.name} holds a copy of ${mkey} (${fmt(held)} lots) but its ledger row is ${row ? `"${row.status}"` : 'missing'}`);
    } else if (row.remaining_volume !== undefined && Math.abs(row.remaining_volume - held) > step + VOL_EPS) {
      r.ledger++;
      r.problems.push(`ledger: ${s.name} copy of ${mkey} holds ${fmt(held)} lots, its ledger row says ${row.remaining_volume}`);
    }
  }
  for (const row of rows) {
    const mkey = `${row.master_name}#${row.master_ticket}`;
    if (LIVE.has(row.status) && !groups.has(mkey)) {
      r.ledger++;
      r.problems.push(`ledger: row ${s.name} <- ${mkey} is "${row.status}" but ${s.name} holds no copy of it`);
    }
  }
}

/**
 * Netting slaves, per symbol: one position holds every copy on its symbol and keeps the comment
 * of the order that opened it, so rows are matched by symbol, not by comment. The live rows on a
 * symbol need the position, the position needs a live row, and their signed lots must agree.
 */
function checkLedgerNetting(s: SlaveState, ledger: readonly Trade[], magic: number, r: CheckResult): void {
  const held = new Map<string, Position>();
  for (const p of s.positions) if (p.magic === magic) held.set(p.symbol, p);
  const live = new Map<string, Trade[]>();
  for (const t of ledger) {
    if (t.slave_name !== s.name || !LIVE.has(t.status) || !t.symbol) continue;
    live.set(t.symbol, [...(live.get(t.symbol) ?? []), t]);
  }
  for (const symbol of new Set([...held.keys(), ...live.keys()])) {
    const pos = held.get(symbol);
    const rows = live.get(symbol) ?? [];
    const names = rows.map((t) => `${t.master_name}#${t.master_ticket}`).join(', ');
    if (pos && !rows.length) {
      r.ledger++;
      r.problems.push(`ledger: ${s.name} holds ${pos.side} ${pos.volume} ${symbol} but no ledger row on it is live`);
      continue;
    }
    if (!pos) {
      r.ledger++;
      r.problems.push(`ledger: rows ${names} of ${s.name} on ${symbol} are live but ${s.name} holds nothing on it`);
      continue;
    }
    const step = s.spec(symbol)?.volume_step ?? 0;
    const rowsLots = rows.reduce((sum, t) => sum + (t.direction === 'SELL' ? -1 : 1) * (t.remaining_volume ?? t.volume ?? 0), 0);
    if (Math.abs(rowsLots - signed(pos)) > step + VOL_EPS) {
      r.ledger++;
      r.problems.push(`ledger: ${s.name} holds ${fmt(signed(pos))} signed lots of ${symbol}, its live rows (${names}) say ${fmt(rowsLots)}`);
    }
  }
}

type Stops = Pick<Position, 'sl' | 'tp'>;

function sideOf(o: Pick<PendingOrder, 'order_type'>): Position['side'] {
  return o.order_type.startsWith('buy') ? 'buy' : 'sell';
}

/** A copy's price is the master's at the slave's digits (half a point of tolerance). */
function near(a: number, b: number, spec: Pick<SymbolSpec, 'digits' | 'point'> | undefined): boolean {
  return Math.abs(a - Number(b.toFixed(spec?.digits ?? 8))) <= (spec?.point ?? 1e-8) / 2;
}

/** The master's order price on the slave's tick grid, as the hub places it (offset 0). */
function gridPrice(price: number, spec: Pick<SymbolSpec, 'tick_size'> | undefined): number {
  return spec?.tick_size ? Math.round(price / spec.tick_size) * spec.tick_size : price;
}

function stopsMatch(copy: Stops, master: Stops, spec: Pick<SymbolSpec, 'digits' | 'point'> | undefined): boolean {
  return near(copy.sl, master.sl, spec) && near(copy.tp, master.tp, spec);
}
