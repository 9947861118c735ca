/** Account records: the documents of the `accounts` collection, validated. */
import { AccountError } from '../errors';
import { validateProtection, validateSchedule, type Protection, type Schedule } from './protection';
import { CLI, closest } from '../hints';
import { POLICY_ACCOUNT_KEYS, POLICY_KEYS, refuseUnusedPolicy, validatePolicy, type PolicyFields } from './policy';

export type { CopyPolicy, Direction, PolicyFields, RiskWithoutSl, SlTpMode, VolumeMode } from './policy';
export type AccountType = 'MASTER' | 'SLAVE';
export type MasterOfflinePolicy = 'keep' | 'close';

/** Copy policy fields (sizing, filters, SL/TP, reverse, firm, per-master overrides) are in ./policy. */
export interface Account extends PolicyFields {
  name: string;
  type: AccountType;
  enabled: boolean;
  /** Appended to master symbol names (e.g. ".c": EURUSD -> EURUSD.c). */
  suffix?: string;
  /** Prepended to master symbol names. */
  prefix?: string;
  /** Master symbol -> this account's symbol; wins over prefix/suffix and automatic matching. */
  symbol_map?: Record<string, string>;
  /** Largest accepted |slave price - master fill| in this account's points; default from config. */
  slippage_tolerance?: number;
  /** The terminal's terminal64.exe: `hub start --launch` starts it (see hub/launcher). */
  path?: string;
  /** With a path: whether `hub start --launch` starts this terminal (default true). */
  launch?: boolean;
  /** Start the terminal with /portable (its data folder is its installation folder). */
  portable?: boolean;
  /** The chart the launcher opens with the EA (default EURUSD with the account's prefix and suffix). */
  chart_symbol?: string;
  /** Masters this slave copies; absent or empty: all masters. */
  follows?: string[];
  /**
   * No new copies, but the copies that exist are managed to the end (closes, partial closes, SL/TP).
   * On a master: its new positions are not copied; on a slave: it takes no new copies.
   */
  close_only?: boolean;
  /** Slave: a master position older than this when it could be copied is recorded as missed (default from config). */
  max_delay_ms?: number;
  /** Slave: what happens to its copies while their master is offline: kept (default) or closed after the grace. */
  master_offline?: MasterOfflinePolicy;
  /** Slave, with master_offline "close": how long a master may be offline before its copies are closed. */
  master_offline_grace_ms?: number;
  /** Slave: loss and exposure limits (hub/accounts/protection.ts). */
  protection?: Protection;
  /** Slave: when new copies may be made: trading windows, blackouts. */
  schedule?: Schedule;
  created_at?: string;
  updated_at?: string;
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** Longest delay or grace an account may set: a day. */
const MAX_MS = 86_400_000;

/** A duration in ms from a number or a string of digits (a CLI flag), or undefined if it is not one. */
function millis(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_MS ? n : undefined;
}

export interface ValidateOptions {
  /**
   * Also refuse settings that do not apply to the account's type or modes (a master with a slave's
   * settings, volume_fixed without volume_mode fixed, ...): for what an operator gives (accounts
   * add, set, import). Records already in the store load without it, so a hub never drops an
   * account it copied with before.
   */
  strict?: boolean;
}

/** Fields that mean something on a slave only: how copies are made, from whom, and its guard. */
const SLAVE_ONLY: readonly string[] = [
  ...POLICY_KEYS, 'masters', 'symbol_map', 'slippage_tolerance', 'follows', 'max_delay_ms', 'master_offline', 'master_offline_grace_ms', 'protection', 'schedule',
];

/** Validates and normalises an account record; throws AccountError saying what to fix. */
export function validateAccount(input: unknown, opts: ValidateOptions = {}): Account {
  if (input === null || typeof input !== 'object') throw new AccountError('account must be an object', 'write it as {"name": "Apex-2", "type": "SLAVE", ...}, as accounts export does');
  const a = input as Record<string, unknown>;
  const name = a.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new AccountError(
      `account name ${JSON.stringify(name)} is invalid`,
      'use 1-64 characters from letters, digits, . _ @ - (it is the ZeroMQ topic and the EA input AccountName)',
    );
  }
  const where = `account ${name}`;
  checkKnownKeys(a, where);
  const type = typeof a.type === 'string' ? a.type.toUpperCase() : a.type;
  if (type !== 'MASTER' && type !== 'SLAVE') throw new AccountError(`${where}: type must be MASTER or SLAVE, got ${JSON.stringify(a.type)}`, 'e.g. --type SLAVE');
  const out: Account = { name, type, enabled: a.enabled === undefined ? true : Boolean(a.enabled) };
  if (typeof a.enabled === 'string') out.enabled = a.enabled === 'true';
  for (const k of ['suffix', 'prefix', 'path'] as const) {
    const v = a[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' || v.length > (k === 'path' ? 1024 : 16)) {
      throw new AccountError(`${where}: ${k} must be a string${k === 'path' ? '' : ' of at most 16 characters'}`, `e.g. --${k} ${{ suffix: '.c', prefix: '#', path: '"C:\\Program Files\\MT5\\terminal64.exe"' }[k]}`);
    }
    out[k] = v;
  }
  if (a.symbol_map !== undefined && a.symbol_map !== null) {
    if (typeof a.symbol_map !== 'object' || Array.isArray(a.symbol_map)) {
      throw new AccountError(`${where}: symbol_map must be an object like {"XAUUSD": "GOLD"}`, 'e.g. --map XAUUSD=GOLD');
    }
    const map: Record<string, string> = {};
    for (const [from, to] of Object.entries(a.symbol_map as Record<string, unknown>)) {
      if (typeof to !== 'string' || !to || to.length > 64 || !from || from.length > 64) {
        throw new AccountError(`${where}: symbol_map entry ${JSON.stringify(from)} must map to a symbol name (1-64 characters)`, 'e.g. --map XAUUSD=GOLD');
      }
      map[from] = to;
    }
    if (Object.keys(map).length) out.symbol_map = map;
  }
  if (a.slippage_tolerance !== undefined && a.slippage_tolerance !== null) {
    const v = Number(a.slippage_tolerance);
    if (!Number.isFinite(v) || v < 0) throw new AccountError(`${where}: slippage_tolerance must be a number of points >= 0`, 'e.g. --slippage 30');
    out.slippage_tolerance = v;
  }
  if (a.follows !== undefined && a.follows !== null) {
    if (!Array.isArray(a.follows) || a.follows.some((f) => typeof f !== 'string' || !NAME.test(f))) {
      throw new AccountError(`${where}: follows must be a list of master account names`, 'e.g. --follows FTMO-1,FTMO-2');
    }
    if (a.follows.length) out.follows = [...new Set(a.follows as string[])];
  }
  validatePolicy(a, where, out);
  for (const k of ['launch', 'portable'] as const) {
    const v = a[k];
    if (v === undefined || v === null) continue;
    if (v !== true && v !== false && v !== 'true' && v !== 'false') throw new AccountError(`${where}: ${k} must be true or false, got ${JSON.stringify(v)}`, `e.g. --${k} false`);
    out[k] = v === true || v === 'true';
  }
  if (a.chart_symbol !== undefined && a.chart_symbol !== null && a.chart_symbol !== '') {
    if (typeof a.chart_symbol !== 'string' || a.chart_symbol.length > 64 || /[\s=]/.test(a.chart_symbol)) {
      throw new AccountError(`${where}: chart_symbol must be a symbol name of at most 64 characters, got ${JSON.stringify(a.chart_symbol)}`, 'e.g. --chart-symbol EURUSD.c');
    }
    out.chart_symbol = a.chart_symbol;
  }
  if (a.close_only !== undefined && a.close_only !== null) {
    if (a.close_only !== true && a.close_only !== false && a.close_only !== 'true' && a.close_only !== 'false') {
      throw new AccountError(`${where}: close_only must be true or false, got ${JSON.stringify(a.close_only)}`, 'e.g. --close-only true');
    }
    out.close_only = a.close_only === true || a.close_only === 'true';
  }
  for (const [k, flag, example] of [
    ['max_delay_ms', '--max-delay-ms', '60000 (a minute)'],
    ['master_offline_grace_ms', '--master-offline-grace-ms', '300000 (five minutes)'],
  ] as const) {
    if (a[k] === undefined || a[k] === null) continue;
    const v = millis(a[k]);
    if (v === undefined) {
      throw new AccountError(`${where}: ${k} must be a whole number of milliseconds from 0 to ${MAX_MS}, got ${JSON.stringify(a[k])}`, `e.g. ${flag} ${example}`);
    }
    out[k] = v;
  }
  if (a.master_offline !== undefined && a.master_offline !== null) {
    if (a.master_offline !== 'keep' && a.master_offline !== 'close') {
      throw new AccountError(`${where}: master_offline must be keep or close, got ${JSON.stringify(a.master_offline)}`, 'e.g. --master-offline close --master-offline-grace-ms 300000');
    }
    out.master_offline = a.master_offline;
  }
  out.protection = validateProtection(a.protection, where);
  out.schedule = validateSchedule(a.schedule, where);
  if (typeof a.created_at === 'string') out.created_at = a.created_at;
  if (typeof a.updated_at === 'string') out.updated_at = a.updated_at;
  if (opts.strict) refuseInapplicable(stripUndefined(out), where);
  // A master never copies: whom it follows means nothing.
  if (out.type === 'MASTER') out.follows = undefined;
  return stripUndefined(out);
}

function refuseInapplicable(a: Account, where: string): void {
  if (a.type === 'MASTER') {
    const extra = SLAVE_ONLY.filter((k) => a[k as keyof Account] !== undefined);
    if (extra.length) {
      const guard = extra.filter((k) => k === 'protection' || k === 'schedule');
      const rest = extra.filter((k) => k !== 'protection' && k !== 'schedule');
      throw new AccountError(
        `${where}: ${extra.join(', ')} ${extra.length > 1 ? 'apply' : 'applies'} to slaves only, and ${a.name} is a master (its positions are copied as they are; each slave's settings say how)`,
        [rest.length ? `remove ${rest.length > 1 ? 'them' : 'it'} with --unset ${rest.join(' ')}` : '', guard.length ? `${CLI} accounts protect ${a.name} --off` : '', 'or keep the account a slave (--type SLAVE)'].filter(Boolean).join('; '),
      );
    }
    return;
  }
  refuseUnusedPolicy(a, where);
  if (a.master_offline_grace_ms !== undefined && a.master_offline !== 'close') {
    throw new AccountError(`${where}: master_offline_grace_ms ${a.master_offline_grace_ms} does not apply: master_offline is ${a.master_offline ?? 'keep'}`, 'set --master-offline close, or remove it with --unset master_offline_grace_ms');
  }
}

/**
 * Checks an account against the others it will be stored with: a name equal to another's except
 * for case (two terminals an operator cannot tell apart), and masters it follows or has settings
 * for that are not registered masters (`only`: just these names, those an edit gives). Throws
 * AccountError with the masters there are.
 */
export function checkAmong(a: Account, all: readonly Account[], only?: readonly string[]): void {
  const twin = all.find((x) => x.name !== a.name && x.name.toLowerCase() === a.name.toLowerCase());
  if (twin) {
    throw new AccountError(`account ${a.name}: the name differs from the existing account ${twin.name} only in case`, `use ${twin.name} (${CLI} accounts set ${twin.name} ...), or a name that differs in more than case`);
  }
  const masters = all.filter((x) => x.type === 'MASTER' && x.name !== a.name).map((x) => x.name);
  const named = [...(a.follows ?? []).map((m) => ({ m, how: 'follows' })), ...Object.keys(a.masters ?? {}).map((m) => ({ m, how: 'has settings for master' }))];
  for (const { m, how } of named) {
    if (masters.includes(m) || (only && !only.includes(m))) continue;
    const other = all.find((x) => x.name === m);
    const guess = closest(m, masters);
    throw new AccountError(
      `account ${a.name} ${how} ${m}, ${other ? `which is a ${other.type.toLowerCase()}, not a master` : 'which is not a registered account'}`,
      `${guess ? `did you mean ${guess}? ` : ''}${masters.length ? `the masters: ${masters.join(', ')}` : `no master is registered yet: ${CLI} accounts add NAME --type MASTER`}`,
    );
  }
}

/** Account fields outside ./policy; a field nobody knows is a typo that would otherwise be ignored. */
const ACCOUNT_KEYS: readonly string[] = [
  'name', 'type', 'enabled', 'suffix', 'prefix', 'symbol_map', 'slippage_tolerance', 'path', 'follows', 'close_only',
  'max_delay_ms', 'master_offline', 'master_offline_grace_ms', 'protection', 'schedule', 'launch', 'portable', 'chart_symbol', 'created_at', 'updated_at', '_id', ...POLICY_ACCOUNT_KEYS,
];

function checkKnownKeys(a: Record<string, unknown>, where: string): void {
  const unknown = Object.keys(a).filter((k) => !ACCOUNT_KEYS.includes(k) && a[k] !== undefined);
  if (!unknown.length) return;
  const guesses = unknown.map((k) => closest(k, ACCOUNT_KEYS)).filter(Boolean);
  throw new AccountError(
    `${where}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}`,
    guesses.length ? `did you mean ${guesses.join(', ')}? (the fields: ${CLI} accounts show ${a.name as string})` : `remove ${unknown.length > 1 ? 'them' : 'it'}; the fields are listed by: ${CLI} accounts show ${a.name as string}`,
  );
}


/**
 * Accounts as read from the store, each validated: a record edited by hand into something invalid
 * is not loaded. Its last valid version (from `previous`) stays in force if there is one.
 */
export function loadAccounts(docs: unknown[], previous: readonly Account[] = []): { accounts: Account[]; errors: { name: string; error: AccountError; kept: boolean }[] } {
  const accounts: Account[] = [];
  const errors: { name: string; error: AccountError; kept: boolean }[] = [];
  for (const d of docs) {
    try {
      accounts.push(validateAccount(d));
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      const raw = (d as { name?: unknown } | null)?.name;
      const name = typeof raw === 'string' ? raw : JSON.stringify(raw ?? null);
      const old = previous.find((p) => p.name === name);
      if (old) accounts.push(old);
      errors.push({ name, error: e, kept: old !== undefined });
    }
  }
  return { accounts, errors };
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Sample accounts written by `hub setup-db`: a master, a suffix slave and a mapped slave (disabled). */
export const SAMPLE_ACCOUNTS: Account[] = [
  { name: 'FTMO-Master', type: 'MASTER', enabled: true, path: 'C:\\Program Files\\FTMO MetaTrader 5\\terminal64.exe' },
  { name: 'Apex-Slave', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 30, volume_mode: 'same' },
  { name: 'FundedEngineer-Slave', type: 'SLAVE', enabled: false, symbol_map: { XAUUSD: 'GOLD', US30: 'DJ30' }, slippage_tolerance: 50, volume_mode: 'multiplier', volume_multiplier: 0.5 },
];
