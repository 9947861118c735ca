/**
 * A real MongoDB-protocol server for the ledger tests, on a loopback port with its own temporary
 * data folder. Preference: MONGO_URL (an existing server; it cannot be stopped, so restart()
 * throws and canRestart is false), then a `mongod` on PATH, then mongo-java-server installed by
 * scripts/ci/mongo-setup.sh (docs/mongodb.md says why not FerretDB).
 */
import { spawn, execFileSync, type ChildProcess } from 'child_process';
import { MongoClient } from 'mongodb';
import { mkdtempSync, rmSync } from 'fs';
import { createServer, connect } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

export interface MongoTestServer {
  uri: string;
  kind: 'external' | 'mongod' | 'mongo-java-server';
  /** False for MONGO_URL: the outage test needs a server it can stop. */
  canRestart: boolean;
  /** Stops the server (SIGTERM, so it flushes its data) and keeps its data folder for restart(). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder (after kill(), or stops it first). */
  restart(): Promise<void>;
  /** Stops it for good and removes the data folder. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * mongo-java-server only: keep data in an H2 file in the data folder, so it survives restart().
   * Its in-memory backend is about ten times faster, which the 100,000-trade test needs; the
   * contract and large-history tests do not restart the server. mongod always persists.
   */
  persistent?: boolean;
}

const ROOT = resolve(__dirname, '..', '..');
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode}`);
    const ok = await new Promise<boolean>((res) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        res(true);
      });
      c.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

async function terminate(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
    if (proc) live.delete(proc);
    return;
  }
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  live.delete(proc);
}

function javaClasspath(): string {
  const out = execFileSync('bash', [join(ROOT, 'scripts/ci/mongo-setup.sh')], {
    encoding: 'utf8',
    env: { ...process.env, MONGO_URL: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 10 * 60_000,
  });
  const cp = /^MONGO_JAVA_CP=(.*)$/m.exec(out)?.[1];
  if (!cp) throw new Error(`scripts/ci/mongo-setup.sh did not install mongo-java-server:\n${out}`);
  return cp;
}

export async function startMongoServer(opts: StartOptions = {}): Promise<MongoTestServer> {
  const external = process.env.MONGO_URL;
  if (external) {
    const fail = () => Promise.reject(new Error('MONGO_URL names an external server, which the tests cannot stop or restart'));
    return { uri: external, kind: 'external', canRestart: false, kill: fail, restart: fail, stop: () => Promise.resolve() };
  }

  const dir = mkdtempSync(join(tmpdir(), 'copybridge-mongo-'));
  const useMongod = onPath('mongod');
  const classpath = useMongod ? '' : javaClasspath();
  let port = 0;
  let proc: ChildProcess | undefined;
  let stderr = '';

  const launch = async (): Promise<void> => {
    stderr = '';
    if (useMongod) {
      if (!port) port = await freePort();
      proc = spawn('mongod', ['--port', String(port), '--bind_ip', '127.0.0.1', '--dbpath', dir, '--quiet', '--nounixsocket'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      live.add(proc);
      proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      await waitForPort(port, 60_000, proc).catch((e: Error) => {
        throw new Error(`mongod did not start: ${e.message}\n${stderr}`);
      });
      return;
    }
    const args = ['-XX:+UseSerialGC', '-Xmx1g', '-cp', classpath, 'CopyBridgeTestMongo', '127.0.0.1', String(port)];
    if (opts.persistent) args.push(join(dir, 'ledger.mv'));
    const p = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    live.add(p);
    p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    port = await new Promise<number>((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error(`mongo-java-server did not start within 60 s\n${stderr}`)), 60_000);
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /LISTENING (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          res(Number(m[1]));
        }
      });
      p.once('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`mongo-java-server exited with code ${code}\n${stderr}`));
      });
    });
  };

  // A restart can race the old socket's release; a few tries cover it.
  const launchRetrying = async (): Promise<void> => {
    for (let i = 0; ; i++) {
      try {
        return await launch();
      } catch (e) {
        await terminate(proc);
        if (i >= 4 || port === 0) throw e;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  };

  await launchRetrying();
  return {
    uri: `mongodb://127.0.0.1:${port}`,
    kind: useMongod ? 'mongod' : 'mongo-java-server',
    canRestart: useMongod || opts.persistent === true,
    kill: () => terminate(proc),
    async restart() {
      await terminate(proc);
      await launchRetrying();
    },
    async stop() {
      await terminate(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface MongoSuite {
  readonly server: MongoTestServer;
  /** A driver client on the server, for looking behind the adapter. */
  readonly admin: MongoClient;
  /** A database name unique to this test file; dropped after the file. */
  dbName(tag: string): string;
}

/** Starts a server before the file's tests and stops it (dropping the databases used) after. */
export function useMongoServer(opts: StartOptions = {}): MongoSuite {
  let server: MongoTestServer | undefined;
  let admin: MongoClient | undefined;
  const dbs: string[] = [];
  beforeAll(async () => {
    server = await startMongoServer(opts);
    admin = new MongoClient(server.uri);
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    // An external server (MONGO_URL) keeps running: leave it as found.
    for (const db of dbs) await admin?.db(db).dropDatabase().catch(() => undefined);
    await admin?.close();
    await server?.stop();
  }, 60_000);
  return {
    get server() {
      return server!;
    },
    get admin() {
      return admin!;
    },
    dbName(tag: string) {
      const name = `copybridge_${tag}_${process.pid}_${dbs.length}`;
      dbs.push(name);
      return name;
    },
  };
}
