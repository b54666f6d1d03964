// Writes of Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, checked as the real server
// checks them: the v1 defaults (subject apiGroup), ValidateRole/ValidateRoleBinding (with an
// immutable roleRef), and escalation prevention. A user may only write a role whose rules they
// already hold (or with `escalate` on it), and only bind a role whose rules they already hold
// in the binding's namespace (or with `bind` on it); system:masters may do anything. Without
// this a team member allowed to write RoleBindings could grant themselves cluster-admin.

import { isDeepStrictEqual } from 'node:util';
import type { AdmissionPlugin, AdmissionRequest, InternalStore } from '../admission.ts';
import { DECISION, pathSegmentNameErrors, SYSTEM_MASTERS_GROUP, type Authorizer } from '../authorization.ts';
import {
  aggregateMessage,
  RBAC_GROUP,
  RBAC_WILDCARD,
  readRoleRef,
  readRules,
  readSubjects,
  ROLE_KIND,
  SUBJECT_KIND,
  type PolicyRule,
  type RoleRef,
  type RuleResolver,
} from '../rbac.ts';
import { findResource, type ResourceInfo } from '../resources.ts';
import { forbidden, invalid, notFound, type StatusCause } from '../status.ts';
import { isRecord, type KubeObject } from '../types.ts';
import { childPath, indexPath, invalidCause, notSupportedCause, requiredCause } from './field.ts';

const ESCALATE_VERB = 'escalate';
const BIND_VERB = 'bind';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_SUBDOMAIN_LENGTH = 253;
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

type RbacKind = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';

function rbacKindOf(info: ResourceInfo): RbacKind | undefined {
  if (info.group !== RBAC_GROUP) return undefined;
  const { resource } = info;
  return resource === 'roles' || resource === 'clusterroles' || resource === 'rolebindings' || resource === 'clusterrolebindings' ? resource : undefined;
}

/** ValidateRBACName: RBAC objects (and role references) may be named `system:masters`. */
export function rbacNameErrors(name: string): string[] {
  return pathSegmentNameErrors(name);
}

function serviceAccountNameErrors(name: string): string[] {
  const errors: string[] = [];
  if (name.length > MAX_SUBDOMAIN_LENGTH) errors.push(`must be no more than ${MAX_SUBDOMAIN_LENGTH} characters`);
  if (!DNS1123_SUBDOMAIN.test(name)) errors.push(SUBDOMAIN_MESSAGE);
  return errors;
}

// ---- validation ----

function ruleCauses(object: KubeObject, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  readRules(object).forEach((rule, index) => {
    const path = indexPath('rules', index);
    if (rule.verbs.length === 0) causes.push(requiredCause(childPath(path, 'verbs'), 'verbs must contain at least one value'));
    if (rule.nonResourceURLs) {
      const urls = childPath(path, 'nonResourceURLs');
      if (namespaced) causes.push(invalidCause(urls, rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
      if (rule.apiGroups || rule.resources || rule.resourceNames) {
        causes.push(invalidCause(urls, rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if (!rule.apiGroups) causes.push(requiredCause(childPath(path, 'apiGroups'), 'resource rules must supply at least one api group'));
    if (!rule.resources) causes.push(requiredCause(childPath(path, 'resources'), 'resource rules must supply at least one resource'));
  });
  return causes;
}

function aggregationCauses(object: KubeObject): StatusCause[] {
  const rule = object.aggregationRule;
  if (rule === undefined || rule === null) return [];
  const selectors = isRecord(rule) && Array.isArray(rule.clusterRoleSelectors) ? rule.clusterRoleSelectors : [];
  if (selectors.length > 0) return [];
  return [requiredCause('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil')];
}

function bindingCauses(object: KubeObject, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const roleRef = readRoleRef(object);
  if (roleRef.apiGroup !== RBAC_GROUP) causes.push(notSupportedCause('roleRef.apiGroup', roleRef.apiGroup, [RBAC_GROUP]));
  const kinds: string[] = namespaced ? [ROLE_KIND.role, ROLE_KIND.clusterRole] : [ROLE_KIND.clusterRole];
  if (!kinds.includes(roleRef.kind)) causes.push(notSupportedCause('roleRef.kind', roleRef.kind, kinds));
  if (roleRef.name === '') causes.push(requiredCause('roleRef.name'));
  else for (const message of rbacNameErrors(roleRef.name)) causes.push(invalidCause('roleRef.name', roleRef.name, message));

  readSubjects(object).forEach((subject, index) => {
    const path = indexPath('subjects', index);
    if (subject.name === '') causes.push(requiredCause(childPath(path, 'name')));
    switch (subject.kind) {
      case SUBJECT_KIND.serviceAccount:
        if (subject.name !== '') for (const message of serviceAccountNameErrors(subject.name)) causes.push(invalidCause(childPath(path, 'name'), subject.name, message));
        if (subject.apiGroup !== undefined) causes.push(notSupportedCause(childPath(path, 'apiGroup'), subject.apiGroup, ['']));
        if (!namespaced && subject.namespace === undefined) causes.push(requiredCause(childPath(path, 'namespace')));
        break;
      case SUBJECT_KIND.user:
      case SUBJECT_KIND.group:
        if (subject.apiGroup !== RBAC_GROUP) causes.push(notSupportedCause(childPath(path, 'apiGroup'), subject.apiGroup ?? '', [RBAC_GROUP]));
        break;
      default:
        causes.push(notSupportedCause(childPath(path, 'kind'), subject.kind, [SUBJECT_KIND.serviceAccount, SUBJECT_KIND.user, SUBJECT_KIND.group]));
    }
  });
  return causes;
}

function roleRefChanged(request: AdmissionRequest): StatusCause[] {
  if (request.operation !== 'UPDATE' || !request.object || !request.oldObject) return [];
  const next = readRoleRef(request.object);
  if (isDeepStrictEqual(next, readRoleRef(request.oldObject))) return [];
  // The bad value is printed from the internal Go struct, which has no JSON names.
  return [invalidCause('roleRef', { APIGroup: next.apiGroup, Kind: next.kind, Name: next.name }, 'cannot change roleRef')];
}

// ---- escalation ----

/** One rule with at most one group, resource, verb and resource name (BreakdownRule). */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const atoms: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) atoms.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        for (const name of names) atoms.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs) atoms.push({ nonResourceURLs: [url], verbs: [verb] });
  return atoms;
}

function hasAll(set: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((item) => (set ?? []).includes(item));
}

function resourcesCover(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  const set = owner ?? [];
  if (set.includes(RBAC_WILDCARD) || hasAll(set, wanted)) return true;
  return (wanted ?? []).every((path) => {
    if (set.includes(path)) return true;
    const slash = path.indexOf('/');
    return slash >= 0 && set.includes(`${RBAC_WILDCARD}/${path.slice(slash + 1)}`);
  });
}

function urlCovers(owner: string, wanted: string): boolean {
  return owner === wanted || (owner.endsWith(RBAC_WILDCARD) && wanted.startsWith(owner.replace(/\*+$/, '')));
}

function ruleCovers(owner: PolicyRule, atom: PolicyRule): boolean {
  const verbs = owner.verbs.includes(RBAC_WILDCARD) || hasAll(owner.verbs, atom.verbs);
  const groups = (owner.apiGroups ?? []).includes(RBAC_WILDCARD) || hasAll(owner.apiGroups, atom.apiGroups);
  const resources = resourcesCover(owner.resources, atom.resources);
  const urls = (atom.nonResourceURLs ?? []).every((url) => (owner.nonResourceURLs ?? []).some((o) => urlCovers(o, url)));
  const ownerNames = owner.resourceNames ?? [];
  const names = (atom.resourceNames ?? []).length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, atom.resourceNames);
  return verbs && groups && resources && urls && names;
}

/** The atoms of `requested` no rule of `owner` covers (validation.Covers); empty when covered. */
export function uncoveredRules(owner: readonly PolicyRule[], requested: readonly PolicyRule[]): PolicyRule[] {
  return requested.flatMap(breakdown).filter((atom) => !owner.some((rule) => ruleCovers(rule, atom)));
}

/** Merges the verbs of rules on the same single group, resource and name (CompactRules). */
function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const simple = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const rule of rules) {
    const isSimple = !rule.nonResourceURLs && rule.apiGroups?.length === 1 && rule.resources?.length === 1 && (rule.resourceNames ?? []).length <= 1;
    if (!isSimple) {
      out.push(rule);
      continue;
    }
    const key = JSON.stringify([rule.apiGroups, rule.resources, rule.resourceNames ?? null]);
    const existing = simple.get(key);
    if (existing) existing.verbs = [...existing.verbs, ...rule.verbs];
    else simple.set(key, { ...rule, verbs: [...rule.verbs] });
  }
  return [...out, ...simple.values()];
}

/** Go's %q of a []string: `["a" "b"]`. */
function quoteList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}

/** rbacv1helpers.CompactString: `{APIGroups:["kubeflow.org"], Resources:["mpijobs"], Verbs:["create"]}`. */
export function compactRuleString(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${quoteList(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${quoteList(rule.resources)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${quoteList(rule.nonResourceURLs)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${quoteList(rule.resourceNames)}`);
  if (rule.verbs.length) parts.push(`Verbs:${quoteList(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

const LISTER_NOT_FOUND = /^(?:cluster)?role\.rbac\.authorization\.k8s\.io (".*") not found$/s;

/**
 * Escalation checks resolve roles through the registry, not the authorizer's caches, and the real
 * server then words a missing Role or ClusterRole alike: `roles.rbac.authorization.k8s.io "x" not found`.
 */
function asRegistryError(message: string): string {
  const match = LISTER_NOT_FOUND.exec(message);
  return match ? `roles.${RBAC_GROUP} ${match[1] ?? '""'} not found` : message;
}

export interface RbacAdmissionOptions {
  /** Answers whether the writer may `escalate` a role or `bind` a role. */
  authorizer: Authorizer;
  /** The writer's own rules, to compare with what they grant. */
  rules: RuleResolver;
}

/** The part of an update the garbage collector makes (IsOnlyMutatingGCFields): never an escalation. */
function onlyGcFieldsChanged(request: AdmissionRequest): boolean {
  if (request.operation !== 'UPDATE' || !request.object || !request.oldObject) return false;
  const { ownerReferences, finalizers } = request.object.metadata;
  const old = { ...request.oldObject, metadata: { ...request.oldObject.metadata, ownerReferences, finalizers } };
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } });
  return isDeepStrictEqual(JSON.parse(JSON.stringify(strip(old))), JSON.parse(JSON.stringify(strip(request.object))));
}

/**
 * The admission plugin for the four RBAC kinds: defaults subjects' apiGroup (mutating), then
 * validates and refuses escalation (validating). Other kinds pass untouched.
 */
export function rbacAdmission(options: RbacAdmissionOptions): AdmissionPlugin {
  const rolesInfo = findResource(RBAC_GROUP, 'v1', 'roles');
  const clusterRolesInfo = findResource(RBAC_GROUP, 'v1', 'clusterroles');
  if (!rolesInfo || !clusterRolesInfo) throw new Error('roles and clusterroles must be served');

  function confirmNoEscalation(request: AdmissionRequest, namespace: string, granted: PolicyRule[]): void {
    const { rules, errors } = options.rules.rulesFor(request.user, namespace);
    const missing = uncoveredRules(rules, granted);
    if (missing.length === 0) return;
    const descriptions = [...new Set(compactRules(missing).map(compactRuleString))].sort();
    let message = `user ${JSON.stringify(request.user.username)} (groups=${quoteList(request.user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join('\n')}`;
    // Upstream prints the one aggregated resolution error inside a Go slice.
    if (errors.length > 0) message += `; resolution errors: [${aggregateMessage(errors.map(asRegistryError))}]`;
    throw forbidden(request.info, request.name, message);
  }

  function allowed(request: AdmissionRequest, verb: string, resource: string, namespace: string, name: string): boolean {
    const answer = options.authorizer.authorize({
      resourceRequest: true,
      user: request.user,
      verb,
      apiGroup: RBAC_GROUP,
      apiVersion: '*',
      resource,
      subresource: '',
      namespace,
      name,
    });
    return answer.decision === DECISION.allow;
  }

  /**
   * The rules of the role a binding refers to. A missing one is a 404 that the real server words
   * as if the binding's own kind were missing, under the role's name.
   */
  function referencedRules(request: AdmissionRequest, roleRef: RoleRef, namespace: string, store: InternalStore): PolicyRule[] {
    const info = roleRef.kind === ROLE_KIND.role ? rolesInfo : clusterRolesInfo;
    const role = info ? store.get(info, roleRef.kind === ROLE_KIND.role ? namespace : undefined, roleRef.name) : undefined;
    if (!role) throw notFound(request.info, roleRef.name);
    return readRules(role);
  }

  return {
    name: 'RBAC',
    mutate(request) {
      const kind = rbacKindOf(request.info);
      if (!kind || !request.object || (kind !== 'rolebindings' && kind !== 'clusterrolebindings')) return undefined;
      const subjects = request.object.subjects;
      if (!Array.isArray(subjects)) return undefined;
      const defaulted = subjects.map((subject: unknown) =>
        isRecord(subject) && (subject.kind === SUBJECT_KIND.user || subject.kind === SUBJECT_KIND.group) && (subject.apiGroup === undefined || subject.apiGroup === '')
          ? { ...subject, apiGroup: RBAC_GROUP }
          : subject,
      );
      return { ...request.object, subjects: defaulted };
    },
    validate(request, store) {
      const kind = rbacKindOf(request.info);
      if (!kind || request.operation === 'DELETE' || !request.object) return;
      const object = request.object;
      const namespaced = kind === 'roles' || kind === 'rolebindings';
      const isRole = kind === 'roles' || kind === 'clusterroles';
      const causes = isRole
        ? [...ruleCauses(object, namespaced), ...(kind === 'clusterroles' ? aggregationCauses(object) : [])]
        : [...bindingCauses(object, namespaced), ...roleRefChanged(request)];
      if (causes.length > 0) throw invalid(request.info.kind, RBAC_GROUP, request.name, causes);

      if (request.user.groups.includes(SYSTEM_MASTERS_GROUP) || onlyGcFieldsChanged(request)) return;
      const namespace = namespaced ? (request.namespace ?? '') : '';
      if (isRole) {
        if (allowed(request, ESCALATE_VERB, request.info.resource, namespace, request.name)) return;
        confirmNoEscalation(request, namespace, readRules(object));
        return;
      }
      const roleRef = readRoleRef(object);
      const roleResource = roleRef.kind === ROLE_KIND.role ? 'roles' : 'clusterroles';
      if (allowed(request, BIND_VERB, roleResource, namespace, roleRef.name)) return;
      confirmNoEscalation(request, namespace, referencedRules(request, roleRef, namespace, store));
    },
  };
}
