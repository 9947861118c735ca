/**
 * The dashboard's HTTP surface against a real hub with simulated terminals: what can be read
 * without the token, what the controls need, and that each control does what it says and is
 * recorded with who and when.
 */
import { request } from 'http';
import { readFileSync, statSync } from 'fs';
import { startDashboard } from '../../../hub/dashboard/server';
import { tokenPath } from '../../../hub/dashboard/token';
import type { DashboardView } from '../../../hub/dashboard/view';
import { until } from '../../helpers';
import { dashWorld, type DashWorld } from './world';

jest.setTimeout(30_000);

let w: DashWorld;
beforeEach(async () => {
  w = await dashWorld();
});
afterEach(async () => {
  await w.stop();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: any;
}

function call(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: w.dash.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = () => ({ authorization: `Bearer ${w.dash.token}` });
const control = (body: Record<string, unknown>, headers: Record<string, string> = auth()) =>
  call('POST', '/api/control', { 'content-type': 'application/json', ...headers }, JSON.stringify({ confirm: true, ...body }));
const vol = (t: { positions(): { symbol: string; volume: number }[] }, symbol: string) => t.positions().filter((p) => p.symbol === symbol).reduce((s, p) => s + p.volume, 0);

describe('dashboard server', () => {
  it('makes its token once, readable by its owner only, and serves the page with a strict CSP', async () => {
    expect(readFileSync(tokenPath(w.hub.config.dataDir), 'utf8').trim()).toBe(w.dash.token);
    expect(statSync(tokenPath(w.hub.config.dataDir)).mode & 0o777).toBe(0o600);
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="app.js" defer></script>');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self';/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await call('GET', '/app.js')).headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('shows the picture on loopback without the token, and only with it when the Host is not loopback', async () => {
    w.m.buy('EURUSD', 1);
    await until(() => vol(w.s1, 'EURUSD.c') === 1 && vol(w.s2, 'EURUSDm') === 0.5, { what: 'copies on S1 and S2' });
    const v = await until(async () => {
      const r = await call('GET', '/api/status');
      const view = r.json as DashboardView;
      return view.positions[0]?.copies.every((c) => c.status === 'open') && view.positions[0].copies.length === 2 ? view : undefined;
    }, { what: 'both copies open in /api/status' });
    expect(v.terminals.map((t) => [t.name, t.role, t.online])).toEqual([['M1', 'master', true], ['S1', 'slave', true], ['S2', 'slave', true]]);
    expect(v.terminals[1]).toMatchObject({ broker: expect.any(String), login: expect.any(Number), eaVersion: expect.any(String), balance: expect.any(Number), margin: expect.any(Number) });
    expect(v.positions[0]).toMatchObject({ master: 'M1', symbol: 'EURUSD', side: 'buy', volume: 1, open: true });
    expect(v.positions[0].copies.map((c) => [c.slave, c.symbol, c.volume])).toEqual([['S1', 'EURUSD.c', 1], ['S2', 'EURUSDm', 0.5]]);
    expect(v.positions[0].copies[0]).toMatchObject({ ticket: expect.any(String), price: expect.any(Number), slippagePoints: expect.any(Number), latencyMs: expect.any(Number) });
    expect(v.counters).toMatchObject({ copies: 2, opened: 2, refusals: 0 });
    expect(v.latency.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(v.terminals[1].latencies).toHaveLength(1);
    expect(v.decisions.filter((d) => d.kind === 'copy').map((d) => d.account)).toEqual(['S1', 'S2']);
    expect(v.hub.dataDir).toBe(w.hub.config.dataDir);

    // A page of another site reaching loopback through DNS rebinding names its own host.
    expect((await call('GET', '/api/status', { host: `evil.example:${w.dash.port}` })).status).toBe(401);
    expect((await call('GET', '/api/events', { host: `evil.example:${w.dash.port}` })).status).toBe(401);
    expect((await call('GET', '/api/status', { host: `evil.example:${w.dash.port}`, ...auth() })).status).toBe(200);
    expect((await call('GET', '/api/status', { host: `evil.example:${w.dash.port}`, authorization: 'Bearer wrong' })).status).toBe(401);
  });

  it('refuses controls without the token, from another origin, as a form, unconfirmed, or on GET', async () => {
    const disable = { action: 'disable', account: 'S1' };
    expect((await control(disable, {})).status).toBe(401);
    expect((await control(disable, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await control(disable, { ...auth(), origin: 'http://evil.example' })).status).toBe(403);
    expect((await control(disable, { ...auth(), 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const form = await call('POST', '/api/control', { 'content-type': 'application/x-www-form-urlencoded', ...auth() }, 'action=disable&account=S1&confirm=true');
    expect(form.status).toBe(415);
    expect((await call('POST', '/api/control', { 'content-type': 'application/json', ...auth() }, JSON.stringify(disable))).json).toMatchObject({ error: 'control refused: not confirmed' });
    expect((await call('GET', '/api/control?action=disable&account=S1&confirm=true', auth())).status).toBe(404);
    expect((await control({ action: 'explode', account: 'S1' })).json).toMatchObject({ error: expect.stringMatching(/^unknown control "explode"/) });
    expect((await control({ action: 'disable', account: '../etc' })).status).toBe(400);
    expect((await control({ action: 'disable', account: 'NOPE' })).status).toBe(404);
    expect(w.hub.engine.getAccount('S1')?.enabled).toBe(true);
    expect(w.log.lines.filter((l) => l.message.startsWith('CONTROL'))).toEqual([]);
  });

  it('disables, makes close-only and re-enables an account at once, and records who and when', async () => {
    const same = { origin: `http://127.0.0.1:${w.dash.port}`, 'sec-fetch-site': 'same-origin' };
    const r = await control({ action: 'disable', account: 'S1', by: 'ann' }, { ...auth(), ...same });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, by: 'dashboard ann (token, 127.0.0.1)', message: 'disabled S1: it takes no new copies and executes no commands' });
    expect(Date.parse(r.json.time)).toBeGreaterThan(Date.now() - 5000);
    expect(w.hub.engine.getAccount('S1')?.enabled).toBe(false);
    expect((await w.hub.store.getAccount('S1'))?.enabled).toBe(false);
    w.m.buy('EURUSD', 1);
    await until(() => vol(w.s2, 'EURUSDm') === 0.5, { what: 'S2 copy' });
    expect(vol(w.s1, 'EURUSD.c')).toBe(0);

    expect((await control({ action: 'close-only', account: 'S2' })).json.message).toBe('S2 is close-only: no new copies, the open ones are managed to the end');
    expect(w.hub.engine.getAccount('S2')?.close_only).toBe(true);
    expect((await control({ action: 'copy-new', account: 'S2' })).status).toBe(200);
    expect((await control({ action: 'copy-new', account: 'S2' })).json).toMatchObject({ error: 'S2 is not close-only' });
    expect((await control({ action: 'enable', account: 'S1' })).status).toBe(200);
    expect(w.hub.engine.getAccount('S1')?.enabled).toBe(true);

    expect(w.log.lines.filter((l) => l.message.startsWith('CONTROL')).map((l) => l.message)).toEqual([
      'CONTROL dashboard ann (token, 127.0.0.1): disabled S1: it takes no new copies and executes no commands',
      'CONTROL dashboard (token, 127.0.0.1): S2 is close-only: no new copies, the open ones are managed to the end',
      'CONTROL dashboard (token, 127.0.0.1): S2 takes new copies again (close-only off)',
      'CONTROL dashboard (token, 127.0.0.1): enabled S1',
    ]);
    await w.hub.ledger.flush();
    const events = await w.hub.store.findEvents({ kind: 'control' });
    expect(events).toHaveLength(4);
    expect(events.find((e) => e.account === 'S1' && /disabled/.test(e.message))).toMatchObject({ data: { by: 'dashboard ann (token, 127.0.0.1)', action: 'disable', account: 'S1' }, time: expect.any(String) });
  });

  it('closes one copy and every copy of a slave through the engine', async () => {
    const eur = w.m.buy('EURUSD', 1);
    const xau = w.m.sell('XAUUSD', 0.4);
    await until(() => vol(w.s1, 'EURUSD.c') === 1 && vol(w.s1, 'XAUUSD.c') === 0.4 && vol(w.s2, 'EURUSDm') === 0.5 && vol(w.s2, 'GOLD') === 0.2, { what: 'four copies' });
    await until(() => w.hub.engine.status().copies.filter((c) => c.status === 'open').length === 4 || undefined, { what: 'four open copies at the hub' });
    const one = await control({ action: 'close-copy', master: 'M1', position: eur.position, slave: 'S1' });
    expect(one.status).toBe(200);
    expect(one.json.closes).toEqual([expect.objectContaining({ outcome: 'sent', slave: 'S1', masterPosition: eur.position })]);
    await until(() => vol(w.s1, 'EURUSD.c') === 0 || undefined, { what: 'S1 EURUSD copy closed' });
    expect(vol(w.s1, 'XAUUSD.c')).toBe(0.4);
    expect(w.log.lines.some((l) => new RegExp(`^CLOSE dashboard \\(token, 127\\.0\\.0\\.1\\) closes M1#${eur.position} -> S1 ticket \\d+: 1 lots, by hand$`).test(l.message))).toBe(true);

    const all = await control({ action: 'close-slave', slave: 'S2' });
    expect(all.json.message).toBe('close all copies of S2: 2 closes sent');
    await until(() => w.s2.positions().length === 0 || undefined, { what: 'S2 flat' });
    // The master's positions stay, and so do the other copies; nothing is re-opened.
    await new Promise((r) => setTimeout(r, 1500));
    expect(w.m.positions().map((p) => p.position).sort()).toEqual([eur.position, xau.position].sort());
    expect(w.s2.positions()).toEqual([]);
    expect(vol(w.s1, 'XAUUSD.c')).toBe(0.4);
    expect((await control({ action: 'close-copy', master: 'M1', position: '999', slave: 'S1' })).status).toBe(404);
  });

  it("shows a protected slave's trips of an earlier hub process, from the ledger", async () => {
    await w.stop();
    w = await dashWorld({}, { S1: { protection: { daily_loss: { value: 200, unit: 'money' } } } });
    const at = Date.parse('2026-11-30T10:00:00Z');
    await w.hub.store.appendEvents([{ time: new Date(at).toISOString(), kind: 'trip', account: 'S1', master_ticket: '', message: 'protection S1: daily loss limit: equity 9790.00 at or below the floor 9800.00' }]);
    const again = await startDashboard(w.hub, { port: 0 });
    try {
      const view = await new Promise<DashboardView>((resolve, reject) => {
        request({ host: '127.0.0.1', port: again.port, path: '/api/status' }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(JSON.parse(text) as DashboardView));
        }).on('error', reject).end();
      });
      expect(view.guards.find((g) => g.account === 'S1')?.trips).toEqual([{ time: at, message: 'protection S1: daily loss limit: equity 9790.00 at or below the floor 9800.00' }]);
    } finally {
      await again.close();
    }
  });

  it('streams the picture and new decisions as Server-Sent Events', async () => {
    const chunks: string[] = [];
    const req = request({ host: '127.0.0.1', port: w.dash.port, path: '/api/events' }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => chunks.push(c));
    });
    req.end();
    try {
      await until(() => chunks.join('').includes('event: view\n'), { what: 'the first picture' });
      w.m.buy('EURUSD', 0.1);
      const text = await until(() => {
        const all = chunks.join('');
        return /event: decisions\ndata: .*"kind":"copy"/.test(all) ? all : undefined;
      }, { what: 'a decisions event with the copy', timeoutMs: 3000 });
      expect(text).toMatch(/^retry: 1000\n/);
    } finally {
      req.destroy();
    }
  });
});
