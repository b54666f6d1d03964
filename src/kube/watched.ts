// The kinds the gateway watches, with the indexes its loaders read: pods by MPIJob, events by
// the object they are about, everything by namespace.

import type { ObjectCache } from './cache.ts';
import type { InformerRegistry } from './informers.ts';
import { LABEL_JOB_NAME, MPIJOB_GROUP, MPIJOB_PLURAL, MPIJOB_VERSION } from './labels.ts';
import type { EventObject, MPIJobObject, NamespaceObject, PodObject, ResourceQuotaObject } from './objects.ts';

export const INDEX_POD_BY_JOB = 'job';
export const INDEX_EVENT_BY_OBJECT = 'involvedObject';

export function podJobKey(namespace: string, jobName: string): string {
  return `${namespace}/${jobName}`;
}

export function eventObjectKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}

export interface ClusterCaches {
  mpiJobs: ObjectCache<MPIJobObject>;
  /** Only pods labelled with an MPIJob name: the launcher and worker pods. */
  pods: ObjectCache<PodObject>;
  events: ObjectCache<EventObject>;
  namespaces: ObjectCache<NamespaceObject>;
  quotas: ObjectCache<ResourceQuotaObject>;
}

const CORE = '/api/v1';

export function registerWatchedKinds(registry: InformerRegistry): ClusterCaches {
  return {
    mpiJobs: registry.register<MPIJobObject>({
      resource: MPIJOB_PLURAL,
      apiPrefix: `/apis/${MPIJOB_GROUP}/${MPIJOB_VERSION}`,
      namespaced: true,
    }),
    pods: registry.register<PodObject>({
      resource: 'pods',
      apiPrefix: CORE,
      namespaced: true,
      // Existence selector: the gateway never needs pods that belong to no MPIJob.
      labelSelector: LABEL_JOB_NAME,
      indexers: {
        [INDEX_POD_BY_JOB]: (pod) => {
          const job = pod.metadata.labels?.[LABEL_JOB_NAME];
          return job ? [podJobKey(pod.metadata.namespace ?? '', job)] : [];
        },
      },
    }),
    events: registry.register<EventObject>({
      resource: 'events',
      apiPrefix: CORE,
      namespaced: true,
      indexers: {
        [INDEX_EVENT_BY_OBJECT]: (event) => {
          const ref = event.involvedObject;
          if (!ref?.name || !ref.kind) return [];
          return [eventObjectKey(ref.namespace ?? event.metadata.namespace ?? '', ref.kind, ref.name)];
        },
      },
    }),
    namespaces: registry.register<NamespaceObject>({ resource: 'namespaces', apiPrefix: CORE, namespaced: false }),
    quotas: registry.register<ResourceQuotaObject>({ resource: 'resourcequotas', apiPrefix: CORE, namespaced: true }),
  };
}
