/**
 * `hub accounts protect NAME [options]`: a slave's protection (loss and exposure limits, presets)
 * and schedule (trading windows, blackouts); without options it shows them, the guard's state as
 * the hub last saved it, and the latest trips.
 */
import type { Argv } from 'yargs';
import { validateAccount, type Account } from '../accounts';
import { describeProtection, PRESETS, type Protection } from '../accounts/protection';
import { AccountError, NotFoundError } from '../errors';
import { CLI } from '../hints';
import { GUARD_STATE_EVENT, guardStateFrom } from '../engine/protect';
import type { Store } from '../ledger/types';

export interface ProtectArgs {
  name: string;
  preset?: string;
  'daily-loss'?: string;
  'daily-loss-of'?: string;
  'daily-basis'?: string;
  'reset-time'?: string;
  'reset-zone'?: string;
  'max-drawdown'?: string;
  'drawdown-mode'?: string;
  'initial-balance'?: string;
  'max-positions'?: string;
  'max-lots'?: string;
  'max-lots-per-symbol'?: string;
  'on-limit'?: string;
  window?: string[];
  'window-zone'?: string;
  blackouts?: string;
  clear?: boolean;
  off?: boolean;
}

/**
 * The options that set one protection field each ("none" removes it): flag, field, help, as the
 * table reads. The flag is the field's name with dashes, but for --on-limit (action).
 */
const PROTECTION_FLAGS: [flag: string, field: keyof Protection, help: string][] = `
  preset               preset               start from a prop firm's rules (${PRESETS.map((p) => p.name).join(', ')}); your other options win; verify with your firm
  daily-loss           daily_loss           daily loss limit: money (2500) or percent (5%)
  daily-loss-of        daily_loss_of        a percent daily loss is of: anchor (default) or initial (the initial balance)
  daily-basis          daily_basis          daily anchor: balance (default) or balance_or_equity (the higher of the two) at the reset
  reset-time           reset_time           daily reset, HH:MM (default 00:00)
  reset-zone           reset_zone           IANA zone of the reset (default UTC), e.g. Europe/Prague, America/New_York
  max-drawdown         max_drawdown         maximum drawdown: money or percent of the initial balance
  drawdown-mode        drawdown_mode        static (from the initial balance, default), trailing_eod (from the highest anchor) or trailing_equity (from the highest equity)
  initial-balance      initial_balance      the base of percents of the initial balance (default: the first balance the hub sees)
  max-positions        max_positions        no new copy while the account holds this many positions
  max-lots             max_lots             no new copy or add beyond this many lots in all
  max-lots-per-symbol  max_lots_per_symbol  no new copy or add beyond this many lots on one symbol
  on-limit             action               at a loss limit: block (new copies, default) or close_all (also close every copy on the account)
`
  .trim()
  .split('\n')
  .map((row) => {
    const [flag, field, help] = row.trim().split(/ {2,}/);
    return [flag, field as keyof Protection, help];
  });

export const protectOptions = <T>(y: Argv<T>) =>
  PROTECTION_FLAGS.reduce((yy, [flag, , describe]) => yy.option(flag, { type: 'string', describe }), y)
    .option('window', { type: 'string', array: true, describe: 'new copies only inside these windows, e.g. --window "mon-fri 08:00-17:00"; --window none: always' })
    .option('window-zone', { type: 'string', describe: 'IANA zone of the windows (default UTC)' })
    .option('blackouts', { type: 'string', describe: 'true (default) or false: honour the blackout file of the hub config' })
    .option('clear', { type: 'boolean', describe: 'clear the trips in force (a max drawdown trip lasts until cleared)' })
    .option('off', { type: 'boolean', describe: 'remove the protection and the schedule' });

/** Whether the arguments change the protection or the schedule (else `accounts protect` shows them). */
export const protectChanges = (a: Partial<ProtectArgs>) => a.clear || a.off || a.window !== undefined || a['window-zone'] !== undefined || a.blackouts !== undefined || PROTECTION_FLAGS.some(([f]) => a[f as keyof ProtectArgs] !== undefined);

/** The account with the options applied; validateAccount says what is wrong. */
export function applyProtectArgs(base: Account, a: ProtectArgs, now = new Date()): Account {
  // --off stays allowed on a master: it removes settings a master has no use for.
  if (base.type !== 'SLAVE' && !a.off) throw new AccountError(`${base.name} is a master: protection and schedule apply to slaves, which take the copies`, `see: ${CLI} accounts list`);
  if (a.off) return validateAccount({ ...base, protection: undefined, schedule: undefined, updated_at: now.toISOString() });
  const p: Record<string, unknown> = { ...(base.protection ?? {}) };
  for (const [flag, field] of PROTECTION_FLAGS) {
    const v = a[flag as keyof ProtectArgs];
    if (v === undefined) continue;
    if (v === 'none') delete p[field];
    else p[field] = v;
  }
  if (a.clear) p.cleared_at = now.toISOString();
  const s: Record<string, unknown> = { ...(base.schedule ?? {}) };
  if (a.window !== undefined) s.windows = a.window.length === 1 && a.window[0] === 'none' ? undefined : a.window;
  if (a['window-zone'] !== undefined) s.zone = a['window-zone'];
  if (a.blackouts !== undefined) s.blackouts = a.blackouts;
  return validateAccount({ ...base, protection: p, schedule: s, updated_at: now.toISOString() });
}

export async function runProtect(store: Store, a: ProtectArgs, out: (line: string) => void): Promise<void> {
  const found = await store.getAccount(a.name);
  if (!found) throw new NotFoundError(`no account named ${a.name}`, `see: ${CLI} accounts list`);
  let acc = found;
  if (protectChanges(a)) {
    acc = applyProtectArgs(found, a);
    await store.upsertAccount(acc);
    out(`updated ${acc.name} (the running hub applies it within accountsReloadMs)`);
  }
  for (const line of describeProtection(acc.protection, acc.schedule)) out(`  ${line}`);
  if (!acc.protection) return;
  const [saved] = await store.findEvents({ account: acc.name, kind: GUARD_STATE_EVENT, limit: 1 });
  const s = guardStateFrom(saved?.data);
  if (s) out(`  state ${saved.time}: anchor ${s.anchor.toFixed(2)} (day of ${new Date(s.day).toISOString()}), initial ${s.initial.toFixed(2)}, peak ${s.peak.toFixed(2)}${s.trip ? `; TRIPPED ${s.trip.rule} at ${new Date(s.trip.at).toISOString()}` : ''}`);
  else out('  state: none saved yet (the hub takes the anchor from the first heartbeat)');
  const trips = await store.findEvents({ account: acc.name, kind: 'trip', limit: 5 });
  for (const t of trips) out(`  trip ${t.time}: ${t.message}`);
}
