// The change hubs of the kinds that have live subscriptions (MPIJobs, their pods, events), over
// the shared caches, with the rule that tells which job an object belongs to, and the relists
// of the informers turned into RESYNCs.

import type { Logger } from 'pino';
import type { ObjectCache } from './cache.ts';
import { ChangeHub } from './hub.ts';
import type { InformerEvent } from './informers.ts';
import { KIND_JOB, KIND_POD, LABEL_JOB_NAME, MPIJOB_KIND, MPIJOB_PLURAL } from './labels.ts';
import type { EventObject, MPIJobObject, PodObject } from './objects.ts';
import type { ClusterCaches } from './watched.ts';

/** The operator names the launcher's batch Job `<job>-launcher`. */
const LAUNCHER_JOB_SUFFIX = '-launcher';
/** Pod names the operator and the Job controller give: `<job>-worker-<i>`, `<job>-launcher-<5 chars>`. */
const WORKER_POD_NAME = /^(.+)-worker-\d+$/;
const LAUNCHER_POD_NAME = /^(.+)-launcher-[a-z0-9]{5}$/;

export interface ClusterHubs {
  mpiJobs: ChangeHub<MPIJobObject>;
  pods: ChangeHub<PodObject>;
  events: ChangeHub<EventObject>;
}

export interface ClusterHubOptions {
  caches: Pick<ClusterCaches, 'mpiJobs' | 'pods' | 'events'>;
  logger: Logger;
  /** Changes kept per kind for cursors; default HUB_HISTORY_SIZE. */
  historySize?: number;
}

/**
 * The job an event is about: the MPIJob itself, its launcher Job, or one of its pods (by the
 * pod's job label, or by the names the operator gives when the pod is not in the cache).
 */
export function jobOfEvent(event: EventObject, pods: ObjectCache<PodObject>): string | undefined {
  const ref = event.involvedObject;
  const name = ref?.name;
  if (!ref || !name) return undefined;
  switch (ref.kind) {
    case MPIJOB_KIND:
      return name;
    case KIND_JOB:
      return name.endsWith(LAUNCHER_JOB_SUFFIX) ? name.slice(0, -LAUNCHER_JOB_SUFFIX.length) : undefined;
    case KIND_POD: {
      const pod = pods.get(ref.namespace ?? event.metadata.namespace, name);
      const label = pod?.metadata.labels?.[LABEL_JOB_NAME];
      if (label) return label;
      return WORKER_POD_NAME.exec(name)?.[1] ?? LAUNCHER_POD_NAME.exec(name)?.[1];
    }
    default:
      return undefined;
  }
}

export function createClusterHubs(options: ClusterHubOptions): ClusterHubs {
  const { caches, logger, historySize } = options;
  return {
    mpiJobs: new ChangeHub<MPIJobObject>({ kind: MPIJOB_PLURAL, cache: caches.mpiJobs, jobOf: (job) => job.metadata.name, logger, historySize }),
    pods: new ChangeHub<PodObject>({ kind: 'pods', cache: caches.pods, jobOf: (pod) => pod.metadata.labels?.[LABEL_JOB_NAME], logger, historySize }),
    events: new ChangeHub<EventObject>({ kind: 'events', cache: caches.events, jobOf: (event) => jobOfEvent(event, caches.pods), logger, historySize }),
  };
}

/** Turns an informer's relist into a RESYNC of the hub of its kind (and namespace, when it has one). */
export function resyncOnRelist(hubs: ClusterHubs): (event: InformerEvent) => void {
  const byResource = new Map<string, ChangeHub<MPIJobObject> | ChangeHub<PodObject> | ChangeHub<EventObject>>([
    [hubs.mpiJobs.kind, hubs.mpiJobs],
    [hubs.pods.kind, hubs.pods],
    [hubs.events.kind, hubs.events],
  ]);
  return (event) => {
    if (event.type !== 'list' || !event.relist) return;
    byResource.get(event.status.resource)?.resync(event.status.namespace === '' ? undefined : event.status.namespace);
  };
}

export function stopClusterHubs(hubs: ClusterHubs): void {
  hubs.mpiJobs.stop();
  hubs.pods.stop();
  hubs.events.stop();
}
