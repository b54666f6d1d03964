// The REST surface through @kubernetes/client-node over real HTTPS, plus raw requests for what
// the typed client cannot send.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../../../test/utils/apiserver.ts';
import type { AdmissionPlugin, AdmissionRequest } from './admission.ts';
import { forbidden, type StatusBody } from './status.ts';

const MPIJOB = { group: 'kubeflow.org', version: 'v2beta1', plural: 'mpijobs' } as const;

interface Failure {
  code: number;
  status: StatusBody | undefined;
}

async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) {
      const body: unknown = error.body;
      const status = typeof body === 'string' && body !== '' ? (JSON.parse(body) as StatusBody) : (body as StatusBody | undefined);
      return { code: error.code, status };
    }
    throw error;
  }
  throw new Error('expected the request to fail');
}

function mpiJob(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'kubeflow.org/v2beta1',
    kind: 'MPIJob',
    metadata: { name },
    spec: { slotsPerWorker: 1, mpiReplicaSpecs: { Launcher: { replicas: 1 } } },
    ...extra,
  };
}

const admitted: AdmissionRequest[] = [];
const recordingPlugin: AdmissionPlugin = {
  name: 'recording',
  mutate(request) {
    admitted.push(request);
    if (request.operation !== 'CREATE' || request.info.resource !== 'configmaps' || !request.object) return undefined;
    const object = structuredClone(request.object);
    object.metadata.annotations = { ...(object.metadata.annotations ?? {}), 'test/defaulted': 'yes' };
    return object;
  },
  validate(request) {
    if (request.object?.metadata.labels?.forbidden === 'yes') throw forbidden(request.info, request.name, 'the test plugin refuses it');
    if (request.object?.metadata.labels?.explode === 'yes') throw new Error('plugin bug');
  },
};

let api: TestApiServer;
let kc: KubeConfig;
let core: CoreV1Api;
let batch: BatchV1Api;
let custom: CustomObjectsApi;

beforeAll(async () => {
  api = await startTestApiServer({ admission: [recordingPlugin] });
  kc = api.kubeConfig;
  core = kc.makeApiClient(CoreV1Api);
  batch = kc.makeApiClient(BatchV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  for (const name of ['team-a', 'team-b', 'paging', 'doomed', 'cascade']) await core.createNamespace({ body: { metadata: { name } } });
});

afterAll(async () => {
  await api.close();
});

describe('create, read, update and delete', () => {
  it('creates a ConfigMap, reads it back and lists it', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'crud' }, data: { a: '1' } } });
    expect(created.metadata?.uid).toBeDefined();
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    const read = await core.readNamespacedConfigMap({ name: 'crud', namespace: 'team-a' });
    expect(read.data).toEqual({ a: '1' });
    const list = await core.listNamespacedConfigMap({ namespace: 'team-a' });
    expect(list.items.map((i) => i.metadata?.name)).toContain('crud');
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
  });

  it('replaces an object and bumps its resourceVersion', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'replace-me' }, data: { a: '1' } } });
    const replaced = await core.replaceNamespacedConfigMap({ name: 'replace-me', namespace: 'team-a', body: { ...created, data: { a: '2' } } });
    expect(replaced.data).toEqual({ a: '2' });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
  });

  it('deletes an object, answering with a Success Status naming it, after which a read is a 404 NotFound Status', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'delete-me' } } });
    const deleted = await api.raw('/api/v1/namespaces/team-a/configmaps/delete-me', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(JSON.parse(deleted.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'delete-me', kind: 'configmaps', uid: created.metadata?.uid },
    });
    const missing = await failure(core.readNamespacedConfigMap({ name: 'delete-me', namespace: 'team-a' }));
    expect(missing.code).toBe(404);
    expect(missing.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "delete-me" not found',
      reason: 'NotFound',
      details: { name: 'delete-me', kind: 'configmaps' },
      code: 404,
    });
  });

  it('refuses a create in a namespace that does not exist with 404 namespaces "x" not found', async () => {
    const result = await failure(core.createNamespacedConfigMap({ namespace: 'ghost', body: { metadata: { name: 'x' } } }));
    expect(result.code).toBe(404);
    expect(result.status?.message).toBe('namespaces "ghost" not found');
  });

  it('refuses a duplicate name with 409 AlreadyExists', async () => {
    await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'twice' } } });
    const result = await failure(core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'twice' } } }));
    expect(result.code).toBe(409);
    expect(result.status).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "twice" already exists' });
  });

  it('refuses invalid names with 422 Invalid and a cause on metadata.name', async () => {
    const result = await failure(core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'Not_Valid' } } }));
    expect(result.code).toBe(422);
    expect(result.status?.reason).toBe('Invalid');
    expect(result.status?.message).toMatch(/^ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain/);
    expect(result.status?.details).toMatchObject({ name: 'Not_Valid', kind: 'ConfigMap', causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }] });
    const dotted = await failure(core.createNamespace({ body: { metadata: { name: 'has.dot' } } }));
    expect(dotted.code).toBe(422);
    expect(dotted.status?.message).toContain('a lowercase RFC 1123 label');
    const nameless = await failure(core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: {} } }));
    expect(nameless.status?.message).toContain('metadata.name: Required value: name or generateName is required');
  });

  it('refuses an invalid label with 422', async () => {
    const result = await failure(core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'bad-label', labels: { ok: 'not ok' } } } }));
    expect(result.code).toBe(422);
    expect(result.status?.details?.causes?.[0]?.field).toBe('metadata.labels');
  });

  it('names an object from generateName', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { generateName: 'gen-' } } });
    expect(created.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('names a generateName object before validating admission, so that a refusal carries the name', async () => {
    const result = await failure(core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { generateName: 'gen-', labels: { forbidden: 'yes' } } } }));
    expect(result.status?.details?.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(result.status?.message).toBe(`configmaps "${result.status?.details?.name ?? ''}" is forbidden: the test plugin refuses it`);
  });

  it('refuses a replace of a custom resource without resourceVersion with 422, naming the plural resource', async () => {
    await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a', body: mpiJob('conditional') });
    const result = await failure(custom.replaceNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a', name: 'conditional', body: mpiJob('conditional') }));
    expect(result.status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'mpijobs.kubeflow.org "conditional" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update',
      details: { name: 'conditional', group: 'kubeflow.org', kind: 'mpijobs', causes: [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion' }] },
    });
  });

  it('refuses a stale resourceVersion on update with 409 Conflict and the optimistic-lock message', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'locked' }, data: { a: '1' } } });
    await core.replaceNamespacedConfigMap({ name: 'locked', namespace: 'team-a', body: { ...created, data: { a: '2' } } });
    const result = await failure(core.replaceNamespacedConfigMap({ name: 'locked', namespace: 'team-a', body: { ...created, data: { a: '3' } } }));
    expect(result.code).toBe(409);
    expect(result.status).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on configmaps "locked": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('updates unconditionally when the body carries no resourceVersion', async () => {
    await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'unconditional' }, data: { a: '1' } } });
    const replaced = await core.replaceNamespacedConfigMap({ name: 'unconditional', namespace: 'team-a', body: { metadata: { name: 'unconditional' }, data: { a: '9' } } });
    expect(replaced.data).toEqual({ a: '9' });
  });

  it('refuses a body whose name differs from the URL with 400', async () => {
    await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'url-name' } } });
    const result = await failure(core.replaceNamespacedConfigMap({ name: 'url-name', namespace: 'team-a', body: { metadata: { name: 'other' } } }));
    expect(result.code).toBe(400);
    expect(result.status?.message).toBe('the name of the object (other) does not match the name on the URL (url-name)');
  });

  it('serves custom resources with kind and apiVersion on list items', async () => {
    await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a', body: mpiJob('listed') });
    const list = (await custom.listNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a' })) as { kind: string; items: Array<{ kind?: string; apiVersion?: string }> };
    expect(list.kind).toBe('MPIJobList');
    expect(list.items[0]).toMatchObject({ kind: 'MPIJob', apiVersion: 'kubeflow.org/v2beta1' });
    const pods = await api.raw('/api/v1/namespaces/team-a/configmaps');
    expect((JSON.parse(pods.body) as { items: Array<{ kind?: string }> }).items[0]?.kind).toBeUndefined();
  });
});

describe('lists', () => {
  beforeAll(async () => {
    for (const [name, tier] of [['p1', 'web'], ['p2', 'db'], ['p3', 'web'], ['p4', 'db'], ['p5', 'web']] as const) {
      await core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name, labels: { tier } } } });
    }
  });

  it('pages with limit and continue, every page at the first page resourceVersion', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'paging', limit: 2 });
    expect(first.items.map((i) => i.metadata?.name)).toEqual(['p1', 'p2']);
    expect(first.metadata?.remainingItemCount).toBe(3);
    const token = first.metadata?._continue;
    expect(token).toBeTruthy();
    // A write between pages must not show up in the rest of this list.
    await core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name: 'p0-late', labels: { tier: 'web' } } } });
    await core.deleteNamespacedConfigMap({ name: 'p4', namespace: 'paging' });
    const second = await core.listNamespacedConfigMap({ namespace: 'paging', limit: 2, _continue: token });
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(second.items.map((i) => i.metadata?.name)).toEqual(['p3', 'p4']);
    const third = await core.listNamespacedConfigMap({ namespace: 'paging', limit: 2, _continue: second.metadata?._continue });
    expect(third.items.map((i) => i.metadata?.name)).toEqual(['p5']);
    expect(third.metadata?._continue).toBeFalsy();
    await core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name: 'p4', labels: { tier: 'db' } } } });
    await core.deleteNamespacedConfigMap({ name: 'p0-late', namespace: 'paging' });
  });

  it('filters by label selector, including set-based terms', async () => {
    const web = await core.listNamespacedConfigMap({ namespace: 'paging', labelSelector: 'tier=web' });
    expect(web.items.map((i) => i.metadata?.name)).toEqual(['p1', 'p3', 'p5']);
    const notWeb = await core.listNamespacedConfigMap({ namespace: 'paging', labelSelector: 'tier notin (web),tier' });
    expect(notWeb.items.map((i) => i.metadata?.name)).toEqual(['p2', 'p4']);
  });

  it('pages through a selector without losing matches', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'paging', labelSelector: 'tier=web', limit: 2 });
    expect(first.items.map((i) => i.metadata?.name)).toEqual(['p1', 'p3']);
    const second = await core.listNamespacedConfigMap({ namespace: 'paging', labelSelector: 'tier=web', limit: 2, _continue: first.metadata?._continue });
    expect(second.items.map((i) => i.metadata?.name)).toEqual(['p5']);
  });

  it('filters by field selector and refuses unsupported fields with 400', async () => {
    const named = await core.listNamespacedConfigMap({ namespace: 'paging', fieldSelector: 'metadata.name=p2' });
    expect(named.items.map((i) => i.metadata?.name)).toEqual(['p2']);
    const others = await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace!=paging,metadata.name=p2' });
    expect(others.items).toEqual([]);
    const bad = await failure(core.listNamespacedConfigMap({ namespace: 'paging', fieldSelector: 'spec.nodeName=x' }));
    expect(bad.code).toBe(400);
    expect(bad.status?.message).toBe('field label not supported: spec.nodeName');
    const malformed = await failure(core.listNamespacedConfigMap({ namespace: 'paging', labelSelector: 'tier in (' }));
    expect(malformed.code).toBe(400);
  });

  it('answers an undecodable continue token with 400 and a too-new resourceVersion with 504', async () => {
    const token = await failure(core.listNamespacedConfigMap({ namespace: 'paging', _continue: 'garbage!' }));
    expect(token.code).toBe(400);
    const tooNew = await api.raw('/api/v1/namespaces/paging/configmaps?resourceVersion=999999999');
    expect(tooNew.status).toBe(504);
    expect(JSON.parse(tooNew.body)).toMatchObject({ reason: 'Timeout', details: { retryAfterSeconds: 1 } });
  });

  it('answers an unparseable resourceVersion with 400 on a list and a 500 without reason on a watch, as the real server does', async () => {
    const problem = 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax';
    const list = await api.raw('/api/v1/namespaces/team-a/configmaps?resourceVersion=abc');
    expect(list.status).toBe(400);
    expect(JSON.parse(list.body)).toMatchObject({ reason: 'BadRequest', message: `invalid resource version: ${problem}` });
    const watch = await api.raw('/api/v1/namespaces/team-a/configmaps?watch=true&resourceVersion=abc');
    expect(watch.status).toBe(500);
    expect(JSON.parse(watch.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: problem, code: 500 });
  });

  it('validates list options like the real server, with 422 on ListOptions', async () => {
    const result = await api.raw('/api/v1/namespaces/paging/configmaps?resourceVersionMatch=NotOlderThan');
    expect(result.status).toBe(422);
    expect(JSON.parse(result.body).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
  });

  it('answers as a Table when the Accept header asks for one', async () => {
    const result = await api.raw('/api/v1/namespaces/paging/configmaps?limit=500', {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json' },
    });
    const table = JSON.parse(result.body) as { kind: string; rows: unknown[]; metadata: { resourceVersion: string } };
    expect(table.kind).toBe('Table');
    expect(table.rows).toHaveLength(5);
    expect(table.metadata.resourceVersion).toMatch(/^\d+$/);
    const one = JSON.parse((await api.raw('/api/v1/namespaces/paging/configmaps/p1', { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } })).body);
    expect(one.kind).toBe('Table');
    expect(one.rows).toHaveLength(1);
  });
});

describe('expired continue tokens', () => {
  it('answers 410 Expired once the history no longer reaches the token', async () => {
    const small = await startTestApiServer({ historyLimit: 3 });
    try {
      const smallCore = small.kubeConfig.makeApiClient(CoreV1Api);
      await smallCore.createNamespace({ body: { metadata: { name: 'n' } } });
      for (const name of ['a', 'b', 'c']) await smallCore.createNamespacedConfigMap({ namespace: 'n', body: { metadata: { name } } });
      const first = await smallCore.listNamespacedConfigMap({ namespace: 'n', limit: 1 });
      for (const name of ['d', 'e', 'f', 'g']) await smallCore.createNamespacedConfigMap({ namespace: 'n', body: { metadata: { name } } });
      const result = await failure(smallCore.listNamespacedConfigMap({ namespace: 'n', limit: 1, _continue: first.metadata?._continue }));
      expect(result.code).toBe(410);
      expect(result.status?.reason).toBe('Expired');
    } finally {
      await small.close();
    }
  });
});

describe('patches', () => {
  it('applies a JSON patch, the client default', async () => {
    await core.createNamespacedConfigMap({ namespace: 'team-b', body: { metadata: { name: 'jp' }, data: { a: '1' } } });
    const patched = await core.patchNamespacedConfigMap({
      name: 'jp',
      namespace: 'team-b',
      body: [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'add', path: '/data/b', value: '2' },
      ],
    });
    expect(patched.data).toEqual({ a: '1', b: '2' });
    const failed = await failure(core.patchNamespacedConfigMap({ name: 'jp', namespace: 'team-b', body: [{ op: 'test', path: '/data/a', value: 'nope' }] }));
    expect(failed.code).toBe(422);
  });

  it('applies a merge patch, removing keys set to null', async () => {
    await core.createNamespacedConfigMap({ namespace: 'team-b', body: { metadata: { name: 'mp', labels: { x: '1' } }, data: { a: '1', b: '2' } } });
    const patched = await core.patchNamespacedConfigMap(
      { name: 'mp', namespace: 'team-b', body: { metadata: { labels: { y: '2' } }, data: { b: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.data).toEqual({ a: '1' });
    expect(patched.metadata?.labels).toEqual({ x: '1', y: '2' });
  });

  it('applies a strategic merge patch to a built-in kind, merging containers by name', async () => {
    await batch.createNamespacedJob({
      namespace: 'team-b',
      body: {
        metadata: { name: 'smp' },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } } },
      },
    });
    const patched = await batch.patchNamespacedJob(
      { name: 'smp', namespace: 'team-b', body: { spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['a=a:1', 'b=b:2']);
    expect(patched.metadata?.generation).toBe(2);
  });

  it('refuses a strategic merge patch on a custom resource with 415, listing the patch types it takes', async () => {
    await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'team-b', body: mpiJob('no-smp') });
    const result = await failure(
      custom.patchNamespacedCustomObject({ ...MPIJOB, namespace: 'team-b', name: 'no-smp', body: { spec: {} } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)),
    );
    expect(result.code).toBe(415);
    expect(result.status).toMatchObject({
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    });
  });

  it('treats a JSON patch replace of a missing key as an add and answers one that cannot apply with the generic 422', async () => {
    await core.createNamespacedConfigMap({ namespace: 'team-b', body: { metadata: { name: 'jp-quirks' }, data: { a: '1' } } });
    const added = await core.patchNamespacedConfigMap({ name: 'jp-quirks', namespace: 'team-b', body: [{ op: 'replace', path: '/data/missing', value: 'x' }] });
    expect(added.data).toEqual({ a: '1', missing: 'x' });
    const failed = await failure(core.patchNamespacedConfigMap({ name: 'jp-quirks', namespace: 'team-b', body: [{ op: 'test', path: '/data/a', value: '2' }] }));
    expect(failed.status).toMatchObject({ code: 422, reason: 'Invalid', message: 'the server rejected our request due to an error in our request', details: {} });
  });

  it('creates with a server-side apply patch (201), merges another manager\'s (200) and drops what a manager stops applying', async () => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: 'team-b' }, data: { a: '1' } });
    const created = await api.raw('/api/v1/namespaces/team-b/configmaps/applied?fieldManager=test&force=true', {
      method: 'PATCH',
      headers: { 'Content-Type': PatchStrategy.ServerSideApply },
      body,
    });
    expect(created.status).toBe(201);
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  b: "2"\n';
    const merged = await api.raw('/api/v1/namespaces/team-b/configmaps/applied?fieldManager=other', {
      method: 'PATCH',
      headers: { 'Content-Type': PatchStrategy.ServerSideApply },
      body: yaml,
    });
    expect(merged.status).toBe(200);
    expect(JSON.parse(merged.body).data).toEqual({ a: '1', b: '2' });
    const narrowed = await api.raw('/api/v1/namespaces/team-b/configmaps/applied?fieldManager=test', {
      method: 'PATCH',
      headers: { 'Content-Type': PatchStrategy.ServerSideApply },
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n',
    });
    expect(JSON.parse(narrowed.body).data).toEqual({ b: '2' });
    const noManager = await api.raw('/api/v1/namespaces/team-b/configmaps/applied', { method: 'PATCH', headers: { 'Content-Type': PatchStrategy.ServerSideApply }, body: yaml });
    expect(noManager.status).toBe(422);
  });

  it('treats a resourceVersion inside a patch as a precondition', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'team-b', body: { metadata: { name: 'precondition' }, data: { a: '1' } } });
    const stale = created.metadata?.resourceVersion ?? '';
    await core.patchNamespacedConfigMap({ name: 'precondition', namespace: 'team-b', body: { data: { a: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const result = await failure(
      core.patchNamespacedConfigMap(
        { name: 'precondition', namespace: 'team-b', body: { metadata: { resourceVersion: stale }, data: { a: '3' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(result.code).toBe(409);
    expect(result.status?.reason).toBe('Conflict');
  });

  it('refuses an unknown patch media type with 415 and a patch of a missing object with 404', async () => {
    const unknown = await api.raw('/api/v1/namespaces/team-b/configmaps/precondition', { method: 'PATCH', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    expect(unknown.status).toBe(415);
    // The built-in kinds' routes answer this themselves, in their router's words.
    expect(JSON.parse(unknown.body)).toMatchObject({ message: '415: Unsupported Media Type', details: {} });
    const missing = await failure(core.patchNamespacedConfigMap({ name: 'nope', namespace: 'team-b', body: [{ op: 'add', path: '/data', value: {} }] }));
    expect(missing.code).toBe(404);
  });
});

describe('unknown fields', () => {
  const JOB_PATH = '/apis/kubeflow.org/v2beta1/namespaces/team-b/mpijobs';
  const post = (path: string, body: unknown) => api.raw(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('refuses unknown MPIJob fields with 400 under Strict, warns and prunes by default, and says nothing under Ignore', async () => {
    const strict = await post(`${JOB_PATH}?fieldValidation=Strict`, { ...mpiJob('uf-strict'), spec: { mpiReplicaSpecs: {}, bogus: 1 } });
    expect(strict.status).toBe(400);
    expect(JSON.parse(strict.body).message).toBe('MPIJob in version "v2beta1" cannot be handled as a MPIJob: strict decoding error: unknown field "spec.bogus"');
    const warned = await post(JOB_PATH, { ...mpiJob('uf-warn'), spec: { mpiReplicaSpecs: {}, bogus: 1, alpha: 2 } });
    expect(warned.status).toBe(201);
    expect(warned.headers.warning).toBe('299 - "unknown field \\"spec.alpha\\"", 299 - "unknown field \\"spec.bogus\\""');
    expect(JSON.parse(warned.body).spec).not.toHaveProperty('bogus');
    const ignored = await post(`${JOB_PATH}?fieldValidation=Ignore`, { ...mpiJob('uf-ignore'), spec: { mpiReplicaSpecs: {}, bogus: 1 } });
    expect(ignored.status).toBe(201);
    expect(ignored.headers.warning).toBeUndefined();
  });

  it('warns about and drops unknown top-level and metadata fields of a built-in kind', async () => {
    const created = await post('/api/v1/namespaces/team-b/configmaps', { metadata: { name: 'uf-cm', foo: 1 }, data: { a: '1' }, bar: 2 });
    expect(created.headers.warning).toBe('299 - "unknown field \\"metadata.foo\\"", 299 - "unknown field \\"bar\\""');
    const stored = await core.readNamespacedConfigMap({ name: 'uf-cm', namespace: 'team-b' });
    expect(stored).not.toHaveProperty('bar');
    expect(stored.metadata).not.toHaveProperty('foo');
  });

  it('refuses a patch that leaves unknown fields under Strict with 422 on "patch", quoting what it could not decode', async () => {
    await core.createNamespacedConfigMap({ namespace: 'team-b', body: { metadata: { name: 'uf-patch' }, data: { a: '1' } } });
    const path = '/api/v1/namespaces/team-b/configmaps/uf-patch?fieldValidation=Strict';
    const merge = await api.raw(path, { method: 'PATCH', headers: { 'Content-Type': PatchStrategy.MergePatch }, body: '{"foo":1}' });
    expect(merge.status).toBe(422);
    const message = JSON.parse(merge.body).message as string;
    expect(message.startsWith(' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"v1\\",\\"data\\":{\\"a\\":\\"1\\"},\\"foo\\":1,\\"kind\\":\\"ConfigMap\\"')).toBe(true);
    expect(message.endsWith('}}": strict decoding error: unknown field "foo"')).toBe(true);
    const strategic = await api.raw(path, { method: 'PATCH', headers: { 'Content-Type': PatchStrategy.StrategicMergePatch }, body: '{"foo":1}' });
    expect(JSON.parse(strategic.body).message).toBe(' "" is invalid: patch: Invalid value: "map[foo:1]": strict decoding error: unknown field "foo"');
  });

  it('answers an apply configuration with an undeclared field with a 500 that has no reason', async () => {
    const result = await api.raw('/api/v1/namespaces/team-b/configmaps/uf-apply?fieldManager=me', {
      method: 'PATCH',
      headers: { 'Content-Type': PatchStrategy.ServerSideApply },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'uf-apply' }, bogus: 1 }),
    });
    expect(result.status).toBe(500);
    expect(JSON.parse(result.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'failed to create typed patch object (/uf-apply; /v1, Kind=ConfigMap): .bogus: field not declared in schema',
      code: 500,
    });
  });

  it('refuses an unknown fieldValidation value with 422 on the write options', async () => {
    const result = await post('/api/v1/namespaces/team-b/configmaps?fieldValidation=Loud', { metadata: { name: 'uf-bad' } });
    expect(result.status).toBe(422);
    expect(JSON.parse(result.body).details).toMatchObject({ group: 'meta.k8s.io', kind: 'CreateOptions' });
  });
});

describe('managed fields', () => {
  const applyConfigMap = (manager: string, data: Record<string, string>, force = false) =>
    api.raw(`/api/v1/namespaces/team-b/configmaps/owned?fieldManager=${manager}${force ? '&force=true' : ''}`, {
      method: 'PATCH',
      headers: { 'Content-Type': PatchStrategy.ServerSideApply },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned' }, data }),
    });

  it('records a write under the User-Agent\'s product and an apply under its field manager', async () => {
    const created = await api.raw('/api/v1/namespaces/team-b/configmaps', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'kubectl/v1.32.4 (linux/amd64) kubernetes/abc' },
      body: JSON.stringify({ metadata: { name: 'by-agent' }, data: { a: '1' } }),
    });
    expect(JSON.parse(created.body).metadata.managedFields).toEqual([
      { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: expect.stringMatching(/Z$/), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } },
    ]);
  });

  it('refuses an apply that changes another manager\'s field with 409 unless forced', async () => {
    expect((await applyConfigMap('first', { k: 'a' })).status).toBe(201);
    const refused = await applyConfigMap('second', { k: 'b' });
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body)).toMatchObject({ reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "first": .data.k' });
    const forced = await applyConfigMap('second', { k: 'b' }, true);
    expect(forced.status).toBe(200);
    const entries = JSON.parse(forced.body).metadata.managedFields as Array<{ manager: string; operation: string }>;
    expect(entries.map((entry) => [entry.manager, entry.operation])).toEqual([['second', 'Apply']]);
  });
});

describe('dry run', () => {
  it('runs admission and returns the would-be object without storing a create', async () => {
    const before = admitted.length;
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', dryRun: 'All', body: { metadata: { name: 'dry' } } });
    expect(created.metadata?.name).toBe('dry');
    expect(created.metadata?.annotations?.['test/defaulted']).toBe('yes');
    expect(admitted.slice(before).some((r) => r.dryRun && r.object?.metadata.name === 'dry')).toBe(true);
    expect((await failure(core.readNamespacedConfigMap({ name: 'dry', namespace: 'team-a' }))).code).toBe(404);
  });

  it('keeps the object on a dry-run update and delete', async () => {
    await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'dry-kept' }, data: { a: '1' } } });
    const patched = await core.patchNamespacedConfigMap(
      { name: 'dry-kept', namespace: 'team-a', dryRun: 'All', body: { data: { a: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.data).toEqual({ a: '2' });
    await core.deleteNamespacedConfigMap({ name: 'dry-kept', namespace: 'team-a', dryRun: 'All' });
    const read = await core.readNamespacedConfigMap({ name: 'dry-kept', namespace: 'team-a' });
    expect(read.data).toEqual({ a: '1' });
  });

  it('refuses a dryRun value other than All with 400', async () => {
    const result = await api.raw('/api/v1/namespaces/team-a/configmaps?dryRun=Some', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"metadata":{"name":"x"}}' });
    expect(result.status).toBe(400);
  });
});

describe('admission', () => {
  it('stores what the mutating plugins return', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'mutated' } } });
    expect(created.metadata?.annotations?.['test/defaulted']).toBe('yes');
  });

  it('passes a refusal through as the plugin Status', async () => {
    const result = await failure(core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'refused', labels: { forbidden: 'yes' } } } }));
    expect(result.code).toBe(403);
    expect(result.status?.message).toBe('configmaps "refused" is forbidden: the test plugin refuses it');
  });

  it('turns an unexpected plugin error into 500 InternalError and keeps serving', async () => {
    const result = await failure(core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'boom', labels: { explode: 'yes' } } } }));
    expect(result.code).toBe(500);
    expect(result.status).toMatchObject({ reason: 'InternalError', message: 'Internal error occurred: plugin bug' });
    expect(api.loggedErrors.some((e) => JSON.stringify(e.details).includes('plugin bug'))).toBe(true);
    expect((await core.readNamespace({ name: 'team-a' })).metadata?.name).toBe('team-a');
  });

  it('tells the plugins the operation, the old object on update and the status subresource', async () => {
    await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a', body: mpiJob('admitted') });
    const before = admitted.length;
    await custom.patchNamespacedCustomObjectStatus(
      { ...MPIJOB, namespace: 'team-a', name: 'admitted', body: { status: { conditions: [{ type: 'Created', status: 'True' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const request = admitted.slice(before).find((r) => r.info.resource === 'mpijobs');
    expect(request).toMatchObject({ operation: 'UPDATE', subresource: 'status', namespace: 'team-a', name: 'admitted', dryRun: false });
    expect(request?.oldObject?.metadata.name).toBe('admitted');
    expect(request?.user.username).toBe('test-admin');
  });
});

describe('the status subresource', () => {
  it('drops status on create and ignores status changes written to the main resource', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a', body: mpiJob('st', { status: { conditions: [{ type: 'Succeeded', status: 'True' }] } }) })) as {
      status?: unknown;
      metadata: { resourceVersion: string };
    };
    expect(created.status).toBeUndefined();
    const updated = (await custom.patchNamespacedCustomObject(
      { ...MPIJOB, namespace: 'team-a', name: 'st', body: { metadata: { labels: { a: 'b' } }, status: { conditions: [] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { status?: unknown; metadata: { labels?: Record<string, string> } };
    expect(updated.status).toBeUndefined();
    expect(updated.metadata.labels).toEqual({ a: 'b' });
  });

  it('changes only status through /status, without moving generation', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'team-a', body: mpiJob('st2') })) as Record<string, unknown> & {
      metadata: { generation: number; resourceVersion: string };
    };
    const replaced = (await custom.replaceNamespacedCustomObjectStatus({
      ...MPIJOB,
      namespace: 'team-a',
      name: 'st2',
      body: { ...created, spec: { slotsPerWorker: 99 }, metadata: { ...created.metadata, labels: { ignored: 'yes' } }, status: { conditions: [{ type: 'Created', status: 'True' }] } },
    })) as { spec: { slotsPerWorker: number }; status: unknown; metadata: { generation: number; labels?: unknown } };
    expect(replaced.status).toEqual({ conditions: [{ type: 'Created', status: 'True' }] });
    expect(replaced.spec.slotsPerWorker).toBe(1);
    expect(replaced.metadata.labels).toBeUndefined();
    expect(replaced.metadata.generation).toBe(created.metadata.generation);
  });

  it('starts a pod in phase Pending whatever status it was created with', async () => {
    const pod = await core.createNamespacedPod({
      namespace: 'team-a',
      body: { metadata: { name: 'pending' }, spec: { containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Running' } },
    });
    expect(pod.status?.phase).toBe('Pending');
    const running = await core.replaceNamespacedPodStatus({ name: 'pending', namespace: 'team-a', body: { ...pod, status: { phase: 'Running' } } });
    expect(running.status?.phase).toBe('Running');
  });
});

describe('deletion', () => {
  it('deletes the dependents named by ownerReferences, recursively', async () => {
    const owner = (await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'cascade', body: mpiJob('owner') })) as { metadata: { uid: string } };
    const ref = { apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob', name: 'owner', uid: owner.metadata.uid, controller: true };
    const job = await batch.createNamespacedJob({
      namespace: 'cascade',
      body: { metadata: { name: 'owner-launcher', ownerReferences: [ref] }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } },
    });
    await core.createNamespacedPod({
      namespace: 'cascade',
      body: {
        metadata: { name: 'owner-launcher-pod', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'owner-launcher', uid: job.metadata?.uid ?? '' }] },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      },
    });
    await core.createNamespacedConfigMap({ namespace: 'cascade', body: { metadata: { name: 'unrelated' } } });
    await custom.deleteNamespacedCustomObject({ ...MPIJOB, namespace: 'cascade', name: 'owner' });
    expect((await batch.listNamespacedJob({ namespace: 'cascade' })).items).toEqual([]);
    expect((await core.listNamespacedPod({ namespace: 'cascade' })).items).toEqual([]);
    expect((await core.readNamespacedConfigMap({ namespace: 'cascade', name: 'unrelated' })).metadata?.name).toBe('unrelated');
  });

  it('orphans dependents with propagationPolicy Orphan', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: 'cascade', body: { metadata: { name: 'orphaner' } } });
    await core.createNamespacedConfigMap({
      namespace: 'cascade',
      body: { metadata: { name: 'orphan', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'orphaner', uid: owner.metadata?.uid ?? '' }] } },
    });
    await core.deleteNamespacedConfigMap({ name: 'orphaner', namespace: 'cascade', propagationPolicy: 'Orphan' });
    const orphan = await core.readNamespacedConfigMap({ name: 'orphan', namespace: 'cascade' });
    expect(orphan.metadata?.ownerReferences).toBeUndefined();
  });

  it('holds an object with finalizers (200 with the object, deletionTimestamp) until they are removed', async () => {
    await core.createNamespacedConfigMap({ namespace: 'cascade', body: { metadata: { name: 'finalized', finalizers: ['example.com/hold'] } } });
    const held = await api.raw('/api/v1/namespaces/cascade/configmaps/finalized', { method: 'DELETE' });
    expect(held.status).toBe(200);
    expect(JSON.parse(held.body).metadata.deletionTimestamp).toBeDefined();
    await core.patchNamespacedConfigMap({ name: 'finalized', namespace: 'cascade', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    expect((await failure(core.readNamespacedConfigMap({ name: 'finalized', namespace: 'cascade' }))).code).toBe(404);
  });

  it('answers a pod delete with the pod: a bound pod keeps its grace period for the kubelet, an unbound one goes at once', async () => {
    await core.createNamespacedPod({ namespace: 'cascade', body: { metadata: { name: 'bound' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'i' }] } } });
    const marked = await core.deleteNamespacedPod({ name: 'bound', namespace: 'cascade' });
    expect(marked.metadata?.deletionGracePeriodSeconds).toBe(30);
    expect(marked.metadata?.deletionTimestamp).toBeDefined();
    expect((await core.readNamespacedPod({ name: 'bound', namespace: 'cascade' })).metadata?.deletionTimestamp).toBeDefined();
    await core.deleteNamespacedPod({ name: 'bound', namespace: 'cascade', gracePeriodSeconds: 0 });
    expect((await failure(core.readNamespacedPod({ name: 'bound', namespace: 'cascade' }))).code).toBe(404);
    await core.createNamespacedPod({ namespace: 'cascade', body: { metadata: { name: 'unbound' }, spec: { containers: [{ name: 'c', image: 'i' }] } } });
    const gone = await core.deleteNamespacedPod({ name: 'unbound', namespace: 'cascade' });
    expect(gone.metadata?.deletionGracePeriodSeconds).toBe(0);
    expect((await failure(core.readNamespacedPod({ name: 'unbound', namespace: 'cascade' }))).code).toBe(404);
  });

  it('answers a foreground delete with the owner marked by the foregroundDeletion finalizer', async () => {
    await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'cascade', body: mpiJob('foreground') });
    const answer = (await custom.deleteNamespacedCustomObject({ ...MPIJOB, namespace: 'cascade', name: 'foreground', body: { propagationPolicy: 'Foreground' } })) as {
      kind: string;
      metadata: { finalizers?: string[]; deletionTimestamp?: string };
    };
    expect(answer.kind).toBe('MPIJob');
    expect(answer.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(answer.metadata.deletionTimestamp).toBeDefined();
    expect((await failure(custom.getNamespacedCustomObject({ ...MPIJOB, namespace: 'cascade', name: 'foreground' }))).code).toBe(404);
  });

  it('orphans a Job\'s pods when the delete names no policy, with the real server\'s warning', async () => {
    await batch.createNamespacedJob({ namespace: 'cascade', body: { metadata: { name: 'old-style' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } } });
    const result = await api.raw('/apis/batch/v1/namespaces/cascade/jobs/old-style', { method: 'DELETE', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(JSON.parse(result.body).metadata.finalizers).toEqual(['orphan']);
    expect(result.headers.warning).toContain('child pods are preserved by default when jobs are deleted');
  });

  it('checks delete preconditions', async () => {
    await core.createNamespacedConfigMap({ namespace: 'cascade', body: { metadata: { name: 'guarded' } } });
    const result = await failure(core.deleteNamespacedConfigMap({ name: 'guarded', namespace: 'cascade', body: { preconditions: { uid: 'not-the-uid' } } }));
    expect(result.code).toBe(409);
  });

  it('deletes a collection by label selector and answers with the deleted items', async () => {
    for (const name of ['c1', 'c2', 'c3']) {
      await core.createNamespacedConfigMap({ namespace: 'cascade', body: { metadata: { name, labels: { batch: name === 'c3' ? 'keep' : 'drop' } } } });
    }
    const result = await api.raw('/api/v1/namespaces/cascade/configmaps?labelSelector=batch%3Ddrop', { method: 'DELETE' });
    expect(result.status).toBe(200);
    expect((JSON.parse(result.body) as { items: Array<{ metadata: { name: string } }> }).items.map((i) => i.metadata.name)).toEqual(['c1', 'c2']);
    const left = await core.listNamespacedConfigMap({ namespace: 'cascade', labelSelector: 'batch' });
    expect(left.items.map((i) => i.metadata?.name)).toEqual(['c3']);
  });

  it('removes everything in a deleted namespace, then the namespace', async () => {
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'inside' } } });
    await custom.createNamespacedCustomObject({ ...MPIJOB, namespace: 'doomed', body: mpiJob('inside-job') });
    const deleted = await core.deleteNamespace({ name: 'doomed' });
    expect(deleted).toBeDefined();
    expect((await failure(core.readNamespace({ name: 'doomed' }))).code).toBe(404);
    expect((await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace=doomed' })).items).toEqual([]);
    expect(api.store.listNamespaceContents('doomed')).toEqual([]);
  });
});

describe('bodies and errors', () => {
  it('accepts YAML bodies', async () => {
    const result = await api.raw('/api/v1/namespaces/team-a/configmaps', {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml' },
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n',
    });
    expect(result.status).toBe(201);
    expect(JSON.parse(result.body).data).toEqual({ k: 'v' });
  });

  it('answers malformed JSON with a 400 Status and keeps serving', async () => {
    const result = await api.raw('/api/v1/namespaces/team-a/configmaps', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"metadata": {' });
    expect(result.status).toBe(400);
    expect(result.headers['content-type']).toBe('application/json');
    expect(JSON.parse(result.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect((await core.readNamespace({ name: 'team-a' })).metadata?.name).toBe('team-a');
  });

  it('answers an oversized body with a 413 Status and keeps serving', async () => {
    const big = JSON.stringify({ metadata: { name: 'big' }, data: { blob: 'x'.repeat(3 * 1024 * 1024 + 10) } });
    const result = await api.raw('/api/v1/namespaces/team-a/configmaps', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: big });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    expect((await core.readNamespace({ name: 'team-a' })).metadata?.name).toBe('team-a');
  });

  it('answers a body of another kind or version with 400', async () => {
    const wrongKind = await failure(core.createNamespacedConfigMap({ namespace: 'team-a', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } } as V1ConfigMap }));
    expect(wrongKind.code).toBe(400);
    const wrongVersion = await api.raw('/apis/batch/v1/namespaces/team-a/jobs', { method: 'POST', body: JSON.stringify({ apiVersion: 'batch/v2', kind: 'Job', metadata: { name: 'x' } }) });
    expect(wrongVersion.status).toBe(400);
    const notAnObject = await api.raw('/api/v1/namespaces/team-a/configmaps', { method: 'POST', body: '[1,2]' });
    expect(notAnObject.status).toBe(400);
  });

  it('answers an unsupported body media type with 415', async () => {
    const result = await api.raw('/api/v1/namespaces/team-a/configmaps', { method: 'POST', headers: { 'Content-Type': 'application/xml' }, body: '<x/>' });
    expect(result.status).toBe(415);
  });

  it('answers unknown paths with 404 and the standard message', async () => {
    for (const path of ['/nope', '/api/v2', '/api/v1/deployments', '/apis/apps/v1/namespaces/x/deployments', '/api/v1/namespaces/team-a/configmaps/x/status', '/openapi/v2']) {
      const result = await api.raw(path);
      expect(result.status, path).toBe(404);
      expect(JSON.parse(result.body), path).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
    }
  });

  it('answers unsupported verbs with 405', async () => {
    const post = await api.raw('/api/v1/namespaces/team-a/configmaps/x', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    const nsCollection = await api.raw('/api/v1/namespaces', { method: 'DELETE' });
    expect(nsCollection.status).toBe(405);
    const crossNamespaceCreate = await api.raw('/api/v1/configmaps', { method: 'POST', body: '{"metadata":{"name":"x"}}' });
    expect(crossNamespaceCreate.status).toBe(405);
  });

  it('answers 406 when the Accept header allows no JSON', async () => {
    const result = await api.raw('/api/v1/namespaces', { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
    expect(result.status).toBe(406);
  });

  it('answers 401 Unauthorized to a missing or wrong token', async () => {
    const missing = await api.raw('/api/v1/namespaces', { auth: false });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const wrong = await failure(api.kubeConfigWithToken('wrong').makeApiClient(CoreV1Api).listNamespace());
    expect(wrong.code).toBe(401);
  });
});

describe('discovery, OpenAPI, version and health', () => {
  it('answers health checks without credentials', async () => {
    for (const path of ['/healthz', '/readyz', '/livez']) {
      const result = await api.raw(path, { auth: false });
      expect(result.status).toBe(200);
      expect(result.body).toBe('ok');
    }
    const version = await api.raw('/version', { auth: false });
    expect(JSON.parse(version.body)).toMatchObject({ major: '1', minor: '32' });
  });

  it('serves aggregated discovery with the exact Content-Type when asked, legacy otherwise', async () => {
    const aggregated = await api.raw('/apis', {
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' },
    });
    expect(aggregated.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(JSON.parse(aggregated.body).kind).toBe('APIGroupDiscoveryList');
    const legacy = await api.raw('/api', { headers: { Accept: 'application/json' } });
    expect(JSON.parse(legacy.body).kind).toBe('APIVersions');
    const group = await api.raw('/apis/kubeflow.org');
    expect(JSON.parse(group.body)).toMatchObject({ kind: 'APIGroup', name: 'kubeflow.org' });
    const resources = await api.raw('/apis/kubeflow.org/v2beta1');
    expect(JSON.parse(resources.body).kind).toBe('APIResourceList');
    const core = await api.raw('/api/v1');
    expect(JSON.parse(core.body).groupVersion).toBe('v1');
  });

  it('serves the OpenAPI v3 root and per-group-version documents', async () => {
    const root = JSON.parse((await api.raw('/openapi/v3')).body) as { paths: Record<string, { serverRelativeURL: string }> };
    const entry = root.paths['apis/kubeflow.org/v2beta1'];
    expect(entry).toBeDefined();
    const document = await api.raw(entry?.serverRelativeURL ?? '');
    expect(document.status).toBe(200);
    expect(JSON.parse(document.body).openapi).toMatch(/^3\./);
    expect((await api.raw('/openapi/v3/apis/nope/v1')).status).toBe(404);
  });
});
