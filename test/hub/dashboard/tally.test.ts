import { LATENCY_BUCKETS_MS, Tally, bucketOf, reasonOf } from '../../../hub/dashboard/tally';
import type { HubEvent } from '../../../hub/hub';

const decision = (kind: string, account: string, message: string): HubEvent => ({ type: 'decision', time: 1, kind, account, masterTicket: '5', message, level: 'info' });
const opened = (slave: string, latencyMs: number, ok = true, status: 'done' | 'refused' = 'done'): HubEvent => ({
  type: 'result', time: 1, slave, master: 'M1', masterPosition: '5', command: 'open', status, ok, latencyMs, message: `${status} open M1#5 -> ${slave}: market closed (retcode 10018)`,
});

describe('reasonOf', () => {
  it('keeps what follows "-> SLAVE: " and folds numbers on their own, not those in names', () => {
    expect(reasonOf('open M1#5005 sell 0.05 US30 -> S1: invalid volume: volume 0.05 (same of 0.05) rounds to 0, below US30.c minimum 0.1 (step 0.1)')).toBe(
      'invalid volume: volume N (same of N) rounds to N, below US30.c minimum N (step N)',
    );
    expect(reasonOf('late open M1#7 buy 1 EURUSD -> S2: opened 70001 ms ago, more than max_delay_ms 60000')).toBe('opened N ms ago, more than max_delay_ms N');
    expect(reasonOf('no arrow here')).toBe('no arrow here');
    expect(reasonOf(`open M1#1 -> S1: ${'x'.repeat(200)}`)).toHaveLength(120);
  });
});

describe('Tally', () => {
  it('counts copies, refusals by reason (the hub and the slave), expiries, and the latency histogram per bucket', () => {
    const t = new Tally();
    t.add(decision('copy', 'S1', 'open M1#5 buy 1 EURUSD -> S1 EURUSD.c 1 lots'));
    t.add(decision('refuse', 'S2', 'open M1#5 buy 1 EURUSD -> S2: slave S2 is disabled'));
    t.add(decision('refuse', 'S2', 'open M1#6 buy 2 EURUSD -> S2: slave S2 is disabled'));
    t.add(decision('miss', 'S1', 'late open M1#7 buy 1 EURUSD -> S1: opened 70001 ms ago, more than max_delay_ms 60000'));
    t.add(decision('expire', 'S1', 'open M1#8 -> S1 expired after 3 sends without result'));
    t.add(opened('S1', 4));
    t.add(opened('S1', 5));
    t.add(opened('S1', 6));
    t.add(opened('S1', 99_999));
    t.add(opened('S2', 1, false, 'refused'));
    t.add({ type: 'ledger', time: 1, ok: false, message: 'down' });
    const c = t.snapshot();
    expect(c).toMatchObject({ copies: 1, refusals: 4, expired: 1, opened: 4, ledgerDown: true });
    expect(c.refusalsByReason).toEqual({
      'slave S2 is disabled': 2,
      'opened N ms ago, more than max_delay_ms N': 1,
      'slave refused: market closed (retcode N)': 1,
    });
    expect(c.latencyBuckets).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
    expect(c.latencyBuckets[0]).toBe(2);
    expect(c.latencyBuckets[1]).toBe(1);
    expect(c.latencyBuckets.at(-1)).toBe(1);
    expect(t.latenciesOf('S1')).toEqual([4, 5, 6, 99_999]);
    expect(t.latenciesOf('S2')).toEqual([]);
    t.add({ type: 'ledger', time: 2, ok: true, message: 'up' });
    expect(t.snapshot().ledgerDown).toBe(false);
  });

  it('keeps the last 500 decisions with increasing ids and the last 5 latencies of a slave', () => {
    const t = new Tally();
    for (let i = 0; i < 520; i++) t.add(decision('skip', 'S1', `line ${i}`));
    for (let i = 0; i < 8; i++) t.add(opened('S1', i));
    expect(t.recent()).toHaveLength(500);
    expect(t.recent()[0]).toMatchObject({ id: 21, message: 'line 20' });
    expect(t.recent(2).map((r) => r.id)).toEqual([519, 520]);
    expect(t.recent(0)).toEqual([]);
    expect(t.since(518).map((r) => r.id)).toEqual([519, 520]);
    expect(t.since(520)).toEqual([]);
    expect(t.latenciesOf('S1')).toEqual([3, 4, 5, 6, 7]);
  });

  it('puts a latency in the first bucket whose bound it does not exceed', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(5)).toBe(0);
    expect(bucketOf(5.1)).toBe(1);
    expect(bucketOf(2500)).toBe(LATENCY_BUCKETS_MS.length - 1);
    expect(bucketOf(2501)).toBe(LATENCY_BUCKETS_MS.length);
  });
});

describe('Tally: trips', () => {
  it('keeps the latest five trips of each slave, newest last, and counts them as nothing else', () => {
    const t = new Tally();
    for (let i = 1; i <= 7; i++) t.add(decision('trip', 'S1', `protection S1: daily loss limit #${i}`));
    t.add(decision('trip', 'S2', 'protection S2: max drawdown limit'));
    expect(t.tripsOf('S1').map((x) => x.message)).toEqual([3, 4, 5, 6, 7].map((i) => `protection S1: daily loss limit #${i}`));
    expect(t.tripsOf('S2')).toEqual([{ time: 1, message: 'protection S2: max drawdown limit' }]);
    expect(t.tripsOf('S3')).toEqual([]);
    expect(t.snapshot()).toMatchObject({ copies: 0, refusals: 0, expired: 0 });
  });

  it('puts the trips of an earlier hub process before those seen since, keeping five and no twice', () => {
    const t = new Tally();
    t.add(decision('trip', 'S1', 'protection S1: now'));
    const earlier = [4, 1, 3, 2].map((i) => ({ time: i, message: `protection S1: before #${i}` }));
    t.restoreTrips('S1', [...earlier, { time: 1, message: 'protection S1: now' }]);
    expect(t.tripsOf('S1').map((x) => x.message)).toEqual(['protection S1: before #1', 'protection S1: before #2', 'protection S1: before #3', 'protection S1: before #4', 'protection S1: now']);
    t.restoreTrips('S2', Array.from({ length: 7 }, (_, i) => ({ time: i, message: `#${i}` })));
    expect(t.tripsOf('S2').map((x) => x.message)).toEqual(['#2', '#3', '#4', '#5', '#6']);
  });
});
