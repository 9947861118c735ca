/** A real hub with its dashboard on loopback and three simulated terminals, for the dashboard tests. */
import type { Account } from '../../../hub/accounts';
import type { RunningHub } from '../../../hub/hub';
import { startDashboard, type DashboardOptions, type RunningDashboard } from '../../../hub/dashboard/server';
import { MAPPED_PRESET, MAPPED_SYMBOL_MAP, MASTER_PRESET, SUFFIX_PRESET, SimTerminal, brokerFromPreset, type BrokerPreset } from '../../../sim';
import { tempDir } from '../../helpers';
import { startSimHub, startSimTerminal, welcomed, type HubLog } from '../../helpers/sim-hub';

export interface DashWorld {
  hub: RunningHub;
  dash: RunningDashboard;
  log: HubLog;
  m: SimTerminal;
  s1: SimTerminal;
  s2: SimTerminal;
  terminals: SimTerminal[];
  term(account: string, preset: BrokerPreset): Promise<SimTerminal>;
  stop(): Promise<void>;
}

export const HEARTBEAT_MS = 300;

/** `settings`: more settings of M1, S1 or S2 (S1's protection, for instance). */
export async function dashWorld(opts: DashboardOptions = {}, settings: Record<string, Partial<Account>> = {}): Promise<DashWorld> {
  const accounts = [
    { name: 'M1', type: 'MASTER', enabled: true },
    { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 },
    { name: 'S2', type: 'SLAVE', enabled: true, symbol_map: { ...MAPPED_SYMBOL_MAP }, volume_mode: 'multiplier', volume_multiplier: 0.5 },
  ].map((a) => ({ ...a, ...settings[a.name] })) as Partial<Account>[];
  const { hub, log } = await startSimHub(accounts, { dataDir: tempDir('copybridge-dash-'), heartbeatMs: HEARTBEAT_MS });
  const dash = await startDashboard(hub, { port: 0, ...opts });
  const terminals: SimTerminal[] = [];
  const term = async (account: string, preset: BrokerPreset) => {
    const t = await startSimTerminal(hub, terminals, { account, broker: brokerFromPreset(preset), heartbeatMs: HEARTBEAT_MS });
    await welcomed(t);
    return t;
  };
  const m = await term('M1', MASTER_PRESET);
  const s1 = await term('S1', SUFFIX_PRESET);
  const s2 = await term('S2', MAPPED_PRESET);
  await s2.waitFor(() => hub.engine.status().terminals.filter((t) => t.symbols !== undefined).length === 3 || undefined, 5000, 'symbols of all three');
  return {
    hub, dash, log, m, s1, s2, terminals, term,
    async stop() {
      await Promise.all(terminals.map((t) => t.stop()));
      await dash.close();
      await hub.stop();
    },
  };
}
