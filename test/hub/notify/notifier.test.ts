/** Notifications against a local HTTP server: formats, switches, the rate window and its digest, failures. */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { makeConfig, type ConfigInput } from '../../../hub/config';
import type { HubEvent } from '../../../hub/hub';
import { memoryLogger } from '../../../hub/log';
import { Notifier, noteOf } from '../../../hub/notify/notifier';
import { sleep, until } from '../../helpers';
import { SUFFIX_PRESET } from '../../../sim';
import { dashWorld } from '../dashboard/world';

jest.setTimeout(30_000);

interface Hook {
  url: string;
  got: { path: string; type: string | undefined; body: any }[];
  status: number;
  close(): Promise<void>;
}

async function webhook(): Promise<Hook> {
  const hook = { got: [] as Hook['got'], status: 200 } as Hook;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      hook.got.push({ path: req.url!, type: req.headers['content-type'], body: JSON.parse(text) });
      res.writeHead(hook.status).end(hook.status === 200 ? '{"ok":true}' : 'nope');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hook.close = () => new Promise((r) => server.close(() => r()));
  return hook;
}

let hook: Hook;
beforeEach(async () => {
  hook = await webhook();
});
afterEach(async () => {
  await hook.close();
});

const refusal = (i: number): HubEvent => ({ type: 'decision', time: Date.UTC(2026, 0, 1) + i, kind: 'refuse', account: 'S1', masterTicket: String(i), message: `open M1#${i} buy 1 EURUSD -> S1: slave S1 is disabled`, level: 'warn' });
const offline: HubEvent = { type: 'terminal', time: Date.UTC(2026, 0, 1), name: 'S2', online: false, what: 'offline', message: 'offline (silent for 950 ms)' };

function notifier(config: ConfigInput, path = '/hook') {
  const log = memoryLogger('debug');
  const n = new Notifier({ config: makeConfig({ store: 'memory', notifyUrl: hook.url + path, ...config }), log });
  return { n, log };
}

describe('noteOf', () => {
  it('notifies refusals and misses, expiries, slave refusals of opens, terminals offline and back, ledger outages; nothing else', () => {
    expect(noteOf(refusal(1))).toMatchObject({ event: 'refusal', account: 'S1', message: 'REFUSE open M1#1 buy 1 EURUSD -> S1: slave S1 is disabled' });
    expect(noteOf({ ...(refusal(1) as object), kind: 'miss' } as HubEvent)).toMatchObject({ event: 'refusal' });
    expect(noteOf({ ...(refusal(1) as object), kind: 'expire' } as HubEvent)).toMatchObject({ event: 'expiry' });
    expect(noteOf({ ...(refusal(1) as object), kind: 'copy' } as HubEvent)).toBeUndefined();
    expect(noteOf(offline)).toMatchObject({ event: 'offline', account: 'S2' });
    expect(noteOf({ ...offline, online: true, what: 'back', message: 'back online' })).toMatchObject({ event: 'online', account: 'S2' });
    expect(noteOf({ ...offline, online: true, what: 'connected', message: 'connected' })).toBeUndefined();
    expect(noteOf({ type: 'ledger', time: 1, ok: false, message: 'ledger: mongodb write failed' })).toMatchObject({ event: 'ledger' });
    expect(noteOf({ ...(refusal(1) as object), kind: 'trip', message: 'protection S1: daily loss limit: ...' } as HubEvent)).toMatchObject({ event: 'guard', account: 'S1', message: 'TRIP protection S1: daily loss limit: ...' });
    expect(noteOf({ ...(refusal(1) as object), kind: 'resume', message: 'protection S1: the daily loss trip of ... is over (new day); new copies allowed again' } as HubEvent)).toMatchObject({ event: 'guard', account: 'S1', message: expect.stringMatching(/^RESUME protection S1: .* is over \(new day\)/) });
    const result = { type: 'result', time: 1, slave: 'S1', master: 'M1', masterPosition: '5', command: 'open', ok: false, latencyMs: 3, message: 'refused open M1#5 -> S1: no money' } as const;
    expect(noteOf({ ...result, status: 'refused' })).toMatchObject({ event: 'refusal', account: 'S1', message: 'slave refused open M1#5 -> S1: no money' });
    expect(noteOf({ ...result, status: 'expired' })).toBeUndefined();
    expect(noteOf({ ...result, command: 'close', status: 'refused' })).toBeUndefined();
  });
});

describe('Notifier', () => {
  it('POSTs generic JSON, one message per event', async () => {
    const { n } = notifier({});
    n.add(offline);
    await n.close();
    expect(hook.got).toEqual([
      {
        path: '/hook', type: 'application/json',
        body: { source: 'copybridge', event: 'offline', time: '2026-01-01T00:00:00.000Z', account: 'S2', message: 'offline (silent for 950 ms)', text: 'CopyBridge offline S2: offline (silent for 950 ms)' },
      },
    ]);
    expect(n.sent).toBe(1);
  });

  it('speaks Telegram sendMessage and Discord webhook', async () => {
    const t = notifier({ notifyFormat: 'telegram', notifyTelegramChat: '-100123' }, '/bot123:ABC/sendMessage');
    t.n.add(offline);
    await t.n.close();
    const d = notifier({ notifyFormat: 'discord' });
    d.n.add({ ...refusal(1), account: '@everyone' } as HubEvent);
    await d.n.close();
    expect(hook.got[0]).toMatchObject({ path: '/bot123:ABC/sendMessage', body: { chat_id: '-100123', text: 'CopyBridge offline S2: offline (silent for 950 ms)', disable_web_page_preview: true } });
    expect(hook.got[1].body).toEqual({ content: 'CopyBridge refusal @everyone: REFUSE open M1#1 buy 1 EURUSD -> S1: slave S1 is disabled', allowed_mentions: { parse: [] } });
  });

  it('sends only the events switched on', async () => {
    const { n } = notifier({ notifyEvents: 'offline,ledger' });
    n.add(refusal(1));
    n.add(offline);
    await n.close();
    expect(hook.got.map((g) => g.body.event)).toEqual(['offline']);
    expect(() => notifier({ notifyEvents: 'offline,guards' })).toThrow(/notifyEvents: unknown event guards/);
  });

  it('turns a storm into a few messages: the first ones, then one digest when the window ends', async () => {
    const { n } = notifier({ notifyMaxPerWindow: 3, notifyWindowMs: 1000 });
    for (let i = 0; i < 50; i++) n.add(refusal(i));
    n.add(offline);
    await until(() => hook.got.length === 3 || undefined, { what: 'the first three' });
    await sleep(300);
    expect(hook.got).toHaveLength(3);
    await until(() => hook.got.length === 4 || undefined, { what: 'the digest at the end of the window', timeoutMs: 3000 });
    const digest = hook.got[3].body;
    expect(digest).toMatchObject({ source: 'copybridge', event: 'digest', count: 48, by_event: { refusal: 47, offline: 1 }, window_ms: 1000 });
    expect(digest.first).toHaveLength(10);
    expect(digest.first[0]).toMatchObject({ event: 'refusal', message: expect.stringContaining('M1#3 ') });
    expect(digest.text).toMatch(/^CopyBridge: 48 more notifications in the last 1 s \(refusal 47, offline 1\)\n- CopyBridge refusal S1: REFUSE open M1#3 /);
    expect(digest.text).toMatch(/\n- … and 38 more$/);
    // The digest was the new window's first message: two more go out one by one, then they are held again.
    for (let i = 100; i < 103; i++) n.add(refusal(i));
    await n.close();
    expect(hook.got.map((g) => g.body.event)).toEqual(['refusal', 'refusal', 'refusal', 'digest', 'refusal', 'refusal', 'digest']);
    expect(hook.got[6].body.count).toBe(1);
  });

  it('logs a webhook that fails, without its URL, and goes on', async () => {
    hook.status = 500;
    const { n, log } = notifier({ notifyFormat: 'telegram', notifyTelegramChat: '1' }, '/botSECRET/sendMessage');
    n.add(offline);
    n.add(offline);
    await n.close();
    expect(n.failed).toBe(2);
    const lines = log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(lines[0]).toBe(`notification to ${new URL(hook.url).host} failed (HTTP 500 nope); check notifyUrl (telegram)`);
    expect(lines.join('\n')).not.toContain('SECRET');
  });

  it("tells of a real guard tripping as the slave's equity falls", async () => {
    const w = await dashWorld({}, { S1: { protection: { daily_loss: { value: 200, unit: 'money' } } } });
    const { n } = notifier({ notifyEvents: 'guard' });
    const off = w.hub.subscribe((e) => n.add(e));
    try {
      await until(() => w.hub.engine.guards()[0]?.state, { what: 'the guard anchor', timeoutMs: 5000 });
      w.m.buy('EURUSD', 1);
      await w.s1.waitFor(() => w.s1.positions().length === 1 || undefined, 5000, 'copy');
      const q = SUFFIX_PRESET.quotes['EURUSD.c'];
      w.s1.setQuote('EURUSD.c', q.bid - 0.003, q.ask - 0.003);
      await until(() => hook.got.length > 0 || undefined, { what: 'guard notification', timeoutMs: 5000 });
      await n.close();
      expect(hook.got.map((g) => g.body)).toEqual([
        expect.objectContaining({ event: 'guard', account: 'S1', message: expect.stringMatching(/^TRIP protection S1: daily loss limit: equity \d+\.\d\d .* at or below the floor .*; new copies blocked until the next reset/) }),
      ]);
    } finally {
      off();
      await n.close();
      await w.stop();
    }
  });

  it('tells of a real terminal going offline and coming back', async () => {
    const w = await dashWorld();
    const { n } = notifier({});
    const off = w.hub.subscribe((e) => n.add(e));
    try {
      w.s2.setOffline(true);
      await until(() => hook.got.some((g) => g.body.event === 'offline') || undefined, { what: 'offline notification', timeoutMs: 5000 });
      w.s2.setOffline(false);
      await until(() => hook.got.some((g) => g.body.event === 'online') || undefined, { what: 'online notification', timeoutMs: 5000 });
      expect(hook.got.map((g) => [g.body.event, g.body.account])).toEqual([['offline', 'S2'], ['online', 'S2']]);
    } finally {
      off();
      await n.close();
      await w.stop();
    }
  });
});
