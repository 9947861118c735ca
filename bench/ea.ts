/**
 * End to end with the EA's own code: the EA harness of test/mql5 (the EA's MQL5 source compiled as
 * C++ against the MQL5 stand-in and a fake broker, talking through the Linux build of the bridge)
 * as master and as slave, against the real hub in its own process. Measured: the user's market
 * order written to the master terminal -> the slave EA's Experts-tab line for its OrderSend
 * ("open <master>#<position> ... -> done"), both seen by this process. The slave EA reads the
 * hub on its timer (InpTimerMs, 20 ms by default), so about half a timer period is part of it.
 */
import type { ChildProcessWithoutNullStreams } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { forkChild } from './ipc';
import type { HubReady, HubStartArgs } from './hub-process';
import { sleep } from './loadgen';
import type { Ctx } from './scenarios';
import { summarize, type Summary } from './stats';

export interface EaResult {
  trades: number;
  latency: Summary;
  lost: number;
  timerMs: number;
  /** The slave EA's own CPU time (ms) for each timer event that sent an order (read, parse, checks, OrderSend). */
  cpu?: Summary;
}

interface TerminalLike {
  ok(line: string): Promise<Record<string, unknown>>;
  waitLog(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}
interface TerminalModule {
  buildTerminal(): { bin: string; bridge: string };
  Terminal: { start(opts: Record<string, unknown>): Promise<TerminalLike> };
}

const MASTER = 'Bench-EA-M';
const SLAVE = 'Bench-EA-S';

/** The harness module, or why it cannot be used. */
export function loadEaHarness(root: string): TerminalModule | string {
  const file = join(root, 'test', 'mql5', 'terminal.ts');
  if (!existsSync(file)) return 'EA harness not available (test/mql5/terminal.ts missing)';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand by path: the harness is optional and may fail to build
    const mod = require(file) as TerminalModule;
    mod.buildTerminal();
    return mod;
  } catch (e) {
    return `EA harness not available (${(e as Error).message.split('\n')[0]})`;
  }
}

export async function eaEndToEnd(ctx: Ctx, harness: TerminalModule, trades: number, warmup: number, timerMs = 20): Promise<EaResult> {
  const child = forkChild('hub (ea)', join(ctx.buildDir, 'bench', 'hub-process.js'), {
    env: { ...process.env, NODE_PATH: ctx.nodePath },
    stdoutFile: join(ctx.tmpDir, 'hub-ea.log'),
  });
  const terminals: TerminalLike[] = [];
  try {
    const args: HubStartArgs = {
      config: { store: ctx.store, dataDir: join(ctx.tmpDir, 'data-ea'), pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*' },
      accounts: [
        { name: MASTER, type: 'MASTER', enabled: true },
        { name: SLAVE, type: 'SLAVE', enabled: true, suffix: '.c' },
      ],
      log: ctx.log,
    };
    const hub = await child.call<HubReady>('start', args);
    const ep = { pullEndpoint: hub.pullEndpoint, pubEndpoint: hub.pubEndpoint, inputs: { InpTimerMs: timerMs } };
    const [m, s] = await Promise.all([
      harness.Terminal.start({ ...ep, account: MASTER, login: 5101, tickets: 10000, filesDir: join(ctx.tmpDir, 'ea-master') }),
      harness.Terminal.start({ ...ep, account: SLAVE, login: 7101, tickets: 70000, suffix: '.c', filesDir: join(ctx.tmpDir, 'ea-slave') }),
    ]);
    terminals.push(m, s);
    for (const t of terminals) await t.waitLog(/welcome from hub/, 15_000);

    // The slave's order lines, timestamped as they arrive (the harness keeps lines, not times).
    const seen = new Map<string, bigint>();
    const waiting = new Map<string, () => void>();
    const proc = (s as unknown as { proc: ChildProcessWithoutNullStreams }).proc;
    const cpuMs: number[] = [];
    const re = new RegExp(`^LOG .*open ${MASTER}#(\\d+) buy .*-> (done|duplicate)`);
    let buf = '';
    proc.stdout.on('data', (d: Buffer | string) => {
      const at = process.hrtime.bigint();
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const perf = /^PERF ontimer cpu_us=(\d+)/.exec(line);
        if (perf) cpuMs.push(Number(perf[1]) / 1000);
        const hit = re.exec(line);
        if (hit && !seen.has(hit[1])) {
          seen.set(hit[1], at);
          waiting.get(hit[1])?.();
        }
      }
    });

    await m.ok('quote EURUSD 1.1 1.1001');
    await s.ok('quote EURUSD.c 1.1 1.1001');
    await sleep(300);
    const samples: number[] = [];
    let lost = 0;
    for (let i = 0; i < warmup + trades; i++) {
      const t0 = process.hrtime.bigint();
      const r = await m.ok('buy EURUSD 0.1');
      const position = String(r.position);
      if (!seen.has(position)) {
        await Promise.race([new Promise<void>((res) => waiting.set(position, res)), sleep(5000)]);
        waiting.delete(position);
      }
      const at = seen.get(position);
      if (i >= warmup) {
        if (at === undefined) lost++;
        else samples.push(Number(at - t0) / 1e6);
      }
      // Not in step with the slave's timer.
      await sleep(5 + Math.random() * timerMs);
    }
    return { trades, latency: summarize(samples), lost, timerMs, cpu: summarize(cpuMs.slice(warmup)) };
  } finally {
    await Promise.all(terminals.map((t) => t.stop().catch(() => undefined)));
    await child.stop();
  }
}
