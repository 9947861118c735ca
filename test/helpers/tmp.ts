/** Temporary folders that remove themselves: `using`-free, so they work in every jest hook. */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const made = new Set<string>();
let hooked = false;

/**
 * A fresh folder under the OS temp dir. Removed by `removeTempDirs()` and, as a safety net, when
 * the process exits (jest runs each file in its own worker).
 */
export function tempDir(prefix = 'copybridge-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', removeTempDirs);
  }
  return dir;
}

/** Removes one folder made by tempDir (or every one when called without an argument). */
export function removeTempDirs(dir?: string): void {
  for (const d of dir ? [dir] : [...made]) {
    rmSync(d, { recursive: true, force: true });
    made.delete(d);
  }
}
