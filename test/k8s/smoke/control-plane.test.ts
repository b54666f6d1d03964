// The real control plane itself: what the launcher promises (the real version, the test users
// and their rights, the CRD, kcm's controllers) and that it leaves nothing running behind it,
// whether it is stopped or fails to start.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ApiextensionsV1Api, AuthenticationV1Api, CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { cachedControlPlaneBinaries } from '../build.ts';
import { startControlPlane, type TestUser } from '../control-plane.ts';
import { refusal } from '../compare/api.ts';

const connection = inject('realControlPlane');

function kubeConfigFor(user: TestUser): KubeConfig {
  if (!connection) throw new Error('the real control plane was not started by global-setup.ts');
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

/** Processes whose command line mentions `text` (the launcher puts its data dir in every one). */
function processesMentioning(text: string): string[] {
  const result = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return result.stdout.split('\n').filter((line) => line.includes(text) && !line.includes(' ps -eo'));
}

function binaries() {
  const found = cachedControlPlaneBinaries();
  if (!found) throw new Error('the control-plane binaries are not built (global-setup.ts builds them)');
  return found;
}

describe('the real control plane', () => {
  it('reports the Kubernetes version it was built from', async () => {
    const version = await kubeConfigFor('admin').makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(binaries().kubernetesVersion);
    expect(version.gitVersion).toMatch(/^v1\.34\.\d+$/);
    expect([version.major, version.minor]).toEqual(['1', '34']);
  });

  it('serves the project MPIJob CRD, established', async () => {
    const crd = await kubeConfigFor('admin').makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: 'mpijobs.kubeflow.org' });
    expect(crd.status?.conditions?.find((condition) => condition.type === 'Established')?.status).toBe('True');
  });

  it('authenticates the test users by token and gives them no rights beyond discovery', async () => {
    const review = await kubeConfigFor('alice').makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe('alice');
    expect(review.status?.userInfo?.groups).toEqual(['system:authenticated']);
    const status = await refusal(kubeConfigFor('bob').makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' }));
    expect(status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"',
      details: { kind: 'pods' },
    });
  });

  it('runs the controller manager that creates every namespace its default ServiceAccount', async () => {
    const accounts = await kubeConfigFor('admin').makeApiClient(CoreV1Api).listServiceAccountForAllNamespaces();
    expect(accounts.items.filter((account) => account.metadata?.name === 'default').map((account) => account.metadata?.namespace)).toEqual(
      expect.arrayContaining(['default', 'kube-system']),
    );
  });

  it('stops every component and removes its temporary data dir', async () => {
    const controlPlane = await startControlPlane({ binaries: binaries() });
    const { dataDir } = controlPlane;
    expect(processesMentioning(dataDir).length).toBeGreaterThanOrEqual(3);
    await controlPlane.stop();
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('stops what it started when startup fails, and says why', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mpijob-k8s-failing-'));
    const badCrd = join(dataDir, 'bad-crd.yaml');
    // Structurally invalid: a CRD with no versions is refused by the API server.
    writeFileSync(badCrd, stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'things.example.com' }, spec: { group: 'example.com', names: { kind: 'Thing', plural: 'things' }, scope: 'Namespaced', versions: [] } }));
    try {
      await expect(startControlPlane({ binaries: binaries(), dataDir, crdFiles: [badCrd] })).rejects.toThrow(/creating CRD things\.example\.com: HTTP 422/);
      expect(processesMentioning(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
