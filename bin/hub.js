#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (built by `npm install` through the prepare script); falls back to the
// TypeScript sources when dist/ is missing, e.g. in a checkout where only `npm ci --ignore-scripts` ran.
const path = require('path');
const fs = require('fs');
const compiled = path.join(__dirname, '..', 'dist', 'hub', 'cli', 'main.js');
if (fs.existsSync(compiled)) {
  require(compiled).main(process.argv.slice(2));
} else {
  process.stderr.write(`dist/ is missing: running the TypeScript sources (slower to start; \`npm run build\` once makes it fast)\n`);
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
  require('../hub/cli/main.ts').main(process.argv.slice(2));
}
