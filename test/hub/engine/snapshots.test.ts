import { Engine } from '../../../hub/engine';
import { makeConfig } from '../../../hub/config';
import { SnapshotParts } from '../../../hub/engine/snapshots';
import { memoryLogger } from '../../../hub/log';
import type { Body, HubMessage, Position, SnapshotMsg } from '../../../hub/protocol';
import { ACCOUNTS } from './harness';

const pos = (n: number): Position => ({
  ticket: String(n), position: String(n), symbol: 'EURUSD', side: 'buy', volume: 0.1, price_open: 1.1, sl: 0, tp: 0, magic: 0, comment: '', time_ms: 1,
});

let seq = 0;
function part(id: string, partNo: number, parts: number, positions: Position[], extra: Partial<SnapshotMsg> = {}): SnapshotMsg {
  return { v: 1, type: 'snapshot', account: 'M1', seq: ++seq, ts: 1000 + seq, snapshot_id: id, part: partNo, parts, positions, margin_mode: 'hedging', ...extra };
}

describe('SnapshotParts', () => {
  const order = () => 7;

  it('assembles parts that arrive out of order, positions in part order, as old as the earliest part', () => {
    const sp = new SnapshotParts(5000);
    const p2 = part('a', 2, 3, [pos(3), pos(4)]);
    const p1 = part('a', 1, 3, [pos(1), pos(2)]);
    const p3 = part('a', 3, 3, [pos(5)]);
    expect(sp.add(p2, 0, order)).toEqual({ kind: 'waiting', missing: 2, superseded: undefined });
    expect(sp.add(p3, 0, () => 99)).toMatchObject({ kind: 'waiting', missing: 1 });
    const r = sp.add(p1, 0, () => 99);
    expect(r.kind).toBe('complete');
    if (r.kind !== 'complete') return;
    expect(r.snapshot.positions.map((p) => p.position)).toEqual(['1', '2', '3', '4', '5']);
    expect(r.snapshot.ts).toBe(Math.min(p1.ts, p2.ts, p3.ts));
    expect(r.order).toBe(7); // the order of the first part that arrived
    expect(sp.incomplete).toBe(0);
  });

  it('never completes a snapshot with a part missing, and reports it when the timeout passes', () => {
    const sp = new SnapshotParts(5000);
    sp.add(part('b', 1, 3, [pos(1)]), 1000, order);
    sp.add(part('b', 3, 3, [pos(3)]), 2000, order);
    expect(sp.expire(6999)).toEqual([]);
    expect(sp.expire(7000)).toEqual([{ account: 'M1', id: 'b', missing: [2] }]);
    expect(sp.incomplete).toBe(0);
    // the missing part arriving late starts a new snapshot that can never complete alone
    expect(sp.add(part('b', 2, 3, [pos(2)]), 7100, order)).toMatchObject({ kind: 'waiting', missing: 2 });
  });

  it('counts a repeated part once', () => {
    const sp = new SnapshotParts(5000);
    sp.add(part('c', 1, 2, [pos(1)]), 0, order);
    expect(sp.add(part('c', 1, 2, [pos(9)]), 0, order)).toMatchObject({ kind: 'ignored', reason: 'part 1 of snapshot c again' });
    const r = sp.add(part('c', 2, 2, [pos(2)]), 0, order);
    expect(r.kind === 'complete' && r.snapshot.positions.map((p) => p.position)).toEqual(['1', '2']);
    // and a part repeated after completion does not start the same snapshot again
    expect(sp.add(part('c', 2, 2, [pos(2)]), 0, order)).toMatchObject({ kind: 'ignored' });
    expect(sp.incomplete).toBe(0);
  });

  it('drops an incomplete snapshot when a newer one starts', () => {
    const sp = new SnapshotParts(5000);
    sp.add(part('old', 1, 2, [pos(1)]), 0, order);
    expect(sp.add(part('new', 1, 2, [pos(5)]), 0, order)).toMatchObject({ kind: 'waiting', superseded: 'old' });
    const r = sp.add(part('new', 2, 2, [pos(6)]), 0, order);
    expect(r.kind === 'complete' && r.snapshot.positions.map((p) => p.position)).toEqual(['5', '6']);
  });

  it('forgets a terminal\'s parts when it starts a new session: a restarted EA may use an id again', () => {
    const sp = new SnapshotParts(5000);
    sp.add(part('f', 1, 1, [pos(1)]), 0, order);
    sp.add(part('g', 1, 2, [pos(1)]), 0, order);
    sp.forget('M1');
    expect(sp.incomplete).toBe(0);
    expect(sp.add(part('f', 1, 1, [pos(2)]), 0, order).kind).toBe('complete');
  });

  it('refuses parts that cannot belong to a snapshot', () => {
    const sp = new SnapshotParts(5000);
    expect(sp.add(part('d', 3, 2, []), 0, order)).toMatchObject({ kind: 'ignored', reason: 'snapshot d: part 3 of 2 does not exist' });
    expect(sp.add(part('d', 1, 2, [], { part: undefined }), 0, order)).toMatchObject({ kind: 'ignored' });
    expect(sp.add(part('d', 1, 1000, []), 0, order)).toMatchObject({ kind: 'ignored' });
    sp.add(part('e', 1, 2, []), 0, order);
    expect(sp.add(part('e', 2, 3, []), 0, order)).toMatchObject({ kind: 'ignored', reason: 'snapshot e: part 2 says 3 parts, earlier parts said 2; dropped' });
    expect(sp.incomplete).toBe(0);
  });
});

describe('Engine with snapshots in parts', () => {
  function engine() {
    const sent: { to: string; body: Body<HubMessage> }[] = [];
    const clock = { now: 1_700_000_000_000 };
    const log = memoryLogger('debug');
    const e = new Engine({
      config: makeConfig({ store: 'memory', commandTtlMs: 5000, resendMs: 500, heartbeatMs: 100_000 }),
      send: (to, body) => sent.push({ to, body }),
      ledger: { trade: () => undefined, event: () => undefined },
      log,
      now: () => clock.now,
    });
    e.setAccounts(ACCOUNTS);
    let n = 0;
    const env = (account: string) => ({ v: 1 as const, account, seq: ++n, ts: clock.now });
    e.handle({ ...env('M1'), type: 'hello', login: 1, server: 's', broker: 'b', currency: 'USD', margin_mode: 'hedging', ea_version: '1' });
    e.handle({ ...env('M1'), type: 'symbols', replace: true, symbols: [] });
    const snap = (id: string, partNo: number, parts: number, positions: Position[]) => e.handle({ ...env('M1'), type: 'snapshot', snapshot_id: id, part: partNo, parts, positions });
    return { e, sent, clock, log, snap };
  }

  it('says why a part is ignored, a few times per terminal, not once per message', () => {
    const { log, snap } = engine();
    for (let i = 0; i < 50; i++) snap(`bad${i}`, 3, 2, []);
    const lines = log.lines.filter((l) => /^snapshot part from M1 ignored: snapshot bad\d+: part 3 of 2 does not exist$/.test(l.message));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(log.lines.some((l) => /further warnings \(snapshot part\) from M1 are suppressed/.test(l.message))).toBe(true);
  });

  it('reconciles a master only when the snapshot is whole, and asks again for one left incomplete', () => {
    const { e, sent, clock, log, snap } = engine();
    snap('s1', 2, 2, [pos(3)]);
    expect(e.status().masterPositions).toHaveLength(0);
    snap('s1', 1, 2, [pos(1), pos(2)]);
    expect(e.status().masterPositions.filter((p) => p.open).map((p) => p.position).sort()).toEqual(['1', '2', '3']);

    // a later snapshot whose second part never comes changes nothing, and is asked for again
    snap('s2', 1, 2, [pos(1)]);
    clock.now += 4999;
    e.tick(clock.now);
    expect(sent.filter((s) => s.body.type === 'snapshot_request')).toHaveLength(0);
    clock.now += 1;
    e.tick(clock.now);
    expect(sent.filter((s) => s.to === 'M1' && s.body.type === 'snapshot_request')).toHaveLength(1);
    expect(log.lines.some((l) => /snapshot s2 of M1 is incomplete \(part 2 missing for 5000 ms\): asking again/.test(l.message))).toBe(true);
    // the part alone would have closed 2 and 3
    expect(e.status().masterPositions.filter((p) => p.open).map((p) => p.position).sort()).toEqual(['1', '2', '3']);
  });
});
