/**
 * Transpiles hub/ and bench/ to plain JavaScript in a temporary folder, so that the hub and the
 * relay run in child processes as compiled JS (like `hub start` from dist/): no TypeScript
 * compiler in their memory or start-up, which would distort the RSS and CPU figures.
 * Type checking is `npm run typecheck`'s job; this is transpilation only (about a second).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { dirname, join, relative } from 'path';
import ts from 'typescript';

const FOLDERS = ['hub', 'bench', 'sim'];

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
}

/** Returns the number of files written; `root` is the repository, `outDir` the target folder. */
export function transpileForChildren(root: string, outDir: string): number {
  const files: string[] = [];
  for (const f of FOLDERS) walk(join(root, f), files);
  const compilerOptions: ts.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    isolatedModules: true,
  };
  for (const file of files) {
    const rel = relative(root, file);
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file, reportDiagnostics: false });
    const target = join(outDir, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  // The hub reads its version from the package.json above it (hub/version.ts).
  copyFileSync(join(root, 'package.json'), join(outDir, 'package.json'));
  return files.length;
}
