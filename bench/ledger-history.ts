/**
 * A large ledger history written straight in the embedded store's format (what years of copying
 * leave in a data folder), and the real hub process timed against it: shared by `npm run
 * bench:ledger` (bench/ledger.ts) and the ratio test (test/hub/ledger/history-start.test.ts).
 */
import { spawn } from 'child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'fs';
import { join } from 'path';
import { EMBEDDED_FILES } from '../hub/ledger/embedded';
import { tradeKeyString, type Trade, type TradeStatus } from '../hub/ledger/types';
import { freePorts } from '../test/helpers/ports';
import { procMem } from './ipc';

export const MASTERS = 3;
export const SLAVES = 20;
const T0 = Date.parse('2022-01-03T00:00:00.000Z');
const FINAL: TradeStatus[] = ['closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'refused', 'failed', 'missed'];

export interface HistoryShape {
  trades: number;
  events: number;
  /** The newest `live` trades are open (what the engine restores); the rest are final. */
  live: number;
}

/** Trade i: opened 30 s after trade i-1, so newest first is i = trades-1 .. 0. */
export function historyTrade(i: number, shape: HistoryShape): Trade & { _id: string } {
  const open = i >= shape.trades - shape.live;
  const status = open ? 'open' : FINAL[i % FINAL.length];
  const t = new Date(T0 + i * 30_000).toISOString();
  const key = { master_name: `M${i % MASTERS}`, master_ticket: String(5_000_000 + i), slave_name: `S${i % SLAVES}` };
  const filled = open || status === 'closed';
  return {
    ...key,
    slave_ticket: filled ? String(9_000_000 + i) : undefined,
    symbol: 'EURUSD.c',
    master_symbol: 'EURUSD',
    direction: i % 2 ? 'BUY' : 'SELL',
    status,
    open_time: filled ? t : undefined,
    close_time: status === 'closed' ? new Date(T0 + i * 30_000 + 600_000).toISOString() : undefined,
    master_volume: 0.5,
    volume: 0.25,
    remaining_volume: open ? 0.25 : 0,
    master_price: 1.08123,
    open_price: filled ? 1.08125 : undefined,
    close_price: status === 'closed' ? 1.0817 : undefined,
    slippage_points: filled ? 2 : undefined,
    latency_ms: 3,
    reason: filled ? undefined : 'price moved 35 points past the tolerance of 20',
    updated_at: t,
    _id: tradeKeyString(key),
  };
}

function eventLine(i: number, shape: HistoryShape): string {
  const n = Math.floor((i * shape.trades) / Math.max(1, shape.events));
  const kind = ['decision', 'command', 'result', 'decision', 'reconcile'][i % 5];
  const time = new Date(T0 + n * 30_000 + (i % 5) * 10).toISOString();
  return `{"time":"${time}","kind":"${kind}","account":"S${n % SLAVES}","cmd_id":"c${n}-${i % 5}","master_ticket":"${5_000_000 + n}","message":"${kind} for position ${5_000_000 + n} of M${n % MASTERS}: copied 0.25 lots (ratio 0.5)","_id":"ev-${i}","_seq":${i + 1}}\n`;
}

/** Appends lines in 4 MB writes. */
function writeLines(path: string, n: number, line: (i: number) => string, progress: (done: number) => void): void {
  const fd = openSync(path, 'w');
  try {
    let buf = '';
    for (let i = 0; i < n; i++) {
      buf += line(i);
      if (buf.length > 4_000_000) {
        writeSync(fd, buf);
        buf = '';
      }
      if ((i + 1) % 500_000 === 0) progress(i + 1);
    }
    writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes trades.db (no index: the first start builds it, as it does for a trades.db nedb wrote),
 * events.db and accounts.db into dir.
 */
export function writeHistory(dir: string, shape: HistoryShape, progress: (what: string) => void = () => undefined): void {
  mkdirSync(dir, { recursive: true });
  const accounts = [
    ...Array.from({ length: MASTERS }, (_, i) => ({ name: `M${i}`, type: 'MASTER', enabled: true, _id: `M${i}` })),
    ...Array.from({ length: SLAVES }, (_, i) => ({ name: `S${i}`, type: 'SLAVE', enabled: true, _id: `S${i}` })),
  ];
  writeLines(join(dir, EMBEDDED_FILES.accounts), accounts.length, (i) => JSON.stringify(accounts[i]) + '\n', () => undefined);
  writeLines(join(dir, EMBEDDED_FILES.trades), shape.trades, (i) => JSON.stringify(historyTrade(i, shape)) + '\n', (d) => progress(`trades.db: ${d} of ${shape.trades} trades`));
  writeLines(join(dir, EMBEDDED_FILES.events), shape.events, (i) => eventLine(i, shape), (d) => progress(`events.db: ${d} of ${shape.events} events`));
}

export interface StartResult {
  /** From spawn to the "hub started" log line. */
  readyMs: number;
  /** Resident memory (VmRSS) 1 s after ready, bytes; NaN where /proc is missing. */
  rss: number;
  /** Time the stop (SIGINT to exit) took. */
  stopMs: number;
}

/**
 * Runs `<node> ...hubArgs start` on a data folder with loopback ports, times it to the "hub
 * started" line, reads its resident memory a second later and stops it with SIGINT.
 */
export async function timeHubStart(hubArgs: string[], dataDir: string, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<StartResult> {
  const [pub, pull] = await freePorts(2);
  const args = [...hubArgs, 'start', '--data-dir', dataDir, '--pub', `tcp://127.0.0.1:${pub}`, '--pull', `tcp://127.0.0.1:${pull}`];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const readyMs = await new Promise<number>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      output += b.toString();
      if (output.includes('hub started')) resolve(performance.now() - t0);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`hub exited (${code}) before it started:\n${output.slice(-2000)}`)));
  });
  await new Promise((r) => setTimeout(r, 1_000));
  const rss = procMem(child.pid!)?.rss ?? NaN;
  const s0 = performance.now();
  child.kill('SIGINT');
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await exited;
  clearTimeout(kill);
  if (code !== 0) throw new Error(`hub stopped with exit code ${code}:\n${output.slice(-2000)}`);
  return { readyMs, rss, stopMs: performance.now() - s0 };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}
