// Watch streams: one JSON event per line over a chunked 200 response, starting where the
// request's resourceVersion says (reference 3.3.2), filtered by the request's selectors with the
// DELETED/ADDED transitions of objects leaving or entering them, with optional bookmarks, an
// idle keep-alive newline, and a clean end on timeoutSeconds, client disconnect or shutdown.

import type { ServerResponse } from 'node:http';
import { cloneJson } from './json.ts';
import { groupVersion, type ResourceInfo } from './resources.ts';
import type { ObjectFilter } from './selectors.ts';
import { expired, type StatusBody } from './status.ts';
import type { Store, StoreEvent } from './storage.ts';
import { toTable } from './tables.ts';
import type { KubeObject } from './types.ts';

export const WATCH_EVENT = {
  added: 'ADDED',
  modified: 'MODIFIED',
  deleted: 'DELETED',
  bookmark: 'BOOKMARK',
  error: 'ERROR',
} as const;

export type WatchEventName = (typeof WATCH_EVENT)[keyof typeof WATCH_EVENT];

/** Annotation on the bookmark that ends the initial events of a `sendInitialEvents` watch. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

/** Default bookmark period when a watch asks for bookmarks (the real server's is about a minute). */
export const BOOKMARK_INTERVAL_MS = 10_000;
/**
 * Default idle period after which a bare newline is written: client-node 2.x aborts a watch
 * that has been silent for 30 s (reference 3.3.1, 3.4.2), so a quiet watch would be re-opened
 * every 30 s without it.
 */
export const WATCH_KEEPALIVE_INTERVAL_MS = 10_000;
/**
 * Output a client has not read yet, beyond which its watch is ended instead of buffering without
 * bound (the real server drops slow watchers too); the client re-watches from its last RV.
 */
export const MAX_WATCH_BUFFER_BYTES = 16 * 1024 * 1024;

export interface WatchRequest {
  info: ResourceInfo;
  /** The namespace of a namespaced request; undefined for all namespaces or cluster scope. */
  namespace: string | undefined;
  filter: ObjectFilter;
  /** Where to start: undefined or 0 = current state first, N = changes after N. */
  startResourceVersion: number | undefined;
  /** `sendInitialEvents`: true = state first even from N, false = no state, undefined = by RV. */
  sendInitialEvents: boolean | undefined;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
  /** Events carry one-row Tables (`as=Table` in Accept). */
  table: boolean;
}

export interface WatchTiming {
  bookmarkIntervalMs: number;
  keepAliveIntervalMs: number;
  now: () => number;
}

/** Lets the server end every open stream on shutdown. Returns the deregistration function. */
export type StreamRegistry = (end: () => void) => () => void;

interface WireEvent {
  type: WatchEventName;
  object: unknown;
}

function withResourceVersion(object: KubeObject, resourceVersion: number): KubeObject {
  const copy = cloneJson(object);
  copy.metadata.resourceVersion = String(resourceVersion);
  return copy;
}

/** What one committed change means to a watcher with this scope and selector, if anything. */
export function translateEvent(request: Pick<WatchRequest, 'info' | 'namespace' | 'filter'>, event: StoreEvent): { type: WatchEventName; object: KubeObject } | undefined {
  const { info, namespace, filter } = request;
  if (event.info.resource !== info.resource || event.info.group !== info.group || event.info.version !== info.version) return undefined;
  if (info.namespaced && namespace !== undefined && event.object.metadata.namespace !== namespace) return undefined;
  switch (event.type) {
    case 'ADDED':
      return filter.matches(event.object) ? { type: WATCH_EVENT.added, object: event.object } : undefined;
    case 'DELETED':
      return filter.matches(event.object) ? { type: WATCH_EVENT.deleted, object: event.object } : undefined;
    case 'MODIFIED': {
      const now = filter.matches(event.object);
      const before = event.previous !== undefined && filter.matches(event.previous);
      if (now && before) return { type: WATCH_EVENT.modified, object: event.object };
      if (now) return { type: WATCH_EVENT.added, object: event.object };
      // Leaving the selector looks like a deletion to this watcher, at the change's RV.
      if (before && event.previous) return { type: WATCH_EVENT.deleted, object: withResourceVersion(event.previous, event.resourceVersion) };
      return undefined;
    }
  }
  return undefined;
}

/**
 * Serves a watch on `res` until timeout, client disconnect or `end` from the registry. Must be
 * called synchronously after deciding the start (no await between), so no change is missed.
 */
export function serveWatch(res: ServerResponse, store: Store, request: WatchRequest, timing: WatchTiming, register: StreamRegistry): void {
  const { info } = request;
  let ended = false;
  let wroteSinceTick = false;
  const timers: Array<ReturnType<typeof setInterval>> = [];

  const encode = (type: WatchEventName, object: KubeObject): WireEvent => {
    if (!request.table) return { type, object };
    const rv = object.metadata.resourceVersion ?? String(store.currentResourceVersion());
    return { type, object: toTable(info, [object], { resourceVersion: rv }, timing.now()) };
  };

  const write = (event: WireEvent | undefined, raw?: string) => {
    if (ended) return;
    res.write(raw ?? `${JSON.stringify(event)}\n`);
    wroteSinceTick = true;
    if (res.writableLength > MAX_WATCH_BUFFER_BYTES) end();
  };

  const bookmark = (annotations?: Record<string, string>): WireEvent => ({
    type: WATCH_EVENT.bookmark,
    object: {
      kind: info.kind,
      apiVersion: groupVersion(info),
      metadata: { resourceVersion: String(store.currentResourceVersion()), ...(annotations ? { annotations } : {}) },
    },
  });

  let unsubscribe: () => void = () => undefined;
  let deregister: () => void = () => undefined;
  function end(): void {
    if (ended) return;
    ended = true;
    unsubscribe();
    deregister();
    for (const timer of timers) clearInterval(timer);
    if (!res.writableEnded) res.end();
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  res.on('close', end);
  deregister = register(end);

  // The start: a snapshot or a replay, then live changes, all in this synchronous block.
  const start = request.startResourceVersion;
  const initialState = request.sendInitialEvents ?? (start === undefined || start === 0);
  if (initialState) {
    const objects = store.list(info, info.namespaced ? request.namespace : undefined);
    for (const object of objects) if (request.filter.matches(object)) write(encode(WATCH_EVENT.added, object));
    if (request.sendInitialEvents && request.allowBookmarks) write(bookmark({ [INITIAL_EVENTS_END_ANNOTATION]: 'true' }));
  } else if (start !== undefined && start !== 0) {
    const replay = store.eventsSince(start);
    if (!replay) {
      const error: StatusBody = expired(`too old resource version: ${start} (${store.oldestResumableResourceVersion() + 1})`).body;
      write({ type: WATCH_EVENT.error, object: error });
      end();
      return;
    }
    for (const event of replay) {
      const out = translateEvent(request, event);
      if (out) write(encode(out.type, out.object));
    }
  }
  if (ended) return;
  unsubscribe = store.subscribe((event) => {
    const out = translateEvent(request, event);
    if (out) write(encode(out.type, out.object));
  });

  if (request.allowBookmarks) timers.push(setInterval(() => write(bookmark()), timing.bookmarkIntervalMs));
  timers.push(
    setInterval(() => {
      if (!wroteSinceTick) write(undefined, '\n');
      wroteSinceTick = false;
    }, timing.keepAliveIntervalMs),
  );
  if (request.timeoutSeconds !== undefined && request.timeoutSeconds > 0) {
    const timer = setTimeout(end, request.timeoutSeconds * 1000);
    timers.push(timer);
  }
}
