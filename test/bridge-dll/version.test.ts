/**
 * The release version has one source, the "version" of the root package.json. The build stamps it
 * into the bridge library (cb_version, the Windows version resource) and into the EA
 * (include/CopyBridge/Version.mqh, which #property version and the hello message use), and the hub
 * reads it (hub/version.ts). Each must agree with package.json; `npm run build:bridge` restamps.
 */
import * as fs from 'fs';
import * as path from 'path';
import { VERSION as HUB_VERSION } from '../../hub/version';
import { loadBridge, PACKAGE_VERSION, REPO, requireBuilt, versionParts, WINDOWS_DIR } from './cb';

const version = versionParts(PACKAGE_VERSION);

test('the EA: Version.mqh holds the package version, and the .mq5 takes its #property version from there', () => {
  const mqh = fs.readFileSync(path.join(REPO, 'include/CopyBridge/Version.mqh'), 'utf8');
  // out of date: run npm run build:bridge (bridge-dll/CMakeLists.txt writes the file)
  expect(/^#define CB_EA_VERSION "([^"]*)"$/m.exec(mqh)?.[1]).toBe(PACKAGE_VERSION);
  const mq5 = fs.readFileSync(path.join(REPO, 'mql5/Experts/CopyBridge.mq5'), 'utf8');
  expect(mq5.match(/^#property\s+version\b.*$/gm)).toEqual(['#property version   CB_EA_VERSION']);
  expect(mq5).toMatch(/^#include <CopyBridge\/Version\.mqh>$/m);
});

test('the Linux library: cb_version', () => {
  expect(loadBridge().version()).toBe(version.packed);
});

test('the Windows DLL: its version resource', () => {
  const dll = fs.readFileSync(requireBuilt(path.join(WINDOWS_DIR, 'copybridge.dll')));
  // VS_FIXEDFILEINFO: signature 0xFEEF04BD, struct version, then file and product version (MS, LS)
  const at = dll.indexOf(Buffer.from([0xbd, 0x04, 0xef, 0xfe]));
  expect(at).toBeGreaterThan(0);
  const words = [8, 12, 16, 20].map((o) => dll.readUInt32LE(at + o));
  const ms = ((version.major << 16) | version.minor) >>> 0;
  const ls = (version.patch << 16) >>> 0;
  expect(words).toEqual([ms, ls, ms, ls]);
  // the string table: FileVersion and ProductVersion as UTF-16 texts
  for (const key of ['FileVersion', 'ProductVersion']) {
    const k = dll.indexOf(Buffer.from(`${key}\0`, 'utf16le'));
    expect([key, k]).not.toEqual([key, -1]);
    const v = dll.indexOf(Buffer.from(`${PACKAGE_VERSION}\0`, 'utf16le'), k);
    expect(v).toBeGreaterThan(k);
    expect(v - k).toBeLessThanOrEqual(2 * key.length + 6); // the value follows its key (after padding)
  }
});

test('the hub', () => {
  expect(HUB_VERSION).toBe(PACKAGE_VERSION);
});
