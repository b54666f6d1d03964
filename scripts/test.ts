// `npm test`: the checks CI runs, in order, ending with one line `N passed, N failed`.
// Type errors and a stale generated file count as failures too, so CI cannot go green on them.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const outDir = '.test-output';
mkdirSync(outDir, { recursive: true });
const reportPath = join(outDir, 'vitest.json');

let passed = 0;
let failed = 0;

function step(name: string, command: string, args: string[]): boolean {
  process.stdout.write(`\n== ${name}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  const ok = result.status === 0;
  if (!ok) process.stdout.write(`== ${name} failed (exit ${result.status ?? result.signal})\n`);
  return ok;
}

const checks: Array<[string, string, string[]]> = [
  ['typecheck', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']],
];
if (existsSync('scripts/check-codegen.ts')) checks.push(['codegen is current', 'node', ['scripts/check-codegen.ts']]);

for (const [name, command, args] of checks) {
  if (step(name, command, args)) passed += 1;
  else failed += 1;
}

const extra = process.argv.slice(2);
step('vitest', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportPath}`, ...extra]);
if (existsSync(reportPath)) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numTotalTestSuites: number;
    testResults: Array<{ status: string; message?: string; name: string }>;
  };
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A file that fails to load has no tests to count; count it as one failure so it is not lost.
  for (const file of report.testResults) {
    if (file.status === 'failed' && file.message) failed += 1;
  }
} else {
  failed += 1;
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
