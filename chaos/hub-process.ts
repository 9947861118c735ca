/**
 * The hub as a real process (`node bin/hub.js start`), started, SIGKILLed and restarted on the
 * same ports and data folder; its log lines are counted, its RSS read from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'fs';
import { join } from 'path';

export const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin/hub.js');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const TAIL_LINES = 60;

/** Hub processes still running; killed if this process exits without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface HubProcessOptions {
  pub: string;
  pull: string;
  dataDir: string;
  store: 'embedded' | 'mongodb';
  mongoUri?: string;
  mongoDb?: string;
  /** Extra environment (COPYBRIDGE_* timings). */
  env: Record<string, string>;
  /** Every hub log line, as it arrives. */
  onLine?: (line: string) => void;
}

export class HubProcess {
  private proc?: ChildProcess;
  private expectExit = false;
  private partial = '';
  /** Log lines (stdout and stderr) since this object was made. */
  lines = 0;
  /** Exits nobody asked for, with their code or signal. */
  readonly crashes: string[] = [];
  readonly tail: string[] = [];

  constructor(private readonly opts: HubProcessOptions) {}

  get pid(): number | undefined {
    return this.proc?.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  /** The hub's PULL endpoint, where terminals (and the fuzzer) push. */
  get pullEndpoint(): string {
    return this.opts.pull;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  args(): string[] {
    const o = this.opts;
    const args = ['start', '--pub', o.pub, '--pull', o.pull, '--store', o.store, '--data-dir', o.dataDir, '--log-level', 'info'];
    if (o.store === 'mongodb') args.push('--mongo-uri', o.mongoUri ?? '', '--mongo-db', o.mongoDb ?? 'copybridge_chaos');
    return args;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.expectExit = false;
    // The hub's working folder; a wipe may have removed it, and the MongoDB store never makes it.
    mkdirSync(this.opts.dataDir, { recursive: true });
    const proc = spawn(process.execPath, [BIN, ...this.args()], {
      cwd: this.opts.dataDir,
      env: { ...process.env, ...this.opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    let ready = false;
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start within ${START_TIMEOUT_MS} ms\n${this.tail.join('\n')}`)), START_TIMEOUT_MS);
      const onData = (d: Buffer) => {
        for (const line of this.split(d)) {
          if (!ready && line.includes('hub listening')) {
            ready = true;
            clearTimeout(timer);
            resolve();
          }
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot start the hub: ${e.message}`));
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!this.expectExit) this.crashes.push(`hub pid ${proc.pid} exited by itself (code ${code}, signal ${signal})`);
        if (!ready) reject(new Error(`hub exited before listening (code ${code}, signal ${signal})\n${this.tail.join('\n')}`));
      });
    });
    await listening;
  }

  /** SIGKILL: no flush, no goodbye, as a power cut. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** SIGTERM: the hub flushes its ledger and exits. */
  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  /** VmRSS of the running hub in kB, or undefined when it is not running. */
  rssKb(): number | undefined {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  private async end(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    this.expectExit = true;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private split(d: Buffer): string[] {
    const text = this.partial + d.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines++;
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      this.opts.onLine?.(line);
    }
    return parts;
  }
}

/** Newest modification time (ms) of the files under dir with one of the extensions. */
function newest(dir: string, ext: string, pick: (a: number, b: number) => number, start: number): number {
  let t = start;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) t = newest(p, ext, pick, t);
    else if (name.endsWith(ext)) t = pick(t, s.mtimeMs);
  }
  return t;
}

/** True when some hub/ source is newer than the last build in dist/hub (or there is none). */
export function buildIsStale(): boolean {
  let built: number;
  try {
    // tsc rewrites every output, so the newest file is the time of the last build.
    built = newest(join(ROOT, 'dist/hub'), '.js', Math.max, 0);
  } catch {
    return true;
  }
  const source = Math.max(newest(join(ROOT, 'hub'), '.ts', Math.max, 0), statSync(join(ROOT, 'package.json')).mtimeMs);
  return built < source;
}

/** Compiles the hub into dist/ (what `npm run build` does), so bin/hub.js runs the current code. */
export function buildHub(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${r.stdout}${r.stderr}`);
}
