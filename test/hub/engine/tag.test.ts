import { copyComment, masterTag, parseCopyComment } from '../../../hub/engine';
import { Open, type OpenMsg } from '../../../hub/protocol';

describe('copy comment', () => {
  it('is FNV-1a based, short, and parses back', () => {
    // FNV-1a 32 of "a" is 0xe40c292c; the tag keeps the low 16 bits.
    expect(masterTag('a')).toBe('292c');
    const c = copyComment('FTMO-Master', '18446744073709551615');
    expect(c.length).toBeLessThanOrEqual(31);
    expect(parseCopyComment(c)).toEqual({ tag: masterTag('FTMO-Master'), masterPosition: '18446744073709551615' });
    expect(parseCopyComment('so 45%')).toBeUndefined();
  });
});

describe('protocol example', () => {
  it('uses the real tag of its master in the documented open command', () => {
    const example = Open.example as unknown as OpenMsg;
    expect(example.comment).toBe(copyComment(example.master, example.master_position));
  });
});
