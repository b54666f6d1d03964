import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findResource, type ResourceInfo } from './resources.ts';
import { StatusError } from './status.ts';
import { openStore, type StoreEvent } from './storage.ts';
import type { KubeObject } from './types.ts';

function resource(group: string, version: string, name: string): ResourceInfo {
  const info = findResource(group, version, name);
  if (!info) throw new Error(`no resource ${name}`);
  return info;
}

const configmaps = resource('', 'v1', 'configmaps');
const namespaces = resource('', 'v1', 'namespaces');
const mpijobs = resource('kubeflow.org', 'v2beta1', 'mpijobs');

function configMap(name: string, data: Record<string, string> = {}, namespace = 'team-a'): KubeObject {
  return { metadata: { name, namespace }, data };
}

const tempDirs: string[] = [];
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('openStore', () => {
  it('assigns uid, creationTimestamp in whole seconds, kind, apiVersion and increasing resourceVersions', () => {
    const store = openStore({ now: () => Date.parse('2026-11-28T10:00:00.750Z') });
    const a = store.create(configmaps, configMap('a'));
    const b = store.create(configmaps, configMap('b'));
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata.creationTimestamp).toBe('2026-11-28T10:00:00Z');
    expect(a.kind).toBe('ConfigMap');
    expect(a.apiVersion).toBe('v1');
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(store.currentResourceVersion()).toBe(Number(b.metadata.resourceVersion));
  });

  it('refuses a second object with the same name with 409 AlreadyExists', () => {
    const store = openStore();
    store.create(configmaps, configMap('a'));
    expect(() => store.create(configmaps, configMap('a'))).toThrow(StatusError);
    try {
      store.create(configmaps, configMap('a'));
    } catch (error) {
      expect((error as StatusError).body).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'configmaps "a" already exists' });
    }
  });

  it('generates a name from generateName with a five character suffix', () => {
    const store = openStore();
    const created = store.create(configmaps, { metadata: { generateName: 'job-', namespace: 'team-a' } });
    expect(created.metadata.name).toMatch(/^job-[a-z0-9]{5}$/);
  });

  it('starts generation at 1 and moves it only on spec changes for kinds that track it', () => {
    const store = openStore();
    const job = store.create(mpijobs, { metadata: { name: 'pi', namespace: 'team-a' }, spec: { slotsPerWorker: 1 } });
    expect(job.metadata.generation).toBe(1);
    const labelled = store.update(mpijobs, { ...job, metadata: { ...job.metadata, labels: { a: 'b' } } });
    expect(labelled.metadata.generation).toBe(1);
    const withStatus = store.update(mpijobs, { ...labelled, status: { conditions: [] } });
    expect(withStatus.metadata.generation).toBe(1);
    const respecced = store.update(mpijobs, { ...withStatus, spec: { slotsPerWorker: 2 } });
    expect(respecced.metadata.generation).toBe(2);
    const cm = store.create(configmaps, configMap('c'));
    expect(cm.metadata.generation).toBeUndefined();
  });

  it('keeps uid and creationTimestamp on update whatever the caller sends', () => {
    const store = openStore();
    const created = store.create(configmaps, configMap('a', { x: '1' }));
    const updated = store.update(configmaps, { ...created, metadata: { ...created.metadata, uid: 'forged', creationTimestamp: '2000-01-01T00:00:00Z' }, data: { x: '2' } });
    expect(updated.metadata.uid).toBe(created.metadata.uid);
    expect(updated.metadata.creationTimestamp).toBe(created.metadata.creationTimestamp);
  });

  it('treats an update that changes nothing as a no-op without a new resourceVersion or event', () => {
    const store = openStore();
    const created = store.create(configmaps, configMap('a', { x: '1' }));
    const events: StoreEvent[] = [];
    store.subscribe((event) => events.push(event));
    const same = store.update(configmaps, structuredClone(created));
    expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(events).toEqual([]);
  });

  it('returns frozen objects so that a caller cannot change stored state by accident', () => {
    const store = openStore();
    const created = store.create(configmaps, configMap('a', { x: '1' }));
    expect(() => {
      (created.data as Record<string, string>).x = '2';
    }).toThrow(TypeError);
    expect(store.get(configmaps, 'team-a', 'a')?.data).toEqual({ x: '1' });
  });

  it('does not store or emit anything on a dry run', () => {
    const store = openStore();
    const events: StoreEvent[] = [];
    store.subscribe((event) => events.push(event));
    const created = store.create(configmaps, configMap('a'), { dryRun: true });
    expect(created.metadata.uid).toBeDefined();
    expect(store.get(configmaps, 'team-a', 'a')).toBeUndefined();
    expect(store.currentResourceVersion()).toBe(0);
    expect(events).toEqual([]);
  });

  it('gives the DELETED event a new resourceVersion and the previous object', () => {
    const store = openStore();
    const created = store.create(configmaps, configMap('a'));
    const events: StoreEvent[] = [];
    store.subscribe((event) => events.push(event));
    const last = store.remove(configmaps, 'team-a', 'a');
    expect(Number(last.metadata.resourceVersion)).toBe(Number(created.metadata.resourceVersion) + 1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'DELETED', resourceVersion: Number(last.metadata.resourceVersion) });
    expect(events[0]?.previous?.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(store.get(configmaps, 'team-a', 'a')).toBeUndefined();
  });

  it('lists sorted by namespace and name, in one namespace or all', () => {
    const store = openStore();
    store.create(configmaps, configMap('b', {}, 'team-b'));
    store.create(configmaps, configMap('z', {}, 'team-a'));
    store.create(configmaps, configMap('a', {}, 'team-b'));
    store.create(configmaps, configMap('m', {}, 'team-a'));
    expect(store.list(configmaps).map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['team-a/m', 'team-a/z', 'team-b/a', 'team-b/b']);
    expect(store.list(configmaps, 'team-b').map((o) => o.metadata.name)).toEqual(['a', 'b']);
  });

  it('replays the changes after a resourceVersion and reports history that is gone', () => {
    const store = openStore({ historyLimit: 3 });
    const rvs: number[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) rvs.push(Number(store.create(configmaps, configMap(name)).metadata.resourceVersion));
    expect(store.eventsSince(rvs[2] ?? 0)?.map((e) => e.object.metadata.name)).toEqual(['d', 'e']);
    expect(store.eventsSince(rvs[1] ?? 0)?.map((e) => e.object.metadata.name)).toEqual(['c', 'd', 'e']);
    expect(store.eventsSince(rvs[0] ?? 0)).toBeUndefined();
    expect(store.oldestResumableResourceVersion()).toBe(rvs[1]);
  });

  it('reconstructs a list as it was at an earlier resourceVersion', () => {
    const store = openStore();
    store.create(configmaps, configMap('a', { v: '1' }));
    const b = store.create(configmaps, configMap('b', { v: '1' }));
    const at = store.currentResourceVersion();
    store.update(configmaps, { ...b, data: { v: '2' } });
    store.remove(configmaps, 'team-a', 'a');
    store.create(configmaps, configMap('c'));
    const then = store.listAt(configmaps, 'team-a', at);
    expect(then?.map((o) => [o.metadata.name, (o.data as Record<string, string>).v])).toEqual([
      ['a', '1'],
      ['b', '1'],
    ]);
    expect(store.list(configmaps, 'team-a').map((o) => o.metadata.name)).toEqual(['b', 'c']);
  });

  it('delivers changes made by a listener after the change that triggered it, to every listener in order', () => {
    const store = openStore();
    const seenByFirst: string[] = [];
    const seenBySecond: string[] = [];
    store.subscribe((event) => {
      seenByFirst.push(`${event.type} ${event.object.metadata.name}`);
      if (event.object.metadata.name === 'a' && event.type === 'ADDED') store.create(configmaps, configMap('reaction'));
    });
    store.subscribe((event) => seenBySecond.push(`${event.type} ${event.object.metadata.name}`));
    store.create(configmaps, configMap('a'));
    expect(seenByFirst).toEqual(['ADDED a', 'ADDED reaction']);
    expect(seenBySecond).toEqual(['ADDED a', 'ADDED reaction']);
  });

  it('writes status without touching the rest of the object and ignores absent objects', () => {
    const store = openStore();
    store.create(namespaces, { metadata: { name: 'team-a' } });
    const job = store.create(mpijobs, { metadata: { name: 'pi', namespace: 'team-a' }, spec: { x: 1 } });
    store.writeStatus(mpijobs, 'team-a', 'pi', { conditions: [{ type: 'Created', status: 'True' }] });
    const after = store.get(mpijobs, 'team-a', 'pi');
    expect(after?.status).toEqual({ conditions: [{ type: 'Created', status: 'True' }] });
    expect(after?.spec).toEqual({ x: 1 });
    expect(Number(after?.metadata.resourceVersion)).toBeGreaterThan(Number(job.metadata.resourceVersion));
    const rv = store.currentResourceVersion();
    store.writeStatus(mpijobs, 'team-a', 'ghost', {});
    expect(store.currentResourceVersion()).toBe(rv);
  });

  it('finds objects by uid and dependents by owner uid', () => {
    const store = openStore();
    const owner = store.create(mpijobs, { metadata: { name: 'pi', namespace: 'team-a' } });
    const ownerRef = { apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob', name: 'pi', uid: owner.metadata.uid ?? '' };
    store.create(configmaps, { metadata: { name: 'pi-config', namespace: 'team-a', ownerReferences: [ownerRef] } });
    expect(store.getByUid(owner.metadata.uid ?? '')?.object.metadata.name).toBe('pi');
    expect(store.dependentsOf(owner.metadata.uid ?? '').map((d) => d.object.metadata.name)).toEqual(['pi-config']);
  });

  it('keeps every object and the resourceVersion counter across a reopen of its SQLite file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-test-'));
    tempDirs.push(dir);
    const path = join(dir, 'state.db');
    const first = openStore({ path });
    first.create(namespaces, { metadata: { name: 'team-a' } });
    const a = first.create(configmaps, configMap('a', { x: '1' }));
    first.create(configmaps, configMap('b'));
    first.update(configmaps, { ...a, data: { x: '2' } });
    first.remove(configmaps, 'team-a', 'b');
    const rv = first.currentResourceVersion();
    first.close();

    const second = openStore({ path });
    expect(second.currentResourceVersion()).toBe(rv);
    expect(second.get(configmaps, 'team-a', 'a')?.data).toEqual({ x: '2' });
    expect(second.get(configmaps, 'team-a', 'b')).toBeUndefined();
    expect(second.get(namespaces, undefined, 'team-a')).toBeDefined();
    const c = second.create(configmaps, configMap('c'));
    expect(Number(c.metadata.resourceVersion)).toBe(rv + 1);
    // History does not survive a restart: a watch from before it must relist.
    expect(second.eventsSince(rv - 1)).toBeUndefined();
    expect(second.eventsSince(rv)?.map((e) => e.object.metadata.name)).toEqual(['c']);
    second.close();
  });
});
