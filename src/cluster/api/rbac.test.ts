import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../test/utils/memory-store.ts';
import type { UserInfo } from './admission.ts';
import { DECISION, type AuthorizationAttributes, type ResourceAttributes } from './authorization.ts';
import {
  aggregateMessage,
  createClusterAuthorizer,
  createRbacAuthorizer,
  ruleAllows,
  serviceAccountGroups,
  serviceAccountUsername,
  splitServiceAccountUsername,
  type PolicyRule,
  type RbacAuthorizer,
  type Subject,
} from './rbac.ts';
import type { KubeObject } from './types.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };
const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };

function role(namespace: string, name: string, rules: PolicyRule[]): KubeObject {
  return { apiVersion: RBAC, kind: 'Role', metadata: { name, namespace }, rules };
}

function clusterRole(name: string, rules: PolicyRule[]): KubeObject {
  return { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules };
}

function roleBinding(namespace: string, name: string, roleRef: { kind: string; name: string }, subjects: Subject[]): KubeObject {
  return { apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects };
}

function clusterRoleBinding(name: string, roleName: string, subjects: Subject[]): KubeObject {
  return { apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects };
}

const userSubject = (name: string): Subject => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const groupSubject = (name: string): Subject => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });

function on(user: UserInfo, verb: string, resource: string, options: Partial<ResourceAttributes> = {}): ResourceAttributes {
  return { resourceRequest: true, user, verb, apiGroup: '', apiVersion: 'v1', resource, subresource: '', namespace: '', name: '', ...options };
}

function path(user: UserInfo, verb: string, url: string): AuthorizationAttributes {
  return { resourceRequest: false, user, verb, path: url };
}

const MPIJOBS = { apiGroup: 'kubeflow.org', apiVersion: 'v2beta1' };

describe('ruleAllows', () => {
  const request = on(alice, 'get', 'pods', { namespace: 'team-a', name: 'p' });

  it('matches a verb, group and resource, or their wildcards', () => {
    expect(ruleAllows(request, { verbs: ['get'], apiGroups: [''], resources: ['pods'] })).toBe(true);
    expect(ruleAllows(request, { verbs: ['*'], apiGroups: ['*'], resources: ['*'] })).toBe(true);
    expect(ruleAllows(request, { verbs: ['list'], apiGroups: [''], resources: ['pods'] })).toBe(false);
    expect(ruleAllows(request, { verbs: ['get'], apiGroups: ['batch'], resources: ['pods'] })).toBe(false);
    expect(ruleAllows(request, { verbs: ['get'], apiGroups: [''], resources: ['services'] })).toBe(false);
    expect(ruleAllows(request, { verbs: ['get'], resources: ['pods'] })).toBe(false);
  });

  it('does not let a resource cover its subresources, but lets resource/subresource and */subresource', () => {
    const logs = on(alice, 'get', 'pods', { namespace: 'team-a', name: 'p', subresource: 'log' });
    expect(ruleAllows(logs, { verbs: ['get'], apiGroups: [''], resources: ['pods'] })).toBe(false);
    expect(ruleAllows(logs, { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] })).toBe(true);
    expect(ruleAllows(logs, { verbs: ['get'], apiGroups: [''], resources: ['*/log'] })).toBe(true);
    expect(ruleAllows(logs, { verbs: ['get'], apiGroups: [''], resources: ['*/status'] })).toBe(false);
    expect(ruleAllows(logs, { verbs: ['get'], apiGroups: [''], resources: ['*'] })).toBe(true);
    expect(ruleAllows(request, { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] })).toBe(false);
  });

  it('limits a rule with resourceNames to those names, so it never allows a list or a create', () => {
    const rule: PolicyRule = { verbs: ['get', 'list', 'create'], apiGroups: [''], resources: ['pods'], resourceNames: ['p'] };
    expect(ruleAllows(request, rule)).toBe(true);
    expect(ruleAllows(on(alice, 'get', 'pods', { namespace: 'team-a', name: 'q' }), rule)).toBe(false);
    expect(ruleAllows(on(alice, 'list', 'pods', { namespace: 'team-a' }), rule)).toBe(false);
    expect(ruleAllows(on(alice, 'create', 'pods', { namespace: 'team-a' }), rule)).toBe(false);
  });

  it('matches non-resource URLs exactly, by a trailing-star prefix, or by *', () => {
    expect(ruleAllows(path(alice, 'get', '/healthz'), { verbs: ['get'], nonResourceURLs: ['/healthz'] })).toBe(true);
    expect(ruleAllows(path(alice, 'get', '/healthz/etcd'), { verbs: ['get'], nonResourceURLs: ['/healthz'] })).toBe(false);
    expect(ruleAllows(path(alice, 'get', '/apis/batch/v1'), { verbs: ['get'], nonResourceURLs: ['/apis/*'] })).toBe(true);
    expect(ruleAllows(path(alice, 'get', '/anything'), { verbs: ['get'], nonResourceURLs: ['*'] })).toBe(true);
    expect(ruleAllows(path(alice, 'post', '/healthz'), { verbs: ['get'], nonResourceURLs: ['/healthz'] })).toBe(false);
  });

  it('keeps resource rules and non-resource rules apart', () => {
    expect(ruleAllows(path(alice, 'get', '/api'), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] })).toBe(false);
    expect(ruleAllows(request, { verbs: ['*'], nonResourceURLs: ['*'] })).toBe(false);
  });
});

describe('service account names', () => {
  it('builds and splits system:serviceaccount:<ns>:<name>, refusing malformed ones', () => {
    expect(serviceAccountUsername('team-a', 'gateway')).toBe('system:serviceaccount:team-a:gateway');
    expect(splitServiceAccountUsername('system:serviceaccount:team-a:gateway')).toEqual({ namespace: 'team-a', name: 'gateway' });
    expect(splitServiceAccountUsername('system:serviceaccount:team-a')).toBeUndefined();
    expect(splitServiceAccountUsername('system:serviceaccount:Team-A:gateway')).toBeUndefined();
    expect(splitServiceAccountUsername('system:serviceaccount:a:b:c')).toBeUndefined();
    expect(splitServiceAccountUsername('alice')).toBeUndefined();
    expect(serviceAccountGroups('team-a')).toEqual(['system:serviceaccounts', 'system:serviceaccounts:team-a']);
  });
});

describe('aggregateMessage', () => {
  it('prints one message bare and several bracketed, each once', () => {
    expect(aggregateMessage(['a'])).toBe('a');
    expect(aggregateMessage(['a', 'b', 'a'])).toBe('[a, b]');
    expect(aggregateMessage(['a', 'a'])).toBe('a');
  });
});

describe('the RBAC authorizer', () => {
  let store: MemoryStore;
  let rbac: RbacAuthorizer;

  beforeEach(() => {
    store = new MemoryStore();
    rbac = createRbacAuthorizer({ store });
  });

  afterEach(() => {
    rbac.close();
  });

  const allowed = (attributes: AuthorizationAttributes) => rbac.authorize(attributes).decision === DECISION.allow;

  it('grants a Role through a RoleBinding in its namespace only, and says which binding allowed it', () => {
    store.put(role('team-a', 'pod-reader', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]));
    store.put(roleBinding('team-a', 'alice-reads-pods', { kind: 'Role', name: 'pod-reader' }, [userSubject('alice')]));
    expect(rbac.authorize(on(alice, 'list', 'pods', { namespace: 'team-a' }))).toEqual({
      decision: DECISION.allow,
      reason: 'RBAC: allowed by RoleBinding "alice-reads-pods/team-a" of Role "pod-reader" to User "alice"',
    });
    expect(allowed(on(alice, 'list', 'pods', { namespace: 'team-b' }))).toBe(false);
    expect(allowed(on(alice, 'list', 'pods'))).toBe(false);
    expect(allowed(on(bob, 'list', 'pods', { namespace: 'team-a' }))).toBe(false);
    expect(allowed(on(alice, 'delete', 'pods', { namespace: 'team-a', name: 'p' }))).toBe(false);
  });

  it('does not let a RoleBinding use a Role of another namespace', () => {
    store.put(role('team-b', 'pod-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    store.put(roleBinding('team-a', 'alice-reads-pods', { kind: 'Role', name: 'pod-reader' }, [userSubject('alice')]));
    expect(rbac.authorize(on(alice, 'get', 'pods', { namespace: 'team-a', name: 'p' }))).toEqual({
      decision: DECISION.noOpinion,
      reason: 'RBAC: role.rbac.authorization.k8s.io "pod-reader" not found',
    });
  });

  it('grants a ClusterRole through a RoleBinding in the binding namespace only', () => {
    store.put(clusterRole('kubeflow-mpijobs-edit', [{ verbs: ['get', 'list', 'watch', 'create', 'delete', 'patch'], apiGroups: ['kubeflow.org'], resources: ['mpijobs'] }]));
    store.put(roleBinding('team-a', 'alice-edit', { kind: 'ClusterRole', name: 'kubeflow-mpijobs-edit' }, [userSubject('alice')]));
    expect(rbac.authorize(on(alice, 'create', 'mpijobs', { ...MPIJOBS, namespace: 'team-a' })).reason).toBe(
      'RBAC: allowed by RoleBinding "alice-edit/team-a" of ClusterRole "kubeflow-mpijobs-edit" to User "alice"',
    );
    expect(allowed(on(alice, 'list', 'mpijobs', { ...MPIJOBS, namespace: 'team-b' }))).toBe(false);
    expect(allowed(on(alice, 'list', 'mpijobs', MPIJOBS))).toBe(false);
  });

  it('grants a ClusterRole through a ClusterRoleBinding in every namespace and at the cluster scope', () => {
    store.put(clusterRole('mpijob-reader', [{ verbs: ['list', 'watch'], apiGroups: ['kubeflow.org'], resources: ['mpijobs'] }]));
    store.put(clusterRoleBinding('bob-reads-everything', 'mpijob-reader', [userSubject('bob')]));
    expect(allowed(on(bob, 'list', 'mpijobs', { ...MPIJOBS, namespace: 'team-a' }))).toBe(true);
    expect(allowed(on(bob, 'watch', 'mpijobs', { ...MPIJOBS, namespace: 'team-z' }))).toBe(true);
    expect(rbac.authorize(on(bob, 'list', 'mpijobs', MPIJOBS)).reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "bob-reads-everything" of ClusterRole "mpijob-reader" to User "bob"',
    );
    expect(allowed(on(bob, 'get', 'mpijobs', { ...MPIJOBS, namespace: 'team-a', name: 'pi' }))).toBe(false);
  });

  it('matches groups, including system:authenticated for every signed-in user', () => {
    store.put(clusterRole('self-review', [{ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] }]));
    store.put(clusterRoleBinding('everyone', 'self-review', [groupSubject('system:authenticated')]));
    const review = { apiGroup: 'authorization.k8s.io' };
    expect(allowed(on(alice, 'create', 'selfsubjectaccessreviews', review))).toBe(true);
    expect(allowed(on({ username: 'system:anonymous', groups: ['system:unauthenticated'] }, 'create', 'selfsubjectaccessreviews', review))).toBe(false);
    expect(rbac.authorize(on(bob, 'create', 'selfsubjectaccessreviews', review)).reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "everyone" of ClusterRole "self-review" to Group "system:authenticated"',
    );
  });

  it('matches service accounts by their username, defaulting a RoleBinding subject to the binding namespace', () => {
    store.put(clusterRole('pod-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    store.put(roleBinding('team-a', 'local-sa', { kind: 'ClusterRole', name: 'pod-reader' }, [{ kind: 'ServiceAccount', name: 'runner' }]));
    store.put(clusterRoleBinding('unqualified-sa', 'pod-reader', [{ kind: 'ServiceAccount', name: 'runner' }]));
    const local = { username: 'system:serviceaccount:team-a:runner', groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'] };
    const foreign = { username: 'system:serviceaccount:team-b:runner', groups: ['system:serviceaccounts', 'system:serviceaccounts:team-b', 'system:authenticated'] };
    expect(rbac.authorize(on(local, 'get', 'pods', { namespace: 'team-a', name: 'p' })).reason).toBe(
      'RBAC: allowed by RoleBinding "local-sa/team-a" of ClusterRole "pod-reader" to ServiceAccount "runner/team-a"',
    );
    // A ClusterRoleBinding names no namespace to default to, so its unqualified subject matches nobody.
    expect(allowed(on(local, 'get', 'pods', { namespace: 'team-b', name: 'p' }))).toBe(false);
    expect(allowed(on(foreign, 'get', 'pods', { namespace: 'team-a', name: 'p' }))).toBe(false);
  });

  it('matches a service account qualified with its namespace anywhere, and the service account groups', () => {
    store.put(clusterRole('pod-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    store.put(clusterRoleBinding('gateway-sa', 'pod-reader', [{ kind: 'ServiceAccount', name: 'gateway', namespace: 'platform' }]));
    store.put(roleBinding('team-b', 'all-sas-of-team-b', { kind: 'ClusterRole', name: 'pod-reader' }, [groupSubject('system:serviceaccounts:team-b')]));
    const gateway = { username: 'system:serviceaccount:platform:gateway', groups: serviceAccountGroups('platform') };
    const teamB = { username: 'system:serviceaccount:team-b:default', groups: serviceAccountGroups('team-b') };
    expect(allowed(on(gateway, 'get', 'pods', { namespace: 'team-a', name: 'p' }))).toBe(true);
    expect(allowed(on(teamB, 'get', 'pods', { namespace: 'team-b', name: 'p' }))).toBe(true);
    expect(allowed(on(teamB, 'get', 'pods', { namespace: 'team-a', name: 'p' }))).toBe(false);
  });

  it('grants non-resource URLs only through ClusterRoleBindings', () => {
    store.put(clusterRole('metrics', [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }]));
    store.put(roleBinding('team-a', 'namespaced', { kind: 'ClusterRole', name: 'metrics' }, [userSubject('alice')]));
    expect(allowed(path(alice, 'get', '/metrics'))).toBe(false);
    store.put(clusterRoleBinding('cluster-wide', 'metrics', [userSubject('alice')]));
    expect(allowed(path(alice, 'get', '/metrics'))).toBe(true);
  });

  it('reports every binding whose role is missing when nothing allows the request', () => {
    store.put(clusterRoleBinding('dangling', 'gone', [userSubject('alice')]));
    store.put(roleBinding('team-a', 'dangling-role', { kind: 'Role', name: 'also-gone' }, [userSubject('alice')]));
    store.put(roleBinding('team-a', 'odd', { kind: 'Other', name: 'x' }, [userSubject('alice')]));
    expect(rbac.authorize(on(alice, 'get', 'pods', { namespace: 'team-a', name: 'p' })).reason).toBe(
      'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, role.rbac.authorization.k8s.io "also-gone" not found, unsupported role reference kind: "Other"]',
    );
    expect(rbac.authorize(on(bob, 'get', 'pods', { namespace: 'team-a', name: 'p' }))).toEqual({ decision: DECISION.noOpinion, reason: '' });
  });

  it('follows bindings created, changed and deleted after the first answer', () => {
    store.put(clusterRole('pod-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    const request = on(alice, 'get', 'pods', { namespace: 'team-a', name: 'p' });
    expect(allowed(request)).toBe(false);
    const binding = store.put(roleBinding('team-a', 'alice', { kind: 'ClusterRole', name: 'pod-reader' }, [userSubject('alice')]));
    expect(allowed(request)).toBe(true);
    store.put(roleBinding('team-a', 'alice', { kind: 'ClusterRole', name: 'pod-reader' }, [userSubject('bob')]));
    expect(allowed(request)).toBe(false);
    expect(allowed(on(bob, 'get', 'pods', { namespace: 'team-a', name: 'p' }))).toBe(true);
    store.remove(binding);
    expect(allowed(on(bob, 'get', 'pods', { namespace: 'team-a', name: 'p' }))).toBe(false);
  });

  it('reads roles as they are now, so an edited role changes what its bindings grant', () => {
    store.put(clusterRole('pod-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    store.put(clusterRoleBinding('alice', 'pod-reader', [userSubject('alice')]));
    const list = on(alice, 'list', 'pods', { namespace: 'team-a' });
    expect(allowed(list)).toBe(false);
    store.put(clusterRole('pod-reader', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]));
    expect(allowed(list)).toBe(true);
  });

  it('names the first binding in name order when several allow', () => {
    store.put(clusterRole('r', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    store.put(roleBinding('team-a', 'zz-user', { kind: 'ClusterRole', name: 'r' }, [userSubject('alice')]));
    store.put(roleBinding('team-a', 'aa-group', { kind: 'ClusterRole', name: 'r' }, [groupSubject('system:authenticated'), userSubject('alice')]));
    expect(rbac.authorize(on(alice, 'get', 'pods', { namespace: 'team-a', name: 'p' })).reason).toBe(
      'RBAC: allowed by RoleBinding "aa-group/team-a" of ClusterRole "r" to Group "system:authenticated"',
    );
  });

  it('lists the rules granted in a namespace, cluster-wide ones first, with resolution errors', () => {
    store.put(clusterRole('discovery', [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*'] }]));
    store.put(clusterRoleBinding('discovery', 'discovery', [groupSubject('system:authenticated')]));
    store.put(role('team-a', 'pods', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['p'] }]));
    store.put(roleBinding('team-a', 'alice', { kind: 'Role', name: 'pods' }, [userSubject('alice')]));
    store.put(roleBinding('team-a', 'broken', { kind: 'Role', name: 'missing' }, [userSubject('alice')]));
    expect(rbac.rulesFor(alice, 'team-a')).toEqual({
      rules: [
        { verbs: ['get'], nonResourceURLs: ['/api', '/api/*'] },
        { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['p'] },
      ],
      errors: ['role.rbac.authorization.k8s.io "missing" not found'],
    });
    expect(rbac.rulesFor(alice, 'team-b').rules).toEqual([{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*'] }]);
  });

  it('ignores malformed stored rules and subjects instead of failing', () => {
    store.put({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'odd' }, rules: [null, 'x', { verbs: 'get', resources: ['pods'] }, { verbs: ['get'], apiGroups: [''], resources: ['pods'] }] });
    store.put({ apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: 'odd' }, roleRef: { kind: 'ClusterRole', name: 'odd' }, subjects: [7, { kind: 'User', name: 'alice' }] });
    expect(allowed(on(alice, 'get', 'pods', { namespace: 'x', name: 'p' }))).toBe(true);
    expect(allowed(on(alice, 'list', 'pods', { namespace: 'x' }))).toBe(false);
  });

  it('stops following the store once closed', () => {
    expect(store.listenerCount).toBe(1);
    rbac.close();
    expect(store.listenerCount).toBe(0);
  });
});

describe('the cluster authorizer', () => {
  it('allows system:masters anything without asking RBAC, and otherwise answers as RBAC', () => {
    const store = new MemoryStore();
    const authorizer = createClusterAuthorizer({ store });
    const master = { username: 'embedded-admin', groups: ['system:masters', 'system:authenticated'] };
    expect(authorizer.authorize(on(master, 'delete', 'namespaces', { name: 'team-a' }))).toEqual({ decision: DECISION.allow, reason: '' });
    expect(authorizer.authorize(path(master, 'get', '/metrics')).decision).toBe(DECISION.allow);
    expect(authorizer.authorize(on(alice, 'get', 'pods', { namespace: 'team-a', name: 'p' })).decision).toBe(DECISION.noOpinion);
    store.put(clusterRole('pod-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    store.put(clusterRoleBinding('alice', 'pod-reader', [userSubject('alice')]));
    expect(authorizer.authorize(on(alice, 'get', 'pods', { namespace: 'team-a', name: 'p' })).decision).toBe(DECISION.allow);
    expect(authorizer.rulesFor(alice, 'team-a').rules).toHaveLength(1);
    authorizer.close();
    expect(store.listenerCount).toBe(0);
  });
});
