import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 has no `exports` map: Node loads its CommonJS build (as do Apollo and
    // graphql-tools), while Vite would pick the `module` build for our sources. Two copies of
    // graphql cannot share a schema, so tests load the one Node loads.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The real-control-plane suites need binaries built from source; `npm run test:k8s` runs
    // them with their own config (test/k8s/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/k8s/compare/**', 'test/k8s/smoke/**'],
    // Integration suites start HTTPS servers and simulated clusters; two cores are shared by
    // everything, so files run in forked processes and the per-test timeout is only a hang guard.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
