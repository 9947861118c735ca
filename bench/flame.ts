/**
 * A flame graph (SVG) of V8 CPU profiles (node --cpu-prof), for docs/: every sampled stack, merged
 * by function, the width of a frame its share of the busy time (idle left out), callers below
 * their callees. Frames narrower than 2 pixels, or deeper than MAX_DEPTH, are dropped.
 *
 *   npx ts-node --transpile-only bench/flame.ts OUT.svg "title" PROFILE.cpuprofile [...]
 *
 * `npm run bench -- --profile --keep` leaves the hub's profiles in the scratch folder it names.
 */
import { readFileSync, writeFileSync } from 'fs';
import type { CpuProfile, ProfileNode } from './profile';

interface Frame {
  name: string;
  total: number;
  children: Map<string, Frame>;
}

const WIDTH = 1200;
const ROW = 17;
/** Deeper frames are left out (module loading at start makes towers of a hundred). */
const MAX_DEPTH = 36;
const SKIP = new Set(['(idle)', '(root)', '(program)']);

/** `function file:line`, the file from its last two path parts (hub/engine/decisions.js). */
function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  if (!url) return functionName || '(native)';
  const file = url.replace(/^file:\/\//, '').split('/').slice(-3).join('/');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

export function mergeProfiles(files: string[]): Frame {
  const root: Frame = { name: 'all', total: 0, children: new Map() };
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8')) as CpuProfile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    p.samples.forEach((id, i) => {
      const dt = p.timeDeltas[i] ?? 0;
      const leaf = nodes.get(id);
      if (!leaf || SKIP.has(leaf.callFrame.functionName)) return;
      const stack: string[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const n = nodes.get(at)!;
        if (n.callFrame.functionName !== '(root)') stack.push(label(n));
      }
      root.total += dt;
      let frame = root;
      for (const name of stack.reverse()) {
        let next = frame.children.get(name);
        if (!next) frame.children.set(name, (next = { name, total: 0, children: new Map() }));
        next.total += dt;
        frame = next;
      }
    });
  }
  return root;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Colour by area: the engine warm, the transport and protocol blue, the ledger green, the rest grey. */
function colour(name: string): string {
  if (/hub\/engine\//.test(name)) return '#e8843c';
  if (/hub\/(transport|protocol)\//.test(name)) return '#5b8fd6';
  if (/hub\/ledger\//.test(name)) return '#5fae64';
  if (/hub\//.test(name)) return '#d6b13c';
  if (/^\(garbage collector\)/.test(name)) return '#c0504d';
  return '#a8a8a8';
}

export function renderFlame(root: Frame, title: string): string {
  const rows: string[] = [];
  let depth = 0;
  const draw = (f: Frame, x: number, level: number) => {
    const w = (f.total / root.total) * WIDTH;
    if (w < 2 || level >= MAX_DEPTH) return;
    depth = Math.max(depth, level + 1);
    rows.push(`<g><title>${esc(f.name)}: ${(f.total / 1000).toFixed(0)} ms, ${((f.total / root.total) * 100).toFixed(1)} %</title>`
      + `<rect x="${x.toFixed(1)}" y="@${level}" width="${(w - 0.5).toFixed(1)}" height="${ROW - 1}" fill="${colour(f.name)}"/>`
      + (w > 40 ? `<text x="${(x + 3).toFixed(1)}" y="@${level}t">${esc(f.name.slice(0, Math.floor(w / 6.5)))}</text>` : '')
      + '</g>');
    let cx = x;
    for (const c of [...f.children.values()].sort((a, b) => b.total - a.total)) {
      draw(c, cx, level + 1);
      cx += (c.total / root.total) * WIDTH;
    }
  };
  draw(root, 0, 0);
  const top = 40;
  const height = top + depth * ROW + 10;
  // Flame: the root at the bottom.
  const body = rows.map((r) => r.replace(/y="@(\d+)(t?)"/g, (_, l: string, t: string) => `y="${(top + (depth - 1 - Number(l)) * ROW + (t ? ROW - 5 : 0)).toFixed(0)}"`));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="monospace" font-size="11">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="6" y="16" font-size="14">${esc(title)}</text>
<text x="6" y="32" fill="#555">${(root.total / 1000).toFixed(0)} ms on a CPU (idle left out); width: share of that time; orange hub/engine, blue transport and protocol, green ledger, yellow other hub code, red GC, grey Node and libraries. Hover for figures.</text>
${body.join('\n')}
</svg>
`;
}

if (require.main === module) {
  const [out, title, ...files] = process.argv.slice(2);
  if (!out || !files.length) {
    process.stderr.write('usage: bench/flame.ts OUT.svg "title" PROFILE.cpuprofile [...]\n');
    process.exit(64);
  }
  writeFileSync(out, renderFlame(mergeProfiles(files), title));
  process.stdout.write(`wrote ${out}\n`);
}
