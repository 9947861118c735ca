/** `hub keys`: show, issue, list and revoke, in-process against a data folder. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { accountProof, serverKeys } from '../../../hub/transport/keys';
import { removeTempDirs, tempDir } from '../../helpers';
import { runCli } from '../../helpers/cli';

const run = runCli;

afterAll(() => removeTempDirs());

const input = (out: string, name: string) => new RegExp(`^ {2}${name} += (\\S{40})$`, 'm').exec(out)?.[1];

describe('hub keys', () => {
  it('issues the EA inputs for a registered account, lists, rotates and revokes', async () => {
    const dir = tempDir('cb-keys-');
    const d = ['--data-dir', dir];
    await run(['accounts', 'add', 'FTMO-1', '--type', 'MASTER', ...d]);

    const show = await run(['keys', 'show', ...d]);
    expect(show.out).toMatch(/made the hub's CURVE key pair in .*curve \(keep that folder private/);
    const server = /hub public key \(every EA's InpServerKey\): (\S{40})/.exec(show.out)![1];
    expect(show.out).toMatch(/CURVE is off in this configuration; start the hub with --curve/);
    expect((await run(['keys', 'show', '--curve', ...d])).out).toBe(`hub public key (every EA's InpServerKey): ${server}`);

    const first = await run(['keys', 'issue', 'FTMO-1', ...d]);
    expect(first.code).toBe(0);
    expect(input(first.out, 'InpServerKey')).toBe(server);
    expect(first.out).toMatch(/^ {2}InpAccountName {5}= FTMO-1$/m);
    const pub1 = input(first.out, 'InpClientPublicKey')!;
    const sec1 = input(first.out, 'InpClientSecretKey')!;
    // The printed pair is a real pair for this hub: the proof from the terminal's side is the hub's.
    expect(accountProof(sec1, server).equals(accountProof(serverKeys(dir, false)!.secretKey, pub1))).toBe(true);
    expect(readFileSync(join(dir, 'curve', 'accounts.json'), 'utf8')).not.toContain(sec1);

    const second = await run(['keys', 'issue', 'FTMO-1', ...d]);
    const pub2 = input(second.out, 'InpClientPublicKey')!;
    expect(second.out).toContain(`FTMO-1 still has key ${pub1}`);
    expect(second.out).toContain(`revoke it with: npm run hub -- keys revoke FTMO-1 --key ${pub1}`);

    expect((await run(['keys', 'revoke', 'FTMO-1', '--key', pub1, ...d])).out).toMatch(new RegExp(`^revoked FTMO-1's key ${pub1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const list = await run(['keys', 'list', ...d]);
    expect(list.out).toContain(`hub public key: ${server}`);
    expect(list.out).toMatch(new RegExp(`FTMO-1 +${pub2.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} {2}issued `));
    expect(list.out).toMatch(new RegExp(`FTMO-1 +${pub1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} {2}REVOKED `));
  });

  it('says what to do for an unknown account, a key that is not there and a missing subcommand', async () => {
    const d = ['--data-dir', tempDir('cb-keys-')];
    await run(['accounts', 'add', 'Apex-2', '--type', 'SLAVE', ...d]);
    const unknown = await run(['keys', 'issue', 'Apex2', ...d]);
    expect(unknown.code).toBe(4);
    expect(unknown.err).toMatch(/no account named Apex2 \(did you mean Apex-2\?\)\n {2}what to do: register it first \(npm run hub -- accounts add Apex2/);
    const none = await run(['keys', 'revoke', 'Apex-2', ...d]);
    expect(none.code).toBe(4);
    expect(none.err).toMatch(/Apex-2 has no registered key\n {2}what to do: see: npm run hub -- keys list/);
    const bare = await run(['keys', ...d]);
    expect(bare.code).toBe(64);
    expect(bare.err).toMatch(/name a subcommand: show, issue, list, revoke/);
    expect((await run(['keys', 'list', ...d])).out).toMatch(/no hub key yet[\s\S]*no terminal keys; issue one with: npm run hub -- keys issue NAME/);
  });
});
