import { describe, expect, it } from 'vitest';
import { MPIJOB_SCHEMA } from './admission/schema.ts';
import {
  builtInFieldType,
  FieldSet,
  managerName,
  pathString,
  recordApply,
  recordUpdate,
  schemaFieldType,
  UNKNOWN_MANAGER,
  withManagedFields,
  type ApplyTracking,
  type ManagedFieldsEntry,
  type WriteTracking,
} from './managed-fields.ts';
import { StatusError } from './status.ts';
import type { KubeObject } from './types.ts';

const T1 = '2026-11-28T12:00:00Z';
const T2 = '2026-11-28T12:05:00Z';

function update(manager: string, now = T1): WriteTracking {
  return { manager, apiVersion: 'v1', scope: 'main', type: builtInFieldType(), now };
}

function apply(manager: string, force = false, now = T1): ApplyTracking {
  return { ...update(manager, now), force };
}

function configMap(data: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns', ...extra }, data };
}

function stored(object: KubeObject, managedFields: ManagedFieldsEntry[]): KubeObject {
  return withManagedFields(object, managedFields);
}

function conflictOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('expected a conflict');
}

describe('managerName', () => {
  it('takes fieldManager, else the User-Agent product, else "unknown"', () => {
    expect(managerName('kubectl-edit', 'kubectl/v1.32.4 (linux/amd64)')).toBe('kubectl-edit');
    expect(managerName(null, 'kubectl/v1.32.4 (linux/amd64) kubernetes/abc')).toBe('kubectl');
    expect(managerName(undefined, undefined)).toBe(UNKNOWN_MANAGER);
  });
});

describe('FieldSet', () => {
  it('reads and writes FieldsV1, marking owned nodes that have owned children with "."', () => {
    const fields = { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:l': {} } } };
    expect(FieldSet.fromFieldsV1(fields).toFieldsV1()).toEqual(fields);
  });

  it('names paths as conflict messages do', () => {
    expect(pathString(['f:data', 'f:k'])).toBe('.data.k');
    expect(pathString(['f:spec', 'f:containers', 'k:{"name":"main"}', 'f:image'])).toBe('.spec.containers[name="main"].image');
    expect(pathString(['f:metadata', 'f:finalizers', 'v:"x"'])).toBe('.metadata.finalizers[="x"]');
  });
});

describe('recordUpdate', () => {
  it('gives a creator every field it set, the maps it created included, and none of the server-owned metadata', () => {
    const entries = recordUpdate(undefined, configMap({ a: '1' }, { labels: { l: 'x' }, uid: 'u', resourceVersion: '5' }), update('node'));
    expect(entries).toEqual([
      {
        manager: 'node',
        operation: 'Update',
        apiVersion: 'v1',
        time: T1,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:l': {} } } },
      },
    ]);
  });

  it('records nothing for an object without fields of its own', () => {
    expect(recordUpdate(undefined, { metadata: { name: 'bare' } }, update('node'))).toEqual([]);
  });

  it('takes only the fields an update changed, from whoever owned them', () => {
    const first = configMap({ k: 'a', k2: 'b' });
    const live = stored(first, recordUpdate(undefined, first, update('first')));
    const entries = recordUpdate(live, configMap({ k: 'a', k2: 'z', k3: 'c' }), update('second', T2));
    expect(entries.map((entry) => [entry.manager, entry.fieldsV1])).toEqual([
      ['first', { 'f:data': { '.': {}, 'f:k': {} } }],
      ['second', { 'f:data': { 'f:k2': {}, 'f:k3': {} } }],
    ]);
  });

  it('owns a built-in keyed list item by its key', () => {
    const pod: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'main', image: 'i' }] } };
    const [entry] = recordUpdate(undefined, pod, update('node'));
    expect(entry?.fieldsV1).toEqual({
      'f:spec': { '.': {}, 'f:containers': { '.': {}, 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
    });
  });
});

describe('recordApply', () => {
  it('owns exactly the configured leaves, and creates the object when there is none', () => {
    const result = recordApply(undefined, configMap({ k: 'a' }, { labels: { l: '1' } }), apply('first'));
    expect(result.object.data).toEqual({ k: 'a' });
    expect(result.managedFields).toEqual([
      { manager: 'first', operation: 'Apply', apiVersion: 'v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:k': {} }, 'f:metadata': { 'f:labels': { 'f:l': {} } } } },
    ]);
  });

  it('refuses to change a field another manager owns with 409 and one cause per field', () => {
    const first = recordApply(undefined, configMap({ k: 'a', k2: 'b' }), apply('first'));
    const live = stored(first.object, first.managedFields);
    const one = conflictOf(() => recordApply(live, configMap({ k: 'z' }), apply('second')));
    expect(one.body).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "first": .data.k',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "first"', field: '.data.k' }] },
    });
    const two = conflictOf(() => recordApply(live, configMap({ k: 'z', k2: 'y' }), apply('second')));
    expect(two.message).toBe('Apply failed with 2 conflicts: conflicts with "first":\n- .data.k\n- .data.k2');
  });

  it('names an update manager with the apiVersion it wrote in', () => {
    const created = configMap({ k: 'a' });
    const live = stored(created, recordUpdate(undefined, created, update('node')));
    expect(conflictOf(() => recordApply(live, configMap({ k: 'z' }), apply('second'))).message).toBe(
      'Apply failed with 1 conflict: conflict with "node" using v1: .data.k',
    );
  });

  it('shares a field applied with the same value, without a conflict', () => {
    const first = recordApply(undefined, configMap({ k: 'a' }), apply('first'));
    const shared = recordApply(stored(first.object, first.managedFields), configMap({ k: 'a' }), apply('second', false, T2));
    expect(shared.managedFields.map((entry) => [entry.manager, entry.time, entry.fieldsV1])).toEqual([
      // The object did not change, so the new manager's entry has no time (and sorts first).
      ['second', undefined, { 'f:data': { 'f:k': {} } }],
      ['first', T1, { 'f:data': { 'f:k': {} } }],
    ]);
  });

  it('takes the fields when forced, after which the loser dropping them removes only what it still owns', () => {
    const first = recordApply(undefined, configMap({ k: 'a', k2: 'b' }), apply('first'));
    const forced = recordApply(stored(first.object, first.managedFields), configMap({ k: 'z' }), apply('second', true, T2));
    expect(forced.object.data).toEqual({ k: 'z', k2: 'b' });
    expect(forced.managedFields.find((entry) => entry.manager === 'first')?.fieldsV1).toEqual({ 'f:data': { 'f:k2': {} } });
    const dropped = recordApply(stored(forced.object, forced.managedFields), configMap({}), apply('first', false, T2));
    expect(dropped.object.data).toEqual({ k: 'z' });
  });

  it('owns the elements of a CRD map and the items of a keyed list as wholes', () => {
    const job: KubeObject = {
      apiVersion: 'kubeflow.org/v2beta1',
      kind: 'MPIJob',
      metadata: { name: 'pi' },
      spec: { mpiReplicaSpecs: { Launcher: { template: { spec: { containers: [{ name: 'l', image: 'y' }] } } } } },
    };
    const result = recordApply(undefined, job, { ...apply('other'), apiVersion: 'kubeflow.org/v2beta1', type: schemaFieldType(MPIJOB_SCHEMA) });
    // As kube-apiserver 1.34 records it for the project's CRD.
    expect(result.managedFields[0]?.fieldsV1).toEqual({
      'f:spec': { 'f:mpiReplicaSpecs': { 'f:Launcher': { '.': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"l"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } } } },
    });
  });

  it('merges a keyed list item by item', () => {
    const pod: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } };
    const first = recordApply(undefined, pod, apply('first'));
    const second = recordApply(
      stored(first.object, first.managedFields),
      { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'c:1' }] } },
      apply('second'),
    );
    expect((second.object.spec as { containers: Array<{ name: string }> }).containers.map((c) => c.name)).toEqual(['a', 'b', 'c']);
  });
});
