// The kinds the emulator serves, with what discovery, routing, field selectors and Tables need
// to know about each. One table so that adding a kind is one entry, not edits in five files.

export type Verb =
  | 'create'
  | 'delete'
  | 'deletecollection'
  | 'get'
  | 'list'
  | 'patch'
  | 'update'
  | 'watch';

export interface ResourceInfo {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  /** Plural resource name as it appears in URLs (`pods`). */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  /** Subresources served: `status` (write path for controllers) and `log` (pods only). */
  subresources: Array<'status' | 'log'>;
  /** Field selector labels beyond metadata.name and metadata.namespace. */
  fieldSelectors: string[];
  /**
   * True for custom resources: merge patch only (no strategic merge patch), kind/apiVersion kept
   * on list items, generic two-column Table.
   */
  custom: boolean;
  /** Whether metadata.generation is tracked (CRDs with a status subresource, Jobs). */
  tracksGeneration: boolean;
  /**
   * Nothing of this kind is ever stored: a POST is answered by a handler that evaluates the body
   * and returns it with a status (TokenReview, SubjectAccessReview, ...). Default false.
   */
  virtual?: boolean;
}

const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function core(
  resource: string,
  singular: string,
  kind: string,
  options: Partial<ResourceInfo> = {},
): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    resource,
    singular,
    kind,
    listKind: `${kind}List`,
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    subresources: [],
    fieldSelectors: [],
    custom: false,
    tracksGeneration: false,
    ...options,
  };
}

function rbac(resource: string, singular: string, kind: string, namespaced: boolean): ResourceInfo {
  return core(resource, singular, kind, { group: 'rbac.authorization.k8s.io', namespaced });
}

/** A create-only kind that is evaluated, not stored (the access and token reviews). */
function review(group: string, resource: string, singular: string, kind: string, namespaced = false): ResourceInfo {
  return core(resource, singular, kind, { group, namespaced, verbs: ['create'], virtual: true });
}

export const RESOURCES: readonly ResourceInfo[] = [
  core('namespaces', 'namespace', 'Namespace', {
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
    fieldSelectors: ['status.phase'],
  }),
  core('nodes', 'node', 'Node', {
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
    fieldSelectors: ['spec.unschedulable'],
  }),
  core('pods', 'pod', 'Pod', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'log'],
    fieldSelectors: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ],
  }),
  core('events', 'event', 'Event', {
    shortNames: ['ev'],
    fieldSelectors: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  }),
  core('configmaps', 'configmap', 'ConfigMap', { shortNames: ['cm'] }),
  core('secrets', 'secret', 'Secret', { fieldSelectors: ['type'] }),
  core('services', 'service', 'Service', {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
  }),
  core('resourcequotas', 'resourcequota', 'ResourceQuota', {
    shortNames: ['quota'],
    subresources: ['status'],
  }),
  review('authentication.k8s.io', 'selfsubjectreviews', 'selfsubjectreview', 'SelfSubjectReview'),
  review('authentication.k8s.io', 'tokenreviews', 'tokenreview', 'TokenReview'),
  review('authorization.k8s.io', 'localsubjectaccessreviews', 'localsubjectaccessreview', 'LocalSubjectAccessReview', true),
  review('authorization.k8s.io', 'selfsubjectaccessreviews', 'selfsubjectaccessreview', 'SelfSubjectAccessReview'),
  review('authorization.k8s.io', 'selfsubjectrulesreviews', 'selfsubjectrulesreview', 'SelfSubjectRulesReview'),
  review('authorization.k8s.io', 'subjectaccessreviews', 'subjectaccessreview', 'SubjectAccessReview'),
  {
    group: 'batch',
    version: 'v1',
    resource: 'jobs',
    singular: 'job',
    kind: 'Job',
    listKind: 'JobList',
    namespaced: true,
    shortNames: [],
    categories: ['all'],
    verbs: ALL_VERBS,
    subresources: ['status'],
    fieldSelectors: ['status.successful'],
    custom: false,
    tracksGeneration: true,
  },
  rbac('clusterrolebindings', 'clusterrolebinding', 'ClusterRoleBinding', false),
  rbac('clusterroles', 'clusterrole', 'ClusterRole', false),
  rbac('rolebindings', 'rolebinding', 'RoleBinding', true),
  rbac('roles', 'role', 'Role', true),
  {
    group: 'kubeflow.org',
    version: 'v2beta1',
    resource: 'mpijobs',
    singular: 'mpijob',
    kind: 'MPIJob',
    listKind: 'MPIJobList',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    subresources: ['status'],
    fieldSelectors: [],
    custom: true,
    tracksGeneration: true,
  },
];

/** `v1` for the core group, `group/version` otherwise. */
export function groupVersion(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** `pods` for the core group, `mpijobs.kubeflow.org` otherwise: the name used in Status messages. */
export function qualifiedResource(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return info.group === '' ? info.resource : `${info.resource}.${info.group}`;
}

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
}
