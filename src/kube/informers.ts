// One list-and-watch per (kind, scope), with an explicit life cycle: the registry starts them,
// restarts them with backoff after any error (client-node's ListWatch stops for good on
// anything but a 410), lets ListWatch relist on 410, and reports readiness once every informer
// has done its first list.

import { ListWatch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from './client.ts';
import { SharedObjectStore, type IndexFunction } from './cache.ts';
import { isKubeObject, type KubeObject } from './objects.ts';

/** First restart delay after an informer fails; doubles up to WATCH_RESTART_MAX_MS. */
export const WATCH_RESTART_BASE_MS = 500;
export const WATCH_RESTART_MAX_MS = 30_000;

export type InformerState = 'starting' | 'synced' | 'backoff' | 'stopped';

export interface InformerStatus {
  resource: string;
  /** Empty for a cluster-wide informer. */
  namespace: string;
  state: InformerState;
  /** True once the first list has been applied; stays true across restarts. */
  synced: boolean;
  restarts: number;
  /** List requests this informer has sent (first list, relists after 410, restarts). */
  lists: number;
  objects: number;
  lastError: string | undefined;
  /** When the informer last applied a change (ms since the epoch); undefined before the first. */
  lastEventAtMs?: number | undefined;
}

/**
 * Life-cycle news of one informer, for the live side: `list` fires when a list answer is about
 * to be applied (`relist` after the first one: changes may have been missed while the watch was
 * gone), `state` on every state change.
 */
export type InformerEvent = { type: 'list'; relist: boolean; status: InformerStatus } | { type: 'state'; status: InformerStatus };

export interface KindDefinition<T extends KubeObject> {
  /** Plural resource, for metrics and logs (`pods`). */
  resource: string;
  /** `/api/v1` or `/apis/<group>/<version>`. */
  apiPrefix: string;
  namespaced: boolean;
  labelSelector?: string;
  indexers?: Record<string, IndexFunction<T>>;
}

export type Scope = { kind: 'all' } | { kind: 'namespaces'; names: readonly string[] };

interface InformerHandle {
  status: InformerStatus;
  listWatch: ListWatch<KubernetesObject>;
  timer: NodeJS.Timeout | undefined;
  failedThisRun: boolean;
  backoffMs: number;
  firstSync: Promise<void>;
  resolveFirstSync: () => void;
}

function collectionPath(definition: { apiPrefix: string; resource: string }, namespace: string | undefined): string {
  return namespace ? `${definition.apiPrefix}/namespaces/${encodeURIComponent(namespace)}/${definition.resource}` : `${definition.apiPrefix}/${definition.resource}`;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  const code = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return code !== undefined ? `HTTP ${String(code)}` : String(error);
}

export class InformerRegistry {
  private readonly client: KubeClient;
  private readonly logger: Logger;
  private readonly scope: Scope;
  private readonly handles: InformerHandle[] = [];
  private readonly listeners = new Set<(event: InformerEvent) => void>();
  private stopped = false;

  constructor(options: { client: KubeClient; logger: Logger; scope: Scope }) {
    this.client = options.client;
    this.logger = options.logger;
    this.scope = options.scope;
  }

  /**
   * Registers a kind and returns its store. Namespaced kinds get one informer per watched
   * namespace (or one cluster-wide); cluster-scoped kinds under a namespace list get one per
   * name with a `metadata.name` field selector.
   */
  register<T extends KubeObject>(definition: KindDefinition<T>): SharedObjectStore<T> {
    const store = new SharedObjectStore<T>(definition.indexers);
    const scopes: Array<{ namespace: string | undefined; fieldSelector: string | undefined; label: string }> =
      this.scope.kind === 'all'
        ? [{ namespace: undefined, fieldSelector: undefined, label: '' }]
        : this.scope.names.map((name) =>
            definition.namespaced
              ? { namespace: name, fieldSelector: undefined, label: name }
              : { namespace: undefined, fieldSelector: `metadata.name=${name}`, label: name },
          );
    for (const scope of scopes) {
      this.handles.push(this.makeInformer(definition, store, scope));
    }
    return store;
  }

  private makeInformer<T extends KubeObject>(
    definition: KindDefinition<T>,
    store: SharedObjectStore<T>,
    scope: { namespace: string | undefined; fieldSelector: string | undefined; label: string },
  ): InformerHandle {
    const path = collectionPath(definition, scope.namespace);
    const query = new URLSearchParams();
    if (definition.labelSelector) query.set('labelSelector', definition.labelSelector);
    if (scope.fieldSelector) query.set('fieldSelector', scope.fieldSelector);
    const listPath = query.size > 0 ? `${path}?${query.toString()}` : path;
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      handle.status.lists += 1;
      const body = await this.client.request<{ metadata?: { resourceVersion?: string }; items?: unknown[] }>({ method: 'GET', path: listPath });
      const items = (body.items ?? []).filter(isKubeObject);
      // ListWatch applies the answer right after this returns, so listeners hear of a relist
      // before the changes it brings.
      this.emit({ type: 'list', relist: handle.status.lists > 1, status: { ...handle.status } });
      // Our objects are raw JSON; ListWatch only reads metadata name/namespace/resourceVersion.
      return { metadata: body.metadata ?? {}, items } as unknown as KubernetesListObject<KubernetesObject>;
    };
    const listWatch = new ListWatch<KubernetesObject>(path, this.client.watcher, list, false, definition.labelSelector, scope.fieldSelector);
    let resolveFirstSync = (): void => undefined;
    const firstSync = new Promise<void>((resolve) => {
      resolveFirstSync = resolve;
    });
    const handle: InformerHandle = {
      status: {
        resource: definition.resource,
        namespace: scope.label,
        state: 'starting',
        synced: false,
        restarts: 0,
        lists: 0,
        objects: 0,
        lastError: undefined,
        lastEventAtMs: undefined,
      },
      listWatch,
      timer: undefined,
      failedThisRun: false,
      backoffMs: WATCH_RESTART_BASE_MS,
      firstSync,
      resolveFirstSync,
    };
    // Items come from our own list call and the watch of the same path: objects of kind T.
    const apply = (object: KubernetesObject): void => {
      handle.status.lastEventAtMs = Date.now();
      if (isKubeObject(object)) store.upsert(object as T);
    };
    listWatch.on('add', apply);
    listWatch.on('update', apply);
    listWatch.on('delete', (object) => {
      handle.status.lastEventAtMs = Date.now();
      if (isKubeObject(object)) store.remove(object as T);
    });
    listWatch.on('error', (error: unknown) => this.onError(handle, error));
    return handle;
  }

  private onError(handle: InformerHandle, error: unknown): void {
    handle.failedThisRun = true;
    if (this.stopped) return;
    handle.status.state = 'backoff';
    handle.status.lastError = errorText(error);
    this.emitState(handle);
    const delay = handle.backoffMs;
    handle.backoffMs = Math.min(handle.backoffMs * 2, WATCH_RESTART_MAX_MS);
    this.logger.warn(
      { resource: handle.status.resource, namespace: handle.status.namespace || undefined, err: handle.status.lastError, retryInMs: delay },
      'informer failed; restarting after backoff',
    );
    clearTimeout(handle.timer);
    handle.timer = setTimeout(() => {
      handle.timer = undefined;
      handle.status.restarts += 1;
      void this.run(handle);
    }, delay);
  }

  private async run(handle: InformerHandle): Promise<void> {
    if (this.stopped) return;
    handle.failedThisRun = false;
    handle.status.state = 'starting';
    this.emitState(handle);
    // start() resolves once the list is applied and the watch is open, or after an error
    // callback; it never rejects.
    await handle.listWatch.start();
    if (this.stopped || handle.failedThisRun) return;
    handle.status.state = 'synced';
    handle.status.synced = true;
    handle.status.lastError = undefined;
    handle.backoffMs = WATCH_RESTART_BASE_MS;
    handle.resolveFirstSync();
    this.emitState(handle);
  }

  /** Hears every informer's lists and state changes; returns the unsubscribe function. */
  onEvent(listener: (event: InformerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emitState(handle: InformerHandle): void {
    this.emit({ type: 'state', status: { ...handle.status, objects: handle.listWatch.list().length } });
  }

  private emit(event: InformerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, resource: event.status.resource }, 'an informer listener failed');
      }
    }
  }

  /** Starts every informer; resolves at once (readiness is reported by `ready`). */
  start(): void {
    for (const handle of this.handles) void this.run(handle);
  }

  /** Resolves when every informer has applied its first list. */
  async waitForSync(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.firstSync));
  }

  get ready(): boolean {
    return this.handles.every((h) => h.status.synced);
  }

  statuses(): InformerStatus[] {
    return this.handles.map((h) => ({ ...h.status, objects: h.listWatch.list().length }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const handle of this.handles) {
      clearTimeout(handle.timer);
      handle.status.state = 'stopped';
      this.emitState(handle);
      await handle.listWatch.stop();
    }
  }
}
