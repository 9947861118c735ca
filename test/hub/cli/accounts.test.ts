/** `hub accounts` policy flags, show, export and import, in-process against the embedded store. */
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { EmbeddedStore } from '../../../hub/ledger/embedded';
import { removeTempDirs, tempDir } from '../../helpers';
import { runCli } from '../../helpers/cli';

jest.setTimeout(60_000);

const run = runCli;

afterAll(() => removeTempDirs());

describe('hub accounts: copy policy', () => {
  it('sets every kind of setting, for the slave or one master, shows them with defaults marked, and unsets them', async () => {
    const d = ['--data-dir', tempDir('cb-policy-')];
    await run(['accounts', 'add', 'M1', '--type', 'MASTER', '--firm', 'FTMO', ...d]);
    const add = await run([
      'accounts', 'add', 'S1', '--type', 'SLAVE', '--volume-mode', 'risk', '--risk-percent', '1.5', '--risk-without-sl', 'fixed', '--volume-fixed', '0.1',
      '--symbol-multiplier', 'XAUUSD=0.5', '--symbol-multiplier', 'US30*=0.1', '--force-min-lot', 'true', '--symbols-exclude', 'GER40,UK100', '--magic-include', '0', '--magic-include', '7',
      '--comment-contains', 'copy', '--direction', 'sell', '--sltp', 'offset', '--sltp-offset-points', '20', ...d,
    ]);
    expect(add).toMatchObject({ code: 0, err: '' });
    const set = await run(['accounts', 'set', 'S1', '--for-master', 'M1', '--reverse', '--max-lot', '2', '--firm', 'FTMO', ...d]);
    expect(set.out).toMatch(/updated S1 +SLAVE {2}enabled {2}firm=FTMO {2}volume=risk 1.5% {2}overrides=M1/);
    expect(set.err).toMatch(/^warning: copies of M1 on S1 will be refused: reverse copy between two prop-firm accounts \(M1 at FTMO, S1 at FTMO\).*--for-master M1 --allow-prop-reverse true$/);

    const show = (await run(['accounts', 'show', 'S1', ...d])).out;
    expect(show).toMatch(/^ {2}volume_mode +risk$/m);
    expect(show).toMatch(/^ {2}symbol_multipliers +XAUUSD=0.5,US30\*=0.1$/m);
    expect(show).toMatch(/^ {2}magic_include +0,7$/m);
    expect(show).toMatch(/^ {2}normalize_contract_size +true +\(default\)$/m);
    expect(show).toMatch(/^ {2}slippage_tolerance +30 +\(default\)$/m);
    expect(show).toMatch(/^ policy for master M1 \(the rest as above\)\n {2}max_lot +2 +\(slave: -\)\n {2}reverse +true +\(slave: false\)$/m);
    const json = JSON.parse((await run(['accounts', 'show', 'S1', '--json', ...d])).out);
    expect(json.policy.sltp_offset_points).toEqual({ value: 20, default: false });
    expect(json.policy.direction).toEqual({ value: 'sell', default: false });
    expect(json.policy.max_lot).toEqual({ value: null, default: true });
    expect(json.masters).toEqual({ M1: { reverse: true, max_lot: 2 } });

    const allowed = await run(['accounts', 'set', 'S1', '--for-master', 'M1', '--allow-prop-reverse', 'true', ...d]);
    expect(allowed.err).toBe('');
    await run(['accounts', 'set', 'S1', '--unset', 'symbol_multipliers.XAUUSD', 'masters.M1', 'force_min_lot', ...d]);
    const store = new EmbeddedStore(d[1], { readOnly: true });
    await store.open();
    const s1 = await store.getAccount('S1');
    await store.close();
    expect(s1).toMatchObject({ symbol_multipliers: { 'US30*': 0.1 } });
    expect(s1?.masters).toBeUndefined();
    expect(s1?.force_min_lot).toBeUndefined();
  });

  it('says what to fix for bad values and bad --unset, with the flag to use', async () => {
    const d = ['--data-dir', tempDir('cb-policy-')];
    await run(['accounts', 'add', 'S1', '--type', 'SLAVE', ...d]);
    const cases: [string[], RegExp, RegExp][] = [
      [['--volume-mode', 'risk'], /volume_mode risk needs risk_percent/, /--risk-percent 1/],
      [['--risk-percent', '150'], /risk_percent must be a percent above 0 and at most 100, got "150"/, /--risk-percent 1/],
      [['--symbol-multiplier', 'XAUUSD'], /--symbol-multiplier XAUUSD is not SYMBOL=FACTOR/, /--symbol-multiplier XAUUSD=0.5/],
      [['--direction', 'up'], /direction must be one of both, buy, sell, got "up"/, /--direction buy/],
      [['--comment-regex', '[a-'], /comment_regex "\[a-" is not a regular expression/, /--comment-regex/],
      [['--for-master', 'M1', '--volume-mode', 'fixed'], /account S1, settings for master M1: volume_mode fixed needs volume_fixed/, /--volume-fixed 0.1/],
      [['--unset', 'max_lot'], /--unset max_lot: max_lot is not set/, /accounts show NAME/],
      [['--unset', 'nonsense'], /--unset nonsense: a field that can be unset is one of/, /accounts show NAME/],
    ];
    for (const [flags, message, hint] of cases) {
      const r = await run(['accounts', 'set', 'S1', ...flags, ...d]);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(new RegExp(`what to do: .*${hint.source}`));
    }
  });

  it('exports and imports many accounts as JSON or YAML, validating all before writing any', async () => {
    const dir = tempDir('cb-policy-');
    const d = ['--data-dir', dir];
    await run(['accounts', 'add', 'M1', '--type', 'MASTER', ...d]);
    await run(['accounts', 'add', 'S1', '--type', 'SLAVE', '--volume-mode', 'balance', '--symbols-include', 'EURUSD,XAU*', ...d]);
    await run(['accounts', 'set', 'S1', '--for-master', 'M1', '--sltp', 'none', ...d]);
    for (const ext of ['json', 'yaml']) {
      const file = join(dir, `accounts.${ext}`);
      expect((await run(['accounts', 'export', '--out', file, ...d])).out).toBe(`exported 2 accounts to ${file} (${ext})`);
      const other = ['--data-dir', tempDir('cb-policy-')];
      expect((await run(['accounts', 'import', file, ...other])).out).toBe(`imported 2 accounts from ${file}: 2 new, 0 replaced`);
      const a = JSON.parse((await run(['accounts', 'export', ...other])).out);
      const b = JSON.parse((await run(['accounts', 'export', ...d])).out);
      const strip = (x: { accounts: Record<string, unknown>[] }) => x.accounts.map((r) => ({ ...r, created_at: undefined, updated_at: undefined }));
      expect(strip(a)).toEqual(strip(b));
      expect(strip(a)[1]).toMatchObject({ name: 'S1', volume_mode: 'balance', symbols_include: ['EURUSD', 'XAU*'], masters: { M1: { sltp: 'none' } } });
    }
    const yaml = join(dir, 'hand.yml');
    writeFileSync(yaml, 'accounts:\n  - name: S2\n    type: SLAVE\n    max_lot: 3\n  - name: S1\n    type: SLAVE\n    direction: buy\n');
    expect((await run(['accounts', 'import', yaml, '--dry-run', ...d])).out).toBe(`would import 2 accounts from ${yaml}: 1 new, 1 replaced`);
    expect((await run(['accounts', 'list', ...d])).out).not.toMatch(/S2/);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ name: 'S3', type: 'SLAVE' }, { name: 'S4', type: 'SLAVE', max_lot: 0 }, { name: 'S3', type: 'SLAVE' }, { name: 'S5', type: 'SLAVE', volum_mode: 'fixed' }]));
    const r = await run(['accounts', 'import', bad, ...d]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/bad.json: 3 of 4 accounts are invalid, nothing was imported:\n {2}#2: account S4: max_lot must be a number > 0, got 0 \(e\.g\. --max-lot 5\)\n {2}#3: account S3 appears twice\n {2}#4: account S5: unknown field "volum_mode" \(did you mean volume_mode\?/);
    expect((await run(['accounts', 'list', ...d])).out).not.toMatch(/S3/);
    writeFileSync(bad, '{"accounts": [');
    expect((await run(['accounts', 'import', bad, ...d])).err).toMatch(/bad.json is not JSON: .*\n {2}what to do: fix the file/);
    expect((await run(['accounts', 'import', join(dir, 'missing.json'), ...d])).err).toMatch(/cannot read .*missing.json/);
    expect(readFileSync(join(dir, 'accounts.json'), 'utf8')).toMatch(/"name": "S1"/);
  });

  it('refuses --follows of a name that is not a master, settings that do not apply, and names equal but for case: add, set, import', async () => {
    const dir = tempDir('cb-policy-');
    const d = ['--data-dir', dir];
    await run(['accounts', 'add', 'FTMO-1', '--type', 'MASTER', ...d]);
    await run(['accounts', 'add', 'Apex-2', '--type', 'SLAVE', ...d]);
    const said: string[] = [];
    const refused = async (args: string[], code = 3) => {
      const r = await run([...args, ...d]);
      expect({ args, code: r.code }).toEqual({ args, code });
      said.push(`${args.join(' ')}\n${r.err}`);
      return r.err;
    };
    expect(await refused(['accounts', 'add', 'S1', '--type', 'SLAVE', '--follows', 'FTMO-2'])).toBe(
      'error: account S1 follows FTMO-2, which is not a registered account\n  what to do: did you mean FTMO-1? the masters: FTMO-1',
    );
    expect(await refused(['accounts', 'add', 'S1', '--type', 'SLAVE', '--follows', 'Apex-2'])).toMatch(/^error: account S1 follows Apex-2, which is a slave, not a master\n {2}what to do: the masters: FTMO-1$/);
    expect(await refused(['accounts', 'set', 'Apex-2', '--follows', 'FTMO-1,Nope'])).toMatch(/^error: account Apex-2 follows Nope, which is not a registered account/);
    expect(await refused(['accounts', 'set', 'Apex-2', '--for-master', 'Nope', '--reverse'])).toMatch(/^error: account Apex-2 has settings for master Nope, which is not a registered account/);
    expect(await refused(['accounts', 'add', 'apex-2', '--type', 'SLAVE'])).toBe(
      'error: account apex-2: the name differs from the existing account Apex-2 only in case\n  what to do: use Apex-2 (npm run hub -- accounts set Apex-2 ...), or a name that differs in more than case',
    );
    expect(await refused(['accounts', 'add', 'M2', '--type', 'MASTER', '--volume-mode', 'multiplier', '--volume-multiplier', '2'])).toMatch(
      /^error: account M2: volume_mode, volume_multiplier apply to slaves only, and M2 is a master .*\n {2}what to do: remove them with --unset volume_mode volume_multiplier; or keep the account a slave \(--type SLAVE\)$/,
    );
    expect(await refused(['accounts', 'add', 'M2', '--type', 'MASTER', '--follows', 'FTMO-1'])).toMatch(/^error: account M2: follows applies to slaves only/);
    expect(await refused(['accounts', 'set', 'Apex-2', '--volume-fixed', '0.1'])).toBe(
      'error: account Apex-2: volume_fixed 0.1 does not apply: volume_mode is same\n  what to do: set --volume-mode fixed, or remove it with --unset volume_fixed',
    );
    expect(await refused(['accounts', 'set', 'Apex-2', '--sltp-offset-points', '10'])).toMatch(/sltp_offset_points 10 does not apply: sltp is copy/);
    expect(await refused(['accounts', 'set', 'Apex-2', '--master-offline-grace-ms', '5000'])).toMatch(/master_offline_grace_ms 5000 does not apply: master_offline is keep/);
    // The way out each message gives works.
    expect((await run(['accounts', 'set', 'Apex-2', '--volume-mode', 'fixed', '--volume-fixed', '0.1', '--follows', 'FTMO-1', ...d])).code).toBe(0);
    expect((await run(['accounts', 'set', 'Apex-2', '--type', 'MASTER', ...d])).err).toMatch(/volume_mode, volume_fixed, follows apply to slaves only/);
    expect((await run(['accounts', 'set', 'Apex-2', '--type', 'MASTER', '--unset', 'volume_mode', 'volume_fixed', 'follows', ...d])).code).toBe(0);

    const file = join(dir, 'in.json');
    writeFileSync(file, JSON.stringify([
      { name: 'S7', type: 'SLAVE', follows: ['FTMO-9'] },
      { name: 'ftmo-1', type: 'MASTER' },
      { name: 'S8', type: 'SLAVE', volume_mode: 'same', volume_multiplier: 2 },
      { name: 'S9', type: 'SLAVE', follows: ['M9'] },
      { name: 'M9', type: 'MASTER' },
    ]));
    const err = await refused(['accounts', 'import', file]);
    expect(err).toMatch(/in\.json: 3 of 5 accounts are invalid, nothing was imported:/);
    expect(err).toMatch(/\n {2}#1: account S7 follows FTMO-9, which is not a registered account \(did you mean FTMO-1\?.*\n {2}#2: account ftmo-1: the name differs from the existing account FTMO-1 only in case.*\n {2}#3: account S8: volume_multiplier 2 does not apply: volume_mode is same \(set --volume-mode multiplier/);
    // S9 follows M9 of the same file: fine.
    expect(err).not.toMatch(/#[45]:/);
    if (process.env.SHOW_REFUSALS) console.log(said.join('\n\n'));
  });

  it('lists a record edited by hand into something invalid as INVALID, with what to do', async () => {
    const dir = tempDir('cb-policy-');
    const d = ['--data-dir', dir];
    await run(['accounts', 'add', 'S1', '--type', 'SLAVE', ...d]);
    const store = new EmbeddedStore(dir);
    await store.open();
    await store.upsertAccount({ name: 'S1', type: 'SLAVE', enabled: true, sltp: 'sometimes' } as never);
    await store.close();
    expect((await run(['accounts', 'list', ...d])).out).toMatch(/^S1 +INVALID, not loaded by the hub: account S1: sltp must be one of copy, none, offset, got "sometimes" \(what to do: e\.g\. --sltp offset/);
    // set repairs it.
    expect((await run(['accounts', 'set', 'S1', '--sltp', 'none', ...d])).code).toBe(0);
    expect((await run(['accounts', 'list', ...d])).out).not.toMatch(/INVALID/);
  });
});
