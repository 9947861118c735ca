#!/usr/bin/env node
'use strict';
/*
 * A stand-in for terminal64.exe on Linux, for the launcher tests. Like MetaTrader 5 it reads the
 * /config: file's [StartUp] section, finds its data folder (/portable: its own folder; else the
 * folder under %APPDATA%\MetaQuotes\Terminal whose origin.txt names its folder), reads the .set
 * file of ExpertParameters from MQL5/Presets and runs the EA: the EA harness (build/ea, the EA's
 * own source compiled with the MQL5 stand-in) with those inputs.
 *
 * It records every start in $CB_STANDIN_DIR/launches.jsonl, and obeys lines appended to
 * $CB_STANDIN_DIR/<account>.ctl: "exit" (exit 0), "crash" (die at once, code 3), "ignore-term"
 * (ignore SIGTERM from now on); any other line goes to the EA harness (e.g. "buy EURUSD 0.1").
 * SIGTERM closes it like a terminal whose window is closed: the EA is stopped, then it exits 0.
 */
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const dir = process.env.CB_STANDIN_DIR;
const record = (o) => fs.appendFileSync(path.join(dir, 'launches.jsonl'), JSON.stringify({ pid: process.pid, at: Date.now(), ...o }) + '\n');
process.on('uncaughtException', (e) => {
  record({ error: e.stack });
  process.exit(1);
});

function readText(file) {
  const b = fs.readFileSync(file);
  return b[0] === 0xff && b[1] === 0xfe ? b.subarray(2).toString('utf16le') : b.toString('utf8');
}

function iniSection(text, name) {
  const out = {};
  let inside = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) inside = head[1] === name;
    else if (inside && line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

const args = process.argv.slice(2);
const install = path.dirname(process.argv[1]);
const configArg = args.find((a) => a.startsWith('/config:'));
const portable = args.includes('/portable');
let data = portable ? install : undefined;
if (!portable) {
  const root = path.join(process.env.APPDATA || '', 'MetaQuotes', 'Terminal');
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const origin = path.join(root, id, 'origin.txt');
    if (fs.existsSync(origin) && readText(origin).trim() === install) data = path.join(root, id);
  }
}
if (!configArg || !data) {
  record({ argv: args, error: !configArg ? 'no /config:' : 'no data folder' });
  process.exit(2);
}
const ini = readText(configArg.slice('/config:'.length).replace(/^"|"$/g, ''));
const startup = iniSection(ini, 'StartUp');
const experts = iniSection(ini, 'Experts');
// the .set file: name=value lines, no sections
const inputs = Object.fromEntries(
  readText(path.join(data, 'MQL5', 'Presets', startup.ExpertParameters)).split(/\r?\n/).filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const account = inputs.InpAccountName;
record({ account, argv: args, cwd: process.cwd(), data, startup, experts, inputs });

const files = path.join(data, 'MQL5', 'Files');
fs.mkdirSync(files, { recursive: true });
const tickets = 1000000 * (1 + (Array.from(account).reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 97, 7)));
const harnessArgs = ['--files', files, '--tickets', String(tickets), ...Object.entries(inputs).flatMap(([k, v]) => ['--input', `${k}=${v}`])];
const ea = spawn(process.env.CB_EA_HARNESS, harnessArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
const out = fs.createWriteStream(path.join(dir, `${account}.out`), { flags: 'a' });
ea.stdout.pipe(out);
ea.stderr.pipe(out);

let ignoreTerm = false;
let closing = false;
function close(code, how) {
  if (closing) return;
  closing = true;
  record({ account, event: how });
  ea.stdin.end();
  const t = setTimeout(() => ea.kill('SIGKILL'), 3000);
  ea.on('exit', () => {
    clearTimeout(t);
    process.exit(code);
  });
}
process.on('SIGTERM', () => (ignoreTerm ? record({ account, event: 'SIGTERM ignored' }) : close(0, 'closed on SIGTERM')));
ea.on('exit', (code) => {
  if (!closing) {
    record({ account, event: `EA harness exited (${code})` });
    process.exit(4);
  }
});

const ctl = path.join(dir, `${account}.ctl`);
let offset = fs.existsSync(ctl) ? fs.statSync(ctl).size : 0;
setInterval(() => {
  if (!fs.existsSync(ctl) || fs.statSync(ctl).size <= offset) return;
  const text = fs.readFileSync(ctl, 'utf8').slice(offset);
  offset += Buffer.byteLength(text);
  for (const line of text.split('\n').filter(Boolean)) {
    if (line === 'exit') close(0, 'exit on request');
    else if (line === 'crash') {
      record({ account, event: 'crash on request' });
      ea.kill('SIGKILL');
      process.exit(3);
    } else if (line === 'ignore-term') ignoreTerm = true;
    else ea.stdin.write(line + '\n');
  }
}, 50);
