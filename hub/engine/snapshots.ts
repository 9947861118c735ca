/**
 * Snapshots sent in parts (snapshot_id, part of parts), assembled per terminal. Only a complete
 * snapshot goes on to reconciliation: a part alone would look like a terminal that lost every
 * position the other parts hold. Pure: the engine logs the outcomes and asks for a snapshot again.
 */
import { SNAPSHOT_PARTS_TIMEOUT_MS, type SnapshotMsg } from '../protocol';

/** More parts than this is not a snapshot any EA sends (5,000 positions fit in each). */
export const SNAPSHOT_MAX_PARTS = 100;

interface Assembly {
  id: string;
  parts: number;
  got: Map<number, SnapshotMsg>;
  /** Engine order (nextSeq) when the first part arrived: the snapshot is as old as that. */
  order: number;
  lastAt: number;
}

export type PartOutcome =
  /** The snapshot is whole: its positions in part order, the earliest part's time, the order of its first part. */
  | { kind: 'complete'; snapshot: SnapshotMsg; order: number; superseded?: string }
  | { kind: 'waiting'; missing: number; superseded?: string }
  | { kind: 'ignored'; reason: string; superseded?: string };

export interface TimedOut {
  account: string;
  id: string;
  missing: number[];
}

export class SnapshotParts {
  private open = new Map<string, Assembly>();
  /** The last snapshot id completed per terminal: a repeated part of it starts nothing new. */
  private done = new Map<string, string>();

  constructor(private readonly timeoutMs = SNAPSHOT_PARTS_TIMEOUT_MS) {}

  /** True for a snapshot that comes in parts (it names a snapshot_id). */
  static inParts(s: SnapshotMsg): boolean {
    return s.snapshot_id !== undefined;
  }

  /** Takes one part; `order` gives the engine's order for a new snapshot's first part. */
  add(s: SnapshotMsg, receivedAt: number, order: () => number): PartOutcome {
    const id = s.snapshot_id!;
    if (s.part === undefined || s.parts === undefined) return { kind: 'ignored', reason: `part ${untold(s)} of snapshot ${id} does not say which part of how many (part, parts)` };
    if (s.part > s.parts) return { kind: 'ignored', reason: `snapshot ${id}: part ${s.part} of ${s.parts} does not exist` };
    if (s.parts > SNAPSHOT_MAX_PARTS) return { kind: 'ignored', reason: `snapshot ${id} in ${s.parts} parts: more than ${SNAPSHOT_MAX_PARTS}, not a snapshot of this protocol` };
    if (this.done.get(s.account) === id) return { kind: 'ignored', reason: `part ${s.part} of snapshot ${id} again, after it was complete` };
    let a = this.open.get(s.account);
    let superseded: string | undefined;
    if (a && a.id !== id) {
      // A newer snapshot started: the old one can never be current now.
      superseded = a.id;
      a = undefined;
    }
    if (a && a.parts !== s.parts) {
      this.open.delete(s.account);
      return { kind: 'ignored', reason: `snapshot ${id}: part ${s.part} says ${s.parts} parts, earlier parts said ${a.parts}; dropped`, superseded };
    }
    if (!a) {
      a = { id, parts: s.parts, got: new Map(), order: order(), lastAt: receivedAt };
      this.open.set(s.account, a);
    }
    if (a.got.has(s.part)) return { kind: 'ignored', reason: `part ${s.part} of snapshot ${id} again`, superseded };
    a.got.set(s.part, s);
    a.lastAt = receivedAt;
    if (a.got.size < a.parts) return { kind: 'waiting', missing: a.parts - a.got.size, superseded };
    this.open.delete(s.account);
    this.done.set(s.account, id);
    return { kind: 'complete', snapshot: assemble(a), order: a.order, superseded };
  }

  /** Drops the snapshots that got no part for the timeout; their terminals are to be asked again. */
  expire(now: number): TimedOut[] {
    const out: TimedOut[] = [];
    for (const [account, a] of this.open) {
      if (now - a.lastAt < this.timeoutMs) continue;
      this.open.delete(account);
      const missing: number[] = [];
      for (let i = 1; i <= a.parts; i++) if (!a.got.has(i)) missing.push(i);
      out.push({ account, id: a.id, missing });
    }
    return out;
  }

  /** A new session of the terminal (hello): what its earlier one sent in parts is over. */
  forget(account: string): void {
    this.open.delete(account);
    this.done.delete(account);
  }

  /** Snapshots waiting for parts (for status and tests). */
  get incomplete(): number {
    return this.open.size;
  }
}

function untold(s: SnapshotMsg): string {
  return s.part === undefined ? '?' : String(s.part);
}

/** One snapshot of all parts: positions in part order, as old as its earliest part. */
function assemble(a: Assembly): SnapshotMsg {
  const parts = [...a.got.entries()].sort(([x], [y]) => x - y).map(([, p]) => p);
  const first = parts[0];
  return {
    ...first,
    ts: Math.min(...parts.map((p) => p.ts)),
    seq: Math.max(...parts.map((p) => p.seq)),
    positions: parts.flatMap((p) => p.positions),
    margin_mode: parts.find((p) => p.margin_mode)?.margin_mode,
    part: undefined,
    parts: undefined,
  };
}
