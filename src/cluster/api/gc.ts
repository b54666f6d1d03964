// Deletion as the API server and the controller-manager's garbage collector do it together:
// finalizers hold an object back (deletionTimestamp set, removed when the last finalizer goes),
// dependents (objects whose ownerReferences name the deleted uid) are deleted or orphaned, and a
// namespace takes everything in it along. Here the collector runs synchronously, right after the
// owner goes, so tests and clients see the cascade complete as soon as the DELETE returns.

import { findResource, type ResourceInfo } from './resources.ts';
import type { Store, StoredRef } from './storage.ts';
import type { KubeObject } from './types.ts';

/**
 * `Foreground` behaves as `Background` here: the owner is removed first and its dependents right
 * after, in the same call, so no client can observe the difference in ordering that matters
 * (the owner waiting with a `foregroundDeletion` finalizer is not modelled).
 */
export const PROPAGATION_POLICIES = ['Background', 'Foreground', 'Orphan'] as const;
export type PropagationPolicy = (typeof PROPAGATION_POLICIES)[number];

export interface DeleteOptions {
  /** Default `Background`. */
  policy?: PropagationPolicy;
  /** Default false. */
  dryRun?: boolean;
}

export interface DeleteOutcome {
  /** The object's last state (with the deletion's resourceVersion), or its state with deletionTimestamp. */
  object: KubeObject;
  /** False when finalizers hold the object back. */
  removed: boolean;
}

function namespaceOf(info: ResourceInfo, object: KubeObject): string | undefined {
  return info.namespaced ? object.metadata.namespace : undefined;
}

/** Deletes one object and collects its dependents. */
export function deleteObject(store: Store, ref: StoredRef, options: DeleteOptions = {}): DeleteOutcome {
  const { info, object } = ref;
  const name = object.metadata.name ?? '';
  const namespace = namespaceOf(info, object);
  if ((object.metadata.finalizers ?? []).length > 0) {
    return { object: store.beginDeletion(info, namespace, name, { dryRun: options.dryRun }), removed: false };
  }
  if (options.dryRun) return { object, removed: true };
  const last = store.remove(info, namespace, name);
  collectDependents(store, object.metadata.uid, options.policy ?? 'Background');
  return { object: last, removed: true };
}

/** Removes an object whose deletion was pending on finalizers that are now gone. */
export function finishDeletion(store: Store, info: ResourceInfo, object: KubeObject): KubeObject {
  const last = store.remove(info, namespaceOf(info, object), object.metadata.name ?? '');
  collectDependents(store, object.metadata.uid, 'Background');
  return last;
}

function withoutOwner(object: KubeObject, ownerUid: string): KubeObject {
  const copy = structuredClone(object);
  const remaining = (copy.metadata.ownerReferences ?? []).filter((owner) => owner.uid !== ownerUid);
  if (remaining.length > 0) copy.metadata.ownerReferences = remaining;
  else delete copy.metadata.ownerReferences;
  return copy;
}

function collectDependents(store: Store, ownerUid: string | undefined, policy: PropagationPolicy): void {
  if (!ownerUid) return;
  for (const dependent of store.dependentsOf(ownerUid)) {
    // An earlier step of this cascade may already have removed or changed it.
    const current = dependent.object.metadata.uid ? store.getByUid(dependent.object.metadata.uid) : undefined;
    if (!current) continue;
    const otherOwnerAlive = (current.object.metadata.ownerReferences ?? []).some(
      (owner) => owner.uid !== ownerUid && store.getByUid(owner.uid) !== undefined,
    );
    if (policy === 'Orphan' || otherOwnerAlive) store.update(current.info, withoutOwner(current.object, ownerUid));
    else deleteObject(store, current, { policy: 'Background' });
  }
}

/**
 * Deletes a namespace and everything in it, finalizers or not (the namespace controller's work,
 * done at once instead of through a Terminating phase). Returns the namespace's last state.
 */
export function deleteNamespace(store: Store, namespace: KubeObject, options: { dryRun?: boolean } = {}): KubeObject {
  if (options.dryRun) return namespace;
  const name = namespace.metadata.name ?? '';
  for (const { info, object } of store.listNamespaceContents(name)) {
    if (store.get(info, name, object.metadata.name ?? '')) store.remove(info, name, object.metadata.name ?? '');
  }
  const namespaces = findResource('', 'v1', 'namespaces');
  if (!namespaces) throw new Error('the namespaces resource is not served');
  const last = store.remove(namespaces, undefined, name);
  collectDependents(store, namespace.metadata.uid, 'Background');
  return last;
}

/**
 * The collector's other half: an object created (or updated) with owners that no longer exist
 * is deleted, as the controller-manager's garbage collector does when it finds a dependent
 * whose owners are all absent. This is what cleans up after a controller that acted on a stale
 * cache, for example a Job controller creating a pod for a Job that was just deleted. Owners
 * that are gone are dropped from an object that still has a live one. Returns the stop function.
 */
export function startOrphanCollector(store: Store): () => void {
  return store.subscribe((event) => {
    if (event.type === 'DELETED') return;
    const owners = event.object.metadata.ownerReferences ?? [];
    if (owners.length === 0) return;
    const absent = owners.filter((owner) => store.getByUid(owner.uid) === undefined);
    if (absent.length === 0) return;
    const uid = event.object.metadata.uid;
    const current = uid ? store.getByUid(uid) : undefined;
    if (!current) return;
    if (absent.length === owners.length) {
      deleteObject(store, current, { policy: 'Background' });
      return;
    }
    let pruned = current.object;
    for (const owner of absent) pruned = withoutOwner(pruned, owner.uid);
    store.update(current.info, pruned);
  });
}
