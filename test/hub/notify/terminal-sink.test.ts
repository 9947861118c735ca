/**
 * Notifications through the EA of notifyTerminal (the MetaTrader app, SendNotification): the
 * notifier's switches, rate window and digest apply to this sink as to the webhook; what it sends
 * is a valid `notify` message within SendNotification's 255 characters; `hub start`'s wiring
 * publishes it to the named terminal of a real hub.
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { startNotifier } from '../../../hub/cli/start';
import { loadConfig, makeConfig, type ConfigInput } from '../../../hub/config';
import { startHub, type HubEvent } from '../../../hub/hub';
import { memoryLogger } from '../../../hub/log';
import { phoneText } from '../../../hub/notify/format';
import { Notifier } from '../../../hub/notify/notifier';
import { decodeHubMessage, NOTIFY_TEXT_MAX, type Body, type HubMessage, type NotifyMsg } from '../../../hub/protocol';
import { MASTER_PRESET, SUFFIX_PRESET, SimTerminal, brokerFromPreset } from '../../../sim';
import { tempDir, until } from '../../helpers';

jest.setTimeout(30_000);

const T0 = Date.UTC(2026, 0, 1);
const refusal = (i: number): HubEvent => ({ type: 'decision', time: T0 + i, kind: 'refuse', account: 'S1', masterTicket: String(i), message: `open M1#${i} buy 1 EURUSD -> S1: slave S1 is disabled`, level: 'warn' });
const offline: HubEvent = { type: 'terminal', time: T0, name: 'S2', online: false, what: 'offline', message: 'offline (silent for 950 ms)' };

/** A notifier whose terminal sink publishes into a list, each message stamped and decoded as the EA would get it. */
function phoneNotifier(config: ConfigInput, online?: (account: string) => boolean) {
  const sent: { account: string; msg: NotifyMsg }[] = [];
  const sendTo = (account: string, body: Body<HubMessage>) => {
    const msg = decodeHubMessage(JSON.stringify({ v: 1, account, seq: sent.length + 1, ts: Date.now(), ...body }));
    if (msg.type !== 'notify') throw new Error(`not a notify message: ${msg.type}`);
    sent.push({ account, msg });
  };
  const log = memoryLogger('debug');
  const n = new Notifier({ config: makeConfig({ store: 'memory', notifyTerminal: 'Phone-1', ...config }), log, sendTo, online });
  return { n, sent, log };
}

describe('the EA sink', () => {
  it('sends each notification as a notify message to the notifyTerminal account, switches applied', async () => {
    const { n, sent } = phoneNotifier({ notifyEvents: 'offline' });
    expect(n.destinations).toBe('through the EA of Phone-1');
    n.add(refusal(1));
    n.add(offline);
    await n.close();
    expect(sent).toEqual([{ account: 'Phone-1', msg: expect.objectContaining({ type: 'notify', event: 'offline', text: 'CopyBridge offline S2: offline (silent for 950 ms)' }) }]);
    expect(n.sent).toBe(1);
  });

  it('a storm becomes the first few and one digest on one line, within 255 characters', async () => {
    const { n, sent } = phoneNotifier({ notifyMaxPerWindow: 2, notifyWindowMs: 1000 });
    for (let i = 0; i < 30; i++) n.add(refusal(i));
    await until(() => sent.length === 3 || undefined, { what: 'two notes and the digest', timeoutMs: 3000 });
    await n.close();
    expect(sent.map((s) => s.msg.event)).toEqual(['refusal', 'refusal', 'digest']);
    const digest = sent[2].msg.text;
    expect(digest).toMatch(/^CopyBridge: 28 more notifications in the last 1 s \(refusal 28\); first: CopyBridge refusal S1: REFUSE open M1#2 /);
    expect(digest).not.toContain('\n');
    expect(digest.length).toBeLessThanOrEqual(NOTIFY_TEXT_MAX);
  });

  it('holds the notes while its terminal is away and sends them when it is back, the last 20 and a count of the rest', async () => {
    let here = false;
    const { n, sent } = phoneNotifier({ notifyMaxPerWindow: 100 }, (account) => account === 'Phone-1' && here);
    for (let i = 0; i < 23; i++) n.add(refusal(i));
    await until(() => n.sent === 23 || undefined, { what: 'the notes handed to the sink', timeoutMs: 3000 });
    expect(sent).toEqual([]);
    here = true;
    n.add({ type: 'terminal', time: T0 + 100, name: 'Phone-1', online: true, what: 'back', message: 'back online' });
    await n.close();
    expect(sent[0].msg.text).toBe('CopyBridge online Phone-1: 3 earlier notifications while Phone-1 was away were not kept');
    expect(sent.slice(1, 21).map((s) => s.msg.text.match(/M1#(\d+)/)?.[1])).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 3)));
    // Then the note of its own return, and nothing twice.
    expect(sent.map((s) => s.msg.event).slice(21)).toEqual(['online']);
    expect(sent).toHaveLength(22);
  });

  it('cuts a long text to 255 characters with an ellipsis', () => {
    const long = phoneText({ event: 'refusal', time: T0, account: 'S1', message: 'x'.repeat(400) });
    expect(long).toHaveLength(NOTIFY_TEXT_MAX);
    expect(long.endsWith('x…')).toBe(true);
  });

  it('goes with the webhook: every message to both sinks', async () => {
    const got: unknown[] = [];
    const server: Server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        got.push(JSON.parse(text));
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const { n, sent } = phoneNotifier({ notifyUrl: url });
      expect(n.destinations).toBe(`to 127.0.0.1:${(server.address() as AddressInfo).port}, and through the EA of Phone-1`);
      n.add(offline);
      await n.close();
      expect(got).toEqual([expect.objectContaining({ event: 'offline', account: 'S2' })]);
      expect(sent).toHaveLength(1);
      expect(n.sent).toBe(2);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('logs a failed publish with what to check', async () => {
    const log = memoryLogger('debug');
    const n = new Notifier({ config: makeConfig({ store: 'memory', notifyTerminal: 'Phone-1' }), log, sendTo: () => { throw new Error('socket closed'); } });
    n.add(offline);
    await n.close();
    expect(n.failed).toBe(1);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['notification through the EA of Phone-1 failed (socket closed); check notifyTerminal']);
  });
});

describe('notifyTerminal', () => {
  it('is an account name, from the config file, the environment or options; empty is off', () => {
    expect(makeConfig({}).notifyTerminal).toBe('');
    expect(loadConfig({ env: { COPYBRIDGE_NOTIFY_TERMINAL: 'FTMO-Slave' }, cwd: tempDir('cb-cfg-') }).notifyTerminal).toBe('FTMO-Slave');
    expect(() => makeConfig({ notifyTerminal: 'my phone' })).toThrow(/notifyTerminal "my phone" is not an account name \(1-64 letters, digits and \. _ @ -\)/);
    expect(() => makeConfig({ notifyTerminal: 'x'.repeat(65) })).toThrow(/is not an account name/);
  });
});

test('hub start wiring: a real terminal going offline reaches the notifyTerminal account as a notify message', async () => {
  const log = memoryLogger('debug');
  const hub = await startHub({
    config: { store: 'memory', pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*', heartbeatMs: 300, notifyTerminal: 'S1', notifyEvents: 'offline,online' },
    accounts: [
      { name: 'M1', type: 'MASTER', enabled: true },
      { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c' },
    ],
    logger: log,
    tickMs: 20,
  });
  const terminals = [
    new SimTerminal({ account: 'M1', hubPush: hub.pullEndpoint, hubPub: hub.pubEndpoint, broker: brokerFromPreset(MASTER_PRESET), heartbeatMs: 300, helloRetryMs: 100 }),
    new SimTerminal({ account: 'S1', hubPush: hub.pullEndpoint, hubPub: hub.pubEndpoint, broker: brokerFromPreset(SUFFIX_PRESET), heartbeatMs: 300, helloRetryMs: 100 }),
  ];
  const [m1, s1] = terminals;
  const notifications = await startNotifier(hub);
  try {
    for (const t of terminals) await t.start();
    for (const t of terminals) await t.waitFor(() => t.role, 5000, `${t.account} welcome`);
    expect(log.lines.map((l) => l.message)).toContain('notifications of offline,online through the EA of S1, at most 5 per 60 s, then a digest');
    m1.setOffline(true);
    const note = await s1.waitFor(() => s1.received.find((m) => m.type === 'notify'), 5000, 'the notify message');
    expect(note).toMatchObject({ type: 'notify', account: 'S1', event: 'offline', text: expect.stringMatching(/^CopyBridge offline M1: /) });
  } finally {
    await notifications?.stop();
    await Promise.all(terminals.map((t) => t.stop()));
    await hub.stop();
  }
});

test('hub start wiring: nothing without notifyUrl and notifyTerminal; an unregistered notifyTerminal is a warning', async () => {
  const log = memoryLogger('debug');
  const hub = await startHub({ config: { store: 'memory', pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*' }, logger: log });
  try {
    expect(await startNotifier(hub)).toBeUndefined();
  } finally {
    await hub.stop();
  }
  const hub2 = await startHub({ config: { store: 'memory', pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*', notifyTerminal: 'Nobody' }, logger: log });
  try {
    const n = await startNotifier(hub2);
    await n?.stop();
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toContain(
      'notifyTerminal Nobody is not a registered account: its notifications reach no EA until it is (npm run hub -- accounts add Nobody --type SLAVE   (or --type MASTER))',
    );
  } finally {
    await hub2.stop();
  }
});
