// Effective requests and limits of a pod, computed as the scheduler and quota admission do:
// a container's request defaults to its limit; a pod needs the sum of its containers or the
// largest init container, whichever is more.

import type { Container, PodSpec } from '../kube/objects.ts';
import {
  addResourceLists,
  formatQuantity,
  max,
  parseResourceList,
  scaleResourceList,
  toNumber,
  ZERO,
  type Quantity,
} from './quantity.ts';

export interface ResourceTotals {
  requests: Map<string, Quantity>;
  limits: Map<string, Quantity>;
}

export interface ResourceQuantityModel {
  name: string;
  quantity: string;
  value: number;
}

export interface ResourcesModel {
  requests: ResourceQuantityModel[];
  limits: ResourceQuantityModel[];
}

export const EMPTY_TOTALS: ResourceTotals = { requests: new Map(), limits: new Map() };

export function containerResources(container: Container | undefined): ResourceTotals {
  const limits = parseResourceList(container?.resources?.limits);
  const requests = parseResourceList(container?.resources?.requests);
  for (const [name, limit] of limits) {
    if (!requests.has(name)) requests.set(name, limit);
  }
  return { requests, limits };
}

function maxLists(a: Map<string, Quantity>, b: Map<string, Quantity>): Map<string, Quantity> {
  const out = new Map(a);
  for (const [name, value] of b) out.set(name, max(out.get(name) ?? ZERO, value));
  return out;
}

export function addTotals(a: ResourceTotals, b: ResourceTotals): ResourceTotals {
  return { requests: addResourceLists(a.requests, b.requests), limits: addResourceLists(a.limits, b.limits) };
}

export function scaleTotals(totals: ResourceTotals, factor: number): ResourceTotals {
  return { requests: scaleResourceList(totals.requests, factor), limits: scaleResourceList(totals.limits, factor) };
}

export function podResources(spec: PodSpec | undefined): ResourceTotals {
  let sum: ResourceTotals = { requests: new Map(), limits: new Map() };
  for (const container of spec?.containers ?? []) sum = addTotals(sum, containerResources(container));
  for (const init of spec?.initContainers ?? []) {
    const own = containerResources(init);
    sum = { requests: maxLists(sum.requests, own.requests), limits: maxLists(sum.limits, own.limits) };
  }
  return sum;
}

function toQuantities(list: Map<string, Quantity>): ResourceQuantityModel[] {
  return [...list.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, q]) => ({ name, quantity: formatQuantity(q), value: toNumber(q) }));
}

export function toResourcesModel(totals: ResourceTotals): ResourcesModel {
  return { requests: toQuantities(totals.requests), limits: toQuantities(totals.limits) };
}

export function toQuantityModels(list: Record<string, string | number> | undefined): ResourceQuantityModel[] {
  return toQuantities(parseResourceList(list));
}
