// One hub per watched kind: it takes every change of the kind's shared cache (fed by the one
// informer per kind and scope), numbers it, keeps a bounded history of changes so a client that
// reconnects with a cursor gets what it missed, and fans each change out to the subscribers
// whose scope (namespace, job) it falls in. No subscriber ever causes a Kubernetes request.
//
// When the informer had to relist (its watch expired), changes may have been lost between the
// old watch and the new list: the hub records a RESYNC, which tells clients to refetch. A cursor
// older than the history, or from another gateway process, also gets a RESYNC.

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CacheChange, ObjectCache } from './cache.ts';
import type { KubeObject } from './objects.ts';
import { SubscriberQueue } from './subscriber-queue.ts';

export const CHANGE_TYPE = {
  added: 'ADDED',
  modified: 'MODIFIED',
  deleted: 'DELETED',
  resync: 'RESYNC',
} as const;

export type HubChangeType = (typeof CHANGE_TYPE)[keyof typeof CHANGE_TYPE];

/** Changes kept per kind for cursors; an older cursor gets a RESYNC. */
export const HUB_HISTORY_SIZE = 1_000;

export interface HubEvent<T> {
  type: HubChangeType;
  /** The object after the change (its last known state for DELETED); undefined for RESYNC. */
  object: T | undefined;
  /** The object's namespace; for RESYNC the namespace that relisted, undefined for all. */
  namespace: string | undefined;
  /** The MPIJob the object belongs to, when it belongs to one. */
  job: string | undefined;
  /** Position in the hub's sequence; strictly increasing. */
  seq: number;
  /** Opaque, for `after`: every change after this one is replayed. */
  cursor: string;
  /** When the gateway saw the change (ms since the epoch). */
  atMs: number;
}

/** Which changes a subscriber wants: all, one namespace, or one job of a namespace. */
export interface HubScope {
  namespace?: string | undefined;
  /** Needs `namespace`. */
  job?: string | undefined;
}

export interface HubSubscribeOptions<T> {
  scope: HubScope;
  /** Per-object check on top of the scope (authorization); RESYNC events always pass. */
  accept?: (object: T) => boolean;
  /** A cursor from an earlier event of this hub: replay every change after it first. */
  after?: string | undefined;
  /** Events held for a consumer that is behind; one more ends it with `overflowError`. */
  capacity: number;
  overflowError: () => Error;
}

/** A cursor that is not one of this kind's cursors at all (as opposed to an old one). */
export class InvalidCursorError extends Error {}

export interface ChangeHubOptions<T extends KubeObject> {
  /** Names the kind in cursors and logs (`mpijobs`); a cursor of another kind is refused. */
  kind: string;
  cache: ObjectCache<T>;
  /** The MPIJob an object belongs to, for job-scoped subscribers. */
  jobOf: (object: T) => string | undefined;
  logger: Logger;
  /** Default HUB_HISTORY_SIZE. */
  historySize?: number;
  /** Default Date.now. */
  now?: () => number;
  /**
   * Identifies this hub's sequence in cursors; default a random value per process, so a cursor
   * from before a restart (or from another replica) is recognised as unknown and gets a RESYNC.
   */
  epoch?: string;
}

interface Member<T> {
  scope: { namespace: string | undefined; job: string | undefined };
  accept: ((object: T) => boolean) | undefined;
  deliver: (event: HubEvent<T>) => void;
  queue: SubscriberQueue<HubEvent<T>> | undefined;
}

const ALL_BUCKET = '*';

function bucketOf(namespace: string | undefined, job: string | undefined): string {
  if (namespace === undefined) return ALL_BUCKET;
  return job === undefined ? `${namespace}/` : `${namespace}/${job}`;
}

const CHANGE_TYPES: Record<CacheChange<unknown>['type'], HubChangeType> = {
  added: CHANGE_TYPE.added,
  updated: CHANGE_TYPE.modified,
  deleted: CHANGE_TYPE.deleted,
};

export interface HubStats {
  kind: string;
  /** Subscription queues (clients) attached. */
  subscribers: number;
  /** In-process listeners attached (log followers). */
  listeners: number;
  /** Last sequence number given out. */
  seq: number;
  history: number;
  lastEventAtMs: number | undefined;
  /** Subscribers ended because they fell behind. */
  overflows: number;
}

export class ChangeHub<T extends KubeObject> {
  readonly kind: string;
  private readonly jobOf: (object: T) => string | undefined;
  private readonly logger: Logger;
  private readonly historySize: number;
  private readonly now: () => number;
  private readonly epoch: string;
  private readonly history: Array<HubEvent<T> | undefined>;
  private readonly buckets = new Map<string, Set<Member<T>>>();
  private readonly unsubscribeCache: () => void;
  private seq = 0;
  private lastEventAtMs: number | undefined;
  private queues = 0;
  private listeners = 0;
  private overflows = 0;
  private stopped = false;

  constructor(options: ChangeHubOptions<T>) {
    this.kind = options.kind;
    this.jobOf = options.jobOf;
    this.logger = options.logger;
    this.historySize = Math.max(1, options.historySize ?? HUB_HISTORY_SIZE);
    this.now = options.now ?? Date.now;
    this.epoch = options.epoch ?? randomBytes(6).toString('base64url');
    this.history = new Array<HubEvent<T> | undefined>(this.historySize);
    this.unsubscribeCache = options.cache.onChange((change) => this.onChange(change));
  }

  /** The cursor of the latest change: subscribing with it as `after` misses nothing from now on. */
  get headCursor(): string {
    return this.cursorOf(this.seq);
  }

  stats(): HubStats {
    return {
      kind: this.kind,
      subscribers: this.queues,
      listeners: this.listeners,
      seq: this.seq,
      history: Math.min(this.seq, this.historySize),
      lastEventAtMs: this.lastEventAtMs,
      overflows: this.overflows,
    };
  }

  /**
   * A subscriber's queue of events, starting with the replay after `after` when given. Throws
   * InvalidCursorError for a cursor that is not this kind's. Iterate it with `iterator()`;
   * returning from the iterator detaches the subscriber.
   */
  subscribe(options: HubSubscribeOptions<T>): SubscriberQueue<HubEvent<T>> {
    const after = options.after === undefined ? undefined : this.parseCursor(options.after);
    const scope = { namespace: options.scope.namespace, job: options.scope.namespace === undefined ? undefined : options.scope.job };
    let detach = (): void => undefined;
    const queue = new SubscriberQueue<HubEvent<T>>({
      capacity: options.capacity,
      overflowError: () => {
        this.overflows += 1;
        return options.overflowError();
      },
      onClose: () => detach(),
    });
    if (this.stopped) {
      queue.end();
      return queue;
    }
    if (after !== undefined) queue.preload(this.replay(after, scope, options.accept));
    const member: Member<T> = { scope, accept: options.accept, deliver: (event) => queue.push(event), queue };
    detach = this.attach(member);
    return queue;
  }

  /** Calls `listener` synchronously for every change in scope; returns the detach function. */
  listen(scope: HubScope, listener: (event: HubEvent<T>) => void): () => void {
    const member: Member<T> = {
      scope: { namespace: scope.namespace, job: scope.namespace === undefined ? undefined : scope.job },
      accept: undefined,
      deliver: listener,
      queue: undefined,
    };
    return this.attach(member);
  }

  /** Records that changes may have been missed in `namespace` (undefined: everywhere). */
  resync(namespace: string | undefined): void {
    if (this.stopped) return;
    this.publish({ type: CHANGE_TYPE.resync, object: undefined, namespace, job: undefined });
  }

  /** Ends every subscriber (they complete normally) and detaches from the cache. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribeCache();
    for (const bucket of [...this.buckets.values()]) {
      for (const member of [...bucket]) member.queue?.end();
    }
    this.buckets.clear();
  }

  private attach(member: Member<T>): () => void {
    const key = bucketOf(member.scope.namespace, member.scope.job);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(key, bucket);
    }
    bucket.add(member);
    if (member.queue) this.queues += 1;
    else this.listeners += 1;
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      const current = this.buckets.get(key);
      if (current?.delete(member)) {
        if (member.queue) this.queues -= 1;
        else this.listeners -= 1;
        if (current.size === 0) this.buckets.delete(key);
      }
    };
  }

  private onChange(change: CacheChange<T>): void {
    const object = change.object;
    const namespace = object.metadata.namespace ?? '';
    let job: string | undefined;
    try {
      job = this.jobOf(object);
    } catch (error) {
      this.logger.error({ err: error, kind: this.kind }, 'could not tell which job an object belongs to');
    }
    this.publish({ type: CHANGE_TYPES[change.type], object, namespace, job });
  }

  private publish(change: Pick<HubEvent<T>, 'type' | 'object' | 'namespace' | 'job'>): void {
    this.seq += 1;
    const atMs = this.now();
    this.lastEventAtMs = atMs;
    const event: HubEvent<T> = { ...change, seq: this.seq, cursor: this.cursorOf(this.seq), atMs };
    this.history[this.seq % this.historySize] = event;
    if (event.type === CHANGE_TYPE.resync) {
      for (const bucket of [...this.buckets.values()]) {
        for (const member of [...bucket]) if (this.inScope(member.scope, event)) this.deliver(member, event);
      }
      return;
    }
    const keys = [ALL_BUCKET, bucketOf(event.namespace, undefined)];
    if (event.job !== undefined) keys.push(bucketOf(event.namespace, event.job));
    for (const key of keys) {
      const bucket = this.buckets.get(key);
      if (!bucket) continue;
      // A delivery can detach members (an overflowing queue closes): iterate a snapshot.
      for (const member of [...bucket]) this.deliver(member, event);
    }
  }

  private deliver(member: Member<T>, event: HubEvent<T>): void {
    try {
      if (event.object !== undefined && member.accept && !member.accept(event.object)) return;
      member.deliver(event);
    } catch (error) {
      this.logger.error({ err: error, kind: this.kind }, 'a change listener failed');
    }
  }

  private inScope(scope: Member<T>['scope'], event: HubEvent<T>): boolean {
    if (scope.namespace === undefined) return true;
    if (event.type === CHANGE_TYPE.resync) return event.namespace === undefined || event.namespace === scope.namespace;
    if (event.namespace !== scope.namespace) return false;
    return scope.job === undefined || scope.job === event.job;
  }

  /** Events after `after` in scope, or a single RESYNC when they are no longer all known. */
  private replay(after: { epoch: string; seq: number }, scope: Member<T>['scope'], accept: ((object: T) => boolean) | undefined): HubEvent<T>[] {
    const oldest = Math.max(1, this.seq - this.historySize + 1);
    const known = after.epoch === this.epoch && after.seq <= this.seq && after.seq >= oldest - 1;
    if (!known) {
      return [{ type: CHANGE_TYPE.resync, object: undefined, namespace: scope.namespace, job: undefined, seq: this.seq, cursor: this.headCursor, atMs: this.now() }];
    }
    const out: HubEvent<T>[] = [];
    for (let seq = after.seq + 1; seq <= this.seq; seq++) {
      const event = this.history[seq % this.historySize];
      if (!event || event.seq !== seq || !this.inScope(scope, event)) continue;
      if (event.object !== undefined && accept && !accept(event.object)) continue;
      out.push(event);
    }
    return out;
  }

  private cursorOf(seq: number): string {
    return Buffer.from(`${this.kind}:${this.epoch}:${seq}`).toString('base64url');
  }

  private parseCursor(cursor: string): { epoch: string; seq: number } {
    const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
    const [kind, epoch, seqText] = parts;
    const seq = Number(seqText);
    if (parts.length !== 3 || kind !== this.kind || !epoch || !Number.isSafeInteger(seq) || seq < 0) {
      throw new InvalidCursorError(`not a cursor of ${this.kind} changes`);
    }
    return { epoch, seq };
  }
}
