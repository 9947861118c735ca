/**
 * The launcher's decisions, without I/O: which accounts have a terminal to start, in which order,
 * how long to wait before a restart, and the start-up files that open the EA on a chart with its
 * inputs (MetaTrader 5's /config: file, [StartUp] section, and an .set file in MQL5\Presets).
 */
import type { Account } from '../accounts';

export interface LaunchTarget {
  name: string;
  role: 'MASTER' | 'SLAVE';
  exe: string;
  portable: boolean;
  chartSymbol: string;
}

export interface Skipped {
  name: string;
  reason: string;
}

/** Enabled accounts with a path and launch not switched off; the others with the reason. */
export function launchTargets(accounts: readonly Account[]): { targets: LaunchTarget[]; skipped: Skipped[] } {
  const targets: LaunchTarget[] = [];
  const skipped: Skipped[] = [];
  for (const a of accounts) {
    if (!a.path) skipped.push({ name: a.name, reason: 'no terminal path (set one with: accounts set NAME --path "C:\\...\\terminal64.exe")' });
    else if (!a.enabled) skipped.push({ name: a.name, reason: 'account disabled' });
    else if (a.launch === false) skipped.push({ name: a.name, reason: 'launch switched off (accounts set NAME --launch true)' });
    else {
      targets.push({
        name: a.name, role: a.type, exe: a.path, portable: a.portable === true,
        chartSymbol: a.chart_symbol ?? `${a.prefix ?? ''}EURUSD${a.suffix ?? ''}`,
      });
    }
  }
  // Masters first: a slave is useful only once its masters report.
  targets.sort((x, y) => (x.role === y.role ? 0 : x.role === 'MASTER' ? -1 : 1));
  return { targets, skipped };
}

/**
 * Whether a slave may start: once every launched master said hello, or once the masters had
 * `waitMs` to do so (a master that never connects must not keep the slaves down).
 */
export function slavesMayStart(masters: readonly string[], helloed: ReadonlySet<string>, waitedMs: number, waitMs: number): 'ready' | 'timeout' | 'wait' {
  if (masters.every((m) => helloed.has(m))) return 'ready';
  return waitedMs >= waitMs ? 'timeout' : 'wait';
}

export interface Backoff {
  /** First restart delay. */
  baseMs: number;
  /** Longest delay. */
  maxMs: number;
  /** A terminal that ran this long before exiting starts the series again. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 60_000, stableMs: 120_000 };

/** Delay before restart number `failures` (1 = first restart): doubling from baseMs up to maxMs. */
export function backoffMs(failures: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/** Failures counted after an exit: a run of stableMs or more resets the series. */
export function failuresAfterExit(previous: number, ranMs: number, b: Backoff = DEFAULT_BACKOFF): number {
  return ranMs >= b.stableMs ? 1 : previous + 1;
}

export interface HubAddress {
  host: string;
  pullPort: number;
  pubPort: number;
}

/** The address a terminal on this machine reaches the hub at, from its bound endpoints. */
export function hubAddress(pullEndpoint: string, pubEndpoint: string): HubAddress {
  const parse = (ep: string) => {
    const m = /^tcp:\/\/(.+):(\d+)$/.exec(ep);
    if (!m) throw new Error(`endpoint ${ep} is not tcp://host:port`);
    return { host: m[1], port: Number(m[2]) };
  };
  const pull = parse(pullEndpoint);
  const pub = parse(pubEndpoint);
  // A hub bound to every interface is reached on loopback by the terminals it starts itself.
  const host = pull.host === '*' || pull.host === '0.0.0.0' ? '127.0.0.1' : pull.host;
  return { host, pullPort: pull.port, pubPort: pub.port };
}

export const EXPERT = 'CopyBridge';

/** File name of the account's .set file in MQL5\Presets (names are [A-Za-z0-9._@-], safe in a path). */
export const presetName = (account: string) => `CopyBridge-${account}.set`;

/** The EA's inputs for one account: names as declared in mql5/Experts/CopyBridge.mq5. */
export function eaInputs(t: LaunchTarget, hub: HubAddress): [string, string][] {
  return [
    ['InpHubHost', hub.host],
    ['InpHubPullPort', String(hub.pullPort)],
    ['InpHubPubPort', String(hub.pubPort)],
    ['InpAccountName', t.name],
  ];
}

/** The .set file: one `name=value` line per input (MetaTrader reads its own UTF-16LE format, which the caller writes). */
export function presetText(inputs: readonly [string, string][]): string {
  return inputs.map(([k, v]) => `${k}=${v}`).join('\r\n') + '\r\n';
}

/**
 * The /config: file: [Experts] allows the EA (DLL imports; algo trading for slaves, the only
 * ones that trade), [StartUp] opens a chart with the EA and its .set file.
 */
export function startupIni(t: LaunchTarget): string {
  return [
    `; written by the CopyBridge hub (hub start --launch) for account ${t.name}; rewritten at every start`,
    '[Experts]',
    'Enabled=1',
    'AllowDllImport=1',
    `AllowLiveTrading=${t.role === 'SLAVE' ? 1 : 0}`,
    '[StartUp]',
    `Expert=${EXPERT}`,
    `ExpertParameters=${presetName(t.name)}`,
    `Symbol=${t.chartSymbol}`,
    'Period=H1',
    '',
  ].join('\r\n');
}

/** The terminal's arguments: the start-up file, and /portable when asked. */
export function terminalArgs(t: LaunchTarget, iniPath: string): string[] {
  return [`/config:${iniPath}`, ...(t.portable ? ['/portable'] : [])];
}
