// The four patch types (JSON patch is client-node's default; merge patch is what kubectl sends
// for custom resources; strategic merge patch for built-ins; apply patch for server-side apply).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { refusal } from './api.ts';
import { selectedBackends, startBackend, uniqueName, type Backend } from './backends.ts';
import { mpiJob, mpiJobCoordinates, TEST_IMAGE } from './objects.ts';

describe.each(selectedBackends())('patches on %s', (backendName) => {
  let backend: Backend;
  let core: CoreV1Api;
  let objects: CustomObjectsApi;
  let namespace: string;

  beforeAll(async () => {
    backend = await startBackend(backendName);
    core = backend.kubeConfig.makeApiClient(CoreV1Api);
    objects = backend.kubeConfig.makeApiClient(CustomObjectsApi);
    namespace = await backend.createNamespace('patch');
  });
  afterAll(async () => {
    await backend?.stop();
  });

  async function configMap(data: Record<string, string>): Promise<string> {
    const name = uniqueName('cm');
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data } });
    return name;
  }

  it('applies a JSON patch, the default patch type of client-node, operation by operation', async () => {
    const name = await configMap({ keep: '1', change: '1', drop: '1' });
    const patched = await core.patchNamespacedConfigMap({
      name,
      namespace,
      body: [
        { op: 'replace', path: '/data/change', value: '2' },
        { op: 'remove', path: '/data/drop' },
        { op: 'add', path: '/data/new', value: '3' },
      ],
    });
    expect(patched.data).toEqual({ keep: '1', change: '2', new: '3' });
  });

  it('treats a JSON patch replace of a missing map key as an add', async () => {
    const name = await configMap({ a: '1' });
    const patched = await core.patchNamespacedConfigMap({ name, namespace, body: [{ op: 'replace', path: '/data/missing', value: 'x' }] });
    expect(patched.data).toEqual({ a: '1', missing: 'x' });
  });

  it('refuses a JSON patch whose test operation fails with 422 and a generic message, changing nothing', async () => {
    const name = await configMap({ a: '1' });
    const status = await refusal(
      core.patchNamespacedConfigMap({
        name,
        namespace,
        body: [
          { op: 'test', path: '/data/a', value: '2' },
          { op: 'replace', path: '/data/a', value: '3' },
        ],
      }),
    );
    expect(status).toMatchObject({ code: 422, reason: 'Invalid', message: 'the server rejected our request due to an error in our request', details: {} });
    expect((await core.readNamespacedConfigMap({ name, namespace })).data).toEqual({ a: '1' });
  });

  it('deletes a key set to null by a merge patch and keeps the others', async () => {
    const name = await configMap({ a: '1', b: '1' });
    const patched = await core.patchNamespacedConfigMap({ name, namespace, body: { data: { a: null, c: '3' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(patched.data).toEqual({ b: '1', c: '3' });
  });

  it('merges a strategic merge patch into a pod container list by container name', async () => {
    const name = uniqueName('pod');
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name },
        spec: {
          containers: [
            { name: 'main', image: TEST_IMAGE },
            { name: 'side', image: TEST_IMAGE },
          ],
        },
      },
    });
    const patched = await core.patchNamespacedPod(
      { name, namespace, body: { spec: { containers: [{ name: 'side', image: `${TEST_IMAGE}-v2` }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.containers.map((container) => [container.name, container.image])).toEqual([
      ['main', TEST_IMAGE],
      ['side', `${TEST_IMAGE}-v2`],
    ]);
  });

  it('refuses a strategic merge patch on an MPIJob with 415 and lists the patch types it accepts', async () => {
    const name = uniqueName('job');
    await objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body: mpiJob(name, namespace) });
    const status = await refusal(
      objects.patchNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name, body: { spec: { slotsPerWorker: 2 } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)),
    );
    expect(status).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    });
  });

  it('creates an absent object with a server-side apply patch and records the field manager', async () => {
    const name = uniqueName('applied');
    const applied = await core.patchNamespacedConfigMap(
      { name, namespace, fieldManager: 'first', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'a' } } },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    expect(applied.data).toEqual({ k: 'a' });
    expect(applied.metadata?.managedFields?.map((entry) => [entry.manager, entry.operation])).toEqual([['first', 'Apply']]);
  });

  it('refuses an apply that takes fields owned by another manager with 409 listing each conflict, unless forced', async () => {
    const name = uniqueName('applied');
    const apply = (manager: string, data: Record<string, string>, force?: boolean): Promise<V1ConfigMap> =>
      core.patchNamespacedConfigMap(
        { name, namespace, fieldManager: manager, force, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data } },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    await apply('first', { k: 'a', k2: 'b' });
    const one = await refusal(apply('second', { k: 'z' }));
    expect(one).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "first": .data.k',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "first"', field: '.data.k' }] },
    });
    const two = await refusal(apply('second', { k: 'z', k2: 'y' }));
    expect(two.message).toBe('Apply failed with 2 conflicts: conflicts with "first":\n- .data.k\n- .data.k2');
    const forced = await apply('second', { k: 'z' }, true);
    expect(forced.data).toEqual({ k: 'z', k2: 'b' });
    // `first` no longer owns k, so dropping its whole data map removes only k2.
    const dropped = await apply('first', {});
    expect(dropped.data).toEqual({ k: 'z' });
  });

  it('refuses an apply patch without a fieldManager with 422 on PatchOptions', async () => {
    const name = await configMap({ a: '1' });
    const status = await refusal(
      core.patchNamespacedConfigMap({ name, namespace, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply)),
    );
    expect(status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      details: { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }] },
    });
  });

  it('refuses a patch that leaves an unknown field under fieldValidation=Strict with 422 on "patch", quoting the patched object', async () => {
    const name = await configMap({ a: '1' });
    const status = await refusal(
      core.patchNamespacedConfigMap({ name, namespace, fieldValidation: 'Strict', body: { foo: 1 } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    );
    expect(status).toMatchObject({ code: 422, reason: 'Invalid', details: { causes: [{ reason: 'FieldValueInvalid', field: 'patch' }] } });
    // The quoted object is the patched one as Go re-encodes it: keys sorted, server fields included.
    expect(status.message.startsWith(' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"v1\\",\\"data\\":{\\"a\\":\\"1\\"},\\"foo\\":1,\\"kind\\":\\"ConfigMap\\",\\"metadata\\":{')).toBe(true);
    expect(status.message).toContain(`\\"name\\":\\"${name}\\",\\"namespace\\":\\"${namespace}\\"`);
    expect(status.message.endsWith('}}": strict decoding error: unknown field "foo"')).toBe(true);
    const strategic = await refusal(
      core.patchNamespacedConfigMap({ name, namespace, fieldValidation: 'Strict', body: { foo: 1 } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)),
    );
    expect(strategic.message).toBe(' "" is invalid: patch: Invalid value: "map[foo:1]": strict decoding error: unknown field "foo"');
  });

  it('answers a patch of a built-in kind in no patch media type with its router\'s 415', async () => {
    const name = await configMap({ a: '1' });
    const status = await refusal(core.patchNamespacedConfigMap({ name, namespace, body: 'x' }, setHeaderOptions('Content-Type', 'text/plain')));
    expect(status).toMatchObject({ code: 415, reason: 'UnsupportedMediaType', message: '415: Unsupported Media Type', details: {} });
  });

  it('records a write\'s manager from the client\'s User-Agent, owning the maps it created', async () => {
    const name = uniqueName('cm');
    const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { l: 'x' } }, data: { a: '1' } } });
    expect(created.metadata?.managedFields?.map((entry) => [entry.manager, entry.operation, entry.apiVersion, entry.fieldsType, entry.fieldsV1])).toEqual([
      ['kubernetes-client-javascript', 'Update', 'v1', 'FieldsV1', { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:l': {} } } }],
    ]);
  });

  it('answers an apply configuration with a field the kind does not declare with a 500 that has no reason', async () => {
    const name = uniqueName('applied');
    const status = await refusal(
      core.patchNamespacedConfigMap(
        { name, namespace, fieldManager: 'first', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, bogus: 1 } },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      ),
    );
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `failed to create typed patch object (/${name}; /v1, Kind=ConfigMap): .bogus: field not declared in schema`,
      code: 500,
    });
  });

  it('answers a patch of a missing object with 404 rather than creating it', async () => {
    const status = await refusal(core.patchNamespacedConfigMap({ name: 'absent', namespace, body: { data: { a: '1' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
    expect(status).toMatchObject({ code: 404, reason: 'NotFound', message: 'configmaps "absent" not found' });
  });
});
