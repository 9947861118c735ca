/**
 * The live dashboard: a Fastify server on loopback serving the page (plain HTML and JS from
 * page/, no build step), the picture as JSON (/api/status, what `hub status` reads), live updates
 * as Server-Sent Events (/api/events) and the controls (POST /api/control).
 *
 * Access: reading needs the token unless both the peer and the Host header are loopback (a page
 * of another site reaching 127.0.0.1 through DNS rebinding names its own host). Controls always
 * need the token, come as JSON POSTs (a form cannot send them), and are refused when the browser
 * says they come from another origin. Nothing changes state on GET.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerResponse } from 'http';
import { existsSync, readFileSync } from 'fs';
import { join, resolve } from 'path';
import { CopyBridgeError } from '../errors';
import type { HubEvent, RunningHub } from '../hub';
import { parseControl, runControl } from './controls';
import { Tally, TRIPS_KEPT } from './tally';
import { ensureToken, tokenMatches } from './token';
import { buildView } from './view';
import type { LauncherStatus } from '../launcher';

export interface DashboardOptions {
  host?: string;
  port?: number;
  /** How often at most the page gets a new picture while things change (ms); default 150. */
  pushMs?: number;
  /** A picture is pushed this often even when nothing changed (clocks, "since"); default 2000. */
  refreshMs?: number;
  /** The terminals `hub start --launch` runs (hub/launcher), when it does. */
  launcher?: () => LauncherStatus | undefined;
}

export interface RunningDashboard {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly tally: Tally;
  close(): Promise<void>;
}

/** page/ beside this file in the sources; from dist/hub/dashboard, the sources' copy. */
function pageFolder(): string {
  const found = [join(__dirname, 'page'), resolve(__dirname, '..', '..', '..', 'hub', 'dashboard', 'page')].find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`the dashboard page (hub/dashboard/page) is missing beside ${__dirname}`);
  return found;
}

const PAGE_FILES: Record<string, string> = { '/': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const LOOPBACK_PEER = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i;
const OPERATOR = /^[\w .@-]{1,40}$/;

/** The latest trips of each protected slave, from the ledger: the guards panel survives a restart. */
async function restoreTrips(hub: RunningHub, tally: Tally): Promise<void> {
  for (const a of hub.engine.accounts()) {
    if (!a.protection) continue;
    try {
      const trips = await hub.store.findEvents({ account: a.name, kind: 'trip', limit: TRIPS_KEPT });
      tally.restoreTrips(a.name, trips.map((e) => ({ time: Date.parse(e.time), message: e.message })));
    } catch (e) {
      hub.log.warn(`dashboard: could not read the earlier trips of ${a.name} from ${hub.store.kind} (${(e as Error).message}); its panel shows those from now on`);
    }
  }
}

export async function startDashboard(hub: RunningHub, opts: DashboardOptions = {}): Promise<RunningDashboard> {
  const token = ensureToken(hub.config.dataDir);
  const dir = pageFolder();
  const files = new Map(Object.entries(PAGE_FILES).map(([path, file]) => [path, { body: readFileSync(join(dir, file)), type: TYPES[file.split('.').pop()!] }]));
  const tally = new Tally();
  const clients = new Set<ServerResponse>();
  let dirty = true;
  let sentId = 0;
  const unsubscribe = hub.subscribe((e: HubEvent) => {
    tally.add(e);
    dirty = true;
  });
  await restoreTrips(hub, tally);

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 16 * 1024, forceCloseConnections: true });
  app.addHook('onSend', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  app.setErrorHandler((e: Error & { statusCode?: number }, _req, reply) => {
    const status = e instanceof CopyBridgeError ? (e.code === 'E_NOT_FOUND' ? 404 : 400) : (e.statusCode ?? 500);
    if (status >= 500) hub.log.error(`dashboard: ${e.stack ?? e.message}`);
    void reply.code(status).send({ error: e.message, hint: e instanceof CopyBridgeError ? e.hint : undefined });
  });

  const canRead = (req: FastifyRequest) =>
    hasToken(req) || (LOOPBACK_PEER.test(req.socket.remoteAddress ?? '') && LOOPBACK_HOST.test(req.headers.host ?? ''));
  const hasToken = (req: FastifyRequest) => {
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice(7) : (req.query as Record<string, string | undefined>).token;
    return tokenMatches(given, token);
  };
  const denyRead = (reply: FastifyReply) =>
    reply.code(401).send({ error: 'the dashboard needs its token from here', hint: 'open the link `hub dashboard-url` prints' });

  for (const [path, f] of files) app.get(path, (_req, reply) => reply.type(f.type).send(f.body));

  app.get('/api/status', (req, reply) => (canRead(req) ? reply.send(buildView(hub, tally, undefined, undefined, opts.launcher?.())) : denyRead(reply)));

  app.get('/api/events', (req, reply) => {
    if (!canRead(req)) return denyRead(reply);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 1000\nevent: view\ndata: ${JSON.stringify(buildView(hub, tally, undefined, undefined, opts.launcher?.()))}\n\n`);
    clients.add(res);
    req.raw.on('close', () => clients.delete(res));
  });

  app.post('/api/control', async (req, reply) => {
    if (!sameOrigin(req)) return reply.code(403).send({ error: 'control refused: the request comes from another site', hint: 'use the dashboard page itself' });
    if (!hasToken(req)) return reply.code(401).send({ error: 'control refused: no valid token', hint: 'open the link `hub dashboard-url` prints, then try again' });
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.confirm !== true) return reply.code(400).send({ error: 'control refused: not confirmed', hint: 'confirm it in the page' });
    const name = typeof body.by === 'string' && OPERATOR.test(body.by) ? ` ${body.by}` : '';
    const by = `dashboard${name} (token, ${req.socket.remoteAddress ?? '?'})`;
    const out = await runControl(hub, parseControl(body), by);
    dirty = true;
    return reply.send({ ok: true, by, time: new Date().toISOString(), ...out });
  });

  const pushMs = opts.pushMs ?? 150;
  const refreshMs = opts.refreshMs ?? 2000;
  let lastPush = 0;
  const pusher = setInterval(() => {
    if (!clients.size) return;
    const now = Date.now();
    if (!dirty && now - lastPush < refreshMs) return;
    dirty = false;
    lastPush = now;
    const view = buildView(hub, tally, 0, undefined, opts.launcher?.());
    const rows = tally.since(sentId);
    sentId = tally.lastId;
    let frame = `event: view\ndata: ${JSON.stringify(view)}\n\n`;
    if (rows.length) frame += `event: decisions\ndata: ${JSON.stringify(rows)}\n\n`;
    for (const res of clients) res.write(frame);
  }, pushMs);

  const host = opts.host ?? hub.config.dashboardHost;
  try {
    await app.listen({ host, port: opts.port ?? hub.config.dashboardPort });
  } catch (e) {
    // Nothing of a dashboard that could not listen may keep the process alive.
    clearInterval(pusher);
    unsubscribe();
    await app.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/`;
  return {
    url,
    port,
    token,
    tally,
    async close() {
      clearInterval(pusher);
      unsubscribe();
      for (const res of clients) res.end();
      clients.clear();
      await app.close();
    },
  };
}

/**
 * A browser names the page's origin in Origin and says in Sec-Fetch-Site where a request comes
 * from; both must say this server. A client that sends neither (curl, `hub`) is no browser page.
 */
function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  return origin === undefined || origin === `http://${req.headers.host}`;
}
