// The gateway's Kubernetes client impersonating a caller against the API server (the embedded
// one, or kube-apiserver with GATEWAY_TEST_BACKEND=kube-apiserver): the server must see exactly
// the user and each group, one Impersonate-Group line per group (a comma-joined line would be
// read as a single group named "a,b").

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenFile } from '../../src/auth/token-file.ts';
import { KubeClient, loadKubeConfig } from '../../src/kube/client.ts';
import { KubeReviews } from '../../src/kube/reviews.ts';
import { startBackendCluster, type BackendCluster } from '../utils/test-backend.ts';

let cluster: BackendCluster;
let client: KubeClient;

beforeAll(async () => {
  cluster = await startBackendCluster({ seed: true });
  client = new KubeClient({ config: loadKubeConfig({ kind: 'kubeconfig', path: cluster.kubeconfigPath }) });
});

afterAll(async () => {
  await client?.close();
  await cluster?.cleanup();
});

interface SelfSubjectReview {
  status?: { userInfo?: { username?: string; groups?: string[] } };
}

const WHO_AM_I = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };

describe('impersonated requests', () => {
  it('reach the API server as the user with every group on its own', async () => {
    const review = await client.request<SelfSubjectReview>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      body: WHO_AM_I,
      impersonate: { user: 'carol', groups: ['ml-team', 'team-a-editors'] },
    });
    expect(review.status?.userInfo?.username).toBe('carol');
    expect(review.status?.userInfo?.groups).toEqual(expect.arrayContaining(['ml-team', 'team-a-editors', 'system:authenticated']));
    expect(review.status?.userInfo?.groups).not.toContain('ml-team,team-a-editors');
  });

  it('send a body the server reads whole with DELETE too, and are refused as the user would be', async () => {
    await expect(
      client.request({
        method: 'DELETE',
        path: '/apis/kubeflow.org/v2beta1/namespaces/team-a/mpijobs/pi',
        body: { propagationPolicy: 'Background' },
        impersonate: { user: 'bob', groups: [] },
      }),
    ).rejects.toMatchObject({ statusCode: 403, message: expect.stringMatching(/User "bob" cannot delete resource "mpijobs"/) });
  });
});

describe('access reviews', () => {
  it('answer for exactly the subject and groups asked about', async () => {
    const reviews = new KubeReviews(client);
    const listIn = (namespace: string) => ({ verb: 'list', group: 'kubeflow.org', resource: 'mpijobs', namespace });
    const bob = { user: 'bob', groups: ['system:authenticated'] };
    expect(await reviews.accessReview(bob, listIn('team-b'))).toBe(true);
    expect(await reviews.accessReview(bob, listIn('team-a'))).toBe(false);
    expect(await reviews.accessReview({ user: 'nobody', groups: ['system:masters'] }, listIn('team-a'))).toBe(true);
  });

  it('review tokens from the cluster\'s token file, and refuse others', async () => {
    const reviews = new KubeReviews(client);
    const alice = parseTokenFile(readFileSync(cluster.tokenFilePath, 'utf8')).find((e) => e.identity.username === 'alice');
    const reviewed = await reviews.tokenReview(alice?.token ?? '');
    expect(reviewed).toMatchObject({ authenticated: true, user: { username: 'alice', groups: expect.arrayContaining(['system:authenticated']) } });
    expect((await reviews.tokenReview('not-a-token')).authenticated).toBe(false);
  });
});
