import { DEFAULTS, loadConfig, makeConfig } from '../../../hub/config';
import { tempDir } from '../../helpers';

describe('dashboard and notification settings', () => {
  it('default to a dashboard on 127.0.0.1:8787 and no notifications', () => {
    expect(DEFAULTS).toMatchObject({ dashboard: true, dashboardHost: '127.0.0.1', dashboardPort: 8787, notifyUrl: '', notifyFormat: 'json', notifyEvents: 'refusal,expiry,offline,online,ledger,guard' });
  });

  it('come from the environment and flags, validated', () => {
    const c = loadConfig({ cwd: tempDir(), env: { COPYBRIDGE_DASHBOARD: 'false', COPYBRIDGE_DASHBOARD_PORT: '9000', COPYBRIDGE_NOTIFY_URL: 'https://discord.com/api/webhooks/1/x', COPYBRIDGE_NOTIFY_FORMAT: 'discord' }, flags: { dashboardPort: 9001 } });
    expect(c).toMatchObject({ dashboard: false, dashboardPort: 9001, notifyUrl: 'https://discord.com/api/webhooks/1/x', notifyFormat: 'discord' });
    expect(() => loadConfig({ cwd: tempDir(), env: { COPYBRIDGE_DASHBOARD_PORT: '70000' } })).toThrow(/environment: COPYBRIDGE_DASHBOARD_PORT must be between 0 and 65535, got "70000"/);
  });

  it('keep the dashboard on loopback unless remote access is allowed', () => {
    expect(() => makeConfig({ dashboardHost: '0.0.0.0' })).toThrow(/dashboardHost "0\.0\.0\.0" is not a loopback address/);
    expect(makeConfig({ dashboardHost: '0.0.0.0', allowRemote: true }).dashboardHost).toBe('0.0.0.0');
    // Off, its host does not matter.
    expect(makeConfig({ dashboardHost: '0.0.0.0', dashboard: false }).dashboard).toBe(false);
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(makeConfig({ dashboardHost: h }).dashboardHost).toBe(h);
  });

  it('refuse a notifyUrl that is no http(s) URL, telegram without a chat, and unknown events', () => {
    expect(() => makeConfig({ notifyUrl: 'not a url' })).toThrow(/notifyUrl "not a url" is not a URL/);
    expect(() => makeConfig({ notifyUrl: 'ftp://x/y' })).toThrow(/must be http:\/\/ or https:\/\//);
    expect(() => makeConfig({ notifyUrl: 'https://api.telegram.org/botT/sendMessage', notifyFormat: 'telegram' })).toThrow(/notifyFormat telegram needs notifyTelegramChat/);
    expect(makeConfig({ notifyUrl: 'https://api.telegram.org/botT/sendMessage', notifyFormat: 'telegram', notifyTelegramChat: '42' }).notifyTelegramChat).toBe('42');
    expect(() => makeConfig({ notifyEvents: 'refusal, typo' })).toThrow(/notifyEvents: unknown event typo/);
    expect(makeConfig({ notifyEvents: ' offline , online ' }).notifyEvents).toBe(' offline , online ');
    expect(() => makeConfig({ notifyFormat: 'slack' })).toThrow(/notifyFormat must be one of json, telegram, discord/);
  });
});
