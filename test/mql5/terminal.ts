/**
 * One simulated MetaTrader terminal for the tests: the EA compiled from its MQL5 source with the
 * MQL5 stand-in and the fake broker (build/ea/copybridge-terminal), loading the Linux build of
 * the bridge. Commands go in over stdin, one line each, and every command gets one "@@ <json>"
 * answer; the EA's Experts-tab lines arrive as "LOG <text>".
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import { existsSync } from 'fs';
import { startHub } from '../../hub';
import type { ConfigInput } from '../../hub/config';
import type { Position } from '../../hub/protocol';
import { sleep, tempDir, until } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script (also run on its own), not a module
const builder = require('./build.js') as {
  build(opts?: { force?: boolean; quiet?: boolean }): { bin: string; bridge: string; rebuilt: boolean };
  bridgeLibrary(): string;
};

/** What the harness prints for a position: the protocol's Position without times and journal fields. */
export type TerminalPosition = Pick<Position, 'ticket' | 'position' | 'symbol' | 'side' | 'volume' | 'price_open' | 'sl' | 'tp' | 'magic' | 'comment'>;

export interface TerminalOptions {
  account: string;
  /** the hub's endpoints, e.g. hub.pullEndpoint / hub.pubEndpoint */
  pullEndpoint: string;
  pubEndpoint: string;
  login?: number;
  netting?: boolean;
  /** first order ticket - 1 (deals start 500000 above); keeps tickets of terminals apart */
  tickets?: number;
  suffix?: string;
  rename?: Record<string, string>;
  symbols?: string[];
  extraSymbols?: number;
  filesDir?: string;
  inputs?: Record<string, string | number>;
  noDlls?: boolean;
  noAlgo?: boolean;
  /** no MetaQuotes ID set in the terminal: SendNotification fails with ERR_NOTIFICATION_WRONG_SETTINGS */
  noMqid?: boolean;
  /**
   * MetaTrader's asynchrony (harness.cpp): `live` switches on all of it with the seed;
   * `reorder`/`lag` (event-loop turns) and `queueLimit` switch one part each.
   */
  live?: { seed: number };
  reorder?: number;
  lag?: number;
  queueLimit?: number;
  /** the terminal this chart belongs to (harness --terminal): charts of one terminal share its global variables */
  terminalDir?: string;
  chartId?: bigint;
  /** the computer's clock is this many ms off the true time */
  clockOffsetMs?: number;
  /** order execution (harness.cpp): each switch on its own; `live` switches all of them on */
  tickGrid?: boolean;
  fillMisreport?: boolean;
  placedTurns?: number;
  coldSelectTurns?: number;
  /** stops level (points) of symbols in this terminal */
  stopsLevel?: Record<string, number>;
  /** tick size of symbols in this terminal (another broker's grid) */
  tickSize?: Record<string, number>;
  /** print every line of the terminal to the test output */
  echo?: boolean;
}

export type Hub = Awaited<ReturnType<typeof startHub>>;

/**
 * A hub on two ports below the kernel's ephemeral range (32768+ on Linux): a port taken from that
 * range could be reused by any outgoing connection while the hub is down, and the restarted hub
 * must bind the same ports again.
 */
export async function startTestHub(accounts: object[], endpoints?: { pub: string; pull: string }, config: ConfigInput = {}): Promise<Hub> {
  for (let attempt = 0; ; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 6000);
    const pub = endpoints?.pub ?? `tcp://127.0.0.1:${base}`;
    const pull = endpoints?.pull ?? `tcp://127.0.0.1:${base + 1}`;
    try {
      return await startHub({
        config: { pubEndpoint: pub, pullEndpoint: pull, store: 'memory', logLevel: process.env.CB_E2E_HUB_LOG ?? 'error', resendMs: 300, ...config },
        accounts,
      });
    } catch (e) {
      if (attempt >= 20 || !/in use/i.test((e as Error).message)) throw e;
      await sleep(endpoints ? 250 : 0);
    }
  }
}

/** Builds the EA once per source change (cached) and checks that the bridge library exists. */
export function buildTerminal(): { bin: string; bridge: string } {
  const r = builder.build({ quiet: true });
  if (!existsSync(r.bridge)) {
    throw new Error(`the Linux bridge library ${r.bridge} is missing: run npm run build:bridge`);
  }
  return r;
}

function endpointParts(ep: string): { host: string; port: number } {
  const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(ep);
  if (!m) throw new Error(`unexpected endpoint ${ep}`);
  return { host: m[1], port: Number(m[2]) };
}

type Waiter = { resolve(v: Record<string, unknown>): void; reject(e: Error): void };

export class Terminal {
  readonly logs: string[] = [];
  readonly events: string[] = [];
  readonly filesDir: string;
  private proc!: ChildProcessWithoutNullStreams;
  private waiters: Waiter[] = [];
  private buf = '';
  private readyCount = 0;
  private exited = false;
  private exitCode: number | null = null;

  private constructor(
    readonly opts: TerminalOptions,
    private readonly bin: string,
    private readonly bridge: string,
  ) {
    this.filesDir = opts.filesDir ?? tempDir(`cb-${opts.account}-`);
  }

  static async start(opts: TerminalOptions): Promise<Terminal> {
    const { bin, bridge } = buildTerminal();
    const t = new Terminal(opts, bin, bridge);
    t.spawn();
    await t.waitReady(1);
    return t;
  }

  get account(): string {
    return this.opts.account;
  }

  private args(): string[] {
    const o = this.opts;
    const pull = endpointParts(o.pullEndpoint);
    const pub = endpointParts(o.pubEndpoint);
    const a = ['--account', o.account, '--files', this.filesDir, '--input', `InpHubHost=${pull.host}`, '--input', `InpHubPullPort=${pull.port}`, '--input', `InpHubPubPort=${pub.port}`];
    if (o.login) a.push('--login', String(o.login));
    if (o.netting) a.push('--netting');
    if (o.tickets) a.push('--tickets', String(o.tickets));
    if (o.suffix) a.push('--suffix', o.suffix);
    for (const [k, v] of Object.entries(o.rename ?? {})) a.push('--rename', `${k}=${v}`);
    if (o.symbols) a.push('--symbols', o.symbols.join(','));
    if (o.extraSymbols) a.push('--extra-symbols', String(o.extraSymbols));
    for (const [k, v] of Object.entries(o.inputs ?? {})) a.push('--input', `${k}=${v}`);
    if (o.noDlls) a.push('--no-dlls');
    if (o.noAlgo) a.push('--no-algo');
    if (o.noMqid) a.push('--no-mqid');
    if (o.live) a.push('--live', '--seed', String(o.live.seed));
    if (o.reorder !== undefined) a.push('--reorder', String(o.reorder));
    if (o.lag !== undefined) a.push('--lag', String(o.lag));
    if (o.queueLimit !== undefined) a.push('--queue-limit', String(o.queueLimit));
    if (o.terminalDir) a.push('--terminal', o.terminalDir);
    if (o.chartId !== undefined) a.push('--chart-id', o.chartId.toString());
    if (o.clockOffsetMs !== undefined) a.push('--clock-offset', String(o.clockOffsetMs));
    if (o.tickGrid) a.push('--tick-grid');
    if (o.fillMisreport) a.push('--fill-misreport');
    if (o.placedTurns !== undefined) a.push('--placed', String(o.placedTurns));
    if (o.coldSelectTurns !== undefined) a.push('--cold-select', String(o.coldSelectTurns));
    for (const [k, v] of Object.entries(o.stopsLevel ?? {})) a.push('--stops-level', `${k}=${v}`);
    for (const [k, v] of Object.entries(o.tickSize ?? {})) a.push('--tick-size', `${k}=${v}`);
    return a;
  }

  private spawn(): void {
    this.proc = spawn(this.bin, this.args(), { env: { ...process.env, CB_BRIDGE_LIB: this.bridge }, stdio: 'pipe' });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => this.onData(d));
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d: string) => this.logs.push(`STDERR ${d.trimEnd()}`));
    this.proc.on('exit', (code) => {
      this.exited = true;
      this.exitCode = code;
      this.logs.push(`EXIT code ${code}`);
      for (const w of this.waiters.splice(0)) w.reject(new Error(`terminal ${this.account} exited (${code}); last lines:\n${this.tail()}`));
    });
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (this.opts.echo ?? process.env.CB_ECHO) process.stdout.write(`[${this.account}] ${line}\n`);
      if (line.startsWith('@@ ')) {
        const w = this.waiters.shift();
        if (w) w.resolve(JSON.parse(line.slice(3)));
      } else if (line.startsWith('LOG ')) {
        this.logs.push(line.slice(4));
      } else if (line.startsWith('EVT ')) {
        this.events.push(line.slice(4));
        if (line.startsWith('EVT ready') || line.startsWith('EVT initfailed')) this.readyCount++;
      }
    }
  }

  tail(n = 30): string {
    return this.logs.slice(-n).join('\n');
  }

  private async waitReady(count: number, timeoutMs = 10_000): Promise<void> {
    await until(() => this.exited || this.readyCount >= count, { timeoutMs, what: `terminal ${this.account} to start`, detail: () => this.tail() });
    if (this.readyCount < count) throw new Error(`terminal ${this.account} exited (${this.exitCode}):\n${this.tail()}`);
  }

  /** Sends one command line; resolves with its JSON answer. */
  cmd(line: string): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error(`terminal ${this.account} has exited`));
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.proc.stdin.write(line + '\n');
    });
  }

  /** A command that must succeed. */
  async ok(line: string): Promise<Record<string, unknown>> {
    const r = await this.cmd(line);
    if (r.ok !== true) throw new Error(`${this.account}: "${line}" failed: ${JSON.stringify(r)}\n${this.tail()}`);
    return r;
  }

  async positions(): Promise<TerminalPosition[]> {
    return (await this.ok('positions')).positions as TerminalPosition[];
  }

  async status(): Promise<string> {
    return (await this.ok('status')).comment as string;
  }

  /** Places a market order as a user would; resolves with the new/affected position identifier. */
  async trade(side: 'buy' | 'sell', symbol: string, volume: number, sl = 0, tp = 0): Promise<string> {
    const r = await this.ok(`${side} ${symbol} ${volume} ${sl} ${tp}`);
    return r.position as string;
  }

  async waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
    return until(probe, {
      timeoutMs,
      everyMs: 20,
      what: `${this.account}: ${what}`,
      detail: async () => `positions: ${JSON.stringify(await this.positions().catch(() => []))}\nlog:\n${this.tail(40)}`,
    });
  }

  /** Waits until the positions satisfy the predicate. */
  waitPositions(what: string, pred: (ps: TerminalPosition[]) => boolean, timeoutMs = 8000): Promise<TerminalPosition[]> {
    return this.waitFor(what, async () => {
      const ps = await this.positions();
      return pred(ps) ? ps : undefined;
    }, timeoutMs);
  }

  async waitLog(re: RegExp, timeoutMs = 8000, from = 0): Promise<string> {
    return this.waitFor(`log line ${re}`, () => this.logs.slice(from).find((l) => re.test(l)), timeoutMs);
  }

  /** Ends the process at once, as a crash would: no OnDeinit, its chart gone. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGKILL');
    await exit;
  }

  /** Terminal restart: the EA stops, the process re-executes itself with the account's state. */
  async restart(): Promise<void> {
    const before = this.readyCount;
    await this.ok('restart');
    await this.waitReady(before + 1);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((r) => this.proc.once('exit', () => r()));
    let t: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.cmd('quit'), new Promise((r) => (t = setTimeout(r, 2000)))]);
    } catch {
      /* already gone */
    } finally {
      clearTimeout(t);
    }
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await exit;
    clearTimeout(timer);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }
}
