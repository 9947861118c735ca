import type { Account } from '../../../hub/accounts';
import { Roster, follows, roleOf } from '../../../hub/engine/roster';
import { copyComment } from '../../../hub/engine/tag';
import { memoryLogger } from '../../../hub/log';
import type { Position } from '../../../hub/protocol';

const accounts: Account[] = [
  { name: 'M1', type: 'MASTER', enabled: true },
  { name: 'M2', type: 'MASTER', enabled: false },
  { name: 'S1', type: 'SLAVE', enabled: true },
  { name: 'S2', type: 'SLAVE', enabled: false, follows: ['M2'] },
];

const position = (extra: Partial<Position>): Position => ({
  ticket: '9', position: '9', symbol: 'EURUSD', side: 'buy', volume: 1, price_open: 1.1, sl: 0, tp: 0, magic: 20250, comment: '', time_ms: 0, ...extra,
});

describe('roleOf', () => {
  it('keeps a disabled master a master (its closes are still mirrored); a disabled slave is disabled', () => {
    expect(accounts.map(roleOf)).toEqual(['master', 'master', 'slave', 'disabled']);
    expect(roleOf(undefined)).toBe('disabled');
  });
});

describe('Roster', () => {
  it('reports the accounts whose type or enabled flag changed, and logs additions and removals', () => {
    const log = memoryLogger('debug');
    const r = new Roster(log);
    expect(r.set(accounts)).toEqual([]);
    expect(r.set([{ ...accounts[0], enabled: false }, accounts[1], { ...accounts[2], type: 'MASTER' }])).toEqual(['M1', 'S1']);
    expect(log.lines.map((l) => l.message)).toEqual(
      expect.arrayContaining(['account M1 is now MASTER (disabled)', 'account S1 is now MASTER', 'account S2 removed', 'account M1 loaded (MASTER)']),
    );
    expect(r.get('S2')).toBeUndefined();
    expect(r.role('S1')).toBe('master');
  });

  it('lists the slaves that follow a master', () => {
    const r = new Roster(memoryLogger('debug'));
    r.set(accounts);
    expect(r.followersOf('M1').map((a) => a.name)).toEqual(['S1']);
    expect(r.followersOf('M2').map((a) => a.name)).toEqual(['S1', 'S2']);
    expect(follows(accounts[3], 'M1')).toBe(false);
  });

  it('finds the master position a slave position copies, from the EA or from the comment', () => {
    const r = new Roster(memoryLogger('debug'));
    r.set(accounts);
    expect(r.masterOf(position({ master: 'M1', master_position: '500', magic: 1 }), 20250)).toEqual({ master: 'M1', masterPosition: '500' });
    expect(r.masterOf(position({ comment: copyComment('M2', '77') }), 20250)).toEqual({ master: 'M2', masterPosition: '77' });
    // The EA names a slave as master: the comment decides.
    expect(r.masterOf(position({ master: 'S1', master_position: '1', comment: copyComment('M1', '5') }), 20250)).toEqual({ master: 'M1', masterPosition: '5' });
    expect(r.masterOf(position({ comment: copyComment('M1', '5'), magic: 1 }), 20250)).toBeUndefined();
    expect(r.masterOf(position({ comment: copyComment('Gone', '5') }), 20250)).toBeUndefined();
    expect(r.masterOf(position({ comment: 'manual trade' }), 20250)).toBeUndefined();
  });
});
