/**
 * `hub start`: run until SIGINT, SIGTERM or SIGHUP, with a status line every minute, the dashboard
 * (unless --no-dashboard) and webhook notifications (when notifyUrl is set).
 */
import { resolve } from 'path';
import type { HubConfig } from '../config';
import { startDashboard, type RunningDashboard } from '../dashboard/server';
import type { EngineStatus } from '../engine';
import { CLI } from '../hints';
import { startHub, type RunningHub } from '../hub';
import { redactUri } from '../ledger/uri';
import { createLogger } from '../log';
import { VERSION } from '../version';
import { Notifier } from '../notify/notifier';

export const STATUS_EVERY_MS = 60_000;

/** Signals that stop the hub gracefully. SIGHUP: the console window was closed (Windows) or the terminal hung up. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** A second stop signal while stopping: exit at once with 128 + the signal's number, as shells report it. */
const SIGNAL_NUMBER: Record<(typeof STOP_SIGNALS)[number], number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * Runs the hub until a stop signal, then stops it (ledger flushed, sockets closed). Resolves to the
 * exit code: 0 after a graceful stop.
 */
export async function runStart(config: HubConfig, configFile?: string): Promise<number> {
  const log = createLogger({ level: config.logLevel, format: config.logFormat, file: config.logFile || undefined, retentionDays: config.logRetentionDays });
  // Said before the slow steps (opening the store, binding), so a first start shows what it is doing.
  log.info(startingLine(config, configFile));
  const hub = await startHub({ config, logger: log });
  const dashboard = config.dashboard ? await openDashboard(hub) : undefined;
  const notifier = config.notifyUrl ? new Notifier({ config, log: hub.log }) : undefined;
  const unsubscribe = notifier ? hub.subscribe((e) => notifier.add(e)) : undefined;
  if (notifier) hub.log.info(`notifications (${config.notifyFormat}) of ${config.notifyEvents} to ${new URL(config.notifyUrl).host}, at most ${config.notifyMaxPerWindow} per ${config.notifyWindowMs / 1000} s, then a digest`);
  // Said once everything is up and just before the signal handlers: scripts wait for this line.
  hub.log.info('hub started; stop with Ctrl+C. Attach the CopyBridge EA to one chart in every terminal (docs/install-windows.md)');
  const status = setInterval(() => hub.log.info(statusLine(hub.engine.status(), hub.ledger.pending)), STATUS_EVERY_MS);
  const handlers = new Map<string, () => void>();
  await new Promise<void>((resolve) => {
    for (const sig of STOP_SIGNALS) {
      const onSignal = () => {
        if (handlers.size === 0) return;
        hub.log.info(`${sig} received, stopping (send it again to exit at once)`);
        for (const [s, h] of handlers) process.removeListener(s, h);
        handlers.clear();
        for (const s of STOP_SIGNALS) {
          const force = () => {
            hub.log.warn(`${s} received again: exiting without waiting for the ledger`);
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
  clearInterval(status);
  unsubscribe?.();
  await notifier?.close();
  await dashboard?.close();
  await hub.stop();
  for (const s of STOP_SIGNALS) process.removeAllListeners(s);
  return 0;
}

/** The dashboard, or a logged error: copying goes on without it (a busy port must not stop the hub). */
async function openDashboard(hub: RunningHub): Promise<RunningDashboard | undefined> {
  try {
    const d = await startDashboard(hub);
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

export function statusLine(s: EngineStatus, ledgerQueue: number): string {
  const online = s.terminals.filter((t) => t.online).map((t) => t.name);
  const open = s.copies.filter((c) => c.status === 'open').length;
  return (
    `status: ${online.length} terminals online (${online.join(', ') || 'none'}), ${open} open copies, ${s.pending.length} commands in flight, ` +
    `ledger queue ${ledgerQueue}, copies decided ${s.counters.decisions}, last latency ${s.counters.lastLatencyMs ?? '-'} ms`
  );
}
