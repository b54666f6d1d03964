// RBAC the embedded cluster starts with. Three sets:
// - the Kubernetes defaults a real API server reconciles at every start (cluster-admin and its
//   system:masters binding, discovery, public info, self reviews, auth delegation);
// - the MPI operator's aggregated ClusterRoles kubeflow-mpijobs-{admin,edit,view}, with the rules
//   their aggregation would produce written out (the emulator does not aggregate);
// - the demo identities: `admin` (cluster admin), `alice` (edits MPIJobs in team-a and reads its
//   pods, logs, events and quotas) and `bob` (views team-b only), with tokens for a token file.
// Objects are plain manifests, so they can be written to the store directly or sent through the API.

import { randomBytes, randomUUID } from 'node:crypto';
import type { UserInfo } from './api/admission.ts';
import { ALL_AUTHENTICATED_GROUP, ALL_UNAUTHENTICATED_GROUP, SYSTEM_MASTERS_GROUP } from './api/authorization.ts';
import { RBAC_GROUP, RBAC_VERSION, RBAC_WILDCARD, ROLE_KIND, SUBJECT_KIND, type PolicyRule, type Subject } from './api/rbac.ts';
import { findByKind, type ResourceInfo } from './api/resources.ts';
import type { StaticToken } from './api/tokens.ts';
import type { KubeObject } from './api/types.ts';

const RBAC_API_VERSION = `${RBAC_GROUP}/${RBAC_VERSION}`;

/** Marks the defaults as the real server's own (bootstrappolicy's label and annotation). */
const BOOTSTRAPPING_LABEL = 'kubernetes.io/bootstrapping';
const BOOTSTRAPPING_VALUE = 'rbac-defaults';
const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';

/** The Kubeflow aggregation labels the operator's roles carry. */
const AGGREGATE_TO_KUBEFLOW_ADMIN = 'rbac.authorization.kubeflow.org/aggregate-to-kubeflow-admin';
const AGGREGATE_TO_KUBEFLOW_EDIT = 'rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit';
const AGGREGATE_TO_KUBEFLOW_VIEW = 'rbac.authorization.kubeflow.org/aggregate-to-kubeflow-view';
const AGGREGATE_TO_MPIJOBS_ADMIN = 'rbac.authorization.kubeflow.org/aggregate-to-kubeflow-mpijobs-admin';

const AUTHENTICATION_GROUP = 'authentication.k8s.io';
const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const KUBEFLOW_GROUP = 'kubeflow.org';
const CORE_GROUP = '';

const READ_VERBS = ['get', 'list', 'watch'];
const EDIT_VERBS = ['get', 'list', 'watch', 'create', 'delete', 'deletecollection', 'patch', 'update'];

export const CLUSTER_ADMIN_ROLE = 'cluster-admin';
export const MPIJOBS_ADMIN_ROLE = 'kubeflow-mpijobs-admin';
export const MPIJOBS_EDIT_ROLE = 'kubeflow-mpijobs-edit';
export const MPIJOBS_VIEW_ROLE = 'kubeflow-mpijobs-view';
/** Read access to what a job's page shows besides the job: its pods, their logs, events, quotas. */
export const TEAM_OBSERVER_ROLE = 'mpijob-team-observer';

/** The team namespaces the cluster seed creates. */
export const DEMO_NAMESPACES = { teamA: 'team-a', teamB: 'team-b' } as const;

/** The demo identities; each is also in system:authenticated once authenticated. */
export const DEMO_USERS = {
  admin: { username: 'admin', groups: [] },
  alice: { username: 'alice', groups: [] },
  bob: { username: 'bob', groups: [] },
} as const satisfies Record<string, { username: string; groups: readonly string[] }>;

/** Random bytes per demo token: 256 bits, 43 characters of base64url (no CSV quoting needed). */
const DEMO_TOKEN_BYTES = 32;

// ---- builders ----

function bootstrapMetadata(name: string): KubeObject['metadata'] {
  return { name, labels: { [BOOTSTRAPPING_LABEL]: BOOTSTRAPPING_VALUE }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } };
}

function clusterRole(metadata: KubeObject['metadata'], rules: PolicyRule[], extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: RBAC_API_VERSION, kind: 'ClusterRole', metadata, ...extra, rules };
}

function user(name: string): Subject {
  return { kind: SUBJECT_KIND.user, apiGroup: RBAC_GROUP, name };
}

function group(name: string): Subject {
  return { kind: SUBJECT_KIND.group, apiGroup: RBAC_GROUP, name };
}

function clusterRoleBinding(metadata: KubeObject['metadata'], role: string, subjects: Subject[]): KubeObject {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata,
    roleRef: { apiGroup: RBAC_GROUP, kind: ROLE_KIND.clusterRole, name: role },
    subjects,
  };
}

function roleBinding(namespace: string, name: string, roleRef: { kind: string; name: string }, subjects: Subject[]): KubeObject {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: RBAC_GROUP, ...roleRef },
    subjects,
  };
}

// ---- the sets ----

/** The defaults every real cluster has (plugin/pkg/auth/authorizer/rbac/bootstrappolicy). */
export function bootstrapRbacObjects(): KubeObject[] {
  const discoveryUrls = ['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'];
  const publicUrls = ['/livez', '/readyz', '/healthz', '/version', '/version/'];
  return [
    clusterRole(bootstrapMetadata(CLUSTER_ADMIN_ROLE), [
      { apiGroups: [RBAC_WILDCARD], resources: [RBAC_WILDCARD], verbs: [RBAC_WILDCARD] },
      { nonResourceURLs: [RBAC_WILDCARD], verbs: [RBAC_WILDCARD] },
    ]),
    clusterRole(bootstrapMetadata('system:discovery'), [{ nonResourceURLs: discoveryUrls, verbs: ['get'] }]),
    clusterRole(bootstrapMetadata('system:public-info-viewer'), [{ nonResourceURLs: publicUrls, verbs: ['get'] }]),
    clusterRole(bootstrapMetadata('system:basic-user'), [
      { apiGroups: [AUTHORIZATION_GROUP], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
      { apiGroups: [AUTHENTICATION_GROUP], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ]),
    // What a gateway's own identity needs to check its callers (bound by its deployment, not here).
    clusterRole(bootstrapMetadata('system:auth-delegator'), [
      { apiGroups: [AUTHENTICATION_GROUP], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: [AUTHORIZATION_GROUP], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]),
    clusterRoleBinding(bootstrapMetadata(CLUSTER_ADMIN_ROLE), CLUSTER_ADMIN_ROLE, [group(SYSTEM_MASTERS_GROUP)]),
    clusterRoleBinding(bootstrapMetadata('system:discovery'), 'system:discovery', [group(ALL_AUTHENTICATED_GROUP)]),
    clusterRoleBinding(bootstrapMetadata('system:basic-user'), 'system:basic-user', [group(ALL_AUTHENTICATED_GROUP)]),
    clusterRoleBinding(bootstrapMetadata('system:public-info-viewer'), 'system:public-info-viewer', [
      group(ALL_AUTHENTICATED_GROUP),
      group(ALL_UNAUTHENTICATED_GROUP),
    ]),
  ];
}

/** The MPI operator's ClusterRoles (manifests/base/cluster-role.yaml), rules written out. */
export function mpiOperatorRbacObjects(): KubeObject[] {
  const mpijobs = [KUBEFLOW_GROUP];
  const resources = ['mpijobs', 'mpijobs/status'];
  const editRules: PolicyRule[] = [{ apiGroups: mpijobs, resources, verbs: EDIT_VERBS }];
  return [
    clusterRole(
      { name: MPIJOBS_ADMIN_ROLE, labels: { [AGGREGATE_TO_KUBEFLOW_ADMIN]: 'true' } },
      // What aggregating the edit role (its only contributor) fills in.
      editRules,
      { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_TO_MPIJOBS_ADMIN]: 'true' } }] } },
    ),
    clusterRole(
      { name: MPIJOBS_EDIT_ROLE, labels: { [AGGREGATE_TO_KUBEFLOW_EDIT]: 'true', [AGGREGATE_TO_MPIJOBS_ADMIN]: 'true' } },
      editRules,
    ),
    clusterRole({ name: MPIJOBS_VIEW_ROLE, labels: { [AGGREGATE_TO_KUBEFLOW_VIEW]: 'true' } }, [
      { apiGroups: mpijobs, resources, verbs: READ_VERBS },
    ]),
  ];
}

/** The demo users' grants; the RoleBindings live in the seed's team namespaces. */
export function demoRbacObjects(): KubeObject[] {
  const { teamA, teamB } = DEMO_NAMESPACES;
  const { admin, alice, bob } = DEMO_USERS;
  const clusterRoleRef = (name: string) => ({ kind: ROLE_KIND.clusterRole, name });
  return [
    clusterRole({ name: TEAM_OBSERVER_ROLE }, [
      { apiGroups: [CORE_GROUP], resources: ['pods', 'pods/log', 'events', 'resourcequotas'], verbs: READ_VERBS },
    ]),
    clusterRoleBinding({ name: `${admin.username}-${CLUSTER_ADMIN_ROLE}` }, CLUSTER_ADMIN_ROLE, [user(admin.username)]),
    roleBinding(teamA, `${alice.username}-${MPIJOBS_EDIT_ROLE}`, clusterRoleRef(MPIJOBS_EDIT_ROLE), [user(alice.username)]),
    roleBinding(teamA, `${alice.username}-${TEAM_OBSERVER_ROLE}`, clusterRoleRef(TEAM_OBSERVER_ROLE), [user(alice.username)]),
    roleBinding(teamB, `${bob.username}-${MPIJOBS_VIEW_ROLE}`, clusterRoleRef(MPIJOBS_VIEW_ROLE), [user(bob.username)]),
    roleBinding(teamB, `${bob.username}-${TEAM_OBSERVER_ROLE}`, clusterRoleRef(TEAM_OBSERVER_ROLE), [user(bob.username)]),
  ];
}

// ---- writing them ----

/** The part of the store seeding needs (storage.ts's Store has it). */
export interface SeedTarget {
  get(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined;
  create(info: ResourceInfo, object: KubeObject): KubeObject;
}

/**
 * Creates each object that does not exist yet and leaves existing ones alone (so an operator's
 * edits survive restarts); returns the created ones. Throws for a kind the emulator does not serve.
 */
export function ensureObjects(target: SeedTarget, objects: readonly KubeObject[]): KubeObject[] {
  const created: KubeObject[] = [];
  for (const object of objects) {
    const info = findByKind(object.apiVersion ?? '', object.kind ?? '');
    if (!info) throw new Error(`cannot seed ${object.kind ?? '?'} (${object.apiVersion ?? '?'}): the kind is not served`);
    const namespace = info.namespaced ? object.metadata.namespace : undefined;
    if (target.get(info, namespace, object.metadata.name ?? '')) continue;
    created.push(target.create(info, object));
  }
  return created;
}

// ---- demo credentials ----

export interface DemoTokenOptions {
  /** Source of token bytes; default node:crypto's randomBytes. */
  randomBytes?: (size: number) => Buffer;
  /** Source of user UIDs; default node:crypto's randomUUID. */
  randomUuid?: () => string;
}

/** Fresh random tokens for admin, alice and bob, ready for renderTokenFile. */
export function generateDemoTokens(options: DemoTokenOptions = {}): StaticToken[] {
  const bytes = options.randomBytes ?? randomBytes;
  const uuid = options.randomUuid ?? randomUUID;
  return Object.values(DEMO_USERS).map((demo) => {
    const info: UserInfo = { username: demo.username, uid: uuid(), groups: [...demo.groups] };
    return { token: bytes(DEMO_TOKEN_BYTES).toString('base64url'), user: info };
  });
}
