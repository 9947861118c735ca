#!/usr/bin/env node
'use strict';
// A package's own bin is not linked into its node_modules/.bin. npm 11 finds it anyway (it links
// this folder into its npx cache on first use); npm versions that only look in node_modules/.bin
// need these shims for `npx hub` to work. Runs from `prepare`, i.e. on every `npm install` / `npm ci`.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const binDir = path.join(root, 'node_modules', '.bin');
if (!fs.existsSync(path.join(root, 'node_modules'))) process.exit(0);
fs.mkdirSync(binDir, { recursive: true });
const target = path.join('..', '..', 'bin', 'hub.js');
fs.writeFileSync(path.join(binDir, 'hub'), `#!/bin/sh\nexec node "$(dirname "$0")/${target.split(path.sep).join('/')}" "$@"\n`, { mode: 0o755 });
fs.writeFileSync(path.join(binDir, 'hub.cmd'), `@node "%~dp0\\..\\..\\bin\\hub.js" %*\r\n`);
fs.writeFileSync(
  path.join(binDir, 'hub.ps1'),
  `#!/usr/bin/env pwsh\n& node (Join-Path $PSScriptRoot "../../bin/hub.js") @args\nexit $LASTEXITCODE\n`,
);
