import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  deleteNamespace,
  deleteObject,
  FINALIZER_FOREGROUND_DELETION,
  FINALIZER_ORPHAN,
  finishDeletion,
  startGarbageCollector,
} from './gc.ts';
import { findResource, type ResourceInfo } from './resources.ts';
import { openStore, type Store } from './storage.ts';
import type { KubeObject, OwnerReference } from './types.ts';

function resource(group: string, version: string, name: string): ResourceInfo {
  const info = findResource(group, version, name);
  if (!info) throw new Error(`no resource ${name}`);
  return info;
}

const namespaces = resource('', 'v1', 'namespaces');
const pods = resource('', 'v1', 'pods');
const configmaps = resource('', 'v1', 'configmaps');
const jobs = resource('batch', 'v1', 'jobs');
const mpijobs = resource('kubeflow.org', 'v2beta1', 'mpijobs');

function ownerRef(kind: string, apiVersion: string, owner: KubeObject): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true };
}

function seed(): { store: Store; job: KubeObject; launcher: KubeObject; launcherPod: KubeObject; worker: KubeObject } {
  const store = openStore();
  store.create(namespaces, { metadata: { name: 'team-a' } });
  const job = store.create(mpijobs, { metadata: { name: 'pi', namespace: 'team-a' } });
  const launcher = store.create(jobs, { metadata: { name: 'pi-launcher', namespace: 'team-a', ownerReferences: [ownerRef('MPIJob', 'kubeflow.org/v2beta1', job)] } });
  const launcherPod = store.create(pods, { metadata: { name: 'pi-launcher-x', namespace: 'team-a', ownerReferences: [ownerRef('Job', 'batch/v1', launcher)] } });
  const worker = store.create(pods, { metadata: { name: 'pi-worker-0', namespace: 'team-a', ownerReferences: [ownerRef('MPIJob', 'kubeflow.org/v2beta1', job)] } });
  return { store, job, launcher, launcherPod, worker };
}

describe('deleteObject', () => {
  it('deletes dependents recursively in the background policy', () => {
    const { store, job } = seed();
    const outcome = deleteObject(store, { info: mpijobs, object: job });
    expect(outcome.removed).toBe(true);
    expect(store.list(jobs, 'team-a')).toEqual([]);
    expect(store.list(pods, 'team-a')).toEqual([]);
  });

  it('marks a foreground-deleted owner with the foregroundDeletion finalizer, deletes its dependents, then removes it', () => {
    const { store, job } = seed();
    const events: string[] = [];
    store.subscribe((event) => events.push(`${event.type} ${event.object.metadata.name ?? ''}`));
    const outcome = deleteObject(store, { info: mpijobs, object: job }, { policy: 'Foreground' });
    expect(outcome.removed).toBe(false);
    expect(outcome.object.metadata.finalizers).toEqual([FINALIZER_FOREGROUND_DELETION]);
    expect(outcome.object.metadata.deletionTimestamp).toBeDefined();
    expect(outcome.object.metadata.generation).toBe(2);
    expect(store.list(pods, 'team-a')).toEqual([]);
    expect(store.get(mpijobs, 'team-a', 'pi')).toBeUndefined();
    // The owner goes last: after the mark, its dependents, then the owner itself.
    expect(events[0]).toBe('MODIFIED pi');
    expect(events.at(-1)).toBe('DELETED pi');
  });

  it('keeps a foreground-deleted owner until a blocking dependent held by a finalizer is gone', () => {
    const store = openStore();
    const stop = startGarbageCollector(store);
    const owner = store.create(mpijobs, { metadata: { name: 'pi', namespace: 'team-a' } });
    store.create(configmaps, {
      metadata: { name: 'held', namespace: 'team-a', finalizers: ['example.com/hold'], ownerReferences: [{ ...ownerRef('MPIJob', 'kubeflow.org/v2beta1', owner), blockOwnerDeletion: true }] },
    });
    deleteObject(store, { info: mpijobs, object: owner }, { policy: 'Foreground' });
    expect(store.get(mpijobs, 'team-a', 'pi')?.metadata.finalizers).toEqual([FINALIZER_FOREGROUND_DELETION]);
    const held = store.get(configmaps, 'team-a', 'held');
    expect(held?.metadata.deletionTimestamp).toBeDefined();
    const released = store.update(configmaps, { ...structuredClone(held as KubeObject), metadata: { ...(held as KubeObject).metadata, finalizers: [] } });
    finishDeletion(store, configmaps, released);
    expect(store.get(mpijobs, 'team-a', 'pi')).toBeUndefined();
    stop();
  });

  it('orphans dependents by removing the owner reference, through the orphan finalizer', () => {
    const { store, job } = seed();
    const outcome = deleteObject(store, { info: mpijobs, object: job }, { policy: 'Orphan' });
    expect(outcome.object.metadata.finalizers).toEqual([FINALIZER_ORPHAN]);
    expect(store.get(mpijobs, 'team-a', 'pi')).toBeUndefined();
    const worker = store.get(pods, 'team-a', 'pi-worker-0');
    expect(worker).toBeDefined();
    expect(worker?.metadata.ownerReferences).toBeUndefined();
    expect(store.get(jobs, 'team-a', 'pi-launcher')?.metadata.ownerReferences).toBeUndefined();
    // The grandchild still belongs to the surviving launcher Job.
    expect(store.get(pods, 'team-a', 'pi-launcher-x')?.metadata.ownerReferences).toHaveLength(1);
  });

  it('keeps a dependent that another live owner still holds, dropping only the dead reference', () => {
    const { store, job, worker } = seed();
    const other = store.create(configmaps, { metadata: { name: 'holder', namespace: 'team-a' } });
    store.update(pods, { ...worker, metadata: { ...worker.metadata, ownerReferences: [...(worker.metadata.ownerReferences ?? []), ownerRef('ConfigMap', 'v1', other)] } });
    deleteObject(store, { info: mpijobs, object: job });
    const kept = store.get(pods, 'team-a', 'pi-worker-0');
    expect(kept?.metadata.ownerReferences?.map((o) => o.name)).toEqual(['holder']);
  });

  it('only marks an object with finalizers and removes it when they are gone', () => {
    const store = openStore();
    const cm = store.create(configmaps, { metadata: { name: 'guarded', namespace: 'team-a', finalizers: ['example.com/hold'] } });
    const outcome = deleteObject(store, { info: configmaps, object: cm });
    expect(outcome.removed).toBe(false);
    expect(outcome.object.metadata.deletionTimestamp).toBeDefined();
    const marked = store.get(configmaps, 'team-a', 'guarded');
    expect(marked?.metadata.deletionTimestamp).toBeDefined();
    const released = store.update(configmaps, { ...structuredClone(marked as KubeObject), metadata: { ...(marked as KubeObject).metadata, finalizers: [] } });
    finishDeletion(store, configmaps, released);
    expect(store.get(configmaps, 'team-a', 'guarded')).toBeUndefined();
  });

  it('orphans the pods of a batch/v1 Job deleted without a policy, as the real server does for old clients', () => {
    const { store, launcher } = seed();
    const outcome = deleteObject(store, { info: jobs, object: launcher });
    expect(outcome.object.metadata.finalizers).toEqual([FINALIZER_ORPHAN]);
    expect(store.get(jobs, 'team-a', 'pi-launcher')).toBeUndefined();
    expect(store.get(pods, 'team-a', 'pi-launcher-x')?.metadata.ownerReferences).toBeUndefined();
  });

  it('keeps a custom finalizer and appends the orphan one after it', () => {
    const store = openStore();
    const cm = store.create(configmaps, { metadata: { name: 'both', namespace: 'team-a', finalizers: ['example.com/hold'] } });
    const outcome = deleteObject(store, { info: configmaps, object: cm }, { policy: 'Orphan' });
    expect(outcome.object.metadata.finalizers).toEqual(['example.com/hold', FINALIZER_ORPHAN]);
    expect(store.get(configmaps, 'team-a', 'both')?.metadata.finalizers).toEqual(['example.com/hold']);
  });

  it('stores nothing on a dry run', () => {
    const { store, job } = seed();
    const rv = store.currentResourceVersion();
    deleteObject(store, { info: mpijobs, object: job }, { dryRun: true });
    expect(store.currentResourceVersion()).toBe(rv);
    expect(store.list(pods, 'team-a')).toHaveLength(2);
  });
});

describe('deleteNamespace', () => {
  it('marks the namespace Terminating, then removes every object in it and the namespace, and nothing elsewhere', () => {
    const { store } = seed();
    store.create(namespaces, { metadata: { name: 'team-b' } });
    store.create(configmaps, { metadata: { name: 'other', namespace: 'team-b' } });
    store.create(configmaps, { metadata: { name: 'held', namespace: 'team-a', finalizers: ['x'] } });
    const ns = store.get(namespaces, undefined, 'team-a');
    if (!ns) throw new Error('namespace missing');
    const marked = deleteNamespace(store, ns);
    expect(marked.metadata.name).toBe('team-a');
    // The answer is the namespace as it went: Terminating, with a deletionTimestamp.
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect(marked.status).toEqual({ phase: 'Terminating' });
    expect(store.listNamespaceContents('team-a')).toEqual([]);
    expect(store.get(namespaces, undefined, 'team-a')).toBeUndefined();
    expect(store.get(configmaps, 'team-b', 'other')).toBeDefined();
  });
});

describe('graceful pod deletion', () => {
  const NOW_MS = Date.parse('2026-11-28T12:00:00Z');
  function podStore(): Store {
    const store = openStore({ now: () => NOW_MS });
    store.create(pods, { metadata: { name: 'bound', namespace: 'team-a' }, spec: { nodeName: 'node-1' }, status: { phase: 'Running' } });
    store.create(pods, { metadata: { name: 'unbound', namespace: 'team-a' }, spec: {} });
    store.create(pods, { metadata: { name: 'done', namespace: 'team-a' }, spec: { nodeName: 'node-1' }, status: { phase: 'Succeeded' } });
    return store;
  }
  const read = (store: Store, name: string): KubeObject => {
    const pod = store.get(pods, 'team-a', name);
    if (!pod) throw new Error(`pod ${name} is gone`);
    return pod;
  };

  it('gives a bound pod its grace period: deletionTimestamp that far ahead, kept for the kubelet', () => {
    const store = podStore();
    const outcome = deleteObject(store, { info: pods, object: read(store, 'bound') });
    expect(outcome.removed).toBe(false);
    expect(outcome.object.metadata).toMatchObject({ deletionTimestamp: '2026-11-28T12:00:30Z', deletionGracePeriodSeconds: DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS });
    expect(read(store, 'bound').metadata.deletionTimestamp).toBe('2026-11-28T12:00:30Z');
  });

  it('only shortens a grace period that is running, and removes the pod when asked for none', () => {
    const store = podStore();
    deleteObject(store, { info: pods, object: read(store, 'bound') }, { gracePeriodSeconds: 10 });
    const longer = deleteObject(store, { info: pods, object: read(store, 'bound') }, { gracePeriodSeconds: 20 });
    expect(longer.object.metadata).toMatchObject({ deletionTimestamp: '2026-11-28T12:00:10Z', deletionGracePeriodSeconds: 10 });
    const now = deleteObject(store, { info: pods, object: read(store, 'bound') }, { gracePeriodSeconds: 0 });
    expect(now.removed).toBe(true);
    expect(now.object.metadata).toMatchObject({ deletionTimestamp: '2026-11-28T12:00:00Z', deletionGracePeriodSeconds: 0 });
    expect(store.get(pods, 'team-a', 'bound')).toBeUndefined();
  });

  it('removes an unscheduled or finished pod at once, answering with its deletion mark', () => {
    const store = podStore();
    for (const name of ['unbound', 'done']) {
      const outcome = deleteObject(store, { info: pods, object: read(store, name) });
      expect(outcome.removed).toBe(true);
      expect(outcome.object.metadata.deletionGracePeriodSeconds).toBe(0);
      expect(store.get(pods, 'team-a', name)).toBeUndefined();
    }
  });
});

describe('startGarbageCollector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('removes a pod whose grace period ran out, in simulated time', () => {
    vi.useFakeTimers();
    const store = openStore();
    const stop = startGarbageCollector(store, { timeScale: 60 });
    const pod = store.create(pods, { metadata: { name: 'slow', namespace: 'team-a' }, spec: { nodeName: 'node-1' } });
    deleteObject(store, { info: pods, object: pod });
    vi.advanceTimersByTime(400);
    expect(store.get(pods, 'team-a', 'slow')).toBeDefined();
    vi.advanceTimersByTime(200);
    expect(store.get(pods, 'team-a', 'slow')).toBeUndefined();
    stop();
  });

  it('deletes an object created for an owner that is already gone, as a controller acting on a stale cache would', () => {
    const { store, launcher } = seed();
    const stop = startGarbageCollector(store);
    deleteObject(store, { info: jobs, object: launcher });
    store.create(pods, { metadata: { name: 'pi-launcher-late', namespace: 'team-a', ownerReferences: [ownerRef('Job', 'batch/v1', launcher)] } });
    expect(store.get(pods, 'team-a', 'pi-launcher-late')).toBeUndefined();
    stop();
  });

  it('keeps an object with one live owner and drops the reference to the dead one', () => {
    const { store, job, launcher } = seed();
    const stop = startGarbageCollector(store);
    deleteObject(store, { info: jobs, object: launcher });
    store.create(pods, {
      metadata: { name: 'shared', namespace: 'team-a', ownerReferences: [ownerRef('Job', 'batch/v1', launcher), ownerRef('MPIJob', 'kubeflow.org/v2beta1', job)] },
    });
    const kept = store.get(pods, 'team-a', 'shared');
    expect(kept?.metadata.ownerReferences?.map((owner) => owner.kind)).toEqual(['MPIJob']);
    stop();
  });

  it('leaves objects whose owners exist alone', () => {
    const { store, job } = seed();
    const stop = startGarbageCollector(store);
    store.create(pods, { metadata: { name: 'pi-worker-1', namespace: 'team-a', ownerReferences: [ownerRef('MPIJob', 'kubeflow.org/v2beta1', job)] } });
    expect(store.get(pods, 'team-a', 'pi-worker-1')?.metadata.ownerReferences).toHaveLength(1);
    stop();
  });
});
