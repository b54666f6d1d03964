// Which API server the gateway integration suite runs against. `npm test` uses the embedded
// cluster; `npm run test:k8s` runs the same files once more with
// GATEWAY_TEST_BACKEND=kube-apiserver, where each file gets a real etcd + kube-apiserver +
// kube-controller-manager of its own (test/k8s/control-plane.ts) with the project's simulated
// controllers, the demo RBAC and the seed applied through the API. Tests read `testBackend()`
// only to skip what the real server cannot do here, each with its reason written beside it.

import type { KubeConfig } from '@kubernetes/client-node';
import { startTestCluster, type TestClusterOptions } from './embedded-cluster.ts';

export const GATEWAY_TEST_BACKENDS = ['embedded', 'kube-apiserver'] as const;
export type GatewayTestBackend = (typeof GATEWAY_TEST_BACKENDS)[number];
export const GATEWAY_TEST_BACKEND_ENV = 'GATEWAY_TEST_BACKEND';

/** The backend named by GATEWAY_TEST_BACKEND; default `embedded`. */
export function testBackend(): GatewayTestBackend {
  const wanted = process.env[GATEWAY_TEST_BACKEND_ENV] ?? 'embedded';
  if (!(GATEWAY_TEST_BACKENDS as readonly string[]).includes(wanted)) {
    throw new Error(`unknown ${GATEWAY_TEST_BACKEND_ENV}=${wanted}; expected one of ${GATEWAY_TEST_BACKENDS.join(', ')}`);
  }
  return wanted as GatewayTestBackend;
}

/** What the gateway tests need of a cluster, whichever backend serves it. */
export interface BackendCluster {
  backend: GatewayTestBackend;
  /** A temp dir of this cluster's, removed by cleanup(); tests may write files into it. */
  dataDir: string;
  /** A cluster-admin kubeconfig (the gateway's own identity). */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** A Kubernetes token file holding the demo users `admin`, `alice` and `bob`. */
  tokenFilePath: string;
  cleanup(): Promise<void>;
}

/** A fresh cluster for one test file, on the backend `testBackend()` names. */
export async function startBackendCluster(options: TestClusterOptions = {}): Promise<BackendCluster> {
  if (testBackend() === 'kube-apiserver') {
    // Loaded only here: the default suite never touches the control-plane launcher.
    const { startRealTestCluster } = await import('./real-cluster.ts');
    return startRealTestCluster(options);
  }
  const cluster = await startTestCluster(options);
  return {
    backend: 'embedded',
    dataDir: cluster.dataDir,
    kubeconfigPath: cluster.kubeconfigPath,
    kubeConfig: cluster.kubeConfig,
    tokenFilePath: cluster.tokenFilePath,
    cleanup: () => cluster.cleanup(),
  };
}
