/** The embedded store's process model: who may write which file, read-only readers, the lock. */
import Datastore from '@seald-io/nedb';
import { execFile } from 'child_process';
import * as fs from 'fs';
import { join, resolve } from 'path';
import { promisify } from 'util';
import { EMBEDDED_FILES, EmbeddedStore } from '../../../hub/ledger';
import { removeTempDirs, tempDir as makeTempDir } from '../../helpers';
import { iso, openTrade, tradeUpdate } from './store-contract';

const tempDir = () => makeTempDir('copybridge-embedded-');
afterAll(() => removeTempDirs());

function fileId(path: string): string {
  const s = fs.statSync(path);
  return `${s.ino}:${s.size}:${s.mtimeMs}:${fs.readFileSync(path, 'utf8').length}`;
}

async function hubStore(dir: string): Promise<EmbeddedStore> {
  const s = new EmbeddedStore(dir);
  await s.open();
  await s.ensureIndexes();
  return s;
}

describe('embedded store files', () => {
  it('a read-only reader never rewrites the files the hub appends to, and sees new appends', async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    expect(hub.ledgerOwner).toBe(true);
    await hub.upsertTrades([openTrade('M', 1, 'S', 1), openTrade('M', 2, 'S', 2)]);
    await hub.upsertTrades([tradeUpdate('M', 1, 'S', { status: 'closed', updated_at: iso(3) })]);
    await hub.appendEvents([{ id: 'e1', time: iso(1), kind: 'decision', message: 'm' }]);
    const trades = join(dir, EMBEDDED_FILES.trades);
    const events = join(dir, EMBEDDED_FILES.events);
    const before = [fileId(trades), fileId(events)];

    const cli = new EmbeddedStore(dir, { readOnly: true });
    await cli.open();
    await cli.ensureIndexes();
    expect(cli.ledgerOwner).toBe(false);
    expect((await cli.findTrades({})).map((t) => [t.master_ticket, t.status])).toEqual([['2', 'open'], ['1', 'closed']]);
    expect(await cli.countTrades({ status: 'closed' })).toBe(1);
    expect((await cli.findEvents({})).map((e) => e.id)).toEqual(['e1']);
    expect([fileId(trades), fileId(events)]).toEqual(before);

    await hub.upsertTrades([openTrade('M', 3, 'S', 5)]);
    expect((await cli.findTrades({ limit: 1 }))[0].master_ticket).toBe('3');
    await cli.close();
    await hub.close();
  });

  it('read-only refuses trade and event writes but writes accounts, which the hub picks up', async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    const cli = new EmbeddedStore(dir, { readOnly: true });
    await cli.open();
    await expect(cli.upsertTrades([openTrade('M', 1, 'S', 1)])).rejects.toMatchObject({ code: 'E_STORE_READONLY' });
    await expect(cli.appendEvents([{ time: iso(1), kind: 'x', message: 'y' }])).rejects.toMatchObject({ code: 'E_STORE_READONLY' });

    expect(await hub.listAccounts()).toEqual([]);
    await cli.upsertAccount({ name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c' });
    expect((await hub.listAccounts()).map((a) => a.name)).toEqual(['S1']);
    await cli.upsertAccount({ name: 'S1', type: 'SLAVE', enabled: false });
    expect(await hub.getAccount('S1')).toEqual({ name: 'S1', type: 'SLAVE', enabled: false });
    expect(await cli.removeAccount('S1')).toBe(true);
    expect(await hub.listAccounts()).toEqual([]);
    await cli.close();
    await hub.close();
  });

  it("re-reads accounts.db only when it changed (the hub's periodic reload is cheap)", async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    await hub.upsertAccount({ name: 'M1', type: 'MASTER', enabled: true });
    const accounts = join(dir, EMBEDDED_FILES.accounts);
    const t = new Date('2025-01-01T00:00:00Z');
    fs.utimesSync(accounts, t, t);
    expect((await hub.listAccounts()).map((a) => a.name)).toEqual(['M1']);
    // Same inode, size and mtime but other bytes: the cached parse must still be served.
    const ino = fs.statSync(accounts).ino;
    fs.writeFileSync(accounts, fs.readFileSync(accounts, 'utf8').replace(/M1/g, 'M2'));
    fs.utimesSync(accounts, t, t);
    expect(fs.statSync(accounts).ino).toBe(ino);
    expect((await hub.listAccounts()).map((a) => a.name)).toEqual(['M1']);
    // Any change the CLI makes (append: size, rewrite: inode, touch: mtime) is picked up.
    fs.utimesSync(accounts, t, new Date(t.getTime() + 5_000));
    expect((await hub.listAccounts()).map((a) => a.name)).toEqual(['M2']);
    const other = new EmbeddedStore(dir, { readOnly: true });
    await other.upsertAccount({ name: 'S', type: 'SLAVE', enabled: true });
    expect((await hub.listAccounts()).map((a) => a.name)).toEqual(['M2', 'S']);
    await hub.close();
  });

  it('one ledger writer per folder: a second one gets E_STORE_LOCKED until the first closes', async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    const second = new EmbeddedStore(dir);
    await second.open();
    await second.ensureIndexes(); // `hub setup-db` while the hub runs: nothing to do, no error
    expect(second.ledgerOwner).toBe(false);
    const err = await second.upsertTrades([openTrade('M', 1, 'S', 1)]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_STORE_LOCKED' });
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    expect((err as { hint: string }).hint).toContain(EMBEDDED_FILES.lock);
    await hub.close();
    await second.upsertTrades([openTrade('M', 1, 'S', 1)]);
    expect(second.ledgerOwner).toBe(true);
    await second.close();
    expect(fs.existsSync(join(dir, EMBEDDED_FILES.lock))).toBe(false);
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = tempDir();
    fs.writeFileSync(join(dir, EMBEDDED_FILES.lock), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    const hub = await hubStore(dir);
    expect(hub.ledgerOwner).toBe(true);
    await hub.close();
  });

  it('skips a last line torn by a crash, in the reader and in the hub', async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    await hub.upsertTrades([openTrade('M', 1, 'S', 1), openTrade('M', 2, 'S', 2)]);
    await hub.close();
    fs.appendFileSync(join(dir, EMBEDDED_FILES.trades), '{"_id":"M\\u00003\\u0000S","master_name":"M","master_tic');
    const cli = new EmbeddedStore(dir, { readOnly: true });
    expect(await cli.countTrades({})).toBe(2);
    const again = await hubStore(dir);
    expect(await again.countTrades({})).toBe(2);
    await again.upsertTrades([openTrade('M', 3, 'S', 3)]);
    expect(await again.countTrades({})).toBe(3);
    await again.close();
  });

  it('moves a damaged line in the middle of trades.db aside at hub start, with a warning, instead of letting nedb drop it', async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    await hub.upsertTrades([openTrade('M', 1, 'S', 1)]);
    await hub.close();
    const file = join(dir, EMBEDDED_FILES.trades);
    const lines = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `{"_id":"edited by hand", oops\n${lines}`);
    const warnings: string[] = [];
    const again = new EmbeddedStore(dir, { onWarning: (w) => warnings.push(w) });
    await again.open();
    await again.ensureIndexes();
    expect(await again.countTrades({})).toBe(1);
    expect(warnings).toEqual([`1 line(s) of ${file} did not parse and were moved to ${file}.corrupt; look at them there (a hand edit?) and re-add what is needed`]);
    expect(fs.readFileSync(`${file}.corrupt`, 'utf8')).toContain('{"_id":"edited by hand", oops\n');
    await again.close();
  });

  it('keeps files that nedb itself opens', async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    await hub.upsertAccount({ name: 'S', type: 'SLAVE', enabled: true, symbol_map: { EURUSD: 'EURUSD.c' } });
    await hub.upsertTrades([openTrade('M', 1, 'S', 1), tradeUpdate('M', 1, 'S', { status: 'closed', updated_at: iso(2) })]);
    await hub.appendEvents([{ id: 'e1', time: iso(1), kind: 'k', message: 'm' }]);
    await hub.close();
    for (const [file, n] of [[EMBEDDED_FILES.accounts, 1], [EMBEDDED_FILES.trades, 1], [EMBEDDED_FILES.events, 1]] as const) {
      const copy = join(dir, `copy-${file}`);
      fs.copyFileSync(join(dir, file), copy);
      const ds = new Datastore({ filename: copy });
      await ds.loadDatabaseAsync();
      expect(ds.getAllData()).toHaveLength(n);
    }
  });

  it('a separate CLI process adds accounts and pages trades while the hub writes', async () => {
    const dir = tempDir();
    const hub = await hubStore(dir);
    await hub.upsertTrades(Array.from({ length: 200 }, (_, i) => openTrade('M', i, 'S', i)));
    const trades = join(dir, EMBEDDED_FILES.trades);
    const inode = fs.statSync(trades).ino;
    const script = `
      const { EmbeddedStore } = require(${JSON.stringify(resolve(__dirname, '../../../hub/ledger/embedded.ts'))});
      (async () => {
        const s = new EmbeddedStore(process.argv[1], { readOnly: true });
        await s.open();
        await s.upsertAccount({ name: 'CLI-1', type: 'SLAVE', enabled: true });
        const page = await s.findTrades({ skip: 10, limit: 5 });
        console.log(JSON.stringify({ total: await s.countTrades({}), page: page.map((t) => t.master_ticket) }));
        await s.close();
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const child = promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script, dir], {
      cwd: resolve(__dirname, '../../..'),
    });
    // The hub keeps appending while the CLI runs.
    for (let i = 200; i < 260; i++) await hub.upsertTrades([openTrade('M', i, 'S', i)]);
    const { stdout } = await child;
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { total: number; page: string[] };
    expect(out.total).toBeGreaterThanOrEqual(200);
    expect(out.page).toHaveLength(5);
    expect(fs.statSync(trades).ino).toBe(inode);
    expect((await hub.listAccounts()).map((a) => a.name)).toEqual(['CLI-1']);
    expect(await hub.countTrades({})).toBe(260);
    await hub.close();
  }, 60_000);
});
