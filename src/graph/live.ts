// What live subscriptions are served from: the change hubs of the watched kinds, the shared log
// streams, the watches' status, and the per-subscriber limits; plus the one way a subscription
// field turns a hub into a stream of payloads (scope checked, every event filtered for the
// viewer, one payload object per change whoever receives it).

import type { Logger } from 'pino';
import { BadUserInputError, ForbiddenError, SlowConsumerError } from '../errors.ts';
import type { ObjectCache } from '../kube/cache.ts';
import { InvalidCursorError, type ChangeHub, type HubEvent } from '../kube/hub.ts';
import { createClusterHubs, resyncOnRelist, stopClusterHubs, type ClusterHubs } from '../kube/hubs.ts';
import type { InformerEvent, InformerStatus } from '../kube/informers.ts';
import { LogStreams } from '../kube/log-streams.ts';
import type { KubeObject, PodObject } from '../kube/objects.ts';
import type { LogSource } from '../kube/pod-log-source.ts';
import type { ClusterCaches } from '../kube/watched.ts';
import { STATUS_QUEUE_CAPACITY, StatusFeed } from '../status/feed.ts';
import { gatewayStatusModel } from '../status/model.ts';
import type { ReadableKind } from '../viewer/viewer.ts';
import { requireSynced, type GraphContext } from './context.ts';

/** Change events held for a subscriber that is behind before it is ended as too slow. */
export const EVENT_QUEUE_CAPACITY = 1_000;
/** Log lines held for a `jobLogs` subscriber that is behind before it is ended as too slow. */
export const LOG_QUEUE_LINES = 10_000;

export interface LiveLimits {
  /** Default EVENT_QUEUE_CAPACITY. */
  eventQueue: number;
  /** Default LOG_QUEUE_LINES. */
  logQueueLines: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = { eventQueue: EVENT_QUEUE_CAPACITY, logQueueLines: LOG_QUEUE_LINES };

/** The informers' side of `gatewayStatus`. */
export interface WatchStatusSource {
  statuses(): InformerStatus[];
  onEvent(listener: (event: InformerEvent) => void): () => void;
}

export interface LiveServices {
  hubs: ClusterHubs;
  logs: LogStreams;
  watches: WatchStatusSource;
  status: StatusFeed;
  limits: LiveLimits;
  /** Ends every subscription's source (hubs, log streams, status) and detaches from the caches. */
  stop(): void;
}

export interface LiveServiceOptions {
  caches: ClusterCaches;
  watches: WatchStatusSource;
  logSource: LogSource;
  logger: Logger;
  /** Default DEFAULT_LIVE_LIMITS. */
  limits?: Partial<LiveLimits>;
  /** Changes kept per kind for cursors; default HUB_HISTORY_SIZE. */
  historySize?: number;
  /** Default Date.now. */
  now?: () => number;
}

export function createLiveServices(options: LiveServiceOptions): LiveServices {
  const hubs = createClusterHubs({ caches: options.caches, logger: options.logger.child({ component: 'hubs' }), historySize: options.historySize });
  const pods: ObjectCache<PodObject> = options.caches.pods;
  const logs = new LogStreams({ source: options.logSource, pods, logger: options.logger.child({ component: 'log-streams' }) });
  const status = new StatusFeed({
    watches: options.watches,
    status: (nowMs) => gatewayStatusModel(options.watches.statuses(), hubs, nowMs),
    now: options.now,
    overflowError: () => slowConsumerError('status updates', STATUS_QUEUE_CAPACITY),
  });
  const stopResync = options.watches.onEvent(resyncOnRelist(hubs));
  return {
    hubs,
    logs,
    watches: options.watches,
    status,
    limits: { ...DEFAULT_LIVE_LIMITS, ...options.limits },
    stop: () => {
      stopResync();
      status.stop();
      stopClusterHubs(hubs);
      logs.stop();
    },
  };
}

export function slowConsumerError(what: string, capacity: number): SlowConsumerError {
  return new SlowConsumerError(
    `this subscription fell more than ${capacity} ${what} behind and was ended; subscribe again (with \`after\` where the field has it) to catch up`,
  );
}

/** Maps an async iterator; `return` reaches the source, so leaving detaches the subscriber. */
export function mapIterator<T, R>(source: AsyncIterableIterator<T>, map: (value: T) => R): AsyncIterableIterator<R> {
  const iterator: AsyncIterableIterator<R> = {
    next: async () => {
      const result = await source.next();
      return result.done ? { done: true, value: undefined } : { done: false, value: map(result.value) };
    },
    return: async () => {
      await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

export interface ChangeArguments {
  namespace?: string | null | undefined;
  job?: string | null | undefined;
  after?: string | null | undefined;
}

/**
 * Subscribes to a hub for a subscription field: checks the arguments (a job needs its
 * namespace, the namespace must be served and readable), filters every change for the viewer,
 * and maps each change to the field's root payload once for all subscribers (`payloadOf` is
 * memoised per event, which lets the WebSocket server share one execution among subscribers
 * that asked the same).
 */
export function subscribeChanges<T extends KubeObject, P>(
  context: GraphContext,
  options: {
    hub: ChangeHub<T>;
    kind: ReadableKind;
    args: ChangeArguments;
    /** Argument names, for error paths. */
    argumentNames: { namespace: string; job: string };
    payloadOf: (event: HubEvent<T>) => P;
  },
): AsyncIterableIterator<P> {
  requireSynced(context);
  const { viewer, services } = context;
  const namespace = options.args.namespace ?? undefined;
  const job = options.args.job ?? undefined;
  if (job !== undefined && namespace === undefined) {
    throw new BadUserInputError(`${options.argumentNames.job} needs ${options.argumentNames.namespace}`, [
      { path: [options.argumentNames.job], message: `give ${options.argumentNames.namespace} too` },
    ]);
  }
  if (namespace !== undefined) {
    if (!services.scope.includes(namespace)) {
      throw new BadUserInputError(`namespace "${namespace}" is not served by this gateway`, [{ path: [options.argumentNames.namespace], message: 'not a watched namespace' }]);
    }
    if (!viewer.canRead(namespace, options.kind)) throw new ForbiddenError(`you may not read ${options.kind} in namespace "${namespace}"`);
  }
  const capacity = services.live.limits.eventQueue;
  try {
    const queue = options.hub.subscribe({
      scope: { namespace, job },
      accept: (object) => {
        const ns = object.metadata.namespace ?? '';
        return services.scope.includes(ns) && viewer.canRead(ns, options.kind);
      },
      after: options.args.after ?? undefined,
      capacity,
      overflowError: () => slowConsumerError('changes', capacity),
    });
    return mapIterator(queue.iterator(), options.payloadOf);
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new BadUserInputError(`after: ${error.message}`, [{ path: ['after'], message: error.message }]);
    throw error;
  }
}

/** Payloads made once per change for every subscriber: their executions may be shared. */
const sharedPayloads = new WeakSet<object>();

/** Whether every subscriber that gets `payload` gets this very object (see memoisePayload). */
export function isSharedPayload(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && sharedPayloads.has(payload);
}

/** One payload object per hub event, whoever receives it. */
export function memoisePayload<E extends object, P extends object>(build: (event: E) => P): (event: E) => P {
  const payloads = new WeakMap<E, P>();
  return (event) => {
    let payload = payloads.get(event);
    if (payload === undefined) {
      payload = build(event);
      payloads.set(event, payload);
      sharedPayloads.add(payload);
    }
    return payload;
  };
}
