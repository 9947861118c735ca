/** The hub's version: the root package.json is the single source of it. */
import { existsSync, readFileSync } from 'fs';
import { dirname, join } from 'path';

/** The folder of the nearest package.json above this file: hub/ when run from the sources, dist/hub/ when built. */
function packageRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** The repository (or, in the Windows bundle, the hub's folder app\). */
export const PACKAGE_ROOT = packageRoot();

export const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
