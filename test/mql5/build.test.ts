/**
 * The build script (test/mql5/build.js) rewrites only what C++ cannot parse in the .mq5 (#property,
 * input, the #import block) and checks the #import block and every CB_* constant the EA copies
 * against bridge-dll/include/copybridge.h.
 */
import { execFileSync } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { tempDir } from '../helpers';

interface EaConstant {
  name: string;
  value: string;
  where: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script (also run on its own), not a module
const b = require('./build.js') as {
  rewrite(src: string, file: string): { text: string; inputs: { name: string; type: string; value: string; label: string }[]; imports: { name: string }[] };
  emitImportCheck(decls: unknown[], constants?: EaConstant[]): string;
  eaConstants(): EaConstant[];
  ROOT: string;
  BRIDGE_HEADER_DIR: string;
};

const EA = join(b.ROOT, 'mql5', 'Experts', 'CopyBridge.mq5');

test('only #property, input and the #import block of the .mq5 are rewritten', () => {
  const src = readFileSync(EA, 'utf8');
  const { text, inputs, imports } = b.rewrite(src, 'CopyBridge.mq5');
  const out = text.split('\n');
  let inImport = false;
  for (const line of src.split(/\r?\n/)) {
    if (/^\s*#import\s+"/.test(line)) inImport = true;
    if (inImport) {
      if (/^\s*#import\s*$/.test(line)) inImport = false;
      continue;
    }
    if (/^\s*#property\b/.test(line) || /^\s*input\b/.test(line)) continue;
    expect(out).toContain(line); // every other line verbatim
  }
  expect(text).not.toMatch(/^\s*(#property|input\s|#import)/m);
  expect(inputs.map((i) => i.name)).toEqual([
    'InpHubHost', 'InpHubPullPort', 'InpHubPubPort', 'InpServerKey', 'InpClientPublicKey', 'InpClientSecretKey', 'InpAccountName', 'InpMagic', 'InpTimerMs', 'InpLogLevel',
  ]);
  expect(inputs.every((i) => i.label.length > 0)).toBe(true); // every input is labelled
  expect(imports.map((d) => d.name)).toContain('cb_recv');
});

test('the #import block matches copybridge.h, and a wrong declaration does not compile', () => {
  const dir = tempDir('mql5-import-');
  const good = b.rewrite(readFileSync(EA, 'utf8'), 'CopyBridge.mq5').imports;
  writeFileSync(join(dir, 'good.cpp'), b.emitImportCheck(good));
  execFileSync('g++', ['-std=c++17', '-fsyntax-only', '-I', b.BRIDGE_HEADER_DIR, join(dir, 'good.cpp')]);

  const wrong = b.rewrite('#import "copybridge.dll"\nint cb_recv(long handle, uchar &buf[], int cap, long &needed);\n#import\n', 'x.mq5').imports;
  writeFileSync(join(dir, 'wrong.cpp'), b.emitImportCheck(wrong));
  let err = '';
  try {
    execFileSync('g++', ['-std=c++17', '-fsyntax-only', '-I', b.BRIDGE_HEADER_DIR, join(dir, 'wrong.cpp')], { stdio: 'pipe' });
  } catch (e) {
    err = String((e as { stderr?: Buffer }).stderr);
  }
  expect(err).toMatch(/#import declaration of cb_recv in CopyBridge.mq5 does not match copybridge.h/);
});

test('every CB_* constant the EA copies from copybridge.h has its value there, and a wrong copy does not compile', () => {
  const dir = tempDir('mql5-constants-');
  const copies = b.eaConstants();
  const header = readFileSync(join(b.BRIDGE_HEADER_DIR, 'copybridge.h'), 'utf8');
  const shared = copies.filter((c) => new RegExp(`^#define\\s+${c.name}\\s`, 'm').test(header)).map((c) => c.name);
  // the status codes and the message limit are copied, so the check covers them
  expect(shared).toEqual(expect.arrayContaining(['CB_OK', 'CB_EARG', 'CB_ETRUNC', 'CB_EAGAIN', 'CB_ENOTSUP', 'CB_MAX_MESSAGE']));
  writeFileSync(join(dir, 'good.cpp'), b.emitImportCheck([], copies));
  execFileSync('g++', ['-std=c++17', '-fsyntax-only', '-I', b.BRIDGE_HEADER_DIR, join(dir, 'good.cpp')]);

  writeFileSync(join(dir, 'wrong.cpp'), b.emitImportCheck([], [{ name: 'CB_ETRUNC', value: '-5', where: 'include/CopyBridge/Bridge.mqh:21' }]));
  let err = '';
  try {
    execFileSync('g++', ['-std=c++17', '-fsyntax-only', '-I', b.BRIDGE_HEADER_DIR, join(dir, 'wrong.cpp')], { stdio: 'pipe' });
  } catch (e) {
    err = String((e as { stderr?: Buffer }).stderr);
  }
  expect(err).toMatch(/CB_ETRUNC is -5 in include\/CopyBridge\/Bridge.mqh:21, copybridge.h gives it another value/);
});

test('an #import parameter that cannot cross a DLL boundary is refused', () => {
  expect(() => b.rewrite('#import "x.dll"\nint f(string s);\n#import\n', 'x.mq5')).toThrow(/cannot cross a DLL boundary/);
  expect(() => b.rewrite('#import "x.dll"\nint f(uchar buf[]);\n#import\n', 'x.mq5')).toThrow(/must be passed by reference/);
});
