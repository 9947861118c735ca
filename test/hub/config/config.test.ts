import { writeFileSync } from 'fs';
import { join } from 'path';
import { DEFAULTS, loadConfig } from '../../../hub/config';
import { ConfigError } from '../../../hub/errors';
import { removeTempDirs, tempDir } from '../../helpers';

const dir = () => tempDir('cb-config-');
afterAll(() => removeTempDirs());

describe('loadConfig', () => {
  it('starts from the named defaults', () => {
    expect(loadConfig({ env: {}, cwd: dir() })).toEqual(DEFAULTS);
  });

  it('layers file < environment < flags', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'copybridge.json'), JSON.stringify({ magic: 111, resendMs: 700, logLevel: 'debug' }));
    const c = loadConfig({ cwd, env: { COPYBRIDGE_MAGIC: '222', COPYBRIDGE_RESEND_MS: '800' }, flags: { magic: 333 } });
    expect(c).toMatchObject({ magic: 333, resendMs: 800, logLevel: 'debug' });
  });

  it('selects MongoDB when a URI is given', () => {
    expect(loadConfig({ cwd: dir(), env: { MONGO_URI: 'mongodb://127.0.0.1:27017' } }).store).toBe('mongodb');
  });

  const bad: [string, Parameters<typeof loadConfig>[0], RegExp][] = [
    ['unknown setting', { flags: { colour: 'red' } as never }, /unknown setting "colour"/],
    ['misspelt setting', { flags: { heartbeatMS: 5 } as never }, /unknown setting "heartbeatMS" \(did you mean "heartbeatMs"\?\)/],
    ['non-integer, naming the variable', { env: { COPYBRIDGE_MAGIC: 'abc' } }, /environment: COPYBRIDGE_MAGIC must be a whole number, got "abc"/],
    ['non-integer flag, naming the flag', { flags: { magic: 'abc' } }, /command line: --magic must be a whole number, got "abc"/],
    ['not a number at all', { flags: { magic: NaN } }, /--magic must be a whole number, got NaN/],
    ['out of range', { flags: { resendMs: 1 } }, /resendMs must be between 10/],
    ['log file is a folder', { flags: { logFile: tempDir('cb-config-logdir-') } }, /logFile ".*" is a folder/],
    ['bad enum', { flags: { store: 'redis' } }, /store must be one of embedded, mongodb, memory/],
    ['bad endpoint', { flags: { pubEndpoint: 'http://x' } }, /not a ZeroMQ endpoint/],
    ['non-loopback', { flags: { pullEndpoint: 'tcp://0.0.0.0:5556' } }, /not a loopback address/],
    ['same ports', { flags: { pubEndpoint: 'tcp://127.0.0.1:6000', pullEndpoint: 'tcp://127.0.0.1:6000' } }, /must differ/],
    ['mongo without uri', { flags: { store: 'mongodb' } }, /no mongoUri/],
    ['bad uri', { flags: { mongoUri: 'mysql://x' } }, /must start with mongodb/],
    ['resend >= ttl', { flags: { resendMs: 5000, commandTtlMs: 5000 } }, /must be shorter than commandTtlMs/],
    ['missing file', { file: 'nope.json' }, /cannot read config file/],
  ];
  it.each(bad)('rejects %s with a clear message', (_name, opts, re) => {
    const call = () => loadConfig({ env: {}, cwd: dir(), ...opts });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(re);
  });

  it('allows a remote bind only when asked, and only with CURVE', () => {
    const remote = (flags: Record<string, unknown>) => () => loadConfig({ env: {}, cwd: dir(), flags: { pullEndpoint: 'tcp://0.0.0.0:5556', ...flags } });
    expect(remote({ allowRemote: true, curve: true })().pullEndpoint).toBe('tcp://0.0.0.0:5556');
    expect(remote({ allowRemote: true })).toThrow(/terminals on other machines must connect with CURVE keys/);
    expect(remote({ allowRemote: true })).toThrow(ConfigError);
    expect(remote({ curve: true })).toThrow(/remote binds must be allowed explicitly/);
    expect(() => loadConfig({ env: { COPYBRIDGE_CURVE: 'true', COPYBRIDGE_ALLOW_REMOTE: 'true' }, cwd: dir(), flags: { pubEndpoint: 'tcp://10.0.0.5:5555' } })).not.toThrow();
    // Loopback may use CURVE too.
    expect(loadConfig({ env: {}, cwd: dir(), flags: { curve: true } }).curve).toBe(true);
  });

  it('rejects a config file that is not a JSON object', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'copybridge.json'), '{"magic": 1,');
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/is not a JSON object/);
  });

  it('reads a config file saved with a UTF-8 byte order mark (Notepad)', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'copybridge.json'), '\uFEFF' + JSON.stringify({ magic: 4242 }), 'utf8');
    expect(loadConfig({ env: {}, cwd }).magic).toBe(4242);
  });

  it('warns of COPYBRIDGE_* variables that are no setting, with the likely one', () => {
    const warnings: string[] = [];
    const c = loadConfig({ env: { COPYBRIDGE_MAGIK: '5', COPYBRIDGE_RESEND_MS: '900', COPYBRIDGE_ZZZ_QQQ: '1', MONGO_URL: '' }, cwd: dir(), onWarning: (w) => warnings.push(w) });
    expect(c.magic).toBe(DEFAULTS.magic);
    expect(warnings).toEqual([
      'environment variable COPYBRIDGE_MAGIK is not a CopyBridge setting and is ignored (did you mean COPYBRIDGE_MAGIC?)',
      'environment variable COPYBRIDGE_ZZZ_QQQ is not a CopyBridge setting and is ignored',
    ]);
  });
});
