/**
 * The real hub on loopback ZeroMQ with simulated terminals (sim/), for the hub's integration
 * tests: the hub's start-up, a terminal's, and the waits they all need (the welcome, the hub
 * knowing a terminal, a hub log line).
 */
import { startHub, type RunningHub } from '../../hub';
import type { Account } from '../../hub/accounts';
import type { ConfigInput } from '../../hub/config';
import { memoryLogger } from '../../hub/log';
import { SimTerminal, type SimTerminalOptions } from '../../sim';
import { until } from './wait';

export type HubLog = ReturnType<typeof memoryLogger>;

/** Ports the OS chooses, the in-memory store, and timings short enough for tests. */
export const SIM_HUB_CONFIG = {
  store: 'memory', pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*', heartbeatMs: 300, resendMs: 100, commandTtlMs: 4000,
} as const;

/** A hub on SIM_HUB_CONFIG with `config` over it, every log line (debug up) kept in `log`. */
export async function startSimHub(accounts: Partial<Account>[], config: ConfigInput = {}): Promise<{ hub: RunningHub; log: HubLog }> {
  const log = memoryLogger('debug');
  const hub = await startHub({ config: { ...SIM_HUB_CONFIG, ...config }, accounts, logger: log, tickMs: 20 });
  return { hub, log };
}

/**
 * Starts a simulated terminal on the hub's endpoints (heartbeat 300 ms and hello every 100 ms
 * unless `opts` says otherwise), added to `terminals` first: the test stops them.
 */
export async function startSimTerminal(
  hub: Pick<RunningHub, 'pullEndpoint' | 'pubEndpoint'>,
  terminals: SimTerminal[],
  opts: Omit<SimTerminalOptions, 'hubPush' | 'hubPub'>,
): Promise<SimTerminal> {
  const t = new SimTerminal({ hubPush: hub.pullEndpoint, hubPub: hub.pubEndpoint, heartbeatMs: 300, helloRetryMs: 100, ...opts });
  terminals.push(t);
  await t.start();
  return t;
}

/** Waits for the hub's welcome. */
export function welcomed(t: SimTerminal): Promise<unknown> {
  return t.waitFor(() => t.role, 5000, `${t.account} welcome`);
}

/** Waits until the hub has the terminal's symbols and a heartbeat (balance, equity). */
export function knownToHub(hub: RunningHub, t: SimTerminal): Promise<unknown> {
  return t.waitFor(
    () => hub.engine.status().terminals.find((s) => s.name === t.account && s.symbols !== undefined && s.equity !== undefined),
    5000,
    `${t.account} symbols and heartbeat`,
  );
}

/** The first hub log line that matches `re`, once there is one. */
export async function logLine(log: HubLog, re: RegExp, timeoutMs = 5000): Promise<string> {
  let hit: string | undefined;
  await until(() => (hit = log.lines.find((l) => re.test(l.message))?.message) !== undefined, {
    timeoutMs,
    what: `a hub log line matching ${re}`,
    detail: () => `last lines:\n${log.lines.slice(-15).map((l) => l.message).join('\n')}`,
  });
  return hit!;
}
