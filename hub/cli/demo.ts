/**
 * `hub demo`: a real hub on loopback (random ports, in-memory ledger) with one simulated master
 * and two simulated slaves whose brokers name symbols differently, driven through a short story.
 *
 * The simulated terminals and the story are in sim/ at the top of the repository, which is not
 * part of the build (dist/): they are loaded when the demo runs. From the sources (ts-node, jest)
 * that is a plain import; from dist/, ts-node (a dev dependency, so present after `npm install` in
 * a clone) compiles sim/ as it is loaded.
 */
import { existsSync } from 'fs';
import { join, resolve } from 'path';
import type { Account } from '../accounts';
import { NotFoundError } from '../errors';
import { startHub, type RunningHub } from '../hub';
import { createLogger } from '../log';

export interface DemoOptions {
  stepMs?: number;
  out?: (line: string) => void;
}

export interface DemoIo {
  /** Prints a step of the story. */
  say: (line: string) => void;
  out: (line: string) => void;
  /** Waits stepMs, so a reader can follow. */
  pause: () => Promise<void>;
}

/** What sim/demo.ts provides: the story's accounts, and the story played against a running hub. */
export interface DemoScript {
  accounts: Partial<Account>[];
  play(hub: RunningHub, io: DemoIo): Promise<{ trades: number; refusals: number }>;
}

/** sim/ beside hub/: two folders up from this file in the sources, three from dist/hub/cli. */
function simFolder(): string | undefined {
  return [resolve(__dirname, '..', '..', 'sim'), resolve(__dirname, '..', '..', '..', 'sim')].find((d) => existsSync(join(d, 'demo.ts')));
}

async function loadDemoScript(): Promise<DemoScript> {
  const dir = simFolder();
  const hint = 'run the demo from a clone of the repository after `npm install`';
  if (!dir) throw new NotFoundError('the simulated terminals (sim/) are not part of this installation', hint);
  if (!__filename.endsWith('.ts')) {
    try {
      const tsNode = await import('ts-node');
      tsNode.register({ transpileOnly: true, project: join(dir, '..', 'tsconfig.json') });
    } catch (e) {
      throw new NotFoundError(`the demo needs ts-node to load the simulated terminals in ${dir}: ${(e as Error).message}`, hint, { cause: e });
    }
  }
  const mod = (await import(join(dir, 'demo'))) as { demo: DemoScript };
  return mod.demo;
}

export async function runDemo(opts: DemoOptions = {}): Promise<{ trades: number; refusals: number }> {
  const out = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const stepMs = opts.stepMs ?? 400;
  const script = await loadDemoScript();
  const logger = createLogger({ level: 'info', console: false, sink: (level, message) => out(`   hub ${level.padEnd(5)} ${message}`) });
  const hub = await startHub({
    config: { store: 'memory', pubEndpoint: 'tcp://127.0.0.1:*', pullEndpoint: 'tcp://127.0.0.1:*', heartbeatMs: 1000 },
    accounts: script.accounts,
    logger,
  });
  try {
    return await script.play(hub, {
      say: (l) => out(`\n== ${l}`),
      out,
      pause: () => new Promise((r) => setTimeout(r, stepMs)),
    });
  } finally {
    await hub.stop();
  }
}
