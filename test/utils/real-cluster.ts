// The gateway suite's `kube-apiserver` backend: a real etcd + kube-apiserver +
// kube-controller-manager v1.34 of its own for one test file (test/k8s/control-plane.ts), the
// project's simulated controllers against it, and what the embedded cluster starts with applied
// through the API: the MPI operator's ClusterRoles, the demo users' grants, and the seed
// namespaces, quotas and MPIJobs. The seed uses fixed namespaces (team-a, team-b) that the tests
// name, so files cannot share one server; a control plane starts in seconds.

import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { TOKEN_FILE } from '../../src/cluster/cluster.ts';
import { demoRbacObjects, mpiOperatorRbacObjects } from '../../src/cluster/rbac-seed.ts';
import { SEED_NAMESPACES, SEED_QUOTAS, seedCluster } from '../../src/cluster/seed.ts';
import { ensureControlPlaneBinaries } from '../k8s/build.ts';
import { startControlPlane } from '../k8s/control-plane.ts';
import type { TestClusterOptions } from './embedded-cluster.ts';
import type { BackendCluster } from './test-backend.ts';

const HTTP_CONFLICT = 409;
const DEFAULT_SERVICE_ACCOUNT = 'default';
const SETUP_POLL_MS = 100;
/** Hang guard for each wait on kube-controller-manager; it normally answers within a second. */
const SETUP_WAIT_MAX_MS = 60_000;

function isAlreadyExists(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === HTTP_CONFLICT;
}

async function createIfAbsent(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + SETUP_WAIT_MAX_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(SETUP_POLL_MS);
  }
  throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
}

/**
 * What `startEmbeddedCluster` seeds, made through the API. Two waits the emulator does not need:
 * quota admission refuses every object a ResourceQuota covers until kube-controller-manager has
 * written the quota's first status, and the ServiceAccount admission plugin refuses pods until
 * the namespace's `default` ServiceAccount exists.
 */
async function seedThroughApi(kubeConfig: KubeConfig): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const name of SEED_NAMESPACES) {
    await createIfAbsent(() => core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }));
  }
  for (const object of [...mpiOperatorRbacObjects(), ...demoRbacObjects()]) {
    await createIfAbsent(() => objects.create(object as KubernetesObject));
  }
  for (const quota of SEED_QUOTAS) {
    await createIfAbsent(() =>
      core.createNamespacedResourceQuota({
        namespace: quota.namespace,
        body: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: quota.name, namespace: quota.namespace }, spec: { hard: quota.hard } },
      }),
    );
    await until(`the first status of ResourceQuota ${quota.namespace}/${quota.name}`, async () =>
      Boolean((await core.readNamespacedResourceQuota({ name: quota.name, namespace: quota.namespace })).status?.hard),
    );
  }
  for (const namespace of SEED_NAMESPACES) {
    await until(`ServiceAccount ${namespace}/${DEFAULT_SERVICE_ACCOUNT}`, async () =>
      Boolean(await core.readNamespacedServiceAccount({ name: DEFAULT_SERVICE_ACCOUNT, namespace })),
    );
  }
  await seedCluster(kubeConfig);
}

export async function startRealTestCluster(options: TestClusterOptions = {}): Promise<BackendCluster> {
  const controlPlane = await startControlPlane({
    // Cached by `npm run test:k8s` before any test runs; building here would take minutes.
    binaries: await ensureControlPlaneBinaries(),
    simulatedControllers: { timeScale: options.timeScale ?? 60 },
  });
  // Where the embedded cluster keeps its token file, so that instructions naming
  // `<data dir>/tokens.csv` (the README's CLI tour) hold here too; it is the server's own file.
  const tokenFilePath = join(controlPlane.dataDir, TOKEN_FILE);
  try {
    symlinkSync(controlPlane.tokenFilePath, tokenFilePath);
    if (options.seed !== false) await seedThroughApi(controlPlane.kubeConfig);
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
  return {
    backend: 'kube-apiserver',
    dataDir: controlPlane.dataDir,
    kubeconfigPath: controlPlane.kubeconfigPath,
    kubeConfig: controlPlane.kubeConfig,
    tokenFilePath,
    cleanup: () => controlPlane.stop(),
  };
}
