// ResourceQuota, as the real API server enforces it (the ResourceQuota admission plugin and the
// quota controller): what a new object would add to each quota of its namespace, refused with
// 403 `exceeded quota: ...` when it would go over; `failed quota: ...: must specify ...` when a
// quota limits cpu or memory and a container does not declare it. Usage is computed from the
// store at admission time rather than read from `status.used`, so it is never stale; the status
// controller below keeps `status` current for readers (kubectl describe quota, the gateway).

import type { AdmissionPlugin, AdmissionRequest, InternalStore, StoreChange } from '../admission.ts';
import { RESOURCES, qualifiedResource, type ResourceInfo } from '../resources.ts';
import { forbidden } from '../status.ts';
import { isRecord, type KubeObject } from '../types.ts';
import {
  addQuantities,
  compareQuantities,
  formatQuantity,
  isZeroQuantity,
  maxQuantity,
  parseQuantity,
  tryParseQuantity,
  zeroQuantity,
  type Quantity,
} from './quantity.ts';

type ResourceList = Map<string, Quantity>;

/** What one object adds to a count, or one pod to `pods`. */
const ONE: Quantity = parseQuantity('1');

/** Quota keys, as corev1.ResourceName spells them. */
const RESOURCE_NAME = {
  pods: 'pods',
  cpu: 'cpu',
  memory: 'memory',
  ephemeralStorage: 'ephemeral-storage',
  requestsCpu: 'requests.cpu',
  requestsMemory: 'requests.memory',
  requestsEphemeralStorage: 'requests.ephemeral-storage',
  limitsCpu: 'limits.cpu',
  limitsMemory: 'limits.memory',
  limitsEphemeralStorage: 'limits.ephemeral-storage',
} as const;

const OBJECT_COUNT_PREFIX = 'count/';
const REQUESTS_PREFIX = 'requests.';
const HUGEPAGES_PREFIX = 'hugepages-';
const REQUESTS_HUGEPAGES_PREFIX = `${REQUESTS_PREFIX}${HUGEPAGES_PREFIX}`;
const NATIVE_RESOURCE_DOMAIN = 'kubernetes.io/';
const POD_COUNT_KEY = `${OBJECT_COUNT_PREFIX}pods`;

/** The keys the pod evaluator owns besides the hugepages and extended ones. */
const POD_RESOURCE_KEYS = new Set<string>([POD_COUNT_KEY, ...Object.values(RESOURCE_NAME)]);

/**
 * Quotas on these keys oblige every container to declare them: a historical coupling the real
 * server keeps for cpu and memory only.
 */
const DECLARATION_REQUIRED_KEYS = new Set<string>([
  RESOURCE_NAME.cpu,
  RESOURCE_NAME.memory,
  RESOURCE_NAME.requestsCpu,
  RESOURCE_NAME.requestsMemory,
  RESOURCE_NAME.limitsCpu,
  RESOURCE_NAME.limitsMemory,
]);

/** Object counts that also have a bare, pre-`count/` key. */
const LEGACY_COUNT_RESOURCES = new Set(['configmaps', 'secrets', 'services', 'resourcequotas']);

const POD_PHASE_SUCCEEDED = 'Succeeded';
const POD_PHASE_FAILED = 'Failed';
const CONTAINER_RESTART_POLICY_ALWAYS = 'Always';

const QUOTA_SCOPE = {
  terminating: 'Terminating',
  notTerminating: 'NotTerminating',
  bestEffort: 'BestEffort',
  notBestEffort: 'NotBestEffort',
  priorityClass: 'PriorityClass',
  crossNamespacePodAffinity: 'CrossNamespacePodAffinity',
} as const;

const SCOPE_OPERATOR = { in: 'In', notIn: 'NotIn', exists: 'Exists', doesNotExist: 'DoesNotExist' } as const;

function coreResource(resource: string): ResourceInfo {
  const info = RESOURCES.find((r) => r.group === '' && r.resource === resource);
  if (!info) throw new Error(`the emulator does not serve ${resource}`);
  return info;
}

const POD_INFO = coreResource('pods');
const QUOTA_INFO = coreResource('resourcequotas');

function isPods(info: Pick<ResourceInfo, 'group' | 'resource'>): boolean {
  return info.group === '' && info.resource === POD_INFO.resource;
}

function isQuotas(info: Pick<ResourceInfo, 'group' | 'resource'>): boolean {
  return info.group === '' && info.resource === QUOTA_INFO.resource;
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

// ---- which evaluator owns a quota key ----

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes(NATIVE_RESOURCE_DOMAIN);
}

/** Extended resources (GPUs) overcommit nothing, so quota takes only their `requests.` form. */
function isExtendedRequestKey(key: string): boolean {
  return key.startsWith(REQUESTS_PREFIX) && !isNativeResource(key);
}

function isPodKey(key: string): boolean {
  return POD_RESOURCE_KEYS.has(key) || key.startsWith(HUGEPAGES_PREFIX) || key.startsWith(REQUESTS_HUGEPAGES_PREFIX) || isExtendedRequestKey(key);
}

/** The keys that count objects of a kind: `count/<resource>[.<group>]`, plus the legacy bare name. */
function objectCountKeys(info: ResourceInfo): string[] {
  const keys = [`${OBJECT_COUNT_PREFIX}${qualifiedResource(info)}`];
  if (info.group === '' && LEGACY_COUNT_RESOURCES.has(info.resource)) keys.push(info.resource);
  return keys;
}

/** The namespaced kind a non-pod key counts, if the emulator serves it. */
function countedKind(key: string): ResourceInfo | undefined {
  if (isPodKey(key)) return undefined;
  return RESOURCES.find((info) => info.namespaced && !isPods(info) && objectCountKeys(info).includes(key));
}

function keyDependsOn(key: string, info: ResourceInfo): boolean {
  if (isPods(info)) return isPodKey(key);
  return objectCountKeys(info).includes(key);
}

// ---- pod usage (resourcehelper.PodRequests / PodLimits and the pod evaluator) ----

function resourceList(value: unknown): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, raw] of Object.entries(record(value))) {
    const quantity = tryParseQuantity(raw);
    if (quantity) out.set(name, quantity);
  }
  return out;
}

interface ContainerResources {
  name: string;
  requests: ResourceList;
  limits: ResourceList;
  restartPolicy: string | undefined;
}

/** A container's resources after API defaulting: a limit with no request also sets the request. */
function containerResources(container: unknown): ContainerResources {
  const spec = record(container);
  const resources = record(spec.resources);
  const requests = resourceList(resources.requests);
  const limits = resourceList(resources.limits);
  for (const [name, limit] of limits) if (!requests.has(name)) requests.set(name, limit);
  return {
    name: typeof spec.name === 'string' ? spec.name : '',
    requests,
    limits,
    restartPolicy: typeof spec.restartPolicy === 'string' ? spec.restartPolicy : undefined,
  };
}

function addInto(total: ResourceList, addition: ResourceList): void {
  for (const [name, quantity] of addition) {
    const current = total.get(name);
    total.set(name, current ? addQuantities(current, quantity) : quantity);
  }
}

function maxInto(total: ResourceList, other: ResourceList): void {
  for (const [name, quantity] of other) {
    const current = total.get(name);
    total.set(name, current ? maxQuantity(current, quantity) : quantity);
  }
}

function sumLists(...lists: ResourceList[]): ResourceList {
  const total: ResourceList = new Map();
  for (const item of lists) addInto(total, item);
  return total;
}

/**
 * What the pod reserves: its containers together, or its heaviest init step if that is more.
 * Sidecars (init containers that restart Always) keep running, so they add to both.
 */
function podTotal(spec: Record<string, unknown>, pick: (c: ContainerResources) => ResourceList): ResourceList {
  const total = sumLists(...list(spec.containers).map((c) => pick(containerResources(c))));
  const sidecars: ResourceList = new Map();
  const initPeak: ResourceList = new Map();
  for (const raw of list(spec.initContainers)) {
    const container = containerResources(raw);
    const own = pick(container);
    if (container.restartPolicy === CONTAINER_RESTART_POLICY_ALWAYS) {
      addInto(total, own);
      addInto(sidecars, own);
      maxInto(initPeak, sidecars);
    } else {
      maxInto(initPeak, sumLists(own, sidecars));
    }
  }
  maxInto(total, initPeak);
  addInto(total, resourceList(spec.overhead));
  return total;
}

/** The quota keys a set of requests and limits charges (podComputeUsageHelper). */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const usage: ResourceList = new Map([[RESOURCE_NAME.pods, ONE]]);
  const pairs = [
    [RESOURCE_NAME.cpu, RESOURCE_NAME.requestsCpu, RESOURCE_NAME.limitsCpu],
    [RESOURCE_NAME.memory, RESOURCE_NAME.requestsMemory, RESOURCE_NAME.limitsMemory],
    [RESOURCE_NAME.ephemeralStorage, RESOURCE_NAME.requestsEphemeralStorage, RESOURCE_NAME.limitsEphemeralStorage],
  ] as const;
  for (const [name, requestsKey, limitsKey] of pairs) {
    const request = requests.get(name);
    if (request) {
      usage.set(name, request);
      usage.set(requestsKey, request);
    }
    const limit = limits.get(name);
    if (limit) usage.set(limitsKey, limit);
  }
  for (const [name, request] of requests) {
    if (name.startsWith(HUGEPAGES_PREFIX)) {
      usage.set(name, request);
      usage.set(`${REQUESTS_PREFIX}${name}`, request);
    } else if (!isNativeResource(name) && !name.startsWith(REQUESTS_PREFIX)) {
      usage.set(`${REQUESTS_PREFIX}${name}`, request);
    }
  }
  return usage;
}

function podPhase(pod: KubeObject): unknown {
  return record(pod.status).phase;
}

/** Terminal pods hold no compute resources; `count/pods` still counts every stored pod. */
function podUsage(pod: KubeObject): ResourceList {
  const usage: ResourceList = new Map([[POD_COUNT_KEY, ONE]]);
  const phase = podPhase(pod);
  if (phase === POD_PHASE_SUCCEEDED || phase === POD_PHASE_FAILED) return usage;
  const spec = record(pod.spec);
  const compute = computeUsage(podTotal(spec, (c) => c.requests), podTotal(spec, (c) => c.limits));
  for (const [name, quantity] of compute) usage.set(name, quantity);
  return usage;
}

/** The cpu/memory keys a quota requires that some container leaves out, with those containers. */
function missingDeclarations(pod: KubeObject, quotaKeys: readonly string[]): string | undefined {
  const required = quotaKeys.filter((key) => DECLARATION_REQUIRED_KEYS.has(key));
  if (required.length === 0) return undefined;
  const spec = record(pod.spec);
  const missing = new Map<string, Set<string>>();
  for (const raw of [...list(spec.containers), ...list(spec.initContainers)]) {
    const container = containerResources(raw);
    const declared = computeUsage(container.requests, container.limits);
    for (const key of required) {
      if (declared.has(key)) continue;
      const names = missing.get(key) ?? new Set<string>();
      names.add(container.name);
      missing.set(key, names);
    }
  }
  if (missing.size === 0) return undefined;
  return [...missing.keys()]
    .sort()
    .map((key) => `${key} for: ${[...(missing.get(key) ?? [])].sort().join(',')}`)
    .join('; ');
}

// ---- quota scopes ----

interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values: string[];
}

function quotaScopes(quota: KubeObject): ScopeRequirement[] {
  const spec = record(quota.spec);
  const scopes: ScopeRequirement[] = list(spec.scopes)
    .filter((scope): scope is string => typeof scope === 'string')
    .map((scopeName) => ({ scopeName, operator: SCOPE_OPERATOR.exists, values: [] }));
  for (const raw of list(record(spec.scopeSelector).matchExpressions)) {
    const expression = record(raw);
    scopes.push({
      scopeName: typeof expression.scopeName === 'string' ? expression.scopeName : '',
      operator: typeof expression.operator === 'string' ? expression.operator : '',
      values: list(expression.values).filter((v): v is string => typeof v === 'string'),
    });
  }
  return scopes;
}

function isBestEffort(spec: Record<string, unknown>): boolean {
  return [...list(spec.containers), ...list(spec.initContainers)].every((raw) => {
    const container = containerResources(raw);
    return [container.requests, container.limits].every((resources) =>
      [RESOURCE_NAME.cpu, RESOURCE_NAME.memory].every((name) => {
        const quantity = resources.get(name);
        return !quantity || quantity.nanos <= 0n;
      }),
    );
  });
}

function usesCrossNamespaceAffinity(spec: Record<string, unknown>): boolean {
  const affinity = record(spec.affinity);
  return [affinity.podAffinity, affinity.podAntiAffinity].some((raw) => {
    const terms = record(raw);
    const required = list(terms.requiredDuringSchedulingIgnoredDuringExecution);
    const preferred = list(terms.preferredDuringSchedulingIgnoredDuringExecution).map((w) => record(w).podAffinityTerm);
    return [...required, ...preferred].some((term) => {
      const t = record(term);
      return list(t.namespaces).length > 0 || isRecord(t.namespaceSelector);
    });
  });
}

function priorityClassMatches(priorityClass: string, requirement: ScopeRequirement): boolean {
  const present = priorityClass !== '';
  switch (requirement.operator) {
    case SCOPE_OPERATOR.exists:
      return present;
    case SCOPE_OPERATOR.doesNotExist:
      return !present;
    case SCOPE_OPERATOR.in:
      return present && requirement.values.includes(priorityClass);
    case SCOPE_OPERATOR.notIn:
      return !present || !requirement.values.includes(priorityClass);
    default:
      return false;
  }
}

function podMatchesScope(pod: KubeObject, requirement: ScopeRequirement): boolean {
  const spec = record(pod.spec);
  const deadline = spec.activeDeadlineSeconds;
  const terminating = typeof deadline === 'number' && deadline >= 0;
  switch (requirement.scopeName) {
    case QUOTA_SCOPE.terminating:
      return terminating;
    case QUOTA_SCOPE.notTerminating:
      return !terminating;
    case QUOTA_SCOPE.bestEffort:
      return isBestEffort(spec);
    case QUOTA_SCOPE.notBestEffort:
      return !isBestEffort(spec);
    case QUOTA_SCOPE.priorityClass:
      return priorityClassMatches(typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '', requirement);
    case QUOTA_SCOPE.crossNamespacePodAffinity:
      return usesCrossNamespaceAffinity(spec);
    default:
      return false;
  }
}

/** Scopes select pods only: a scoped quota never counts any other kind. */
function quotaCovers(quota: KubeObject, info: ResourceInfo, object: KubeObject): boolean {
  const scopes = quotaScopes(quota);
  if (scopes.length === 0) return true;
  return isPods(info) && scopes.every((scope) => podMatchesScope(object, scope));
}

// ---- usage of a quota ----

function quotaHard(quota: KubeObject): ResourceList {
  return resourceList(record(quota.spec).hard);
}

function usageOf(info: ResourceInfo, object: KubeObject): ResourceList {
  if (isPods(info)) return podUsage(object);
  return new Map(objectCountKeys(info).map((key) => [key, ONE]));
}

/** Used amounts of every key of the quota the emulator can evaluate, from what is stored now. */
function computeUsed(store: InternalStore, namespace: string, quota: KubeObject, hard: ResourceList): ResourceList {
  const used: ResourceList = new Map();
  const kinds = new Set<ResourceInfo>();
  for (const key of hard.keys()) {
    const kind = isPodKey(key) ? POD_INFO : countedKind(key);
    if (!kind) continue;
    used.set(key, zeroQuantity());
    kinds.add(kind);
  }
  for (const kind of kinds) {
    for (const object of store.list(kind, namespace)) {
      if (!quotaCovers(quota, kind, object)) continue;
      for (const [key, quantity] of usageOf(kind, object)) {
        const current = used.get(key);
        if (current) used.set(key, addQuantities(current, quantity));
      }
    }
  }
  return used;
}

function printList(resources: ResourceList, keys: readonly string[]): string {
  return keys
    .filter((key) => resources.has(key))
    .map((key) => `${key}=${formatQuantity(resources.get(key) ?? zeroQuantity())}`)
    .join(',');
}

function quotasIn(store: InternalStore, namespace: string): KubeObject[] {
  return store
    .list(QUOTA_INFO, namespace)
    .slice()
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

function checkCreate(request: AdmissionRequest & { object: KubeObject; namespace: string }, store: InternalStore): void {
  const { info, object, namespace } = request;
  const name = request.name || object.metadata.name || undefined;
  const relevant: Array<{ quota: KubeObject; hard: ResourceList }> = [];
  for (const quota of quotasIn(store, namespace)) {
    const hard = quotaHard(quota);
    const keys = [...hard.keys()].filter((key) => keyDependsOn(key, info));
    if (keys.length === 0 || !quotaCovers(quota, info, object)) continue;
    if (isPods(info)) {
      const missing = missingDeclarations(object, keys);
      if (missing) throw forbidden(info, name, `failed quota: ${quota.metadata.name ?? ''}: must specify ${missing}`);
    }
    relevant.push({ quota, hard });
  }
  if (relevant.length === 0) return;

  const delta = new Map([...usageOf(info, object)].filter(([, quantity]) => !isZeroQuantity(quantity)));
  for (const { quota, hard } of relevant) {
    const requested = new Map([...delta].filter(([key]) => hard.has(key)));
    if (requested.size === 0) continue;
    const used = computeUsed(store, namespace, quota, hard);
    const exceeded: string[] = [];
    for (const [key, quantity] of requested) {
      const limit = hard.get(key);
      const after = addQuantities(used.get(key) ?? zeroQuantity(), quantity);
      if (limit && compareQuantities(after, limit) > 0) exceeded.push(key);
    }
    if (exceeded.length === 0) continue;
    exceeded.sort();
    throw forbidden(
      info,
      name,
      `exceeded quota: ${quota.metadata.name ?? ''}, requested: ${printList(requested, exceeded)}, used: ${printList(used, exceeded)}, limited: ${printList(hard, exceeded)}`,
    );
  }
}

/** Canonical quantities in `spec.hard`, as the real server stores them (`0.5` reads back `500m`). */
function canonicalHard(hard: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(record(hard))) {
    const quantity = tryParseQuantity(raw);
    out[key] = quantity ? formatQuantity(quantity) : raw;
  }
  return out;
}

/**
 * The ResourceQuota plugin. Mutating: canonical `spec.hard` on quota writes. Validating: every
 * CREATE in a namespace with quotas (not subresources, not updates: object counts and pod
 * resources only change on create, since pod resources are immutable here).
 */
export const quotaAdmission: AdmissionPlugin = {
  name: 'ResourceQuota',
  mutate(request) {
    const object = request.object;
    if (!object || request.subresource !== undefined || request.operation === 'DELETE' || !isQuotas(request.info)) return undefined;
    const spec = record(object.spec);
    if (!isRecord(spec.hard)) return undefined;
    return { ...object, spec: { ...spec, hard: canonicalHard(spec.hard) } };
  },
  validate(request, store) {
    const { object, namespace } = request;
    if (request.operation !== 'CREATE' || request.subresource !== undefined || !object || !namespace) return;
    checkCreate({ ...request, object, namespace }, store);
  },
};

// ---- status controller ----

function sortedRecord(resources: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [...resources.keys()].sort()) out[key] = formatQuantity(resources.get(key) ?? zeroQuantity());
  return out;
}

function sameStrings(current: unknown, next: Record<string, string>): boolean {
  const have = record(current);
  const keys = Object.keys(next);
  return Object.keys(have).length === keys.length && keys.every((key) => have[key] === next[key]);
}

function syncQuota(store: InternalStore, quota: KubeObject): void {
  const namespace = quota.metadata.namespace;
  const name = quota.metadata.name;
  if (!namespace || !name) return;
  const hard = quotaHard(quota);
  const status = {
    hard: sortedRecord(hard),
    used: sortedRecord(computeUsed(store, namespace, quota, hard)),
  };
  const current = record(quota.status);
  // Writing the status is itself a change of the quota; writing only real differences ends the loop.
  if (sameStrings(current.hard, status.hard) && sameStrings(current.used, status.used)) return;
  store.writeStatus(QUOTA_INFO, namespace, name, status);
}

function affectsQuota(quota: KubeObject, info: ResourceInfo): boolean {
  return [...quotaHard(quota).keys()].some((key) => keyDependsOn(key, info));
}

/**
 * Keeps every ResourceQuota's `status.hard` (= spec.hard) and `status.used` current: once at
 * start, then after each change of a quota or of a kind one of its namespace's quotas counts.
 * Returns the function that stops it.
 */
export function startQuotaStatusController(store: InternalStore): () => void {
  for (const quota of store.list(QUOTA_INFO)) syncQuota(store, quota);
  return store.onChange((change: StoreChange) => {
    const namespace = change.object.metadata.namespace;
    if (!namespace) return;
    if (isQuotas(change.info)) {
      if (change.type === 'DELETED') return;
      const quota = store.get(QUOTA_INFO, namespace, change.object.metadata.name ?? '');
      if (quota) syncQuota(store, quota);
      return;
    }
    for (const quota of quotasIn(store, namespace)) {
      if (affectsQuota(quota, change.info)) syncQuota(store, quota);
    }
  });
}
