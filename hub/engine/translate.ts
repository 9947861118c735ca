/** Symbol translation from master names to a slave's names. Pure. */
import type { Account } from '../accounts';
import { hints } from '../hints';

export type Translation =
  | { ok: true; symbol: string; via: 'map' | 'affix' | 'exact' | 'auto' | 'unverified' }
  | { ok: false; reason: string; candidates: string[] };

/** Strips the master's own prefix/suffix so "EURUSD.r" on the master is matched as "EURUSD". */
export function baseSymbol(masterSymbol: string, master?: Pick<Account, 'prefix' | 'suffix'>): string {
  let s = masterSymbol;
  if (master?.prefix && s.startsWith(master.prefix) && s.length > master.prefix.length) s = s.slice(master.prefix.length);
  if (master?.suffix && s.endsWith(master.suffix) && s.length > master.suffix.length) s = s.slice(0, -master.suffix.length);
  return s;
}

const MAX_AFFIX = 5;

/**
 * Broker decorations around a base name: "EURUSD.c", "EURUSDm", "EURUSD-pro", "#EURUSD", "EURUSD_i".
 * A candidate qualifies when it contains the base (case-insensitive) with at most MAX_AFFIX
 * characters around it, and what follows the base starts with a separator or is a lowercase or
 * numeric tail ("m", "pro", "2").
 */
function isDecorated(candidate: string, base: string): boolean {
  const c = candidate.toUpperCase();
  const b = base.toUpperCase();
  const at = c.indexOf(b);
  if (at < 0) return false;
  const pre = candidate.slice(0, at);
  const post = candidate.slice(at + b.length);
  if (pre.length > MAX_AFFIX || post.length > MAX_AFFIX) return false;
  if (pre && /[A-Z]$/.test(pre)) return false;
  // Upper-case letters right after the base mean another instrument (EURUSD vs EURUSDT).
  if (post && !/^[._#\-+!$]/.test(post) && !/^[a-z0-9]+$/.test(post)) return false;
  return true;
}

/**
 * Translates a master symbol for one slave: symbol_map first, then prefix/suffix, then exact
 * name, then automatic matching against the slave's own symbol list. `slaveSymbols` undefined
 * means the slave has not reported its symbols yet: the name is passed on unverified.
 */
export function translateSymbol(
  masterSymbol: string,
  slave: Pick<Account, 'symbol_map' | 'prefix' | 'suffix' | 'name'>,
  slaveSymbols: ReadonlySet<string> | undefined,
  master?: Pick<Account, 'prefix' | 'suffix'>,
): Translation {
  const base = baseSymbol(masterSymbol, master);
  const mapped = slave.symbol_map?.[masterSymbol] ?? slave.symbol_map?.[base];
  if (mapped) {
    if (slaveSymbols && !slaveSymbols.has(mapped)) {
      return {
        ok: false,
        reason: `symbol_map sends ${masterSymbol} to ${mapped}, which ${slave.name}'s broker does not offer; fix the map`,
        candidates: autoCandidates(base, slaveSymbols),
      };
    }
    return { ok: true, symbol: mapped, via: 'map' };
  }
  if (slave.prefix || slave.suffix) {
    const name = `${slave.prefix ?? ''}${base}${slave.suffix ?? ''}`;
    if (slaveSymbols && !slaveSymbols.has(name)) {
      return {
        ok: false,
        reason: `${name} (prefix/suffix applied to ${base}) is not offered by ${slave.name}'s broker; fix prefix/suffix or add a symbol_map entry`,
        candidates: autoCandidates(base, slaveSymbols),
      };
    }
    return { ok: true, symbol: name, via: 'affix' };
  }
  if (!slaveSymbols) return { ok: true, symbol: base, via: 'unverified' };
  if (slaveSymbols.has(base)) return { ok: true, symbol: base, via: 'exact' };
  const candidates = autoCandidates(base, slaveSymbols);
  if (candidates.length === 1) return { ok: true, symbol: candidates[0], via: 'auto' };
  if (candidates.length === 0) {
    return {
      ok: false,
      reason: `no symbol like ${base} on ${slave.name}'s broker; add a symbol_map entry (${hints.mapSymbol(slave.name, base, 'NAME')})`,
      candidates,
    };
  }
  return {
    ok: false,
    reason: `${base} is ambiguous on ${slave.name}: ${candidates.join(', ')}; pick one with a symbol_map entry (${hints.mapSymbol(slave.name, base, candidates[0])})`,
    candidates,
  };
}

export function autoCandidates(base: string, slaveSymbols: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const s of slaveSymbols) if (isDecorated(s, base)) out.push(s);
  return out.sort();
}
