/**
 * Starts, watches and stops the terminals of `hub start --launch`: masters first, slaves once the
 * masters said hello; a terminal that exits is restarted after a back-off, and every change is one
 * log line and shows in status(). Stopping closes each terminal gracefully (WM_CLOSE through
 * taskkill on Windows, SIGTERM elsewhere) and forcefully only after stopTimeoutMs.
 */
import { spawn, type ChildProcess } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import type { Account } from '../accounts';
import type { Logger } from '../log';
import { dataFolderOf, installedDataFolders, terminalsRoot } from './folders';
import {
  backoffMs, DEFAULT_BACKOFF, eaInputs, failuresAfterExit, launchTargets, presetName, presetText, slavesMayStart, startupIni, terminalArgs,
  type Backoff, type HubAddress, type LaunchTarget,
} from './plan';

export type TerminalState = 'waiting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface LaunchedTerminal {
  readonly name: string;
  readonly role: 'MASTER' | 'SLAVE';
  readonly exe: string;
  readonly state: TerminalState;
  /** Why the terminal is waiting or failed, in words for the operator. */
  readonly detail?: string;
  readonly pid?: number;
  readonly startedAt?: number;
  /** Starts after the first. */
  readonly restarts: number;
  readonly lastExit?: { readonly code: number | null; readonly signal: string | null; readonly at: number };
  readonly nextStartAt?: number;
}

export interface LauncherStatus {
  readonly terminals: readonly LaunchedTerminal[];
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

export interface LauncherOptions {
  accounts: readonly Account[];
  hub: HubAddress;
  /** Where the start-up (.ini) files go: the hub's data folder. */
  configDir: string;
  log: Logger;
  /** Names of the terminals that said hello to the hub (from Engine.status()). */
  helloed: () => ReadonlySet<string>;
  /** %APPDATA% (tests point it at a fake tree). */
  appData?: string;
  backoff?: Backoff;
  /** How long slaves wait for the masters' hello before starting anyway. */
  masterWaitMs?: number;
  /** Graceful close, then force. */
  stopTimeoutMs?: number;
  everyMs?: number;
  platform?: NodeJS.Platform;
  /** The terminals' environment (default: the hub's). */
  env?: NodeJS.ProcessEnv;
}

interface Slot {
  t: LaunchTarget;
  state: TerminalState;
  detail?: string;
  child?: ChildProcess;
  startedAt?: number;
  starts: number;
  failures: number;
  lastExit?: LaunchedTerminal['lastExit'];
  nextStartAt?: number;
  exited?: Promise<void>;
}

/** A delay in seconds for a log line: tenths below a second. */
const seconds = (ms: number) => (ms / 1000).toFixed(ms < 1000 ? 1 : 0);

export class Launcher {
  private readonly slots: Slot[];
  private readonly skipped: { name: string; reason: string }[];
  private readonly backoff: Backoff;
  private readonly masterWaitMs: number;
  private readonly stopTimeoutMs: number;
  private readonly platform: NodeJS.Platform;
  private timer?: NodeJS.Timeout;
  private since = 0;
  private stopping = false;
  private slavesReleased = false;

  constructor(private readonly opts: LauncherOptions) {
    const { targets, skipped } = launchTargets(opts.accounts);
    this.slots = targets.map((t) => ({ t, state: 'waiting', starts: 0, failures: 0 }));
    this.skipped = skipped;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.masterWaitMs = opts.masterWaitMs ?? 120_000;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 20_000;
    this.platform = opts.platform ?? process.platform;
  }

  /** Starts the masters now and checks every everyMs what else is due. */
  start(): void {
    const { log } = this.opts;
    for (const s of this.skipped) log.info(`launcher: ${s.name} not started: ${s.reason}`);
    if (!this.slots.length) log.warn('launcher: --launch given, but no enabled account has a terminal path: nothing to start');
    this.since = Date.now();
    this.step();
    this.timer = setInterval(() => this.step(), this.opts.everyMs ?? 250);
  }

  status(): LauncherStatus {
    return {
      terminals: this.slots.map((s) => ({
        name: s.t.name, role: s.t.role, exe: s.t.exe, state: s.state, detail: s.detail, pid: s.child?.pid, startedAt: s.startedAt,
        restarts: Math.max(0, s.starts - 1), lastExit: s.lastExit, nextStartAt: s.nextStartAt,
      })),
      skipped: this.skipped.map((s) => ({ ...s })),
    };
  }

  private step(): void {
    if (this.stopping) return;
    const now = Date.now();
    const masters = this.slots.filter((s) => s.t.role === 'MASTER').map((s) => s.t.name);
    if (!this.slavesReleased) {
      const verdict = slavesMayStart(masters, this.opts.helloed(), now - this.since, this.masterWaitMs);
      if (verdict !== 'wait') {
        this.slavesReleased = true;
        if (verdict === 'timeout') {
          const missing = masters.filter((m) => !this.opts.helloed().has(m));
          this.opts.log.warn(`launcher: no hello from ${missing.join(', ')} after ${Math.round(this.masterWaitMs / 1000)} s; starting the slaves anyway`);
        } else if (masters.length && this.slots.some((s) => s.t.role === 'SLAVE')) {
          this.opts.log.info(`launcher: master${masters.length > 1 ? 's' : ''} ${masters.join(', ')} said hello; starting the slaves`);
        }
      }
    }
    for (const s of this.slots) {
      if (s.state === 'waiting' && (s.t.role === 'MASTER' || this.slavesReleased)) this.launch(s);
      else if (s.state === 'waiting' && !s.detail) s.detail = `waiting for the hello of ${masters.join(', ')}`;
      else if (s.state === 'backoff' && now >= (s.nextStartAt ?? 0)) this.launch(s);
    }
  }

  /** Writes the start-up files into the terminal's data folder and the hub's, then starts it. */
  private launch(s: Slot): void {
    const { t } = s;
    const { log } = this.opts;
    const data = dataFolderOf(t.exe, t.portable, installedDataFolders(terminalsRoot(this.opts.appData)));
    if (!data) {
      s.state = 'failed';
      s.detail = `no data folder of ${t.exe} under ${terminalsRoot(this.opts.appData) ?? '%APPDATA%\\MetaQuotes\\Terminal'}: start that terminal once by hand (it creates the folder) or set --portable true`;
      log.error(`launcher: ${t.name} not started: ${s.detail}`);
      return;
    }
    let ini: string;
    try {
      const presets = join(data.dir, 'MQL5', 'Presets');
      mkdirSync(presets, { recursive: true });
      // MetaTrader writes and reads .set files as UTF-16LE with a byte order mark.
      writeFileSync(join(presets, presetName(t.name)), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(presetText(eaInputs(t, this.opts.hub)), 'utf16le')]));
      mkdirSync(this.opts.configDir, { recursive: true });
      // Absolute: the terminal runs in its own folder, where ./data means nothing.
      ini = resolve(this.opts.configDir, `launch-${t.name}.ini`);
      writeFileSync(ini, startupIni(t));
    } catch (e) {
      s.state = 'failed';
      s.detail = `cannot write its start-up files: ${(e as Error).message}`;
      log.error(`launcher: ${t.name} not started: ${s.detail}`);
      return;
    }
    const args = terminalArgs(t, ini);
    let child: ChildProcess;
    try {
      child = this.platform === 'win32'
        // MetaTrader reads /config:"path with spaces"; Node would quote the whole argument instead.
        ? spawn(t.exe, args.map((a) => a.replace(/^\/config:(.*\s.*)$/, '/config:"$1"')), { argv0: `"${t.exe}"`, windowsVerbatimArguments: true, stdio: 'ignore', cwd: data.origin, env: this.opts.env })
        : spawn(t.exe, args, { stdio: 'ignore', cwd: data.origin, env: this.opts.env });
    } catch (e) {
      this.exitedEarly(s, e as Error);
      return;
    }
    if (child.pid === undefined) {
      // Not started (missing file, no permission): 'error' follows and schedules the next try.
      s.state = 'backoff';
      s.nextStartAt = Number.MAX_SAFE_INTEGER;
      child.once('error', (e) => this.exitedEarly(s, e));
      return;
    }
    s.child = child;
    s.starts++;
    s.state = 'running';
    s.detail = undefined;
    s.startedAt = Date.now();
    s.nextStartAt = undefined;
    log.info(`launcher: started ${t.role.toLowerCase()} ${t.name}${s.starts > 1 ? ` again (restart ${s.starts - 1})` : ''}: ${t.exe} ${args.join(' ')} (pid ${child.pid})`);
    s.exited = new Promise((resolve) => {
      // A failed spawn may emit 'exit' after 'error': count the end once.
      let ended = false;
      child.once('error', (e) => {
        if (ended) return;
        ended = true;
        this.exitedEarly(s, e);
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (ended) return;
        ended = true;
        this.exited(s, code, signal);
        resolve();
      });
    });
  }

  private exitedEarly(s: Slot, e: Error): void {
    s.child = undefined;
    if (this.stopping) return;
    s.failures++;
    s.state = 'backoff';
    s.nextStartAt = Date.now() + backoffMs(s.failures, this.backoff);
    s.detail = `could not start ${s.t.exe}: ${e.message}`;
    this.opts.log.error(`launcher: ${s.t.name}: ${s.detail}; trying again in ${seconds(s.nextStartAt - Date.now())} s`);
  }

  private exited(s: Slot, code: number | null, signal: string | null): void {
    const at = Date.now();
    s.child = undefined;
    s.lastExit = { code, signal, at };
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (this.stopping) {
      s.state = 'stopped';
      this.opts.log.info(`launcher: ${s.t.name} ${how}`);
      return;
    }
    s.failures = failuresAfterExit(s.failures, at - (s.startedAt ?? at), this.backoff);
    const delay = backoffMs(s.failures, this.backoff);
    s.state = 'backoff';
    s.nextStartAt = at + delay;
    s.detail = `${how}; restarting in ${seconds(delay)} s`;
    this.opts.log.warn(`launcher: terminal ${s.t.name} ${how} after ${Math.round((at - (s.startedAt ?? at)) / 1000)} s; restarting in ${seconds(delay)} s (failure ${s.failures} in a row)`);
  }

  /** Closes every terminal: gracefully, then forcefully after stopTimeoutMs. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    const running = this.slots.filter((s) => s.child);
    for (const s of this.slots) if (!s.child && s.state !== 'failed') s.state = 'stopped';
    await Promise.all(running.map((s) => this.close(s)));
  }

  private async close(s: Slot): Promise<void> {
    const child = s.child!;
    const { log } = this.opts;
    s.state = 'stopping';
    log.info(`launcher: closing ${s.t.name} (pid ${child.pid})`);
    this.signal(child, false);
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([s.exited!.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.stopTimeoutMs)))]);
    clearTimeout(timer);
    if (closed) return;
    log.warn(`launcher: ${s.t.name} did not close within ${Math.round(this.stopTimeoutMs / 1000)} s; ending it forcefully`);
    this.signal(child, true);
    await s.exited;
  }

  /** Gracefully: taskkill without /F asks the terminal's windows to close (WM_CLOSE) on Windows, SIGTERM elsewhere. Forcefully: TerminateProcess / SIGKILL. */
  private signal(child: ChildProcess, force: boolean): void {
    if (this.platform === 'win32' && !force) {
      spawn('taskkill', ['/PID', String(child.pid)], { stdio: 'ignore' }).on('error', () => undefined);
    } else {
      child.kill(force ? 'SIGKILL' : 'SIGTERM');
    }
  }
}
