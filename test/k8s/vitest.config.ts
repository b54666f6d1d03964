// `npm run test:k8s` (test/k8s/run.ts), not the default `npm test`, because it needs the
// control-plane binaries (a cold build takes minutes). Three kinds of project:
// - `compare`: the same client-node scenarios against the real kube-apiserver and the embedded
//   cluster (one shared control plane, started by global-setup.ts);
// - `gateway (<backend>)`: the gateway's integration suite, once per backend in K8S_BACKENDS,
//   told which one through GATEWAY_TEST_BACKEND (test/utils/test-backend.ts); on the real server
//   each file starts a control plane of its own.

import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { selectedBackends, type BackendName } from './suite-context.ts';

/** The gateway's integration files run on both backends. */
const GATEWAY_SUITE = [
  'test/gateway/**/*.test.ts',
  'test/auth/**/*.test.ts',
  'test/subscriptions/**/*.test.ts',
  'test/hardening/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/sdk/**/*.test.ts',
];

/**
 * Files that exercise no API server of the harness's choosing: `npm start` with its own embedded
 * cluster (test/gateway/main.test.ts). On the real backend they would only repeat the embedded run.
 */
const EMBEDDED_ONLY = ['test/gateway/main.test.ts'];

function gatewayProject(backend: BackendName) {
  return {
    extends: true,
    test: {
      name: `gateway (${backend})`,
      include: GATEWAY_SUITE,
      exclude: [...configDefaults.exclude, ...(backend === 'kube-apiserver' ? EMBEDDED_ONLY : [])],
      env: { GATEWAY_TEST_BACKEND: backend },
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  resolve: {
    // As in the root vitest.config.ts: one copy of graphql for our sources and Apollo.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    pool: 'forks',
    // Hang guards only: cascading deletion and quota status wait on kcm's controllers.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'compare',
          // The smoke tests are about the real control plane alone.
          include: ['test/k8s/compare/**/*.test.ts', ...(selectedBackends().includes('kube-apiserver') ? ['test/k8s/smoke/**/*.test.ts'] : [])],
          globalSetup: ['test/k8s/global-setup.ts'],
        },
      },
      ...selectedBackends().map(gatewayProject),
    ],
  },
});
