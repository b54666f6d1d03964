// A list-then-watch cache over one kind, restartable. client-node's own informer stops for good on
// any error other than 410 (and can leak a watch when stopped during a list), so this one drives
// client-node's Watch itself: relist on 410, re-watch from the last resourceVersion when the
// server closes the stream, and back off and retry after any other failure until stopped.

import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { ListResult } from './client.ts';
import { apiFailure } from './client.ts';
import type { KubeObject } from './objects.ts';
import { TimerSet } from './clock.ts';
import { errorText, type Logger } from './logger.ts';

/** First delay after a failure; doubles on each further failure. */
export const WATCH_RESTART_MIN_MS = 250;
/** The longest pause between attempts. */
export const WATCH_RESTART_MAX_MS = 30_000;
/** A stream the server closes without sending anything this many times in a row is backed off. */
const EMPTY_STREAMS_BEFORE_BACKOFF = 3;

const WATCH_EVENT = { added: 'ADDED', modified: 'MODIFIED', deleted: 'DELETED', bookmark: 'BOOKMARK', error: 'ERROR' } as const;
const HTTP_GONE = 410;

export type InformerEventType = 'add' | 'update' | 'delete';

export interface InformerEvent<T> {
  type: InformerEventType;
  object: T;
  /** The cached state before an update. */
  old?: T;
}

export interface InformerOptions<T extends KubeObject> {
  /** For log lines. */
  name: string;
  kubeConfig: KubeConfig;
  /** Watch path across all namespaces (`/api/v1/pods`). */
  path: string;
  list: () => Promise<ListResult<T>>;
  logger: Logger;
  /** Default WATCH_RESTART_MIN_MS. */
  restartMinMs?: number;
  /** Default WATCH_RESTART_MAX_MS. */
  restartMaxMs?: number;
}

/** What a controller reads from an informer: the cache and its events, not its life cycle. */
export type InformerView<T extends KubeObject> = Pick<Informer<T>, 'get' | 'list' | 'onEvent'>;

type StreamEnd = { kind: 'closed'; events: number } | { kind: 'expired' } | { kind: 'failed'; error: unknown };

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export class Informer<T extends KubeObject> {
  private readonly options: InformerOptions<T>;
  private readonly watch: Watch;
  private readonly cache = new Map<string, T>();
  private readonly handlers = new Set<(event: InformerEvent<T>) => void>();
  private readonly timers = new TimerSet();
  private resourceVersion = '';
  private abort: AbortController | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private synced = false;
  private resolveSynced: () => void = () => {};
  private readonly syncedPromise: Promise<void>;

  constructor(options: InformerOptions<T>) {
    this.options = options;
    this.watch = new Watch(options.kubeConfig);
    this.syncedPromise = new Promise((resolve) => {
      this.resolveSynced = resolve;
    });
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Starts listing and watching; resolves after the first successful list (or on stop). */
  start(): Promise<void> {
    this.loop ??= this.run();
    return Promise.race([this.syncedPromise, this.loop]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.stop();
    this.abort?.abort();
    this.resolveSynced();
    await this.loop;
  }

  /** Handlers run synchronously, in event order, after the cache has been updated. */
  onEvent(handler: (event: InformerEvent<T>) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  get(namespace: string, name: string): T | undefined {
    return this.cache.get(`${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((obj) => (obj.metadata.namespace ?? '') === namespace);
  }

  private emit(event: InformerEvent<T>): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.options.logger.error(`informer ${this.options.name}: event handler failed: ${errorText(err)}`);
      }
    }
  }

  private upsert(obj: T): void {
    const key = keyOf(obj);
    const old = this.cache.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    this.cache.set(key, obj);
    this.emit(old ? { type: 'update', object: obj, old } : { type: 'add', object: obj });
  }

  private remove(obj: T): void {
    const key = keyOf(obj);
    const old = this.cache.get(key);
    if (!old) return;
    this.cache.delete(key);
    this.emit({ type: 'delete', object: obj });
  }

  private replaceAll(items: T[]): void {
    const fresh = new Map(items.map((item) => [keyOf(item), item] as const));
    for (const [key, old] of [...this.cache]) {
      if (!fresh.has(key)) {
        this.cache.delete(key);
        this.emit({ type: 'delete', object: old });
      }
    }
    for (const item of items) this.upsert(item);
  }

  private async run(): Promise<void> {
    const minMs = this.options.restartMinMs ?? WATCH_RESTART_MIN_MS;
    const maxMs = this.options.restartMaxMs ?? WATCH_RESTART_MAX_MS;
    let delayMs = 0;
    let emptyStreams = 0;
    const backOff = async (reason: string, error?: unknown) => {
      delayMs = Math.min(maxMs, delayMs === 0 ? minMs : delayMs * 2);
      if (error !== undefined) {
        this.options.logger.warn(`informer ${this.options.name}: ${reason}: ${apiFailure(error).message}; retrying in ${delayMs} ms`);
      }
      await this.timers.sleep(delayMs);
    };

    while (!this.stopped) {
      if (this.resourceVersion === '') {
        try {
          const result = await this.options.list();
          if (this.stopped) break;
          this.replaceAll(result.items);
          this.resourceVersion = result.resourceVersion;
          if (!this.synced) {
            this.synced = true;
            this.resolveSynced();
          }
        } catch (err) {
          if (this.stopped) break;
          await backOff('list failed', err);
          continue;
        }
      }

      const end = await this.watchOnce();
      if (this.stopped) break;
      if (end.kind === 'expired') {
        this.resourceVersion = '';
        continue;
      }
      if (end.kind === 'failed') {
        const failure = apiFailure(end.error);
        if (failure.code === HTTP_GONE) {
          this.resourceVersion = '';
          continue;
        }
        await backOff('watch failed', end.error);
        continue;
      }
      // A normal close: re-watch from where we are. Only repeated empty streams are slowed down,
      // so a server that closes every watch at once cannot make this spin.
      if (end.events > 0) {
        delayMs = 0;
        emptyStreams = 0;
      } else if (++emptyStreams >= EMPTY_STREAMS_BEFORE_BACKOFF) {
        await backOff('watch keeps closing empty');
      }
    }
  }

  private watchOnce(): Promise<StreamEnd> {
    return new Promise<StreamEnd>((resolve) => {
      let events = 0;
      let expired = false;
      let settled = false;
      const finish = (end: StreamEnd) => {
        if (settled) return;
        settled = true;
        this.abort = undefined;
        resolve(end);
      };
      const onEvent = (type: string, object: unknown) => {
        if (this.stopped) return;
        if (type === WATCH_EVENT.error) {
          const code = (object as { code?: unknown } | null)?.code;
          if (code === HTTP_GONE) expired = true;
          return;
        }
        const obj = object as T;
        const rv = obj?.metadata?.resourceVersion;
        events++;
        if (type === WATCH_EVENT.added || type === WATCH_EVENT.modified) this.upsert(obj);
        else if (type === WATCH_EVENT.deleted) this.remove(obj);
        if (typeof rv === 'string' && rv !== '') this.resourceVersion = rv;
      };
      const onDone = (err: unknown) => {
        if (expired) finish({ kind: 'expired' });
        else if (err && !this.stopped && !isTimeout(err)) finish({ kind: 'failed', error: err });
        else finish({ kind: 'closed', events });
      };
      this.watch
        .watch(this.options.path, { resourceVersion: this.resourceVersion, allowWatchBookmarks: true }, onEvent, onDone)
        .then((controller) => {
          if (settled) return;
          this.abort = controller;
          if (this.stopped) controller.abort();
        })
        .catch((err: unknown) => finish({ kind: 'failed', error: err }));
    });
  }
}

/** client-node ends a quiet watch after its inactivity timeout; that is a normal re-watch. */
function isTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'name' in err && err.name === 'TimeoutError';
}
