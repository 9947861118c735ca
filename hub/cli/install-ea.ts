/** `hub install-ea`: says which terminals it found, what it copies where, and what to do next. */
import type { Account } from '../accounts';
import { NotFoundError } from '../errors';
import { terminalsRoot } from '../launcher/folders';
import { applyPlan, chooseTerminals, eaFiles, installedDataFolders, installPlan } from '../launcher/install';
import { PACKAGE_ROOT } from '../version';
import type { Io } from './main';

export interface InstallEaOptions {
  accounts: readonly Account[];
  dryRun?: boolean;
  only?: string[];
  from?: string;
  appData?: string;
}

const win = (p: string) => p.replace(/\//g, '\\');

export function runInstallEa(o: InstallEaOptions, io: Io): void {
  const root = terminalsRoot(o.appData);
  const { files, source } = eaFiles(PACKAGE_ROOT, o.from);
  const terminals = chooseTerminals(installedDataFolders(root), o.accounts, o.only);
  if (!terminals.length) {
    throw new NotFoundError(
      `no MetaTrader 5 data folder found under ${root ?? '%APPDATA%\\MetaQuotes\\Terminal (APPDATA is not set)'} and no portable terminal among the accounts`,
      'start each terminal once (it creates its data folder), or register a portable one: hub accounts set NAME --path "C:\\...\\terminal64.exe" --portable true',
    );
  }
  io.out(`found ${terminals.length} MetaTrader 5 terminal${terminals.length > 1 ? 's' : ''}:`);
  for (const t of terminals) io.out(`  ${t.dir}  (${t.portable ? 'portable' : 'installation'}: ${t.origin})`);
  io.out(`EA files from ${source}`);
  const plan = installPlan(terminals, files);
  for (const { terminal, copies } of plan) {
    io.out(`${o.dryRun ? 'would copy into' : 'copying into'} ${terminal.dir}:`);
    for (const c of copies) io.out(`  ${win(c.to.slice(terminal.dir.length + 1)).padEnd(44)} ${c.state === 'unchanged' ? 'unchanged (same file)' : c.state}`);
  }
  if (o.dryRun) {
    io.out('dry run: nothing copied; run again without --dry-run to copy');
    return;
  }
  const n = applyPlan(plan);
  io.out(`copied ${n} file${n === 1 ? '' : 's'}.`);
  io.out('next, in each terminal:');
  io.out('  1. open MetaEditor (F4), open Experts\\CopyBridge.mq5 and compile it once (F7): it must end with 0 errors;');
  io.out('  2. Tools > Options > Expert Advisors: tick "Allow algorithmic trading" and "Allow DLL imports";');
  io.out('  3. attach CopyBridge to one chart (docs/install-windows.md), or let the hub do it: hub start --launch.');
}
