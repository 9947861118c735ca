/**
 * The EA itself (its MQL5 source compiled with the stand-in, the Linux bridge) with the CURVE
 * inputs `hub keys issue` prints, against the real hub with CURVE on.
 */
import { startHub } from '../../hub';
import { issueKey, type KeyPair } from '../../hub/transport/keys';
import { tempDir } from '../helpers';
import { buildTerminal, Terminal, type Hub } from './terminal';

jest.setTimeout(60_000);

beforeAll(() => {
  buildTerminal();
}, 300_000);

let hub: Hub | undefined;
const terminals: Terminal[] = [];

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((t) => t.stop()));
  await hub?.stop();
  hub = undefined;
});

function curveInputs(h: Hub, k: KeyPair) {
  return { InpServerKey: h.serverPublicKey!, InpClientPublicKey: k.publicKey, InpClientSecretKey: k.secretKey };
}

test("a master's trade is copied over CURVE; an EA whose InpAccountName is not its key's account is told why", async () => {
  const dataDir = tempDir('cb-ea-curve-');
  const keys = { M1: issueKey(dataDir, 'M1'), S1: issueKey(dataDir, 'S1') };
  const h = (hub = await startHub({
    config: { store: 'memory', dataDir, curve: true, pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*', logLevel: 'error', resendMs: 300 },
    accounts: [{ name: 'M1', type: 'MASTER', enabled: true }, { name: 'S1', type: 'SLAVE', enabled: true }, { name: 'S9', type: 'SLAVE', enabled: true }],
  }));
  const ep = { pullEndpoint: h.pullEndpoint, pubEndpoint: h.pubEndpoint };
  const [m1, s1] = await Promise.all([
    Terminal.start({ ...ep, account: 'M1', login: 5001, tickets: 10000, inputs: curveInputs(h, keys.M1) }),
    Terminal.start({ ...ep, account: 'S1', login: 7001, tickets: 70000, inputs: curveInputs(h, keys.S1) }),
  ]);
  terminals.push(m1, s1);
  for (const t of [m1, s1]) await t.waitLog(/welcome from hub/);

  await m1.ok('quote EURUSD 1.1 1.1001');
  await s1.ok('quote EURUSD 1.1 1.1001');
  const pos = await m1.trade('buy', 'EURUSD', 0.5, 1.09, 1.12);
  const [copy] = await s1.waitPositions('copy on S1', (ps) => ps.length === 1);
  expect(copy).toMatchObject({ symbol: 'EURUSD', side: 'buy', volume: 0.5 });
  expect(copy.comment).toContain(String(pos));

  // S1's key in an EA set up as S9: refused, and the EA's log says what to change.
  const wrong = await Terminal.start({ ...ep, account: 'S9', login: 9001, tickets: 90000, inputs: curveInputs(h, keys.S1) });
  terminals.push(wrong);
  await wrong.waitLog(/E_INVALID_MESSAGE: account "S9" is not the account of this terminal's CURVE key \(S1\): message refused; set the EA's InpAccountName to S1/);
  expect(wrong.logs.some((l) => /welcome from hub/.test(l))).toBe(false);
});
