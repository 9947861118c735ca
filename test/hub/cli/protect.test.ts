/** `hub accounts protect`: set, show and clear a slave's protection and schedule in the embedded store. */
import { EmbeddedStore } from '../../../hub/ledger/embedded';
import { removeTempDirs, tempDir } from '../../helpers';
import { runCli } from '../../helpers/cli';

jest.setTimeout(60_000);
afterAll(() => removeTempDirs());

const hub = runCli;

async function folder() {
  const d = ['--data-dir', tempDir('cb-protect-')];
  await hub(['accounts', 'add', 'M1', '--type', 'MASTER', ...d]);
  await hub(['accounts', 'add', 'S1', '--type', 'SLAVE', ...d]);
  return d;
}

describe('hub accounts protect', () => {
  it('sets a preset with overrides and a schedule, shows what applies with the source, and removes it', async () => {
    const d = await folder();
    const set = await hub(['accounts', 'protect', 'S1', '--preset', 'ftmo', '--initial-balance', '100000', '--max-lots', '3', '--on-limit', 'close_all', '--window', 'mon-fri 07:00-21:00', '--window-zone', 'Europe/Prague', ...d]);
    expect(set.code).toBe(0);
    expect(set.out.split('\n')).toEqual([
      'updated S1 (the running hub applies it within accountsReloadMs)',
      expect.stringMatching(/^ {2}preset ftmo: FTMO \(2-step\); source academy\.ftmo\.com.*prop-firms\.md.*checked 2026-12; .* Verify with your firm\.$/),
      '  daily loss 5% of the initial; anchor balance at the reset 00:00 Europe/Prague',
      '  max drawdown 10% of the initial balance, static',
      '  initial balance 100000',
      '  max lots 3',
      '  at a loss limit: block new copies and close every copy',
      '  new copies only mon-fri 07:00-21:00 (Europe/Prague)',
      '  blackout file honoured (hub config blackoutFile)',
      '  state: none saved yet (the hub takes the anchor from the first heartbeat)',
    ]);
    const override = await hub(['accounts', 'protect', 'S1', '--daily-loss', '4000', '--reset-zone', 'UTC', '--window', 'none', ...d]);
    expect(override.out).toMatch(/daily loss 4000; anchor balance at the reset 00:00 UTC/);
    expect(override.out).not.toMatch(/new copies only/);

    const store = new EmbeddedStore(d[1]);
    await store.open();
    expect((await store.getAccount('S1'))!.protection).toEqual({ preset: 'ftmo', initial_balance: 100_000, max_lots: 3, action: 'close_all', daily_loss: { value: 4000, unit: 'money' }, reset_zone: 'UTC' });
    await store.close();

    expect((await hub(['accounts', 'protect', 'S1', '--off', ...d])).out).toMatch(/updated S1[\s\S]*no protection/);
  });

  it('shows the state the hub saved and its trips, and --clear records when trips were cleared', async () => {
    const d = await folder();
    await hub(['accounts', 'protect', 'S1', '--daily-loss', '5%', ...d]);
    const store = new EmbeddedStore(d[1]);
    await store.open();
    await store.appendEvents([
      { id: 'e1', time: '2026-01-15T09:00:00.000Z', kind: 'guard_state', account: 'S1', message: 'anchor', data: { day: Date.parse('2026-01-15T00:00:00Z'), anchor: 100_000, anchorAt: 1, initial: 100_000, peak: 100_000 } },
      { id: 'e2', time: '2026-01-15T10:00:00.000Z', kind: 'trip', account: 'S1', master_ticket: '', message: 'protection S1: daily loss limit: equity 94900.00 ...' },
    ]);
    await store.close();
    const show = await hub(['accounts', 'protect', 'S1', ...d]);
    expect(show.out).not.toMatch(/updated/);
    expect(show.out).toMatch(/state 2026-01-15T09:00:00.000Z: anchor 100000.00 \(day of 2026-01-15T00:00:00.000Z\), initial 100000.00, peak 100000.00/);
    expect(show.out).toMatch(/trip 2026-01-15T10:00:00.000Z: protection S1: daily loss limit: equity 94900.00/);
    const clear = await hub(['accounts', 'protect', 'S1', '--clear', ...d]);
    expect(clear.code).toBe(0);
    const s2 = new EmbeddedStore(d[1]);
    await s2.open();
    expect(Date.parse((await s2.getAccount('S1'))!.protection!.cleared_at!)).toBeGreaterThan(Date.now() - 60_000);
    await s2.close();
  });

  it('says what to do for each mistake', async () => {
    const d = await folder();
    const cases: [string[], RegExp][] = [
      [['--daily-loss', 'five'], /error: account S1: protection daily_loss must be money \(2500\) or a percent \(5%\), got "five"\n {2}what to do: e\.g\. --daily-loss 5% or --daily-loss 2500/],
      [['--reset-zone', 'Prague'], /reset_zone "Prague" is not an IANA time zone\n {2}what to do: e\.g\. --reset-zone Europe\/Prague/],
      [['--reset-time', '5pm'], /reset_time must be HH:MM from 00:00 to 23:59, got "5pm"/],
      [['--window', 'weekdays 9-5'], /window "weekdays 9-5" is not DAYS HH:MM-HH:MM[\s\S]*what to do: e\.g\. --window "mon-fri 08:00-17:00"/],
      [['--preset', 'apex'], /no protection preset named "apex"\n {2}what to do: use one of: ftmo, ftmo-1step, the5ers, fundednext/],
      [['--drawdown-mode', 'trailing'], /drawdown_mode must be one of static, trailing_eod, trailing_equity/],
    ];
    for (const [args, re] of cases) {
      const r = await hub(['accounts', 'protect', 'S1', ...args, ...d]);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(re);
    }
    const master = await hub(['accounts', 'protect', 'M1', '--daily-loss', '5%', ...d]);
    expect(master.err).toMatch(/M1 is a master: protection and schedule apply to slaves/);
    expect((await hub(['accounts', 'protect', 'Nope', ...d])).code).toBe(4);
  });
});

describe('protection through hub accounts set and show', () => {
  it('accounts set takes the protection flags, accounts show lists them, and a bad value says the fix', async () => {
    const d = await folder();
    const set = await hub(['accounts', 'set', 'S1', '--daily-loss', '5%', '--reset-zone', 'Europe/Prague', '--max-positions', '3', '--volume-mode', 'multiplier', '--volume-multiplier', '0.5', ...d]);
    expect(set).toMatchObject({ code: 0 });
    const show = await hub(['accounts', 'show', 'S1', ...d]);
    expect(show.out).toMatch(/volume_multiplier +0\.5/);
    expect(show.out).toMatch(/protection and schedule .*\n {2}daily loss 5% of the anchor; anchor balance at the reset 00:00 Europe\/Prague\n[\s\S]*max positions 3/);
    const bad = await hub(['accounts', 'set', 'S1', '--daily-loss', 'abc', ...d]);
    expect(bad.code).toBe(3);
    expect(bad.err).toMatch(/protection daily_loss must be money \(2500\) or a percent \(5%\), got "abc"\n {2}what to do: e\.g\. --daily-loss 5%/);
    const master = await hub(['accounts', 'set', 'M1', '--max-positions', '3', ...d]);
    expect(master.err).toMatch(/M1 is a master: protection and schedule apply to slaves/);
    expect((await hub(['accounts', 'show', 'M1', ...d])).out).not.toMatch(/max positions/);
  });
});
