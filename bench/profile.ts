/** Reads V8 CPU profiles (node --cpu-prof) of the hub processes and says where the time went. */
import { readFileSync } from 'fs';
import { basename } from 'path';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, buildDir: string): string {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(buildDir)) u = u.slice(buildDir.length).replace(/^\/+/, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `npm:${nm[1]}`;
  if (u.startsWith('node:')) return 'node internals';
  const m = /^(hub\/[^/]+|bench)\//.exec(u);
  if (m) return m[1];
  return u.split('/').slice(-2).join('/');
}

/** hub/engine/engine.js, npm:winston, node internals ... for function labels. */
function fileOf(url: string, buildDir: string): string {
  const a = area(url, buildDir);
  if (!a.startsWith('hub/') && a !== 'bench') return a;
  return url.replace(/^file:\/\//, '').slice(buildDir.length).replace(/^\/+/, '');
}

/** Top areas and functions by self time, over all profiles given. */
export function summarizeProfiles(files: string[], buildDir: string, top = 18): string {
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8')) as CpuProfile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}  ${fileOf(n.callFrame.url, buildDir)}${n.callFrame.url ? ':' + (n.callFrame.lineNumber + 1) : ''}`;
    p.samples.forEach((id, i) => {
      const dt = p.timeDeltas[i] ?? 0;
      const n = nodes.get(id)!;
      const { functionName, url } = n.callFrame;
      if (functionName === '(idle)') {
        idle += dt;
        return;
      }
      total += dt;
      const a = functionName.startsWith('(') ? functionName : area(url, buildDir) || '(native)';
      byArea.set(a, (byArea.get(a) ?? 0) + dt);
      const key = label(n);
      byFn.set(key, (byFn.get(key) ?? 0) + dt);
      // Inclusive time of hub functions: once per function per stack.
      const onStack = new Set<string>();
      for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
        const x = nodes.get(id)!;
        if (!/^hub\//.test(area(x.callFrame.url, buildDir))) continue;
        onStack.add(label(x));
      }
      for (const k of onStack) inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    });
  }
  const pct = (v: number) => `${((v / total) * 100).toFixed(1).padStart(5)} %`;
  const L: string[] = [];
  L.push(`${files.length} hub profile(s) (${files.map((f) => basename(f)).join(', ').slice(0, 200)}): ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle`);
  L.push('self time by area:');
  for (const [k, v] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 12)) L.push(`  ${pct(v)}  ${k}`);
  L.push('top functions by self time:');
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) L.push(`  ${pct(v)}  ${k}`);
  L.push('hub functions by total time (callees included):');
  for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) L.push(`  ${pct(v)}  ${k}`);
  return L.join('\n');
}
