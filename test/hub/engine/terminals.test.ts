import { newCopy } from '../../../hub/engine/copies';
import { VERSION } from '../../../hub/version';
import { fx, harness } from './harness';

describe('Sessions', () => {
  it('answers hello with a welcome carrying the role, magic, timings and hub version', () => {
    const h = harness();
    const t = h.connect('S1', { margin_mode: 'netting' });
    expect(h.commands('S1', 'welcome')).toEqual([{ type: 'welcome', role: 'slave', magic: 20250, heartbeat_ms: 1000, snapshot_ms: h.parts.cfg.snapshotMs, hub_version: VERSION, login: 1, max_message_bytes: h.parts.cfg.maxMessageBytes, tick_max_age_ms: h.parts.cfg.tickMaxAgeMs }]);
    expect(t).toMatchObject({ online: true, welcomed: true, marginMode: 'netting', welcomeSentAt: h.clock.now });
    expect(h.lines(/terminal S1 connected: brk srv login 1, netting, EA 1.2; role slave/)).toHaveLength(1);
    // A repeated hello (the welcome was lost) is answered without a second "connected" line.
    h.connect('S1');
    expect(h.commands('S1', 'welcome')).toHaveLength(2);
    expect(h.lines(/terminal S1 connected/)).toHaveLength(1);
  });

  it('says when a terminal reports another login, and its welcome names the login it answers', () => {
    const h = harness();
    h.connect('S1');
    const hello = { ...h.message('S1', { type: 'hello', login: 2, server: 'srv', broker: 'brk', currency: 'USD', margin_mode: 'hedging', ea_version: '1.2' }) };
    h.parts.sessions.hello(h.parts.sessions.seen(hello, h.clock.now), hello);
    expect(h.lines(/terminal S1 now reports login 2 on srv \(was 1 on srv\): another account was activated in its terminal/)).toEqual([expect.objectContaining({ level: 'warn' })]);
    expect(h.commands('S1', 'welcome').map((w) => w.login)).toEqual([1, 2]);
  });

  it('welcomes a terminal that never said hello (the hub restarted) once a second until it sends symbols', () => {
    const h = harness();
    const beat = () => h.parts.sessions.seen(h.message('M1', { type: 'heartbeat', balance: 1, equity: 1, margin: 0 }), h.clock.now);
    beat();
    beat();
    expect(h.commands('M1', 'welcome')).toHaveLength(1);
    h.advance(1000);
    beat();
    expect(h.commands('M1', 'welcome')).toHaveLength(2);
    h.parts.sessions.seen(h.message('M1', { type: 'symbols', replace: true, symbols: [] }), h.clock.now);
    h.advance(1000);
    beat();
    expect(h.commands('M1', 'welcome')).toHaveLength(2);
  });

  it('marks a terminal silent for three heartbeats offline, and re-sends its commands when it is back', () => {
    const h = harness();
    h.connect('S1');
    const c = newCopy({ master: 'M1', position: '5', symbol: 'EURUSD', side: 'buy', volume: 1, price: 1.1 }, 'S1', { symbol: 'EURUSD.c', status: 'open', sl: 0, tp: 0, ticket: '9' });
    h.parts.commands.issue(c, h.parts.commands.close(c), h.clock.now);
    h.advance(3001);
    h.parts.sessions.checkSilence(h.clock.now);
    expect(h.parts.sessions.get('S1')).toMatchObject({ online: false, welcomed: false });
    expect(h.events.filter((e) => e.kind === 'offline')).toEqual([expect.objectContaining({ account: 'S1', message: 'silent for 3001 ms' })]);
    h.parts.sessions.checkSilence(h.clock.now + 1000);
    expect(h.events.filter((e) => e.kind === 'offline')).toHaveLength(1);
    h.parts.sessions.seen(h.message('S1', { type: 'heartbeat', balance: 1, equity: 1, margin: 0 }), h.clock.now);
    expect(h.lines(/terminal S1 is back online/)).toHaveLength(1);
    expect(h.commands('S1', 'close')).toHaveLength(2);
  });

  it('keeps balance, equity and the latest quote of each symbol', () => {
    const h = harness();
    const t = h.connect('S1');
    h.parts.sessions.heartbeat(t, h.message('S1', { type: 'heartbeat', balance: 100, equity: 90, margin: 0 }));
    h.parts.sessions.quote(t, h.message('S1', { type: 'tick', symbol: 'EURUSD.c', bid: 1, ask: 2, time_ms: 0 }), 77);
    expect(h.parts.sessions.get('S1')).toMatchObject({ balance: 100, equity: 90 });
    expect(h.parts.sessions.get('S1')!.ticks.get('EURUSD.c')).toEqual({ bid: 1, ask: 2, receivedAt: 77 });
  });

  it('replaces or extends the symbol list, and knows each spec', () => {
    const h = harness();
    const t = h.connect('S1', { symbols: [fx('EURUSD.c')] });
    h.parts.sessions.symbols(t, [fx('GBPUSD.c')], false);
    expect([...h.parts.sessions.get('S1')!.symbolNames!]).toEqual(['EURUSD.c', 'GBPUSD.c']);
    h.parts.sessions.symbols(t, [fx('USDJPY.c', { digits: 3 })], true);
    expect([...h.parts.sessions.get('S1')!.symbolNames!]).toEqual(['USDJPY.c']);
    expect(h.parts.sessions.spec('S1', 'USDJPY.c')!.digits).toBe(3);
    expect(h.parts.sessions.spec('S1', 'EURUSD.c')).toBeUndefined();
  });

  it("has slaves watch the translations of every symbol their masters trade, sending only changes", () => {
    const h = harness({ accounts: [{ name: 'M1', type: 'MASTER', enabled: true }, { name: 'M2', type: 'MASTER', enabled: true }, { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', follows: ['M1'] }] });
    h.connect('S1', { symbols: [fx('EURUSD.c'), fx('GBPUSD.c')] });
    const watches = () => h.commands('S1', 'watch').map((w) => w.symbols);
    expect(watches()).toEqual([[]]); // with the welcome
    h.parts.sessions.noteMasterSymbol('M1', 'EURUSD');
    h.parts.sessions.noteMasterSymbol('M1', 'EURUSD');
    h.parts.sessions.noteMasterSymbol('M1', 'XAUUSD'); // S1's broker does not offer it
    h.parts.sessions.noteMasterSymbol('M2', 'GBPUSD'); // S1 does not follow M2
    expect(watches()).toEqual([[], ['EURUSD.c']]);
  });

  it('keeps a snapshot and takes its margin mode only when hello did not tell', () => {
    const h = harness();
    const t = h.connect('S1', { margin_mode: 'netting' });
    const p = { ticket: '1', position: '1', symbol: 'EURUSD.c', side: 'buy' as const, volume: 1, price_open: 1, sl: 0, tp: 0, magic: 0, comment: '', time_ms: 0 };
    const open = h.parts.sessions.snapshot(t, h.message('S1', { type: 'snapshot', positions: [p], margin_mode: 'hedging' }), 55);
    expect([...open!.keys()]).toEqual(['1']);
    expect(h.parts.sessions.get('S1')).toMatchObject({ snapshotAt: 55, marginMode: 'netting' });
    const fresh = h.parts.sessions.seen(h.message('S2', { type: 'snapshot', positions: [], margin_mode: 'hedging' }), 56);
    h.parts.sessions.snapshot(fresh, h.message('S2', { type: 'snapshot', positions: [], margin_mode: 'hedging' }), 56);
    expect(h.parts.sessions.get('S2')!.marginMode).toBe('hedging');
  });

  it('ignores a snapshot older than the last one applied (a replay)', () => {
    const h = harness();
    const t = h.connect('S1');
    const older = h.message('S1', { type: 'snapshot', positions: [] });
    h.advance(10);
    expect(h.parts.sessions.snapshot(t, h.message('S1', { type: 'snapshot', positions: [] }), h.clock.now)).toBeDefined();
    expect(h.parts.sessions.snapshot(t, older, h.clock.now)).toBeUndefined();
    expect(h.parts.sessions.get('S1')!.snapshotTs).toBe(h.clock.now);
  });

  it('tells an unknown terminal the command that registers it', () => {
    const h = harness();
    h.parts.sessions.unknownAccount('Nobody', 'hello', 3);
    expect(h.commands('Nobody')).toEqual([
      {
        type: 'error', code: 'E_UNKNOWN_ACCOUNT', ref_type: 'hello', ref_seq: 3,
        message: 'account "Nobody" is not registered on this hub; on the hub run: npm run hub -- accounts add Nobody --type SLAVE   (or --type MASTER)',
      },
    ]);
  });

  it('answers an invalid message only when it names a registered account, and records each', () => {
    const h = harness();
    h.parts.sessions.reject({ account: 'S1', type: 'tick', seq: 4 }, 'E_X', 'bad');
    h.parts.sessions.reject({ account: 'Nobody' }, 'E_X', 'bad');
    expect(h.sent).toEqual([{ to: 'S1', body: { type: 'error', code: 'E_X', message: 'bad', ref_type: 'tick', ref_seq: 4 } }]);
    expect(h.events.filter((e) => e.kind === 'error')).toHaveLength(2);
  });
});
