/**
 * A slave's account protection (loss limits, exposure limits) and schedule (trading windows,
 * blackouts): the settings, their validation, and the presets of well-known prop firms. The
 * rules that apply them are in hub/engine/guard.ts and hub/engine/schedule.ts.
 */
import { AccountError } from '../errors';
import { isZone, parseClock, parseWindow } from '../engine/schedule';

/** Money in the account currency, or percent of a base (the daily anchor, or the initial balance). */
export interface Amount {
  value: number;
  unit: 'money' | 'percent';
}

/** The daily anchor: the balance at the reset, or the higher of balance and equity then. */
export type DailyBasis = 'balance' | 'balance_or_equity';
/** static: from the initial balance; trailing: from the highest anchor (end-of-day) so far, or the highest equity seen. */
export type DrawdownMode = 'static' | 'trailing_eod' | 'trailing_equity';
/** What happens at a loss limit: block new copies, or also close every copy on the account. */
export type TripAction = 'block' | 'close_all';

export interface Protection {
  /** The preset these settings started from (informational: the values below are what applies). */
  preset?: string;
  daily_loss?: Amount;
  /** What a percent daily_loss is a percent of (default: the anchor). */
  daily_loss_of?: 'anchor' | 'initial';
  daily_basis?: DailyBasis;
  /** "HH:MM" in reset_zone (default 00:00). */
  reset_time?: string;
  /** IANA zone of reset_time (default UTC). */
  reset_zone?: string;
  max_drawdown?: Amount;
  drawdown_mode?: DrawdownMode;
  /** Base of percents of the initial balance; default: the first balance the hub sees (kept in the guard's state). */
  initial_balance?: number;
  max_positions?: number;
  max_lots?: number;
  max_lots_per_symbol?: number;
  action?: TripAction;
  /** Set by `hub accounts protect NAME --clear`: trips before this time are cleared (ISO). */
  cleared_at?: string;
}

export interface Schedule {
  /** IANA zone of the windows (default UTC). */
  zone?: string;
  /** New copies only inside one of these ("mon-fri 08:00-17:00"); none: always. */
  windows?: string[];
  /** Honour the hub's blackout file (default true). */
  blackouts?: boolean;
}

export interface Preset {
  name: string;
  firm: string;
  protection: Protection;
  /** Where the rule comes from and when it was checked. */
  source: string;
  checked: string;
  note: string;
}

const PROP_FIRMS = "the design notes' prop-firms.md (gathered 2026-12 from the firms' help pages)";
const CHECKED = '2026-12';

/** Percent limits: daily (of the anchor or the initial balance) and overall (of the initial balance). */
function percents(daily: number, of: 'anchor' | 'initial', basis: DailyBasis, reset: string, zone: string, overall: number, mode: DrawdownMode): Protection {
  return {
    daily_loss: { value: daily, unit: 'percent' }, daily_loss_of: of, daily_basis: basis, reset_time: reset, reset_zone: zone,
    max_drawdown: { value: overall, unit: 'percent' }, drawdown_mode: mode,
  };
}

/**
 * Presets from the firms' rules as prop-firms.md gives them (docs/protection.md has the table).
 * Firms change their rules: every preset says to verify with the firm, and every value can be
 * overridden per account.
 */
export const PRESETS: readonly Preset[] = [
  {
    name: 'ftmo', firm: 'FTMO (2-step)', protection: percents(5, 'initial', 'balance', '00:00', 'Europe/Prague', 10, 'static'),
    source: `academy.ftmo.com, maximum daily loss and maximum loss, via ${PROP_FIRMS}`, checked: CHECKED,
    note: 'daily: balance at midnight Europe/Prague minus 5% of the initial balance, on equity; overall: equity never below 90% of the initial balance. Set --initial-balance.',
  },
  {
    name: 'ftmo-1step', firm: 'FTMO (1-step)', protection: percents(5, 'initial', 'balance', '00:00', 'Europe/Prague', 10, 'trailing_eod'),
    source: `academy.ftmo.com via ${PROP_FIRMS}`, checked: CHECKED,
    note: 'overall: 10% trailing the highest end-of-day balance; the daily figure is the 2-step one (the table does not give a 1-step daily limit): verify it.',
  },
  {
    name: 'the5ers', firm: 'The5ers (High Stakes)', protection: percents(5, 'anchor', 'balance_or_equity', '17:00', 'America/New_York', 10, 'static'),
    source: `help.the5ers.com via ${PROP_FIRMS}`, checked: CHECKED,
    note: 'daily: 5% of the higher of balance and equity at 5 PM New York; overall: 10% of the initial balance.',
  },
  {
    name: 'fundednext', firm: 'FundedNext', protection: { daily_basis: 'balance', reset_time: '00:00', reset_zone: 'Europe/Athens' },
    source: `help.fundednext.com via ${PROP_FIRMS}`, checked: CHECKED,
    note:
      'reset at 00:00 server time, GMT+2 and GMT+3 in summer: Europe/Athens switches on the European dates; a server that switches on the US dates is 17:00 America/New_York. The limits are per program: set --daily-loss and --max-drawdown yourself.',
  },
];

export function presetNamed(name: string): Preset {
  const p = PRESETS.find((x) => x.name === name.toLowerCase());
  if (!p) throw new AccountError(`no protection preset named ${JSON.stringify(name)}`, `use one of: ${PRESETS.map((x) => x.name).join(', ')}`);
  return p;
}

/** "5%" or "5 %" is a percent, "2500" money; numbers are money. */
export function parseAmount(v: unknown, what: string, example: string): Amount {
  if (v !== null && typeof v === 'object' && 'value' in v && 'unit' in v) {
    const a = v as Amount;
    if ((a.unit === 'money' || a.unit === 'percent') && typeof a.value === 'number') return checkAmount(a, what, example, v);
  }
  const m = typeof v === 'number' ? [String(v), String(v), ''] : typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(v) : null;
  if (!m) throw new AccountError(`${what} must be money (2500) or a percent (5%), got ${JSON.stringify(v)}`, `e.g. ${example}`);
  return checkAmount({ value: Number(m[1]), unit: m[2] === '%' ? 'percent' : 'money' }, what, example, v);
}

function checkAmount(a: Amount, what: string, example: string, raw: unknown): Amount {
  if (!(a.value > 0) || !Number.isFinite(a.value) || (a.unit === 'percent' && a.value >= 100)) {
    throw new AccountError(`${what} must be more than 0${a.unit === 'percent' ? ' and less than 100%' : ''}, got ${JSON.stringify(raw)}`, `e.g. ${example}`);
  }
  return { value: a.value, unit: a.unit };
}

export function formatAmount(a: Amount): string {
  return a.unit === 'percent' ? `${a.value}%` : String(a.value);
}

function oneOf<T extends string>(v: unknown, values: readonly T[], what: string, example: string): T {
  if (typeof v !== 'string' || !values.includes(v as T)) throw new AccountError(`${what} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`, `e.g. ${example}`);
  return v as T;
}

function zone(v: unknown, what: string, flag: string): string {
  if (typeof v !== 'string' || !isZone(v)) {
    throw new AccountError(`${what} ${JSON.stringify(v)} is not an IANA time zone`, `e.g. ${flag} Europe/Prague, ${flag} America/New_York or ${flag} UTC`);
  }
  return v;
}

function positive(v: unknown, what: string, example: string, integer = false): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new AccountError(`${what} must be a ${integer ? 'whole number' : 'number'} > 0, got ${JSON.stringify(v)}`, `e.g. ${example}`);
  }
  return n;
}

const present = (v: unknown) => v !== undefined && v !== null && v !== '';

/** Validates the `protection` of an account; `where` names the account in messages. */
export function validateProtection(input: unknown, where: string): Protection | undefined {
  if (!present(input)) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) throw new AccountError(`${where}: protection must be an object`, 'set it with: hub accounts protect NAME --daily-loss 5% ...');
  const p = input as Record<string, unknown>;
  const w = `${where}: protection`;
  const out: Protection = {};
  if (present(p.preset)) out.preset = presetNamed(String(p.preset)).name;
  if (present(p.daily_loss)) out.daily_loss = parseAmount(p.daily_loss, `${w} daily_loss`, '--daily-loss 5% or --daily-loss 2500');
  if (present(p.daily_loss_of)) out.daily_loss_of = oneOf(p.daily_loss_of, ['anchor', 'initial'] as const, `${w} daily_loss_of`, '--daily-loss-of initial');
  if (present(p.daily_basis)) out.daily_basis = oneOf(p.daily_basis, ['balance', 'balance_or_equity'] as const, `${w} daily_basis`, '--daily-basis balance_or_equity');
  if (present(p.reset_time)) {
    const t = typeof p.reset_time === 'string' ? parseClock(p.reset_time) : undefined;
    if (t === undefined || t >= 1440) throw new AccountError(`${w} reset_time must be HH:MM from 00:00 to 23:59, got ${JSON.stringify(p.reset_time)}`, 'e.g. --reset-time 17:00 --reset-zone America/New_York');
    out.reset_time = `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
  }
  if (present(p.reset_zone)) out.reset_zone = zone(p.reset_zone, `${w} reset_zone`, '--reset-zone');
  if (present(p.max_drawdown)) out.max_drawdown = parseAmount(p.max_drawdown, `${w} max_drawdown`, '--max-drawdown 10%');
  if (present(p.drawdown_mode)) out.drawdown_mode = oneOf(p.drawdown_mode, ['static', 'trailing_eod', 'trailing_equity'] as const, `${w} drawdown_mode`, '--drawdown-mode trailing_eod');
  if (present(p.initial_balance)) out.initial_balance = positive(p.initial_balance, `${w} initial_balance`, '--initial-balance 100000');
  if (present(p.max_positions)) out.max_positions = positive(p.max_positions, `${w} max_positions`, '--max-positions 10', true);
  if (present(p.max_lots)) out.max_lots = positive(p.max_lots, `${w} max_lots`, '--max-lots 5');
  if (present(p.max_lots_per_symbol)) out.max_lots_per_symbol = positive(p.max_lots_per_symbol, `${w} max_lots_per_symbol`, '--max-lots-per-symbol 2');
  if (present(p.action)) out.action = oneOf(p.action, ['block', 'close_all'] as const, `${w} action`, '--on-limit close_all');
  if (present(p.cleared_at)) {
    if (typeof p.cleared_at !== 'string' || Number.isNaN(Date.parse(p.cleared_at))) throw new AccountError(`${w} cleared_at must be an ISO time, got ${JSON.stringify(p.cleared_at)}`, 'clear trips with: hub accounts protect NAME --clear');
    out.cleared_at = p.cleared_at;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Validates the `schedule` of an account. */
export function validateSchedule(input: unknown, where: string): Schedule | undefined {
  if (!present(input)) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) throw new AccountError(`${where}: schedule must be an object`, 'set it with: hub accounts protect NAME --window "mon-fri 08:00-17:00" --window-zone Europe/London');
  const s = input as Record<string, unknown>;
  const out: Schedule = {};
  if (present(s.zone)) out.zone = zone(s.zone, `${where}: schedule zone`, '--window-zone');
  if (present(s.windows)) {
    if (!Array.isArray(s.windows)) throw new AccountError(`${where}: schedule windows must be a list like ["mon-fri 08:00-17:00"]`);
    out.windows = s.windows.map((w) => {
      try {
        return parseWindow(String(w)).text;
      } catch (e) {
        throw new AccountError(`${where}: schedule ${(e as Error).message}`, 'e.g. --window "mon-fri 08:00-17:00" (several --window flags for several windows)');
      }
    });
    if (!out.windows.length) delete out.windows;
  }
  if (present(s.blackouts)) {
    if (s.blackouts !== true && s.blackouts !== false && s.blackouts !== 'true' && s.blackouts !== 'false') {
      throw new AccountError(`${where}: schedule blackouts must be true or false, got ${JSON.stringify(s.blackouts)}`, 'e.g. --blackouts false');
    }
    out.blackouts = s.blackouts === true || s.blackouts === 'true';
  }
  return Object.keys(out).length ? out : undefined;
}

/** A preset's settings under the account's own (each field the account sets wins). */
export function withPreset(p: Protection): Protection {
  if (!p.preset) return p;
  return { ...presetNamed(p.preset).protection, ...p };
}

/** The settings in force, one line each. */
export function describeProtection(p: Protection | undefined, s: Schedule | undefined): string[] {
  const out: string[] = [];
  if (p) {
    const e = withPreset(p);
    if (p.preset) {
      const pr = presetNamed(p.preset);
      out.push(`preset ${pr.name}: ${pr.firm}; source ${pr.source}, checked ${pr.checked}; ${pr.note} Verify with your firm.`);
    }
    const reset = `reset ${e.reset_time ?? '00:00'} ${e.reset_zone ?? 'UTC'}`;
    if (e.daily_loss) out.push(`daily loss ${formatAmount(e.daily_loss)}${e.daily_loss.unit === 'percent' ? ` of the ${e.daily_loss_of ?? 'anchor'}` : ''}; anchor ${e.daily_basis ?? 'balance'} at the ${reset}`);
    else out.push(`no daily loss limit (${reset})`);
    if (e.max_drawdown) out.push(`max drawdown ${formatAmount(e.max_drawdown)}${e.max_drawdown.unit === 'percent' ? ' of the initial balance' : ''}, ${e.drawdown_mode ?? 'static'}`);
    out.push(`initial balance ${e.initial_balance ?? 'the first balance the hub sees'}`);
    const exp = [['max positions', e.max_positions], ['max lots', e.max_lots], ['max lots per symbol', e.max_lots_per_symbol]].filter(([, v]) => v !== undefined);
    if (exp.length) out.push(exp.map(([k, v]) => `${k} ${v}`).join(', '));
    out.push(`at a loss limit: ${e.action === 'close_all' ? 'block new copies and close every copy' : 'block new copies'}`);
  } else out.push('no protection');
  if (s?.windows?.length) out.push(`new copies only ${s.windows.join(', ')} (${s.zone ?? 'UTC'})`);
  out.push(s?.blackouts === false ? 'blackout file ignored' : 'blackout file honoured (hub config blackoutFile)');
  return out;
}
