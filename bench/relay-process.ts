/**
 * Baseline: the same two ZeroMQ hops as the hub path with nothing in between. Terminals PUSH to
 * this PULL; for every deal it PUBlishes one open-sized message per subscriber topic (bytes built
 * once at start, the same size as the hub's open commands) with the same send loop as the hub's
 * transport; everything else it receives (results, heartbeats, ticks) is read and dropped.
 */
import { Publisher, Pull } from 'zeromq';
import { serve } from './ipc';

export interface RelayStartArgs {
  topics: string[];
  /** One payload per topic, same order (JSON text). */
  payloads: string[];
}

const pub = new Publisher({ linger: 0, sendHighWaterMark: 1_000_000, noDrop: false });
const pull = new Pull({ linger: 0, receiveHighWaterMark: 1_000_000 });
let out: [Buffer, Buffer][] = [];
let received = 0;
let published = 0;
let closed = false;
const DEAL_PREFIX = Buffer.from('{"v":1,"type":"deal"');

async function loop(): Promise<void> {
  try {
    for await (const [msg] of pull) {
      received++;
      if (msg.length < DEAL_PREFIX.length || msg.compare(DEAL_PREFIX, 0, DEAL_PREFIX.length, 0, DEAL_PREFIX.length) !== 0) continue;
      for (const frames of out) {
        await pub.send(frames);
        published++;
      }
    }
  } catch (e) {
    if (!closed) throw e;
  }
}

serve({
  async start(args: RelayStartArgs) {
    out = args.topics.map((t, i) => [Buffer.from(t, 'utf8'), Buffer.from(args.payloads[i], 'utf8')]);
    await pub.bind('tcp://127.0.0.1:*');
    await pull.bind('tcp://127.0.0.1:*');
    void loop();
    return { pubEndpoint: pub.lastEndpoint, pullEndpoint: pull.lastEndpoint };
  },
  stats() {
    const cpu = process.cpuUsage();
    return { cpuUs: cpu.user + cpu.system, rss: process.memoryUsage().rss, received, published };
  },
  stop() {
    closed = true;
    pull.close();
    pub.close();
    setImmediate(() => process.exit(0));
    return { received, published };
  },
});
