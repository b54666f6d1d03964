import { describe, expect, it } from 'vitest';
import { deleteNamespace, deleteObject, finishDeletion, startOrphanCollector } from './gc.ts';
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

  it('treats Foreground like Background', () => {
    const { store, job } = seed();
    deleteObject(store, { info: mpijobs, object: job }, { policy: 'Foreground' });
    expect(store.list(pods, 'team-a')).toEqual([]);
  });

  it('orphans dependents by removing the owner reference', () => {
    const { store, job } = seed();
    deleteObject(store, { info: mpijobs, object: job }, { policy: 'Orphan' });
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

  it('stores nothing on a dry run', () => {
    const { store, job } = seed();
    const rv = store.currentResourceVersion();
    deleteObject(store, { info: mpijobs, object: job }, { dryRun: true });
    expect(store.currentResourceVersion()).toBe(rv);
    expect(store.list(pods, 'team-a')).toHaveLength(2);
  });
});

describe('deleteNamespace', () => {
  it('removes every object in the namespace, then the namespace, and nothing elsewhere', () => {
    const { store } = seed();
    store.create(namespaces, { metadata: { name: 'team-b' } });
    store.create(configmaps, { metadata: { name: 'other', namespace: 'team-b' } });
    store.create(configmaps, { metadata: { name: 'held', namespace: 'team-a', finalizers: ['x'] } });
    const ns = store.get(namespaces, undefined, 'team-a');
    if (!ns) throw new Error('namespace missing');
    const last = deleteNamespace(store, ns);
    expect(last.metadata.name).toBe('team-a');
    expect(store.listNamespaceContents('team-a')).toEqual([]);
    expect(store.get(namespaces, undefined, 'team-a')).toBeUndefined();
    expect(store.get(configmaps, 'team-b', 'other')).toBeDefined();
  });
});

describe('startOrphanCollector', () => {
  it('deletes an object created for an owner that is already gone, as a controller acting on a stale cache would', () => {
    const { store, launcher } = seed();
    const stop = startOrphanCollector(store);
    deleteObject(store, { info: jobs, object: launcher });
    store.create(pods, { metadata: { name: 'pi-launcher-late', namespace: 'team-a', ownerReferences: [ownerRef('Job', 'batch/v1', launcher)] } });
    expect(store.get(pods, 'team-a', 'pi-launcher-late')).toBeUndefined();
    stop();
  });

  it('keeps an object with one live owner and drops the reference to the dead one', () => {
    const { store, job, launcher } = seed();
    const stop = startOrphanCollector(store);
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
    const stop = startOrphanCollector(store);
    store.create(pods, { metadata: { name: 'pi-worker-1', namespace: 'team-a', ownerReferences: [ownerRef('MPIJob', 'kubeflow.org/v2beta1', job)] } });
    expect(store.get(pods, 'team-a', 'pi-worker-1')?.metadata.ownerReferences).toHaveLength(1);
    stop();
  });
});
