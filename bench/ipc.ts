/** Child processes of the benchmark (hub, relay): fork, request/response over the IPC channel, /proc readings. */
import { fork, type ChildProcess } from 'child_process';
import { closeSync, openSync, readFileSync } from 'fs';

interface Call {
  id: number;
  cmd: string;
  args: unknown;
}

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

export interface ForkOptions {
  /** Extra node flags, e.g. --cpu-prof. */
  execArgv?: string[];
  /** The child's stdout goes to this file (the hub's log). */
  stdoutFile?: string;
  env?: NodeJS.ProcessEnv;
}

export class Child {
  private nextId = 1;
  private readonly waiters = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private stderr = '';
  exited = false;
  readonly exitedPromise: Promise<void>;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on('message', (m: Reply) => {
      const w = this.waiters.get(m.id);
      if (!w) return;
      this.waiters.delete(m.id);
      if (m.error !== undefined) w.reject(new Error(`${name}: ${m.error}`));
      else w.resolve(m.result);
    });
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-8000);
    });
    this.exitedPromise = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exited = true;
        for (const w of this.waiters.values()) w.reject(new Error(`${name} exited (${code ?? signal}); stderr: ${this.stderr.slice(-2000)}`));
        this.waiters.clear();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get lastStderr(): string {
    return this.stderr;
  }

  call<T>(cmd: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} is not running; stderr: ${this.stderr.slice(-2000)}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`${this.name}: no answer to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send({ id, cmd, args });
    });
  }

  /** Asks the child to stop; kills it if it does not exit in time. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.exited) return;
    await this.call('stop', {}, timeoutMs).catch(() => undefined);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await this.exitedPromise;
    clearTimeout(t);
  }
}

export function forkChild(name: string, script: string, opts: ForkOptions = {}): Child {
  const out = opts.stdoutFile ? openSync(opts.stdoutFile, 'w') : 'ignore';
  const proc = fork(script, [], {
    execArgv: opts.execArgv ?? [],
    env: opts.env ?? process.env,
    stdio: ['ignore', out, 'pipe', 'ipc'],
  });
  if (typeof out === 'number') closeSync(out);
  return new Child(name, proc);
}

type Handler = (args: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any -- each handler types its own command's arguments; unknown would refuse them

/** Child side: answers requests with the handlers; `stop` must be among them. */
export function serve(handlers: Record<string, Handler>): void {
  const answer = async (m: Call): Promise<void> => {
    const h = handlers[m.cmd];
    try {
      if (!h) throw new Error(`unknown command ${m.cmd}`);
      const result = await h(m.args);
      process.send!({ id: m.id, result });
    } catch (e) {
      process.send!({ id: m.id, error: (e as Error).stack ?? String(e) });
    }
  };
  process.on('message', (m: Call) => void answer(m));
  // The parent went away: do not linger.
  process.on('disconnect', () => process.exit(0));
}

export interface ProcMem {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size (VmHWM), bytes. */
  hwm: number;
}

/** Resident memory of a process from /proc/<pid>/status (Linux). */
export function procMem(pid: number): ProcMem | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of a process from /proc/<pid>/stat, in ms (10 ms resolution). */
export function procCpuMs(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** [ms on a CPU, ms runnable but waiting for a CPU] of a process's main thread so far (Linux schedstat). */
export function threadSched(pid: number): [number, number] | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'latin1').split(' ');
    return [Number(run) / 1e6, Number(wait) / 1e6];
  } catch {
    return undefined;
  }
}
