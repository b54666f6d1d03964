// The RBAC authorizer of the API server emulator (plugin/pkg/auth/authorizer/rbac upstream):
// Role and ClusterRole rules granted through RoleBindings (in the binding's namespace) and
// ClusterRoleBindings (everywhere), to users, groups and service accounts. Roles and bindings are
// read from the store on demand; bindings are indexed by subject and the index is rebuilt only
// after a binding changes, because a gateway asks many access reviews per request.

import type { InternalStore, UserInfo } from './admission.ts';
import {
  DECISION,
  privilegedGroupsAuthorizer,
  SYSTEM_MASTERS_GROUP,
  unionAuthorizer,
  type AuthorizationAttributes,
  type AuthorizationDecision,
  type Authorizer,
} from './authorization.ts';
import { findResource, type ResourceInfo } from './resources.ts';
import { isRecord, type KubeObject } from './types.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const RBAC_VERSION = 'v1';

/** The wildcard of verbs, apiGroups, resources and nonResourceURLs. */
export const RBAC_WILDCARD = '*';

export const SUBJECT_KIND = {
  user: 'User',
  group: 'Group',
  serviceAccount: 'ServiceAccount',
} as const;

export const ROLE_KIND = {
  role: 'Role',
  clusterRole: 'ClusterRole',
} as const;

export const SERVICE_ACCOUNT_USERNAME_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
const SERVICE_ACCOUNT_GROUP_PREFIX = 'system:serviceaccounts:';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  /** ServiceAccounts only; in a RoleBinding an empty one means the binding's namespace. */
  namespace?: string;
  apiGroup?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

// ---- service account names ----

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

/** The groups every service account of `namespace` is in. */
export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNT_GROUP_PREFIX}${namespace}`];
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_LABEL_LENGTH = 63;
const MAX_SUBDOMAIN_LENGTH = 253;

/**
 * `{namespace, name}` of `system:serviceaccount:<ns>:<name>` when both parts are valid names
 * (a DNS label and a DNS subdomain), undefined for any other username.
 */
export function splitServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_USERNAME_PREFIX)) return undefined;
  const parts = username.slice(SERVICE_ACCOUNT_USERNAME_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  const [namespace = '', name = ''] = parts;
  if (namespace.length > MAX_LABEL_LENGTH || !DNS1123_LABEL.test(namespace)) return undefined;
  if (name.length > MAX_SUBDOMAIN_LENGTH || !DNS1123_SUBDOMAIN.test(name)) return undefined;
  return { namespace, name };
}

// ---- rule matching (rbacv1helpers) ----

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === RBAC_WILDCARD || v === verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === RBAC_WILDCARD || g === group);
}

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return (rule.resources ?? []).some(
    (r) => r === RBAC_WILDCARD || r === combined || (subresource !== '' && r === `${RBAC_WILDCARD}/${subresource}`),
  );
}

function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some(
    (url) => url === RBAC_WILDCARD || url === path || (url.endsWith(RBAC_WILDCARD) && path.startsWith(url.replace(/\*+$/, ''))),
  );
}

/**
 * Whether one rule allows a request: `pods` does not allow `pods/log`, `*\/log` does; a rule
 * with resourceNames never allows a request without a name (list, create); resource rules never
 * allow paths and nonResourceURLs never allow resources.
 */
export function ruleAllows(attributes: AuthorizationAttributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, attributes.verb)) return false;
  if (!attributes.resourceRequest) return nonResourceUrlMatches(rule, attributes.path);
  const combined = attributes.subresource === '' ? attributes.resource : `${attributes.resource}/${attributes.subresource}`;
  return (
    apiGroupMatches(rule, attributes.apiGroup) &&
    resourceMatches(rule, combined, attributes.subresource) &&
    resourceNameMatches(rule, attributes.name)
  );
}

/**
 * Whether a binding subject is this user. A ServiceAccount subject without a namespace means
 * the binding's own namespace (so never matches in a ClusterRoleBinding).
 */
export function appliesToUser(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case SUBJECT_KIND.user:
      return user.username === subject.name;
    case SUBJECT_KIND.group:
      return user.groups.includes(subject.name);
    case SUBJECT_KIND.serviceAccount: {
      const namespace = subject.namespace || bindingNamespace;
      return namespace !== '' && user.username === serviceAccountUsername(namespace, subject.name);
    }
    default:
      return false;
  }
}

// ---- reading stored objects (untyped JSON) ----

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function optionalList(record: Record<string, unknown>, key: string): string[] | undefined {
  const list = stringList(record[key]);
  return list.length > 0 ? list : undefined;
}

/** The rules of a Role or ClusterRole as stored; malformed entries are dropped, not guessed at. */
export function readRules(object: KubeObject): PolicyRule[] {
  const rules = Array.isArray(object.rules) ? object.rules : [];
  const out: PolicyRule[] = [];
  for (const raw of rules) {
    if (!isRecord(raw)) continue;
    const rule: PolicyRule = { verbs: stringList(raw.verbs) };
    const apiGroups = optionalList(raw, 'apiGroups');
    const resources = optionalList(raw, 'resources');
    const resourceNames = optionalList(raw, 'resourceNames');
    const nonResourceURLs = optionalList(raw, 'nonResourceURLs');
    if (apiGroups) rule.apiGroups = apiGroups;
    if (resources) rule.resources = resources;
    if (resourceNames) rule.resourceNames = resourceNames;
    if (nonResourceURLs) rule.nonResourceURLs = nonResourceURLs;
    out.push(rule);
  }
  return out;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function readRoleRef(object: KubeObject): RoleRef {
  const ref = isRecord(object.roleRef) ? object.roleRef : {};
  return { apiGroup: str(ref.apiGroup), kind: str(ref.kind), name: str(ref.name) };
}

export function readSubjects(object: KubeObject): Subject[] {
  const subjects = Array.isArray(object.subjects) ? object.subjects : [];
  const out: Subject[] = [];
  for (const raw of subjects) {
    if (!isRecord(raw)) continue;
    const subject: Subject = { kind: str(raw.kind), name: str(raw.name) };
    if (typeof raw.namespace === 'string' && raw.namespace !== '') subject.namespace = raw.namespace;
    if (typeof raw.apiGroup === 'string' && raw.apiGroup !== '') subject.apiGroup = raw.apiGroup;
    out.push(subject);
  }
  return out;
}

// ---- the rule resolver ----

/** The kinds RBAC reads, as the store knows them. */
export interface RbacResources {
  roles: ResourceInfo;
  clusterRoles: ResourceInfo;
  roleBindings: ResourceInfo;
  clusterRoleBindings: ResourceInfo;
}

export function rbacResources(): RbacResources {
  const find = (resource: string): ResourceInfo => {
    const info = findResource(RBAC_GROUP, RBAC_VERSION, resource);
    if (!info) throw new Error(`${resource}.${RBAC_GROUP} must be served for RBAC`);
    return info;
  };
  return {
    roles: find('roles'),
    clusterRoles: find('clusterroles'),
    roleBindings: find('rolebindings'),
    clusterRoleBindings: find('clusterrolebindings'),
  };
}

/** Everything a user may do in a namespace ('' = cluster-wide rules only). */
export interface UserRules {
  rules: PolicyRule[];
  /** Bindings whose role could not be resolved, worded as upstream (`clusterrole... "x" not found`). */
  errors: string[];
}

export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): UserRules;
}

export interface RbacAuthorizer extends Authorizer, RuleResolver {
  /** Stops following the store; the authorizer must not be used after. */
  close(): void;
}

export interface RbacAuthorizerOptions {
  store: InternalStore;
}

interface IndexedBinding {
  name: string;
  /** '' for ClusterRoleBindings. */
  namespace: string;
  roleRef: RoleRef;
  subjects: Subject[];
  /** Position in name order, so answers do not depend on the order of the index. */
  order: number;
}

type SubjectIndex = Map<string, IndexedBinding[]>;

interface BindingIndex {
  cluster: SubjectIndex;
  byNamespace: Map<string, SubjectIndex>;
}

const USER_KEY = 'u:';
const GROUP_KEY = 'g:';

/** The index keys a subject is found under; a ServiceAccount is the user it authenticates as. */
function subjectKey(subject: Subject, bindingNamespace: string): string | undefined {
  switch (subject.kind) {
    case SUBJECT_KIND.user:
      return USER_KEY + subject.name;
    case SUBJECT_KIND.group:
      return GROUP_KEY + subject.name;
    case SUBJECT_KIND.serviceAccount: {
      const namespace = subject.namespace || bindingNamespace;
      return namespace === '' ? undefined : USER_KEY + serviceAccountUsername(namespace, subject.name);
    }
    default:
      return undefined;
  }
}

function userKeys(user: UserInfo): string[] {
  return [USER_KEY + user.username, ...user.groups.map((group) => GROUP_KEY + group)];
}

function addToIndex(index: SubjectIndex, binding: IndexedBinding): void {
  const keys = new Set<string>();
  for (const subject of binding.subjects) {
    const key = subjectKey(subject, binding.namespace);
    if (key !== undefined) keys.add(key);
  }
  for (const key of keys) {
    const list = index.get(key);
    if (list) list.push(binding);
    else index.set(key, [binding]);
  }
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === SUBJECT_KIND.serviceAccount) {
    return `${subject.kind} ${JSON.stringify(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${JSON.stringify(subject.name)}`;
}

/** `ClusterRoleBinding "x" of ClusterRole "y" to User "z"` / `RoleBinding "x/ns" of Role ...`, as upstream. */
function describeBinding(binding: IndexedBinding, subject: Subject): string {
  const name = binding.namespace === '' ? binding.name : `${binding.name}/${binding.namespace}`;
  const kind = binding.namespace === '' ? 'ClusterRoleBinding' : 'RoleBinding';
  return `${kind} ${JSON.stringify(name)} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, binding.namespace)}`;
}

/** utilerrors.NewAggregate(...).Error(): one message bare, several bracketed, duplicates once. */
export function aggregateMessage(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length <= 1) return unique[0] ?? '';
  return `[${unique.join(', ')}]`;
}

/**
 * The RBAC authorizer over a store. Decisions are `Allow` (reason `RBAC: allowed by ...`) or
 * `NoOpinion` (reason `RBAC: <resolution errors>` when a matching binding names a missing role,
 * else ''). It does not know system:masters; see createClusterAuthorizer.
 */
export function createRbacAuthorizer(options: RbacAuthorizerOptions): RbacAuthorizer {
  const { store } = options;
  const kinds = rbacResources();
  let index: BindingIndex | undefined;
  const parsedRules = new WeakMap<KubeObject, PolicyRule[]>();

  const stopWatching = store.onChange((change) => {
    const { group, resource } = change.info;
    if (group === RBAC_GROUP && (resource === kinds.roleBindings.resource || resource === kinds.clusterRoleBindings.resource)) index = undefined;
  });

  function buildIndex(): BindingIndex {
    const built: BindingIndex = { cluster: new Map(), byNamespace: new Map() };
    let order = 0;
    const toBinding = (object: KubeObject, namespace: string): IndexedBinding => ({
      name: object.metadata.name ?? '',
      namespace,
      roleRef: readRoleRef(object),
      subjects: readSubjects(object),
      order: order++,
    });
    for (const object of store.list(kinds.clusterRoleBindings)) addToIndex(built.cluster, toBinding(object, ''));
    // The store lists in namespace, then name order.
    for (const object of store.list(kinds.roleBindings)) {
      const namespace = object.metadata.namespace ?? '';
      let perNamespace = built.byNamespace.get(namespace);
      if (!perNamespace) {
        perNamespace = new Map();
        built.byNamespace.set(namespace, perNamespace);
      }
      addToIndex(perNamespace, toBinding(object, namespace));
    }
    return built;
  }

  function rulesOf(object: KubeObject): PolicyRule[] {
    let rules = parsedRules.get(object);
    if (!rules) {
      rules = readRules(object);
      parsedRules.set(object, rules);
    }
    return rules;
  }

  /** The referenced role's rules, or the error upstream reports for it. */
  function roleRefRules(roleRef: RoleRef, bindingNamespace: string): PolicyRule[] | string {
    if (roleRef.kind === ROLE_KIND.role) {
      const role = store.get(kinds.roles, bindingNamespace, roleRef.name);
      return role ? rulesOf(role) : `role.${RBAC_GROUP} ${JSON.stringify(roleRef.name)} not found`;
    }
    if (roleRef.kind === ROLE_KIND.clusterRole) {
      const role = store.get(kinds.clusterRoles, undefined, roleRef.name);
      return role ? rulesOf(role) : `clusterrole.${RBAC_GROUP} ${JSON.stringify(roleRef.name)} not found`;
    }
    return `unsupported role reference kind: ${JSON.stringify(roleRef.kind)}`;
  }

  function candidates(subjects: SubjectIndex | undefined, user: UserInfo): IndexedBinding[] {
    if (!subjects) return [];
    const found = new Set<IndexedBinding>();
    for (const key of userKeys(user)) for (const binding of subjects.get(key) ?? []) found.add(binding);
    return [...found].sort((a, b) => a.order - b.order);
  }

  /**
   * Calls `visit` with every rule granted to the user in `namespace` (cluster bindings first),
   * and with every resolution error; stops when `visit` returns false.
   */
  function visitRules(
    user: UserInfo,
    namespace: string,
    visit: (source: string | undefined, rule: PolicyRule | undefined, error: string | undefined) => boolean,
  ): void {
    index ??= buildIndex();
    const scopes: Array<[SubjectIndex | undefined, string]> = [[index.cluster, '']];
    if (namespace !== '') scopes.push([index.byNamespace.get(namespace), namespace]);
    for (const [subjects, bindingNamespace] of scopes) {
      for (const binding of candidates(subjects, user)) {
        const subject = binding.subjects.find((s) => appliesToUser(user, s, bindingNamespace));
        if (!subject) continue;
        const rules = roleRefRules(binding.roleRef, bindingNamespace);
        if (typeof rules === 'string') {
          if (!visit(undefined, undefined, rules)) return;
          continue;
        }
        const source = describeBinding(binding, subject);
        for (const rule of rules) if (!visit(source, rule, undefined)) return;
      }
    }
  }

  return {
    authorize(attributes): AuthorizationDecision {
      let allowedBy: string | undefined;
      const errors: string[] = [];
      visitRules(attributes.user, attributes.resourceRequest ? attributes.namespace : '', (source, rule, error) => {
        if (rule && source !== undefined && ruleAllows(attributes, rule)) {
          allowedBy = source;
          return false;
        }
        if (error !== undefined) errors.push(error);
        return true;
      });
      if (allowedBy !== undefined) return { decision: DECISION.allow, reason: `RBAC: allowed by ${allowedBy}` };
      return { decision: DECISION.noOpinion, reason: errors.length > 0 ? `RBAC: ${aggregateMessage(errors)}` : '' };
    },
    rulesFor(user, namespace) {
      const rules: PolicyRule[] = [];
      const errors: string[] = [];
      visitRules(user, namespace, (_source, rule, error) => {
        if (rule) rules.push(rule);
        if (error !== undefined) errors.push(error);
        return true;
      });
      return { rules, errors };
    },
    close() {
      stopWatching();
    },
  };
}

/**
 * The authorizer the emulator runs: system:masters first (always allowed, reason ''), then RBAC.
 * Rules come from RBAC alone, so a master's rules are those of its bindings (the seed binds
 * system:masters to cluster-admin, as a real cluster does).
 */
export function createClusterAuthorizer(options: RbacAuthorizerOptions): RbacAuthorizer {
  const rbac = createRbacAuthorizer(options);
  const union = unionAuthorizer([privilegedGroupsAuthorizer([SYSTEM_MASTERS_GROUP]), rbac]);
  return {
    authorize: (attributes) => union.authorize(attributes),
    rulesFor: (user, namespace) => rbac.rulesFor(user, namespace),
    close: () => rbac.close(),
  };
}
