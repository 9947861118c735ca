/**
 * Copy policy: how much a slave copies (sizing) and what (filters, SL/TP, reverse), per slave, with
 * an optional override per followed master (`masters: { NAME: { ...fields } }`). A field set in
 * the override replaces the slave's value for copies of that master only. Validation here says
 * what to fix, with the CLI flag, in every message.
 */
import { AccountError } from '../errors';

export type VolumeMode = 'same' | 'multiplier' | 'fixed' | 'equity' | 'balance' | 'risk';
/** What risk sizing does for a master position without a stop loss. */
export type RiskWithoutSl = 'refuse' | Exclude<VolumeMode, 'risk'>;
export type Direction = 'both' | 'buy' | 'sell';
/** copy: the master's SL/TP; none: the copy opens without and the hub never changes its SL/TP; offset: the master's, moved by sltp_offset_points. */
export type SlTpMode = 'copy' | 'none' | 'offset';

/** The settings of one master -> slave link. Every field is optional: absent means the default. */
export interface CopyPolicy {
  volume_mode?: VolumeMode;
  /** For volume_mode multiplier (also applied in equity and balance modes). */
  volume_multiplier?: number;
  /** For volume_mode fixed: lots per copy. */
  volume_fixed?: number;
  /** Scale volumes by master/slave contract size when both are known (default true). */
  normalize_contract_size?: boolean;
  /** For volume_mode risk: percent of the slave's equity lost if the copy is stopped out at its stop loss. */
  risk_percent?: number;
  /** For volume_mode risk when the master position has no stop loss: refuse (default) or size by this mode. */
  risk_without_sl?: RiskWithoutSl;
  /** Master symbol (or pattern with * and ?) -> factor applied to the sized volume. */
  symbol_multipliers?: Record<string, number>;
  /** A volume below the slave's minimum is raised to the minimum instead of refused (default false). */
  force_min_lot?: boolean;
  /** Largest lots of one copy; more is clamped to it. */
  max_lot?: number;
  /** Only these symbols (master or slave name, patterns with * and ?); absent: all. */
  symbols_include?: string[];
  /** Never these symbols (master or slave name, patterns with * and ?). */
  symbols_exclude?: string[];
  /** Only master positions with these magic numbers; absent: all. */
  magic_include?: number[];
  /** Never master positions with these magic numbers. */
  magic_exclude?: number[];
  /** Only master positions whose comment contains this text (case-insensitive). */
  comment_contains?: string;
  /** Only master positions whose comment matches this regular expression. */
  comment_regex?: string;
  /** Which master sides are copied (default both). */
  direction?: Direction;
  sltp?: SlTpMode;
  /** For sltp offset: points (slave's) to move SL and TP away from the open price; negative moves them closer. */
  sltp_offset_points?: number;
  /** Pending order copies: points (slave's) the order price moves away from the market (limits deeper, stops further); negative: closer. */
  pending_offset_points?: number;
  /** Copy the opposite side: buy becomes sell, SL and TP swapped. */
  reverse?: boolean;
  /** Allow reverse copying between two prop-firm accounts (cross-account hedging, forbidden at firms such as FTMO). */
  allow_prop_reverse?: boolean;
}

/** Policy fields a slave carries, plus its overrides per master. */
export interface PolicyFields extends CopyPolicy {
  /** Prop firm of the account (e.g. "FTMO"); marks it as a prop account. */
  firm?: string;
  /** Master name -> settings that replace the slave's for copies of that master. */
  masters?: Record<string, CopyPolicy>;
}

export const VOLUME_MODES: readonly VolumeMode[] = ['same', 'multiplier', 'fixed', 'equity', 'balance', 'risk'];
const RISK_FALLBACKS: readonly RiskWithoutSl[] = ['refuse', 'same', 'multiplier', 'fixed', 'equity', 'balance'];
const DIRECTIONS: readonly Direction[] = ['both', 'buy', 'sell'];
const SLTP_MODES: readonly SlTpMode[] = ['copy', 'none', 'offset'];

/** Every policy field with its default and CLI flag, in the order `accounts show` prints them. */
export const POLICY_FIELDS: Readonly<Record<keyof CopyPolicy, { flag: string; default: unknown; doc: string }>> = {
  volume_mode: { flag: '--volume-mode', default: 'same', doc: 'sizing: same, multiplier, fixed, equity, balance or risk' },
  volume_multiplier: { flag: '--volume-multiplier', default: undefined, doc: 'factor for multiplier mode (also applied in equity and balance modes)' },
  volume_fixed: { flag: '--volume-fixed', default: undefined, doc: 'lots per copy in fixed mode' },
  normalize_contract_size: { flag: '--normalize-contract-size', default: true, doc: 'scale by master/slave contract size' },
  risk_percent: { flag: '--risk-percent', default: undefined, doc: 'risk mode: percent of equity lost at the stop loss' },
  risk_without_sl: { flag: '--risk-without-sl', default: 'refuse', doc: 'risk mode, master without SL: refuse or a fallback mode' },
  symbol_multipliers: { flag: '--symbol-multiplier', default: undefined, doc: 'factor per master symbol (pattern)' },
  force_min_lot: { flag: '--force-min-lot', default: false, doc: 'below the minimum: copy the minimum instead of refusing' },
  max_lot: { flag: '--max-lot', default: undefined, doc: 'largest lots per copy (none: the symbol maximum)' },
  symbols_include: { flag: '--symbols-include', default: undefined, doc: 'only these symbols (none: all)' },
  symbols_exclude: { flag: '--symbols-exclude', default: undefined, doc: 'never these symbols' },
  magic_include: { flag: '--magic-include', default: undefined, doc: 'only these master magic numbers (none: all)' },
  magic_exclude: { flag: '--magic-exclude', default: undefined, doc: 'never these master magic numbers' },
  comment_contains: { flag: '--comment-contains', default: undefined, doc: 'only master comments containing this' },
  comment_regex: { flag: '--comment-regex', default: undefined, doc: 'only master comments matching this' },
  direction: { flag: '--direction', default: 'both', doc: 'master sides copied: both, buy or sell' },
  sltp: { flag: '--sltp', default: 'copy', doc: 'copy, none (the slave keeps its own) or offset' },
  sltp_offset_points: { flag: '--sltp-offset-points', default: undefined, doc: 'offset mode: points SL/TP move away from the open price' },
  pending_offset_points: { flag: '--pending-offset-points', default: undefined, doc: 'pending order copies: points the order price moves away from the market (negative: closer)' },
  reverse: { flag: '--reverse', default: false, doc: 'copy the opposite side, SL and TP swapped' },
  allow_prop_reverse: { flag: '--allow-prop-reverse', default: false, doc: 'allow reverse copying between two prop-firm accounts' },
};

export const POLICY_KEYS = Object.keys(POLICY_FIELDS) as (keyof CopyPolicy)[];
/** Account fields this module validates. */
export const POLICY_ACCOUNT_KEYS: readonly string[] = [...POLICY_KEYS, 'firm', 'masters'];

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const MAX_LIST = 200;
const MAX_POINTS = 1_000_000;

const flagOf = (k: keyof CopyPolicy) => POLICY_FIELDS[k].flag;

function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** true/false from a value or a flag string; undefined when it is neither. */
function bool(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

/** A list from an array or a comma-separated flag string. */
function list(v: unknown): unknown[] | undefined {
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  return Array.isArray(v) ? (v as unknown[]).flatMap((x): unknown[] => (typeof x === 'string' ? x.split(',').map((s) => s.trim()).filter(Boolean) : [x])) : undefined;
}

/** A symbol name or pattern: * any run of characters, ? one character. */
const PATTERN = /^[^\s,=]{1,64}$/;

/** Compiles a comment_regex; throws AccountError naming the problem. */
export function compileCommentRegex(source: string, where: string): RegExp {
  try {
    return new RegExp(source);
  } catch (e) {
    throw new AccountError(`${where}: comment_regex ${JSON.stringify(source)} is not a regular expression (${(e as Error).message})`, 'e.g. --comment-regex "^scalp" (JavaScript syntax)');
  }
}

/** Validates the policy fields of one record (an account or one master override) into `out`. */
function validateFields(a: Record<string, unknown>, where: string, out: CopyPolicy): void {
  const fail = (k: keyof CopyPolicy, what: string, example: string): never => {
    throw new AccountError(`${where}: ${k} ${what}, got ${JSON.stringify(a[k])}`, `e.g. ${flagOf(k)} ${example}`);
  };
  if (given(a.volume_mode)) {
    if (!VOLUME_MODES.includes(a.volume_mode as VolumeMode)) fail('volume_mode', `must be one of ${VOLUME_MODES.join(', ')}`, 'multiplier --volume-multiplier 0.5');
    out.volume_mode = a.volume_mode as VolumeMode;
  }
  for (const [k, example] of [['volume_multiplier', '0.5'], ['volume_fixed', '0.1'], ['max_lot', '5']] as const) {
    if (!given(a[k])) continue;
    const v = Number(a[k]);
    if (!(Number.isFinite(v) && v > 0) || typeof a[k] === 'boolean') fail(k, 'must be a number > 0', example);
    out[k] = v;
  }
  if (given(a.risk_percent)) {
    const v = Number(a.risk_percent);
    if (!(Number.isFinite(v) && v > 0 && v <= 100) || typeof a.risk_percent === 'boolean') fail('risk_percent', 'must be a percent above 0 and at most 100', '1 (1% of equity lost at the stop loss)');
    out.risk_percent = v;
  }
  if (given(a.risk_without_sl)) {
    if (!RISK_FALLBACKS.includes(a.risk_without_sl as RiskWithoutSl)) fail('risk_without_sl', `must be one of ${RISK_FALLBACKS.join(', ')}`, 'refuse');
    out.risk_without_sl = a.risk_without_sl as RiskWithoutSl;
  }
  for (const k of ['normalize_contract_size', 'force_min_lot', 'reverse', 'allow_prop_reverse'] as const) {
    if (!given(a[k])) continue;
    const v = bool(a[k]);
    if (v === undefined) fail(k, 'must be true or false', 'true');
    out[k] = v;
  }
  if (given(a.symbol_multipliers)) {
    const m = a.symbol_multipliers;
    if (typeof m !== 'object' || Array.isArray(m)) fail('symbol_multipliers', 'must be an object like {"XAUUSD": 0.5}', 'XAUUSD=0.5');
    const map: Record<string, number> = {};
    for (const [sym, f] of Object.entries(m as Record<string, unknown>)) {
      const v = Number(f);
      if (!PATTERN.test(sym) || !(Number.isFinite(v) && v > 0) || typeof f === 'boolean') {
        throw new AccountError(`${where}: symbol_multipliers entry ${JSON.stringify(sym)}: ${JSON.stringify(f)} must be a symbol (or pattern) and a number > 0`, `e.g. ${flagOf('symbol_multipliers')} XAUUSD=0.5`);
      }
      map[sym] = v;
    }
    if (Object.keys(map).length) out.symbol_multipliers = map;
  }
  for (const k of ['symbols_include', 'symbols_exclude'] as const) {
    if (!given(a[k])) continue;
    const l = list(a[k]);
    if (!l || l.length > MAX_LIST || l.some((s) => typeof s !== 'string' || !PATTERN.test(s))) {
      fail(k, `must be a list of at most ${MAX_LIST} symbols or patterns (* any characters, ? one)`, 'XAUUSD,US30*');
    }
    if (l!.length) out[k] = [...new Set(l as string[])];
  }
  for (const k of ['magic_include', 'magic_exclude'] as const) {
    if (!given(a[k])) continue;
    const l = list(a[k])?.map((x) => (typeof x === 'string' && /^-?\d+$/.test(x) ? Number(x) : x));
    if (!l || l.length > MAX_LIST || l.some((n) => typeof n !== 'number' || !Number.isSafeInteger(n))) fail(k, `must be a list of at most ${MAX_LIST} whole numbers`, '0,20250');
    if (l!.length) out[k] = [...new Set(l as number[])];
  }
  if (given(a.comment_contains)) {
    if (typeof a.comment_contains !== 'string' || a.comment_contains.length > 64) fail('comment_contains', 'must be text of at most 64 characters', 'scalp');
    if (a.comment_contains) out.comment_contains = a.comment_contains as string;
  }
  if (given(a.comment_regex)) {
    if (typeof a.comment_regex !== 'string' || a.comment_regex.length > 256) fail('comment_regex', 'must be a regular expression of at most 256 characters', '"^scalp"');
    compileCommentRegex(a.comment_regex as string, where);
    if (a.comment_regex) out.comment_regex = a.comment_regex as string;
  }
  if (given(a.direction)) {
    if (!DIRECTIONS.includes(a.direction as Direction)) fail('direction', `must be one of ${DIRECTIONS.join(', ')}`, 'buy');
    out.direction = a.direction as Direction;
  }
  if (given(a.sltp)) {
    if (!SLTP_MODES.includes(a.sltp as SlTpMode)) fail('sltp', `must be one of ${SLTP_MODES.join(', ')}`, 'offset --sltp-offset-points 50');
    out.sltp = a.sltp as SlTpMode;
  }
  if (given(a.sltp_offset_points)) {
    const v = Number(a.sltp_offset_points);
    if (!Number.isFinite(v) || Math.abs(v) > MAX_POINTS || typeof a.sltp_offset_points === 'boolean') fail('sltp_offset_points', `must be a number of points from -${MAX_POINTS} to ${MAX_POINTS}`, '50');
    out.sltp_offset_points = v;
  }
  if (given(a.pending_offset_points)) {
    const v = Number(a.pending_offset_points);
    if (!Number.isFinite(v) || Math.abs(v) > MAX_POINTS || typeof a.pending_offset_points === 'boolean') fail('pending_offset_points', `must be a number of points from -${MAX_POINTS} to ${MAX_POINTS}`, '20');
    out.pending_offset_points = v;
  }
}

/** Rules between fields, checked on the settings in force for one link (slave merged with an override). */
function checkLink(p: CopyPolicy, where: string): void {
  const mode = p.volume_mode ?? 'same';
  const need = (m: VolumeMode | RiskWithoutSl, why: string) => {
    if (m === 'multiplier' && p.volume_multiplier === undefined) throw new AccountError(`${where}: ${why} multiplier needs volume_multiplier`, 'e.g. --volume-multiplier 0.5');
    if (m === 'fixed' && p.volume_fixed === undefined) throw new AccountError(`${where}: ${why} fixed needs volume_fixed (lots)`, 'e.g. --volume-fixed 0.1');
  };
  need(mode, 'volume_mode');
  if (mode === 'risk') {
    if (p.risk_percent === undefined) throw new AccountError(`${where}: volume_mode risk needs risk_percent`, 'e.g. --risk-percent 1 (1% of equity lost at the stop loss)');
    need(p.risk_without_sl ?? 'refuse', 'risk_without_sl');
  }
  if (p.sltp === 'offset' && p.sltp_offset_points === undefined) throw new AccountError(`${where}: sltp offset needs sltp_offset_points`, 'e.g. --sltp-offset-points 50 (wider by 50 points; negative: closer)');
}

/** Modes whose lots are scaled by volume_multiplier. */
const MULTIPLIED: readonly string[] = ['multiplier', 'equity', 'balance'];

/**
 * The fields of a link's settings (a slave's own, or merged with its override for one master)
 * that its modes do not use, each with the setting that would use it: set and ignored, they would
 * mislead whoever reads the account.
 */
export function unusedPolicy(p: CopyPolicy): { field: keyof CopyPolicy; why: string; use: string }[] {
  const mode = p.volume_mode ?? 'same';
  const fallback = mode === 'risk' ? (p.risk_without_sl ?? 'refuse') : undefined;
  const sizing = `volume_mode is ${mode}${fallback ? ` with risk_without_sl ${fallback}` : ''}`;
  const out: { field: keyof CopyPolicy; why: string; use: string }[] = [];
  if (p.volume_multiplier !== undefined && !MULTIPLIED.includes(mode) && !MULTIPLIED.includes(fallback ?? '')) out.push({ field: 'volume_multiplier', why: sizing, use: '--volume-mode multiplier (or equity, balance)' });
  if (p.volume_fixed !== undefined && mode !== 'fixed' && fallback !== 'fixed') out.push({ field: 'volume_fixed', why: sizing, use: '--volume-mode fixed' });
  if (p.risk_percent !== undefined && mode !== 'risk') out.push({ field: 'risk_percent', why: sizing, use: '--volume-mode risk' });
  if (p.risk_without_sl !== undefined && mode !== 'risk') out.push({ field: 'risk_without_sl', why: sizing, use: '--volume-mode risk' });
  if (p.sltp_offset_points !== undefined && p.sltp !== 'offset') out.push({ field: 'sltp_offset_points', why: `sltp is ${p.sltp ?? 'copy'}`, use: '--sltp offset' });
  return out;
}

/**
 * Refuses a slave's policy fields that apply to none of its links: its own settings, and each
 * override per master merged over them (a field of its own that an override's mode uses applies).
 */
export function refuseUnusedPolicy(a: PolicyFields, where: string): void {
  const own = stripPolicy(a);
  const overrides = Object.entries(a.masters ?? {});
  for (const u of unusedPolicy(own)) {
    if (overrides.some(([, o]) => o[u.field] === undefined && !unusedPolicy({ ...own, ...o }).some((x) => x.field === u.field))) continue;
    throw new AccountError(`${where}: ${u.field} ${JSON.stringify(own[u.field])} does not apply: ${u.why}`, `set ${u.use}, or remove it with --unset ${u.field}`);
  }
  for (const [m, o] of overrides) {
    const u = unusedPolicy({ ...own, ...o }).find((x) => o[x.field] !== undefined);
    if (u) throw new AccountError(`${where}, settings for master ${m}: ${u.field} ${JSON.stringify(o[u.field])} does not apply: ${u.why}`, `set --for-master ${m} ${u.use}, or remove it with --for-master ${m} --unset ${u.field}`);
  }
}

/**
 * Validates the policy fields of an account record into `out`; throws AccountError saying what to
 * fix. A master's copy settings are checked the same way and unused (its firm is used).
 */
export function validatePolicy(a: Record<string, unknown>, where: string, out: PolicyFields): void {
  if (given(a.firm)) {
    if (typeof a.firm !== 'string' || a.firm.length > 64) throw new AccountError(`${where}: firm must be a name of at most 64 characters, got ${JSON.stringify(a.firm)}`, 'e.g. --firm FTMO');
    if (a.firm.trim()) out.firm = a.firm.trim();
  }
  validateFields(a, where, out);
  checkLink(out, where);
  if (!given(a.masters)) return;
  if (typeof a.masters !== 'object' || Array.isArray(a.masters)) {
    throw new AccountError(`${where}: masters must be an object of master name -> settings, like {"FTMO-1": {"volume_mode": "fixed", "volume_fixed": 0.1}}`, 'e.g. --for-master FTMO-1 --volume-mode fixed --volume-fixed 0.1');
  }
  const masters: Record<string, CopyPolicy> = {};
  for (const [m, o] of Object.entries(a.masters as Record<string, unknown>)) {
    const at = `${where}, settings for master ${m}`;
    if (!NAME.test(m)) throw new AccountError(`${where}: masters key ${JSON.stringify(m)} is not an account name`, 'use the master account name as the key');
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new AccountError(`${at}: must be an object of settings`, `e.g. --for-master ${m} --volume-mode multiplier --volume-multiplier 2`);
    const rec = o as Record<string, unknown>;
    const unknown = Object.keys(rec).filter((k) => !(POLICY_KEYS as string[]).includes(k));
    if (unknown.length) throw new AccountError(`${at}: ${unknown.join(', ')} cannot be set per master`, `per master: ${POLICY_KEYS.join(', ')}`);
    const p: CopyPolicy = {};
    validateFields(rec, at, p);
    checkLink({ ...stripPolicy(out), ...p }, at);
    if (Object.keys(p).length) masters[m] = p;
  }
  if (Object.keys(masters).length) out.masters = masters;
}

/** The policy fields of an account, without firm and overrides. */
function stripPolicy(p: PolicyFields): CopyPolicy {
  const out: CopyPolicy = {};
  for (const k of POLICY_KEYS) if (p[k] !== undefined) (out as Record<string, unknown>)[k] = p[k];
  return out;
}

/** The settings in force for copies of `master` on a slave: its own, replaced field by field by its override for that master. */
export function linkPolicy<A extends PolicyFields>(slave: A, master: string): A {
  const o = slave.masters?.[master];
  return o ? { ...slave, ...o } : slave;
}

/** A policy field's value in force and whether it is the default (nothing set). */
export function effective(p: CopyPolicy, k: keyof CopyPolicy): { value: unknown; isDefault: boolean } {
  return p[k] === undefined ? { value: POLICY_FIELDS[k].default, isDefault: true } : { value: p[k], isDefault: false };
}
