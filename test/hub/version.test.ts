import { readFileSync } from 'fs';
import { join } from 'path';
import { HUB_VERSION } from '../../hub/engine';
import { VERSION } from '../../hub/version';

describe('VERSION', () => {
  it('is the version of the root package.json, also as HUB_VERSION', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(HUB_VERSION).toBe(VERSION);
  });
});
