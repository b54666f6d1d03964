// CI check: the checked-in resolver types must be what graphql-codegen generates from the SDL
// now. Fails (exit 1) with the command to run when they differ.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generate, loadContext } from '@graphql-codegen/cli';

const CONFIG = 'codegen.yml';

const context = await loadContext(CONFIG);
context.updateConfig({ silent: true });
const files = await generate(context, false);
let stale = 0;
for (const file of files) {
  let current = '';
  try {
    current = readFileSync(resolve(file.filename), 'utf8');
  } catch {
    // A missing file is stale like any other difference.
    current = '';
  }
  if (current !== file.content) {
    stale += 1;
    process.stderr.write(`${file.filename} is stale: run \`npm run codegen\` and commit the result\n`);
  }
}
if (stale === 0) process.stdout.write(`generated code is current (${files.length} file${files.length === 1 ? '' : 's'})\n`);
process.exit(stale === 0 ? 0 : 1);
