/** The blackout file of the hub config: read at start, re-read on change, mistakes reported without losing the events in force. */
import { rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { BlackoutFile } from '../../hub/blackouts';
import { memoryLogger } from '../../hub/log';
import { removeTempDirs, tempDir } from '../helpers';

afterAll(() => removeTempDirs());

describe('BlackoutFile', () => {
  it('re-reads only a changed file, keeps the old events over a mistake or a missing file, and says so once', () => {
    const file = join(tempDir('cb-blackouts-'), 'news.csv');
    writeFileSync(file, '2026-12-04T13:30Z,USD,2,2,NFP\n');
    const log = memoryLogger('debug');
    const b = new BlackoutFile(file, log);
    expect(b.load().map((e) => e.title)).toEqual(['NFP']);
    expect(b.reloadIfChanged()).toBeUndefined();

    writeFileSync(file, '2026-12-04T13:30Z,USD,2\n');
    expect(b.reloadIfChanged()).toBeUndefined();
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      `blackouts: ${file} line 1: expected time,targets,minutes_before,minutes_after[,title[,zone]], got 3 fields; the events read before stay in force until the file is fixed`,
    ]);
    expect(b.reloadIfChanged()).toBeUndefined();

    rmSync(file);
    expect(b.reloadIfChanged()).toBeUndefined();
    expect(b.reloadIfChanged()).toBeUndefined();
    expect(log.lines.filter((l) => /cannot read/.test(l.message))).toHaveLength(1);

    writeFileSync(file, '2026-12-05T13:30Z,EUR,1,1,ECB\n2026-12-06T13:30Z,*,1,1,All\n');
    expect(b.reloadIfChanged()?.map((e) => e.title)).toEqual(['ECB', 'All']);
  });

  it('refuses a file it cannot read at start, saying what to do', () => {
    const b = new BlackoutFile(join(tempDir('cb-blackouts-'), 'missing.csv'), memoryLogger('debug'));
    expect(() => b.load()).toThrow(expect.objectContaining({ code: 'E_CONFIG', hint: expect.stringMatching(/fix the path in blackoutFile \(COPYBRIDGE_BLACKOUT_FILE\)/) }));
  });
});
