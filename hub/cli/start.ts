/**
 * `hub start`: run until SIGINT, SIGTERM or SIGHUP, with a status line every minute, the dashboard
 * (unless --no-dashboard) and notifications (to the webhook of notifyUrl, and through the EA of
 * notifyTerminal to the MetaTrader app).
 */
import { resolve } from 'path';
import type { HubConfig } from '../config';
import { startDashboard, type RunningDashboard } from '../dashboard/server';
import type { EngineStatus } from '../engine';
import { CLI, hints } from '../hints';
import { startHub, type RunningHub } from '../hub';
import { hubAddress, Launcher, type LauncherStatus } from '../launcher';
import { redactUri } from '../ledger/uri';
import { createLogger, type Logger } from '../log';
import { VERSION } from '../version';
import { Notifier } from '../notify/notifier';

export const STATUS_EVERY_MS = 60_000;

/** Signals that stop the hub gracefully. SIGHUP: the console window was closed (Windows) or the terminal hung up. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** A second stop signal while stopping: exit at once with 128 + the signal's number, as shells report it. */
const SIGNAL_NUMBER: Record<(typeof STOP_SIGNALS)[number], number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export interface StartFlags {
  /** Start, watch and stop the accounts' terminals (hub/launcher). */
  launch?: boolean;
  /** %APPDATA% for the launcher (tests). */
  appData?: string;
  /** The config file read, for the first line (undefined: none). */
  configFile?: string;
}

/**
 * Runs the hub until a stop signal, then stops it (terminals closed, ledger flushed, sockets
 * closed). Resolves to the exit code: 0 after a graceful stop.
 */
export async function runStart(config: HubConfig, flags: StartFlags = {}): Promise<number> {
  const log = createLogger({ level: config.logLevel, format: config.logFormat, file: config.logFile || undefined, retentionDays: config.logRetentionDays });
  // The handlers go in first: a Ctrl+C during a slow start (store, binds, dashboard) stops the hub
  // once it is up, with the ledger flushed, instead of killing the process half started.
  const stopped = onStopSignal(log);
  // Said before the slow steps (opening the store, binding), so a first start shows what it is doing.
  log.info(startingLine(config, flags.configFile));
  const hub = await startHub({ config, logger: log });
  let launcher: Launcher | undefined;
  const dashboard = config.dashboard ? await openDashboard(hub, () => launcher?.status()) : undefined;
  const notifications = await startNotifier(hub);
  if (flags.launch) {
    launcher = new Launcher({
      accounts: await hub.store.listAccounts(),
      hub: hubAddress(hub.pullEndpoint, hub.pubEndpoint),
      configDir: config.dataDir,
      appData: flags.appData,
      log: hub.log,
      helloed: () => new Set(hub.engine.status().terminals.filter((t) => t.online && t.broker !== undefined).map((t) => t.name)),
    });
    launcher.start();
  }
  // Said once everything is up: scripts wait for this line.
  hub.log.info(`hub started; stop with Ctrl+C. ${launcher ? 'Terminals with a path are started by the hub' : 'Attach the CopyBridge EA to one chart in every terminal (docs/install-windows.md)'}`);
  const status = setInterval(() => hub.log.info(statusLine(hub.engine.status(), hub.ledger.pending, launcher?.status())), STATUS_EVERY_MS);
  await stopped;
  clearInterval(status);
  await launcher?.stop();
  await notifications?.stop();
  await dashboard?.close();
  await hub.stop();
  for (const s of STOP_SIGNALS) process.removeAllListeners(s);
  return 0;
}

/**
 * Resolves at the first stop signal; a second one exits at once with 128 + its number, without
 * waiting for the ledger.
 */
function onStopSignal(log: Logger): Promise<void> {
  const handlers = new Map<string, () => void>();
  return new Promise<void>((resolve) => {
    for (const sig of STOP_SIGNALS) {
      const onSignal = () => {
        if (handlers.size === 0) return;
        log.info(`${sig} received, stopping (send it again to exit at once)`);
        for (const [s, h] of handlers) process.removeListener(s, h);
        handlers.clear();
        for (const s of STOP_SIGNALS) {
          const force = () => {
            log.warn(`${s} received again: exiting without waiting for the ledger`);
            process.exit(128 + SIGNAL_NUMBER[s]);
          };
          process.once(s, force);
        }
        resolve();
      };
      handlers.set(sig, onSignal);
      process.on(sig, onSignal);
    }
  });
}

/**
 * Notifications of the hub's events to the sinks the config names (webhook, EA of notifyTerminal),
 * or undefined when it names none. `stop` sends what a rate window still holds.
 */
export async function startNotifier(hub: RunningHub): Promise<{ notifier: Notifier; stop(): Promise<void> } | undefined> {
  const { config, log } = hub;
  const notifier = new Notifier({ config, log, sendTo: (account, body) => hub.sendTo(account, body), online: (account) => hub.engine.isOnline(account) });
  if (!notifier.destinations) return undefined;
  const unsubscribe = hub.subscribe((e) => notifier.add(e));
  log.info(`notifications${config.notifyUrl ? ` (${config.notifyFormat})` : ''} of ${config.notifyEvents} ${notifier.destinations}, at most ${config.notifyMaxPerWindow} per ${config.notifyWindowMs / 1000} s, then a digest`);
  const name = config.notifyTerminal;
  if (name && !(await hub.store.listAccounts()).some((a) => a.name === name)) {
    log.warn(`notifyTerminal ${name} is not a registered account: its notifications reach no EA until it is (${hints.addAccount(name)})`);
  }
  return {
    notifier,
    async stop() {
      unsubscribe();
      await notifier.close();
    },
  };
}

/** The dashboard, or a logged error: copying goes on without it (a busy port must not stop the hub). */
async function openDashboard(hub: RunningHub, launcher: () => LauncherStatus | undefined): Promise<RunningDashboard | undefined> {
  try {
    const d = await startDashboard(hub, { launcher });
    hub.log.info(`dashboard on ${d.url} (read-only there; the link with its token for the controls: \`${CLI} dashboard-url\`)`);
    return d;
  } catch (e) {
    const { dashboardHost, dashboardPort } = hub.config;
    hub.log.error(`dashboard not started on ${dashboardHost}:${dashboardPort}: ${(e as Error).message}; copying goes on. Choose another --dashboard-port, or --no-dashboard`);
    return undefined;
  }
}

/** What the hub is about to run with: version, config file, data folder, store, endpoints. */
export function startingLine(config: HubConfig, configFile: string | undefined): string {
  const store = config.store === 'mongodb' ? `mongodb ${redactUri(config.mongoUri)} database ${config.mongoDb}` : config.store;
  return (
    `CopyBridge hub ${VERSION} (Node ${process.version}) starting: config file ${configFile ?? 'none (defaults, environment, flags)'}; data folder ${resolve(config.dataDir)}; ` +
    `store ${store}; opening the store, then binding PUB ${config.pubEndpoint} and PULL ${config.pullEndpoint}`
  );
}

export function statusLine(s: EngineStatus, ledgerQueue: number, launched?: LauncherStatus): string {
  const online = s.terminals.filter((t) => t.online).map((t) => t.name);
  const open = s.copies.filter((c) => c.status === 'open').length;
  return (
    `status: ${online.length} terminals online (${online.join(', ') || 'none'}), ${open} open copies, ${s.pending.length} commands in flight, ` +
    `ledger queue ${ledgerQueue}, copies decided ${s.counters.decisions}, last latency ${s.counters.lastLatencyMs ?? '-'} ms` +
    (launched ? `, launched terminals: ${launched.terminals.map((t) => `${t.name} ${t.state}`).join(', ') || 'none'}` : '')
  );
}
