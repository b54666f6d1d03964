// Per-request MPIJob reads from the shared watch cache, filtered for the viewer. DataLoader gives
// each request one consistent view of an object however many fields ask for it.

import DataLoader from 'dataloader';
import type { ObjectCache } from '../kube/cache.ts';
import type { MPIJobObject } from '../kube/objects.ts';
import { matchesLabels, type Requirement } from '../kube/label-selector.ts';
import { compareKeys, type SortKey } from '../graph/connection.ts';
import type { Viewer } from '../viewer/viewer.ts';
import { toMpiJobModel, type MPIJobPhase, type MpiJobModel } from './model.ts';

export type MpiJobOrderField = 'NAME' | 'NAMESPACE' | 'CREATED_AT';
export type OrderDirection = 'ASC' | 'DESC';

export interface MpiJobFilter {
  namespace?: string | null;
  phases?: readonly MPIJobPhase[] | null;
  labelSelector?: readonly Requirement[];
  search?: string | null;
  orderBy?: { field: MpiJobOrderField; direction: OrderDirection } | null;
}

export const DEFAULT_ORDER = { field: 'CREATED_AT', direction: 'DESC' } as const;

export function jobKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The sort key of a job under an order: the ordered field, then namespace and name for ties. */
export function jobSortKey(job: MpiJobModel, field: MpiJobOrderField): SortKey {
  switch (field) {
    case 'NAME':
      return [job.name, job.namespace];
    case 'NAMESPACE':
      return [job.namespace, job.name];
    case 'CREATED_AT':
      return [job.createdAt ?? '', job.namespace, job.name];
  }
}

export function jobKeyComparator(direction: OrderDirection): (a: SortKey, b: SortKey) => number {
  return direction === 'ASC' ? compareKeys : (a, b) => compareKeys(b, a);
}

export class MpiJobLoaders {
  private readonly cache: ObjectCache<MPIJobObject>;
  private readonly viewer: Viewer;
  readonly byKey: DataLoader<string, MpiJobModel | null>;

  constructor(cache: ObjectCache<MPIJobObject>, viewer: Viewer) {
    this.cache = cache;
    this.viewer = viewer;
    this.byKey = new DataLoader(async (keys) =>
      keys.map((key) => {
        const slash = key.indexOf('/');
        const namespace = key.slice(0, slash);
        if (!viewer.canRead(namespace)) return null;
        const object = cache.get(namespace, key.slice(slash + 1));
        return object ? toMpiJobModel(object) : null;
      }),
    );
  }

  load(namespace: string, name: string): Promise<MpiJobModel | null> {
    return this.byKey.load(jobKey(namespace, name));
  }

  /** Jobs matching the filter, sorted; every job read is also primed into `byKey`. */
  list(filter: MpiJobFilter): MpiJobModel[] {
    const namespace = filter.namespace ?? undefined;
    if (namespace !== undefined && !this.viewer.canRead(namespace)) return [];
    const search = filter.search?.trim().toLowerCase() ?? '';
    const phases = filter.phases && filter.phases.length > 0 ? new Set(filter.phases) : undefined;
    const order = filter.orderBy ?? DEFAULT_ORDER;
    const out: Array<{ job: MpiJobModel; key: SortKey }> = [];
    for (const object of this.cache.list(namespace)) {
      const ns = object.metadata.namespace ?? '';
      if (namespace === undefined && !this.viewer.canRead(ns)) continue;
      if (filter.labelSelector && !matchesLabels(filter.labelSelector, object.metadata.labels)) continue;
      const job = toMpiJobModel(object);
      if (phases && !phases.has(job.phase)) continue;
      if (search && !job.name.toLowerCase().includes(search) && !job.namespace.toLowerCase().includes(search) && !(job.queue ?? '').toLowerCase().includes(search)) {
        continue;
      }
      this.byKey.prime(jobKey(job.namespace, job.name), job);
      out.push({ job, key: jobSortKey(job, order.field) });
    }
    const compare = jobKeyComparator(order.direction);
    out.sort((a, b) => compare(a.key, b.key));
    return out.map((e) => e.job);
  }
}
