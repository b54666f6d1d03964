// A tiny in-memory InternalStore for unit tests of code that only reads the store and follows its
// changes (the RBAC authorizer, admission plugins): put/remove emit the changes a real store
// would, without resource versions, history or persistence.

import type { InternalStore, StoreChange } from '../../src/cluster/api/admission.ts';
import { findByKind, type ResourceInfo } from '../../src/cluster/api/resources.ts';
import type { KubeObject } from '../../src/cluster/api/types.ts';

export class MemoryStore implements InternalStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Set<(change: StoreChange) => void>();

  private static key(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return `${info.group}/${info.resource}/${info.namespaced ? (namespace ?? '') : ''}/${name}`;
  }

  private static infoOf(object: KubeObject): ResourceInfo {
    const info = findByKind(object.apiVersion ?? '', object.kind ?? '');
    if (!info) throw new Error(`not a served kind: ${object.apiVersion ?? ''} ${object.kind ?? ''}`);
    return info;
  }

  /** Creates or replaces an object (its kind from apiVersion and kind); emits ADDED or MODIFIED. */
  put(object: KubeObject): KubeObject {
    const info = MemoryStore.infoOf(object);
    const key = MemoryStore.key(info, object.metadata.namespace, object.metadata.name ?? '');
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = Object.freeze(structuredClone(object));
    this.objects.set(key, stored);
    for (const listener of this.listeners) listener({ type, info, object: stored });
    return stored;
  }

  /** Removes an object if present; emits DELETED. */
  remove(object: KubeObject): void {
    const info = MemoryStore.infoOf(object);
    const key = MemoryStore.key(info, object.metadata.namespace, object.metadata.name ?? '');
    const stored = this.objects.get(key);
    if (!stored) return;
    this.objects.delete(key);
    for (const listener of this.listeners) listener({ type: 'DELETED', info, object: stored });
  }

  /** The shape ensureObjects writes through. */
  create(info: ResourceInfo, object: KubeObject): KubeObject {
    if (this.get(info, object.metadata.namespace, object.metadata.name ?? '')) throw new Error('already exists');
    return this.put(object);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  list(info: ResourceInfo, namespace?: string): KubeObject[] {
    const prefix = `${info.group}/${info.resource}/`;
    return [...this.objects.entries()]
      .filter(([key, object]) => key.startsWith(prefix) && (!info.namespaced || namespace === undefined || object.metadata.namespace === namespace))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => object);
  }

  get(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(MemoryStore.key(info, namespace, name));
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  writeStatus(): void {
    // Nothing under test writes status through this store.
  }
}
