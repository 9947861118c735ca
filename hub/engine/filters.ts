/**
 * What a slave copies: its filters (per slave, or per followed master through its override) on
 * the master position's symbol, magic number, comment and side. Pure.
 */
import { compileCommentRegex, type CopyPolicy } from '../accounts/policy';
import type { Side } from '../protocol';

export interface FilterSubject {
  /** The master's symbol and, when it translates, the slave's name for it: a pattern may name either. */
  symbol: string;
  slaveSymbol?: string;
  side: Side;
  magic?: number;
  comment?: string;
}

type FilterPolicy = Pick<CopyPolicy, 'symbols_include' | 'symbols_exclude' | 'magic_include' | 'magic_exclude' | 'comment_contains' | 'comment_regex' | 'direction'>;

const patterns = new Map<string, RegExp>();
const regexes = new Map<string, RegExp>();

/** A symbol against a pattern: * any run of characters, ? one, case-insensitive. */
export function matchesPattern(pattern: string, symbol: string): boolean {
  let re = patterns.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 'i');
    if (patterns.size > 1000) patterns.clear();
    patterns.set(pattern, re);
  }
  return re.test(symbol);
}

/** The first pattern of a list that names the symbol (either name), if any. */
function named(list: readonly string[], s: FilterSubject): string | undefined {
  return list.find((p) => matchesPattern(p, s.symbol) || (s.slaveSymbol !== undefined && matchesPattern(p, s.slaveSymbol)));
}

/** Why the position is not copied under these filters, or undefined when it is. */
export function filterCopy(s: FilterSubject, p: FilterPolicy): string | undefined {
  const direction = p.direction ?? 'both';
  if (direction !== 'both' && s.side !== direction) return `direction: ${s.side} not copied (direction ${direction} only)`;
  const sym = s.slaveSymbol && s.slaveSymbol !== s.symbol ? `${s.symbol} (${s.slaveSymbol})` : s.symbol;
  if (p.symbols_include && !named(p.symbols_include, s)) return `symbol ${sym} is not in symbols_include ${p.symbols_include.join(',')}`;
  const excluded = p.symbols_exclude && named(p.symbols_exclude, s);
  if (excluded) return `symbol ${sym} is excluded by symbols_exclude ${excluded}`;
  if (p.magic_include && (s.magic === undefined || !p.magic_include.includes(s.magic))) return `magic ${s.magic ?? 'unknown'} is not in magic_include ${p.magic_include.join(',')}`;
  if (p.magic_exclude && s.magic !== undefined && p.magic_exclude.includes(s.magic)) return `magic ${s.magic} is excluded by magic_exclude`;
  const comment = s.comment ?? '';
  if (p.comment_contains && !comment.toLowerCase().includes(p.comment_contains.toLowerCase())) {
    return `comment ${JSON.stringify(comment)} does not contain ${JSON.stringify(p.comment_contains)}`;
  }
  if (p.comment_regex) {
    let re = regexes.get(p.comment_regex);
    if (!re) {
      // Validated when the account was loaded; compiled once here.
      re = compileCommentRegex(p.comment_regex, 'comment_regex');
      if (regexes.size > 1000) regexes.clear();
      regexes.set(p.comment_regex, re);
    }
    if (!re.test(comment)) return `comment ${JSON.stringify(comment)} does not match comment_regex ${p.comment_regex}`;
  }
  return undefined;
}
