/**
 * One seeded chaos run: a sequence of master operations and faults drawn from the seed, against a
 * real hub process and simulated terminals (rig.ts), then a settle period and the check against
 * the brokers' own positions and the ledger.
 */
import { writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { encode } from '../hub/protocol';
import type { SimTerminal } from '../sim/terminal';
import type { CheckResult } from './check';
import { masterOp } from './ops';
import { Rig, sleep, type Heal, type StoreKind } from './rig';
import { Rng } from './rng';
import { followersOf } from './world';

export const FAULT_KINDS = ['hub_kill', 'hub_kill_inflight', 'slave_offline', 'slave_restart', 'master_offline', 'replay', 'drop_results', 'data_wipe', 'mongo_restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SeedOptions {
  seed: number;
  /** Master operations (a burst counts each of its operations). */
  ops: number;
  store?: StoreKind;
  /** Longest wait for everything to match after the last fault; default 20 s. */
  settleMs?: number;
  /** Everything must match this long in a row to end the settle early; default 2.5 s. */
  quietMs?: number;
  /** Chance that a step is a fault rather than an operation; default 0.12. */
  faultRate?: number;
  /** Progress lines (every operation and fault). */
  log?: (line: string) => void;
  /** Every hub log line. */
  hubLog?: (line: string) => void;
}

export interface SeedResult {
  seed: number;
  /** Master operations the brokers executed. */
  trades: number;
  faults: Record<FaultKind, number>;
  check: CheckResult;
  heal: Heal;
  crashes: string[];
  durationMs: number;
  /** Operations and faults in order, for replaying a failure by eye. */
  journal: string[];
  /** Operations, faults and hub log lines interleaved (the last JOURNAL_LIMIT lines). */
  fullLog: string[];
}

/** Operations before the first fault may strike. */
const FIRST_FAULT_AT = 2;
const BURST_RATE = 0.05;
const JOURNAL_LIMIT = 50_000;

/** Writes a seed's interleaved log to the temp folder (kept: it is the failure report); returns its path. */
export function saveLog(r: SeedResult): string {
  const file = join(tmpdir(), `copybridge-chaos-seed-${r.seed}.log`);
  writeFileSync(file, [...r.fullLog, '', ...r.check.problems, ...r.crashes].join('\n') + '\n');
  return file;
}

interface Recovery {
  at: number;
  who: string;
  run: () => Promise<void>;
}

export async function runSeed(opts: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const rng = new Rng(opts.seed);
  const journal: string[] = [];
  const fullLog: string[] = [];
  const keep = (list: string[], line: string) => {
    list.push(line);
    if (list.length > JOURNAL_LIMIT + 1000) list.splice(0, list.length - JOURNAL_LIMIT);
  };
  const note = (line: string) => {
    const stamped = `[seed ${opts.seed} +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`;
    keep(journal, stamped);
    keep(fullLog, stamped);
    opts.log?.(stamped);
  };
  const hubLog = (line: string) => {
    keep(fullLog, `  hub| ${line}`);
    opts.hubLog?.(line);
  };
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const rig = await Rig.start({ seed: opts.seed, store: opts.store, hubLog });
  try {
    const { hub, world, mongo } = rig;
    note(`hub pid ${hub.pid}, store ${opts.store ?? 'embedded'}, ${world.all.length} terminals welcomed`);
    let trades = 0;
    const masters = [...world.masters.values()];
    const slaves = [...world.slaves.values()];
    const followers = followersOf(world);
    /** Followers' quote moves an operation left for a little later: made before the next operation. */
    const lagging: (() => void)[] = [];
    const catchUp = () => {
      for (const move of lagging.splice(0)) move();
    };
    const doOp = () => {
      catchUp();
      const t = rng.pick(masters);
      const out = masterOp(rng, t, followers.get(t.account));
      if (out.ok) trades++;
      if (out.later) lagging.push(out.later);
      note(out.line);
    };

    // Faults that end later: a terminal back online, a MongoDB server back up.
    const recoveries: Recovery[] = [];
    const later = (who: string, ms: number, run: () => Promise<void> | void) => recoveries.push({ at: Date.now() + ms, who, run: async () => run() });
    const recover = async (which: (r: Recovery) => boolean) => {
      for (const r of recoveries.filter(which)) {
        recoveries.splice(recoveries.indexOf(r), 1);
        await r.run();
        note(`recovered ${r.who}`);
      }
    };
    const idle = (list: SimTerminal[]) => list.filter((t) => !recoveries.some((r) => r.who === t.account));

    const killHub = async (kind: FaultKind) => {
      note(`FAULT ${kind}: SIGKILL hub pid ${hub.pid}${kind === 'data_wipe' ? ', then wipe its data' : ''}`);
      await hub.kill();
      // The masters keep trading while the hub is down.
      for (let k = rng.int(0, 3); k > 0; k--) doOp();
      await sleep(rng.int(0, 600));
      // A hub cannot open a store whose server is down: the server comes back first.
      await recover((r) => r.who === 'mongodb');
      if (kind === 'data_wipe') await rig.wipeData();
      await hub.start();
      note(`hub back, pid ${hub.pid}`);
    };

    let bag: FaultKind[] = [];
    /** Every kind once, in a seeded order, before any repeats. */
    const nextFault = (): FaultKind => {
      if (!bag.length) {
        bag = FAULT_KINDS.filter((k) => k !== 'mongo_restart' || mongo);
        for (let i = bag.length - 1; i > 0; i--) {
          const j = rng.int(0, i);
          [bag[i], bag[j]] = [bag[j], bag[i]];
        }
      }
      return bag.pop()!;
    };

    const fault = async (kind: FaultKind): Promise<boolean> => {
      switch (kind) {
        case 'hub_kill':
          await sleep(rng.int(0, 300));
          await killHub(kind);
          return true;
        case 'hub_kill_inflight':
          // A master deal goes out and the hub dies before the slaves' results come back.
          doOp();
          await killHub(kind);
          return true;
        case 'data_wipe':
          await killHub(kind);
          return true;
        case 'slave_offline':
        case 'master_offline': {
          const free = idle(kind === 'slave_offline' ? slaves : masters);
          if (!free.length) return false;
          const t = rng.pick(free);
          const ms = rng.int(300, 3000);
          note(`FAULT ${kind}: ${t.account} offline for ${ms} ms${kind === 'master_offline' ? ' (it keeps trading)' : ''}`);
          t.setOffline(true);
          later(t.account, ms, () => t.setOffline(false));
          return true;
        }
        case 'slave_restart': {
          const free = idle(slaves);
          if (!free.length) return false;
          const t = rng.pick(free);
          const ms = rng.int(200, 2000);
          note(`FAULT ${kind}: ${t.account} terminal closed for ${ms} ms`);
          await t.stop();
          later(t.account, ms, () => t.start());
          return true;
        }
        case 'replay': {
          const t = rng.pick(world.all);
          const old = t.sent.filter((m) => m.type === 'deal' || m.type === 'result' || m.type === 'snapshot').slice(-40);
          if (!old.length) return false;
          const m = rng.pick(old);
          const times = rng.int(1, 3);
          note(`FAULT ${kind}: ${t.account} re-sends its ${m.type} seq ${m.seq} x${times}`);
          for (let k = 0; k < times; k++) t.send(encode(m));
          return true;
        }
        case 'drop_results': {
          const t = rng.pick(slaves);
          const n = rng.int(1, 3);
          note(`FAULT ${kind}: ${t.account} drops its next ${n} results`);
          t.dropResults(n);
          return true;
        }
        case 'mongo_restart': {
          if (!mongo || recoveries.some((r) => r.who === 'mongodb')) return false;
          const ms = rng.int(500, 2500);
          note(`FAULT ${kind}: MongoDB server stopped for ${ms} ms`);
          await mongo.kill();
          later('mongodb', ms, () => mongo.restart());
          return true;
        }
      }
    };

    for (let i = 0; i < opts.ops; ) {
      catchUp();
      await recover((r) => r.at <= Date.now());
      if (i >= FIRST_FAULT_AT && rng.chance(opts.faultRate ?? 0.12)) {
        const kind = nextFault();
        if (await fault(kind)) faults[kind]++;
      } else if (rng.chance(BURST_RATE)) {
        const n = Math.min(rng.int(10, 20), opts.ops - i);
        note(`burst of ${n} operations`);
        for (let k = 0; k < n; k++) doOp();
        i += n;
      } else {
        doOp();
        i++;
      }
      await sleep(rng.int(0, 150));
    }

    // The last fault ends: everything comes back, then each item is timed until it is right.
    catchUp();
    await recover(() => true);
    await rig.allUp();
    note('all faults over; settling');
    const heal = await rig.settle(opts.settleMs ?? 20_000, opts.quietMs ?? 2_500);
    const result = await rig.finalCheck();
    note(`done: ${trades} trades, ${result.matched} matched, ${result.problems.length} problems`);
    return { seed: opts.seed, trades, faults, check: result, heal, crashes: [...hub.crashes], durationMs: Date.now() - started, journal, fullLog };
  } finally {
    await rig.close();
  }
}
