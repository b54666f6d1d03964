#!/usr/bin/env node
// Launcher of the `mpijob` command. Plain JavaScript so that it runs on any Node >= 22.12 (the
// package's engines), whichever way the package is installed:
// - in a checkout (npx mpijob, npm link), Node >= 22.18 runs src/cli/bin.ts directly: it strips
//   the types of .ts files outside node_modules;
// - installed from the registry or a tarball, the files sit under node_modules, where Node
//   refuses to strip types (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING): the JavaScript
//   compiled into dist/ by `npm run build:client` (run on `npm pack`) is used instead.
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`error: mpijob needs Node.js 22.12 or newer; this is ${process.version}\n`);
  process.exit(1);
}

const self = realpathSync(fileURLToPath(import.meta.url));
const built = new URL('../dist/cli/bin.js', import.meta.url);
const source = new URL('../src/cli/bin.ts', import.meta.url);
const canRunSource = !self.split(/[\\/]/).includes('node_modules') && Boolean(process.features.typescript) && existsSync(fileURLToPath(source));

if (canRunSource) {
  await import(source.href);
} else if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  process.stderr.write('error: mpijob is not built: run `npm run build:client` in the package (or use Node >= 22.18 in a checkout)\n');
  process.exit(1);
}
