import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openApiV3Document, openApiV3Hash, openApiV3Root } from './openapi.ts';
import { RESOURCES } from './resources.ts';

type Json = Record<string, unknown>;

interface Operation {
  operationId: string;
  parameters: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, unknown> };
  'x-kubernetes-group-version-kind': { group: string; version: string; kind: string };
  'x-kubernetes-action': string;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Json> };
}

const DOCUMENT_KEYS = [
  'api/v1',
  'apis/authentication.k8s.io/v1',
  'apis/authorization.k8s.io/v1',
  'apis/batch/v1',
  'apis/kubeflow.org/v2beta1',
  'apis/rbac.authorization.k8s.io/v1',
];
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function doc(key: string): Document {
  const found = openApiV3Document(key);
  if (!found) throw new Error(`no document ${key}`);
  return found as Document;
}

function operations(document: Document): Array<{ path: string; method: string; op: Operation }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m] !== undefined).map((method) => ({ path, method, op: item[method] as Operation })),
  );
}

/** Resolves `#/components/schemas/...` references inside one document. */
function resolve(document: Document, schema: Json): Json {
  const refTarget = schema['$ref'];
  if (typeof refTarget === 'string') return document.components.schemas[refTarget.replace('#/components/schemas/', '')] ?? {};
  const allOf = schema['allOf'];
  if (Array.isArray(allOf) && allOf.length === 1 && !schema['properties']) return resolve(document, allOf[0] as Json);
  return schema;
}

/** The schema at a dotted field path below a kind, following refs, arrays and maps as kubectl explain does. */
function field(document: Document, kindSchema: string, path: string[]): Json {
  let current: Json = document.components.schemas[kindSchema] ?? {};
  for (const name of path) {
    current = resolve(document, current);
    while (current['items'] || (typeof current['additionalProperties'] === 'object' && !current['properties'])) {
      current = resolve(document, (current['items'] ?? current['additionalProperties']) as Json);
    }
    const next = (current['properties'] as Record<string, Json> | undefined)?.[name];
    if (!next) throw new Error(`no field ${name} in ${path.join('.')}`);
    current = next;
  }
  return current;
}

describe('openApiV3Root', () => {
  it('lists a hashed URL for each served group-version', () => {
    const root = openApiV3Root() as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(root.paths).sort()).toEqual(DOCUMENT_KEYS);
    for (const key of DOCUMENT_KEYS) {
      expect(root.paths[key]?.serverRelativeURL).toBe(`/openapi/v3/${key}?hash=${openApiV3Hash(key)}`);
    }
  });

  it('derives each hash from the content of its document, so a changed document gets a new URL', () => {
    for (const key of DOCUMENT_KEYS) {
      const digest = createHash('sha512').update(JSON.stringify(openApiV3Document(key))).digest('hex').toUpperCase();
      expect(openApiV3Hash(key)).toBe(digest);
    }
    expect(new Set(DOCUMENT_KEYS.map(openApiV3Hash)).size).toBe(DOCUMENT_KEYS.length);
  });
});

describe('openApiV3Document', () => {
  it('accepts the key with or without the /openapi/v3/ prefix', () => {
    expect(openApiV3Document('/openapi/v3/apis/batch/v1')).toBe(openApiV3Document('apis/batch/v1'));
    expect(openApiV3Document('/api/v1')).toBe(openApiV3Document('api/v1'));
  });

  it('returns undefined for a group-version that is not served', () => {
    expect(openApiV3Document('apis/apps/v1')).toBeUndefined();
    expect(openApiV3Document('apis')).toBeUndefined();
  });

  it('is an OpenAPI 3.0 document', () => {
    expect(doc('api/v1').openapi).toBe('3.0.0');
  });

  it('gives every PATCH operation the fieldValidation query parameter and the GVK, as kubectl apply probes', () => {
    let patches = 0;
    for (const key of DOCUMENT_KEYS) {
      for (const { path, method, op } of operations(doc(key))) {
        if (method !== 'patch') continue;
        patches += 1;
        expect(op.parameters, path).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
        expect(op['x-kubernetes-action'], path).toBe('patch');
        expect(Object.keys(op['x-kubernetes-group-version-kind']).sort(), path).toEqual(['group', 'kind', 'version']);
      }
    }
    // Every resource's object and status subresource.
    const expected = RESOURCES.filter((r) => r.verbs.includes('patch')).length + RESOURCES.filter((r) => r.subresources.includes('status')).length;
    expect(patches).toBe(expected);
  });

  it("tags every operation with its resource's group, version and kind, the core group as an empty string", () => {
    for (const key of DOCUMENT_KEYS) {
      for (const { path, op } of operations(doc(key))) {
        const resource = RESOURCES.find((r) => path.split('/').includes(r.resource) && op['x-kubernetes-group-version-kind'].kind === r.kind);
        expect(resource, path).toBeDefined();
        expect(op['x-kubernetes-group-version-kind'], path).toEqual({ group: resource?.group, version: resource?.version, kind: resource?.kind });
      }
    }
  });

  it('serves every path the REST layer does, for both scopes', () => {
    const paths = Object.keys(doc('api/v1').paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/pods',
        '/api/v1/namespaces/{namespace}/pods',
        '/api/v1/namespaces/{namespace}/pods/{name}',
        '/api/v1/namespaces/{namespace}/pods/{name}/status',
        '/api/v1/namespaces/{namespace}/pods/{name}/log',
        '/api/v1/namespaces',
        '/api/v1/namespaces/{name}',
        '/api/v1/namespaces/{name}/status',
      ]),
    );
    expect(Object.keys(doc('apis/kubeflow.org/v2beta1').paths).sort()).toEqual([
      '/apis/kubeflow.org/v2beta1/mpijobs',
      '/apis/kubeflow.org/v2beta1/namespaces/{namespace}/mpijobs',
      '/apis/kubeflow.org/v2beta1/namespaces/{namespace}/mpijobs/{name}',
      '/apis/kubeflow.org/v2beta1/namespaces/{namespace}/mpijobs/{name}/status',
    ]);
  });

  it('offers only the operations a resource serves', () => {
    const namespaces = doc('api/v1').paths['/api/v1/namespaces'] ?? {};
    expect(namespaces['delete']).toBeUndefined();
    expect(namespaces['get']).toBeDefined();
    expect(namespaces['post']).toBeDefined();
  });

  it('lists strategic merge patch for built-in kinds only, which decides the patch type kubectl apply sends', () => {
    const podPatch = doc('api/v1').paths['/api/v1/namespaces/{namespace}/pods/{name}']?.['patch'] as Operation;
    const jobPatch = doc('apis/batch/v1').paths['/apis/batch/v1/namespaces/{namespace}/jobs/{name}']?.['patch'] as Operation;
    const mpiJobPatch = doc('apis/kubeflow.org/v2beta1').paths['/apis/kubeflow.org/v2beta1/namespaces/{namespace}/mpijobs/{name}']?.['patch'] as Operation;
    expect(Object.keys(podPatch.requestBody?.content ?? {})).toContain('application/strategic-merge-patch+json');
    expect(Object.keys(jobPatch.requestBody?.content ?? {})).toContain('application/strategic-merge-patch+json');
    expect(Object.keys(mpiJobPatch.requestBody?.content ?? {}).sort()).toEqual([
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
    ]);
  });

  it('gives operations unique ids in the real server style', () => {
    for (const key of DOCUMENT_KEYS) {
      const ids = operations(doc(key)).map(({ op }) => op.operationId);
      expect(new Set(ids).size, key).toBe(ids.length);
    }
    const ids = operations(doc('apis/kubeflow.org/v2beta1')).map(({ op }) => op.operationId);
    expect(ids).toEqual(expect.arrayContaining(['patchKubeflowOrgV2beta1NamespacedMPIJob', 'listKubeflowOrgV2beta1MPIJobForAllNamespaces', 'patchKubeflowOrgV2beta1NamespacedMPIJobStatus']));
  });

  it('resolves every schema reference within its own document', () => {
    for (const key of DOCUMENT_KEYS) {
      const document = doc(key);
      const refs = JSON.stringify(document).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
      expect(refs.length, key).toBeGreaterThan(0);
      for (const ref of refs) {
        const name = ref.slice('"$ref":"#/components/schemas/'.length, -1);
        expect(document.components.schemas[name], `${key}: ${name}`).toBeDefined();
      }
    }
  });

  it('publishes a GVK-tagged schema for every kind and list kind, which kubectl explain looks up', () => {
    for (const resource of RESOURCES) {
      const key = resource.group === '' ? `api/${resource.version}` : `apis/${resource.group}/${resource.version}`;
      const tagged = Object.values(doc(key).components.schemas).flatMap((s) => (s['x-kubernetes-group-version-kind'] as Json[] | undefined) ?? []);
      expect(tagged, resource.kind).toContainEqual({ group: resource.group, version: resource.version, kind: resource.kind });
      expect(tagged, resource.listKind).toContainEqual({ group: resource.group, version: resource.version, kind: resource.listKind });
    }
  });
});

describe('the MPIJob schema', () => {
  const document = doc('apis/kubeflow.org/v2beta1');
  const MPIJOB = 'org.kubeflow.v2beta1.MPIJob';

  it('describes every field of spec and status, so kubectl explain mpijob.spec prints something useful', () => {
    const missing: string[] = [];
    const walk = (schema: Json, path: string): void => {
      const properties = (schema['properties'] as Record<string, Json> | undefined) ?? {};
      for (const [name, child] of Object.entries(properties)) {
        if (typeof child['description'] !== 'string' || child['description'].length < 10) missing.push(`${path}.${name}`);
        walk(child, `${path}.${name}`);
        const nested = (child['additionalProperties'] ?? child['items']) as Json | undefined;
        if (nested && typeof nested === 'object') walk(nested, `${path}.${name}[]`);
      }
    };
    walk(field(document, MPIJOB, ['spec']), 'spec');
    walk(field(document, MPIJOB, ['status']), 'status');
    expect(missing).toEqual([]);
  });

  it('requires mpiReplicaSpecs and enumerates the MPI implementations with their default', () => {
    expect(field(document, MPIJOB, ['spec'])['required']).toEqual(['mpiReplicaSpecs']);
    expect(field(document, MPIJOB, ['spec', 'mpiImplementation'])).toMatchObject({ enum: ['OpenMPI', 'Intel', 'MPICH'], default: 'OpenMPI' });
    expect(field(document, MPIJOB, ['spec', 'slotsPerWorker'])).toMatchObject({ type: 'integer', default: 1 });
  });

  it('reaches the pod template of a replica spec down to its containers', () => {
    const containers = field(document, MPIJOB, ['spec', 'mpiReplicaSpecs', 'template', 'spec', 'containers']);
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(field(document, MPIJOB, ['spec', 'mpiReplicaSpecs', 'template', 'spec', 'containers', 'image'])['type']).toBe('string');
  });

  it('describes the run policy fields users set', () => {
    for (const name of ['cleanPodPolicy', 'ttlSecondsAfterFinished', 'activeDeadlineSeconds', 'backoffLimit', 'schedulingPolicy', 'suspend', 'managedBy']) {
      expect(field(document, MPIJOB, ['spec', 'runPolicy', name])['description'], name).toEqual(expect.any(String));
    }
  });

  it('keys status conditions by type', () => {
    expect(field(document, MPIJOB, ['status', 'conditions'])).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
  });
});

describe('built-in schemas', () => {
  it('carry the strategic merge keys kubectl apply uses for pod lists', () => {
    const document = doc('api/v1');
    expect(field(document, 'io.k8s.api.core.v1.Pod', ['spec', 'containers'])).toMatchObject({ 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' });
    expect(field(document, 'io.k8s.api.core.v1.Pod', ['spec', 'containers', 'ports'])['x-kubernetes-patch-merge-key']).toBe('containerPort');
    expect(field(document, 'io.k8s.api.core.v1.Pod', ['spec', 'containers', 'volumeMounts'])['x-kubernetes-patch-merge-key']).toBe('mountPath');
    expect(field(document, 'io.k8s.api.core.v1.Pod', ['metadata', 'ownerReferences'])['x-kubernetes-patch-merge-key']).toBe('uid');
  });

  it('give the Job template the same pod spec', () => {
    const document = doc('apis/batch/v1');
    expect(field(document, 'io.k8s.api.batch.v1.Job', ['spec', 'template', 'spec', 'restartPolicy'])['enum']).toEqual(['Always', 'OnFailure', 'Never']);
  });
});
