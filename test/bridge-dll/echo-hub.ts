/**
 * A stand-in hub on loopback for the bridge tests that need behaviour the real hub does not have:
 * it binds a PUB and a PULL socket like the hub and
 *   - answers {"type":"echo", "account": A, "to"?: T} by publishing the same bytes on topic T ?? A;
 *   - answers {"type":"stream", "account": A, "count": n} by publishing n messages
 *     {"type":"cmd","seq":i,"t_us":<wall clock µs>} on topic A at random moments 15-35 ms apart;
 *   - lets a test publish raw frames (other topics, oversized or malformed messages).
 */
import * as zmq from 'zeromq';

export interface EchoHub {
  pubEndpoint: string;
  pullEndpoint: string;
  received: Buffer[];
  publish(frames: (string | Buffer)[]): Promise<void>;
  stop(): Promise<void>;
}

export function wallClockMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** curveSecretKey: run both sockets as CURVE servers with this (Z85) secret key. */
export async function startEchoHub(opts: { curveSecretKey?: string } = {}): Promise<EchoHub> {
  const curve = opts.curveSecretKey ? { curveServer: true, curveSecretKey: opts.curveSecretKey } : {};
  const pub = new zmq.Publisher({ linger: 0, sendHighWaterMark: 100000, ...curve });
  const pull = new zmq.Pull({ linger: 0, maxMessageSize: -1, ...curve });
  await pub.bind('tcp://127.0.0.1:*');
  await pull.bind('tcp://127.0.0.1:*');
  const received: Buffer[] = [];
  let stopped = false;
  // zeromq.js sockets allow one send at a time: serialise publishes.
  let chain: Promise<void> = Promise.resolve();
  const publish = (frames: (string | Buffer)[]) => (chain = chain.then(() => pub.send(frames)).catch(() => undefined));

  const loop = (async () => {
    try {
      for await (const [msg] of pull) {
        received.push(msg);
        let m: any;
        try {
          m = JSON.parse(msg.toString('utf8'));
        } catch {
          continue;
        }
        if (m?.type === 'echo') {
          void publish([String(m.to ?? m.account), msg]);
        } else if (m?.type === 'stream') {
          void (async () => {
            for (let i = 0; i < Number(m.count) && !stopped; i++) {
              await new Promise((r) => setTimeout(r, 15 + Math.random() * 20));
              await publish([String(m.account), JSON.stringify({ v: 1, type: 'cmd', seq: i, t_us: wallClockMicros() })]);
            }
          })();
        }
      }
    } catch {
      /* closed */
    }
  })();

  return {
    pubEndpoint: pub.lastEndpoint as string,
    pullEndpoint: pull.lastEndpoint as string,
    received,
    publish,
    async stop() {
      stopped = true;
      await chain;
      pull.close();
      pub.close();
      await loop;
    },
  };
}

/** The echo part of the stand-in hub in a child process, so that measurements of this process's
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

export interface EchoHubProcess {
  pubEndpoint: string;
  pullEndpoint: string;
  stop(): Promise<void>;
}

export async function startEchoHubProcess(): Promise<EchoHubProcess> {
  const { spawn } = await import('child_process');
  const child = spawn(process.execPath, ['-e', CHILD_SOURCE, require.resolve('zeromq')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const eps = await new Promise<{ pubEndpoint: string; pullEndpoint: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('echo hub process did not start')), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(out.split('\n')[0]));
      }
    });
    child.once('exit', (code) => reject(new Error(`echo hub process exited with ${code}`)));
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
