// The comparison suite: the same client-node scenarios against the real kube-apiserver and the
// embedded cluster. Run by `npm run test:k8s` (test/k8s/run.ts), not by the default `npm test`,
// because it needs the control-plane binaries (a cold build takes tens of minutes).

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { selectedBackends } from './suite-context.ts';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    // The smoke tests are about the real control plane alone.
    include: ['test/k8s/compare/**/*.test.ts', ...(selectedBackends().includes('kube-apiserver') ? ['test/k8s/smoke/**/*.test.ts'] : [])],
    globalSetup: ['test/k8s/global-setup.ts'],
    pool: 'forks',
    // Hang guards only: cascading deletion and quota status wait on kcm's controllers.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
