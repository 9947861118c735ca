/**
 * Runs the Windows build under wine64, headless: its own prefix, WINEDEBUG=-all, no display,
 * a time bound on every run, and wineserver -k at the end so nothing stays behind.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUILD_INFO, WINDOWS_DIR } from './cb';

function findExecutable(names: string[], fallbacks: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const n of names) {
      const p = path.join(dir, n);
      if (fs.existsSync(p)) return p;
    }
  }
  return fallbacks.find((p) => fs.existsSync(p));
}

export const WINE = findExecutable(['wine64'], ['/usr/lib/wine/wine64', '/usr/lib64/wine/wine64']);
export const WINESERVER = findExecutable(['wineserver'], ['/usr/lib/wine/wineserver', '/usr/lib64/wine/wineserver']);

export function winePrefix(): string {
  if (process.env.CB_WINEPREFIX) return process.env.CB_WINEPREFIX;
  try {
    const info = JSON.parse(fs.readFileSync(BUILD_INFO, 'utf8'));
    if (info.winePrefix) return info.winePrefix;
  } catch {
    /* no build info: default below */
  }
  return path.join(os.tmpdir(), `copybridge-wine-${process.getuid?.() ?? 0}`);
}

export function wineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WINEPREFIX: winePrefix(), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

/** Creates the prefix if needed (about 10 s the first time). */
export function ensurePrefix(): void {
  if (!WINE || !WINESERVER) throw new Error('wine64 is not installed: run scripts/ci/bridge-setup.sh (it installs wine64)');
  if (fs.existsSync(path.join(winePrefix(), 'system.reg'))) return;
  fs.mkdirSync(winePrefix(), { recursive: true });
  const r = spawnSync(WINE, ['wineboot', '-i'], { env: wineEnv(), timeout: 120_000, stdio: 'ignore' });
  if (!fs.existsSync(path.join(winePrefix(), 'system.reg'))) {
    throw new Error(`wineboot -i failed in ${winePrefix()} (status ${r.status}, ${r.error ?? ''})`);
  }
}

export function killWineserver(): void {
  if (WINESERVER) spawnSync(WINESERVER, ['-k'], { env: wineEnv(), timeout: 20_000, stdio: 'ignore' });
}

/** Wine processes of our prefix still alive (wineserver, wine services, programs): pids. */
export function wineProcesses(): number[] {
  const want = `WINEPREFIX=${winePrefix()}`;
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (Number(d) === process.pid) continue;
      const env = fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (env.includes(want) && !/\) Z /.test(stat) && /wine|\.exe/i.test(cmd)) pids.push(Number(d));
    } catch {
      /* gone, or not ours */
    }
  }
  return pids;
}

export interface ProcSample {
  fds: number;
  threads: number;
  rssKb: number;
}

export function sampleProc(pid: number): ProcSample {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { fds: fs.readdirSync(`/proc/${pid}/fd`).length, threads: field('Threads'), rssKb: field('VmRSS') };
}

export interface WinRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  lines: string[];
  results: any[];
  failures: string[];
  checkpoints: { k: number; inside: any; proc: ProcSample }[];
  stderr: string;
}

/** After cb_wintest exits, how long its output may still be arriving. */
const EXIT_GRACE_MS = 1000;

/** Runs cb_wintest.exe; answers its checkpoints after sampling the process from outside. */
export function runWinTest(args: string[], timeoutMs: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<WinRun> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(WINE!, ['cb_wintest.exe', ...args], { cwd: WINDOWS_DIR, env: { ...wineEnv(), ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
    const run: WinRun = { code: null, signal: null, ms: 0, lines: [], results: [], failures: [], checkpoints: [], stderr: '' };
    let partial = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cb_wintest ${args.join(' ')} did not finish within ${timeoutMs} ms; output so far:\n${run.lines.join('\n')}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      partial += d.toString('utf8');
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl).replace(/\r$/, '');
        partial = partial.slice(nl + 1);
        run.lines.push(line);
        if (line.startsWith('RESULT ')) run.results.push(JSON.parse(line.slice(7)));
        else if (line.startsWith('FAIL')) run.failures.push(line);
        else if (line.startsWith('CHECKPOINT ')) {
          const m = /^CHECKPOINT (\d+) (.*)$/.exec(line)!;
          run.checkpoints.push({ k: Number(m[1]), inside: JSON.parse(m[2]), proc: sampleProc(child.pid!) });
          child.stdin.write('\n');
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // Done when the program exits. Its stdout may stay open long after: wine's helper processes
    // (wineserver, the desktop process its window starts) inherit the pipe and live on, so 'close'
    // can come a minute later on a loaded machine. What it wrote before exiting is read within the grace.
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      run.code = code;
      run.signal = signal;
      run.ms ||= Date.now() - t0;
      resolve(run);
    };
    child.on('exit', (code, signal) => {
      run.ms = Date.now() - t0;
      setTimeout(() => finish(code, signal), EXIT_GRACE_MS);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}
