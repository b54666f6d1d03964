// The read side the rest of the gateway depends on: a small ObjectCache interface over the
// objects of one kind, with secondary indexes, fed by informers. It knows nothing of
// client-node, so models and tests can fill one by hand.

import type { KubeObject } from './objects.ts';

export type ChangeType = 'added' | 'updated' | 'deleted';

export interface CacheChange<T> {
  type: ChangeType;
  object: T;
}

export interface ObjectCache<T extends KubeObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  /** Every object, or those of one namespace. */
  list(namespace?: string): readonly T[];
  /** Objects whose index function returned `key` for the named index. */
  byIndex(index: string, key: string): readonly T[];
  /** Called after every change; returns the unsubscribe function. */
  onChange(listener: (change: CacheChange<T>) => void): () => void;
}

export type IndexFunction<T> = (object: T) => readonly string[];

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

/** An in-memory store of one kind, shared by every request: reads must be filtered for the caller. */
export class SharedObjectStore<T extends KubeObject> implements ObjectCache<T> {
  private readonly objects = new Map<string, T>();
  private readonly byNamespace = new Map<string, Map<string, T>>();
  private readonly indexes = new Map<string, { fn: IndexFunction<T>; entries: Map<string, Map<string, T>> }>();
  private readonly listeners = new Set<(change: CacheChange<T>) => void>();

  constructor(indexers: Record<string, IndexFunction<T>> = {}) {
    for (const [name, fn] of Object.entries(indexers)) this.indexes.set(name, { fn, entries: new Map() });
  }

  get size(): number {
    return this.objects.size;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }

  list(namespace?: string): readonly T[] {
    if (namespace === undefined) return [...this.objects.values()];
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  byIndex(index: string, key: string): readonly T[] {
    const entries = this.indexes.get(index);
    if (!entries) throw new Error(`no index named ${index}`);
    return [...(entries.entries.get(key)?.values() ?? [])];
  }

  onChange(listener: (change: CacheChange<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  upsert(object: T): void {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    if (previous) this.unindex(key, previous);
    this.objects.set(key, object);
    const namespace = object.metadata.namespace ?? '';
    let inNamespace = this.byNamespace.get(namespace);
    if (!inNamespace) {
      inNamespace = new Map();
      this.byNamespace.set(namespace, inNamespace);
    }
    inNamespace.set(key, object);
    for (const { fn, entries } of this.indexes.values()) {
      for (const indexKey of fn(object)) {
        let bucket = entries.get(indexKey);
        if (!bucket) {
          bucket = new Map();
          entries.set(indexKey, bucket);
        }
        bucket.set(key, object);
      }
    }
    this.emit({ type: previous ? 'updated' : 'added', object });
  }

  remove(object: T): void {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    if (!previous) return;
    this.unindex(key, previous);
    this.objects.delete(key);
    this.emit({ type: 'deleted', object });
  }

  private unindex(key: string, object: T): void {
    const namespace = object.metadata.namespace ?? '';
    const inNamespace = this.byNamespace.get(namespace);
    inNamespace?.delete(key);
    if (inNamespace?.size === 0) this.byNamespace.delete(namespace);
    for (const { fn, entries } of this.indexes.values()) {
      for (const indexKey of fn(object)) {
        const bucket = entries.get(indexKey);
        bucket?.delete(key);
        if (bucket?.size === 0) entries.delete(indexKey);
      }
    }
  }

  private emit(change: CacheChange<T>): void {
    for (const listener of this.listeners) listener(change);
  }
}
