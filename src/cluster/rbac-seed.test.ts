import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/utils/memory-store.ts';
import type { UserInfo } from './api/admission.ts';
import { authorize, requestAttributes } from './api/authorization.ts';
import { impersonate } from './api/impersonation.ts';
import { createClusterAuthorizer, type RbacAuthorizer } from './api/rbac.ts';
import { findResource } from './api/resources.ts';
import { createTokenAuthenticator, parseTokenFile, renderTokenFile } from './api/tokens.ts';
import {
  bootstrapRbacObjects,
  DEMO_USERS,
  demoRbacObjects,
  ensureObjects,
  generateDemoTokens,
  mpiOperatorRbacObjects,
  MPIJOBS_EDIT_ROLE,
  MPIJOBS_VIEW_ROLE,
} from './rbac-seed.ts';

const MPIJOBS = '/apis/kubeflow.org/v2beta1';

const authenticated = (username: string): UserInfo => ({ username, groups: ['system:authenticated'] });
const admin = authenticated(DEMO_USERS.admin.username);
const alice = authenticated(DEMO_USERS.alice.username);
const bob = authenticated(DEMO_USERS.bob.username);
const anonymous: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

describe('the seeded RBAC', () => {
  let store: MemoryStore;
  let authorizer: RbacAuthorizer;

  beforeAll(() => {
    store = new MemoryStore();
    ensureObjects(store, [...bootstrapRbacObjects(), ...mpiOperatorRbacObjects(), ...demoRbacObjects()]);
    authorizer = createClusterAuthorizer({ store });
  });

  afterAll(() => {
    authorizer.close();
  });

  /** Throws the real Forbidden unless `user` may send this request. */
  function send(user: UserInfo, method: string, url: string): void {
    authorize(authorizer, requestAttributes({ method, url: new URL(url, 'https://127.0.0.1') }, user));
  }
  const may = (user: UserInfo, method: string, url: string): boolean => {
    try {
      send(user, method, url);
      return true;
    } catch {
      return false;
    }
  };

  it('lets admin do anything anywhere', () => {
    expect(may(admin, 'GET', `${MPIJOBS}/mpijobs`)).toBe(true);
    expect(may(admin, 'DELETE', '/api/v1/namespaces/team-b')).toBe(true);
    expect(may(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings')).toBe(true);
    expect(may(admin, 'GET', '/metrics')).toBe(true);
  });

  it('lets alice edit MPIJobs in team-a and read their pods, logs, events and quotas there', () => {
    for (const [method, url] of [
      ['GET', `${MPIJOBS}/namespaces/team-a/mpijobs?watch=true`],
      ['POST', `${MPIJOBS}/namespaces/team-a/mpijobs`],
      ['PATCH', `${MPIJOBS}/namespaces/team-a/mpijobs/pi`],
      ['DELETE', `${MPIJOBS}/namespaces/team-a/mpijobs/pi`],
      ['GET', `${MPIJOBS}/namespaces/team-a/mpijobs/pi/status`],
      ['GET', '/api/v1/namespaces/team-a/pods?labelSelector=training.kubeflow.org/job-name%3Dpi'],
      ['GET', '/api/v1/namespaces/team-a/pods/pi-launcher/log?follow=true'],
      ['GET', '/api/v1/namespaces/team-a/events?watch=1'],
      ['GET', '/api/v1/namespaces/team-a/resourcequotas/team-a-quota'],
    ] as const) {
      expect(may(alice, method, url), `${method} ${url}`).toBe(true);
    }
  });

  it('refuses alice in team-b and at the cluster scope, in the words of the real server', () => {
    expect(() => send(alice, 'GET', `${MPIJOBS}/namespaces/team-b/mpijobs`)).toThrow(
      'mpijobs.kubeflow.org is forbidden: User "alice" cannot list resource "mpijobs" in API group "kubeflow.org" in the namespace "team-b"',
    );
    expect(() => send(alice, 'POST', `${MPIJOBS}/namespaces/team-b/mpijobs`)).toThrow('cannot create resource "mpijobs"');
    expect(() => send(alice, 'GET', `${MPIJOBS}/mpijobs`)).toThrow(
      'mpijobs.kubeflow.org is forbidden: User "alice" cannot list resource "mpijobs" in API group "kubeflow.org" at the cluster scope',
    );
    expect(() => send(alice, 'GET', '/api/v1/namespaces/team-b/pods/pi-launcher/log')).toThrow(
      'pods "pi-launcher" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "team-b"',
    );
    expect(may(alice, 'DELETE', '/api/v1/namespaces/team-a/pods/pi-launcher')).toBe(false);
    expect(may(alice, 'PUT', '/api/v1/namespaces/team-a/resourcequotas/team-a-quota')).toBe(false);
    expect(may(alice, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings')).toBe(false);
  });

  it('lets bob view team-b only', () => {
    expect(may(bob, 'GET', `${MPIJOBS}/namespaces/team-b/mpijobs`)).toBe(true);
    expect(may(bob, 'GET', `${MPIJOBS}/namespaces/team-b/mpijobs/pi`)).toBe(true);
    expect(may(bob, 'GET', '/api/v1/namespaces/team-b/pods/pi-launcher/log')).toBe(true);
    expect(may(bob, 'POST', `${MPIJOBS}/namespaces/team-b/mpijobs`)).toBe(false);
    expect(may(bob, 'DELETE', `${MPIJOBS}/namespaces/team-b/mpijobs/pi`)).toBe(false);
    expect(may(bob, 'GET', `${MPIJOBS}/namespaces/team-a/mpijobs`)).toBe(false);
    expect(may(bob, 'GET', '/api/v1/namespaces/team-a/events')).toBe(false);
  });

  it('lets every signed-in user discover the API and review themselves, and anyone read health and version', () => {
    for (const url of ['/api', '/apis', '/apis/kubeflow.org/v2beta1', '/openapi/v3', '/version']) expect(may(bob, 'GET', url), url).toBe(true);
    expect(may(bob, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')).toBe(true);
    expect(may(bob, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews')).toBe(true);
    expect(may(bob, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews')).toBe(true);
    expect(may(bob, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews')).toBe(false);
    expect(may(bob, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews')).toBe(false);
    for (const url of ['/healthz', '/livez', '/readyz', '/version']) expect(may(anonymous, 'GET', url), url).toBe(true);
    expect(() => send(anonymous, 'GET', '/api')).toThrow('forbidden: User "system:anonymous" cannot get path "/api"');
  });

  it('authorizes what the gateway sends as alice as alice: her own namespace yes, another no', () => {
    const gateway = { username: 'embedded-admin', groups: ['system:masters', 'system:authenticated'] };
    // The server's filter order: impersonation first, then authorization as the effective user.
    const sendAs = (method: string, url: string) => {
      const { user } = impersonate({ headers: { 'impersonate-user': [alice.username] }, requestor: gateway, authorizer });
      send(user, method, url);
    };
    expect(() => sendAs('POST', `${MPIJOBS}/namespaces/team-a/mpijobs`)).not.toThrow();
    expect(() => sendAs('POST', `${MPIJOBS}/namespaces/team-b/mpijobs`)).toThrow(
      'mpijobs.kubeflow.org is forbidden: User "alice" cannot create resource "mpijobs" in API group "kubeflow.org" in the namespace "team-b"',
    );
    expect(() => impersonate({ headers: { 'impersonate-user': ['admin'] }, requestor: bob, authorizer })).toThrow(
      'users "admin" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
  });

  it('allows system:masters through the cluster-admin binding, as on a real cluster', () => {
    const master = { username: 'someone', groups: ['system:masters'] };
    expect(authorizer.rulesFor(master, 'team-a').rules).toContainEqual({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] });
  });

  it('ships the operator roles with the mpijobs and mpijobs/status rules written out', () => {
    const byName = new Map(mpiOperatorRbacObjects().map((o) => [o.metadata.name, o]));
    expect(byName.get(MPIJOBS_EDIT_ROLE)?.rules).toEqual([
      { apiGroups: ['kubeflow.org'], resources: ['mpijobs', 'mpijobs/status'], verbs: ['get', 'list', 'watch', 'create', 'delete', 'deletecollection', 'patch', 'update'] },
    ]);
    expect(byName.get(MPIJOBS_VIEW_ROLE)?.rules).toEqual([{ apiGroups: ['kubeflow.org'], resources: ['mpijobs', 'mpijobs/status'], verbs: ['get', 'list', 'watch'] }]);
    expect(byName.get('kubeflow-mpijobs-admin')?.metadata.labels).toEqual({ 'rbac.authorization.kubeflow.org/aggregate-to-kubeflow-admin': 'true' });
  });
});

describe('ensureObjects', () => {
  it('creates what is missing and leaves what exists, so a restart keeps an edited role', () => {
    const store = new MemoryStore();
    const all = [...bootstrapRbacObjects(), ...mpiOperatorRbacObjects(), ...demoRbacObjects()];
    expect(ensureObjects(store, all)).toHaveLength(all.length);
    store.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: MPIJOBS_VIEW_ROLE }, rules: [] });
    expect(ensureObjects(store, all)).toEqual([]);
    const clusterRoles = findResource('rbac.authorization.k8s.io', 'v1', 'clusterroles');
    if (!clusterRoles) throw new Error('clusterroles are not served');
    expect(store.get(clusterRoles, undefined, MPIJOBS_VIEW_ROLE)?.rules).toEqual([]);
  });

  it('refuses a kind the emulator does not serve', () => {
    expect(() => ensureObjects(new MemoryStore(), [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }])).toThrow('the kind is not served');
  });
});

describe('demo tokens', () => {
  it('gives admin, alice and bob distinct random tokens that survive the token file', () => {
    const tokens = generateDemoTokens();
    expect(tokens.map((t) => t.user.username)).toEqual(['admin', 'alice', 'bob']);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(3);
    for (const { token } of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseTokenFile(renderTokenFile(tokens))).toEqual(tokens);
  });

  it('authenticates each demo user to the identity the seeded bindings name', () => {
    let fill = 0;
    let uids = 0;
    const tokens = generateDemoTokens({ randomBytes: (size) => Buffer.alloc(size, ++fill), randomUuid: () => `uid-${++uids}` });
    const authenticate = createTokenAuthenticator({ tokens: parseTokenFile(renderTokenFile(tokens)) });
    const aliceToken = tokens.find((t) => t.user.username === 'alice')?.token ?? '';
    expect(authenticate(aliceToken)).toEqual({ username: 'alice', uid: 'uid-2', groups: ['system:authenticated'] });
  });
});
