/**
 * copybridge.dll must load on a bare Windows: it may import only DLLs that every Windows has
 * (no Visual C++ runtime, no libstdc++/libgcc/libwinpthread, no libzmq.dll), and it must export
 * exactly the calls of copybridge.h under their plain names (MQL5 #import binds by name).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { HEADER, WINDOWS_DIR, requireBuilt } from './cb';

const DLL = path.join(WINDOWS_DIR, 'copybridge.dll');
const SYSTEM_DLLS = new Set(['kernel32.dll', 'ws2_32.dll', 'iphlpapi.dll', 'advapi32.dll', 'msvcrt.dll', 'user32.dll', 'rpcrt4.dll']);

function objdump(file: string): string {
  const r = spawnSync('x86_64-w64-mingw32-objdump', ['-p', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`x86_64-w64-mingw32-objdump not found (install binutils-mingw-w64-x86-64): ${r.error.message}`);
  return r.stdout;
}

test('imports only system DLLs', () => {
  const dump = objdump(requireBuilt(DLL));
  const imports = [...dump.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1].toLowerCase());
  expect(imports.length).toBeGreaterThan(0);
  expect(imports.filter((d) => !SYSTEM_DLLS.has(d))).toEqual([]);
  expect(imports).not.toContain('libwinpthread-1.dll');
  expect(imports).not.toContain('libzmq.dll');
});

test('is a 64-bit DLL', () => {
  const dump = objdump(requireBuilt(DLL));
  expect(dump).toMatch(/file format pei-x86-64/);
  expect(dump).toMatch(/Characteristics [^\n]*\n(?:\s+.*\n)*?\s+DLL/);
});

test('exports exactly the calls of copybridge.h, undecorated', () => {
  const dump = objdump(requireBuilt(DLL));
  const table = dump.split('[Ordinal/Name Pointer] Table')[1]?.split(/\n\s*\n/)[0] ?? '';
  const exported = [...table.matchAll(/\[\s*\d+\]\s+(\S+)/g)].map((m) => m[1]).sort();
  const declared = [...fs.readFileSync(HEADER, 'utf8').matchAll(/^CB_EXPORT\s+[\w\s*]+?\b(cb_\w+)\s*\(/gm)].map((m) => m[1]).sort();
  expect(declared.length).toBeGreaterThanOrEqual(13);
  expect(exported).toEqual(declared);
});
