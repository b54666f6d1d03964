// What every resolver gets: the viewer, per-request loaders over the shared caches, and the
// services for writes. A context is built per HTTP request (and, with subscriptions, per event).

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { KubernetesUnavailableError } from '../errors.ts';
import { EventLoaders } from '../event/loaders.ts';
import type { ClusterCaches } from '../kube/watched.ts';
import { MpiJobLoaders } from '../mpijob/loaders.ts';
import type { MpiJobService, NamespaceScope } from '../mpijob/service.ts';
import { QuotaLoaders } from '../quota/loaders.ts';
import type { Viewer } from '../viewer/viewer.ts';
import { PodLoaders } from '../worker/loaders.ts';
import type { LiveServices } from './live.ts';

export interface GraphServices {
  caches: ClusterCaches;
  mpiJobs: MpiJobService;
  scope: NamespaceScope;
  /** True once every informer has done its first list. */
  isReady(): boolean;
  /** Milliseconds since the epoch; a parameter so tests can fix the clock. */
  now(): number;
  /** What subscriptions are served from: change hubs, shared log streams, watch status. */
  live: LiveServices;
}

export interface Loaders {
  mpiJobs: MpiJobLoaders;
  pods: PodLoaders;
  events: EventLoaders;
  quotas: QuotaLoaders;
}

/** Where a request came from, for the audit log and for log lines. */
export interface RequestInfo {
  /** Unique per HTTP request or WebSocket subscription. */
  id: string;
  /** The peer's address, as the socket reports it. */
  sourceAddress: string | undefined;
}

export interface GraphContext {
  viewer: Viewer;
  request: RequestInfo;
  services: GraphServices;
  loaders: Loaders;
  /** One clock reading per request, so every duration in an answer agrees. */
  nowMs: number;
  logger: Logger;
}

/** `request` defaults to a fresh id and no address (in-process callers). */
export function createGraphContext(services: GraphServices, viewer: Viewer, logger: Logger, request?: RequestInfo): GraphContext {
  const { caches } = services;
  return {
    viewer,
    request: request ?? { id: randomUUID(), sourceAddress: undefined },
    services,
    logger,
    nowMs: services.now(),
    loaders: {
      mpiJobs: new MpiJobLoaders(caches.mpiJobs, viewer),
      pods: new PodLoaders(caches.pods, viewer),
      events: new EventLoaders(caches.events, viewer),
      quotas: new QuotaLoaders(caches.namespaces, caches.quotas, viewer),
    },
  };
}

/**
 * Root fields call this first: before the first list an empty cache would look like "no jobs",
 * which is a wrong answer rather than an unavailable one.
 */
export function requireSynced(context: GraphContext): void {
  if (!context.services.isReady()) {
    throw new KubernetesUnavailableError('the gateway has not finished loading its watch caches yet; retry shortly');
  }
}
