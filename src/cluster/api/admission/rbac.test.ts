import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../../test/utils/memory-store.ts';
import type { AdmissionOperation, AdmissionPlugin, AdmissionRequest, UserInfo } from '../admission.ts';
import { createClusterAuthorizer, type PolicyRule, type RbacAuthorizer } from '../rbac.ts';
import { findResource, type ResourceInfo } from '../resources.ts';
import { StatusError } from '../status.ts';
import type { KubeObject } from '../types.ts';
import { compactRuleString, rbacAdmission, rbacNameErrors, uncoveredRules } from './rbac.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';
const GROUP = 'rbac.authorization.k8s.io';

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };
const master: UserInfo = { username: 'root', groups: ['system:masters', 'system:authenticated'] };

function info(resource: string): ResourceInfo {
  const found = findResource(GROUP, 'v1', resource);
  if (!found) throw new Error(`${resource} is not served`);
  return found;
}

const MPIJOB_EDIT: PolicyRule = { apiGroups: ['kubeflow.org'], resources: ['mpijobs', 'mpijobs/status'], verbs: ['get', 'list', 'create'] };

function role(rules: unknown, name = 'r', namespace = 'team-a'): KubeObject {
  return { apiVersion: RBAC, kind: 'Role', metadata: { name, namespace }, rules } as KubeObject;
}

function clusterRole(name: string, rules: unknown): KubeObject {
  return { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules } as KubeObject;
}

function binding(roleRef: Record<string, unknown>, subjects: unknown[], name = 'b', namespace = 'team-a'): KubeObject {
  return { apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace }, roleRef, subjects } as KubeObject;
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

describe('rbacAdmission', () => {
  let store: MemoryStore;
  let authorizer: RbacAuthorizer;
  let plugin: AdmissionPlugin;

  beforeEach(() => {
    store = new MemoryStore();
    authorizer = createClusterAuthorizer({ store });
    plugin = rbacAdmission({ authorizer, rules: authorizer });
    // alice may manage RBAC in team-a and edit MPIJobs there, nothing more.
    store.put(
      clusterRole('rbac-manager', [{ apiGroups: [GROUP], resources: ['roles', 'rolebindings'], verbs: ['create', 'update', 'get'] }]),
    );
    store.put(clusterRole('mpijob-editor', [MPIJOB_EDIT]));
    store.put(clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]));
    for (const role of ['rbac-manager', 'mpijob-editor']) {
      store.put(binding({ apiGroup: GROUP, kind: 'ClusterRole', name: role }, [{ kind: 'User', apiGroup: GROUP, name: 'alice' }], `alice-${role}`));
    }
  });

  afterEach(() => {
    authorizer.close();
  });

  function request(resource: string, object: KubeObject, options: { user?: UserInfo; operation?: AdmissionOperation; oldObject?: KubeObject } = {}): AdmissionRequest {
    const kind = info(resource);
    return {
      operation: options.operation ?? 'CREATE',
      info: kind,
      namespace: kind.namespaced ? object.metadata.namespace : undefined,
      name: object.metadata.name ?? '',
      object,
      oldObject: options.oldObject,
      dryRun: false,
      user: options.user ?? alice,
    };
  }

  const admit = (r: AdmissionRequest) => {
    const object = plugin.mutate?.(r, store) ?? r.object;
    plugin.validate?.({ ...r, object }, store);
    return object;
  };

  it('lets a user write a role with rules they hold, and refuses one with more, listing what is missing', () => {
    expect(() => admit(request('roles', role([MPIJOB_EDIT])))).not.toThrow();
    const error = statusOf(() => admit(request('roles', role([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { apiGroups: ['kubeflow.org'], resources: ['mpijobs'], verbs: ['delete', 'get', 'patch'] }], 'wide'))));
    expect(error.code).toBe(403);
    expect(error.body.message).toBe(
      'roles.rbac.authorization.k8s.io "wide" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n' +
        '{APIGroups:["kubeflow.org"], Resources:["mpijobs"], Verbs:["delete" "patch"]}',
    );
  });

  it('judges a RoleBinding by the rules of the role it binds, in its namespace', () => {
    const toAlice = [{ kind: 'User', name: 'bob' }];
    expect(() => admit(request('rolebindings', binding({ apiGroup: GROUP, kind: 'ClusterRole', name: 'mpijob-editor' }, toAlice)))).not.toThrow();
    const error = statusOf(() => admit(request('rolebindings', binding({ apiGroup: GROUP, kind: 'ClusterRole', name: 'cluster-admin' }, toAlice, 'grab'))));
    expect(error.body.message).toBe(
      'rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}',
    );
    // Her rights are in team-a only, so the same binding elsewhere grants what she lacks there.
    expect(statusOf(() => admit(request('rolebindings', binding({ apiGroup: GROUP, kind: 'ClusterRole', name: 'mpijob-editor' }, toAlice, 'b', 'team-b')))).code).toBe(403);
  });

  it('allows binding any role with the bind verb on it, and any rules with escalate', () => {
    store.put(clusterRole('binder', [{ apiGroups: [GROUP], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['cluster-admin'] }, { apiGroups: [GROUP], resources: ['roles'], verbs: ['escalate'] }]));
    store.put(binding({ apiGroup: GROUP, kind: 'ClusterRole', name: 'binder' }, [{ kind: 'User', apiGroup: GROUP, name: 'alice' }], 'alice-binder'));
    expect(() => admit(request('rolebindings', binding({ apiGroup: GROUP, kind: 'ClusterRole', name: 'cluster-admin' }, [{ kind: 'User', name: 'bob' }])))).not.toThrow();
    expect(() => admit(request('roles', role([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])))).not.toThrow();
  });

  it('appends the roles it could not resolve to the refusal', () => {
    store.put(binding({ apiGroup: GROUP, kind: 'ClusterRole', name: 'gone' }, [{ kind: 'User', apiGroup: GROUP, name: 'alice' }], 'dangling'));
    const error = statusOf(() => admit(request('roles', role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }], 'wide'))));
    expect(error.body.message).toBe(
      'roles.rbac.authorization.k8s.io "wide" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["get"]}; resolution errors: [roles.rbac.authorization.k8s.io "gone" not found]',
    );
  });

  it('lets system:masters grant anything', () => {
    expect(() => admit(request('clusterrolebindings', { apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: 'x' }, roleRef: { apiGroup: GROUP, kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'bob' }] }, { user: master }))).not.toThrow();
  });

  it('answers 404 for a binding to a role that does not exist, worded as the real server words it, unless the writer may bind it', () => {
    const error = statusOf(() => admit(request('rolebindings', binding({ apiGroup: GROUP, kind: 'Role', name: 'ghost' }, [{ kind: 'User', name: 'bob' }], 'my-binding'))));
    expect([error.code, error.body.message]).toEqual([404, 'rolebindings.rbac.authorization.k8s.io "ghost" not found']);
    expect(() => admit(request('rolebindings', binding({ apiGroup: GROUP, kind: 'Role', name: 'ghost' }, [{ kind: 'User', name: 'bob' }]), { user: master }))).not.toThrow();
  });

  it('defaults the apiGroup of User and Group subjects, not of service accounts', () => {
    const object = admit(
      request('rolebindings', binding({ apiGroup: GROUP, kind: 'ClusterRole', name: 'mpijob-editor' }, [{ kind: 'User', name: 'bob' }, { kind: 'Group', name: 'g' }, { kind: 'ServiceAccount', name: 'sa' }])),
    );
    expect(object?.subjects).toEqual([
      { kind: 'User', name: 'bob', apiGroup: GROUP },
      { kind: 'Group', name: 'g', apiGroup: GROUP },
      { kind: 'ServiceAccount', name: 'sa' },
    ]);
  });

  it('validates rules as ValidatePolicyRule does', () => {
    const error = statusOf(() =>
      admit(request('roles', role([{ apiGroups: [''], resources: ['pods'] }, { verbs: ['get'] }, { verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }]), { user: master })),
    );
    expect(error.code).toBe(422);
    expect(error.body.details?.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value: verbs must contain at least one value', field: 'rules[0].verbs' },
      { reason: 'FieldValueRequired', message: 'Required value: resource rules must supply at least one api group', field: 'rules[1].apiGroups' },
      { reason: 'FieldValueRequired', message: 'Required value: resource rules must supply at least one resource', field: 'rules[1].resources' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: ["/x"]: namespaced rules cannot apply to non-resource URLs', field: 'rules[2].nonResourceURLs' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: ["/x"]: rules cannot apply to both regular resources and non-resource URLs', field: 'rules[2].nonResourceURLs' },
    ]);
    expect(() => admit(request('clusterroles', clusterRole('urls', [{ verbs: ['get'], nonResourceURLs: ['/x'] }]), { user: master }))).not.toThrow();
  });

  it('validates role references and subjects as ValidateRoleBinding does', () => {
    const error = statusOf(() =>
      admit(
        request(
          'clusterrolebindings',
          {
            apiVersion: RBAC,
            kind: 'ClusterRoleBinding',
            metadata: { name: 'bad' },
            roleRef: { apiGroup: 'other', kind: 'Role', name: 'a/b' },
            subjects: [{ kind: 'ServiceAccount', name: 'sa', apiGroup: 'x' }, { kind: 'Robot', name: '' }, { kind: 'User', name: 'u', apiGroup: 'x' }],
          },
          { user: master },
        ),
      ),
    );
    expect(error.body.message).toBe(
      'ClusterRoleBinding.rbac.authorization.k8s.io "bad" is invalid: [roleRef.apiGroup: Unsupported value: "other": supported values: "rbac.authorization.k8s.io", ' +
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole", roleRef.name: Invalid value: "a/b": may not contain \'/\', ' +
        'subjects[0].apiGroup: Unsupported value: "x": supported values: "", subjects[0].namespace: Required value, subjects[1].name: Required value, ' +
        'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group", ' +
        'subjects[2].apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"]',
    );
  });

  it('refuses to change the role a binding refers to', () => {
    const old = binding({ apiGroup: GROUP, kind: 'ClusterRole', name: 'mpijob-editor' }, [{ kind: 'User', name: 'bob' }]);
    const changed = binding({ apiGroup: GROUP, kind: 'ClusterRole', name: 'cluster-admin' }, [{ kind: 'User', name: 'bob' }]);
    const error = statusOf(() => admit(request('rolebindings', changed, { user: master, operation: 'UPDATE', oldObject: old })));
    expect(error.body.details?.causes).toEqual([
      { reason: 'FieldValueInvalid', message: 'Invalid value: {"APIGroup":"rbac.authorization.k8s.io","Kind":"ClusterRole","Name":"cluster-admin"}: cannot change roleRef', field: 'roleRef' },
    ]);
  });

  it('lets the garbage collector edit owner references of a role it could not write', () => {
    const wide = role([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], 'wide');
    const owned = { ...wide, metadata: { ...wide.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: 'u' }] } };
    expect(() => admit(request('roles', wide, { operation: 'UPDATE', oldObject: owned }))).not.toThrow();
    expect(statusOf(() => admit(request('roles', { ...wide, metadata: { ...wide.metadata, labels: { a: 'b' } } }, { operation: 'UPDATE', oldObject: wide }))).code).toBe(403);
  });

  it('leaves other kinds and deletes alone', () => {
    const pods = findResource('', 'v1', 'pods');
    if (!pods) throw new Error('pods are not served');
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team-a' } };
    expect(plugin.mutate?.({ ...request('roles', role([])), info: pods, object: pod }, store)).toBeUndefined();
    expect(() => plugin.validate?.({ ...request('roles', role([{ verbs: [] }])), operation: 'DELETE', object: undefined }, store)).not.toThrow();
  });
});

describe('rule coverage', () => {
  it('covers subresources by */sub, names by no names, and URLs by prefixes', () => {
    expect(uncoveredRules([{ apiGroups: [''], resources: ['*/log'], verbs: ['get'] }], [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }])).toEqual([]);
    expect(uncoveredRules([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }], [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }])).toHaveLength(1);
    expect(uncoveredRules([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }], [{ apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['a'] }])).toEqual([]);
    expect(uncoveredRules([{ apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['a'] }], [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }])).toHaveLength(1);
    expect(uncoveredRules([{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/apis/batch'] }])).toEqual([]);
  });

  it('prints rules compactly, as escalation errors do', () => {
    expect(compactRuleString({ verbs: ['get'], nonResourceURLs: ['/x'] })).toBe('{NonResourceURLs:["/x"], Verbs:["get"]}');
    expect(compactRuleString({ apiGroups: [''], resources: ['pods'], resourceNames: ['p'], verbs: ['get', 'list'] })).toBe('{APIGroups:[""], Resources:["pods"], ResourceNames:["p"], Verbs:["get" "list"]}');
  });

  it('accepts RBAC names a DNS name would not', () => {
    expect(rbacNameErrors('system:auth-delegator')).toEqual([]);
    expect(rbacNameErrors('a/b')).toEqual(["may not contain '/'"]);
  });
});
