/**
 * The set-up of the EA tests against the scripted fake hub (test/helpers/fake-hub.ts): the EA
 * harness built and the fake hub listening before the file's tests, every terminal and the hub
 * stopped after them and, unless a file says otherwise, a check after each test that everything
 * the EA sent was a valid protocol message.
 */
import type { HelloMsg } from '../../hub/protocol';
import { until } from '../helpers';
import { FakeHub } from '../helpers/fake-hub';
import { buildTerminal, Terminal, type TerminalOptions } from './terminal';

export interface FakeHubSuite {
  /** Listening from the file's beforeAll on. */
  hub: FakeHub;
  /** Stopped after the file's tests: a test adds the terminals it starts on its own. */
  terminals: Terminal[];
  /** Starts a terminal on the fake hub's endpoints. */
  terminal: (opts: Partial<TerminalOptions> & { account: string }) => Promise<Terminal>;
  /**
   * Waits for the terminal's hello (the first `hello` accepts), then has `send` welcome it until
   * it answers with a new snapshot: PUB may drop the first welcome.
   */
  welcome: (t: Terminal, send: () => Promise<void>, hello?: (h: HelloMsg) => boolean) => Promise<void>;
}

/** Registers the file's hooks; call at the top level of a test file. */
export function useFakeHub(opts: { checkMessages?: boolean } = {}): FakeHubSuite {
  const hub = new FakeHub();
  const terminals: Terminal[] = [];

  beforeAll(async () => {
    buildTerminal();
    await hub.bind();
  }, 300_000);

  afterAll(async () => {
    await Promise.all(terminals.map((t) => t.stop()));
    await hub.stop();
  });

  if (opts.checkMessages !== false) {
    afterEach(() => {
      expect(hub.invalid).toEqual([]);
    });
  }

  return {
    hub,
    terminals,
    async terminal(o) {
      const t = await Terminal.start({ pullEndpoint: hub.pullEndpoint, pubEndpoint: hub.pubEndpoint, ...o });
      terminals.push(t);
      return t;
    },
    async welcome(t, send, hello = () => true) {
      const snapshots = hub.of(t.account, 'snapshot').length;
      await hub.waitFor(t.account, 'hello', hello);
      await until(async () => {
        if (hub.of(t.account, 'snapshot').length > snapshots) return true;
        await send();
        return false;
      }, { timeoutMs: 5000, everyMs: 100, what: `${t.account} to answer the welcome`, detail: () => t.tail() });
    },
  };
}
