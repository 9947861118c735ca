/**
 * A scripted stand-in for the hub on loopback, for the tests of the bridge and of the EA: a PUB and
 * a PULL socket bound like the hub's and none of its logic, so that a test can produce what the
 * real hub never does on purpose (oversized, malformed or stale messages, other topics).
 *
 *  - Every frame it PULLs is kept as it came (`raw`) and, unless it is one of the two requests
 *    below, decoded with the protocol's schemas: valid messages in `received`, the rest with the
 *    reason in `invalid`.
 *  - Two requests are answered by script (the bridge tests use them):
 *      {"type":"echo","account":A,"to"?:T}        the same bytes are published on topic T ?? A;
 *      {"type":"stream","account":A,"count":n}    n messages {"type":"cmd","seq":i,"t_us":<wall
 *                                                 clock µs>} on topic A, 15-35 ms apart at random.
 *  - A test publishes raw frames (`publish`) or messages in the hub's envelope (`send`).
 */
import { spawn } from 'child_process';
import { Publisher, Pull } from 'zeromq';
import { decodeTerminalMessage, type TerminalMessage } from '../../hub/protocol';
import { sleep, until } from './wait';

type TerminalMessageOf<T extends TerminalMessage['type']> = Extract<TerminalMessage, { type: T }>;

function wallClockMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

export class FakeHub {
  /** Every frame received, as it came. */
  readonly raw: Buffer[] = [];
  /** The frames that are valid terminal-to-hub messages. */
  readonly received: TerminalMessage[] = [];
  /** Why each other frame (not an echo or stream request) is not a valid message. */
  readonly invalid: string[] = [];
  pubEndpoint = '';
  pullEndpoint = '';
  private readonly pub: Publisher;
  private readonly pull: Pull;
  private readonly seq = new Map<string, number>();
  // zeromq.js sockets allow one send at a time: publishes are chained.
  private chain: Promise<void> = Promise.resolve();
  private loop?: Promise<void>;
  private stopped = false;

  /** A hub that does not listen yet (`bind`): a test file can hold it before its beforeAll runs. */
  constructor() {
    this.pub = new Publisher({ linger: 0, sendHighWaterMark: 100000 });
    this.pull = new Pull({ linger: 0, maxMessageSize: -1 });
  }

  static start(): Promise<FakeHub> {
    return new FakeHub().bind();
  }

  /** Binds both sockets on loopback ports the OS chooses and starts receiving. */
  async bind(): Promise<this> {
    await this.pub.bind('tcp://127.0.0.1:*');
    await this.pull.bind('tcp://127.0.0.1:*');
    this.pubEndpoint = this.pub.lastEndpoint as string;
    this.pullEndpoint = this.pull.lastEndpoint as string;
    this.loop = this.receive();
    return this;
  }

  private async receive(): Promise<void> {
    try {
      for await (const [frame] of this.pull) {
        this.raw.push(frame);
        if (!this.script(frame)) this.decode(frame);
      }
    } catch {
      /* closed */
    }
  }

  /** Answers an echo or stream request; false when the frame is neither. */
  private script(frame: Buffer): boolean {
    let m: { type?: unknown; account?: unknown; to?: unknown; count?: unknown };
    try {
      m = JSON.parse(frame.toString('utf8'));
    } catch {
      return false;
    }
    if (m?.type === 'echo') {
      void this.publish([String(m.to ?? m.account), frame]);
      return true;
    }
    if (m?.type === 'stream') {
      void (async () => {
        for (let i = 0; i < Number(m.count) && !this.stopped; i++) {
          await sleep(15 + Math.random() * 20);
          await this.publish([String(m.account), JSON.stringify({ v: 1, type: 'cmd', seq: i, t_us: wallClockMicros() })]);
        }
      })();
      return true;
    }
    return false;
  }

  private decode(frame: Buffer): void {
    try {
      this.received.push(decodeTerminalMessage(frame));
    } catch (e) {
      this.invalid.push(`${(e as Error).message}: ${frame.toString('utf8').slice(0, 300)}`);
    }
  }

  /** Publishes raw frames (topic first). */
  publish(frames: (string | Buffer)[]): Promise<void> {
    this.chain = this.chain.then(() => this.pub.send(frames)).catch(() => undefined);
    return this.chain;
  }

  /** Publishes a raw text, or an object stamped with the hub's envelope (v, account, seq, ts), to one account. */
  send(account: string, body: Record<string, unknown> | string): Promise<void> {
    if (typeof body === 'string') return this.publish([account, body]);
    const seq = (this.seq.get(account) ?? 0) + 1;
    this.seq.set(account, seq);
    return this.publish([account, JSON.stringify({ v: 1, account, seq, ts: Date.now(), ...body })]);
  }

  /** The valid messages of one type from one account, in order of arrival. */
  of<T extends TerminalMessage['type']>(account: string, type: T): TerminalMessageOf<T>[] {
    return this.received.filter((m) => m.account === account && m.type === type) as TerminalMessageOf<T>[];
  }

  waitFor<T extends TerminalMessage['type']>(
    account: string,
    type: T,
    pred: (m: TerminalMessageOf<T>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<TerminalMessageOf<T>> {
    return until(() => this.of(account, type).find(pred), {
      timeoutMs,
      what: `${type} from ${account}`,
      detail: () => `got ${this.received.filter((x) => x.account === account).map((x) => x.type).join(',')}; invalid: ${this.invalid.join(' | ')}`,
    });
  }

  /** The result of one command. */
  result(account: string, cmdId: string, timeoutMs = 5000): Promise<TerminalMessageOf<'result'>> {
    return this.waitFor(account, 'result', (r) => r.cmd_id === cmdId, timeoutMs);
  }

  welcome(account: string, role: 'master' | 'slave' | 'disabled'): Promise<void> {
    return this.send(account, { type: 'welcome', role, magic: 20250, heartbeat_ms: 300, snapshot_ms: 60_000, hub_version: 'scripted' });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
    this.pull.close();
    this.pub.close();
    await this.loop;
  }
}

/** The echo script of the fake hub in a child process, so that measurements of this process's
 *  memory and file descriptors see the bridge alone. */
const CHILD_SOURCE = `
const zmq = require(process.argv[1]);
(async () => {
  const pub = new zmq.Publisher({ linger: 0 });
  const pull = new zmq.Pull({ linger: 0, maxMessageSize: -1 });
  await pub.bind('tcp://127.0.0.1:*');
  await pull.bind('tcp://127.0.0.1:*');
  process.stdout.write(JSON.stringify({ pullEndpoint: pull.lastEndpoint, pubEndpoint: pub.lastEndpoint }) + '\\n');
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  for await (const [msg] of pull) {
    let m;
    try { m = JSON.parse(msg.toString('utf8')); } catch { continue; }
    if (m && m.type === 'echo') await pub.send([String(m.to ?? m.account), msg]);
  }
})();
`;

export interface FakeHubProcess {
  pubEndpoint: string;
  pullEndpoint: string;
  stop(): Promise<void>;
}

export async function startFakeHubProcess(): Promise<FakeHubProcess> {
  const child = spawn(process.execPath, ['-e', CHILD_SOURCE, require.resolve('zeromq')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const eps = await new Promise<{ pubEndpoint: string; pullEndpoint: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('fake hub process did not start')), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(out.split('\n')[0]));
      }
    });
    child.once('exit', (code) => reject(new Error(`fake hub process exited with ${code}`)));
  });
  return {
    ...eps,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin.end();
      }),
  };
}
