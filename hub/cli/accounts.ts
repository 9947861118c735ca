/**
 * The copy-policy side of `hub accounts`: the flags of every policy setting (for the slave, or for
 * one followed master with --for-master), --unset, `accounts show`, `export` and `import`.
 */
import { readFileSync, writeFileSync } from 'fs';
import { extname } from 'path';
import type { Argv } from 'yargs';
import { checkAmong, validateAccount, type Account } from '../accounts';
import { effective, POLICY_FIELDS, POLICY_KEYS, type CopyPolicy } from '../accounts/policy';
import type { HubConfig } from '../config';
import { MASTER_OFFLINE_GRACE_MS } from '../engine/converge';
import { propHedging } from '../engine/plan';
import { AccountError, UsageError } from '../errors';
import { CLI } from '../hints';
import type { Store } from '../ledger/types';
import { describeProtection } from '../accounts/protection';

/** List-valued policy flags: repeatable, each value may be a comma-separated list. */
const LIST_KEYS: readonly (keyof CopyPolicy)[] = ['symbols_include', 'symbols_exclude', 'magic_include', 'magic_exclude'];

const pad = (s: string, n: number) => (s.length >= n ? s + ' ' : s.padEnd(n));
const show = (v: unknown): string => {
  if (v === undefined) return '-';
  if (Array.isArray(v)) return v.join(',');
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${show(x)}`).join(',');
  return typeof v === 'string' ? v : JSON.stringify(v);
};

/** The flags of every policy setting, described from POLICY_FIELDS; values are checked by validateAccount. */
export function policyOptions<T>(y: Argv<T>): Argv<T> {
  let out = y
    .option('for-master', { type: 'string', describe: 'slave: the policy flags that follow apply to copies of this master only (an override)' })
    .option('unset', { type: 'string', array: true, describe: 'fields back to their default, e.g. --unset max_lot symbol_multipliers.XAUUSD masters.FTMO-1 (with --for-master: in that override)' })
    .option('firm', { type: 'string', describe: 'prop firm of the account (e.g. FTMO); marks it as a prop account (reverse copying between two of them is refused unless allowed)' });
  for (const k of POLICY_KEYS) {
    const { flag, doc, default: d } = POLICY_FIELDS[k];
    // volume-mode, -multiplier and -fixed are declared with the account options already.
    if (k === 'volume_mode' || k === 'volume_multiplier' || k === 'volume_fixed') continue;
    const describe = `${doc}${d === undefined ? '' : ` (default ${show(d)})`}`;
    const array = LIST_KEYS.includes(k) || k === 'symbol_multipliers';
    out = out.option(flag.slice(2), { type: 'string', array, describe });
  }
  return out;
}

export type PolicyArgs = Record<string, unknown> & { 'for-master'?: string; unset?: string[]; firm?: string };

/** Applies the policy flags to an account record (a plain object, validated afterwards). */
export function applyPolicyArgs(next: Record<string, unknown>, a: PolicyArgs): void {
  if (a.firm !== undefined) next.firm = a.firm;
  const master = a['for-master'];
  let target = next;
  if (master !== undefined) {
    const masters = { ...((next.masters as Record<string, Record<string, unknown>> | undefined) ?? {}) };
    target = masters[master] = { ...(masters[master] ?? {}) };
    next.masters = masters;
  }
  for (const k of POLICY_KEYS) {
    const v = a[POLICY_FIELDS[k].flag.slice(2)];
    if (v === undefined) continue;
    if (k === 'symbol_multipliers') {
      const map = { ...((target.symbol_multipliers as Record<string, unknown> | undefined) ?? {}) };
      for (const entry of v as string[]) {
        const m = /^([^=]+)=(.*)$/.exec(entry);
        if (!m) throw new AccountError(`--symbol-multiplier ${entry} is not SYMBOL=FACTOR`, 'e.g. --symbol-multiplier XAUUSD=0.5 (patterns too: --symbol-multiplier "US30*=0.1")');
        map[m[1]] = m[2];
      }
      target.symbol_multipliers = map;
    } else if (v === '' && typeof target[k] !== 'number') {
      // A bare boolean flag (--reverse) means true; validateAccount says what else is wrong.
      target[k] = true;
    } else target[k] = v;
  }
  for (const path of a.unset ?? []) unset(master !== undefined ? target : next, path, master);
  if (master !== undefined && !Object.keys(target).length) delete (next.masters as Record<string, unknown>)[master];
}

/** Removes a field (or one entry of a map field: symbol_multipliers.XAUUSD, symbol_map.US30, masters.NAME). */
function unset(target: Record<string, unknown>, path: string, master: string | undefined): void {
  const dot = path.indexOf('.');
  const [field, key] = dot < 0 ? [path, undefined] : [path.slice(0, dot), path.slice(dot + 1)];
  const maps = master === undefined ? ['symbol_multipliers', 'symbol_map', 'masters'] : ['symbol_multipliers'];
  const known: readonly string[] = master === undefined ? [...POLICY_KEYS, 'firm', 'masters', 'suffix', 'prefix', 'symbol_map', 'slippage_tolerance', 'follows', 'max_delay_ms', 'master_offline', 'master_offline_grace_ms', 'path'] : POLICY_KEYS;
  if (!known.includes(field) || (key !== undefined && !maps.includes(field))) {
    throw new UsageError(
      `--unset ${path}: ${master !== undefined ? `a setting for master ${master}` : 'a field'} that can be unset is one of ${known.join(', ')}${maps.length ? `, or an entry of ${maps.join(', ')} (e.g. ${maps[0]}.XAUUSD)` : ''}`,
      `see the fields with: ${CLI} accounts show NAME`,
    );
  }
  if (key === undefined) {
    if (target[field] === undefined) {
      throw new UsageError(`--unset ${path}: ${field} is not set${master !== undefined ? ` for master ${master}` : ''}`, `see where it is set with: ${CLI} accounts show NAME (settings for one master need --for-master NAME)`);
    }
    delete target[field];
    return;
  }
  const map = { ...((target[field] as Record<string, unknown> | undefined) ?? {}) };
  if (!(key in map)) throw new UsageError(`--unset ${path}: ${field} has no entry ${key}`, `see: ${CLI} accounts show NAME`);
  delete map[key];
  target[field] = map;
}

/** Every setting of an account in force, defaults marked; a slave's overrides per master after. */
export function describeAccount(a: Account, config: Pick<HubConfig, 'defaultSlippagePoints' | 'maxDelayMs'>): string[] {
  const lines = [`${a.name}: ${a.type}, ${a.enabled ? 'enabled' : 'DISABLED'}${a.close_only ? ', CLOSE-ONLY' : ''}`];
  const row = (k: string, v: unknown, isDefault: boolean, what = '') => lines.push(`  ${pad(k, 24)}${pad(show(v), 28)}${isDefault ? '(default)' : what}`.trimEnd());
  const field = <K extends keyof Account>(k: K, d: unknown) => row(k, a[k] ?? d, a[k] === undefined);
  field('firm', undefined);
  field('path', undefined);
  if (a.type === 'MASTER') {
    field('prefix', undefined);
    field('suffix', undefined);
    return lines;
  }
  lines.push(' symbols');
  field('prefix', undefined);
  field('suffix', undefined);
  field('symbol_map', undefined);
  field('slippage_tolerance', config.defaultSlippagePoints);
  lines.push(' copying');
  row('follows', a.follows ?? 'all masters', a.follows === undefined);
  field('close_only', false);
  field('max_delay_ms', config.maxDelayMs);
  field('master_offline', 'keep');
  field('master_offline_grace_ms', MASTER_OFFLINE_GRACE_MS);
  lines.push(' policy (every master unless overridden below)');
  for (const k of POLICY_KEYS) {
    const e = effective(a, k);
    row(k, e.value, e.isDefault);
  }
  for (const [m, o] of Object.entries(a.masters ?? {})) {
    lines.push(` policy for master ${m} (the rest as above)`);
    for (const k of POLICY_KEYS) if (o[k] !== undefined) row(k, o[k], false, `(slave: ${show(effective(a, k).value)})`);
  }
  lines.push(' protection and schedule (accounts protect / set; docs/protection.md)');
  if (!a.protection && !a.schedule) lines.push('  none (default)');
  else for (const l of describeProtection(a.protection, a.schedule)) lines.push(`  ${l}`);
  return lines;
}

/** The same as JSON: each setting's value in force and whether it is the default. */
export function accountJson(a: Account): Record<string, unknown> {
  const settings: Record<string, { value: unknown; default: boolean }> = {};
  for (const k of POLICY_KEYS) {
    const e = effective(a, k);
    settings[k] = { value: e.value ?? null, default: e.isDefault };
  }
  return { account: a, policy: settings, masters: a.masters ?? {} };
}

/** Accounts as a document of the given format (JSON, or YAML by the `yaml` package). */
export function exportAccounts(accounts: Account[], format: 'json' | 'yaml'): string {
  const doc = { accounts };
  return format === 'json' ? JSON.stringify(doc, null, 2) : yamlModule().stringify(doc);
}

/** The accounts of an export file: `{accounts: [...]}` or a bare list, JSON or YAML by extension. */
export function parseAccountsFile(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`, `name a file written by: ${CLI} accounts export --out FILE`);
  }
  const yaml = /^\.ya?ml$/i.test(extname(file));
  let doc: unknown;
  try {
    doc = yaml ? yamlModule().parse(text) : JSON.parse(text);
  } catch (e) {
    throw new AccountError(`${file} is not ${yaml ? 'YAML' : 'JSON'}: ${(e as Error).message}`, `fix the file (${yaml ? '.yaml/.yml files are read as YAML' : 'files other than .yaml/.yml are read as JSON'})`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { accounts?: unknown } | null)?.accounts;
  if (!Array.isArray(list)) throw new AccountError(`${file} holds no list of accounts`, 'write {"accounts": [{"name": ..., "type": ...}, ...]} or a bare list, as accounts export does');
  return list;
}

/**
 * Validates every record of an import and the set as a whole (names unique); throws one
 * AccountError listing every problem, so nothing is written unless all are good.
 */
export function validateImport(list: unknown[], file: string, stored: readonly Account[] = []): Account[] {
  const out: Account[] = [];
  const found: { i: number; text: string }[] = [];
  const seen = new Set<string>();
  const at = new Map<Account, number>();
  const problem = (i: number, e: unknown) => {
    if (!(e instanceof AccountError)) throw e;
    found.push({ i, text: `#${i + 1}: ${e.message}${e.hint ? ` (${e.hint})` : ''}` });
  };
  list.forEach((doc, i) => {
    try {
      const a = validateAccount(doc, { strict: true });
      if (seen.has(a.name)) throw new AccountError(`account ${a.name} appears twice`);
      seen.add(a.name);
      out.push(a);
      at.set(a, i);
    } catch (e) {
      problem(i, e);
    }
  });
  // Against the accounts there will be: the stored ones, replaced by those of the file.
  const after = [...stored.filter((s) => !seen.has(s.name)), ...out];
  for (const a of out) {
    try {
      checkAmong(a, after);
    } catch (e) {
      problem(at.get(a)!, e);
    }
  }
  const problems = found.sort((x, y) => x.i - y.i).map((p) => p.text);
  if (problems.length) {
    throw new AccountError(`${file}: ${problems.length} of ${list.length} accounts are invalid, nothing was imported:\n  ${problems.join('\n  ')}`, `fix them in ${file} and import again`);
  }
  return out;
}

/** Why copies between this account and the others would be refused by the prop-firm reverse rule. */
export function propWarnings(a: Account, all: readonly Account[]): string[] {
  const out: string[] = [];
  const slaves = a.type === 'SLAVE' ? [a] : all.filter((s) => s.type === 'SLAVE' && (!s.follows?.length || s.follows.includes(a.name)));
  for (const s of slaves) {
    const masters = s === a ? all.filter((m) => m.type === 'MASTER' && (!s.follows?.length || s.follows.includes(m.name))) : [a];
    for (const m of masters) {
      const link = { ...s, ...(s.masters?.[m.name] ?? {}) };
      const why = link.reverse ? propHedging(m, link) : undefined;
      if (why) out.push(`copies of ${m.name} on ${s.name} will be refused: ${why}`);
    }
  }
  return out;
}

type AccountsArgs = { format?: string; out?: string; file?: string; 'dry-run'?: boolean; json?: boolean; name?: string };

/** `accounts show`, `export` and `import`, added to the `accounts` command. */
export function policyCommands<T>(
  y: Argv<T>,
  io: { out(l: string): void; err(l: string): void },
  withStore: <R>(argv: unknown, fn: (store: Store, config: HubConfig) => Promise<R>, readOnly?: boolean) => Promise<R>,
  existing: (store: Store, name: string) => Promise<Account>,
): Argv<T> {
  return y
    .command(
      'show <name>',
      'every setting of an account in force, defaults marked (a slave: its copy policy and its overrides per master)',
      (yy) => yy.positional('name', { type: 'string', demandOption: true }).option('json', { type: 'boolean', describe: 'as JSON' }),
      async (argv) => {
        await withStore(argv, async (store, config) => {
          const a = argv as unknown as AccountsArgs;
          const raw = await existing(store, a.name!);
          const acc = validateAccount(raw);
          if (a.json) io.out(JSON.stringify(accountJson(acc), null, 2));
          else for (const l of describeAccount(acc, config)) io.out(l);
          for (const w of propWarnings(acc, await store.listAccounts())) io.err(`warning: ${w}`);
        }, true);
      },
    )
    .command(
      'export',
      'write every account as JSON (default) or YAML, for editing and `accounts import`',
      (yy) => yy.option('format', { choices: ['json', 'yaml'] as const, describe: 'default: from --out (.yaml/.yml: YAML), else JSON' }).option('out', { type: 'string', describe: 'file to write (default: standard output)' }),
      async (argv) => {
        await withStore(argv, async (store) => {
          const a = argv as unknown as AccountsArgs;
          const format = (a.format ?? (a.out && /^\.ya?ml$/i.test(extname(a.out)) ? 'yaml' : 'json')) as 'json' | 'yaml';
          const text = exportAccounts(await store.listAccounts(), format);
          if (!a.out) return io.out(text);
          writeFileSync(a.out, text + '\n');
          io.out(`exported ${(await store.listAccounts()).length} accounts to ${a.out} (${format})`);
        }, true);
      },
    )
    .command(
      'import <file>',
      'add or replace the accounts of a JSON or YAML file (as written by export); all are validated first, and nothing is written unless all are valid',
      (yy) => yy.positional('file', { type: 'string', demandOption: true }).option('dry-run', { type: 'boolean', describe: 'validate and say what would change, write nothing' }),
      async (argv) => {
        await withStore(argv, async (store) => {
          const a = argv as unknown as AccountsArgs;
          const accounts = validateImport(parseAccountsFile(a.file!), a.file!, await store.listAccounts());
          const now = new Date().toISOString();
          let added = 0;
          for (const acc of accounts) {
            const old = await store.getAccount(acc.name);
            if (!old) added++;
            if (!a['dry-run']) await store.upsertAccount({ ...acc, created_at: old?.created_at ?? acc.created_at ?? now, updated_at: now });
          }
          const all = await store.listAccounts();
          for (const acc of accounts) for (const w of propWarnings(acc, a['dry-run'] ? accounts : all)) io.err(`warning: ${w}`);
          io.out(`${a['dry-run'] ? 'would import' : 'imported'} ${accounts.length} accounts from ${a.file}: ${added} new, ${accounts.length - added} replaced`);
        });
      },
    );
}

/** The `yaml` package, loaded when a YAML file is read or written. */
function yamlModule(): { parse(text: string): unknown; stringify(v: unknown): string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml') as { parse(text: string): unknown; stringify(v: unknown): string };
}
