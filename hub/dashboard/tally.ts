/**
 * What the dashboard counts from the hub's events since it started: the recent decisions (for the
 * stream), copies made, refusals by reason, the latency histogram of confirmed opens and each
 * slave's latest latencies. Pure bookkeeping, no I/O: fed by RunningHub.subscribe.
 */
import { randomUUID } from 'crypto';
import type { HubEvent } from '../hub';

/** Upper bounds (ms) of the latency histogram's buckets; the last bucket is everything above. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500] as const;
/** Decisions kept for the stream (newest last). */
export const DECISIONS_KEPT = 500;
/** Latencies kept per slave. */
const LATENCIES_KEPT = 5;
/** Trips kept per slave (the guards panel's latest trips). */
export const TRIPS_KEPT = 5;
/** Distinct refusal reasons counted; beyond, they count as "other reasons". */
const REASONS_MAX = 50;

export interface DecisionRow {
  id: number;
  time: number;
  kind: string;
  account: string;
  masterTicket: string;
  message: string;
  level: 'info' | 'warn';
}

export interface TallyCounts {
  /** Copies decided (COPY lines: opens and adds). */
  copies: number;
  /** Refusals and misses at the hub, and opens the slave refused. */
  refusals: number;
  refusalsByReason: Record<string, number>;
  /** Commands given up without a result. */
  expired: number;
  /** Opens confirmed, and their latency histogram: counts per LATENCY_BUCKETS_MS bound, then above. */
  opened: number;
  latencyBuckets: number[];
  ledgerDown: boolean;
}

const REFUSING = new Set(['refuse', 'miss']);

/** The reason of a decision or result line, as one counter: what follows "-> SLAVE: ", numbers folded to N. */
export function reasonOf(message: string): string {
  const arrow = message.indexOf(' -> ');
  const colon = message.indexOf(': ', arrow < 0 ? 0 : arrow);
  const text = colon < 0 ? message : message.slice(colon + 2);
  // Numbers on their own (volumes, tickets, ms), not inside names (US30.c, DJ30).
  const folded = text.replace(/(?<![\w.])\d+(\.\d+)?(?!\w)/g, 'N').replace(/\s+/g, ' ').trim();
  return folded.length > 120 ? `${folded.slice(0, 119)}…` : folded;
}

export class Tally {
  /** Names this tally's numbering of decisions: a page that sees another starts its stream again. */
  readonly id = randomUUID();
  private seq = 0;
  private readonly rows: DecisionRow[] = [];
  private readonly latencies = new Map<string, number[]>();
  private readonly trips = new Map<string, { time: number; message: string }[]>();
  private readonly counts: TallyCounts = {
    copies: 0, refusals: 0, refusalsByReason: {}, expired: 0, opened: 0, latencyBuckets: LATENCY_BUCKETS_MS.map(() => 0).concat(0), ledgerDown: false,
  };

  /** Rows added since the id given (for the live stream). */
  since(id: number): DecisionRow[] {
    const i = this.rows.findIndex((r) => r.id > id);
    return i < 0 ? [] : this.rows.slice(i);
  }

  get lastId(): number {
    return this.seq;
  }

  recent(n = DECISIONS_KEPT): DecisionRow[] {
    return n > 0 ? this.rows.slice(-n) : [];
  }

  snapshot(): TallyCounts {
    return { ...this.counts, refusalsByReason: { ...this.counts.refusalsByReason }, latencyBuckets: [...this.counts.latencyBuckets] };
  }

  /** The latest latencies (ms) of a slave's confirmed opens, newest last. */
  latenciesOf(slave: string): number[] {
    return [...(this.latencies.get(slave) ?? [])];
  }

  /**
   * Trips an earlier hub process recorded (the ledger's `trip` events, any order): they go before
   * those seen since, so the panel is not empty after a restart.
   */
  restoreTrips(slave: string, earlier: readonly { time: number; message: string }[]): void {
    const seen = this.trips.get(slave) ?? [];
    const older = [...earlier].sort((a, b) => a.time - b.time).filter((t) => !seen.some((x) => x.time === t.time && x.message === t.message));
    this.trips.set(slave, [...older, ...seen].slice(-TRIPS_KEPT));
  }

  /** The latest protection trips of a slave, newest last (those before a restart from the ledger). */
  tripsOf(slave: string): { time: number; message: string }[] {
    return [...(this.trips.get(slave) ?? [])];
  }

  add(e: HubEvent): void {
    switch (e.type) {
      case 'decision':
        this.rows.push({ id: ++this.seq, time: e.time, kind: e.kind, account: e.account, masterTicket: e.masterTicket, message: e.message, level: e.level });
        if (this.rows.length > DECISIONS_KEPT) this.rows.shift();
        if (e.kind === 'copy') this.counts.copies++;
        else if (e.kind === 'expire') this.counts.expired++;
        else if (REFUSING.has(e.kind)) this.refused(reasonOf(e.message));
        else if (e.kind === 'trip') keep(this.trips, e.account, { time: e.time, message: e.message }, TRIPS_KEPT);
        return;
      case 'result':
        if (e.command !== 'open') return;
        if (!e.ok) {
          if (e.status === 'refused' || e.status === 'rejected') this.refused(`slave ${e.status}: ${reasonOf(e.message)}`);
          return;
        }
        this.counts.opened++;
        this.counts.latencyBuckets[bucketOf(e.latencyMs)]++;
        keep(this.latencies, e.slave, e.latencyMs, LATENCIES_KEPT);
        return;
      case 'ledger':
        this.counts.ledgerDown = !e.ok;
        return;
      case 'terminal':
        return;
    }
  }

  private refused(reason: string): void {
    this.counts.refusals++;
    const by = this.counts.refusalsByReason;
    const key = reason in by || Object.keys(by).length < REASONS_MAX ? reason : 'other reasons';
    by[key] = (by[key] ?? 0) + 1;
  }
}

/** Appends to a per-account list that keeps its last `max` items. */
function keep<T>(lists: Map<string, T[]>, key: string, item: T, max: number): void {
  let list = lists.get(key);
  if (!list) lists.set(key, (list = []));
  list.push(item);
  if (list.length > max) list.shift();
}

export function bucketOf(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
  return i < 0 ? LATENCY_BUCKETS_MS.length : i;
}
