/** SimTerminal against a stand-in hub made of real ZeroMQ sockets on loopback. */
import { Publisher, Pull } from 'zeromq';
import {
  decodeTerminalMessage,
  type Body,
  type HubMessage,
  type OpenMsg,
  type ResultMsg,
  type TerminalMessage,
} from '../../hub/protocol';
import { SimTerminal, type SimTerminalOptions } from '../../sim/terminal';
import { SimJournal } from '../../sim/journal';
import { MASTER_PRESET, SUFFIX_PRESET, brokerFromPreset } from '../../sim/presets';
import { Retcode } from '../../sim/retcodes';
import { sleep, until } from '../helpers';

const MAGIC = 20250;

class FakeHub {
  readonly pub = new Publisher({ linger: 0 });
  readonly pull = new Pull({ linger: 0 });
  readonly got: TerminalMessage[] = [];
  readonly raw: string[] = [];
  /** frames that failed decodeTerminalMessage, with the reason */
  readonly invalid: string[] = [];
  /** accounts answered with a welcome on every hello */
  readonly welcoming = new Map<string, 'master' | 'slave' | 'disabled'>();
  /** more welcome fields (a newer hub's) */
  welcomeExtra: Record<string, unknown> = {};
  private seq = 0;
  private loop?: Promise<void>;

  async start() {
    await this.pub.bind('tcp://127.0.0.1:*');
    await this.pull.bind('tcp://127.0.0.1:*');
    this.loop = this.receive();
  }

  get pushEndpoint() {
    return this.pull.lastEndpoint as string;
  }

  get pubEndpoint() {
    return this.pub.lastEndpoint as string;
  }

  private async receive() {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.pull.receive();
      } catch {
        return;
      }
      const text = frames[0].toString('utf8');
      this.raw.push(text);
      let msg: TerminalMessage;
      try {
        msg = decodeTerminalMessage(frames[0]);
      } catch (e) {
        this.invalid.push(`${text}: ${(e as Error).message}`);
        continue;
      }
      this.got.push(msg);
      // Like the real hub: every hello is answered, since a welcome may be lost (slow joiner).
      const role = this.welcoming.get(msg.account);
      if (msg.type === 'hello' && role) {
        await this.publish(msg.account, { type: 'welcome', role, magic: MAGIC, heartbeat_ms: 200, snapshot_ms: 0, hub_version: 'test', ...this.welcomeExtra });
      }
    }
  }

  async publish(topic: string, body: Body<HubMessage>, account = topic) {
    const msg = { v: 1, ...body, account, seq: ++this.seq, ts: Date.now() };
    await this.pub.send([topic, JSON.stringify(msg)]);
  }

  of<K extends TerminalMessage['type']>(account: string, type: K): Extract<TerminalMessage, { type: K }>[] {
    return this.got.filter((m): m is Extract<TerminalMessage, { type: K }> => m.account === account && m.type === type);
  }

  waitFor<T>(pred: () => T | undefined | false | null, timeoutMs = 3000, what = 'condition'): Promise<T> {
    return until(pred, { timeoutMs, what: `${what} (fake hub)`, everyMs: 5, detail: () => `got ${this.got.map((m) => `${m.account}:${m.type}`).join(', ')}` });
  }

  result(account: string, cmdId: string, nth = 0): Promise<ResultMsg> {
    return this.waitFor(() => this.of(account, 'result').filter((r) => r.cmd_id === cmdId)[nth], 3000, `result #${nth + 1} of ${cmdId}`);
  }

  async close() {
    this.pub.close();
    this.pull.close();
    await this.loop;
  }
}

let hub: FakeHub;
const terminals: SimTerminal[] = [];

beforeEach(async () => {
  hub = new FakeHub();
  await hub.start();
});

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((t) => t.stop()));
  await hub.close();
  // Everything a terminal sends must pass the hub's validator (send() garbage excepted).
  expect(hub.invalid.filter((x) => !x.startsWith('{"garbage":'))).toEqual([]);
});

function terminal(account: string, over: Partial<SimTerminalOptions> = {}): SimTerminal {
  const t = new SimTerminal({
    account,
    hubPush: hub.pushEndpoint,
    hubPub: hub.pubEndpoint,
    broker: brokerFromPreset(SUFFIX_PRESET),
    helloRetryMs: 50,
    ...over,
  });
  terminals.push(t);
  return t;
}

async function welcomed(account: string, role: 'master' | 'slave' = 'slave', over: Partial<SimTerminalOptions> = {}) {
  hub.welcoming.set(account, role);
  const t = terminal(account, over);
  await t.start();
  await t.waitFor(() => t.welcome, 3000, 'welcome');
  // Stop answering so hellos still in flight do not bring extra welcomes the tests must allow for.
  hub.welcoming.delete(account);
  await hub.waitFor(() => hub.of(account, 'heartbeat').length > 0, 3000, 'first heartbeat');
  return t;
}

let cmdSeq = 0;
function openCmd(over: Partial<OpenMsg> = {}): Body<OpenMsg> {
  return {
    type: 'open',
    cmd_id: `c-${++cmdSeq}`,
    expires_ms: Date.now() + 10_000,
    master: 'M1',
    master_position: '5001',
    symbol: 'EURUSD.c',
    side: 'buy',
    volume: 0.5,
    price: 1.08412,
    max_deviation_points: 30,
    sl: 1.08,
    tp: 1.09,
    magic: MAGIC,
    comment: 'CB:6f1e:5001',
    ...over,
  };
}

describe('SimTerminal session', () => {
  it('repeats hello until a welcome arrives, then sends symbols, snapshot and heartbeats', async () => {
    const t = terminal('S1', { login: 777, company: 'Acme', server: 'Acme-1' });
    await t.start();
    await hub.waitFor(() => hub.of('S1', 'hello').length >= 3, 3000, '3 hellos');
    expect(t.welcome).toBeUndefined();
    const hello = hub.of('S1', 'hello')[0];
    expect(hello).toMatchObject({ v: 1, seq: 1, login: 777, broker: 'Acme', server: 'Acme-1', margin_mode: 'hedging', currency: 'USD' });
    expect(hub.of('S1', 'hello').map((h) => h.seq)).toEqual([1, 2, 3, ...hub.of('S1', 'hello').slice(3).map((h) => h.seq)]);

    hub.welcoming.set('S1', 'slave');
    await t.waitFor(() => t.welcome, 3000, 'welcome');
    expect(t.role).toBe('slave');
    const symbols = await hub.waitFor(() => hub.of('S1', 'symbols')[0]);
    expect(symbols.replace).toBe(true);
    expect(symbols.symbols.map((s) => s.name)).toEqual(['EURUSD.c', 'GBPUSD.c', 'XAUUSD.c', 'US30.c']);
    await hub.waitFor(() => hub.of('S1', 'snapshot')[0]);
    // heartbeat right after welcome, then every heartbeat_ms (200)
    await hub.waitFor(() => hub.of('S1', 'heartbeat').length >= 3, 2000, '3 heartbeats');
    expect(hub.of('S1', 'heartbeat')[0]).toMatchObject({ balance: 100000, equity: 100000, margin: 0, trade_allowed: true });

    const hellos = hub.of('S1', 'hello').length;
    await sleep(200);
    expect(hub.of('S1', 'hello').length).toBe(hellos);
  });

  it('splits symbols into chunks, the first with replace=true', async () => {
    await welcomed('S1', 'slave', { symbolsChunk: 3 });
    const chunks = await hub.waitFor(() => hub.of('S1', 'symbols').length === 2 && hub.of('S1', 'symbols'));
    expect(chunks.map((c) => [c.replace, c.symbols.length])).toEqual([
      [true, 3],
      [false, 1],
    ]);
  });

  it('keeps only frames whose topic equals its account exactly', async () => {
    const s1 = await welcomed('S1');
    const s10 = await welcomed('S10');
    await hub.publish('S10', { type: 'ping' });
    await hub.publish('S1', { type: 'snapshot_request' });
    await s10.waitForMessage('ping');
    await s1.waitForMessage('snapshot_request');
    await hub.publish('S1', { type: 'ping' });
    await s1.waitForMessage('ping');
    expect(s1.received.every((m) => m.account === 'S1')).toBe(true);
    expect(s1.received.map((m) => m.type)).toEqual(['welcome', 'snapshot_request', 'ping']);
    expect(s10.received.map((m) => m.type)).toEqual(['welcome', 'ping']);
  });

  it('answers ping with a heartbeat and snapshot_request with a snapshot, and records hub errors', async () => {
    const t = await welcomed('S1', 'master', { broker: brokerFromPreset(MASTER_PRESET) });
    t.buy('EURUSD', 0.3);
    const beats = hub.of('S1', 'heartbeat').length;
    const snaps = hub.of('S1', 'snapshot').length;
    await hub.publish('S1', { type: 'ping' });
    await hub.publish('S1', { type: 'snapshot_request' });
    await hub.waitFor(() => hub.of('S1', 'heartbeat').length > beats);
    const snap = await hub.waitFor(() => hub.of('S1', 'snapshot')[snaps]);
    expect(snap.positions).toHaveLength(1);
    expect(snap.positions[0]).toMatchObject({ symbol: 'EURUSD', side: 'buy', volume: 0.3 });

    await hub.publish('S1', { type: 'error', code: 'E_INVALID_MESSAGE', message: 'bad', ref_type: 'deal', ref_seq: 3 });
    await t.waitFor(() => t.errors.length === 1);
    expect(t.errors[0]).toMatchObject({ code: 'E_INVALID_MESSAGE', message: 'bad' });
  });

  it('drops undecodable frames on its topic and keeps running', async () => {
    const t = await welcomed('S1');
    await hub.pub.send(['S1', '{not json']);
    await hub.publish('S1', { type: 'ping' });
    await t.waitForMessage('ping');
    expect(t.decodeErrors).toHaveLength(1);
    expect(t.decodeErrors[0]).toMatch(/not valid JSON/);
  });

  it('reports its own trades as deal and position messages, in order', async () => {
    const t = await welcomed('M1', 'master', { broker: brokerFromPreset(MASTER_PRESET) });
    const a = t.buy('EURUSD', 1, { sl: 1.08 });
    const b = t.sell('EURUSD', 0.4);
    t.close(a.position, 0.2);
    t.modify(a.position, 1.081, 1.09);
    t.closeBy(a.position, b.position);
    const deals = await hub.waitFor(() => hub.of('M1', 'deal').length === 5 && hub.of('M1', 'deal'));
    expect(deals.map((d) => [d.entry, d.volume, d.position])).toEqual([
      ['in', 1, a.position],
      ['in', 0.4, b.position],
      ['out', 0.2, a.position],
      ['out_by', 0.4, a.position],
      ['out_by', 0.4, b.position],
    ]);
    const changes = await hub.waitFor(() => hub.of('M1', 'position')[0]);
    expect(changes).toMatchObject({ position: a.position, sl: 1.081, tp: 1.09, volume: 0.8 });
    // sequence numbers strictly increase
    const seqs = hub.got.filter((m) => m.account === 'M1').map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(t.positions()).toEqual([expect.objectContaining({ position: a.position, volume: 0.4 })]);
  });

  it('streams ticks for watched symbols: the first at once, then throttled, the latest winning', async () => {
    const t = await welcomed('M1', 'master', { broker: brokerFromPreset(MASTER_PRESET), tickThrottleMs: 100 });
    await hub.publish('M1', { type: 'watch', symbols: ['EURUSD', 'XAUUSD'] });
    const first = await hub.waitFor(() => hub.of('M1', 'tick').length === 2 && hub.of('M1', 'tick'));
    expect(first.map((x) => [x.symbol, x.bid, x.ask])).toEqual([
      ['EURUSD', 1.0841, 1.08412],
      ['XAUUSD', 2385.4, 2385.6],
    ]);
    t.setQuote('GBPUSD', 1.3, 1.30003); // not watched
    for (let i = 1; i <= 5; i++) t.setQuote('EURUSD', 1.0841 + i * 0.0001, 1.08412 + i * 0.0001);
    const last = await hub.waitFor(() => hub.of('M1', 'tick').find((x) => x.bid === 1.0846));
    const eur = hub.of('M1', 'tick').filter((x) => x.symbol === 'EURUSD');
    expect(eur.length).toBeLessThanOrEqual(3);
    expect(last.ask).toBe(1.08462);
    expect(hub.of('M1', 'tick').some((x) => x.symbol === 'GBPUSD')).toBe(false);
    await sleep(150);
    expect(hub.of('M1', 'tick').filter((x) => x.symbol === 'EURUSD')).toHaveLength(eur.length);
  });

  it('send() pushes raw bytes', async () => {
    const t = await welcomed('S1');
    t.send('{"garbage":');
    await hub.waitFor(() => hub.raw.includes('{"garbage":'));
  });

  it('stop() closes the sockets; start() reconnects and says hello again', async () => {
    const t = await welcomed('S1');
    await t.stop();
    hub.welcoming.set('S1', 'slave');
    expect(t.started).toBe(false);
    expect(t.welcome).toBeUndefined();
    const hellos = hub.of('S1', 'hello').length;
    await t.start();
    await t.waitFor(() => t.welcome, 3000, 'second welcome');
    expect(hub.of('S1', 'hello').length).toBeGreaterThan(hellos);
    // A fresh session numbers from 1 (a retried hello, if the welcome was slow, follows it).
    expect(hub.of('S1', 'hello')[hellos]?.seq).toBe(1);
  });

  it('offline mode drops what is received and sends nothing', async () => {
    const t = await welcomed('S1');
    t.setOffline(true);
    const sent = hub.got.length;
    await hub.publish('S1', { type: 'ping' });
    await sleep(300); // > heartbeat_ms
    expect(t.received.some((m) => m.type === 'ping')).toBe(false);
    expect(hub.got.length).toBe(sent);
    t.setOffline(false);
    await hub.publish('S1', { type: 'ping' });
    await t.waitForMessage('ping');
  });
});

describe('SimTerminal as a slave', () => {
  it('opens a copy with magic and comment, replies done, then reports the deal', async () => {
    const t = await welcomed('S1');
    const cmd = openCmd();
    await hub.publish('S1', cmd);
    const r = await hub.result('S1', cmd.cmd_id);
    expect(r).toMatchObject({ status: 'done', retcode: 10009, message: 'done', price: 1.08413, volume: 0.5 });
    expect(r.ticket).toBe(r.position);
    const pos = t.broker.position(r.position as string);
    expect(pos).toMatchObject({ magic: MAGIC, comment: 'CB:6f1e:5001', sl: 1.08, tp: 1.09, side: 'buy' });

    const deal = await hub.waitFor(() => hub.of('S1', 'deal')[0]);
    expect(deal).toMatchObject({ position: r.position, reason: 'expert', magic: MAGIC, comment: 'CB:6f1e:5001', entry: 'in' });
    const resultIdx = hub.got.indexOf(r);
    expect(hub.got.indexOf(deal)).toBeGreaterThan(resultIdx);

    expect(t.positions()[0]).toMatchObject({ master: 'M1', master_position: '5001' });
    expect(t.results).toHaveLength(1);
  });

  it('normalises volume and prices, and picks an allowed filling mode', async () => {
    const t = await welcomed('S1');
    // IOC-only symbol, float noise in volume and prices
    const cmd = openCmd({ volume: 0.30000000000000004, sl: 1.0800000001, tp: 0 });
    await hub.publish('S1', cmd);
    const r = await hub.result('S1', cmd.cmd_id);
    expect(r).toMatchObject({ status: 'done', volume: 0.3 });
    expect(t.broker.position(r.position as string)).toMatchObject({ sl: 1.08, tp: 0 });
  });

  it('answers a repeated cmd_id with duplicate and the same ticket, opening nothing', async () => {
    const t = await welcomed('S1');
    const cmd = openCmd();
    await hub.publish('S1', cmd);
    const first = await hub.result('S1', cmd.cmd_id);
    await hub.publish('S1', cmd);
    const again = await hub.result('S1', cmd.cmd_id, 1);
    expect(again).toMatchObject({ status: 'duplicate', retcode: 0, ticket: first.ticket, position: first.position });
    expect(again.message).toMatch(/already handled/);
    expect(t.broker.positions()).toHaveLength(1);
  });

  it('dropResults() executes commands but loses their results; the re-sent command answers duplicate', async () => {
    const t = await welcomed('S1');
    t.dropResults(1);
    const cmd = openCmd();
    await hub.publish('S1', cmd);
    await t.waitFor(() => t.broker.positions().length === 1, 3000, 'the copy');
    await hub.waitFor(() => hub.of('S1', 'deal')[0], 3000, 'the deal');
    expect(hub.of('S1', 'result')).toHaveLength(0);
    expect(t.droppedResults).toBe(1);
    await hub.publish('S1', cmd);
    const again = await hub.result('S1', cmd.cmd_id);
    expect(again).toMatchObject({ status: 'duplicate', position: t.broker.positions()[0].position });
    expect(t.broker.positions()).toHaveLength(1);
  });

  it('answers a repeated refused cmd_id with the same refusal', async () => {
    await welcomed('S1');
    const cmd = openCmd({ symbol: 'NOPE' });
    await hub.publish('S1', cmd);
    expect(await hub.result('S1', cmd.cmd_id)).toMatchObject({ status: 'refused' });
    await hub.publish('S1', cmd);
    expect(await hub.result('S1', cmd.cmd_id, 1)).toMatchObject({ status: 'refused', message: expect.stringMatching(/already handled/) });
  });

  it('never opens a second copy of a master position unless increase is set', async () => {
    const t = await welcomed('S1');
    const a = openCmd();
    await hub.publish('S1', a);
    const ra = await hub.result('S1', a.cmd_id);

    const b = openCmd({ master_position: '5001', comment: 'CB:6f1e:5001' });
    await hub.publish('S1', b);
    const rb = await hub.result('S1', b.cmd_id);
    expect(rb).toMatchObject({ status: 'duplicate', ticket: ra.ticket, position: ra.position, volume: 0.5 });
    expect(rb.message).toContain('M1/5001');
    expect(t.broker.positions()).toHaveLength(1);

    const c = openCmd({ increase: true, volume: 0.2 });
    await hub.publish('S1', c);
    expect(await hub.result('S1', c.cmd_id)).toMatchObject({ status: 'done', volume: 0.2 });
    expect(t.broker.positions()).toHaveLength(2);
  });

  it('finds an existing copy by magic and comment when the journal is lost', async () => {
    const broker = brokerFromPreset(SUFFIX_PRESET);
    broker.buy('EURUSD.c', 0.5, { magic: MAGIC, comment: 'CB:6f1e:5001' });
    await welcomed('S1', 'slave', { broker });
    const cmd = openCmd();
    await hub.publish('S1', cmd);
    expect(await hub.result('S1', cmd.cmd_id)).toMatchObject({ status: 'duplicate', ticket: broker.positions()[0].ticket });
    expect(broker.positions()).toHaveLength(1);
  });

  it('refuses when the price has moved beyond max_deviation_points, saying by how much', async () => {
    const t = await welcomed('S1');
    t.setQuote('EURUSD.c', 1.08459, 1.08463); // ask 51 points above the master price
    const cmd = openCmd({ max_deviation_points: 30 });
    await hub.publish('S1', cmd);
    const r = await hub.result('S1', cmd.cmd_id);
    expect(r).toMatchObject({ status: 'refused', retcode: 0 });
    expect(r.message).toContain('51.0 points');
    expect(r.message).toContain('1.08463');
    expect(r.message).toContain('1.08412');
    expect(r.message).toContain('30');
    expect(t.broker.positions()).toHaveLength(0);

    // sells are checked against the bid
    const sell = openCmd({ side: 'sell', price: 1.08459, master_position: '5002', comment: 'CB:6f1e:5002', sl: 0, tp: 0 });
    await hub.publish('S1', sell);
    expect(await hub.result('S1', sell.cmd_id)).toMatchObject({ status: 'done', price: 1.08459 });
  });

  it('counts ttl_ms from receipt on its own clock: a clock an hour off still executes in time', async () => {
    const t = await welcomed('S1', 'slave', { now: () => Date.now() + 3_600_000 });
    const cmd = openCmd({ ttl_ms: 10_000 });
    await hub.publish('S1', cmd);
    expect(await hub.result('S1', cmd.cmd_id)).toMatchObject({ status: 'done' });
    expect(t.broker.positions()).toHaveLength(1);
    // without ttl_ms (an older hub) only expires_ms against its own clock is left: expired
    const old = openCmd({ master_position: '5002', comment: 'CB:6f1e:5002' });
    await hub.publish('S1', old);
    expect(await hub.result('S1', old.cmd_id)).toMatchObject({ status: 'expired' });
    expect(t.broker.positions()).toHaveLength(1);
  });

  it('sends a long snapshot in parts to a hub that takes them, whole to one that does not', async () => {
    hub.welcomeExtra = { max_message_bytes: 1 << 20 };
    const t = await welcomed('M1', 'master', { broker: brokerFromPreset(MASTER_PRESET), snapshotChunk: 3 });
    for (let i = 0; i < 7; i++) t.broker.buy('EURUSD', 0.01);
    const before = hub.of('M1', 'snapshot').length;
    await hub.publish('M1', { type: 'snapshot_request' });
    const parts = await hub.waitFor(() => (hub.of('M1', 'snapshot').length >= before + 3 ? hub.of('M1', 'snapshot').slice(before) : undefined));
    expect(parts.map((p) => [p.part, p.parts, p.positions.length])).toEqual([[1, 3, 3], [2, 3, 3], [3, 3, 1]]);
    expect(new Set(parts.map((p) => p.snapshot_id)).size).toBe(1);
    expect(new Set(parts.flatMap((p) => p.positions.map((x) => x.position))).size).toBe(7);

    hub.welcomeExtra = {};
    const older = await welcomed('M2', 'master', { broker: brokerFromPreset(MASTER_PRESET), snapshotChunk: 3 });
    for (let i = 0; i < 7; i++) older.broker.buy('EURUSD', 0.01);
    await hub.publish('M2', { type: 'snapshot_request' });
    const whole = await hub.waitFor(() => hub.of('M2', 'snapshot').find((s) => s.positions.length === 7));
    expect(whole.snapshot_id).toBeUndefined();
  });

  it('answers expired after expires_ms and does nothing', async () => {
    const t = await welcomed('S1');
    const cmd = openCmd({ expires_ms: Date.now() - 1 });
    await hub.publish('S1', cmd);
    const r = await hub.result('S1', cmd.cmd_id);
    expect(r).toMatchObject({ status: 'expired', retcode: 0 });
    expect(t.broker.positions()).toHaveLength(0);
  });

  it('retries requotes while within tolerance, and reports the last retcode when they persist', async () => {
    const t = await welcomed('S1');
    t.broker.injectRetcode(Retcode.REQUOTE, 2);
    const a = openCmd();
    await hub.publish('S1', a);
    expect(await hub.result('S1', a.cmd_id)).toMatchObject({ status: 'done', retcode: 10009 });

    // persisting: one try + 3 retries use up exactly 4 injections
    t.broker.injectRetcode(Retcode.PRICE_OFF, 4);
    const b = openCmd({ master_position: '5002', comment: 'CB:6f1e:5002' });
    await hub.publish('S1', b);
    expect(await hub.result('S1', b.cmd_id)).toMatchObject({ status: 'rejected', retcode: 10021, message: 'off quotes' });
    expect(t.buy('EURUSD.c', 0.1).retcode).toBe(Retcode.DONE);

    // 10006 is not retried
    t.broker.injectRetcode(Retcode.REJECT, 1);
    const c = openCmd({ master_position: '5003', comment: 'CB:6f1e:5003' });
    await hub.publish('S1', c);
    expect(await hub.result('S1', c.cmd_id)).toMatchObject({ status: 'rejected', retcode: 10006, message: 'rejected' });
  });

  it('reports a partial fill', async () => {
    const t = await welcomed('S1');
    t.broker.injectRetcode(Retcode.DONE_PARTIAL);
    const cmd = openCmd({ volume: 1 });
    await hub.publish('S1', cmd);
    expect(await hub.result('S1', cmd.cmd_id)).toMatchObject({ status: 'partial', retcode: 10010, volume: 0.5 });
  });

  it('closes in part and in full, reporting the remaining volume', async () => {
    const t = await welcomed('S1');
    const open = openCmd({ volume: 1 });
    await hub.publish('S1', open);
    const ro = await hub.result('S1', open.cmd_id);
    const ticket = ro.ticket as string;
    const base = { master: 'M1', master_position: '5001', expires_ms: Date.now() + 10_000, ticket, symbol: 'EURUSD.c' } as const;

    await hub.publish('S1', { type: 'close', cmd_id: 'close-1', volume: 0.4, ...base });
    expect(await hub.result('S1', 'close-1')).toMatchObject({ status: 'done', volume: 0.4, remaining_volume: 0.6, position: ticket, price: 1.08409 });
    await hub.publish('S1', { type: 'close', cmd_id: 'close-2', volume: 5, ...base });
    expect(await hub.result('S1', 'close-2')).toMatchObject({ status: 'done', volume: 0.6, remaining_volume: 0 });
    expect(t.broker.positions()).toHaveLength(0);
    await hub.publish('S1', { type: 'close', cmd_id: 'close-3', volume: 1, ...base });
    expect(await hub.result('S1', 'close-3')).toMatchObject({ status: 'refused', remaining_volume: 0, message: expect.stringContaining('not found') });

    const outs = await hub.waitFor(() => hub.of('S1', 'deal').filter((d) => d.entry === 'out').length === 2 && hub.of('S1', 'deal').filter((d) => d.entry === 'out'));
    expect(outs.map((d) => [d.volume, d.position_volume, d.magic])).toEqual([
      [0.4, 0.6, MAGIC],
      [0.6, 0, MAGIC],
    ]);
  });

  it('modifies SL/TP and closes by an opposite copy', async () => {
    const t = await welcomed('S1');
    const a = openCmd({ sl: 0, tp: 0 });
    const b = openCmd({ side: 'sell', price: 1.08409, master_position: '5002', comment: 'CB:6f1e:5002', sl: 0, tp: 0, volume: 0.2 });
    await hub.publish('S1', a);
    await hub.publish('S1', b);
    const ra = await hub.result('S1', a.cmd_id);
    const rb = await hub.result('S1', b.cmd_id);
    const common = { master: 'M1', expires_ms: Date.now() + 10_000 } as const;

    await hub.publish('S1', { type: 'modify', cmd_id: 'mod-1', master_position: '5001', ticket: ra.ticket as string, symbol: 'EURUSD.c', sl: 1.083, tp: 1.09, ...common });
    expect(await hub.result('S1', 'mod-1')).toMatchObject({ status: 'done', retcode: 10009, position: ra.position });
    expect(t.broker.position(ra.position as string)).toMatchObject({ sl: 1.083, tp: 1.09 });
    const change = await hub.waitFor(() => hub.of('S1', 'position')[0]);
    expect(change).toMatchObject({ position: ra.position, sl: 1.083, tp: 1.09 });
    // the same SL/TP again is not an error
    await hub.publish('S1', { type: 'modify', cmd_id: 'mod-2', master_position: '5001', ticket: ra.ticket as string, symbol: 'EURUSD.c', sl: 1.083, tp: 1.09, ...common });
    expect(await hub.result('S1', 'mod-2')).toMatchObject({ status: 'done', message: 'no changes' });
    // inside the 10-point stops level
    await hub.publish('S1', { type: 'modify', cmd_id: 'mod-3', master_position: '5001', ticket: ra.ticket as string, symbol: 'EURUSD.c', sl: 1.08405, tp: 0, ...common });
    expect(await hub.result('S1', 'mod-3')).toMatchObject({ status: 'rejected', retcode: 10016, message: 'invalid stops' });

    await hub.publish('S1', {
      type: 'close_by',
      cmd_id: 'cb-1',
      master_position: '5001',
      master_position_by: '5002',
      ticket: ra.ticket as string,
      ticket_by: rb.ticket as string,
      ...common,
    });
    expect(await hub.result('S1', 'cb-1')).toMatchObject({ status: 'done', volume: 0.2, remaining_volume: 0.3 });
    expect(t.broker.positions().map((p) => [p.ticket, p.volume])).toEqual([[ra.ticket, 0.3]]);
  });

  it('rejects with 10027 when algo trading is off, and refuses commands unless it is a slave', async () => {
    const t = await welcomed('S1');
    t.setTradeAllowed(false);
    const a = openCmd();
    await hub.publish('S1', a);
    expect(await hub.result('S1', a.cmd_id)).toMatchObject({ status: 'rejected', retcode: 10027 });

    await welcomed('M1', 'master');
    const b = openCmd();
    await hub.publish('M1', b);
    expect(await hub.result('M1', b.cmd_id)).toMatchObject({ status: 'refused', message: expect.stringContaining('master') });
  });

  it('keeps its journal across stop()/start() and into a new object', async () => {
    const broker = brokerFromPreset(SUFFIX_PRESET);
    const t = await welcomed('S1', 'slave', { broker });
    const cmd = openCmd();
    await hub.publish('S1', cmd);
    const first = await hub.result('S1', cmd.cmd_id);

    await t.stop();
    hub.welcoming.set('S1', 'slave');
    await t.start();
    await t.waitFor(() => t.welcome);
    await hub.publish('S1', cmd);
    expect(await hub.result('S1', cmd.cmd_id, 1)).toMatchObject({ status: 'duplicate', ticket: first.ticket });
    await t.stop();

    // restart with a new object and the journal "file" read back from disk
    const journal = new SimJournal(JSON.parse(JSON.stringify(t.journal)));
    const t2 = await welcomed('S1', 'slave', { broker, journal });
    await hub.publish('S1', cmd);
    expect(await hub.result('S1', cmd.cmd_id, 2)).toMatchObject({ status: 'duplicate', ticket: first.ticket });
    const snap = await hub.waitFor(() => hub.of('S1', 'snapshot').at(-1));
    expect(snap.positions[0]).toMatchObject({ master: 'M1', master_position: '5001' });
    expect(t2.positions()).toHaveLength(1);
  });

  it('ignores commands that arrive before the welcome', async () => {
    const t = terminal('S1');
    await t.start();
    await hub.waitFor(() => hub.of('S1', 'hello').length >= 2);
    const cmd = openCmd();
    await hub.publish('S1', cmd);
    await t.waitForMessage('open');
    expect(hub.of('S1', 'result')).toHaveLength(0);
    expect(t.broker.positions()).toHaveLength(0);
  });

  it('waitFor rejects with a clear message on timeout', async () => {
    const t = await welcomed('S1');
    await expect(t.waitForMessage('ping', () => true, 50)).rejects.toThrow(/S1: timed out after 50 ms waiting for a "ping" message; last received: welcome/);
  });
});
