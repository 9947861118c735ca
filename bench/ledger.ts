/**
 * `npm run bench:ledger`: the embedded store with a long history. Writes 1,000,000 trades and
 * 5,000,000 events into a temporary data folder (straight in the store's format, for speed), then:
 * the first `hub start` on it (which builds trades.idx, as it does for a trades.db nedb wrote), the
 * normal write path for a sample (store.upsertTrades / appendEvents in the writer's batches),
 * `hub start` ready time and resident memory against an empty data folder (the real bin/hub.js,
 * built first, on loopback ports), and `hub trades` pages (the real command, and the store calls
 * it makes in-process). Writes the "Ledger" section of docs/benchmarks.md and prints it.
 *
 *   npm run bench:ledger
 *   options: --trades N  --events N  --live N (open trades)  --runs N (starts per folder)
 *            --out DIR (where benchmarks.md is; default docs/)  --keep (keep the data folders)
 */
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { cpus, tmpdir, totalmem } from 'os';
import { join, resolve } from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { EmbeddedStore } from '../hub/ledger/embedded';
import type { EventQuery, LedgerEvent, TradeQuery, TradeUpdate } from '../hub/ledger/types';
import { historyTrade, median, timeHubStart, writeHistory, type HistoryShape, type StartResult } from './ledger-history';

const ROOT = resolve(__dirname, '..');
const START = '<!-- ledger bench: start -->';
const END = '<!-- ledger bench: end -->';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a whole number, got ${process.argv[i + 1]}`);
  return v;
}

const say = (line: string): void => console.log(`[bench:ledger ${new Date().toISOString().slice(11, 19)}] ${line}`);

function ms(v: number): string {
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}
function mb(bytes: number): string {
  return Number.isNaN(bytes) ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

async function timed<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

/** `hub start` runs dist/ (what `npm install` builds): build it from these sources first. */
function buildDist(): void {
  say('building dist/ (tsc -p tsconfig.build.json) so bin/hub.js runs compiled code');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

async function writeSample(dir: string, shape: HistoryShape, rows: string[][]): Promise<void> {
  const store = new EmbeddedStore(dir);
  await store.open();
  const [, openMs] = await timed(() => store.ensureIndexes());
  rows.push(['in-process open of the store (lock, index check, live copies, event ids)', ms(openMs)]);
  const BATCH = 500;
  const SAMPLE = 10_000;
  const opens: number[] = [];
  const closes: number[] = [];
  const openBatches: TradeUpdate[][] = [];
  const closeBatches: TradeUpdate[][] = [];
  for (let i = 0; i < SAMPLE; i += BATCH) {
    const opening: TradeUpdate[] = [];
    const closing: TradeUpdate[] = [];
    for (let j = i; j < i + BATCH; j++) {
      const { _id, master_name, master_ticket, slave_name, ...set } = historyTrade(shape.trades + j, { ...shape, live: shape.trades + SAMPLE });
      void _id;
      opening.push({ key: { master_name, master_ticket, slave_name }, set });
      closing.push({ key: { master_name, master_ticket, slave_name }, set: { status: 'closed', remaining_volume: 0, updated_at: new Date(Date.now() + j).toISOString() } });
    }
    openBatches.push(opening);
    closeBatches.push(closing);
  }
  // The copy path shares the event loop with these writes: how long can it be held up? (The
  // same measure while idle shows what the machine itself adds.)
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 3_000));
  idle.disable();
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  for (const batch of openBatches) opens.push((await timed(() => store.upsertTrades(batch)))[1]);
  for (const batch of closeBatches) closes.push((await timed(() => store.upsertTrades(batch)))[1]);
  stalls.disable();
  const events: number[] = [];
  for (let i = 0; i < 50_000; i += BATCH) {
    const batch: LedgerEvent[] = Array.from({ length: BATCH }, (_, k) => ({ id: `bench-${i + k}`, time: new Date().toISOString(), kind: 'decision', account: 'S1', message: 'bench write path sample' }));
    events.push((await timed(() => store.appendEvents(batch)))[1]);
  }
  const [, closeMs] = await timed(() => store.close());
  const stat = (xs: number[]): string => `median ${ms(median(xs))}, max ${ms(Math.max(...xs))}`;
  rows.push([`write path: ${SAMPLE} new trades, batches of ${BATCH} (new keys looked up in the index's hash table; max: the batch that rewrites the index, every 5,000 trades)`, stat(opens)]);
  rows.push([`write path: the same ${SAMPLE} trades closed, batches of ${BATCH}`, stat(closes)]);
  rows.push([`longest event-loop stall during those trade writes (index rewrites included: they yield every 4,096 entries); the same while idle, 3 s`, `${ms(stalls.max / 1e6)}; idle ${ms(idle.max / 1e6)}`]);
  rows.push([`write path: 50,000 events, batches of ${BATCH}`, stat(events)]);
  rows.push(['store close (index rewritten to cover the tail)', ms(closeMs)]);
}

function cliTrades(dir: string, extra: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/hub.js'), 'trades', '--data-dir', dir, ...extra], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`hub trades ${extra.join(' ')} failed (${r.status}): ${r.stderr}`);
  return wall;
}

async function main(): Promise<void> {
  const shape: HistoryShape = { trades: arg('trades', 1_000_000), events: arg('events', 5_000_000), live: arg('live', 200) };
  const runs = arg('runs', 3);
  const outIdx = process.argv.indexOf('--out');
  const outDir = outIdx >= 0 ? resolve(process.argv[outIdx + 1]) : join(ROOT, 'docs');
  const keep = process.argv.includes('--keep');
  const began = Date.now();
  buildDist();
  const tmp = mkdtempSync(join(tmpdir(), 'copybridge-ledger-bench-'));
  const full = join(tmp, 'history');
  const empty = join(tmp, 'empty');
  const hub = [join(ROOT, 'bin/hub.js')];
  try {
    say(`writing ${shape.trades} trades (${shape.live} open) and ${shape.events} events into ${full}`);
    const [, genMs] = await timed(() => writeHistory(full, shape, say));
    const size = (f: string) => `${(statSync(join(full, f)).size / 2 ** 20).toFixed(0)} MB`;
    say(`written in ${ms(genMs)}: trades.db ${size('trades.db')}, events.db ${size('events.db')}`);
    writeHistory(empty, { trades: 0, events: 0, live: 0 });

    const rows: string[][] = [];
    say('first hub start on the history: builds trades.idx from trades.db');
    const first = await timeHubStart(hub, full, ROOT);
    rows.push(['first `hub start` on a trades.db without index (builds trades.idx; also the nedb migration)', `ready in ${ms(first.readyMs)}, stop ${ms(first.stopMs)}`]);
    say(`first start ready in ${ms(first.readyMs)}`);

    say('write path sample (in-process store)');
    await writeSample(full, shape, rows);

    const starts: { empty: StartResult[]; full: StartResult[] } = { empty: [], full: [] };
    for (let r = 0; r < runs; r++) {
      for (const which of ['empty', 'full'] as const) {
        const s = await timeHubStart(hub, which === 'full' ? full : empty, ROOT);
        starts[which].push(s);
        say(`hub start (${which}) run ${r + 1}: ready ${ms(s.readyMs)}, RSS ${mb(s.rss)}, stop ${ms(s.stopMs)}`);
      }
    }
    const med = (which: 'empty' | 'full', k: keyof StartResult) => median(starts[which].map((s) => s[k]));

    say('hub trades pages');
    // Page 1000 where there are that many pages (50 a page), else the last one.
    const reader = new EmbeddedStore(full, { readOnly: true });
    const deep = async (q: TradeQuery, want: number): Promise<number> => Math.max(1, Math.min(want, Math.ceil((await reader.countTrades(q)) / 50)));
    const queries: { label: string; args: string[]; q: TradeQuery }[] = [];
    const add = (label: string, filter: string[], q: TradeQuery, page: number): void => {
      queries.push({ label: page === 1 ? label : `${label}, page ${page}`, args: page === 1 ? filter : [...filter, '--page', String(page)], q: { ...q, skip: (page - 1) * 50, limit: 50 } });
    };
    add('first page (50, newest)', [], {}, 1);
    add('all', [], {}, await deep({}, 1000));
    add('--account S3', ['--account', 'S3'], { account: 'S3' }, 1);
    add('--account S3', ['--account', 'S3'], { account: 'S3' }, await deep({ account: 'S3' }, 1000));
    add('--status refused', ['--status', 'refused'], { status: 'refused' }, await deep({ status: 'refused' }, 100));
    add('--open', ['--open'], { open: true }, 1);
    const pageRows: string[][] = [];
    const baseline = median(Array.from({ length: runs }, () => cliTrades(empty, [])));
    for (const { label, args, q } of queries) {
      const wall = median(Array.from({ length: runs }, () => cliTrades(full, args)));
      // In-process, what the command does: a read-only store, count, then the page (fresh store: nothing cached).
      const inproc = median(
        await Promise.all(
          Array.from({ length: runs }, async () => {
            const s = new EmbeddedStore(full, { readOnly: true });
            const [, t] = await timed(async () => {
              await s.countTrades(q);
              return s.findTrades(q);
            });
            await s.close();
            return t;
          }),
        ),
      );
      pageRows.push([`\`hub trades ${args.join(' ')}\``.replace(' `', '`'), label, ms(inproc), ms(wall)]);
      say(`hub trades ${args.join(' ')}: store ${ms(inproc)}, process ${ms(wall)}`);
    }
    const eventRows: string[][] = [];
    for (const [label, q] of [['newest 50', { limit: 50 }], ['newest 50 of account S3', { account: 'S3', limit: 50 }], ['newest 50 of kind result', { kind: 'result', limit: 50 }]] as [string, EventQuery][]) {
      const s = new EmbeddedStore(full, { readOnly: true });
      const [, t] = await timed(() => s.findEvents(q));
      eventRows.push([label, ms(t)]);
    }

    const readyRatio = med('full', 'readyMs') / med('empty', 'readyMs');
    const rssGap = med('full', 'rss') - med('empty', 'rss');
    const met = (ok: boolean) => (ok ? 'met' : '**missed**');
    const table = (head: string[], body: string[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
    const md = [
      START,
      '## Ledger: start and paging with a long history',
      '',
      `Generated by \`npm run bench:ledger\` (bench/ledger.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${Math.round((Date.now() - began) / 1000)} s; ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. Do not edit by hand: run it again.`,
      '',
      `- Data: ${shape.trades.toLocaleString('en')} trades (${shape.live} open, the rest closed, refused, failed, missed; ${3} masters, ${20} slaves) and ${shape.events.toLocaleString('en')} events in the embedded store, written straight in its format (trades.db ${size('trades.db')}, events.db ${size('events.db')}); the empty folder has the same accounts and no history.`,
      `- \`hub start\`: the real \`bin/hub.js start --data-dir ... --pub/--pull tcp://127.0.0.1:<free ports>\` running dist/, timed from spawn to the "hub started" line; RSS is VmRSS one second later. Median of ${runs} starts each, alternating.`,
      '- `hub trades`: the real command (a separate read-only process, while no hub runs) and, in-process, the store calls it makes (countTrades then findTrades, a fresh read-only store).',
      '',
      table(
        ['Measurement', 'Empty store', `${shape.trades.toLocaleString('en')} trades, ${shape.events.toLocaleString('en')} events`, 'Target', 'Verdict'],
        [
          ['`hub start` ready', ms(med('empty', 'readyMs')), `${ms(med('full', 'readyMs'))} (${readyRatio.toFixed(2)}x)`, '< 2 s', met(med('full', 'readyMs') < 2_000)],
          ['`hub start` resident memory', mb(med('empty', 'rss')), `${mb(med('full', 'rss'))} (${rssGap >= 0 ? '+' : ''}${mb(rssGap)})`, 'within 20 MB of empty', met(rssGap <= 20 * 2 ** 20)],
          ['`hub stop` (SIGINT to exit)', ms(med('empty', 'stopMs')), ms(med('full', 'stopMs')), '', ''],
        ],
      ),
      '',
      table(['Command', 'Page', 'Store calls', 'Whole process'], [['`hub trades` on the empty store', 'first', '', ms(baseline)], ...pageRows]),
      '',
      table(['Events (read-only store, from the end of events.db)', 'Time'], eventRows),
      '',
      table(['Other', 'Figure'], [[`writing the files (${shape.trades.toLocaleString('en')} trades, ${shape.events.toLocaleString('en')} events)`, ms(genMs)], ...rows]),
      '',
      'How: trades.db is an append-only log (nedb\'s line format) and trades.idx holds every trade newest first as fixed-width columns (line offset, times, key hash, account ids, status), a hash table of positions by key and counts per account and status for every 65,536 entries; the hub keeps only the open copies and the trades written since the index was last rewritten (at most 5,000) in memory, and a reader pages over the columns. See hub/ledger/trade-log.ts.',
      END,
    ].join('\n');
    const file = join(outDir, 'benchmarks.md');
    const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
    const at = old.indexOf(START);
    const next = at >= 0 ? old.slice(0, at) + md + old.slice(old.indexOf(END) + END.length) : `${old.trimEnd()}\n\n${md}\n`;
    writeFileSync(file, next);
    console.log(`\n${md}\n`);
    say(`wrote the Ledger section of ${file}`);
  } finally {
    if (keep) say(`data kept in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
