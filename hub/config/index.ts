/**
 * System configuration: named defaults, then a JSON config file, then environment, then flags;
 * validated as a whole before anything binds. Accounts are not configuration: they live in the store.
 */
import { existsSync, readFileSync, statSync } from 'fs';
import { join, resolve } from 'path';
import { ConfigError } from '../errors';
import { CLI, closest, hints } from '../hints';
import { credentialProblem, redactUri } from '../ledger/uri';

export type StoreKind = 'embedded' | 'mongodb' | 'memory';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'text' | 'json';

export interface HubConfig {
  pubEndpoint: string;
  pullEndpoint: string;
  allowRemote: boolean;
  curve: boolean;
  store: StoreKind;
  dataDir: string;
  mongoUri: string;
  mongoDb: string;
  magic: number;
  defaultSlippagePoints: number;
  commandTtlMs: number;
  resendMs: number;
  heartbeatMs: number;
  snapshotMs: number;
  tickMaxAgeMs: number;
  maxDelayMs: number;
  reconcileMs: number;
  reconcileSlice: number;
  maxMessageBytes: number;
  accountsReloadMs: number;
  ledgerQueueMax: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  logFile: string;
  logRetentionDays: number;
  blackoutFile: string;
  dashboard: boolean;
  dashboardHost: string;
  dashboardPort: number;
  notifyUrl: string;
  notifyFormat: NotifyFormat;
  notifyTelegramChat: string;
  notifyEvents: string;
  notifyMaxPerWindow: number;
  notifyWindowMs: number;
  notifyTerminal: string;
}

export type NotifyFormat = 'json' | 'telegram' | 'discord';
/** What can be notified; notifyEvents is a comma-separated list of these. */
export const NOTIFY_EVENTS = ['refusal', 'expiry', 'offline', 'online', 'ledger', 'guard'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

interface FieldSpec {
  kind: 'string' | 'int' | 'bool' | 'enum';
  env: string;
  /** The command-line flag, without the dashes, when there is one. */
  flag?: string;
  doc: string;
  values?: readonly string[];
  min?: number;
  max?: number;
}

export const DEFAULTS: Readonly<HubConfig> = Object.freeze({
  pubEndpoint: 'tcp://127.0.0.1:5555',
  pullEndpoint: 'tcp://127.0.0.1:5556',
  allowRemote: false,
  curve: false,
  store: 'embedded',
  dataDir: './data',
  mongoUri: '',
  mongoDb: 'prop_copy_trader',
  magic: 20250,
  defaultSlippagePoints: 30,
  commandTtlMs: 10_000,
  resendMs: 500,
  heartbeatMs: 2_000,
  snapshotMs: 30_000,
  tickMaxAgeMs: 5_000,
  maxDelayMs: 60_000,
  reconcileMs: 1_000,
  reconcileSlice: 500,
  maxMessageBytes: 1024 * 1024,
  accountsReloadMs: 2_000,
  ledgerQueueMax: 100_000,
  logLevel: 'info',
  logFormat: 'text',
  logFile: '',
  logRetentionDays: 14,
  blackoutFile: '',
  dashboard: true,
  dashboardHost: '127.0.0.1',
  dashboardPort: 8787,
  notifyUrl: '',
  notifyFormat: 'json',
  notifyTelegramChat: '',
  notifyEvents: NOTIFY_EVENTS.join(','),
  notifyMaxPerWindow: 5,
  notifyWindowMs: 60_000,
  notifyTerminal: '',
});

export const FIELDS: Record<keyof HubConfig, FieldSpec> = {
  pubEndpoint: { kind: 'string', env: 'COPYBRIDGE_PUB', flag: 'pub', doc: 'ZeroMQ endpoint the hub PUBlishes commands on (terminals SUB)' },
  pullEndpoint: { kind: 'string', env: 'COPYBRIDGE_PULL', flag: 'pull', doc: 'ZeroMQ endpoint the hub PULLs terminal messages from (terminals PUSH)' },
  allowRemote: { kind: 'bool', env: 'COPYBRIDGE_ALLOW_REMOTE', flag: 'allow-remote', doc: 'allow binding non-loopback addresses; needs curve (docs/remote.md)' },
  curve: { kind: 'bool', env: 'COPYBRIDGE_CURVE', flag: 'curve', doc: 'encrypt and authenticate terminals with CURVE keys (hub keys issue NAME); required for non-loopback binds' },
  store: { kind: 'enum', env: 'COPYBRIDGE_STORE', flag: 'store', values: ['embedded', 'mongodb', 'memory'], doc: 'ledger store; mongodb is implied by mongoUri' },
  dataDir: { kind: 'string', env: 'COPYBRIDGE_DATA_DIR', flag: 'data-dir', doc: 'folder of the embedded store' },
  mongoUri: { kind: 'string', env: 'MONGO_URI', flag: 'mongo-uri', doc: 'MongoDB connection string; selects the mongodb store' },
  mongoDb: { kind: 'string', env: 'COPYBRIDGE_MONGO_DB', flag: 'mongo-db', doc: 'MongoDB database name' },
  magic: { kind: 'int', env: 'COPYBRIDGE_MAGIC', flag: 'magic', min: 1, max: 2_147_483_647, doc: 'magic number the EAs put on copies' },
  defaultSlippagePoints: { kind: 'int', env: 'COPYBRIDGE_SLIPPAGE', flag: 'default-slippage', min: 0, max: 1_000_000, doc: 'slippage tolerance in points for accounts without slippage_tolerance' },
  commandTtlMs: { kind: 'int', env: 'COPYBRIDGE_COMMAND_TTL_MS', min: 100, max: 3_600_000, doc: 'a command not executed within this time expires' },
  resendMs: { kind: 'int', env: 'COPYBRIDGE_RESEND_MS', min: 10, max: 60_000, doc: 'a command without result is re-sent after this time' },
  heartbeatMs: { kind: 'int', env: 'COPYBRIDGE_HEARTBEAT_MS', min: 100, max: 600_000, doc: 'heartbeat interval asked of terminals; 3 missed = offline' },
  snapshotMs: { kind: 'int', env: 'COPYBRIDGE_SNAPSHOT_MS', min: 1_000, max: 3_600_000, doc: 'periodic snapshot interval asked of terminals' },
  tickMaxAgeMs: { kind: 'int', env: 'COPYBRIDGE_TICK_MAX_AGE_MS', min: 0, max: 3_600_000, doc: 'an older slave tick is stale: the slippage check is left to the EA' },
  maxDelayMs: { kind: 'int', env: 'COPYBRIDGE_MAX_DELAY_MS', min: 0, max: 86_400_000, doc: 'a master position older than this when it could be copied is recorded as missed (accounts may set max_delay_ms)' },
  reconcileMs: { kind: 'int', env: 'COPYBRIDGE_RECONCILE_MS', min: 100, max: 3_600_000, doc: 'how often the hub compares every master with its copies between snapshots' },
  reconcileSlice: { kind: 'int', env: 'COPYBRIDGE_RECONCILE_SLICE', min: 10, max: 1_000_000, doc: 'copies a reconciliation pass compares before it lets waiting messages through (a copy is never delayed by a whole pass)' },
  maxMessageBytes: { kind: 'int', env: 'COPYBRIDGE_MAX_MESSAGE_BYTES', min: 1024, max: 64 * 1024 * 1024, doc: 'largest message accepted' },
  accountsReloadMs: { kind: 'int', env: 'COPYBRIDGE_ACCOUNTS_RELOAD_MS', min: 100, max: 3_600_000, doc: 'how often the hub re-reads accounts from the store' },
  ledgerQueueMax: { kind: 'int', env: 'COPYBRIDGE_LEDGER_QUEUE_MAX', min: 100, max: 10_000_000, doc: 'ledger writes held in memory while the store is slow or down' },
  logLevel: { kind: 'enum', env: 'COPYBRIDGE_LOG_LEVEL', flag: 'log-level', values: ['error', 'warn', 'info', 'debug'], doc: 'log verbosity' },
  logFormat: { kind: 'enum', env: 'COPYBRIDGE_LOG_FORMAT', flag: 'log-format', values: ['text', 'json'], doc: 'console lines: text, or one JSON object per line' },
  logFile: { kind: 'string', env: 'COPYBRIDGE_LOG_FILE', flag: 'log-file', doc: 'also write JSON lines to this file, one file a day (hub.log -> hub-2026-12-02.log)' },
  logRetentionDays: { kind: 'int', env: 'COPYBRIDGE_LOG_RETENTION_DAYS', flag: 'log-retention-days', min: 1, max: 3650, doc: 'days of daily log files kept' },
  blackoutFile: { kind: 'string', env: 'COPYBRIDGE_BLACKOUT_FILE', flag: 'blackout-file', doc: 'news blackouts (CSV or iCalendar, docs/protection.md): no new copies of the named symbols or currencies around each event; re-read when it changes' },
  dashboard: { kind: 'bool', env: 'COPYBRIDGE_DASHBOARD', flag: 'dashboard', doc: '`hub start` serves the live dashboard (--no-dashboard: not)' },
  dashboardHost: { kind: 'string', env: 'COPYBRIDGE_DASHBOARD_HOST', flag: 'dashboard-host', doc: 'address the dashboard listens on (loopback unless --allow-remote)' },
  dashboardPort: { kind: 'int', env: 'COPYBRIDGE_DASHBOARD_PORT', flag: 'dashboard-port', min: 0, max: 65_535, doc: 'port of the dashboard (0: any free port)' },
  notifyUrl: { kind: 'string', env: 'COPYBRIDGE_NOTIFY_URL', doc: 'webhook notifications are POSTed to (empty: none)' },
  notifyFormat: { kind: 'enum', env: 'COPYBRIDGE_NOTIFY_FORMAT', values: ['json', 'telegram', 'discord'], doc: 'body of a notification: generic JSON, a Telegram bot sendMessage, a Discord webhook' },
  notifyTelegramChat: { kind: 'string', env: 'COPYBRIDGE_NOTIFY_TELEGRAM_CHAT', doc: 'chat_id the Telegram bot writes to (notifyFormat telegram)' },
  notifyEvents: { kind: 'string', env: 'COPYBRIDGE_NOTIFY_EVENTS', doc: `events notified, comma-separated from ${NOTIFY_EVENTS.join(', ')}` },
  notifyMaxPerWindow: { kind: 'int', env: 'COPYBRIDGE_NOTIFY_MAX', min: 1, max: 1_000, doc: 'notifications sent one by one per window; the rest go in one digest at its end' },
  notifyWindowMs: { kind: 'int', env: 'COPYBRIDGE_NOTIFY_WINDOW_MS', min: 1_000, max: 86_400_000, doc: 'the notification rate window' },
  notifyTerminal: {
    kind: 'string',
    env: 'COPYBRIDGE_NOTIFY_TERMINAL',
    doc: 'account whose EA sends the notifications to the MetaTrader app on your phone (SendNotification, MetaQuotes ID set in that terminal); empty: none',
  },
};

export type ConfigInput = Partial<Record<keyof HubConfig, unknown>>;

const CONFIG_FILE_NAME = 'copybridge.json';

/** How the operator wrote a setting in a given layer: the flag, the variable or the key. */
export type Layer = 'file' | 'env' | 'flags' | 'options';

function settingName(key: keyof HubConfig, layer: Layer): string {
  const spec = FIELDS[key];
  if (layer === 'env') return spec.env;
  if (layer === 'flags' && spec.flag) return `--${spec.flag}`;
  return key;
}

function shown(raw: unknown): string {
  return typeof raw === 'number' && !Number.isFinite(raw) ? String(raw) : JSON.stringify(raw);
}

function coerce(key: keyof HubConfig, raw: unknown, source: string, layer: Layer): unknown {
  const spec = FIELDS[key];
  const name = settingName(key, layer);
  const bad = (want: string) => new ConfigError(`${source}: ${name} must be ${want}, got ${shown(raw)}`, `fix ${name} (${spec.doc})`);
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string') throw bad('a string');
      return raw;
    case 'int': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw bad('a whole number');
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw bad(`between ${spec.min} and ${spec.max}`);
      }
      return n;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw bad('true or false');
    case 'enum':
      if (typeof raw !== 'string' || !spec.values!.includes(raw)) throw bad(`one of ${spec.values!.join(', ')}`);
      return raw;
  }
}

function merge(into: HubConfig, layer: ConfigInput, source: string, kind: Layer): void {
  for (const [k, v] of Object.entries(layer)) {
    if (v === undefined) continue;
    if (!(k in FIELDS)) {
      const near = closest(k, Object.keys(FIELDS));
      throw new ConfigError(`${source}: unknown setting "${k}"${near ? ` (did you mean "${near}"?)` : ''}`, `known settings: ${Object.keys(FIELDS).join(', ')}`);
    }
    (into as unknown as Record<string, unknown>)[k] = coerce(k as keyof HubConfig, v, source, kind);
  }
}

function readFileLayer(path: string): ConfigInput {
  let text: string;
  try {
    // Notepad saves UTF-8 with a byte order mark, which JSON.parse refuses.
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`, 'check the --config path', { cause: e });
  }
  try {
    const obj: unknown = JSON.parse(text);
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('not a JSON object');
    return obj;
  } catch (e) {
    throw new ConfigError(`config file ${path} is not a JSON object: ${(e as Error).message}`, 'fix the JSON syntax', { cause: e });
  }
}

/** Variables the hub reads besides the settings' own. */
const OTHER_ENV = new Set(['MONGO_URL']);

/** COPYBRIDGE_* variables that are no setting: most likely a typo that would otherwise do nothing. */
export function unknownEnv(env: NodeJS.ProcessEnv): string[] {
  const known = new Set(Object.values(FIELDS).map((f) => f.env));
  return Object.keys(env)
    .filter((k) => k.startsWith('COPYBRIDGE_') && !known.has(k) && !OTHER_ENV.has(k))
    .map((k) => {
      const near = closest(k, [...known]);
      return `environment variable ${k} is not a CopyBridge setting and is ignored${near ? ` (did you mean ${near}?)` : ''}`;
    });
}

function envLayer(env: NodeJS.ProcessEnv): ConfigInput {
  const layer: ConfigInput = {};
  for (const [key, spec] of Object.entries(FIELDS)) {
    const v = env[spec.env];
    if (v !== undefined && v !== '') layer[key as keyof HubConfig] = v;
  }
  if (layer.mongoUri === undefined && env.MONGO_URL) layer.mongoUri = env.MONGO_URL;
  return layer;
}

const LOOPBACK = /^tcp:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):(\d+|\*)$/;
const ENDPOINT = /^(tcp:\/\/[^\s:]+:(\d+|\*)|tcp:\/\/\[[0-9a-fA-F:]+\]:(\d+|\*)|ipc:\/\/\S+|inproc:\/\/\S+)$/;

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

/** The events notifyEvents names, checked. */
export function notifyEvents(c: Pick<HubConfig, 'notifyEvents'>): Set<NotifyEvent> {
  const names = c.notifyEvents.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(NOTIFY_EVENTS as readonly string[]).includes(n));
  if (bad.length) throw new ConfigError(`notifyEvents: unknown event ${bad.join(', ')}`, `choose from ${NOTIFY_EVENTS.join(', ')} (comma-separated)`);
  return new Set(names as NotifyEvent[]);
}

/** An account name as the accounts take it (hub/accounts). */
const ACCOUNT_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

function validateNotify(c: HubConfig): void {
  notifyEvents(c);
  if (c.notifyTerminal && !ACCOUNT_NAME.test(c.notifyTerminal)) {
    throw new ConfigError(
      `notifyTerminal "${c.notifyTerminal}" is not an account name (1-64 letters, digits and . _ @ -)`,
      `give the name of the account whose terminal has your MetaQuotes ID (as \`${CLI} accounts list\` shows it), or leave it empty`,
    );
  }
  if (!c.notifyUrl) return;
  let url: URL;
  try {
    url = new URL(c.notifyUrl);
  } catch {
    throw new ConfigError(`notifyUrl "${c.notifyUrl}" is not a URL`, 'e.g. https://discord.com/api/webhooks/ID/TOKEN');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`notifyUrl "${c.notifyUrl}" must be http:// or https://`, 'give the webhook URL');
  if (c.notifyFormat === 'telegram' && !c.notifyTelegramChat) {
    throw new ConfigError('notifyFormat telegram needs notifyTelegramChat', 'set the chat id the bot writes to, and notifyUrl https://api.telegram.org/bot<TOKEN>/sendMessage');
  }
}

/** Checks the merged configuration as a whole. */
function validateConfig(c: HubConfig): void {
  for (const key of ['pubEndpoint', 'pullEndpoint'] as const) {
    const ep = c[key];
    if (!ENDPOINT.test(ep)) {
      throw new ConfigError(`${key} "${ep}" is not a ZeroMQ endpoint`, 'use the form tcp://127.0.0.1:5555');
    }
    const port = /:(\d+)$/.exec(ep)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
      throw new ConfigError(`${key} "${ep}" has an invalid port`, 'use a port between 1 and 65535');
    }
    if (ep.startsWith('tcp://') && !LOOPBACK.test(ep) && !(c.allowRemote && c.curve)) {
      throw new ConfigError(
        `${key} "${ep}" is not a loopback address; ${c.curve ? 'remote binds must be allowed explicitly' : 'terminals on other machines must connect with CURVE keys'}`,
        `bind 127.0.0.1, or pass ${c.curve ? '' : '--curve and '}--allow-remote (COPYBRIDGE_CURVE=true, COPYBRIDGE_ALLOW_REMOTE=true) and give every terminal its keys: ${hints.issueKey('NAME')} (docs/remote.md)`,
      );
    }
  }
  if (c.pubEndpoint === c.pullEndpoint && !c.pubEndpoint.endsWith(':*')) {
    throw new ConfigError('pubEndpoint and pullEndpoint must differ', 'use two ports, e.g. 5555 and 5556');
  }
  if (c.store === 'mongodb' && !c.mongoUri) {
    throw new ConfigError('store is mongodb but no mongoUri is set', 'pass --mongo-uri mongodb://host:27017 or set MONGO_URI');
  }
  if (c.mongoUri && !/^mongodb(\+srv)?:\/\//.test(c.mongoUri)) {
    throw new ConfigError(`mongoUri "${redactUri(c.mongoUri)}" must start with mongodb:// or mongodb+srv://`, 'check the connection string');
  }
  const credentials = c.mongoUri ? credentialProblem(c.mongoUri) : undefined;
  if (credentials) {
    throw new ConfigError(`${credentials}: ${redactUri(c.mongoUri)}`, 'percent-encode those characters in --mongo-uri / MONGO_URI (the password is never shown)');
  }
  if (c.curve && !c.dataDir) throw new ConfigError('curve is on but dataDir is empty', 'set --data-dir: the CURVE keys live in <data-dir>/curve');
  if (c.store === 'embedded' && !c.dataDir) throw new ConfigError('dataDir is empty', 'set --data-dir to a writable folder');
  if (c.logFile && existsSync(c.logFile) && statSync(c.logFile).isDirectory()) {
    throw new ConfigError(`logFile "${c.logFile}" is a folder`, `give a file in it, e.g. --log-file ${join(c.logFile, 'hub.log')} (one file a day: hub-<date>.log)`);
  }
  if (c.dashboard && !c.allowRemote && !LOOPBACK_HOST.test(c.dashboardHost)) {
    throw new ConfigError(
      `dashboardHost "${c.dashboardHost}" is not a loopback address; the dashboard would be reachable from the network`,
      'use 127.0.0.1, or pass --allow-remote if the network is trusted (the page then needs its token even to read)',
    );
  }
  validateNotify(c);
  if (c.resendMs >= c.commandTtlMs) {
    throw new ConfigError(`resendMs (${c.resendMs}) must be shorter than commandTtlMs (${c.commandTtlMs})`, 'lower resendMs or raise commandTtlMs');
  }
}

export interface LoadOptions {
  /** Told of settings that are ignored (unknown COPYBRIDGE_* variables). */
  onWarning?: (message: string) => void;
  /** Explicit config file; when absent, ./copybridge.json is read if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: ConfigInput;
  cwd?: string;
}

/** The config file loadConfig reads: the one named, else ./copybridge.json if it exists; undefined: none. */
export function configFileOf(named: string | undefined, cwd = process.cwd()): string | undefined {
  const file = resolve(cwd, named ?? CONFIG_FILE_NAME);
  return named || existsSync(file) ? file : undefined;
}

export function loadConfig(opts: LoadOptions = {}): HubConfig {
  const config: HubConfig = { ...DEFAULTS };
  const file = configFileOf(opts.file, opts.cwd);
  if (file) merge(config, readFileLayer(file), `config file ${file}`, 'file');
  const env = opts.env ?? process.env;
  for (const w of unknownEnv(env)) opts.onWarning?.(w);
  merge(config, envLayer(env), 'environment', 'env');
  merge(config, opts.flags ?? {}, 'command line', 'flags');
  // A Mongo URI from any layer selects Mongo unless a store was chosen explicitly after it.
  const storeChosen = (opts.flags?.store ?? undefined) !== undefined;
  if (config.mongoUri && config.store === 'embedded' && !storeChosen) config.store = 'mongodb';
  validateConfig(config);
  return config;
}

/** Config for tests and embedding: defaults plus overrides, validated. */
export function makeConfig(overrides: ConfigInput = {}): HubConfig {
  const config: HubConfig = { ...DEFAULTS };
  merge(config, overrides, 'options', 'options');
  validateConfig(config);
  return config;
}
