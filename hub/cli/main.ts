/**
 * The `hub` command. Every command loads the configuration the same way (defaults, file,
 * environment, flags) and every error reaches one handler that maps its code to an exit code.
 */
import { existsSync } from 'fs';
import { resolve } from 'path';
import yargs, { type Argv } from 'yargs';
import { checkAmong, SAMPLE_ACCOUNTS, validateAccount, type Account } from '../accounts';
import { configFileOf, DEFAULTS, FIELDS, loadConfig, type ConfigInput, type HubConfig } from '../config';
import { AccountError, ConfigError, CopyBridgeError, EXIT_CODES, NotFoundError, UsageError } from '../errors';
import { CLI, hints } from '../hints';
import { openStore } from '../ledger/open';
import type { Store, TradeQuery } from '../ledger/types';
import { applyPolicyArgs, policyCommands, policyOptions, propWarnings, type PolicyArgs } from './accounts';
import { runDemo } from './demo';
import { applyProtectArgs, protectChanges, protectOptions, runProtect, type ProtectArgs } from './protect';
import * as keys from './keys';
import { runInstallEa } from './install-ea';
import { runStart } from './start';
import { VERSION } from '../version';
import { dashboardUrl, runStatus } from './status';
import { table } from '../dashboard/render';

/** Output goes through here so tests can capture it. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}
const stdio: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

type GlobalArgs = {
  _?: (string | number)[];
  config?: string;
  pub?: string;
  pull?: string;
  'allow-remote'?: boolean;
  curve?: boolean;
  store?: string;
  'data-dir'?: string;
  'mongo-uri'?: string;
  'mongo-db'?: string;
  magic?: string;
  'default-slippage'?: string;
  'log-level'?: string;
  'log-format'?: string;
  'log-file'?: string;
  'log-retention-days'?: string;
  dashboard?: boolean;
  'dashboard-host'?: string;
  'dashboard-port'?: string;
};

function configFrom(argv: GlobalArgs, io: Io = stdio): HubConfig {
  const flags: ConfigInput = {
    pubEndpoint: argv.pub,
    pullEndpoint: argv.pull,
    allowRemote: argv['allow-remote'],
    curve: argv.curve,
    store: argv.store,
    dataDir: argv['data-dir'],
    mongoUri: argv['mongo-uri'],
    mongoDb: argv['mongo-db'],
    magic: argv.magic,
    defaultSlippagePoints: argv['default-slippage'],
    logLevel: argv['log-level'],
    logFormat: argv['log-format'],
    logFile: argv['log-file'],
    logRetentionDays: argv['log-retention-days'],
    dashboard: argv.dashboard,
    dashboardHost: argv['dashboard-host'],
    dashboardPort: argv['dashboard-port'],
  };
  return loadConfig({ file: argv.config, flags, onWarning: (w) => io.err(`warning: ${w}`) });
}

/** The Io of the command line being run (buildCli sets it), for helpers that report on their own. */
let active: Io = stdio;

/** Commands that may start a new data folder; every other one needs the folder to exist. */
const CREATES_DATA = new Set(['setup-db', 'accounts add']);

async function withStore<T>(argv: GlobalArgs, fn: (store: Store, config: HubConfig) => Promise<T>, readOnly = false): Promise<T> {
  const config = configFrom(argv, active);
  if (config.store === 'memory') {
    throw new ConfigError('the memory store lives inside one hub process; this command needs the embedded or mongodb store', 'drop --store memory');
  }
  if (config.store === 'embedded') {
    const dir = resolve(config.dataDir);
    const command = (argv._ ?? []).join(' ');
    // ./data is relative to where the command runs: from another folder, a read would otherwise
    // show an empty new store and look as if every account and trade were gone.
    if (!existsSync(dir) && !CREATES_DATA.has(command)) {
      throw new NotFoundError(
        `no data folder at ${dir}`,
        `run this from the folder the hub runs in, or pass --data-dir with the hub's folder (a new one is made by: ${CLI} setup-db or ${CLI} accounts add)`,
      );
    }
    if (!existsSync(dir)) active.err(`data folder ${dir} does not exist yet: creating it`);
  }
  const store = await openStore(config, { readOnly, onWarning: (w) => active.err(`warning: ${w}`) });
  await store.open();
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

/*
 * Options by what they mean, each given only to the commands it applies to (so a command's help
 * lists its own flags): the config file is everyone's; the store is the commands that read or
 * write accounts and trades; sockets, logging and the dashboard's serving are `start`'s.
 */
const STORE_GROUP = 'Store:';

function dataDirOption<T>(y: Argv<T>) {
  return y.option('data-dir', { type: 'string', describe: `the hub's data folder: embedded store, dashboard token, CURVE keys (default ${DEFAULTS.dataDir})` }).group('data-dir', STORE_GROUP);
}

function storeOptions<T>(y: Argv<T>) {
  return dataDirOption(y)
    .option('store', { choices: ['embedded', 'mongodb', 'memory'] as const, describe: FIELDS.store.doc })
    .option('mongo-uri', { type: 'string', describe: FIELDS.mongoUri.doc })
    .option('mongo-db', { type: 'string', describe: FIELDS.mongoDb.doc })
    .group(['store', 'mongo-uri', 'mongo-db'], STORE_GROUP);
}

function connectionOptions<T>(y: Argv<T>) {
  return y
    .option('pub', { type: 'string', describe: FIELDS.pubEndpoint.doc })
    .option('pull', { type: 'string', describe: FIELDS.pullEndpoint.doc })
    .option('allow-remote', { type: 'boolean', describe: FIELDS.allowRemote.doc })
    .option('curve', { type: 'boolean', describe: FIELDS.curve.doc })
    // Numbers are read as text and checked by the config loader, which can then quote what was typed.
    .option('magic', { type: 'string', describe: FIELDS.magic.doc })
    .option('default-slippage', { type: 'string', describe: FIELDS.defaultSlippagePoints.doc })
    .group(['pub', 'pull', 'allow-remote', 'curve', 'magic', 'default-slippage'], 'Terminals:');
}

function logOptions<T>(y: Argv<T>) {
  return y
    .option('log-level', { choices: ['error', 'warn', 'info', 'debug'] as const, describe: FIELDS.logLevel.doc })
    .option('log-format', { choices: ['text', 'json'] as const, describe: FIELDS.logFormat.doc })
    .option('log-file', { type: 'string', describe: FIELDS.logFile.doc })
    .option('log-retention-days', { type: 'string', describe: FIELDS.logRetentionDays.doc })
    .group(['log-level', 'log-format', 'log-file', 'log-retention-days'], 'Log:');
}

/** Where the dashboard is served (`start`) or asked (`status`, `dashboard-url`); `serving`: also whether to serve it. */
function dashboardOptions<T>(y: Argv<T>, serving: boolean) {
  const out = y
    .option('dashboard-host', { type: 'string', describe: FIELDS.dashboardHost.doc })
    .option('dashboard-port', { type: 'string', describe: FIELDS.dashboardPort.doc })
    .group(['dashboard-host', 'dashboard-port'], 'Dashboard:');
  return serving ? out.option('dashboard', { type: 'boolean', describe: FIELDS.dashboard.doc }).group('dashboard', 'Dashboard:') : out;
}

const accountOptions = (y: Argv) =>
  policyOptions(y)
    .option('type', { choices: ['MASTER', 'SLAVE', 'master', 'slave'] as const, describe: 'role of the account' })
    .option('suffix', { type: 'string', describe: 'appended to master symbols (EURUSD -> EURUSD.c)' })
    .option('prefix', { type: 'string', describe: 'prepended to master symbols' })
    .option('map', { type: 'string', array: true, describe: 'symbol map entries MASTER=SLAVE, e.g. --map XAUUSD=GOLD' })
    .option('unmap', { type: 'string', array: true, describe: 'remove symbol map entries by master symbol' })
    .option('slippage', { type: 'number', describe: 'slippage tolerance in points' })
    .option('follows', { type: 'string', array: true, describe: 'masters this slave copies (default all)' })
    .option('volume-mode', { choices: ['same', 'multiplier', 'fixed', 'equity', 'balance', 'risk'] as const, describe: 'sizing (see docs/sizing.md)' })
    .option('volume-multiplier', { type: 'number', describe: 'lots = master lots x this, for --volume-mode multiplier' })
    .option('volume-fixed', { type: 'number', describe: 'lots per copy for --volume-mode fixed' })
    .option('path', { type: 'string', describe: 'the terminal64.exe that hub start --launch starts' })
    .option('launch', { type: 'string', describe: 'true/false: whether hub start --launch starts this terminal (default true)' })
    .option('portable', { type: 'string', describe: 'true: start the terminal with /portable (data folder = installation folder)' })
    .option('chart-symbol', { type: 'string', describe: 'chart the launcher opens the EA on (default EURUSD with the prefix and suffix)' })
    .option('enabled', { type: 'boolean', describe: 'false: a slave takes no copies, a master is not copied (see: accounts disable)' })
    .option('close-only', { type: 'string', describe: 'true: no new copies, the open ones are managed to the end (see: accounts close-only)' })
    .option('max-delay-ms', { type: 'string', describe: 'slave: a master position older than this when it could be copied is recorded as missed (default from config maxDelayMs)' })
    .option('master-offline', { type: 'string', describe: "slave: its copies while their master is offline: keep (default) or close (after --master-offline-grace-ms)" })
    .option('master-offline-grace-ms', { type: 'string', describe: 'slave, with --master-offline close: how long a master may be offline before its copies are closed' });

type AccountArgs = PolicyArgs & {
  name: string;
  type?: string;
  suffix?: string;
  prefix?: string;
  map?: string[];
  unmap?: string[];
  slippage?: number;
  follows?: string[];
  'volume-mode'?: string;
  'volume-multiplier'?: number;
  'volume-fixed'?: number;
  path?: string;
  launch?: string;
  portable?: string;
  'chart-symbol'?: string;
  enabled?: boolean;
  'close-only'?: string | boolean;
  'max-delay-ms'?: string;
  'master-offline'?: string;
  'master-offline-grace-ms'?: string;
};

function applyAccountArgs(base: Partial<Account>, a: AccountArgs): Partial<Account> {
  const next: Record<string, unknown> = { ...base };
  if (a.type) next.type = a.type.toUpperCase();
  if (a.suffix !== undefined) next.suffix = a.suffix;
  if (a.prefix !== undefined) next.prefix = a.prefix;
  if (a.slippage !== undefined) next.slippage_tolerance = a.slippage;
  if (a.follows !== undefined) next.follows = a.follows.flatMap((f) => f.split(',')).filter(Boolean);
  if (a.path !== undefined) next.path = a.path;
  // Bare --launch / --portable mean true; validateAccount quotes anything else.
  if (a.launch !== undefined) next.launch = a.launch === '' ? true : a.launch;
  if (a.portable !== undefined) next.portable = a.portable === '' ? true : a.portable;
  if (a['chart-symbol'] !== undefined) next.chart_symbol = a['chart-symbol'];
  if (a.enabled !== undefined) next.enabled = a.enabled;
  // A bare --close-only means true; validateAccount says what else is wrong.
  if (a['close-only'] !== undefined) next.close_only = a['close-only'] === '' ? true : a['close-only'];
  if (a['max-delay-ms'] !== undefined) next.max_delay_ms = a['max-delay-ms'];
  if (a['master-offline'] !== undefined) next.master_offline = a['master-offline'];
  if (a['master-offline-grace-ms'] !== undefined) next.master_offline_grace_ms = a['master-offline-grace-ms'];
  applyPolicyArgs(next, a);
  const map = { ...((next.symbol_map as Record<string, string> | undefined) ?? {}) };
  for (const entry of a.map ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(entry);
    if (!m) throw new AccountError(`--map ${entry} is not MASTER=SLAVE`, 'e.g. --map XAUUSD=GOLD');
    map[m[1]] = m[2];
  }
  for (const s of a.unmap ?? []) delete map[s];
  next.symbol_map = map;
  return next;
}

function formatAccount(a: Account, width = 24): string {
  const parts: string[] = [a.type, a.enabled ? 'enabled' : 'DISABLED'];
  if (a.close_only) parts.push('CLOSE-ONLY');
  if (a.prefix) parts.push(`prefix=${a.prefix}`);
  if (a.suffix) parts.push(`suffix=${a.suffix}`);
  if (a.symbol_map) parts.push(`map=${Object.entries(a.symbol_map).map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (a.slippage_tolerance !== undefined) parts.push(`slippage=${a.slippage_tolerance}`);
  if (a.follows) parts.push(`follows=${a.follows.join(',')}`);
  if (a.firm) parts.push(`firm=${a.firm}`);
  if (a.type === 'SLAVE') {
    const mode = a.volume_mode ?? 'same';
    parts.push(`volume=${mode}${mode === 'multiplier' ? ' x' + a.volume_multiplier : mode === 'fixed' ? ' ' + a.volume_fixed + ' lots' : mode === 'risk' ? ` ${a.risk_percent}%` : ''}`);
    if (a.reverse) parts.push('REVERSE');
    if (a.masters) parts.push(`overrides=${Object.keys(a.masters).join(',')}`);
  }
  if (a.max_delay_ms !== undefined) parts.push(`max-delay=${a.max_delay_ms}ms`);
  if (a.master_offline === 'close') parts.push(`master-offline=close after ${a.master_offline_grace_ms ?? 0}ms`);
  else if (a.master_offline) parts.push(`master-offline=${a.master_offline}`);
  if (a.path) parts.push(`path=${a.path}${a.portable ? ' portable' : ''}${a.launch === false ? ' launch=off' : ''}${a.chart_symbol ? ` chart=${a.chart_symbol}` : ''}`);
  return `${a.name.padEnd(width)} ${parts.join('  ')}`;
}

/** A stored record as listed: one the hub would not load (edited by hand) says why and what to do. */
function formatStored(a: Account, width: number): string {
  try {
    return formatAccount(validateAccount(a), width);
  } catch (e) {
    if (!(e instanceof AccountError)) throw e;
    return `${String(a.name).padEnd(width)} INVALID, not loaded by the hub: ${e.message}${e.hint ? ` (what to do: ${e.hint})` : ''}`;
  }
}

export function buildCli(args: string[], io: Io = stdio): Argv {
  active = io;
  const cli = yargs(args)
    .scriptName('hub')
    .usage('$0 <command> [options]')
    .option('config', { type: 'string', describe: 'JSON config file (default ./copybridge.json if present)' })
    .command(
      'start',
      'bind the sockets and copy trades until stopped (Ctrl+C)',
      (y) =>
        logOptions(dashboardOptions(connectionOptions(storeOptions(y)), true)).option('launch', {
          type: 'boolean',
          describe: 'also start, watch and close the terminals of the accounts with a path (masters first)',
        }),
      async (argv) => {
        process.exitCode = await runStart(configFrom(argv, io), { launch: argv.launch, configFile: configFileOf(argv.config) });
      },
    )
    .command('status', "the running hub's terminals, guards, copies, counters and decisions (from its dashboard)", (y) => dashboardOptions(dataDirOption(y), false).option('json', { type: 'boolean', describe: 'the picture as JSON' }), async (argv) => {
      await runStatus(configFrom(argv), argv.json === true, io);
    })
    .command('dashboard-url', "print the dashboard's link with its token (made in the data folder if missing)", (y) => dashboardOptions(dataDirOption(y), false), (argv) => {
      dashboardUrl(configFrom(argv), io);
    })
    .command(
      'install-ea',
      'copy the EA, its includes and the DLL into the MQL5 folder of the MetaTrader 5 terminals on this PC',
      (y) =>
        storeOptions(y)
          .option('dry-run', { type: 'boolean', describe: 'show what would be copied where, copy nothing' })
          .option('terminal', { type: 'string', array: true, describe: 'only terminals whose data folder id or installation path contains this (repeatable)' })
          .option('from', { type: 'string', describe: 'folder holding the MQL5 tree to copy (default: the bundle or this checkout)' }),
      async (argv) => {
        // Accounts only add portable terminals: without a store the installed ones are still found.
        const accounts = await withStore(argv as GlobalArgs, (store) => store.listAccounts(), true).catch((e: Error) => {
          io.err(`note: accounts not read (${e.message}); portable terminals named by accounts are not included`);
          return [];
        });
        runInstallEa({ accounts, dryRun: argv['dry-run'], only: argv.terminal, from: argv.from }, io);
      },
    )
    .command(
      'demo',
      'run a hub with one simulated master and two simulated slaves and copy a few trades',
      (y) => y.option('step-ms', { type: 'number', default: 400, describe: 'pause between demo steps' }),
      async (argv) => {
        await runDemo({ stepMs: argv['step-ms'], out: (line) => io.out(line) });
      },
    )
    .command(
      'setup-db',
      'create indexes and the sample accounts (existing accounts are kept)',
      (y) => storeOptions(y).option('samples', { type: 'boolean', default: true, describe: 'add the sample accounts (--no-samples: indexes only)' }),
      async (argv) => {
      await withStore(argv as GlobalArgs, async (store) => {
        await store.ensureIndexes();
        for (const a of argv.samples ? SAMPLE_ACCOUNTS : []) {
          if (await store.getAccount(a.name)) io.out(`kept    ${a.name} (exists)`);
          else {
            await store.upsertAccount({ ...a, created_at: new Date().toISOString() });
            io.out(`created ${formatAccount(a)}`);
          }
        }
        io.out(`indexes ready in ${store.kind} store (${store.location})${argv.samples ? '' : '; no sample accounts (--no-samples)'}`);
      });
      },
    )
    .command('accounts', 'list and edit accounts', (y) =>
      policyCommands(storeOptions(y), io, (argv, fn, readOnly) => withStore(argv as GlobalArgs, fn, readOnly), existingAccount)
        .command('list', 'list accounts', {}, async (argv) => {
          await withStore(argv as GlobalArgs, async (store) => {
            const list = await store.listAccounts();
            if (!list.length) io.out(`no accounts; add one with: ${hints.addAnyAccount}`);
            const width = Math.max(0, ...list.map((a) => String(a.name).length));
            for (const a of list) io.out(formatStored(a, width));
          });
        })
        .command('add <name>', 'register an account', (yy) => accountOptions(yy).positional('name', { type: 'string', demandOption: true }).demandOption('type'), async (argv) => {
          await withStore(argv as GlobalArgs, async (store) => {
            const a = argv as unknown as AccountArgs;
            if (await store.getAccount(a.name)) {
              throw new AccountError(`account ${a.name} already exists`, `change it with: ${CLI} accounts set ${a.name} ...`);
            }
            const now = new Date().toISOString();
            const acc = validateAccount({ ...applyAccountArgs({ name: a.name, enabled: true }, a), created_at: now, updated_at: now }, { strict: true });
            checkAmong(acc, await store.listAccounts());
            await store.upsertAccount(acc);
            io.out(`added ${formatAccount(acc)}`);
            for (const w of propWarnings(acc, await store.listAccounts())) io.err(`warning: ${w}`);
          });
        })
        .command('set <name>', 'change an account (a slave\'s protection and schedule too, as accounts protect takes them)', (yy) => protectOptions(accountOptions(yy)).positional('name', { type: 'string', demandOption: true }), async (argv) => {
          await withStore(argv as GlobalArgs, async (store) => {
            const a = argv as unknown as AccountArgs;
            let next = applyAccountArgs(await existingAccount(store, a.name), a) as Account;
            // The protection flags of `accounts protect`, so that every setting goes through set.
            if (protectChanges(argv)) next = applyProtectArgs(validateAccount(next), argv);
            const acc = validateAccount({ ...next, updated_at: new Date().toISOString() }, { strict: true });
            // The masters this edit names; one followed before and since removed does not block other changes.
            checkAmong(acc, await store.listAccounts(), [...(acc.follows && a.follows ? acc.follows : []), ...(a['for-master'] ? [a['for-master']] : [])]);
            await store.upsertAccount(acc);
            io.out(`updated ${formatAccount(acc)}`);
            for (const w of propWarnings(acc, await store.listAccounts())) io.err(`warning: ${w}`);
          });
        })
        .command('enable <name>', 'enable an account', (yy) => yy.positional('name', { type: 'string', demandOption: true }), async (argv) => {
          await withStore(argv as GlobalArgs, async (store) => {
            const name = (argv as unknown as { name: string }).name;
            await store.upsertAccount({ ...(await existingAccount(store, name)), enabled: true, updated_at: new Date().toISOString() });
            io.out(`enabled ${name}`);
          });
        })
        .command(
          'disable <name>',
          'disable an account (a disabled slave takes no copies; a disabled master is not copied, its closes still are); refused while it has open copies unless --force',
          (yy) => forceOption(yy.positional('name', { type: 'string', demandOption: true })),
          async (argv) => {
            await withStore(argv as GlobalArgs, async (store) => {
              const { name, force } = argv as unknown as { name: string; force?: boolean };
              const a = await existingAccount(store, name);
              const open = await openCopies(store, a, 'disable', force);
              await store.upsertAccount({ ...a, enabled: false, updated_at: new Date().toISOString() });
              io.out(open ? `disabled ${name}: ${consequence(a, 'disable', open)}` : `disabled ${name}`);
            });
          },
        )
        .command(
          'close-only <name>',
          'wind an account down: no new copies (a master: its new positions are not copied), the open ones managed to the end',
          (yy) => yy.positional('name', { type: 'string', demandOption: true }),
          async (argv) => {
            await withStore(argv as GlobalArgs, async (store) => {
              const name = (argv as unknown as { name: string }).name;
              const a = await existingAccount(store, name);
              const open = await store.countTrades({ account: name, open: true });
              await store.upsertAccount({ ...a, close_only: true, updated_at: new Date().toISOString() });
              const what = a.type === 'MASTER' ? 'its new positions are not copied' : 'it takes no new copies';
              io.out(`${name} is close-only: ${what}; its ${open} open copies are managed to the end (closes, partial closes, SL/TP). Undo with: ${CLI} accounts set ${name} --close-only false`);
            });
          },
        )
        .command('remove <name>', 'delete an account; refused while it has open copies unless --force', (yy) => forceOption(yy.positional('name', { type: 'string', demandOption: true })), async (argv) => {
          await withStore(argv as GlobalArgs, async (store) => {
            const { name, force } = argv as unknown as { name: string; force?: boolean };
            const a = await existingAccount(store, name);
            const open = await openCopies(store, a, 'remove', force);
            await store.removeAccount(name);
            io.out(open ? `removed ${name}: ${consequence(a, 'remove', open)}` : `removed ${name}`);
          });
        })
        .command(
          'protect <name>',
          "a slave's protection (loss and exposure limits, firm presets) and schedule (trading windows, blackouts); without options: show them, the guard's state and its trips (docs/protection.md)",
          (yy) => protectOptions(yy.positional('name', { type: 'string', demandOption: true })),
          async (argv) => withStore(argv as GlobalArgs, (store) => runProtect(store, argv as unknown as ProtectArgs, (l) => io.out(l))),
        )
        .demandCommand(1, 'name a subcommand: list, show, add, set, enable, disable, close-only, protect, remove, export, import'),
    )
    .command('keys', "CURVE keys: the hub's, and one per account's terminal (docs/remote.md)", (y) =>
      y
        .command('show', "print the hub's public key (made on first use)", (yy) => dataDirOption(yy).option('curve', { type: 'boolean', describe: FIELDS.curve.doc }), (argv) => keys.showKey(configFrom(argv, io), (l) => io.out(l)))
        .command('issue <name>', "make a key pair for an account's terminal and print the EA inputs", (yy) => storeOptions(yy).positional('name', { type: 'string', demandOption: true }), async (argv) => {
          await withStore(argv as GlobalArgs, (store, config) => keys.issue(config, store, argv.name, (l) => io.out(l)), true);
        })
        .command('list', 'list the registered and the revoked keys', dataDirOption, (argv) => keys.list(configFrom(argv, io), (l) => io.out(l)))
        .command(
          'revoke <name>',
          "revoke an account's keys (all, or --key one); a running hub refuses them without a restart",
          (yy) => dataDirOption(yy).positional('name', { type: 'string', demandOption: true }).option('key', { type: 'string', describe: 'only this public key' }),
          (argv) => keys.revoke(configFrom(argv, io), argv.name, argv.key, (l) => io.out(l)),
        )
        .demandCommand(1, 'name a subcommand: show, issue, list, revoke'),
    )
    .command(
      'trades',
      'show copied trades, newest first',
      (y) =>
        storeOptions(y)
          .option('open', { type: 'boolean', describe: 'only pending, placed and open copies' })
          .option('account', { type: 'string', describe: 'only this master or slave' })
          .option('status', { choices: ['pending', 'placed', 'open', 'closed', 'canceled', 'refused', 'failed', 'expired', 'missed'] as const, describe: 'only copies in this state' })
          .option('limit', { type: 'string', default: '50', describe: 'trades per page, 1 to 10000' })
          .option('page', { type: 'string', default: '1', describe: 'page number, 1 = newest' })
          .option('json', { type: 'boolean', describe: 'one JSON document per line' }),
      async (argv) => {
        await withStore(
          argv as GlobalArgs,
          async (store) => {
            const limit = wholeNumber('--limit', argv.limit, 1, 10_000);
            const page = wholeNumber('--page', argv.page, 1, Number.MAX_SAFE_INTEGER);
            const q: TradeQuery = { open: argv.open, account: argv.account, status: argv.status };
            const total = await store.countTrades(q);
            const last = Math.max(1, Math.ceil(total / limit));
            if (page > last) {
              throw new UsageError(`--page ${page} is past the last page: ${total} trades make ${last} page${last === 1 ? '' : 's'} of ${limit}`, `ask for --page 1 to ${last}`);
            }
            const rows = await store.findTrades({ ...q, skip: (page - 1) * limit, limit });
            if (argv.json) {
              for (const r of rows) io.out(JSON.stringify(r));
              return;
            }
            const head = ['open time', 'master', 'm.ticket', 'slave', 's.ticket', 'symbol', 'dir', 'volume', 'status', 'slip', 'ms', 'reason'];
            const cells = rows.map((t) => [
              t.open_time ?? '-', t.master_name, t.master_ticket, t.slave_name, t.slave_ticket ?? '-', t.symbol, t.direction,
              String(t.volume ?? '-'), t.status, String(t.slippage_points ?? '-'), String(t.latency_ms ?? '-'), t.reason ?? '',
            ]);
            for (const line of table([head, ...cells])) io.out(line);
            const pages = Math.max(1, Math.ceil(total / limit));
            io.out(`page ${page} of ${pages} (${total} trades${page < pages ? `; next: --page ${page + 1}` : ''})`);
          },
          true,
        );
      },
    )
    .demandCommand(1, 'name a command: start, status, dashboard-url, demo, setup-db, accounts, keys, trades, install-ea')
    .recommendCommands()
    .exitProcess(false)
    .strict()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .alias('v', 'version')
    .fail((msg, err) => {
      throw err ?? new UsageError(msg, `see: ${CLI} --help`);
    });
  // The version is the program's, not a command's: listed in `hub --help` only. (yargs 17 takes
  // global()'s second argument; @types/yargs does not declare it.)
  (cli as unknown as { global(key: string, global: boolean): unknown }).global('version', false);
  return cli;
}

/** A whole-number flag, read as text so that a bad value is quoted back as typed. */
function wholeNumber(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, got "${raw}"`, `e.g. ${flag} ${min}`);
  }
  return n;
}

async function existingAccount(store: Store, name: string): Promise<Account> {
  const a = await store.getAccount(name);
  if (!a) throw new NotFoundError(`no account named ${name}`, `see: ${CLI} accounts list`);
  return a;
}

const forceOption = <T>(y: Argv<T>) => y.option('force', { type: 'boolean', describe: 'go ahead although the account has open copies' });

type Change = 'disable' | 'remove';

/** What a change does to the open copies of an account, as the design states it. */
function consequence(a: Account, change: Change, open: number): string {
  const [copies, stay, are] = open === 1 ? ['1 open copy', 'stays', 'is'] : [`${open} open copies`, 'stay', 'are'];
  if (change === 'disable') {
    return a.type === 'MASTER'
      ? `its new positions are not copied; closes of the positions behind its ${copies} are still mirrored to the slaves`
      : `it takes no new copies and executes no commands: its ${copies} ${stay} open and ${are} not closed with their masters until it is enabled again`;
  }
  return a.type === 'MASTER'
    ? `the hub forgets it: its ${copies} on the slaves ${are} no longer closed when it closes its positions`
    : `the hub forgets it: its ${copies} ${stay} open on its terminal and ${are} no longer closed with their masters`;
}

/**
 * The number of open copies (pending or open trades, as master or slave) of an account; throws
 * AccountError saying what the change would do to them unless forced.
 */
async function openCopies(store: Store, a: Account, change: Change, force: boolean | undefined): Promise<number> {
  const open = await store.countTrades({ account: a.name, open: true });
  if (open && !force) {
    throw new AccountError(
      `${a.name} has ${open} open ${open === 1 ? 'copy' : 'copies'}; if you ${change} it, ${consequence(a, change, open)}`,
      `add --force to ${change} it anyway, or wind it down first with: ${CLI} accounts close-only ${a.name}`,
    );
  }
  return open;
}

/** Runs the CLI; the one place where errors become messages and exit codes. */
export async function main(args: string[], io: Io = stdio): Promise<number> {
  if (args.length === 0) args = ['--help'];
  try {
    await buildCli(args, io).parseAsync();
    return 0;
  } catch (e) {
    const code = exitCodeFor(e);
    if (e instanceof CopyBridgeError) {
      io.err(`error: ${e.message}`);
      if (e.hint) io.err(`  what to do: ${e.hint}`);
    } else {
      io.err(`error: ${(e as Error)?.stack ?? String(e)}`);
    }
    process.exitCode = code;
    return code;
  }
}

/** The exit code for an error: from EXIT_CODES for a CopyBridgeError, 1 for anything unforeseen. */
export function exitCodeFor(e: unknown): number {
  return e instanceof CopyBridgeError ? EXIT_CODES[e.code] : 1;
}
