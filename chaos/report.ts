/** The tables a chaos run prints, and which of their columns must be zero. */
import type { EaResult } from './ea';
import { fuzzDamage, type FuzzResult } from './fuzz';
import { FAULT_KINDS, type SeedResult } from './scenario';

interface Column {
  title: string;
  value: (r: SeedResult) => number | string;
  /** A non-zero value fails the run. */
  zero?: boolean;
}

const COLUMNS: Column[] = [
  { title: 'seed', value: (r) => r.seed },
  { title: 'trades', value: (r) => r.trades },
  { title: 'faults', value: (r) => Object.values(r.faults).reduce((a, b) => a + b, 0) },
  { title: 'matched', value: (r) => r.check.matched },
  { title: 'skipped', value: (r) => r.check.skipped },
  { title: 'duplicates', value: (r) => r.check.duplicates, zero: true },
  { title: 'orphans', value: (r) => r.check.orphans, zero: true },
  { title: 'missing', value: (r) => r.check.missing, zero: true },
  { title: 'volume', value: (r) => r.check.volume, zero: true },
  { title: 'sl/tp', value: (r) => r.check.sltp, zero: true },
  { title: 'price', value: (r) => r.check.price, zero: true },
  { title: 'ledger', value: (r) => r.check.ledger, zero: true },
  { title: 'crashes', value: (r) => r.crashes.length, zero: true },
  { title: 'heal max', value: (r) => ms(r.heal.maxMs) },
  { title: 'heal p95', value: (r) => ms(r.heal.p95Ms) },
  { title: 'unhealed', value: (r) => r.heal.unhealed },
  { title: 'time', value: (r) => ms(r.durationMs) },
];

const SHORT: Record<(typeof FAULT_KINDS)[number], string> = {
  hub_kill: 'hub kill',
  hub_kill_inflight: 'kill in flight',
  slave_offline: 'slave offline',
  slave_restart: 'slave restart',
  master_offline: 'master offline',
  replay: 'replay',
  drop_results: 'dropped results',
  data_wipe: 'data wiped',
  mongo_restart: 'mongo restart',
};

function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(0)} s` : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const width = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join(' | ')} |`;
  return [line(cells[0]), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

/** The zero-columns that are not zero, as "column (seed s: n, ...)". */
export function failures(results: readonly SeedResult[]): string[] {
  const out: string[] = [];
  for (const c of COLUMNS.filter((x) => x.zero)) {
    const bad = results.filter((r) => c.value(r) !== 0);
    if (bad.length) out.push(`${c.title} (${bad.map((r) => `seed ${r.seed}: ${c.value(r)}`).join(', ')})`);
  }
  return out;
}

export function seedTable(results: readonly SeedResult[]): string {
  const rows = results.map((r) => COLUMNS.map((c) => c.value(r)));
  if (results.length > 1) {
    const sum = (f: (r: SeedResult) => number) => results.reduce((a, r) => a + f(r), 0);
    rows.push([
      'all', sum((r) => r.trades), sum((r) => Object.values(r.faults).reduce((a, b) => a + b, 0)), sum((r) => r.check.matched), sum((r) => r.check.skipped),
      sum((r) => r.check.duplicates), sum((r) => r.check.orphans), sum((r) => r.check.missing), sum((r) => r.check.volume), sum((r) => r.check.sltp),
      sum((r) => r.check.price), sum((r) => r.check.ledger), sum((r) => r.crashes.length), ms(Math.max(...results.map((r) => r.heal.maxMs))), ms(Math.max(...results.map((r) => r.heal.p95Ms))),
      sum((r) => r.heal.unhealed), ms(sum((r) => r.durationMs)),
    ]);
  }
  return table(COLUMNS.map((c) => c.title), rows);
}

export function faultTable(results: readonly SeedResult[]): string {
  return table(['seed', ...FAULT_KINDS.map((k) => SHORT[k])], results.map((r) => [r.seed, ...FAULT_KINDS.map((k) => r.faults[k])]));
}

export function fuzzTable(f: FuzzResult): string {
  return table(
    ['hostile messages', 'crashes', 'damage', 'copies timed', 'latency p50', 'latency p99', 'RSS before', 'RSS after', 'log lines', 'lines / 1000 msgs', 'time'],
    [[f.messages, f.crashes.length, fuzzDamage(f.check), f.latency.count, ms(f.latency.p50Ms), ms(f.latency.p99Ms), kb(f.rssBeforeKb), kb(f.rssAfterKb), f.logLines, f.linesPer1000.toFixed(1), ms(f.durationMs)]],
  );
}

function kb(n: number | undefined): string {
  return n === undefined ? '-' : `${(n / 1024).toFixed(1)} MB`;
}

/** The zero-columns of an EA run, summed. */
export function eaDamage(r: EaResult): number {
  const c = r.check;
  return c.duplicates + c.orphans + c.missing + c.volume + c.sltp + c.price + c.ledger + r.crashes.length;
}

export function eaTable(rows: readonly EaResult[]): string {
  return table(
    ['EA seed', 'trades', 'hub kills', 'terminal restarts', 'matched', 'duplicates', 'orphans', 'missing', 'volume', 'sl/tp', 'ledger', 'crashes', 'time'],
    rows.map((r) => [r.seed, r.trades, r.faults.hub_kill, r.faults.terminal_restart, r.check.matched, r.check.duplicates, r.check.orphans, r.check.missing, r.check.volume, r.check.sltp, r.check.ledger, r.crashes.length, ms(r.durationMs)]),
  );
}
