// The project's MPIJob CRD (deploy/crds/) as the API server applies it: defaults, pruning,
// schema validation errors (422 with causes), strict field validation, the status subresource
// and generation.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { refusal, type StatusCause } from './api.ts';
import { eventually, selectedBackends, simulatedControllersRun, startBackend, uniqueName, type Backend } from './backends.ts';
import { mpiJob, mpiJobCoordinates, TEST_IMAGE, UNMANAGED_RUN_POLICY } from './objects.ts';

const UNSUPPORTED_IMPLEMENTATION = 'Unsupported value: "Foo": supported values: "OpenMPI", "Intel", "MPICH"';
const SLOTS_NOT_INTEGER = 'Invalid value: "string": spec.slotsPerWorker in body must be of type integer: "string"';
/** The event reason the MPI operator reports its own validation failures with. */
const VALIDATION_ERROR_REASON = 'ValidationError';
const LAUNCHER_ONLY = { Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'launcher', image: TEST_IMAGE }] } } } };

interface StoredMpiJob {
  metadata: { name: string; resourceVersion: string; generation?: number; labels?: Record<string, string> };
  spec: Record<string, unknown> & { runPolicy?: Record<string, unknown> };
  status?: Record<string, unknown>;
}

describe.each(selectedBackends())('the MPIJob CRD schema on %s', (backendName) => {
  let backend: Backend;
  let objects: CustomObjectsApi;
  let namespace: string;

  beforeAll(async () => {
    backend = await startBackend(backendName);
    objects = backend.kubeConfig.makeApiClient(CustomObjectsApi);
    namespace = await backend.createNamespace('schema');
  });
  afterAll(async () => {
    await backend?.stop();
  });

  function create(name: string, spec: Record<string, unknown>, query: { fieldValidation?: string } = {}): Promise<StoredMpiJob> {
    const body = mpiJob(name, namespace);
    body.spec = spec;
    return objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body, ...query }) as Promise<StoredMpiJob>;
  }

  it('fills in the schema defaults and starts generation at 1', async () => {
    const created = await create(uniqueName('defaults'), { mpiReplicaSpecs: LAUNCHER_ONLY, runPolicy: {} });
    expect(created.spec).toEqual({
      slotsPerWorker: 1,
      runLauncherAsWorker: false,
      sshAuthMountPath: '/root/.ssh',
      launcherCreationPolicy: 'AtStartup',
      mpiImplementation: 'OpenMPI',
      runPolicy: { suspend: false },
      mpiReplicaSpecs: LAUNCHER_ONLY,
    });
    expect(created.metadata.generation).toBe(1);
  });

  it('refuses an MPIJob without mpiReplicaSpecs with 422 Required value', async () => {
    const name = uniqueName('required');
    const status = await refusal(create(name, {}));
    expect(status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: `MPIJob.kubeflow.org "${name}" is invalid: spec.mpiReplicaSpecs: Required value`,
      details: { name, group: 'kubeflow.org', kind: 'MPIJob', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.mpiReplicaSpecs' }] },
    });
  });

  it('refuses an mpiImplementation outside the enum with 422 Unsupported value', async () => {
    const name = uniqueName('enum');
    const status = await refusal(create(name, { mpiImplementation: 'Foo', mpiReplicaSpecs: LAUNCHER_ONLY }));
    expect(status).toMatchObject({
      code: 422,
      message: `MPIJob.kubeflow.org "${name}" is invalid: spec.mpiImplementation: ${UNSUPPORTED_IMPLEMENTATION}`,
      details: { causes: [{ reason: 'FieldValueNotSupported', message: UNSUPPORTED_IMPLEMENTATION, field: 'spec.mpiImplementation' }] },
    });
  });

  it('lists several schema errors in brackets in the message and as one cause each, in no fixed order', async () => {
    const name = uniqueName('several');
    const status = await refusal(create(name, { slotsPerWorker: 'two', mpiImplementation: 'Foo', mpiReplicaSpecs: LAUNCHER_ONLY }));
    const errors = [`spec.slotsPerWorker: ${SLOTS_NOT_INTEGER}`, `spec.mpiImplementation: ${UNSUPPORTED_IMPLEMENTATION}`];
    // The real server walks the schema's properties in Go map order, so either order is right.
    expect([errors, [...errors].reverse()].map((pair) => `MPIJob.kubeflow.org "${name}" is invalid: [${pair.join(', ')}]`)).toContain(status.message);
    const byField = (a: StatusCause, b: StatusCause): number => (a.field ?? '').localeCompare(b.field ?? '');
    expect([...(status.details?.causes ?? [])].sort(byField)).toEqual([
      { reason: 'FieldValueNotSupported', message: UNSUPPORTED_IMPLEMENTATION, field: 'spec.mpiImplementation' },
      { reason: 'FieldValueTypeInvalid', message: SLOTS_NOT_INTEGER, field: 'spec.slotsPerWorker' },
    ]);
  });

  it('paths a type error inside the replica map with dots, not brackets', async () => {
    const name = uniqueName('maptype');
    const status = await refusal(create(name, { mpiReplicaSpecs: { Launcher: { replicas: 'one', template: {} } } }));
    const message = 'Invalid value: "string": spec.mpiReplicaSpecs.Launcher.replicas in body must be of type integer: "string"';
    expect(status.details?.causes).toEqual([{ reason: 'FieldValueTypeInvalid', message, field: 'spec.mpiReplicaSpecs.Launcher.replicas' }]);
  });

  // A deliberate difference (issue 2: a bad job fails at submit, with 422 and causes). The real
  // server checks only the CRD schema; the operator's own rules (validation.go) run in the
  // operator, which leaves such a job without status and reports a ValidationError event. The
  // emulator runs the same rules at admission. Each backend's behaviour is asserted as such.
  it('leaves the operator-only rules to the operator on the real server, and refuses them at admission on the emulator', async () => {
    const name = uniqueName('lenient');
    const spec = { runPolicy: { cleanPodPolicy: 'Sometimes', backoffLimit: -1, suspend: true }, mpiReplicaSpecs: { ...LAUNCHER_ONLY, Boss: { replicas: 1 } } };
    const cleanPodPolicy = 'Unsupported value: "Sometimes": supported values: "All", "None", "Running"';
    const backoffLimit = 'Invalid value: -1: must be greater than or equal to 0';
    if (backendName === 'embedded') {
      const status = await refusal(create(name, spec));
      expect(status).toMatchObject({
        code: 422,
        reason: 'Invalid',
        message: `MPIJob.kubeflow.org "${name}" is invalid: [spec.runPolicy.cleanPodPolicy: ${cleanPodPolicy}, spec.runPolicy.backoffLimit: ${backoffLimit}]`,
        details: {
          name,
          group: 'kubeflow.org',
          kind: 'MPIJob',
          causes: [
            { reason: 'FieldValueNotSupported', message: cleanPodPolicy, field: 'spec.runPolicy.cleanPodPolicy' },
            { reason: 'FieldValueInvalid', message: backoffLimit, field: 'spec.runPolicy.backoffLimit' },
          ],
        },
      });
      return;
    }
    const created = await create(name, spec);
    expect(created.spec.runPolicy).toEqual({ cleanPodPolicy: 'Sometimes', backoffLimit: -1, suspend: true });
    expect(Object.keys(created.spec['mpiReplicaSpecs'] as object).sort()).toEqual(['Boss', 'Launcher']);
    if (!simulatedControllersRun()) return;
    const core = backend.kubeConfig.makeApiClient(CoreV1Api);
    const warning = await eventually(`a ValidationError event for ${name}`, async () => {
      const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name},reason=${VALIDATION_ERROR_REASON}` });
      return events.items[0];
    });
    expect(warning.type).toBe('Warning');
    expect(warning.message).toContain('Found validation errors: ');
    expect(warning.message).toContain(`spec.runPolicy.cleanPodPolicy: ${cleanPodPolicy}`);
    expect(warning.message).toContain(`spec.runPolicy.backoffLimit: ${backoffLimit}`);
    const stored = (await objects.getNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name })) as StoredMpiJob;
    expect(stored.status ?? {}).toEqual({});
  });

  it('refuses an unknown field with 400 under fieldValidation=Strict', async () => {
    const status = await refusal(create(uniqueName('strict'), { bogus: 1, mpiReplicaSpecs: LAUNCHER_ONLY }, { fieldValidation: 'Strict' }));
    expect(status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'MPIJob in version "v2beta1" cannot be handled as a MPIJob: strict decoding error: unknown field "spec.bogus"',
    });
  });

  it('prunes an unknown field and warns about it when no fieldValidation is given', async () => {
    const body = mpiJob(uniqueName('pruned'), namespace);
    body.spec['bogus'] = 1;
    const answer = await objects.createNamespacedCustomObjectWithHttpInfo({ ...mpiJobCoordinates(namespace), body });
    expect(answer.httpStatusCode).toBe(201);
    expect((answer.data as StoredMpiJob).spec).not.toHaveProperty('bogus');
    expect(answer.headers['warning']).toBe('299 - "unknown field \\"spec.bogus\\""');
  });

  it('ignores status in writes to the main resource and bumps generation only for spec changes', async () => {
    const name = uniqueName('generation');
    await create(name, { mpiReplicaSpecs: LAUNCHER_ONLY, runPolicy: UNMANAGED_RUN_POLICY });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const coordinates = { ...mpiJobCoordinates(namespace), name };

    const labelled = (await objects.patchNamespacedCustomObject({ ...coordinates, body: { metadata: { labels: { a: 'b' } }, status: { conditions: [] } } }, merge)) as StoredMpiJob;
    expect(labelled.metadata.generation).toBe(1);
    expect(labelled.metadata.labels).toEqual({ a: 'b' });
    expect(labelled.status?.['conditions']).toBeUndefined();

    const respecced = (await objects.patchNamespacedCustomObject({ ...coordinates, body: { spec: { slotsPerWorker: 4 } } }, merge)) as StoredMpiJob;
    expect(respecced.metadata.generation).toBe(2);
  });

  it('takes status written through the status subresource and ignores spec changes sent there', async () => {
    const name = uniqueName('status');
    await create(name, { mpiReplicaSpecs: LAUNCHER_ONLY, runPolicy: UNMANAGED_RUN_POLICY });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const condition = { type: 'Created', status: 'True', reason: 'MPIJobCreated', message: 'created by a test', lastTransitionTime: '2026-01-01T00:00:00Z', lastUpdateTime: '2026-01-01T00:00:00Z' };
    const written = (await objects.patchNamespacedCustomObjectStatus(
      { ...mpiJobCoordinates(namespace), name, body: { spec: { slotsPerWorker: 9 }, status: { conditions: [condition] } } },
      merge,
    )) as StoredMpiJob;
    expect(written.status?.['conditions']).toEqual([condition]);
    expect(written.spec['slotsPerWorker']).toBe(1);
    expect(written.metadata.generation).toBe(1);
  });
});
