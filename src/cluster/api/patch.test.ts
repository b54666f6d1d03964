import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, patchTypeOf } from './patch.ts';
import { StatusError } from './status.ts';

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    if (error instanceof StatusError) return error.code;
    throw error;
  }
  throw new Error('expected a StatusError');
}

describe('patchTypeOf', () => {
  it('knows the four patch media types and nothing else', () => {
    expect(patchTypeOf('application/json-patch+json')).toBe('json');
    expect(patchTypeOf('application/merge-patch+json')).toBe('merge');
    expect(patchTypeOf('application/strategic-merge-patch+json')).toBe('strategic');
    expect(patchTypeOf('application/apply-patch+yaml')).toBe('apply');
    expect(patchTypeOf('application/json')).toBeUndefined();
  });
});

describe('applyJsonPatch', () => {
  const doc = { metadata: { name: 'a', labels: { x: '1' } }, list: [1, 2, 3] };

  it('applies add, remove, replace, move and copy without changing its input', () => {
    const result = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/y', value: '2' },
      { op: 'add', path: '/list/-', value: 4 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'remove', path: '/list/1' },
      { op: 'replace', path: '/metadata/name', value: 'b' },
      { op: 'move', from: '/metadata/labels/x', path: '/metadata/labels/z' },
      { op: 'copy', from: '/metadata/name', path: '/copied' },
    ]);
    expect(result).toEqual({ metadata: { name: 'b', labels: { y: '2', z: '1' } }, list: [0, 2, 3, 4], copied: 'b' });
    expect(doc).toEqual({ metadata: { name: 'a', labels: { x: '1' } }, list: [1, 2, 3] });
  });

  it('unescapes ~1 and ~0 in pointers', () => {
    const result = applyJsonPatch({ metadata: { labels: {} } }, [{ op: 'add', path: '/metadata/labels/example.com~1a~0b', value: 'v' }]);
    expect(result).toEqual({ metadata: { labels: { 'example.com/a~b': 'v' } } });
  });

  function refusalOf(fn: () => unknown): StatusError {
    try {
      fn();
    } catch (error) {
      if (error instanceof StatusError) return error;
      throw error;
    }
    throw new Error('expected a StatusError');
  }

  it('passes a test that holds and refuses one that fails with the generic 422 and empty details', () => {
    expect(applyJsonPatch(doc, [{ op: 'test', path: '/metadata/name', value: 'a' }])).toEqual(doc);
    const failed = refusalOf(() => applyJsonPatch(doc, [{ op: 'test', path: '/metadata/name', value: 'z' }]));
    expect(failed.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
  });

  it('treats a replace of a missing object key as an add, as the real server does', () => {
    expect(applyJsonPatch(doc, [{ op: 'replace', path: '/metadata/labels/missing', value: 'v' }])).toEqual({
      ...doc,
      metadata: { name: 'a', labels: { x: '1', missing: 'v' } },
    });
  });

  it('takes a missing value as null', () => {
    expect(applyJsonPatch(doc, [{ op: 'add', path: '/extra' }])).toEqual({ ...doc, extra: null });
  });

  it('refuses operations that cannot be applied with 422 and patches that are no operation list with 400', () => {
    expect(codeOf(() => applyJsonPatch(doc, [{ op: 'remove', path: '/spec' }]))).toBe(422);
    expect(codeOf(() => applyJsonPatch(doc, [{ op: 'replace', path: '/nope/deeper', value: 1 }]))).toBe(422);
    expect(codeOf(() => applyJsonPatch(doc, [{ op: 'replace', path: '/list/3', value: 1 }]))).toBe(422);
    expect(codeOf(() => applyJsonPatch(doc, [{ op: 'add', path: '/list/9', value: 1 }]))).toBe(422);
    expect(codeOf(() => applyJsonPatch(doc, [{ op: 'frobnicate', path: '/a' }]))).toBe(422);
    expect(refusalOf(() => applyJsonPatch(doc, { op: 'add' })).body).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
    });
  });
});

describe('applyMergePatch', () => {
  it('merges maps, deletes keys set to null and replaces lists', () => {
    const result = applyMergePatch(
      { metadata: { labels: { a: '1', b: '2' } }, spec: { list: [1, 2], keep: true } },
      { metadata: { labels: { b: null, c: '3' } }, spec: { list: [3] } },
    );
    expect(result).toEqual({ metadata: { labels: { a: '1', c: '3' } }, spec: { list: [3], keep: true } });
  });
});

describe('applyStrategicMergePatch', () => {
  const pod = {
    metadata: { name: 'p', finalizers: ['a'], ownerReferences: [{ uid: 'u1', name: 'o1' }] },
    spec: {
      containers: [
        { name: 'main', image: 'img:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
        { name: 'sidecar', image: 'side:1' },
      ],
      tolerations: [{ key: 'a' }],
    },
    status: { conditions: [{ type: 'Ready', status: 'False' }] },
  };

  it('merges containers by name, env by name and ports by containerPort', () => {
    const result = applyStrategicMergePatch(pod, {
      spec: { containers: [{ name: 'main', image: 'img:2', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 80, name: 'http' }] }] },
    });
    expect(result.spec).toEqual({
      containers: [
        { name: 'main', image: 'img:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80, name: 'http' }] },
        { name: 'sidecar', image: 'side:1' },
      ],
      tolerations: [{ key: 'a' }],
    });
  });

  it('merges conditions by type and replaces lists without a merge key', () => {
    const result = applyStrategicMergePatch(pod, {
      spec: { tolerations: [{ key: 'b' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' }] },
    });
    expect((result.spec as { tolerations: unknown }).tolerations).toEqual([{ key: 'b' }]);
    expect(result.status).toEqual({ conditions: [{ type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' }] });
  });

  it('deletes list elements and maps with $patch: delete and replaces with $patch: replace', () => {
    const deleted = applyStrategicMergePatch(pod, { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] }, status: { $patch: 'delete' } });
    expect((deleted.spec as { containers: Array<{ name: string }> }).containers.map((c) => c.name)).toEqual(['main']);
    expect(deleted.status).toBeUndefined();
    const replaced = applyStrategicMergePatch(pod, { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } });
    expect((replaced.spec as { containers: unknown }).containers).toEqual([{ name: 'only', image: 'x' }]);
    const replacedMap = applyStrategicMergePatch(pod, { metadata: { $patch: 'replace', name: 'q' } });
    expect(replacedMap.metadata).toEqual({ name: 'q' });
  });

  it('ignores $setElementOrder, honours $deleteFromPrimitiveList and merges finalizers as a set', () => {
    const result = applyStrategicMergePatch(pod, {
      metadata: { finalizers: ['b', 'a'], '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'main' }] },
    });
    expect((result.metadata as { finalizers: string[] }).finalizers).toEqual(['b']);
    expect((result.spec as { containers: Array<{ name: string }> }).containers.map((c) => c.name)).toEqual(['main', 'sidecar']);
  });

  it('merges ownerReferences by uid and removes keys set to null', () => {
    const result = applyStrategicMergePatch(pod, { metadata: { ownerReferences: [{ uid: 'u2', name: 'o2' }], name: null } });
    expect(result.metadata).toEqual({ finalizers: ['a'], ownerReferences: [{ uid: 'u1', name: 'o1' }, { uid: 'u2', name: 'o2' }] });
  });
});
