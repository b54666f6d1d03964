// What the k8s suite's config, global setup and test files share: which API servers the
// comparison tests run against (K8S_BACKENDS=kube-apiserver,embedded; default both), and what
// the global setup hands the test files about the real control plane. Kept apart from the test
// helpers so that the vitest config and the global setup can read it without loading vitest's
// test runtime.

import type { TestUser } from './control-plane.ts';

export const BACKEND_NAMES = ['kube-apiserver', 'embedded'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function selectedBackends(): BackendName[] {
  const wanted = (process.env['K8S_BACKENDS'] ?? BACKEND_NAMES.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of wanted) {
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new Error(`unknown backend ${name} in K8S_BACKENDS`);
  }
  return wanted as BackendName[];
}

/** What global-setup.ts hands the test files about the real control plane. */
export interface RealControlPlaneConnection {
  url: string;
  caPem: string;
  tokens: Record<TestUser, string>;
  kubernetesVersion: string;
  logDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** null when K8S_BACKENDS leaves the real server out. */
    realControlPlane: RealControlPlaneConnection | null;
  }
}
