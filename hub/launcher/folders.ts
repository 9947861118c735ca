/**
 * MetaTrader 5 data folders. An installed terminal keeps its data in
 * %APPDATA%\MetaQuotes\Terminal\<id>\, whose origin.txt names the installation folder; a terminal
 * started with /portable keeps it in its installation folder.
 */
import { existsSync, readdirSync, readFileSync } from 'fs';
import { dirname, join } from 'path';

export interface DataFolder {
  /** The folder holding MQL5\ (and origin.txt unless portable). */
  dir: string;
  /** The installation folder the terminal runs from (origin.txt, or the folder itself when portable). */
  origin: string;
  portable: boolean;
}

/** Text of origin.txt: MetaTrader writes it in UTF-16LE with a byte order mark. */
export function readOrigin(file: string): string {
  const buf = readFileSync(file);
  const text = buf[0] === 0xff && buf[1] === 0xfe ? buf.subarray(2).toString('utf16le') : buf.toString('utf8').replace(/^\uFEFF/, '');
  return text.trim();
}

/** %APPDATA%\MetaQuotes\Terminal, or undefined when APPDATA is not set (not Windows). */
export function terminalsRoot(appData = process.env.APPDATA): string | undefined {
  return appData ? join(appData, 'MetaQuotes', 'Terminal') : undefined;
}

/** Every installed terminal's data folder under the root (folders with origin.txt and MQL5\). */
export function installedDataFolders(root: string | undefined): DataFolder[] {
  if (!root || !existsSync(root)) return [];
  const out: DataFolder[] = [];
  for (const id of readdirSync(root).sort()) {
    const dir = join(root, id);
    const origin = join(dir, 'origin.txt');
    if (!existsSync(origin) || !existsSync(join(dir, 'MQL5'))) continue;
    out.push({ dir, origin: readOrigin(origin), portable: false });
  }
  return out;
}

/** Windows paths compare without case and whichever slash; a trailing slash does not count. */
export function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/[\\/]+/g, '/').replace(/\/$/, '').toLowerCase();
  return norm(a) === norm(b);
}

/** The installation folder of a terminal64.exe path (either slash, as the account was typed). */
export function installFolder(exe: string): string {
  const i = Math.max(exe.lastIndexOf('\\'), exe.lastIndexOf('/'));
  return i > 0 ? exe.slice(0, i) : dirname(exe);
}

/** The data folder a terminal started from `exe` uses, or undefined when it has none yet. */
export function dataFolderOf(exe: string, portable: boolean, installed: readonly DataFolder[]): DataFolder | undefined {
  const origin = installFolder(exe);
  if (portable) return { dir: origin, origin, portable: true };
  return installed.find((f) => samePath(f.origin, origin));
}
