import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../test/utils/memory-store.ts';
import type { UserInfo } from './admission.ts';
import { impersonate, type HeaderLines } from './impersonation.ts';
import { createClusterAuthorizer, type PolicyRule, type RbacAuthorizer } from './rbac.ts';
import { StatusError } from './status.ts';
import type { KubeObject } from './types.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';

const gateway: UserInfo = { username: 'gateway', groups: ['system:authenticated'] };
const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };

function grant(store: MemoryStore, name: string, rules: PolicyRule[], subject: string): void {
  store.put({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules } satisfies KubeObject);
  store.put({
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: subject }],
  });
}

function statusOf(run: () => unknown): StatusError {
  try {
    run();
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('expected a StatusError');
}

describe('impersonate', () => {
  let store: MemoryStore;
  let authorizer: RbacAuthorizer;

  beforeEach(() => {
    store = new MemoryStore();
    authorizer = createClusterAuthorizer({ store });
    grant(
      store,
      'impersonator',
      [
        { verbs: ['impersonate'], apiGroups: [''], resources: ['users', 'groups'] },
        { verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts'] },
        { verbs: ['impersonate'], apiGroups: ['authentication.k8s.io'], resources: ['uids', 'userextras/scopes'] },
      ],
      'gateway',
    );
    grant(store, 'alice-only', [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users'], resourceNames: ['alice'] }], 'bob');
  });

  afterEach(() => {
    authorizer.close();
  });

  const run = (headers: HeaderLines, requestor: UserInfo = gateway) => impersonate({ headers, requestor, authorizer, requestUri: '/api/v1/pods?limit=1' });

  it('leaves a request without impersonation headers as the caller', () => {
    expect(run({ accept: ['application/json'] })).toEqual({ user: gateway, impersonatedBy: undefined, extra: {} });
  });

  it('runs as the impersonated user, in system:authenticated, with no uid of its own', () => {
    expect(run({ 'impersonate-user': ['alice'] })).toEqual({
      user: { username: 'alice', groups: ['system:authenticated'] },
      impersonatedBy: gateway,
      extra: {},
    });
  });

  it('takes one group per header line, and the uid and extras given', () => {
    const outcome = run({
      'impersonate-user': ['alice'],
      'impersonate-group': ['team-a', 'mpijob-users'],
      'impersonate-uid': ['uid-1'],
      'impersonate-extra-scopes': ['view', 'edit'],
    });
    expect(outcome.user).toEqual({ username: 'alice', uid: 'uid-1', groups: ['team-a', 'mpijob-users', 'system:authenticated'] });
    expect(outcome.extra).toEqual({ scopes: ['view', 'edit'] });
  });

  it('does not add system:authenticated when a group given already decides it', () => {
    expect(run({ 'impersonate-user': ['alice'], 'impersonate-group': ['system:authenticated', 'x'] }).user.groups).toEqual(['system:authenticated', 'x']);
    expect(run({ 'impersonate-user': ['alice'], 'impersonate-group': ['system:unauthenticated'] }).user.groups).toEqual(['system:unauthenticated']);
    expect(run({ 'impersonate-user': ['system:anonymous'] }).user.groups).toEqual(['system:unauthenticated']);
  });

  it('impersonates a service account with its fixed groups, checked on serviceaccounts in its namespace', () => {
    expect(run({ 'impersonate-user': ['system:serviceaccount:team-a:runner'] }).user).toEqual({
      username: 'system:serviceaccount:team-a:runner',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
    });
    const error = statusOf(() => run({ 'impersonate-user': ['system:serviceaccount:team-a:runner'] }, bob));
    expect(error.body.message).toBe(
      'serviceaccounts "runner" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team-a"',
    );
  });

  it('refuses a user the caller may not impersonate, in the words of the real server', () => {
    const error = statusOf(() => run({ 'impersonate-user': ['carol'] }, bob));
    expect(error.code).toBe(403);
    expect(error.body.message).toBe('users "carol" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
    expect(error.body.details).toEqual({ name: 'carol', kind: 'users' });
  });

  it('checks every part: a permitted user with a group the caller may not claim is refused', () => {
    expect(run({ 'impersonate-user': ['alice'] }, bob).user.username).toBe('alice');
    const error = statusOf(() => run({ 'impersonate-user': ['alice'], 'impersonate-group': ['system:masters'] }, bob));
    expect(error.body.message).toBe('groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
  });

  it('checks uids and extras in authentication.k8s.io', () => {
    const uid = statusOf(() => run({ 'impersonate-user': ['alice'], 'impersonate-uid': ['u-1'] }, bob));
    expect(uid.body.message).toBe('uids.authentication.k8s.io "u-1" is forbidden: User "bob" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope');
    const extra = statusOf(() => run({ 'impersonate-user': ['alice'], 'impersonate-extra-other': ['x'] }));
    expect(extra.body.message).toBe(
      'userextras.authentication.k8s.io "x" is forbidden: User "gateway" cannot impersonate resource "userextras/other" in API group "authentication.k8s.io" at the cluster scope',
    );
  });

  it('lets system:masters impersonate anyone', () => {
    const master = { username: 'embedded-admin', groups: ['system:masters', 'system:authenticated'] };
    expect(run({ 'impersonate-user': ['anyone'], 'impersonate-group': ['system:masters'] }, master).user).toEqual({
      username: 'anyone',
      groups: ['system:masters', 'system:authenticated'],
    });
  });

  it('answers groups without a user with the 500 the real server gives', () => {
    const error = statusOf(() => run({ 'impersonate-group': ['team-a'], 'impersonate-uid': ['u'] }));
    expect(error.code).toBe(500);
    expect(error.body.message).toBe('Internal Server Error: "/api/v1/pods?limit=1": requested [{Group  team-a    } {UID  u  authentication.k8s.io/v1  }] without impersonating a user');
  });
});
