// The two API servers the comparison tests run against: the real kube-apiserver that
// global-setup.ts started for the whole run, and a fresh embedded cluster per test file. Tests
// assert what the real server does; the embedded backend passing the same test is the point.
//
// K8S_BACKENDS (see suite-context.ts) chooses which of them run.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { TestUser } from '../control-plane.ts';
import type { BackendName, RealControlPlaneConnection } from '../suite-context.ts';

export { selectedBackends } from '../suite-context.ts';

export interface Backend {
  name: BackendName;
  /** A cluster-admin client configuration. */
  kubeConfig: KubeConfig;
  /**
   * A new namespace with a unique name. When it returns, pods can be created in it (on the real
   * server that takes kcm's default ServiceAccount).
   */
  createNamespace(prefix: string): Promise<string>;
  /**
   * A resourceVersion older than anything the server still keeps for watches, so that a watch
   * from it must answer 410 Expired. How to get one differs: the real server's watch cache
   * starts at the server's start, the emulator keeps a bounded history that must be overrun.
   */
  expiredResourceVersion(namespace: string): Promise<string>;
  stop(): Promise<void>;
}

const POLL_MS = 100;
/** Hang guard for fixture polling; a failure here is a broken fixture, not a slow server. */
const MAX_POLLS = 1_200;
const DEFAULT_SERVICE_ACCOUNT = 'default';
/**
 * The embedded backend's history: small, so that overrunning it for a 410 takes a few writes
 * (the other tests never watch from that far back).
 */
const EMBEDDED_HISTORY_LIMIT = 50;

/**
 * Whether the project's simulated controllers run against the real server in this run
 * (K8S_SIMULATED_CONTROLLERS=0 turns them off); the embedded cluster always has them.
 */
export function simulatedControllersRun(): boolean {
  return process.env['K8S_SIMULATED_CONTROLLERS'] !== '0';
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Polls until `probe` returns a value; only a hang guard bounds it. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < MAX_POLLS; i += 1) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(POLL_MS);
  }
  throw new Error(`never happened: ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`);
}

function kubeConfigFromConnection(connection: RealControlPlaneConnection, user: TestUser): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'real', cluster: { server: connection.url, 'certificate-authority-data': Buffer.from(connection.caPem).toString('base64') } }],
      users: [{ name: user, user: { token: connection.tokens[user] } }],
      contexts: [{ name: 'real', context: { cluster: 'real', user } }],
      'current-context': 'real',
    }),
  );
  return config;
}

async function createNamespaceWith(kubeConfig: KubeConfig, prefix: string, waitForServiceAccount: boolean): Promise<string> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const name = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name } } });
  if (waitForServiceAccount) {
    await eventually(`ServiceAccount ${name}/${DEFAULT_SERVICE_ACCOUNT}`, () =>
      core.readNamespacedServiceAccount({ name: DEFAULT_SERVICE_ACCOUNT, namespace: name }).then(() => true),
    );
  }
  return name;
}

export async function startBackend(name: BackendName): Promise<Backend> {
  if (name === 'kube-apiserver') {
    const connection = inject('realControlPlane');
    if (!connection) throw new Error('the real control plane was not started: run through test/k8s/vitest.config.ts with kube-apiserver in K8S_BACKENDS');
    const kubeConfig = kubeConfigFromConnection(connection, 'admin');
    return {
      name,
      kubeConfig,
      createNamespace: (prefix) => createNamespaceWith(kubeConfig, prefix, true),
      // etcd's first revisions are written while the server bootstraps, before any watch cache starts.
      expiredResourceVersion: async () => '1',
      // Shared by every file of the run; global-setup.ts stops it.
      stop: async () => undefined,
    };
  }
  // Loaded here so that a broken emulator fails only the embedded backend's tests.
  const { startTestCluster } = await import('../../utils/embedded-cluster.ts');
  const cluster = await startTestCluster({ seed: false, historyLimit: EMBEDDED_HISTORY_LIMIT });
  return {
    name,
    kubeConfig: cluster.kubeConfig,
    // The emulator serves no ServiceAccounts and admits pods without one.
    createNamespace: (prefix) => createNamespaceWith(cluster.kubeConfig, prefix, false),
    async expiredResourceVersion(namespace) {
      const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
      const name = uniqueName('history-filler');
      const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { n: '0' } } });
      const old = created.metadata?.resourceVersion ?? '';
      // A full history of later changes, plus one, pushes `old` itself out of it.
      for (let n = 1; n <= EMBEDDED_HISTORY_LIMIT + 1; n += 1) {
        await core.replaceNamespacedConfigMap({ name, namespace, body: { metadata: { name }, data: { n: String(n) } } });
      }
      return old;
    },
    stop: () => cluster.cleanup(),
  };
}
