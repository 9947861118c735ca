/**
 * `hub install-ea`: copies the EA source, its includes and the DLL into the MQL5 folder of every
 * chosen MetaTrader 5 terminal. The plan is computed first (what goes where, what changes), so
 * --dry-run shows exactly what a real run does.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'fs';
import { dirname, join } from 'path';
import type { Account } from '../accounts';
import { NotFoundError } from '../errors';
import { dataFolderOf, installedDataFolders, type DataFolder } from './folders';

/** One file of the EA, and where it goes below a data folder (MQL5\...). */
export interface EaFile {
  from: string;
  /** Relative to the data folder, with / (shown with \ to the user). */
  to: string;
}

/**
 * The EA's files: from the bundle's MQL5 tree (beside the hub's folder) or from a source checkout
 * (mql5/, include/, build/bridge/windows/). `from` overrides both with a folder holding an MQL5 tree.
 */
export function eaFiles(packageRoot: string, from?: string): { files: EaFile[]; source: string } {
  const trees = from ? [join(from, 'MQL5'), from] : [join(packageRoot, '..', 'MQL5'), join(packageRoot, 'MQL5')];
  for (const tree of trees) {
    if (existsSync(join(tree, 'Experts', 'CopyBridge.mq5'))) {
      return { files: collect(join(tree, 'Experts', 'CopyBridge.mq5'), join(tree, 'Include', 'CopyBridge'), join(tree, 'Libraries', 'copybridge.dll')), source: tree };
    }
  }
  const expert = join(packageRoot, 'mql5', 'Experts', 'CopyBridge.mq5');
  if (!from && existsSync(expert)) {
    return { files: collect(expert, join(packageRoot, 'include', 'CopyBridge'), join(packageRoot, 'build', 'bridge', 'windows', 'copybridge.dll')), source: packageRoot };
  }
  throw new NotFoundError(`no CopyBridge EA files in ${trees.join(' or ')}`, 'run this from the unpacked CopyBridge bundle, or pass --from with the folder holding its MQL5 tree');
}

function collect(expert: string, includeDir: string, dll: string): EaFile[] {
  for (const [what, p, fix] of [
    ['include folder', includeDir, 'the bundle is incomplete: unzip it again'],
    ['bridge DLL', dll, 'build it with: npm run build:bridge (or use the bundle, which has it)'],
  ] as const) {
    if (!existsSync(p)) throw new NotFoundError(`the ${what} ${p} is missing`, fix);
  }
  const includes = readdirSync(includeDir).filter((f) => f.endsWith('.mqh')).sort();
  return [
    { from: expert, to: 'MQL5/Experts/CopyBridge.mq5' },
    ...includes.map((f) => ({ from: join(includeDir, f), to: `MQL5/Include/CopyBridge/${f}` })),
    { from: dll, to: 'MQL5/Libraries/copybridge.dll' },
  ];
}

/**
 * The terminals to install into: every installed terminal's data folder plus the portable ones
 * the accounts name; `only` keeps those whose folder id or installation path contains one of its
 * words (case-insensitive).
 */
export function chooseTerminals(installed: readonly DataFolder[], accounts: readonly Account[], only: readonly string[] = []): DataFolder[] {
  const all = [...installed];
  for (const a of accounts) {
    if (!a.path || !a.portable) continue;
    const f = dataFolderOf(a.path, true, installed);
    if (f && existsSync(f.dir) && !all.some((x) => x.dir === f.dir)) all.push(f);
  }
  if (!only.length) return all;
  const match = (f: DataFolder, w: string) => [f.dir, f.origin].some((s) => s.toLowerCase().includes(w.toLowerCase()));
  const unknown = only.filter((w) => !all.some((f) => match(f, w)));
  if (unknown.length) {
    throw new NotFoundError(
      `no terminal matches ${unknown.map((w) => JSON.stringify(w)).join(', ')}`,
      `found: ${all.map((f) => `${f.dir} (${f.origin})`).join('; ') || 'none'}`,
    );
  }
  return all.filter((f) => only.some((w) => match(f, w)));
}

export type CopyState = 'new' | 'replaced' | 'unchanged';

export interface PlannedCopy {
  from: string;
  to: string;
  state: CopyState;
}

export function installPlan(terminals: readonly DataFolder[], files: readonly EaFile[]): { terminal: DataFolder; copies: PlannedCopy[] }[] {
  return terminals.map((terminal) => ({
    terminal,
    copies: files.map((f) => {
      const to = join(terminal.dir, ...f.to.split('/'));
      const state: CopyState = !existsSync(to) ? 'new' : readFileSync(to).equals(readFileSync(f.from)) ? 'unchanged' : 'replaced';
      return { from: f.from, to, state };
    }),
  }));
}

export function applyPlan(plan: ReturnType<typeof installPlan>): number {
  let n = 0;
  for (const { copies } of plan) {
    for (const c of copies) {
      if (c.state === 'unchanged') continue;
      mkdirSync(dirname(c.to), { recursive: true });
      copyFileSync(c.from, c.to);
      n++;
    }
  }
  return n;
}

export { installedDataFolders };
