import type { EngineStatus } from '../../../hub/engine';
import { statusLine } from '../../../hub/cli/start';

const terminal = (name: string, online: boolean) => ({ name, online }) as EngineStatus['terminals'][number];
const copy = (status: EngineStatus['copies'][number]['status']) => ({ status }) as EngineStatus['copies'][number];

describe('statusLine', () => {
  it('sums up terminals, copies, commands, ledger queue and counters', () => {
    const s = {
      terminals: [terminal('M1', true), terminal('S1', false), terminal('S2', true)],
      masterPositions: [],
      copies: [copy('open'), copy('closed'), copy('open'), copy('pending')],
      pending: [{ cmd_id: 'c1', type: 'open', slave: 'S1', attempts: 1, firstSent: 0, expires: 1 }],
      counters: { decisions: 7, commandsSent: 0, resends: 0, results: 0, refusals: 0, expired: 0, lastLatencyMs: 4 },
    } as EngineStatus;
    expect(statusLine(s, 3)).toBe('status: 2 terminals online (M1, S2), 2 open copies, 1 commands in flight, ledger queue 3, copies decided 7, last latency 4 ms');
    expect(statusLine({ ...s, terminals: [], counters: { ...s.counters, lastLatencyMs: undefined } }, 0)).toMatch(/^status: 0 terminals online \(none\), .* last latency - ms$/);
  });
});
