// What every simulated controller shares: the API client, the informer caches (one per kind, as
// client-go's shared informer factory gives), the event recorder, simulated time and randomness.

import type { ClusterClient } from './client.ts';
import type { SimClock } from './clock.ts';
import type { EventRecorder } from './events.ts';
import type { Informer } from './informer.ts';
import type { Logger } from './logger.ts';
import type { ConfigMap, Job, MPIJob, Node, Pod, Secret, Service } from './objects.ts';
import type { Random } from './random.ts';

export interface SharedInformers {
  mpiJobs: Informer<MPIJob>;
  jobs: Informer<Job>;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  configMaps: Informer<ConfigMap>;
  services: Informer<Service>;
  secrets: Informer<Secret>;
}

export interface ControllerContext {
  client: ClusterClient;
  informers: SharedInformers;
  recorder: EventRecorder;
  clock: SimClock;
  /**
   * A generator for one purpose (`pod/team-a/pi-worker-0/0`): derived from the cluster's seed and
   * the label only, so what one pod draws does not depend on what happened before it.
   */
  randomFor(label: string): Random;
  logger: Logger;
}

/** A started controller; `stop` ends its queue and timers. */
export interface RunningController {
  stop(): Promise<void>;
}
