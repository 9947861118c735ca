/**
 * `hub status` and `hub dashboard-url`: the running hub's picture in the terminal, read from its
 * dashboard's JSON endpoint on loopback, and the link that opens the dashboard with its token.
 */
import { resolve } from 'path';
import type { HubConfig } from '../config';
import { renderView } from '../dashboard/render';
import { ensureToken, readToken } from '../dashboard/token';
import type { DashboardView } from '../dashboard/view';
import { NotFoundError } from '../errors';
import { START } from '../hints';

export interface Out {
  out(line: string): void;
}

/** Where this configuration's hub serves its dashboard, as a client reaches it. */
export function dashboardBase(config: HubConfig): string {
  const h = config.dashboardHost;
  const host = h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
  return `http://${host}:${config.dashboardPort}/`;
}

export function dashboardUrl(config: HubConfig, io: Out): void {
  io.out(`${dashboardBase(config)}#token=${ensureToken(config.dataDir)}`);
}

export async function fetchView(config: HubConfig): Promise<DashboardView> {
  const base = dashboardBase(config);
  const token = readToken(config.dataDir);
  const hint = `start it with \`${START}\` (with its dashboard: no --no-dashboard), or pass the --dashboard-port it uses`;
  let res: Response;
  try {
    res = await fetch(new URL('api/status', base), { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5_000) });
  } catch (e) {
    throw new NotFoundError(`no running hub answers on ${base} (${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message})`, hint, { cause: e });
  }
  if (!res.ok) throw new NotFoundError(`the hub on ${base} answered ${res.status}: ${(await res.text()).slice(0, 200)}`, `check --data-dir: its dashboard token is read from there`);
  return (await res.json()) as DashboardView;
}

export async function runStatus(config: HubConfig, json: boolean, io: Out): Promise<void> {
  const view = await fetchView(config);
  if (json) {
    io.out(JSON.stringify(view, null, 2));
    return;
  }
  for (const line of renderView(view)) io.out(line);
  if (view.hub.dataDir !== resolve(config.dataDir)) io.out(`note: that hub uses the data folder ${view.hub.dataDir}, not ${resolve(config.dataDir)}`);
}
