/** `hub start`: run until SIGINT/SIGTERM, with a status line every minute. */
import type { HubConfig } from '../config';
import { startHub } from '../hub';

export const STATUS_EVERY_MS = 60_000;

export async function runStart(config: HubConfig): Promise<void> {
  const hub = await startHub({ config });
  hub.log.info('hub started; stop with Ctrl+C. Attach the CopyBridge EA to one chart in every terminal (docs/install-windows.md)');
  const status = setInterval(() => {
    const e = hub.engine;
    const online = [...e.terminals.values()].filter((t) => t.online).map((t) => t.name);
    hub.log.info(
      `status: ${online.length} terminals online (${online.join(', ') || 'none'}), ${e.openCopies().length} open copies, ${e.pending.size} commands in flight, ` +
        `ledger queue ${hub.ledger.pending}, copies decided ${e.stats.decisions}, last latency ${e.stats.lastLatencyMs ?? '-'} ms`,
    );
  }, STATUS_EVERY_MS);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      hub.log.info(`${sig} received, stopping`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  clearInterval(status);
  await hub.stop();
}
