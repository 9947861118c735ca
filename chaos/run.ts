/**
 * `npm run chaos`: seeded chaos runs against the real hub process, and a fuzz run of hostile
 * messages. Prints the tables (docs/chaos.md explains every column) and exits non-zero when a
 * zero-column is not zero, a hub crashed, or a run failed.
 *
 *   npm run chaos -- --seeds 3 --ops 200      three seeds from a random base (printed)
 *   npm run chaos -- --seed 4242 --ops 200    replay one seed
 *   npm run chaos -- --fuzz [N]               N hostile messages (default 100,000)
 *   npm run chaos -- --fuzz N --seed S --seeds 0   replay one fuzz run
 *   npm run chaos -- --quick                  2 seeds x 60 ops and 3,000 hostile messages
 *   npm run chaos -- --ea --seed 3 --ops 40   the EA's own code (test/mql5 harness) as terminals
 *   options: --store mongodb, --settle-ms N, --fault-rate 0..1 (0: operations only),
 *            --fuzz-kinds replay,wrong_types (only these hostile kinds), --live (with --ea), --verbose, --no-build
 */
import { buildHub } from './hub-process';
import { eaDamage, eaTable, failures, faultTable, fuzzTable, seedTable } from './report';
import { HOSTILE_KINDS, fuzzDamage, runFuzz, type FuzzResult, type HostileKind } from './fuzz';
import { runSeed, saveLog, type SeedResult } from './scenario';
import { runEaSeed, type EaResult } from './ea';
import type { StoreKind } from './rig';

export interface RunOptions {
  seeds: number[];
  ops: number;
  fuzz: number;
  /** Seed of the fuzz: --seed when given (replay with --fuzz N --seed S --seeds 0). */
  fuzzSeed: number;
  /** Hostile kinds the fuzz sends (default all). */
  fuzzKinds?: HostileKind[];
  store: StoreKind;
  settleMs: number;
  /** Chance that a step is a fault; 0 runs the operations alone. */
  faultRate: number;
  verbose: boolean;
  build: boolean;
  /** Run the seeds with the EA's own code (test/mql5 harness) instead of simulated terminals. */
  ea: boolean;
  /** With --ea: MetaTrader's asynchrony in the harness. */
  live: boolean;
}

const DEFAULT_FUZZ = 100_000;
const DEFAULT_OPS = 200;
const DEFAULT_FAULT_RATE = 0.12;

/** Flags after `npm run chaos --`, or npm's own `npm_config_*` when they were given before it. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): RunOptions {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}; see the header of chaos/run.ts`);
    if (m[2] !== undefined) flags.set(m[1], m[2]);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags.set(m[1], argv[++i]);
    else flags.set(m[1], true);
  }
  for (const name of ['seeds', 'seed', 'ops', 'fuzz', 'quick', 'store']) {
    const v = env[`npm_config_${name}`];
    if (v !== undefined && !flags.has(name)) flags.set(name, v === 'true' || v === '' ? true : v);
  }
  const known = new Set(['seeds', 'seed', 'ops', 'fuzz', 'quick', 'store', 'settle-ms', 'fault-rate', 'fuzz-kinds', 'verbose', 'no-build', 'ea', 'live']);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown flag --${k}; see the header of chaos/run.ts`);
  const num = (name: string, fallback: number): number => {
    const v = flags.get(name);
    if (v === undefined || v === true) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${v}`);
    return n;
  };
  const quick = flags.has('quick');
  const fuzzOnly = flags.has('fuzz') && !flags.has('seeds') && !flags.has('seed') && !quick;
  const count = fuzzOnly ? 0 : num('seeds', quick ? 2 : flags.has('seed') ? 1 : 3);
  const base = num('seed', Date.now() % 1_000_000);
  const store = flags.get('store') ?? 'embedded';
  if (store !== 'embedded' && store !== 'mongodb') throw new Error(`--store must be embedded or mongodb, got ${String(store)}`);
  const kinds = flags.get('fuzz-kinds');
  const fuzzKinds = typeof kinds === 'string' ? kinds.split(',').filter(Boolean) : undefined;
  const unknownKind = fuzzKinds?.find((k) => !(HOSTILE_KINDS as readonly string[]).includes(k));
  if (unknownKind) throw new Error(`--fuzz-kinds: unknown kind ${unknownKind}; known: ${HOSTILE_KINDS.join(', ')}`);
  return {
    seeds: Array.from({ length: count }, (_, i) => base + i),
    ops: num('ops', quick ? 60 : DEFAULT_OPS),
    fuzz: flags.has('fuzz') ? num('fuzz', DEFAULT_FUZZ) : quick ? 3000 : 0,
    fuzzSeed: base,
    fuzzKinds: fuzzKinds as HostileKind[] | undefined,
    store,
    settleMs: num('settle-ms', 20_000),
    faultRate: rate(flags.get('fault-rate')),
    verbose: flags.has('verbose'),
    build: !flags.has('no-build'),
    ea: flags.has('ea'),
    live: flags.has('live'),
  };
}

function rate(v: string | true | undefined): number {
  if (v === undefined || v === true) return DEFAULT_FAULT_RATE;
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new Error(`--fault-rate must be between 0 and 1, got ${v}`);
  return n;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2), process.env);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (opts.build) {
    say('building the hub (tsc -p tsconfig.build.json) so bin/hub.js runs the current code');
    buildHub();
  }
  const results: SeedResult[] = [];
  const errors: string[] = [];
  if (opts.ea) return runEa(opts, say);
  for (const seed of opts.seeds) {
    say(`seed ${seed}: ${opts.ops} operations, store ${opts.store} (replay: npm run chaos -- --seed ${seed} --ops ${opts.ops}${opts.store === 'mongodb' ? ' --store mongodb' : ''})`);
    try {
      const r = await runSeed({ seed, ops: opts.ops, store: opts.store, settleMs: opts.settleMs, faultRate: opts.faultRate, log: opts.verbose ? say : undefined, hubLog: opts.verbose ? (l) => say(`  hub| ${l}`) : undefined });
      results.push(r);
      if (opts.verbose) for (const line of r.check.skips) say(`  ${line}`);
      for (const p of r.check.problems.slice(0, 20)) say(`  ${p}`);
      if (r.check.problems.length > 20) say(`  ... and ${r.check.problems.length - 20} more`);
      for (const c of r.crashes) say(`  CRASH ${c}`);
      if (r.check.problems.length || r.crashes.length) {
        if (!opts.verbose) {
          say('  last operations and faults:');
          for (const line of r.journal.slice(-15)) say(`    ${line}`);
        }
        say(`  operations, faults and hub log: ${saveLog(r)}`);
      }
    } catch (e) {
      errors.push(`seed ${seed}: ${(e as Error).stack ?? String(e)}`);
      say(`seed ${seed} FAILED TO RUN: ${(e as Error).message}`);
    }
  }
  let fuzz: FuzzResult | undefined;
  if (opts.fuzz > 0) {
    const seed = opts.fuzzSeed;
    say(`fuzz: ${opts.fuzz} hostile messages, seed ${seed} (replay: npm run chaos -- --fuzz ${opts.fuzz} --seed ${seed} --seeds 0${opts.fuzzKinds ? ` --fuzz-kinds ${opts.fuzzKinds.join(',')}` : ''})`);
    try {
      fuzz = await runFuzz({ messages: opts.fuzz, seed, store: opts.store, kinds: opts.fuzzKinds, settleMs: opts.settleMs, log: say, hubLog: opts.verbose ? (l) => say(`  hub| ${l}`) : undefined });
    } catch (e) {
      errors.push(`fuzz: ${(e as Error).stack ?? String(e)}`);
    }
  }

  say('');
  if (results.length) {
    say(seedTable(results));
    say('');
    say('faults by kind');
    say(faultTable(results));
  }
  if (fuzz) {
    say('');
    say(fuzzTable(fuzz));
    say(`hostile kinds: ${Object.entries(fuzz.kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    say(`after the fuzz: ${fuzz.check.matched} matched, ${fuzz.check.problems.length} problems`);
    for (const p of fuzz.check.problems.slice(0, 10)) say(`  ${p}`);
  }
  const failed = [
    ...failures(results),
    ...(fuzz?.crashes.length ? [`fuzz crashes (${fuzz.crashes.join('; ')})`] : []),
    ...(fuzz && fuzzDamage(fuzz.check) ? [`fuzz damage (${fuzzDamage(fuzz.check)})`] : []),
    ...errors,
  ];
  if (failed.length) {
    say('');
    say(`FAILED: ${failed.join('; ')}`);
    return 1;
  }
  say('all zero-columns are zero');
  return 0;
}

/** --ea: the seeds with the EA's own code; a smaller table. */
async function runEa(opts: RunOptions, say: (line: string) => void): Promise<number> {
  const rows: EaResult[] = [];
  const errors: string[] = [];
  for (const seed of opts.seeds) {
    say(`EA seed ${seed}: ${opts.ops} operations${opts.live ? ', MetaTrader asynchrony on' : ''} (replay: npm run chaos -- --ea --seed ${seed} --ops ${opts.ops}${opts.live ? ' --live' : ''})`);
    try {
      const r = await runEaSeed({ seed, ops: opts.ops, live: opts.live, settleMs: opts.settleMs, log: opts.verbose ? say : undefined });
      rows.push(r);
      for (const p of [...r.check.problems, ...r.crashes]) say(`  ${p}`);
    } catch (e) {
      errors.push(`EA seed ${seed}: ${(e as Error).stack ?? String(e)}`);
      say(`EA seed ${seed} FAILED TO RUN: ${(e as Error).message}`);
    }
  }
  say('');
  say(eaTable(rows));
  const failed = [...rows.filter((r) => eaDamage(r)).map((r) => `EA seed ${r.seed}: ${eaDamage(r)}`), ...errors];
  if (failed.length) {
    say(`FAILED: ${failed.join('; ')}`);
    return 1;
  }
  say('all zero-columns are zero');
  return 0;
}

if (require.main === module) {
  // Ctrl+C: exit through process.exit, so the hub processes and temporary folders are cleaned up.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`chaos: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(2);
    },
  );
}
