/** `hub start`: run until SIGINT/SIGTERM, with a status line every minute. */
import type { HubConfig } from '../config';
import type { EngineStatus } from '../engine';
import { startHub } from '../hub';

export const STATUS_EVERY_MS = 60_000;

export async function runStart(config: HubConfig): Promise<void> {
  const hub = await startHub({ config });
  hub.log.info('hub started; stop with Ctrl+C. Attach the CopyBridge EA to one chart in every terminal (docs/install-windows.md)');
  const status = setInterval(() => hub.log.info(statusLine(hub.engine.status(), hub.ledger.pending)), STATUS_EVERY_MS);
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

export function statusLine(s: EngineStatus, ledgerQueue: number): string {
  const online = s.terminals.filter((t) => t.online).map((t) => t.name);
  const open = s.copies.filter((c) => c.status === 'open').length;
  return (
    `status: ${online.length} terminals online (${online.join(', ') || 'none'}), ${open} open copies, ${s.pending.length} commands in flight, ` +
    `ledger queue ${ledgerQueue}, copies decided ${s.counters.decisions}, last latency ${s.counters.lastLatencyMs ?? '-'} ms`
  );
}
