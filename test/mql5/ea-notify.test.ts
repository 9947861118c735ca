/**
 * Notifications to the trader's phone through the EA (docs/dashboard.md, "Notifications"): the
 * hub's `notify` messages become SendNotification calls of the EA's own code, within MetaTrader's
 * limits (255 characters, 2 calls a second, 10 a minute), which the MQL5 stand-in enforces as
 * MetaTrader does and records. First against the scripted fake hub, then end to end: a real hub
 * whose notifyTerminal is an EA, told that another EA's terminal went offline.
 */
import { startNotifier } from '../../hub/cli/start';
import { sleep } from '../helpers';
import { useFakeHub } from './fake-hub-suite';
import { startTestHub, Terminal } from './terminal';

jest.setTimeout(60_000);

interface Pushed {
  pushed: { ms: number; text: string }[];
  calls: number[];
  refused: number;
}

// This file has never checked that every message of its EAs was valid (the other EA tests do).
const { hub, terminal, welcome } = useFakeHub({ checkMessages: false });

async function notified(t: Terminal): Promise<Pushed> {
  return (await t.ok('notifications')) as unknown as Pushed;
}

/** Starts a terminal and welcomes it as a master. */
async function welcomed(account: string, opts: { noMqid?: boolean } = {}): Promise<Terminal> {
  const t = await terminal({ account, ...opts });
  await welcome(t, () => hub.welcome(account, 'master'));
  return t;
}

test('a burst of notify messages: at most 2 calls a second and 10 a minute, the rest dropped with a count, long texts cut to 255', async () => {
  const t = await welcomed('N1');
  const long = `first ${'x'.repeat(300)}`;
  await hub.send('N1', { type: 'notify', event: 'refusal', text: long });
  for (let i = 2; i <= 15; i++) await hub.send('N1', { type: 'notify', event: 'refusal', text: `note ${i}` });
  const ten = await t.waitFor('ten notifications pushed', async () => {
    const n = await notified(t);
    return n.pushed.length >= 10 ? n : undefined;
  }, 15_000);
  await sleep(1500);
  const after = await notified(t);
  // MetaTrader's limits, as the stand-in counts them: nothing was refused, nothing more within the minute
  expect(after.refused).toBe(0);
  expect(after.pushed).toHaveLength(10);
  expect(after.calls).toHaveLength(10);
  for (let i = 2; i < after.calls.length; i++) expect(after.calls[i] - after.calls[i - 2]).toBeGreaterThanOrEqual(1000);
  expect(ten.pushed[0].text).toHaveLength(255);
  expect(ten.pushed[0].text).toBe(`${long.slice(0, 252)}...`);
  expect(ten.pushed.slice(1).map((p) => p.text)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `note ${i}`));
  expect(t.logs.filter((l) => /WARNING 1 notification\(s\) from the hub dropped: 10 already wait for MetaTrader's limit of 10 a minute/.test(l))).toHaveLength(5);
  // the count of what was dropped waits for the next minute, on the chart meanwhile
  expect(await t.status()).toMatch(/Notifications: 10 sent, 5 dropped, 1 waiting/);
});

test('no MetaQuotes ID: no call, the chart says what to set; once set, the next goes out with the count of those missed', async () => {
  const t = await welcomed('N2', { noMqid: true });
  await hub.send('N2', { type: 'notify', event: 'offline', text: 'CopyBridge offline M1: silent' });
  await t.waitLog(/WARNING notifications from the hub cannot reach your phone: push notifications are off in this terminal: in the terminal, Tools > Options > Notifications: tick 'Enable Push Notifications' and enter the MetaQuotes ID/);
  await t.waitFor('the chart to say so', async () => /Notifications: 0 sent, 1 dropped {2}FAILING: push notifications are off in this terminal: in the terminal, Tools > Options > Notifications/.test(await t.status()) || undefined);
  expect((await notified(t)).calls).toEqual([]);

  await t.ok('mqid on');
  await hub.send('N2', { type: 'notify', event: 'online', text: 'CopyBridge online M1: back' });
  const n = await t.waitFor('two pushed', async () => {
    const x = await notified(t);
    return x.pushed.length >= 2 ? x : undefined;
  });
  expect(n.pushed.map((p) => p.text)).toEqual([
    'CopyBridge online M1: back',
    "CopyBridge: 1 notification(s) from the hub were not sent (MetaTrader allows 10 a minute, or notifications were off); the terminal's Experts tab has them",
  ]);
  await t.waitLog(/notifications reach the phone again/);
  await t.waitFor('the chart to clear', async () => (/Notifications: 2 sent, 1 dropped$/.test(await t.status()) ? true : undefined));
});

test('a failed SendNotification is logged with GetLastError() and shown until one goes through', async () => {
  const t = await welcomed('N3');
  await t.ok('pushfail 1');
  await hub.send('N3', { type: 'notify', event: 'ledger', text: 'CopyBridge ledger: mongodb write failed' });
  await t.waitLog(/ERROR SendNotification: failed to send the notification \(4515\): "CopyBridge ledger: mongodb write failed" not sent/);
  await t.waitFor('the chart to show it', async () => (/Notifications: 0 sent, 1 dropped {2}FAILING: failed to send the notification \(4515\)/.test(await t.status()) ? true : undefined));
  await hub.send('N3', { type: 'notify', event: 'ledger', text: 'CopyBridge ledger: mongodb reachable again' });
  await t.waitFor('it to go through', async () => ((await notified(t)).pushed.some((p) => p.text === 'CopyBridge ledger: mongodb reachable again') ? true : undefined));
  await t.waitFor('the chart to clear', async () => (/Notifications: [12] sent, 1 dropped(, 1 waiting)?$/.test(await t.status()) ? true : undefined));
});

test('end to end: the real hub tells its notifyTerminal EA that another terminal went offline', async () => {
  const real = await startTestHub(
    [
      { name: 'M9', type: 'MASTER', enabled: true },
      { name: 'Phone-9', type: 'SLAVE', enabled: true },
    ],
    undefined,
    { heartbeatMs: 300, notifyTerminal: 'Phone-9', notifyEvents: 'offline' },
  );
  const notifications = await startNotifier(real);
  const ep = { pullEndpoint: real.pullEndpoint, pubEndpoint: real.pubEndpoint };
  const [m9, phone] = await Promise.all([Terminal.start({ ...ep, account: 'M9', tickets: 90000 }), Terminal.start({ ...ep, account: 'Phone-9', tickets: 91000 })]);
  try {
    for (const t of [m9, phone]) await t.waitLog(/welcome from hub/);
    await m9.kill();
    // Under load the phone's own terminal can be marked offline too: that note waits for it and
    // arrives when it is back, possibly first. The one asked for is M9's.
    const n = await phone.waitFor('the offline notification', async () => {
      const x = await notified(phone);
      return x.pushed.some((p) => /^CopyBridge offline M9: /.test(p.text)) ? x : undefined;
    }, 10_000);
    expect(n.pushed.map((p) => p.text)).toContainEqual(expect.stringMatching(/^CopyBridge offline M9: /));
    expect(n.refused).toBe(0);
  } finally {
    await notifications?.stop();
    await Promise.all([m9.stop(), phone.stop()]);
    await real.stop();
  }
});
