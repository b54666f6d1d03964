// `npm run test:k8s`: builds the control-plane binaries unless cached (the build's own progress
// shows here, not inside vitest's output), then runs the comparison suite, which starts and
// stops the control plane itself. Extra arguments go to vitest.

import { spawnSync } from 'node:child_process';
import { ensureControlPlaneBinaries } from './build.ts';

const binaries = await ensureControlPlaneBinaries({ log: (line) => void process.stderr.write(`[k8s] ${line}\n`) });
process.stderr.write(`[k8s] using ${binaries.dir} (kube-apiserver ${binaries.kubernetesVersion}, etcd ${binaries.etcdVersion})\n`);
const result = spawnSync('npx', ['vitest', 'run', '--config', 'test/k8s/vitest.config.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
