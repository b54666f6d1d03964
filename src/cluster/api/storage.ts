// The emulator's etcd: every object in memory, written through to SQLite when a path is given,
// one global resourceVersion counter, and a bounded history of changes so that watches and
// continue tokens can resume from a resourceVersion. Everything is synchronous: the process is
// single-threaded, so each write is atomic and the order of changes is total.

import { randomUUID, randomInt } from 'node:crypto';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { InternalStore, StoreChange, WatchEventType } from './admission.ts';
import { cloneJson, deepFreeze, jsonEqual } from './json.ts';
import { groupVersion, RESOURCES, type ResourceInfo } from './resources.ts';
import { alreadyExists, notFound } from './status.ts';
import type { KubeObject, ObjectMeta } from './types.ts';

/** Changes kept for watches from a resourceVersion and for continue tokens (default of `historyLimit`). */
export const DEFAULT_HISTORY_LIMIT = 5_000;

/** Random suffix of a generated name: the real server's alphabet (no vowels, no look-alikes). */
const GENERATED_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_NAME_SUFFIX_LENGTH = 5;
/** The real server truncates the generateName prefix so the name stays a valid DNS label. */
const MAX_GENERATE_NAME_PREFIX_LENGTH = 58;
/** Name collisions are astronomically rare; after this many the create fails like the real server's. */
const GENERATE_NAME_ATTEMPTS = 8;

const META_RESOURCE_VERSION = 'resourceVersion';

export interface StoreOptions {
  /** SQLite file the objects are written through to; default undefined (in memory only). */
  path?: string;
  /** How many changes are kept for watch resumption and list paging; default `DEFAULT_HISTORY_LIMIT`. */
  historyLimit?: number;
  /** Clock for creationTimestamp; default `Date.now`. */
  now?: () => number;
}

/** A committed change as watches see it. */
export interface StoreEvent extends StoreChange {
  /** The change's resourceVersion (also in `object.metadata.resourceVersion`). */
  resourceVersion: number;
  /** The stored object before the change; undefined for ADDED. */
  previous: KubeObject | undefined;
}

export interface WriteOptions {
  /** Compute and return the result without storing it or emitting a change; default false. */
  dryRun?: boolean;
}

export interface BeginDeletionOptions extends WriteOptions {
  /**
   * Seconds until the deletion is due (pods' graceful deletion): deletionTimestamp is set that
   * far ahead. On an object already being deleted, a shorter period moves deletionTimestamp
   * earlier by the difference; a longer one changes nothing. Default 0.
   */
  gracePeriodSeconds?: number;
  /** The finalizers to store with the mark (the garbage collector's `orphan`...); default unchanged. */
  finalizers?: readonly string[];
}

export interface StoredRef {
  info: ResourceInfo;
  object: KubeObject;
}

export interface Store extends InternalStore {
  /** The resourceVersion of the latest committed change (0 for an empty new store). */
  currentResourceVersion(): number;
  /**
   * Stores a new object. Assigns name (from generateName), uid, creationTimestamp, generation
   * and resourceVersion; throws 409 AlreadyExists. Objects returned by the store are frozen.
   */
  create(info: ResourceInfo, object: KubeObject, options?: WriteOptions): KubeObject;
  /**
   * Replaces a stored object. uid, creationTimestamp and generation are the store's to keep
   * (generation moves on spec changes of kinds that track it). An update that changes nothing
   * returns the stored object and emits nothing, as the real server does. Throws 404.
   */
  update(info: ResourceInfo, object: KubeObject, options?: WriteOptions): KubeObject;
  /**
   * Marks an object as being deleted (a MODIFIED): metadata.deletionTimestamp (now plus the grace
   * period), deletionGracePeriodSeconds, the finalizers given, and generation + 1 for kinds that
   * keep one, as the real server does on the first mark. Returns the stored object unchanged
   * when there is nothing to change.
   */
  beginDeletion(info: ResourceInfo, namespace: string | undefined, name: string, options?: BeginDeletionOptions): KubeObject;
  /**
   * A free name from `generateName` (prefix plus five random characters). The real server names
   * an object before validating admission runs, so refusals can carry the name.
   */
  generateName(info: ResourceInfo, namespace: string | undefined, prefix: string): string;
  /** Removes an object for good; the DELETED event carries a new resourceVersion. Throws 404. */
  remove(info: ResourceInfo, namespace: string | undefined, name: string, options?: WriteOptions): KubeObject;
  getByUid(uid: string): StoredRef | undefined;
  /** Objects whose ownerReferences name this uid. */
  dependentsOf(uid: string): StoredRef[];
  /** Every namespaced object in a namespace, of every kind. */
  listNamespaceContents(namespace: string): StoredRef[];
  /**
   * The changes after `resourceVersion`, oldest first, or undefined when the history no longer
   * reaches back that far (the caller answers 410 Expired).
   */
  eventsSince(resourceVersion: number): readonly StoreEvent[] | undefined;
  /** The oldest resourceVersion a watch or continue token can still start from. */
  oldestResumableResourceVersion(): number;
  /**
   * The objects of a kind (in one namespace, or all) as they were at `resourceVersion`, sorted by
   * namespace and name; undefined when that is older than the history.
   */
  listAt(info: ResourceInfo, namespace: string | undefined, resourceVersion: number): KubeObject[] | undefined;
  /** Like onChange, with resourceVersion and the previous object. Returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
  /** Closes the database (if any). The in-memory state stays readable. */
  close(): void;
}

function resourceKey(info: Pick<ResourceInfo, 'group' | 'version' | 'resource'>): string {
  return `${info.group}/${info.version}/${info.resource}`;
}

function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function generatedName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < GENERATED_NAME_SUFFIX_LENGTH; i += 1) {
    suffix += GENERATED_NAME_ALPHABET[randomInt(GENERATED_NAME_ALPHABET.length)];
  }
  return prefix.slice(0, MAX_GENERATE_NAME_PREFIX_LENGTH) + suffix;
}

/** Everything but metadata and status: what a generation counts changes of. */
function specPart(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Persistence {
  upsert: StatementSync;
  remove: StatementSync;
  setMeta: StatementSync;
  db: DatabaseSync;
}

class MemoryStore implements Store {
  /** resource key -> namespace ('' for cluster-scoped) -> name -> object */
  private readonly objects = new Map<string, Map<string, Map<string, KubeObject>>>();
  private readonly byUid = new Map<string, StoredRef>();
  /** owner uid -> dependents' uids */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly history: StoreEvent[] = [];
  private historyHead = 0;
  /** Every change with a resourceVersion above this is in `history`. */
  private historyFloor: number;
  private resourceVersion: number;
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly pending: StoreEvent[] = [];
  private emitting = false;
  private readonly historyLimit: number;
  private readonly now: () => number;
  private persistence: Persistence | undefined;

  constructor(options: StoreOptions) {
    this.historyLimit = Math.max(1, options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    this.now = options.now ?? Date.now;
    this.resourceVersion = 0;
    if (options.path !== undefined) this.openDatabase(options.path);
    this.historyFloor = this.resourceVersion;
  }

  private openDatabase(path: string): void {
    const db = new DatabaseSync(path);
    // WAL keeps each write one append; NORMAL still survives a process crash, which is what a
    // developer's embedded cluster needs (not power-loss durability).
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS objects (
      resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
      PRIMARY KEY (resource, namespace, name))`);
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const byKey = new Map(RESOURCES.map((info) => [resourceKey(info), info]));
    const rows = db.prepare('SELECT resource, body FROM objects').all() as Array<{ resource: string; body: string }>;
    for (const row of rows) {
      const info = byKey.get(row.resource);
      // A kind the emulator no longer serves stays in the file but is not loaded.
      if (!info) continue;
      this.put(info, deepFreeze(JSON.parse(row.body) as KubeObject));
    }
    const meta = db.prepare('SELECT value FROM meta WHERE key = ?').get(META_RESOURCE_VERSION) as { value: string } | undefined;
    this.resourceVersion = meta ? Number(meta.value) : 0;
    this.persistence = {
      db,
      upsert: db.prepare('INSERT OR REPLACE INTO objects (resource, namespace, name, body) VALUES (?, ?, ?, ?)'),
      remove: db.prepare('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  currentResourceVersion(): number {
    return this.resourceVersion;
  }

  // ---- reads ----

  private bucket(info: ResourceInfo, namespace: string | undefined): Map<string, KubeObject> | undefined {
    return this.objects.get(resourceKey(info))?.get(info.namespaced ? (namespace ?? '') : '');
  }

  get(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.bucket(info, namespace)?.get(name);
  }

  list(info: ResourceInfo, namespace?: string): KubeObject[] {
    const byNamespace = this.objects.get(resourceKey(info));
    if (!byNamespace) return [];
    const namespaces = info.namespaced && namespace !== undefined ? [namespace] : [...byNamespace.keys()].sort(compareKeys);
    const out: KubeObject[] = [];
    for (const ns of namespaces) {
      const bucket = byNamespace.get(ns);
      if (!bucket) continue;
      for (const name of [...bucket.keys()].sort(compareKeys)) {
        const object = bucket.get(name);
        if (object) out.push(object);
      }
    }
    return out;
  }

  getByUid(uid: string): StoredRef | undefined {
    return this.byUid.get(uid);
  }

  dependentsOf(uid: string): StoredRef[] {
    const out: StoredRef[] = [];
    for (const dependentUid of this.dependents.get(uid) ?? []) {
      const ref = this.byUid.get(dependentUid);
      if (ref) out.push(ref);
    }
    return out;
  }

  listNamespaceContents(namespace: string): StoredRef[] {
    const out: StoredRef[] = [];
    for (const info of RESOURCES) {
      if (!info.namespaced) continue;
      for (const object of this.list(info, namespace)) out.push({ info, object });
    }
    return out;
  }

  eventsSince(resourceVersion: number): readonly StoreEvent[] | undefined {
    if (resourceVersion < this.historyFloor) return undefined;
    const live = this.history.slice(this.historyHead);
    // Resource versions in the history are increasing, so the first newer event starts the answer.
    let low = 0;
    let high = live.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((live[mid]?.resourceVersion ?? 0) <= resourceVersion) low = mid + 1;
      else high = mid;
    }
    return live.slice(low);
  }

  oldestResumableResourceVersion(): number {
    return this.historyFloor;
  }

  listAt(info: ResourceInfo, namespace: string | undefined, resourceVersion: number): KubeObject[] | undefined {
    const newer = this.eventsSince(resourceVersion);
    if (!newer) return undefined;
    const key = resourceKey(info);
    const inScope = (object: KubeObject) => !info.namespaced || namespace === undefined || object.metadata.namespace === namespace;
    const relevant = newer.filter((event) => resourceKey(event.info) === key && inScope(event.object));
    if (relevant.length === 0) return this.list(info, namespace);
    const state = new Map<string, KubeObject>();
    const idOf = (object: KubeObject) => `${object.metadata.namespace ?? ''}\u0000${object.metadata.name ?? ''}`;
    for (const object of this.list(info, namespace)) state.set(idOf(object), object);
    // Undo the newer changes, newest first.
    for (let i = relevant.length - 1; i >= 0; i -= 1) {
      const event = relevant[i];
      if (!event) continue;
      if (event.type === 'ADDED') state.delete(idOf(event.object));
      else if (event.previous) state.set(idOf(event.previous), event.previous);
    }
    return [...state.entries()].sort(([a], [b]) => compareKeys(a, b)).map(([, object]) => object);
  }

  // ---- writes ----

  create(info: ResourceInfo, object: KubeObject, options: WriteOptions = {}): KubeObject {
    const draft = cloneJson(object);
    const meta: ObjectMeta = draft.metadata;
    const namespace = info.namespaced ? meta.namespace : undefined;
    if (!meta.name && meta.generateName) meta.name = this.generateName(info, namespace, meta.generateName);
    const name = meta.name ?? '';
    if (this.get(info, namespace, name)) throw alreadyExists(info, name);
    if (!info.namespaced) delete meta.namespace;
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339Seconds(this.now());
    if (info.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    draft.apiVersion = groupVersion(info);
    draft.kind = info.kind;
    if (options.dryRun) return deepFreeze(draft);
    meta.resourceVersion = String(this.resourceVersion + 1);
    return this.commit('ADDED', info, deepFreeze(draft), undefined);
  }

  update(info: ResourceInfo, object: KubeObject, options: WriteOptions = {}): KubeObject {
    const namespace = info.namespaced ? object.metadata.namespace : undefined;
    const name = object.metadata.name ?? '';
    const old = this.get(info, namespace, name);
    if (!old) throw notFound(info, name);
    const draft = cloneJson(object);
    draft.apiVersion = groupVersion(info);
    draft.kind = info.kind;
    const meta = draft.metadata;
    if (!info.namespaced) delete meta.namespace;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.resourceVersion = old.metadata.resourceVersion;
    delete meta.generateName;
    if (old.metadata.generateName !== undefined) meta.generateName = old.metadata.generateName;
    if (info.tracksGeneration) {
      const generation = old.metadata.generation ?? 1;
      meta.generation = jsonEqual(specPart(old), specPart(draft)) ? generation : generation + 1;
    } else {
      delete meta.generation;
    }
    // A deletion, once started, cannot be undone or rescheduled by an update.
    if (old.metadata.deletionTimestamp !== undefined) {
      meta.deletionTimestamp = old.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (jsonEqual(old, draft)) return old;
    if (options.dryRun) return deepFreeze(draft);
    meta.resourceVersion = String(this.resourceVersion + 1);
    return this.commit('MODIFIED', info, deepFreeze(draft), old);
  }

  generateName(info: ResourceInfo, namespace: string | undefined, prefix: string): string {
    let name = generatedName(prefix);
    for (let attempt = 1; this.get(info, namespace, name) && attempt < GENERATE_NAME_ATTEMPTS; attempt += 1) name = generatedName(prefix);
    return name;
  }

  beginDeletion(info: ResourceInfo, namespace: string | undefined, name: string, options: BeginDeletionOptions = {}): KubeObject {
    const old = this.get(info, namespace, name);
    if (!old) throw notFound(info, name);
    const draft = cloneJson(old);
    const meta = draft.metadata;
    const grace = Math.max(0, options.gracePeriodSeconds ?? 0);
    const nowMs = this.now();
    if (meta.deletionTimestamp === undefined) {
      meta.deletionTimestamp = rfc3339Seconds(nowMs + grace * 1000);
      meta.deletionGracePeriodSeconds = grace;
      if (meta.generation !== undefined && meta.generation > 0) meta.generation += 1;
    } else {
      const current = meta.deletionGracePeriodSeconds ?? 0;
      if (grace < current) {
        const due = Date.parse(meta.deletionTimestamp) - (current - grace) * 1000;
        meta.deletionTimestamp = rfc3339Seconds(Number.isNaN(due) ? nowMs : due);
        meta.deletionGracePeriodSeconds = grace;
      }
    }
    if (options.finalizers !== undefined) {
      if (options.finalizers.length > 0) meta.finalizers = [...options.finalizers];
      else delete meta.finalizers;
    }
    if (jsonEqual(old, draft)) return old;
    if (options.dryRun) return deepFreeze(draft);
    draft.metadata.resourceVersion = String(this.resourceVersion + 1);
    return this.commit('MODIFIED', info, deepFreeze(draft), old);
  }

  remove(info: ResourceInfo, namespace: string | undefined, name: string, options: WriteOptions = {}): KubeObject {
    const old = this.get(info, namespace, name);
    if (!old) throw notFound(info, name);
    if (options.dryRun) return old;
    const last = cloneJson(old);
    last.metadata.resourceVersion = String(this.resourceVersion + 1);
    return this.commit('DELETED', info, deepFreeze(last), old);
  }

  writeStatus(info: ResourceInfo, namespace: string | undefined, name: string, status: unknown): void {
    const old = this.get(info, namespace, name);
    if (!old) return;
    const next = cloneJson(old);
    if (status === undefined) delete next.status;
    else next.status = cloneJson(status);
    this.update(info, next);
  }

  // ---- change delivery ----

  onChange(listener: (change: StoreChange) => void): () => void {
    return this.subscribe(listener);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private commit(type: WatchEventType, info: ResourceInfo, object: KubeObject, previous: KubeObject | undefined): KubeObject {
    const resourceVersion = this.resourceVersion + 1;
    if (type === 'DELETED') this.drop(info, object);
    else {
      if (previous) this.unindex(previous);
      this.put(info, object);
    }
    this.resourceVersion = resourceVersion;
    this.persist(type, info, object);
    const event: StoreEvent = { type, info, object, previous, resourceVersion };
    this.record(event);
    this.emit(event);
    return object;
  }

  private put(info: ResourceInfo, object: KubeObject): void {
    const key = resourceKey(info);
    let byNamespace = this.objects.get(key);
    if (!byNamespace) {
      byNamespace = new Map();
      this.objects.set(key, byNamespace);
    }
    const ns = info.namespaced ? (object.metadata.namespace ?? '') : '';
    let bucket = byNamespace.get(ns);
    if (!bucket) {
      bucket = new Map();
      byNamespace.set(ns, bucket);
    }
    bucket.set(object.metadata.name ?? '', object);
    this.index(info, object);
  }

  private drop(info: ResourceInfo, object: KubeObject): void {
    const byNamespace = this.objects.get(resourceKey(info));
    const ns = info.namespaced ? (object.metadata.namespace ?? '') : '';
    const bucket = byNamespace?.get(ns);
    bucket?.delete(object.metadata.name ?? '');
    if (bucket && bucket.size === 0) byNamespace?.delete(ns);
    this.unindex(object);
  }

  private index(info: ResourceInfo, object: KubeObject): void {
    const uid = object.metadata.uid;
    if (!uid) return;
    this.byUid.set(uid, { info, object });
    for (const owner of object.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(owner.uid);
      if (!set) {
        set = new Set();
        this.dependents.set(owner.uid, set);
      }
      set.add(uid);
    }
  }

  private unindex(object: KubeObject): void {
    const uid = object.metadata.uid;
    if (!uid) return;
    this.byUid.delete(uid);
    for (const owner of object.metadata.ownerReferences ?? []) {
      const set = this.dependents.get(owner.uid);
      set?.delete(uid);
      if (set && set.size === 0) this.dependents.delete(owner.uid);
    }
  }

  private persist(type: WatchEventType, info: ResourceInfo, object: KubeObject): void {
    const p = this.persistence;
    if (!p) return;
    const key = resourceKey(info);
    const ns = info.namespaced ? (object.metadata.namespace ?? '') : '';
    const name = object.metadata.name ?? '';
    p.db.exec('BEGIN');
    try {
      if (type === 'DELETED') p.remove.run(key, ns, name);
      else p.upsert.run(key, ns, name, JSON.stringify(object));
      p.setMeta.run(META_RESOURCE_VERSION, String(this.resourceVersion));
      p.db.exec('COMMIT');
    } catch (error) {
      p.db.exec('ROLLBACK');
      throw error;
    }
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    const live = this.history.length - this.historyHead;
    if (live > this.historyLimit) {
      const dropped = this.history[this.historyHead];
      this.historyHead += 1;
      if (dropped) this.historyFloor = dropped.resourceVersion;
      // Compact now and then instead of shifting the array on every write.
      if (this.historyHead >= this.historyLimit) {
        this.history.splice(0, this.historyHead);
        this.historyHead = 0;
      }
    }
  }

  /**
   * Listeners may write (an in-process controller reacting to a change); their changes are
   * queued so that every listener still sees every change in commit order.
   */
  private emit(event: StoreEvent): void {
    this.pending.push(event);
    if (this.emitting) return;
    this.emitting = true;
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) {
        for (const listener of [...this.listeners]) {
          // A subscriber that unsubscribed during this delivery must not get the event.
          if (!this.listeners.has(listener)) continue;
          try {
            listener(next);
          } catch (error) {
            // One broken listener must not stop the others or fail the write that is committed.
            process.emitWarning(`store listener failed: ${error instanceof Error ? error.stack : String(error)}`);
          }
        }
      }
    } finally {
      this.emitting = false;
    }
  }

  close(): void {
    const p = this.persistence;
    this.persistence = undefined;
    p?.db.close();
  }
}

export function openStore(options: StoreOptions = {}): Store {
  return new MemoryStore(options);
}
