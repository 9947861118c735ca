/**
 * End to end with MetaTrader's asynchrony switched on (harness.cpp --live --seed N): the trade
 * transactions of a request arrive shuffled and late, positions, deals and history orders become
 * visible some turns after the server made them (also after OrderSend has returned), and a busy
 * EA loses the oldest transactions once 1,024 wait. The trade server is as unkind as a real one:
 * prices and stops must lie on the tick grid, a symbol's filling flags may claim more than the
 * server takes (10030), an exchange only places market orders (10008) and fills them later, and
 * a symbol selected for the first time has no quote yet. Every terminal runs live, with several seeds.
 * After each scenario every slave holds exactly what its master holds, scaled by its multiplier:
 * no copy missing, none twice, none left over.
 *
 *   MH master, hedging -> SH slave, hedging, volume x2
 *   MN master, netting -> SN slave, netting, volume x0.5
 */
import { masterTag } from '../../hub/engine/tag';
import { sleep } from '../helpers';
import { buildTerminal, startTestHub, Terminal, type Hub, type TerminalPosition } from './terminal';
import { mulberry32 } from '../../sim/rng';

jest.setTimeout(60_000);

const SEEDS = (process.env.CB_LIVE_SEEDS ?? '11,23,37').split(',').map(Number);
const SETTLE_MS = 15_000;

const ACCOUNTS = [
  { name: 'MH', type: 'MASTER', enabled: true },
  { name: 'MN', type: 'MASTER', enabled: true },
  { name: 'SH', type: 'SLAVE', enabled: true, follows: ['MH'], volume_mode: 'multiplier', volume_multiplier: 2 },
  { name: 'SN', type: 'SLAVE', enabled: true, follows: ['MN'], volume_mode: 'multiplier', volume_multiplier: 0.5 },
];

const lots = (v: number) => Number(v.toFixed(8));
/** The slaves' price grids where they differ from the point (the masters quote these in 0.01 and 1). */
const SLAVE_TICK: Record<string, number> = { US500: 0.25, JP225: 5 };
/** A copy's stop is the master's on the slave's grid. */
const sameStop = (slave: number, master: number, symbol: string) => Math.abs(slave - master) <= (SLAVE_TICK[symbol] ?? 0) / 2 + 1e-9;
const net = (ps: TerminalPosition[], symbol: string) => lots(ps.filter((p) => p.symbol === symbol).reduce((s, p) => s + (p.side === 'buy' ? p.volume : -p.volume), 0));

/** Why the hedging slave does not mirror its master, or undefined when it does. */
function hedgingMismatch(master: TerminalPosition[], slave: TerminalPosition[], tag: string, ratio: number): string | undefined {
  for (const m of master) {
    const copies = slave.filter((s) => s.comment === `CB:${tag}:${m.position}`);
    if (copies.length !== 1) return `${copies.length} copies of master position ${m.position}`;
    const c = copies[0];
    if (c.symbol !== m.symbol || c.side !== m.side || lots(c.volume) !== lots(m.volume * ratio) || !sameStop(c.sl, m.sl, m.symbol) || !sameStop(c.tp, m.tp, m.symbol)) {
      return `copy ${JSON.stringify(c)} of ${JSON.stringify(m)}`;
    }
  }
  if (slave.length !== master.length) return `${slave.length} slave positions for ${master.length} master positions`;
  return undefined;
}

/** Why the netting slave does not mirror its netting master, or undefined when it does. */
function nettingMismatch(master: TerminalPosition[], slave: TerminalPosition[], ratio: number): string | undefined {
  for (const symbol of new Set([...master, ...slave].map((p) => p.symbol))) {
    const want = lots(net(master, symbol) * ratio);
    if (net(slave, symbol) !== want) return `${symbol}: slave net ${net(slave, symbol)}, master ${net(master, symbol)} x ${ratio}`;
    const m = master.find((p) => p.symbol === symbol);
    const s = slave.find((p) => p.symbol === symbol);
    if (m && s && (!sameStop(s.sl, m.sl, symbol) || !sameStop(s.tp, m.tp, symbol))) return `${symbol}: slave SL/TP ${s.sl}/${s.tp}, master ${m.sl}/${m.tp}`;
  }
  return undefined;
}


beforeAll(() => {
  buildTerminal();
}, 300_000);

describe.each(SEEDS)('live terminals, seed %i', (seed) => {
  let hub: Hub;
  let mh: Terminal, mn: Terminal, sh: Terminal, sn: Terminal;
  const all = () => [mh, mn, sh, sn];

  async function mirrored(what: string): Promise<void> {
    const pairs: [Terminal, Terminal, () => Promise<string | undefined>][] = [
      [mh, sh, async () => hedgingMismatch(await mh.positions(), await sh.positions(), masterTag('MH'), 2)],
      [mn, sn, async () => nettingMismatch(await mn.positions(), await sn.positions(), 0.5)],
    ];
    for (const [master, slave, mismatch] of pairs) {
      await slave.waitFor(`${what}: ${slave.account} mirrors ${master.account}`, async () => !(await mismatch()), SETTLE_MS).catch(async (e: Error) => {
        throw new Error(`${e.message}
${await mismatch()}
${master.account} log:
${master.tail(40)}`);
      });
    }
  }

  /** Closes everything; the slaves stay flat (no copy arriving late, no orphan). */
  async function flat(): Promise<void> {
    for (const t of [mh, mn]) for (const p of await t.positions()) await t.ok(`close ${p.ticket}`);
    await mirrored('all closed');
    await sleep(300);
    expect(await sh.positions()).toEqual([]);
    expect(await sn.positions()).toEqual([]);
  }

  beforeAll(async () => {
    hub = await startTestHub(ACCOUNTS);
    const ep = { pullEndpoint: hub.pullEndpoint, pubEndpoint: hub.pubEndpoint, live: { seed } };
    // the masters' broker quotes the indices finer than the slaves'; SH's broker keeps stops
    // 300 points away from GBPUSD
    const finer = { US500: 0.01, JP225: 1 };
    [mh, mn, sh, sn] = await Promise.all([
      Terminal.start({ ...ep, account: 'MH', login: 6001, tickets: 110000, tickSize: finer }),
      Terminal.start({ ...ep, account: 'MN', login: 6002, tickets: 120000, netting: true, live: { seed: seed + 1 }, tickSize: finer }),
      Terminal.start({ ...ep, account: 'SH', login: 6003, tickets: 130000, live: { seed: seed + 2 }, stopsLevel: { GBPUSD: 300 } }),
      Terminal.start({ ...ep, account: 'SN', login: 6004, tickets: 140000, netting: true, live: { seed: seed + 3 } }),
    ]);
    for (const t of all()) await t.waitLog(/welcome from hub/);
  });

  afterAll(async () => {
    await Promise.all(all().map((t) => t?.stop()));
    await hub?.stop();
  });

  test('the terminal shows the account late: a deal is not in the view when OrderSend returns', async () => {
    let late = 0;
    for (let i = 0; i < 10; i++) {
      await mh.trade('buy', 'EURUSD', 0.01);
      const v = await mh.ok('view');
      if ((v.deals as number) < (v.server_deals as number)) late++;
    }
    expect(late).toBeGreaterThan(0);
    await flat();
  });

  test('open with SL/TP, several partial closes, SL/TP change and close (hedging)', async () => {
    const pos = await mh.trade('buy', 'EURUSD', 0.5, 1.09, 1.12);
    await mirrored('open');
    // the result names the copy's ticket although OrderSend returned before the deal was visible
    await sh.waitLog(/open MH#\d+ buy 1 EURUSD -> done #\d+ @ 1\.10010/);
    // one at a time: the hub sizes a partial close on the copy's volume, which a close still in
    // flight has not reduced yet (a matter of the hub, not of the terminal)
    for (const part of [0.1, 0.05, 0.15]) {
      await mh.ok(`close ${pos} ${part}`);
      await mirrored(`partial close of ${part}`);
    }
    expect((await sh.positions())[0]).toMatchObject({ volume: 0.4, sl: 1.09, tp: 1.12 });
    await mh.ok(`modify ${pos} 1.095 1.13`);
    await mirrored('SL/TP change');
    await mh.ok(`close ${pos}`);
    await flat();
  });

  test('SL/TP changed, and positions closed, right after the open', async () => {
    // the change may come before the position is visible: it waits for the position's deals
    for (let i = 0; i < 5; i++) {
      const p = await mh.trade('buy', 'EURUSD', 0.1, 1.09, 1.12);
      await mh.ok(`modify ${p} 1.091 1.121`);
    }
    await mirrored('changed at once');
    for (const c of await sh.positions()) expect(c).toMatchObject({ sl: 1.091, tp: 1.121 });
    await flat();
    // the EA is busy: by the time it reads the deals, the positions have moved on
    await mh.ok('busy 300');
    const kept = await mh.trade('buy', 'EURUSD', 0.2, 1.09, 1.12);
    await mh.ok(`modify ${kept} 1.095 1.13`);
    const gone: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = await mh.trade('sell', 'GBPUSD', 0.1, 1.28, 1.26);
      await mh.ok(`close ${p}`);
      gone.push(`CB:${masterTag('MH')}:${p}`);
    }
    await mirrored('changed and closed at once');
    expect((await sh.positions())[0]).toMatchObject({ sl: 1.095, tp: 1.13 });
    // each copy was opened with the SL/TP of the master's opening deal, whatever came after it
    const deals = (await sh.ok('deals')).deals as { entry: number; comment: string; sl: number; tp: number }[];
    const opens = deals.filter((d) => d.entry === 0 && gone.includes(d.comment));
    expect(opens).toHaveLength(5);
    for (const d of opens) expect(d).toMatchObject({ sl: 1.28, tp: 1.26 });
    await flat();
  });

  test('close by an opposite position', async () => {
    // several times: the deal may be in the history before its order is
    for (let i = 0; i < 4; i++) {
      const a = await mh.trade('buy', 'XAUUSD', 1);
      const b = await mh.trade('sell', 'XAUUSD', 0.4);
      await mirrored('two opposite positions');
      const mark = sh.logs.length;
      await mh.ok(`closeby ${a} ${b}`);
      await mirrored('close by');
      // the opposite position comes from the transaction (trans.position_by)
      await mh.waitLog(new RegExp(`deal #\\d+ out_by sell 0\\.4 XAUUSD .*position #${a} by #${b} now 0\\.6 lots`));
      await mh.waitLog(new RegExp(`deal #\\d+ out_by buy 0\\.4 XAUUSD .*position #${b} by #${a} now 0 lots`));
      await sh.waitLog(/close_by MH#\d+ #\d+ by #\d+ -> done/, 8000, mark);
      await flat();
    }
  });

  test('netting: open, add, partial close, reversal, SL/TP change, close', async () => {
    // the EA is busy: when it reads the opening deal, the position has grown already
    await mn.ok('busy 300');
    const pos = await mn.trade('buy', 'EURUSD', 1);
    await mn.trade('buy', 'EURUSD', 0.5);
    await mirrored('open and add');
    // each deal with its position as of that deal, not as the account shows it later
    await mn.waitLog(/deal #\d+ in buy 1 EURUSD @ 1\.10010, position #\d+ now 1 lots/);
    await mn.waitLog(/deal #\d+ in buy 0\.5 EURUSD @ 1\.10010, position #\d+ now 1\.5 lots/);
    await mn.trade('sell', 'EURUSD', 0.4);
    await mirrored('partial close');
    expect(await mn.trade('sell', 'EURUSD', 2)).toBe(pos);
    await mirrored('reversal');
    await mn.ok(`modify ${pos} 1.11 1.05`);
    await mirrored('SL/TP change');
    await flat();
  });

  test('an index CFD on a 0.25 grid and a 0-digit index on a grid of 5: prices and stops on the slave grid', async () => {
    const a = await mh.trade('buy', 'US500', 0.4, 4990.13, 5010.88);
    await mh.trade('sell', 'JP225', 2, 38053, 37912);
    await mn.trade('buy', 'US500', 0.4, 4990.13, 5010.88);
    await mirrored('index CFDs');
    const copy = (await sh.positions()).find((p) => p.symbol === 'US500')!;
    expect(copy).toMatchObject({ volume: 0.8, sl: 4990.25, tp: 5011 });
    expect((await sh.positions()).find((p) => p.symbol === 'JP225')).toMatchObject({ volume: 4, sl: 38055, tp: 37910 });
    expect((await sn.positions()).find((p) => p.symbol === 'US500')).toMatchObject({ volume: 0.2, sl: 4990.25, tp: 5011 });
    // a command whose stops are off the slave's grid (a hub that did not know the grid): the EA rounds them
    const mark = sh.logs.length;
    hub.sendTo('SH', {
      type: 'modify', cmd_id: `grid-${seed}`, expires_ms: Date.now() + 10_000, master: 'MH', master_position: a, ticket: copy.ticket, symbol: 'US500', sl: 4989.93, tp: 5012.12,
    });
    await sh.waitLog(new RegExp(`modify MH#${a} #${copy.ticket} SL 4989\\.93 TP 5012\\.12 -> done`), 8000, mark);
    expect((await sh.positions()).find((p) => p.symbol === 'US500')).toMatchObject({ sl: 4990, tp: 5012 });
    await mh.ok(`modify ${a} 4989.93 5012.12`);
    await mirrored('SL/TP change on the grid');
    await flat();
  });

  test('exchange execution: the copy is placed (10008, in progress), then filled; its close likewise', async () => {
    const mark = sh.logs.length;
    const p = await mh.trade('buy', 'BRENTF', 2);
    await mn.trade('sell', 'BRENTF', 2);
    await mirrored('placed and filled');
    await sh.waitLog(/open MH#\d+ buy 4 BRENTF -> placed: order #\d+ placed .*in progress/, 8000, mark);
    await sh.waitLog(/open MH#\d+ \S+ -> done #\d+ @ 80\.20: placed order #\d+ filled: deal #\d+/, 8000, mark);
    await mh.ok(`close ${p}`);
    await mirrored('close placed and filled');
    await sh.waitLog(/close MH#\d+ \S+ -> done #\d+ @ 80\.10: placed order #\d+ filled/, 8000, mark);
    await flat();
  });

  test('10030: the flags say FOK and IOC, the server takes IOC only: the other mode, once', async () => {
    const mark = sh.logs.length;
    await mh.trade('buy', 'EURUSD', 0.1);
    await mirrored('open');
    await sh.waitLog(/OrderSend EURUSD: filling FOK refused \(invalid order filling type.*\); trying IOC once/, 8000, mark);
    await flat();
  });

  test("10016: stops inside the slave's stops level: the copy opens without them and says so; a later change sets them", async () => {
    const mark = sh.logs.length;
    const p = await mh.trade('sell', 'GBPUSD', 0.1, 1.272, 1.26);
    await sh.waitLog(/open MH#\d+ sell 0\.2 GBPUSD -> done #\d+ .*opened WITHOUT SL\/TP: SL 1\.27200 TP 1\.26000 refused with the order .*stops level 300 points.*setting them right after failed too/, 8000, mark);
    expect(await sh.positions()).toEqual([expect.objectContaining({ symbol: 'GBPUSD', volume: 0.2, sl: 0, tp: 0 })]);
    await mh.ok(`modify ${p} 1.275 1.26`);
    await mirrored('stops outside the level');
    await flat();
  });

  test('a symbol selected for the first time has no quote yet: the EA waits for it', async () => {
    const marks = [sh.logs.length, sn.logs.length];
    await mh.trade('buy', 'USDJPY', 0.1);
    await mn.trade('buy', 'USDJPY', 0.2);
    await mirrored('first USDJPY');
    expect([...sh.logs.slice(marks[0]), ...sn.logs.slice(marks[1])].filter((l) => /REFUSED/.test(l))).toEqual([]);
    await flat();
  });

  test('netting: a copy never nets against a position that is not a copy', async () => {
    const manual = await sn.trade('buy', 'XAUUSD', 0.3);
    // a position the terminal does not show yet cannot be told apart; the user's trade is older than that
    await sn.waitFor('SN shows the manual position', async () => {
      const v = await sn.ok('view');
      return v.positions === v.server_positions;
    });
    const mark = sn.logs.length;
    const p = await mn.trade('buy', 'XAUUSD', 1);
    await sn.waitLog(
      /REFUSED open MN#\d+ buy 0\.5 XAUUSD -> refused: netting account: a copy of MN#\d+ would net against position #\d+ \(buy 0\.3 XAUUSD, magic 0, comment ""\), which is not a CopyBridge copy/,
      8000,
      mark,
    );
    expect(await sn.positions()).toEqual([expect.objectContaining({ position: manual, volume: 0.3, magic: 0 })]);
    await mn.ok(`close ${p}`);
    await sn.ok(`close ${manual}`);
    await flat();
  });

  test('a burst of 50 master trades', async () => {
    const rnd = mulberry32(seed);
    const open: string[] = [];
    // at most one partial close per position (see the partial close test)
    const reduced = new Set<string>();
    for (let i = 0; i < 50; i++) {
      if (open.length > 0 && rnd() < 0.4) {
        const k = Math.floor(rnd() * open.length);
        const [p] = (await mh.positions()).filter((x) => x.position === open[k]);
        if (p && p.volume > 0.02 && !reduced.has(p.position) && rnd() < 0.5) {
          reduced.add(p.position);
          await mh.ok(`close ${p.ticket} ${lots(Math.floor(p.volume * 50) / 100)}`);
        } else {
          await mh.ok(`close ${open[k]}`);
          open.splice(k, 1);
        }
      } else {
        const symbol = rnd() < 0.5 ? 'EURUSD' : 'GBPUSD';
        open.push(await mh.trade(rnd() < 0.5 ? 'buy' : 'sell', symbol, lots((1 + Math.floor(rnd() * 10)) / 100)));
      }
    }
    await mirrored('burst');
    expect((await mh.positions()).length).toBe(open.length);
    await flat();
  });

  test('a busy EA loses transactions from the full queue; no deal is lost', async () => {
    await mh.ok('busy 1500');
    // 2 requests x 5 transactions each time: more than the 1,024 the terminal keeps
    for (let i = 0; i < 110; i++) {
      const p = await mh.trade('buy', 'EURUSD', 0.02);
      await mh.ok(`close ${p}`);
    }
    for (let i = 0; i < 3; i++) await mh.trade('sell', 'GBPUSD', 0.04);
    await mirrored('after the busy spell');
    expect((await mh.ok('status')).dropped).toBeGreaterThan(0);
    await flat();
  });
});

describe('a master whose position list lags far behind its history', () => {
  let hub: Hub;
  let m: Terminal, sl: Terminal;

  beforeAll(async () => {
    hub = await startTestHub([
      { name: 'ML', type: 'MASTER', enabled: true },
      { name: 'SL', type: 'SLAVE', enabled: true },
    ]);
    const ep = { pullEndpoint: hub.pullEndpoint, pubEndpoint: hub.pubEndpoint };
    [m, sl] = await Promise.all([
      Terminal.start({ ...ep, account: 'ML', login: 6005, tickets: 150000, live: { seed: 5 }, lag: 150 }),
      Terminal.start({ ...ep, account: 'SL', login: 6006, tickets: 160000, live: { seed: 6 } }),
    ]);
    for (const t of [m, sl]) await t.waitLog(/welcome from hub/);
  });

  afterAll(async () => {
    await Promise.all([m, sl].map((t) => t?.stop()));
    await hub?.stop();
  });

  test('a snapshot asked for right after a trade waits until the list shows the deals reported', async () => {
    const copied = async () => (await sl.positions()).length === (await m.positions()).length;
    for (let i = 0; i < 5; i++) {
      await m.trade('buy', 'EURUSD', 0.1);
      // a snapshot without the new position would make the hub close its copy
      for (let k = 0; k < 5; k++) {
        hub.sendTo('ML', { type: 'snapshot_request' });
        await sleep(20);
      }
      await sl.waitFor('SL copies ML', copied, SETTLE_MS);
    }
    await sleep(500);
    expect(await copied()).toBe(true);
    // and no copy was closed on the way (the hub would open it again, at a cost)
    const deals = (await sl.ok('deals')).deals as { entry: number }[];
    expect(deals.filter((d) => d.entry !== 0)).toEqual([]);
    for (const p of await m.positions()) await m.ok(`close ${p.ticket}`);
    await sl.waitPositions('SL flat', (ps) => ps.length === 0, SETTLE_MS);
  });
});

describe('a quote older than the hub allows', () => {
  let hub: Hub;
  let m: Terminal, s: Terminal;

  beforeAll(async () => {
    hub = await startTestHub(
      [
        { name: 'MQ', type: 'MASTER', enabled: true },
        { name: 'SQ', type: 'SLAVE', enabled: true },
      ],
      undefined,
      { tickMaxAgeMs: 1000 },
    );
    const ep = { pullEndpoint: hub.pullEndpoint, pubEndpoint: hub.pubEndpoint };
    [m, s] = await Promise.all([
      Terminal.start({ ...ep, account: 'MQ', login: 6007, tickets: 170000, live: { seed: 7 } }),
      Terminal.start({ ...ep, account: 'SQ', login: 6008, tickets: 180000, live: { seed: 8 } }),
    ]);
    for (const t of [m, s]) await t.waitLog(/welcome from hub/);
  });

  afterAll(async () => {
    await Promise.all([m, s].map((t) => t?.stop()));
    await hub?.stop();
  });

  test('is no price to check a copy against: the EA waits briefly, then refuses with the reason', async () => {
    await s.ok('stale EURUSD on');
    // The age is read on the server's clock (TimeCurrent: whole seconds, from the other symbols'
    // quotes, which this feed refreshes once a second): past 1 s it shows after at most 2 s more.
    await sleep(3200);
    const mark = s.logs.length;
    const p = await m.trade('buy', 'EURUSD', 0.1);
    await s.waitLog(/REFUSED open MQ#\d+ buy 0\.1 EURUSD -> refused: the last quote of EURUSD is \d+ ms old, more than the hub's limit of 1000 ms .*; waited \d+ ms for a fresh one/, 8000, mark);
    expect(await s.positions()).toEqual([]);
    await s.ok('stale EURUSD off');
    await m.ok(`close ${p}`);
    await sleep(300);
    expect(await s.positions()).toEqual([]);
  });
});

describe('a slave whose position list lags far behind', () => {
  let hub: Hub;
  let m: Terminal, s: Terminal;

  beforeAll(async () => {
    hub = await startTestHub([
      { name: 'MV', type: 'MASTER', enabled: true },
      { name: 'SV', type: 'SLAVE', enabled: true },
    ]);
    const ep = { pullEndpoint: hub.pullEndpoint, pubEndpoint: hub.pubEndpoint };
    [m, s] = await Promise.all([
      Terminal.start({ ...ep, account: 'MV', login: 6009, tickets: 190000 }),
      Terminal.start({ ...ep, account: 'SV', login: 6010, tickets: 200000, live: { seed: 10 }, lag: 150 }),
    ]);
    for (const t of [m, s]) await t.waitLog(/welcome from hub/);
  });

  afterAll(async () => {
    await Promise.all([m, s].map((t) => t?.stop()));
    await hub?.stop();
  });

  test('a modify the server already has (10025, no changes) is done', async () => {
    const p = await m.trade('buy', 'EURUSD', 0.1, 1.09, 1.12);
    const [copy] = await s.waitPositions('SV copies MV', (ps) => ps.length === 1, SETTLE_MS);
    const mark = s.logs.length;
    for (let i = 1; i <= 5; i++) {
      // the user sets the stops on the copy, the master the same ones: the slave's list still shows the old ones
      const sl = (1.09 + i / 1000).toFixed(5);
      await s.ok(`modify ${copy.ticket} ${sl} 1.12`);
      await m.ok(`modify ${p} ${sl} 1.12`);
      await s.waitLog(new RegExp(`modify MV#${p} #\\d+ SL ${Number(sl)} TP 1.12 -> `), 8000, mark);
    }
    const results = s.logs.slice(mark).filter((l) => /modify MV#/.test(l));
    expect(results.filter((l) => / -> (?!done)/.test(l))).toEqual([]);
    expect(results.some((l) => /already set on the server .*\(retcode 10025\)/.test(l))).toBe(true);
    await m.ok(`close ${p}`);
    await s.waitPositions('SV flat', (ps) => ps.length === 0, SETTLE_MS);
  });
});

describe('a slave whose history shows a deal seconds after OrderSend returned', () => {
  let hub: Hub;
  let m: Terminal, s: Terminal;

  beforeAll(async () => {
    hub = await startTestHub([
      { name: 'MO', type: 'MASTER', enabled: true },
      { name: 'SO', type: 'SLAVE', enabled: true },
    ]);
    const ep = { pullEndpoint: hub.pullEndpoint, pubEndpoint: hub.pubEndpoint };
    [m, s] = await Promise.all([
      Terminal.start({ ...ep, account: 'MO', login: 6011, tickets: 210000 }),
      Terminal.start({ ...ep, account: 'SO', login: 6012, tickets: 220000, live: { seed: 12 }, lag: 5000 }),
    ]);
    for (const t of [m, s]) await t.waitLog(/welcome from hub/);
  });

  afterAll(async () => {
    await Promise.all([m, s].map((t) => t?.stop()));
    await hub?.stop();
  });

  test('the result names the copy at once, from result.order, without waiting for the deal', async () => {
    const p = await m.trade('buy', 'GBPUSD', 0.1);
    const [copy] = await s.waitPositions('SO copies MO', (ps) => ps.length === 1, SETTLE_MS);
    const line = await s.waitLog(new RegExp(`open MO#${p} buy 0\\.1 GBPUSD -> done #${copy.ticket} @ 1\\.27012: .*; (\\d+) ms here`));
    expect(Number(/; (\d+) ms here/.exec(line)![1])).toBeLessThan(100);
  });
});
