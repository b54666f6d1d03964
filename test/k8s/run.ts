// `npm run test:k8s`: builds the control-plane binaries unless cached (the build's own progress
// shows here, not inside vitest's output), then runs the comparison suite, which starts and
// stops the control plane itself. Extra arguments go to vitest. Ends, like `npm test`, with one
// line `N passed, N failed` and a non-zero exit when anything failed (a failed build or a test
// file that does not load counts as one failure).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureControlPlaneBinaries } from './build.ts';

const OUTPUT_DIR = '.test-output';
const REPORT_PATH = join(OUTPUT_DIR, 'k8s-vitest.json');

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{ status: string; message?: string }>;
}

function finish(passed: number, failed: number): never {
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  process.exit(failed > 0 ? 1 : 0);
}

const log = (line: string): void => void process.stderr.write(`[k8s] ${line}\n`);
try {
  const binaries = await ensureControlPlaneBinaries({ log });
  log(`using ${binaries.dir} (kube-apiserver ${binaries.kubernetesVersion}, etcd ${binaries.etcdVersion})`);
} catch (error) {
  log(`building the control plane failed: ${error instanceof Error ? error.message : String(error)}`);
  finish(0, 1);
}

mkdirSync(OUTPUT_DIR, { recursive: true });
rmSync(REPORT_PATH, { force: true });
const result = spawnSync(
  'npx',
  ['vitest', 'run', '--config', 'test/k8s/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${REPORT_PATH}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
if (!existsSync(REPORT_PATH)) finish(0, 1);
const report = JSON.parse(readFileSync(REPORT_PATH, 'utf8')) as VitestReport;
let failed = report.numFailedTests;
// A file that fails to load (or a failing global setup) has no tests to count: one failure each.
for (const file of report.testResults) if (file.status === 'failed' && file.message) failed += 1;
// vitest failing for a reason the report does not show (a crashed worker) must not pass either.
if (result.status !== 0 && failed === 0) failed = 1;
finish(report.numPassedTests, failed);
