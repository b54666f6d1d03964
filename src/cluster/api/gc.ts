// Deletion as the API server, the controller-manager's garbage collector and the kubelet do it
// together. The API server marks what cannot go at once (deletionTimestamp): objects held by
// finalizers, owners deleted in the Foreground (`foregroundDeletion` finalizer) or Orphan
// (`orphan` finalizer) policy, and pods bound to a node, which get a grace period for the kubelet
// to stop them. The collector then does its part: it orphans or deletes the dependents (objects
// whose ownerReferences name the owner), drops its finalizer when done, and deletes what lost
// every owner. Here the collector's work runs synchronously, right after the change it reacts
// to, so clients see the same states as on a real cluster, only without the wait.

import { findResource, type ResourceInfo } from './resources.ts';
import type { Store, StoredRef } from './storage.ts';
import type { KubeObject } from './types.ts';

export const PROPAGATION_POLICIES = ['Background', 'Foreground', 'Orphan'] as const;
export type PropagationPolicy = (typeof PROPAGATION_POLICIES)[number];

/** The garbage collector's finalizers (metav1.FinalizerOrphanDependents, FinalizerDeleteDependents). */
export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND_DELETION = 'foregroundDeletion';
const GC_FINALIZERS = new Set([FINALIZER_ORPHAN, FINALIZER_FOREGROUND_DELETION]);

/** A pod's grace period when neither the request nor the pod gives one (the API default). */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
const POD_PHASE_SUCCEEDED = 'Succeeded';
const POD_PHASE_FAILED = 'Failed';

export interface DeleteOptions {
  /**
   * Default: the policy an object already marked for deletion carries, else the kind's default
   * (`defaultPropagationPolicy`).
   */
  policy?: PropagationPolicy;
  /** Pods only: the grace period; default the pod's terminationGracePeriodSeconds, else 30. */
  gracePeriodSeconds?: number;
  /** Default false. */
  dryRun?: boolean;
}

export interface DeleteOutcome {
  /**
   * Removed: the object's last state (with the deletion's resourceVersion). Kept: the object as
   * marked, with deletionTimestamp, as the real server answers the DELETE.
   */
  object: KubeObject;
  /** False when finalizers or a grace period keep the object for now. */
  removed: boolean;
}

function namespaceOf(info: ResourceInfo, object: KubeObject): string | undefined {
  return info.namespaced ? object.metadata.namespace : undefined;
}

function isPods(info: ResourceInfo): boolean {
  return info.group === '' && info.resource === 'pods';
}

/**
 * batch/v1 Jobs orphan their pods unless told otherwise (kept for old clients); everything else
 * deletes its dependents in the background.
 */
export function defaultPropagationPolicy(info: ResourceInfo): PropagationPolicy {
  return info.group === 'batch' && info.version === 'v1' && info.resource === 'jobs' ? 'Orphan' : 'Background';
}

/** The finalizers an object is marked with for this deletion (deletionFinalizersForGarbageCollection). */
function finalizersFor(info: ResourceInfo, object: KubeObject, policy: PropagationPolicy | undefined): string[] {
  const current = object.metadata.finalizers ?? [];
  if (policy === undefined && current.some((finalizer) => GC_FINALIZERS.has(finalizer))) return [...current];
  const effective = policy ?? defaultPropagationPolicy(info);
  const rest = current.filter((finalizer) => !GC_FINALIZERS.has(finalizer));
  if (effective === 'Orphan') return [...rest, FINALIZER_ORPHAN];
  if (effective === 'Foreground') return [...rest, FINALIZER_FOREGROUND_DELETION];
  return rest;
}

/**
 * A pod's grace period for this deletion (the pod strategy's CheckGracefulDelete): none for a
 * pod that is not scheduled or already finished, at least 1 s when asked for less than 0.
 */
function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = (pod.spec ?? {}) as { nodeName?: unknown; terminationGracePeriodSeconds?: unknown };
  const phase = ((pod.status ?? {}) as { phase?: unknown }).phase;
  let period = requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '') period = 0;
  if (phase === POD_PHASE_SUCCEEDED || phase === POD_PHASE_FAILED) period = 0;
  return period < 0 ? 1 : period;
}

type GracePlan = { kind: 'none' } | { kind: 'pending' } | { kind: 'graceful'; seconds: number };

function gracePlan(info: ResourceInfo, object: KubeObject, requested: number | undefined): GracePlan {
  if (!isPods(info)) return { kind: 'none' };
  const asked = requested !== undefined && requested < 0 ? 1 : requested;
  if (object.metadata.deletionTimestamp !== undefined) {
    const current = object.metadata.deletionGracePeriodSeconds ?? 0;
    // Marked without a grace period (finalizers): nothing graceful left to do.
    if (current <= 0) return { kind: 'none' };
    // Already in its grace period: only a shorter one changes anything.
    if (asked === undefined || asked >= current) return { kind: 'pending' };
    return { kind: 'graceful', seconds: asked };
  }
  return { kind: 'graceful', seconds: podGracePeriod(object, asked) };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** Deletes one object as the API server does; the collector's part follows at once. */
export function deleteObject(store: Store, ref: StoredRef, options: DeleteOptions = {}): DeleteOutcome {
  const { info, object } = ref;
  const name = object.metadata.name ?? '';
  const namespace = namespaceOf(info, object);
  const plan = gracePlan(info, object, options.gracePeriodSeconds);
  if (plan.kind === 'pending') return { object, removed: false };
  const finalizers = finalizersFor(info, object, options.policy);
  const graceSeconds = plan.kind === 'graceful' ? plan.seconds : 0;
  const mark = plan.kind === 'graceful' || finalizers.length > 0 || !sameList(finalizers, object.metadata.finalizers ?? []);
  if (!mark) {
    if (options.dryRun) return { object, removed: true };
    const last = store.remove(info, namespace, name);
    collectDependents(store, object.metadata.uid, 'Background');
    return { object: last, removed: true };
  }
  const marked = store.beginDeletion(info, namespace, name, { dryRun: options.dryRun, gracePeriodSeconds: graceSeconds, finalizers });
  const held = finalizers.length > 0 || (marked.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  if (held) {
    if (!options.dryRun) collectGarbage(store, marked);
    return { object: marked, removed: false };
  }
  if (options.dryRun) return { object: marked, removed: true };
  const last = store.remove(info, namespace, name);
  collectDependents(store, object.metadata.uid, 'Background');
  return { object: last, removed: true };
}

/** Removes an object whose deletion was pending on finalizers that are now gone. */
export function finishDeletion(store: Store, info: ResourceInfo, object: KubeObject): KubeObject {
  const last = store.remove(info, namespaceOf(info, object), object.metadata.name ?? '');
  collectDependents(store, object.metadata.uid, 'Background');
  return last;
}

/** Whether an object being deleted has nothing left holding it: no finalizers, no grace period. */
export function deletionComplete(object: KubeObject): boolean {
  return (
    object.metadata.deletionTimestamp !== undefined &&
    (object.metadata.finalizers ?? []).length === 0 &&
    (object.metadata.deletionGracePeriodSeconds ?? 0) === 0
  );
}

function withoutOwner(object: KubeObject, ownerUid: string): KubeObject {
  const copy = structuredClone(object);
  const remaining = (copy.metadata.ownerReferences ?? []).filter((owner) => owner.uid !== ownerUid);
  if (remaining.length > 0) copy.metadata.ownerReferences = remaining;
  else delete copy.metadata.ownerReferences;
  return copy;
}

function current(store: Store, uid: string | undefined): StoredRef | undefined {
  return uid ? store.getByUid(uid) : undefined;
}

function collectDependents(store: Store, ownerUid: string | undefined, policy: PropagationPolicy): void {
  if (!ownerUid) return;
  for (const dependent of store.dependentsOf(ownerUid)) {
    // An earlier step of this cascade may already have removed or changed it.
    const live = current(store, dependent.object.metadata.uid);
    if (!live) continue;
    const otherOwnerAlive = (live.object.metadata.ownerReferences ?? []).some(
      (owner) => owner.uid !== ownerUid && store.getByUid(owner.uid) !== undefined,
    );
    if (policy === 'Orphan' || otherOwnerAlive) store.update(live.info, withoutOwner(live.object, ownerUid));
    else if (live.object.metadata.deletionTimestamp === undefined) deleteObject(store, live, { policy: 'Background' });
  }
}

/** Drops one finalizer from the stored object; removes it if that was the last thing holding it. */
function dropFinalizer(store: Store, uid: string, finalizer: string): void {
  const live = current(store, uid);
  if (!live || !(live.object.metadata.finalizers ?? []).includes(finalizer)) return;
  const next = structuredClone(live.object);
  const remaining = (next.metadata.finalizers ?? []).filter((item) => item !== finalizer);
  if (remaining.length > 0) next.metadata.finalizers = remaining;
  else delete next.metadata.finalizers;
  const stored = store.update(live.info, next);
  if (deletionComplete(stored)) finishDeletion(store, live.info, stored);
}

function blocksOwner(dependent: KubeObject, ownerUid: string): boolean {
  return (dependent.metadata.ownerReferences ?? []).some((owner) => owner.uid === ownerUid && owner.blockOwnerDeletion === true);
}

/**
 * The collector's work on an object being deleted: `orphan` drops every dependent's reference
 * to it, then the finalizer; `foregroundDeletion` deletes the dependents (in the foreground
 * themselves when they own others) and drops the finalizer once none that blocks it is left.
 * Safe to call again at any time: it acts on the store's current state.
 */
export function collectGarbage(store: Store, object: KubeObject): void {
  const uid = object.metadata.uid;
  if (!uid) return;
  const live = current(store, uid);
  if (!live || live.object.metadata.deletionTimestamp === undefined) return;
  if ((live.object.metadata.finalizers ?? []).includes(FINALIZER_ORPHAN)) {
    for (const dependent of store.dependentsOf(uid)) {
      const now = current(store, dependent.object.metadata.uid);
      if (now) store.update(now.info, withoutOwner(now.object, uid));
    }
    dropFinalizer(store, uid, FINALIZER_ORPHAN);
  }
  const after = current(store, uid);
  if (!after || !(after.object.metadata.finalizers ?? []).includes(FINALIZER_FOREGROUND_DELETION)) return;
  for (const dependent of store.dependentsOf(uid)) {
    const now = current(store, dependent.object.metadata.uid);
    if (!now || now.object.metadata.deletionTimestamp !== undefined) continue;
    const otherOwnerAlive = (now.object.metadata.ownerReferences ?? []).some((owner) => {
      if (owner.uid === uid) return false;
      const other = store.getByUid(owner.uid);
      return other !== undefined && other.object.metadata.deletionTimestamp === undefined;
    });
    if (otherOwnerAlive) store.update(now.info, withoutOwner(now.object, uid));
    else deleteObject(store, now, { policy: store.dependentsOf(now.object.metadata.uid ?? '').length > 0 ? 'Foreground' : 'Background' });
  }
  if (!store.dependentsOf(uid).some((dependent) => blocksOwner(dependent.object, uid))) dropFinalizer(store, uid, FINALIZER_FOREGROUND_DELETION);
}

/** The phase of a namespace on its way out. */
const NAMESPACE_PHASE_TERMINATING = 'Terminating';

/**
 * Deletes a namespace and everything in it, finalizers or not: the namespace controller's work,
 * done at once. The namespace first goes Terminating with a deletionTimestamp (what the real
 * server answers the DELETE with), then its contents, then itself. Returns the marked namespace.
 */
export function deleteNamespace(store: Store, namespace: KubeObject, options: { dryRun?: boolean } = {}): KubeObject {
  const namespaces = findResource('', 'v1', 'namespaces');
  if (!namespaces) throw new Error('the namespaces resource is not served');
  const name = namespace.metadata.name ?? '';
  const status = { ...((namespace.status ?? {}) as Record<string, unknown>), phase: NAMESPACE_PHASE_TERMINATING };
  if (options.dryRun) return { ...store.beginDeletion(namespaces, undefined, name, { dryRun: true }), status };
  store.writeStatus(namespaces, undefined, name, status);
  const marked = store.beginDeletion(namespaces, undefined, name);
  for (const { info, object } of store.listNamespaceContents(name)) {
    if (store.get(info, name, object.metadata.name ?? '')) store.remove(info, name, object.metadata.name ?? '');
  }
  store.remove(namespaces, undefined, name);
  collectDependents(store, namespace.metadata.uid, 'Background');
  return marked;
}

export interface GarbageCollectorOptions {
  /**
   * Simulated time runs this many times faster: a pod's grace period of 30 s ends after
   * 30 / timeScale s of real time. Default 1.
   */
  timeScale?: number;
}

/**
 * The collector as a process reacting to every change:
 * - an owner waiting in the foreground is finished once its last blocking dependent is gone;
 * - an object marked with `orphan` or `foregroundDeletion` is worked on;
 * - an object created (or updated) with owners that no longer exist is deleted, as the real
 *   collector deletes a dependent whose owners are all absent (this cleans up after a controller
 *   that acted on a stale cache); references to absent owners are dropped from one that still
 *   has a live owner;
 * - a pod whose grace period ends without the kubelet having removed it is removed, which is
 *   what a cluster with a working kubelet looks like from the API.
 * Returns the stop function.
 */
export function startGarbageCollector(store: Store, options: GarbageCollectorOptions = {}): () => void {
  const timeScale = options.timeScale ?? 1;
  const graceTimers = new Map<string, NodeJS.Timeout>();

  function watchGracePeriod(pod: KubeObject): void {
    const uid = pod.metadata.uid;
    const grace = pod.metadata.deletionGracePeriodSeconds ?? 0;
    if (!uid || pod.metadata.deletionTimestamp === undefined || grace <= 0 || graceTimers.has(uid)) return;
    const timer = setTimeout(() => {
      graceTimers.delete(uid);
      const live = store.getByUid(uid);
      if (live) deleteObject(store, live, { gracePeriodSeconds: 0 });
    }, (grace * 1000) / timeScale);
    timer.unref();
    graceTimers.set(uid, timer);
  }

  const unsubscribe = store.subscribe((event) => {
    const { object, previous } = event;
    const owners = new Set([...(object.metadata.ownerReferences ?? []), ...(previous?.metadata.ownerReferences ?? [])].map((owner) => owner.uid));
    for (const ownerUid of owners) {
      const owner = store.getByUid(ownerUid);
      if (owner && (owner.object.metadata.finalizers ?? []).includes(FINALIZER_FOREGROUND_DELETION)) collectGarbage(store, owner.object);
    }
    if (event.type === 'DELETED') {
      const uid = object.metadata.uid;
      const timer = uid ? graceTimers.get(uid) : undefined;
      if (uid && timer) {
        clearTimeout(timer);
        graceTimers.delete(uid);
      }
      return;
    }
    if ((object.metadata.finalizers ?? []).some((finalizer) => GC_FINALIZERS.has(finalizer))) collectGarbage(store, object);
    if (isPods(event.info)) watchGracePeriod(object);

    const references = object.metadata.ownerReferences ?? [];
    if (references.length === 0) return;
    const absent = references.filter((owner) => store.getByUid(owner.uid) === undefined);
    if (absent.length === 0) return;
    const live = current(store, object.metadata.uid);
    if (!live) return;
    if (absent.length === references.length) {
      if (live.object.metadata.deletionTimestamp === undefined) deleteObject(store, live, { policy: 'Background' });
      return;
    }
    let pruned = live.object;
    for (const owner of absent) pruned = withoutOwner(pruned, owner.uid);
    store.update(live.info, pruned);
  });
  return () => {
    unsubscribe();
    for (const timer of graceTimers.values()) clearTimeout(timer);
    graceTimers.clear();
  };
}
