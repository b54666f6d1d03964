// The Status documents the gateway maps into GraphQL errors: not found, already exists,
// optimistic-lock conflicts, invalid names, and what a successful delete answers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { refusal } from './api.ts';
import { selectedBackends, startBackend, uniqueName, type Backend } from './backends.ts';
import { mpiJob, mpiJobCoordinates, TEST_IMAGE, type MpiJobManifest } from './objects.ts';

const OPTIMISTIC_LOCK_DETAIL = 'the object has been modified; please apply your changes to the latest version and try again';
const RFC1123_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe.each(selectedBackends())('error Status documents on %s', (backendName) => {
  let backend: Backend;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let objects: CustomObjectsApi;
  let namespace: string;

  beforeAll(async () => {
    backend = await startBackend(backendName);
    core = backend.kubeConfig.makeApiClient(CoreV1Api);
    batch = backend.kubeConfig.makeApiClient(BatchV1Api);
    objects = backend.kubeConfig.makeApiClient(CustomObjectsApi);
    namespace = await backend.createNamespace('errors');
  });
  afterAll(async () => {
    await backend?.stop();
  });

  it('answers a missing core object with 404 NotFound naming the plural resource and no group', async () => {
    const status = await refusal(core.readNamespacedConfigMap({ name: 'nope', namespace }));
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'configmaps' },
      code: 404,
    });
  });

  it('answers a missing MPIJob with 404 NotFound naming the group-qualified resource', async () => {
    const status = await refusal(objects.getNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name: 'nope' }));
    expect(status).toMatchObject({
      message: 'mpijobs.kubeflow.org "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'kubeflow.org', kind: 'mpijobs' },
      code: 404,
    });
  });

  it('refuses a create in a namespace that does not exist with 404 on the namespace', async () => {
    const ghost = uniqueName('ghost');
    for (const call of [
      () => core.createNamespacedConfigMap({ namespace: ghost, body: { metadata: { name: 'x' } } }),
      () => objects.createNamespacedCustomObject({ ...mpiJobCoordinates(ghost), body: mpiJob('x', ghost) }),
    ]) {
      expect(await refusal(call())).toMatchObject({ message: `namespaces "${ghost}" not found`, reason: 'NotFound', details: { name: ghost, kind: 'namespaces' }, code: 404 });
    }
  });

  it('refuses creating an object that exists with 409 AlreadyExists', async () => {
    const name = uniqueName('cm');
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name } } });
    const status = await refusal(core.createNamespacedConfigMap({ namespace, body: { metadata: { name } } }));
    expect(status).toMatchObject({ message: `configmaps "${name}" already exists`, reason: 'AlreadyExists', details: { name, kind: 'configmaps' }, code: 409 });
  });

  it('refuses a replace carrying a stale resourceVersion with 409 Conflict and the optimistic-lock message', async () => {
    const name = uniqueName('cm');
    const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { v: '1' } } });
    await core.replaceNamespacedConfigMap({ name, namespace, body: { metadata: { name, resourceVersion: created.metadata?.resourceVersion }, data: { v: '2' } } });
    const status = await refusal(
      core.replaceNamespacedConfigMap({ name, namespace, body: { metadata: { name, resourceVersion: created.metadata?.resourceVersion }, data: { v: '3' } } }),
    );
    expect(status).toMatchObject({
      message: `Operation cannot be fulfilled on configmaps "${name}": ${OPTIMISTIC_LOCK_DETAIL}`,
      reason: 'Conflict',
      details: { name, kind: 'configmaps' },
      code: 409,
    });
  });

  it('refuses a merge patch carrying a stale resourceVersion with 409 Conflict', async () => {
    const name = uniqueName('cm');
    const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap({ name, namespace, body: { data: { v: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const status = await refusal(
      core.patchNamespacedConfigMap({ name, namespace, body: { metadata: { resourceVersion: created.metadata?.resourceVersion }, data: { v: '3' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    );
    expect(status).toMatchObject({ message: `Operation cannot be fulfilled on configmaps "${name}": ${OPTIMISTIC_LOCK_DETAIL}`, reason: 'Conflict', code: 409 });
  });

  it('refuses a stale replace of an MPIJob with 409 Conflict naming the group-qualified resource', async () => {
    const name = uniqueName('job');
    const created = (await objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body: mpiJob(name, namespace) })) as MpiJobManifest;
    const stale = created.metadata.resourceVersion;
    await objects.patchNamespacedCustomObject(
      { ...mpiJobCoordinates(namespace), name, body: { metadata: { labels: { touched: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const replacement = mpiJob(name, namespace);
    replacement.metadata.resourceVersion = stale;
    const status = await refusal(objects.replaceNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name, body: replacement }));
    expect(status).toMatchObject({
      message: `Operation cannot be fulfilled on mpijobs.kubeflow.org "${name}": ${OPTIMISTIC_LOCK_DETAIL}`,
      reason: 'Conflict',
      details: { name, group: 'kubeflow.org', kind: 'mpijobs' },
      code: 409,
    });
  });

  it('accepts a ConfigMap replace without resourceVersion but refuses one of an MPIJob with 422 on metadata.resourceVersion', async () => {
    const configMap = uniqueName('cm');
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: configMap }, data: { v: '1' } } });
    const replaced = await core.replaceNamespacedConfigMap({ name: configMap, namespace, body: { metadata: { name: configMap }, data: { v: '2' } } });
    expect(replaced.data).toEqual({ v: '2' });

    const job = uniqueName('job');
    await objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body: mpiJob(job, namespace) });
    const status = await refusal(objects.replaceNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name: job, body: mpiJob(job, namespace) }));
    expect(status).toMatchObject({
      // Unlike schema errors, this one names the plural resource, not the Kind.
      message: `mpijobs.kubeflow.org "${job}" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`,
      reason: 'Invalid',
      details: {
        name: job,
        group: 'kubeflow.org',
        kind: 'mpijobs',
        causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be specified for an update', field: 'metadata.resourceVersion' }],
      },
      code: 422,
    });
  });

  it('refuses an invalid object name with 422 Invalid on metadata.name, naming the Kind', async () => {
    const status = await refusal(core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'Bad_Name' } } }));
    expect(status).toMatchObject({
      message: `ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${RFC1123_SUBDOMAIN_MESSAGE}`,
      reason: 'Invalid',
      details: { name: 'Bad_Name', kind: 'ConfigMap', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: "Bad_Name": ${RFC1123_SUBDOMAIN_MESSAGE}`, field: 'metadata.name' }] },
      code: 422,
    });
    const jobStatus = await refusal(objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body: mpiJob('Bad_Name', namespace) }));
    expect(jobStatus).toMatchObject({
      message: `MPIJob.kubeflow.org "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${RFC1123_SUBDOMAIN_MESSAGE}`,
      details: { name: 'Bad_Name', group: 'kubeflow.org', kind: 'MPIJob' },
      code: 422,
    });
  });

  it('answers an immediate delete with a Success Status carrying the uid, not the object', async () => {
    const name = uniqueName('job');
    const created = (await objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body: mpiJob(name, namespace) })) as MpiJobManifest & {
      metadata: { uid: string };
    };
    const answer: unknown = await objects.deleteNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name });
    expect(answer).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: 'kubeflow.org', kind: 'mpijobs', uid: created.metadata.uid },
    });
  });

  it('answers the delete of an unscheduled pod with the pod, marked for deletion, and removes it at once', async () => {
    const name = uniqueName('pod');
    await core.createNamespacedPod({ namespace, body: { metadata: { name }, spec: { containers: [{ name: 'main', image: TEST_IMAGE }] } } });
    const answer = await core.deleteNamespacedPod({ name, namespace });
    expect(answer.kind).toBe('Pod');
    expect(answer.metadata?.deletionTimestamp).toBeTruthy();
    expect(answer.metadata?.deletionGracePeriodSeconds).toBe(0);
    expect(await refusal(core.readNamespacedPod({ name, namespace }))).toMatchObject({ code: 404 });
  });

  it('orphans the pods of a batch/v1 Job deleted with options that name no policy, and says so in a warning', async () => {
    const name = uniqueName('job');
    await batch.createNamespacedJob({
      namespace,
      body: { metadata: { name }, spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: TEST_IMAGE }] } } } },
    });
    // Through the untyped client: the typed one would read the answer as a Status and drop its metadata.
    const answer = await objects.deleteNamespacedCustomObjectWithHttpInfo({ group: 'batch', version: 'v1', plural: 'jobs', namespace, name, body: {} });
    expect((answer.data as { kind?: string; metadata?: { finalizers?: string[] } }).metadata?.finalizers).toEqual(['orphan']);
    expect(answer.headers['warning']).toBe(
      '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"',
    );
  });

  it('refuses an unknown fieldValidation value with 422 on the write options', async () => {
    const status = await refusal(core.createNamespacedConfigMap({ namespace, fieldValidation: 'Loud', body: { metadata: { name: uniqueName('cm') } } }));
    expect(status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"',
      details: { group: 'meta.k8s.io', kind: 'CreateOptions', causes: [{ reason: 'FieldValueNotSupported', field: 'fieldValidation' }] },
    });
  });

  it('answers an unparseable resourceVersion with 400 on a list and a 500 without reason on a watch', async () => {
    const problem = 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax';
    expect(await refusal(core.listNamespacedConfigMap({ namespace, resourceVersion: 'abc' }))).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: `invalid resource version: ${problem}`,
    });
    expect(await refusal(core.listNamespacedConfigMap({ namespace, watch: true, resourceVersion: 'abc' }))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: problem,
      code: 500,
    });
  });
});
