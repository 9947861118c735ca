/** The hub's version: the root package.json is the single source of it. */
import { existsSync, readFileSync } from 'fs';
import { dirname, join } from 'path';

/** The nearest package.json above this file: hub/ when run from the sources, dist/hub/ when built. */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

export const VERSION = packageVersion();
