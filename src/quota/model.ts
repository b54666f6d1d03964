// Namespaces, their ResourceQuotas, and what an MPIJob would consume of them. An MPIJob with N
// workers runs N+1 pods and has the operator create one Service, ConfigMap, Secret and launcher
// Job; quota admission counts each of those, so the pre-submit check counts them too.

import type { NamespaceObject, ResourceQuotaObject } from '../kube/objects.ts';
import { QUOTA_COUNT_MPIJOBS } from '../kube/labels.ts';
import { toLabelList, type LabelModel } from '../graph/labels.ts';
import type { ConnectionModel, EdgeModel } from '../graph/connection.ts';
import { toGlobalId } from '../node/global-id.ts';
import type { ResourceTotals } from './pod-resources.ts';
import {
  add,
  compare,
  formatQuantity,
  parseResourceList,
  quantity,
  subtract,
  toNumber,
  ZERO,
  type Quantity,
} from './quantity.ts';

export interface NamespaceModel {
  readonly typename: 'Namespace';
  object: NamespaceObject;
  id: string;
  name: string;
  phase: string | null;
  labels: LabelModel[];
  createdAt: string | null;
}

export type NamespaceConnectionModel = ConnectionModel<NamespaceModel>;
export type NamespaceEdgeModel = EdgeModel<NamespaceModel>;

export interface QuotaResourceModel {
  name: string;
  hard: string;
  used: string;
  remaining: string;
  usedFraction: number;
}

export interface QuotaModel {
  readonly typename: 'ResourceQuota';
  object: ResourceQuotaObject;
  id: string;
  name: string;
  namespace: string;
  resources: QuotaResourceModel[];
}

export interface QuotaCheckModel {
  quota: string;
  resource: string;
  requested: string;
  used: string;
  hard: string;
  after: string;
  exceeded: boolean;
}

export interface QuotaShortfallModel {
  quota: string;
  resource: string;
  requested: string;
  used: string;
  hard: string;
  shortfall: string;
}

export interface QuotaMissingModel {
  quota: string;
  /** The quota key (`limits.cpu`). */
  resource: string;
  /** Which pod template lacks it (the name given in `podTemplates`). */
  template: string;
  /** Where the pod would have to declare it: `limits` and `cpu`. */
  list: 'requests' | 'limits';
  name: string;
}

export function toNamespaceModel(object: NamespaceObject): NamespaceModel {
  const name = object.metadata.name ?? '';
  return {
    typename: 'Namespace',
    object,
    id: toGlobalId('Namespace', '', name),
    name,
    phase: object.status?.phase ?? null,
    labels: toLabelList(object.metadata.labels),
    createdAt: object.metadata.creationTimestamp ?? null,
  };
}

function hardOf(object: ResourceQuotaObject): Map<string, Quantity> {
  // status.hard is what the quota controller enforces; spec.hard before it has synced.
  return parseResourceList(object.status?.hard ?? object.spec?.hard);
}

function usedOf(object: ResourceQuotaObject): Map<string, Quantity> {
  return parseResourceList(object.status?.used);
}

/** Show a computed amount in the suffix family of the quota's limit (memory stays in `Gi`). */
function like(reference: Quantity, nano: bigint): string {
  return formatQuantity(quantity(nano, reference.format));
}

export function toQuotaModel(object: ResourceQuotaObject): QuotaModel {
  const hard = hardOf(object);
  const used = usedOf(object);
  const name = object.metadata.name ?? '';
  const namespace = object.metadata.namespace ?? '';
  const resources = [...hard.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resource, limit]) => {
      const current = used.get(resource) ?? ZERO;
      const remaining = limit.nano - current.nano;
      return {
        name: resource,
        hard: formatQuantity(limit),
        used: like(limit, current.nano),
        remaining: like(limit, remaining > 0n ? remaining : 0n),
        usedFraction: limit.nano === 0n ? 0 : toNumber(current) / toNumber(limit),
      };
    });
  return { typename: 'ResourceQuota', object, id: toGlobalId('ResourceQuota', namespace, name), name, namespace, resources };
}

/** Compute resources whose `requests.` amount has a bare alias in quotas (`cpu` = `requests.cpu`). */
const BARE_ALIASES = new Set(['cpu', 'memory', 'ephemeral-storage']);
/** Resources quota tracks under `limits.` as well as `requests.`. */
const LIMITED_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** Objects the operator creates per MPIJob, under every quota key that counts them. */
const OBJECTS_PER_JOB: Record<string, number> = {
  [QUOTA_COUNT_MPIJOBS]: 1,
  'count/jobs.batch': 1,
  services: 1,
  'count/services': 1,
  configmaps: 1,
  'count/configmaps': 1,
  secrets: 1,
  'count/secrets': 1,
};

/** The quota keys an MPIJob with these pods would add to, and by how much. */
export function jobDemand(totals: ResourceTotals, podCount: number): Map<string, Quantity> {
  const demand = new Map<string, Quantity>();
  const bump = (key: string, value: Quantity): void => {
    demand.set(key, add(demand.get(key) ?? ZERO, value));
  };
  for (const [name, value] of totals.requests) {
    bump(`requests.${name}`, value);
    if (BARE_ALIASES.has(name) || name.startsWith('hugepages-')) bump(name, value);
  }
  for (const [name, value] of totals.limits) {
    if (LIMITED_RESOURCES.has(name)) bump(`limits.${name}`, value);
  }
  const pods = quantity(BigInt(podCount) * 1_000_000_000n);
  bump('pods', pods);
  bump('count/pods', pods);
  for (const [key, count] of Object.entries(OBJECTS_PER_JOB)) bump(key, quantity(BigInt(count) * 1_000_000_000n));
  return demand;
}

/**
 * Quotas with scopes (BestEffort, Terminating, PriorityClass ...) apply to a subset of pods that
 * the gateway does not model; only unscoped quotas take part in the pre-submit check.
 */
function applies(quota: ResourceQuotaObject): boolean {
  return (quota.spec?.scopes ?? []).length === 0;
}

export interface QuotaEvaluation {
  checks: QuotaCheckModel[];
  shortfall: QuotaShortfallModel[];
}

export function evaluateQuotas(quotas: readonly ResourceQuotaObject[], demand: Map<string, Quantity>): QuotaEvaluation {
  const checks: QuotaCheckModel[] = [];
  const shortfall: QuotaShortfallModel[] = [];
  const sorted = [...quotas].filter(applies).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const quota of sorted) {
    const name = quota.metadata.name ?? '';
    const hard = hardOf(quota);
    const used = usedOf(quota);
    for (const [resource, limit] of [...hard.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const requested = demand.get(resource);
      if (!requested || requested.nano === 0n) continue;
      const current = used.get(resource) ?? ZERO;
      const after = add(current, requested);
      const exceeded = compare(after, limit) > 0;
      checks.push({
        quota: name,
        resource,
        requested: like(limit, requested.nano),
        used: like(limit, current.nano),
        hard: formatQuantity(limit),
        after: like(limit, after.nano),
        exceeded,
      });
      if (exceeded) {
        shortfall.push({
          quota: name,
          resource,
          requested: like(limit, requested.nano),
          used: like(limit, current.nano),
          hard: formatQuantity(limit),
          shortfall: like(limit, subtract(after, limit).nano),
        });
      }
    }
  }
  return { checks, shortfall };
}

/** Quota keys for which admission requires every container to declare the resource. */
const DECLARATION_REQUIRED = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/**
 * Quota admission refuses a pod with a container that does not declare CPU or memory a quota
 * limits ("failed quota: q: must specify limits.cpu"). `podTemplates` are the effective
 * resources of each container of the job's pods, named by the caller.
 */
export function missingQuotaResources(
  quotas: readonly ResourceQuotaObject[],
  podTemplates: ReadonlyArray<{ name: string; totals: ResourceTotals }>,
): QuotaMissingModel[] {
  const missing: QuotaMissingModel[] = [];
  for (const quota of quotas.filter(applies)) {
    for (const resource of hardOf(quota).keys()) {
      if (!DECLARATION_REQUIRED.has(resource)) continue;
      const prefixed = /^(requests|limits)\.(.+)$/.exec(resource);
      const list = prefixed?.[1] === 'limits' ? 'limits' : 'requests';
      const name = prefixed?.[2] ?? resource;
      for (const template of podTemplates) {
        if (!template.totals[list].has(name)) {
          missing.push({ quota: quota.metadata.name ?? '', resource, template: template.name, list, name });
        }
      }
    }
  }
  return missing;
}

/** `exceeded quota: q, requested: a=1,b=2, used: ..., limited: ...`, as quota admission words it. */
export function shortfallMessage(shortfall: readonly QuotaShortfallModel[]): string {
  const byQuota = new Map<string, QuotaShortfallModel[]>();
  for (const s of shortfall) byQuota.set(s.quota, [...(byQuota.get(s.quota) ?? []), s]);
  const parts = [...byQuota.entries()].map(([quota, items]) => {
    const list = (pick: (s: QuotaShortfallModel) => string): string => items.map((s) => `${s.resource}=${pick(s)}`).join(',');
    return `exceeded quota: ${quota}, requested: ${list((s) => s.requested)}, used: ${list((s) => s.used)}, limited: ${list((s) => s.hard)}`;
  });
  return parts.join('; ');
}
