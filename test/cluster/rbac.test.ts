// RBAC, access reviews, TokenReview and impersonation of the API server emulator, through
// @kubernetes/client-node over real HTTPS, with the seeded roles and the demo users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiException,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  type KubeConfig,
} from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../utils/apiserver.ts';
import type { UserInfo } from '../../src/cluster/api/admission.ts';
import { rbacAdmission } from '../../src/cluster/api/admission/rbac.ts';
import { createClusterAuthorizer, type RbacAuthorizer } from '../../src/cluster/api/rbac.ts';
import { createReviewHandler } from '../../src/cluster/api/reviews.ts';
import type { StatusBody } from '../../src/cluster/api/status.ts';
import { createTokenAuthenticator } from '../../src/cluster/api/tokens.ts';
import { openStore } from '../../src/cluster/api/storage.ts';
import { bootstrapRbacObjects, demoRbacObjects, ensureObjects, generateDemoTokens, mpiOperatorRbacObjects } from '../../src/cluster/rbac-seed.ts';

const MPIJOB = { group: 'kubeflow.org', version: 'v2beta1', plural: 'mpijobs' } as const;

async function failure(promise: Promise<unknown>): Promise<{ code: number; status: StatusBody | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) {
      const body: unknown = error.body;
      return { code: error.code, status: typeof body === 'string' && body !== '' ? (JSON.parse(body) as StatusBody) : (body as StatusBody | undefined) };
    }
    throw error;
  }
  throw new Error('expected the request to fail');
}

function mpiJob(name: string): Record<string, unknown> {
  return { apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob', metadata: { name }, spec: { mpiReplicaSpecs: { Launcher: { replicas: 1 } } } };
}

let api: TestApiServer;
let authorizer: RbacAuthorizer;
const tokens = generateDemoTokens();
const tokenOf = (username: string): string => tokens.find((t) => t.user.username === username)?.token ?? '';
let as: (username: string) => KubeConfig;

beforeAll(async () => {
  const store = openStore();
  ensureObjects(store, [...bootstrapRbacObjects(), ...mpiOperatorRbacObjects(), ...demoRbacObjects()]);
  authorizer = createClusterAuthorizer({ store });
  const authenticate = createTokenAuthenticator({ tokens });
  const users: Record<string, UserInfo> = {};
  for (const { token } of tokens) {
    const user = authenticate(token);
    if (user) users[token] = user;
  }
  api = await startTestApiServer({
    store,
    users,
    authorizer,
    reviews: createReviewHandler({ authorizer, rules: authorizer, authenticate }),
    admission: [rbacAdmission({ authorizer, rules: authorizer })],
  });
  as = (username) => api.kubeConfigWithToken(tokenOf(username));
  const core = api.kubeConfig.makeApiClient(CoreV1Api);
  for (const name of ['team-a', 'team-b']) await core.createNamespace({ body: { metadata: { name } } });
  const custom = api.kubeConfig.makeApiClient(CustomObjectsApi);
  for (const namespace of ['team-a', 'team-b']) await custom.createNamespacedCustomObject({ ...MPIJOB, namespace, body: mpiJob(`${namespace}-job`) });
});

afterAll(async () => {
  await api.close();
  authorizer.close();
});

describe('the demo users over HTTPS', () => {
  it('lets alice list and create MPIJobs in team-a', async () => {
    const custom = as('alice').makeApiClient(CustomObjectsApi);
    const list = (await custom.listNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a' })) as { items: Array<{ metadata: { name: string } }> };
    expect(list.items.map((i) => i.metadata.name)).toEqual(['team-a-job']);
    await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a', body: mpiJob('by-alice') });
  });

  it('refuses alice in team-b with the 403 a real server sends', async () => {
    const custom = as('alice').makeApiClient(CustomObjectsApi);
    const list = await failure(custom.listNamespacedCustomObject({ ...MPIJOB, namespace: 'team-b' }));
    expect(list.code).toBe(403);
    expect(list.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'mpijobs.kubeflow.org is forbidden: User "alice" cannot list resource "mpijobs" in API group "kubeflow.org" in the namespace "team-b"',
      reason: 'Forbidden',
      details: { group: 'kubeflow.org', kind: 'mpijobs' },
      code: 403,
    });
    const create = await failure(custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'team-b', body: mpiJob('intruder') }));
    expect(create.status?.message).toBe('mpijobs.kubeflow.org is forbidden: User "alice" cannot create resource "mpijobs" in API group "kubeflow.org" in the namespace "team-b"');
  });

  it('lets bob read team-b but not write it, and not read team-a', async () => {
    const custom = as('bob').makeApiClient(CustomObjectsApi);
    await custom.getNamespacedCustomObject({ ...MPIJOB, namespace: 'team-b', name: 'team-b-job' });
    expect((await failure(custom.deleteNamespacedCustomObject({ ...MPIJOB, namespace: 'team-b', name: 'team-b-job' }))).code).toBe(403);
    expect((await failure(custom.getNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a', name: 'team-a-job' }))).status?.message).toBe(
      'mpijobs.kubeflow.org "team-a-job" is forbidden: User "bob" cannot get resource "mpijobs" in API group "kubeflow.org" in the namespace "team-a"',
    );
  });

  it('lets admin list MPIJobs across namespaces', async () => {
    const list = (await as('admin').makeApiClient(CustomObjectsApi).listClusterCustomObject(MPIJOB)) as { items: unknown[] };
    expect(list.items.length).toBeGreaterThanOrEqual(2);
  });
});

describe('access reviews and TokenReview over HTTPS', () => {
  it('answers a SubjectAccessReview for another user, as the gateway asks', async () => {
    const review = await api.kubeConfig.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
      body: { spec: { user: 'alice', groups: ['system:authenticated'], resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods', subresource: 'log' } } },
    });
    expect(review.status).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-mpijob-team-observer/team-a" of ClusterRole "mpijob-team-observer" to User "alice"' });
  });

  it('refuses SubjectAccessReviews to users without the right to ask, but answers their own', async () => {
    const authz = as('bob').makeApiClient(AuthorizationV1Api);
    const attributes = { namespace: 'team-b', verb: 'create', group: 'kubeflow.org', resource: 'mpijobs' };
    expect((await failure(authz.createSubjectAccessReview({ body: { spec: { user: 'alice', resourceAttributes: attributes } } }))).code).toBe(403);
    const self = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attributes } } });
    expect(self.status?.allowed).toBe(false);
    const rules = await authz.createSelfSubjectRulesReview({ body: { spec: { namespace: 'team-b' } } });
    expect(rules.status?.resourceRules.map((r) => r.resources)).toContainEqual(['mpijobs', 'mpijobs/status']);
  });

  it('answers a TokenReview with the user behind a demo token', async () => {
    const review = await api.kubeConfig.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token: tokenOf('alice') } } });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe('alice');
    expect(review.status?.user?.groups).toEqual(['system:authenticated']);
    const unknown = await api.kubeConfig.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token: 'not-a-token' } } });
    expect(unknown.status?.authenticated).toBeFalsy();
  });

  it('tells a user who they are', async () => {
    const review = await as('bob').makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe('bob');
  });
});

describe('impersonation over HTTPS', () => {
  it('runs a request as the impersonated user, so RBAC applies to them', async () => {
    const asAlice = { 'Impersonate-User': 'alice', 'Content-Type': 'application/json' };
    const allowed = await api.raw('/apis/kubeflow.org/v2beta1/namespaces/team-a/mpijobs', { method: 'POST', headers: asAlice, body: JSON.stringify(mpiJob('on-behalf')) });
    expect(allowed.status).toBe(201);
    const refused = await api.raw('/apis/kubeflow.org/v2beta1/namespaces/team-b/mpijobs', { method: 'POST', headers: asAlice, body: JSON.stringify(mpiJob('on-behalf')) });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({
      message: 'mpijobs.kubeflow.org is forbidden: User "alice" cannot create resource "mpijobs" in API group "kubeflow.org" in the namespace "team-b"',
    });
  });

  it('refuses impersonation to a user without the impersonate verb', async () => {
    const refused = await api.raw('/api/v1/namespaces/team-a/pods', { auth: false, headers: { Authorization: `Bearer ${tokenOf('alice')}`, 'Impersonate-User': 'admin' } });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({
      message: 'users "admin" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    });
  });
});

describe('escalation prevention over HTTPS', () => {
  it('lets a team member bind only what they hold', async () => {
    const admin = api.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await admin.createNamespacedRole({
      namespace: 'team-a',
      body: { metadata: { name: 'binding-writer' }, rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] }] },
    });
    await admin.createNamespacedRoleBinding({
      namespace: 'team-a',
      body: { metadata: { name: 'alice-binding-writer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'binding-writer' }, subjects: [{ kind: 'User', name: 'alice' }] },
    });
    const rbac = as('alice').makeApiClient(RbacAuthorizationV1Api);
    const grab = await failure(
      rbac.createNamespacedRoleBinding({
        namespace: 'team-a',
        body: { metadata: { name: 'grab' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'alice' }] },
      }),
    );
    expect(grab.code).toBe(403);
    expect(grab.status?.message).toBe(
      'rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
    );
    const share = await rbac.createNamespacedRoleBinding({
      namespace: 'team-a',
      body: { metadata: { name: 'bob-edits-team-a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeflow-mpijobs-edit' }, subjects: [{ kind: 'User', name: 'bob' }] },
    });
    expect(share.subjects).toEqual([{ kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io' }]);
    // The new binding takes effect at once.
    await as('bob').makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a', body: mpiJob('by-bob') });
  });
});
