/** What the `hub` command says to a mistyped or out-of-range command line, in-process. */
import { VERSION } from '../../../hub/version';
import { removeTempDirs, tempDir } from '../../helpers';
import { runCli } from '../../helpers/cli';

const run = runCli;

afterAll(() => removeTempDirs());

describe('help and version', () => {
  it('bare `hub` prints the help and exits 0', async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/hub <command> \[options\]/);
    expect(r.out).toMatch(/hub start/);
  });

  it('-h and -v', async () => {
    expect((await run(['-h'])).out).toMatch(/--help, -h|-h, --help/);
    const v = await run(['-v']);
    expect(v).toMatchObject({ code: 0 });
    expect(v.out.trim()).toBe(VERSION);
  });

  it("each command's help lists only its own flags, each with a description", async () => {
    const flags = (help: string) => [...help.matchAll(/^ {2,6}(?:-\w, )?--([\w-]+)(.*)$/gm)].map((m) => ({ flag: m[1], rest: m[2] }));
    const start = (await run(['start', '--help'])).out;
    for (const f of ['pub', 'pull', 'curve', 'magic', 'log-level', 'log-file', 'dashboard', 'dashboard-port', 'store', 'data-dir', 'mongo-uri', 'config']) expect(start).toContain(`--${f} `);
    const list = (await run(['accounts', 'list', '--help'])).out;
    // --version is the program's: `hub --help` lists it, a command's help does not.
    expect(flags(list).map((f) => f.flag).sort()).toEqual(['config', 'data-dir', 'help', 'mongo-db', 'mongo-uri', 'store']);
    const status = (await run(['status', '--help'])).out;
    expect(flags(status).map((f) => f.flag).sort()).toEqual(['config', 'dashboard-host', 'dashboard-port', 'data-dir', 'help', 'json']);
    expect(flags((await run(['--help'])).out).map((f) => f.flag)).toContain('version');
    // Every flag of every command says what it does (a type alone is not a description).
    for (const cmd of [['start'], ['status'], ['dashboard-url'], ['setup-db'], ['trades'], ['accounts', 'add', 'X'], ['accounts', 'set', 'X'], ['accounts', 'protect', 'X'], ['keys', 'issue', 'X'], ['demo']]) {
      const help = (await run([...cmd, '--help'])).out;
      for (const f of flags(help)) expect({ cmd: cmd.join(' '), flag: f.flag, described: !/^\s*\[\w+\]/.test(f.rest) && f.rest.trim() !== '' }).toMatchObject({ described: true });
    }
    // A flag that does not apply to a command is refused, not ignored.
    const r = await run(['accounts', 'list', '--pub', 'tcp://127.0.0.1:5555', '--data-dir', tempDir('cb-usage-')]);
    expect(r.code).toBe(64);
    expect(r.err).toMatch(/Unknown argument: pub/);
  });

  it('suggests the command that was meant', async () => {
    const r = await run(['strat']);
    expect(r.code).toBe(64);
    expect(r.err + r.out).toMatch(/Did you mean start\?/);
  });
});

describe('numbers typed wrong', () => {
  it('--magic abc quotes what was typed (not "null")', async () => {
    const r = await run(['start', '--magic', 'abc', '--data-dir', tempDir('cb-usage-')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/command line: --magic must be a whole number, got "abc"/);
    expect(r.err).not.toMatch(/null/);
  });

  it('trades --limit abc and --limit 0 are refused with the range', async () => {
    const d = ['--data-dir', tempDir('cb-usage-')];
    for (const bad of ['abc', '0', '2.5', '']) {
      const r = await run(['trades', '--limit', bad, ...d]);
      expect(r.code).toBe(64);
      expect(r.err).toContain(`--limit must be a whole number from 1 to 10000, got "${bad}"`);
      expect(r.out).not.toMatch(/NaN/);
    }
  });

  it('a page past the last one is an error that names the last page', async () => {
    const r = await run(['trades', '--page', '5', '--data-dir', tempDir('cb-usage-')]);
    expect(r.code).toBe(64);
    expect(r.err).toMatch(/--page 5 is past the last page: 0 trades make 1 page of 50\n {2}what to do: ask for --page 1 to 1/);
  });

  it('the default slippage is --default-slippage, not the account setting --slippage', async () => {
    const r = await run(['start', '--default-slippage', 'x', '--data-dir', tempDir('cb-usage-')]);
    expect(r.err).toMatch(/--default-slippage must be a whole number, got "x"/);
  });
});

describe('the data folder', () => {
  it('a read command refuses to invent an empty data folder, and says which folder it looked for', async () => {
    const missing = `${tempDir('cb-usage-')}/not-here`;
    for (const args of [['accounts', 'list'], ['trades']]) {
      const r = await run([...args, '--data-dir', missing]);
      expect(r.code).toBe(4);
      expect(r.err).toContain(`no data folder at ${missing}`);
      expect(r.err).toMatch(/what to do: run this from the folder the hub runs in, or pass --data-dir/);
    }
    const { existsSync } = await import('fs');
    expect(existsSync(missing)).toBe(false);
  });

  it('setup-db says it creates the folder; --no-samples adds no accounts', async () => {
    const dir = `${tempDir('cb-usage-')}/new`;
    const r = await run(['setup-db', '--no-samples', '--data-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`data folder ${dir} does not exist yet: creating it`);
    expect(r.out).toMatch(/indexes ready in embedded store .*; no sample accounts \(--no-samples\)/);
    expect(r.out).not.toMatch(/created/);
    expect((await run(['accounts', 'list', '--data-dir', dir])).out).toMatch(/no accounts/);
  });

  it('a damaged line in accounts.db is never dropped silently: warned on read, moved aside at setup', async () => {
    const dir = tempDir('cb-usage-');
    await run(['accounts', 'add', 'S1', '--type', 'SLAVE', '--data-dir', dir]);
    const { appendFileSync, readFileSync } = await import('fs');
    appendFileSync(`${dir}/accounts.db`, '{"_id":"S2","name":"S2","type":"SLAVE",  oops\n');
    const list = await run(['accounts', 'list', '--data-dir', dir]);
    expect(list.out).toMatch(/^S1 /);
    expect(list.err).toContain(`warning: 1 line(s) of ${dir}/accounts.db do not parse and are skipped; the next hub start moves them to ${dir}/accounts.db.corrupt`);
    const setup = await run(['setup-db', '--no-samples', '--data-dir', dir]);
    expect(setup.err).toContain(`warning: 1 line(s) of ${dir}/accounts.db did not parse and were moved to ${dir}/accounts.db.corrupt`);
    expect(readFileSync(`${dir}/accounts.db.corrupt`, 'utf8')).toMatch(/^# \d{4}-.*: 1 line\(s\) that did not parse, moved out of .*accounts\.db\n\{"_id":"S2","name":"S2","type":"SLAVE", {2}oops\n$/);
    expect(readFileSync(`${dir}/accounts.db`, 'utf8')).not.toContain('oops');
    expect((await run(['accounts', 'list', '--data-dir', dir])).err).toBe('');
  });
});
