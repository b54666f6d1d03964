// core/v1 Events, recorded the way client-go's event recorder does: a repeat of the same event
// (same object, type, reason, message and source) is not a new object but bumps `count` and
// `lastTimestamp` of the first one, which is what `kubectl describe` shows as "(x5 over 2m)".
// Recording never blocks or fails the caller; write errors are logged.

import type { ClusterClient } from './client.ts';
import { apiFailure, isNotFound } from './client.ts';
import type { CoreEvent, KubeObject, ObjectReference } from './objects.ts';
import { rfc3339 } from './objects.ts';
import type { Logger } from './logger.ts';

export const EVENT_TYPE = { normal: 'Normal', warning: 'Warning' } as const;
export type EventType = (typeof EVENT_TYPE)[keyof typeof EVENT_TYPE];

/** The API server refuses longer messages; client-go truncates to this. */
export const EVENT_MESSAGE_LIMIT = 1024;
/** Aggregation memory: the oldest keys are forgotten past this many. */
const MAX_REMEMBERED_EVENTS = 5_000;
/** Events about cluster-scoped objects (Nodes) live here, as on a real cluster. */
const CLUSTER_SCOPED_EVENT_NAMESPACE = 'default';

export interface EventSource {
  component: string;
  host?: string;
}

export function truncateEventMessage(message: string): string {
  if (message.length <= EVENT_MESSAGE_LIMIT) return message;
  const suffix = '...';
  return message.slice(0, EVENT_MESSAGE_LIMIT - suffix.length) + suffix;
}

/** A reference to `obj` for `involvedObject`; list items may lack kind/apiVersion, so they are given. */
export function objectRef(obj: KubeObject, apiVersion: string, kind: string, fieldPath?: string): ObjectReference {
  return {
    kind,
    apiVersion,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
    ...(fieldPath ? { fieldPath } : {}),
  };
}

interface Remembered {
  namespace: string;
  name: string;
  count: number;
  firstTimestamp: string;
}

export interface EventRecorderOptions {
  client: ClusterClient;
  logger: Logger;
  /** Real wall clock; default Date.now. */
  now?: () => number;
}

export class EventRecorder {
  private readonly client: ClusterClient;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly seen = new Map<string, Remembered>();
  private readonly chains = new Map<string, Promise<void>>();
  private sequence = 0n;
  private stopped = false;

  constructor(options: EventRecorderOptions) {
    this.client = options.client;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  record(involved: ObjectReference, type: EventType, reason: string, message: string, source: EventSource): void {
    if (this.stopped) return;
    const text = truncateEventMessage(message);
    const key = [involved.uid ?? `${involved.namespace}/${involved.name}`, type, reason, text, source.component, source.host ?? ''].join('\u0000');
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.write(key, involved, type, reason, text, source));
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** Waits for the writes already requested, then refuses new ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.chains.values()]);
  }

  private eventName(objectName: string): string {
    // client-go names events `<object>.<unix nanos in hex>`; the sequence keeps names unique
    // when two events are recorded in the same millisecond.
    const nanos = BigInt(this.now()) * 1_000_000n + (this.sequence++ % 1_000_000n);
    return `${objectName}.${nanos.toString(16)}`;
  }

  private async write(key: string, involved: ObjectReference, type: EventType, reason: string, message: string, source: EventSource): Promise<void> {
    const timestamp = rfc3339(this.now());
    const remembered = this.seen.get(key);
    try {
      if (remembered) {
        const count = remembered.count + 1;
        try {
          await this.client.patchEvent(remembered.namespace, remembered.name, { count, lastTimestamp: timestamp });
          remembered.count = count;
          return;
        } catch (err) {
          // The first event was deleted (TTL, namespace gone): start counting afresh.
          if (!isNotFound(err)) throw err;
          this.seen.delete(key);
        }
      }
      const namespace = involved.namespace || CLUSTER_SCOPED_EVENT_NAMESPACE;
      const event: CoreEvent = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: this.eventName(involved.name ?? 'unknown'), namespace },
        involvedObject: involved,
        reason,
        message,
        source: source.host ? { component: source.component, host: source.host } : { component: source.component },
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
        type,
        reportingComponent: source.component,
        reportingInstance: source.host ?? '',
      };
      const created = await this.client.createEvent(namespace, event);
      this.remember(key, { namespace, name: created.metadata.name ?? event.metadata.name ?? '', count: 1, firstTimestamp: timestamp });
    } catch (err) {
      const failure = apiFailure(err);
      this.logger.warn(`event ${reason} on ${involved.kind ?? ''} ${involved.namespace ?? ''}/${involved.name ?? ''} not recorded: ${failure.message}`);
    }
  }

  private remember(key: string, value: Remembered): void {
    this.seen.set(key, value);
    if (this.seen.size > MAX_REMEMBERED_EVENTS) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }
}
