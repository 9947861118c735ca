import { BoundedMap, BoundedSet } from '../../hub/bounded';

describe('BoundedSet', () => {
  it('keeps the last `max` members added and forgets the oldest first', () => {
    const s = new BoundedSet<string>(3);
    for (const v of ['a', 'b', 'c', 'b', 'd']) s.add(v);
    expect(s.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((v) => s.has(v))).toEqual([false, true, true, true]);
    s.add('e');
    expect(['b', 'c', 'd', 'e'].map((v) => s.has(v))).toEqual([false, true, true, true]);
  });

  it('forgets in order through many turns of its ring', () => {
    const s = new BoundedSet<string>(10_000);
    for (let i = 0; i < 210_000; i++) s.add(`id-${i}`);
    expect(s.size).toBe(10_000);
    expect([209_999, 200_000, 199_999, 100].map((i) => s.has(`id-${i}`))).toEqual([true, true, false, false]);
  });
});

describe('BoundedMap', () => {
  it('keeps the last `max` keys set, updates in place, and deletes', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2).set('a', 3);
    expect([m.get('a'), m.get('b'), m.size]).toEqual([3, 2, 2]);
    m.set('c', 4);
    expect([m.has('a'), m.get('b'), m.get('c')]).toEqual([false, 2, 4]);
    expect(m.delete('b')).toBe(true);
    m.set('d', 5);
    expect([m.has('c'), m.get('d'), m.size]).toEqual([true, 5, 2]);
  });
});
