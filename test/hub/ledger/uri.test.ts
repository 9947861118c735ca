import { credentialProblem, hostsOf, redactUri } from '../../../hub/ledger/uri';
import { loadConfig } from '../../../hub/config';
import { removeTempDirs, tempDir } from '../../helpers';

afterAll(() => removeTempDirs());

describe('MongoDB URIs', () => {
  it('redacts a password typed with an unencoded @ whole, not just its first part', () => {
    expect(redactUri('mongodb://trader:p@ss@db.example:27017/?authSource=admin')).toBe('mongodb://trader:***@db.example:27017/?authSource=admin');
    expect(redactUri('mongodb://trader:a@b@c@h1,h2/x')).toBe('mongodb://trader:***@h1,h2/x');
    expect(hostsOf('mongodb://trader:p@ss@db.example:27017/?authSource=admin')).toBe('db.example:27017');
    expect(hostsOf('mongodb+srv://cluster0.example/db')).toBe('cluster0.example');
  });

  it('recognises characters the driver would misread in the user name or password', () => {
    expect(credentialProblem('mongodb://trader:p@ss@h:1')).toBe('the password in the MongoDB URI contains "@", which must be percent-encoded (@ as %40)');
    expect(credentialProblem('mongodb://trader:a/b:c@h:1')).toMatch(/password .* contains "\/", ":"/);
    expect(credentialProblem('mongodb://trader:p%40ss@h:1')).toBeUndefined();
    expect(credentialProblem('mongodb://h:1')).toBeUndefined();
  });

  it('refuses such a URI before anything connects, and never shows the password', () => {
    const secret = 'Sup3r@Secret';
    let message = '';
    try {
      loadConfig({ env: {}, cwd: tempDir('cb-uri-'), flags: { mongoUri: `mongodb://trader:${secret}@127.0.0.1:27017` } });
    } catch (e) {
      message = `${(e as Error).message} ${(e as { hint?: string }).hint ?? ''}`;
    }
    expect(message).toMatch(/password in the MongoDB URI contains "@".*%40.*mongodb:\/\/trader:\*\*\*@127\.0\.0\.1:27017/);
    expect(message).not.toContain('Sup3r');
    expect(message).not.toContain('Secret');
  });
});
