// Cascading deletion through ownerReferences, as the MPI operator's objects rely on it: an
// MPIJob owns its launcher Job, worker pods, Service, ConfigMap and Secret.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CoreV1Api, CustomObjectsApi, type V1ConfigMap } from '@kubernetes/client-node';
import { eventually, selectedBackends, startBackend, uniqueName, type Backend } from './backends.ts';
import { MPIJOB_API_VERSION, mpiJob, mpiJobCoordinates } from './objects.ts';

const FINALIZER_FOREGROUND = 'foregroundDeletion';
const FINALIZER_ORPHAN = 'orphan';
const HTTP_NOT_FOUND = 404;

type Propagation = 'Background' | 'Foreground' | 'Orphan';

interface DeletedObject {
  kind?: string;
  status?: string;
  metadata?: { deletionTimestamp?: string; finalizers?: string[] };
}

describe.each(selectedBackends())('cascading deletion on %s', (backendName) => {
  let backend: Backend;
  let core: CoreV1Api;
  let objects: CustomObjectsApi;
  let namespace: string;

  beforeAll(async () => {
    backend = await startBackend(backendName);
    core = backend.kubeConfig.makeApiClient(CoreV1Api);
    objects = backend.kubeConfig.makeApiClient(CustomObjectsApi);
    namespace = await backend.createNamespace('cascade');
  });
  afterAll(async () => {
    await backend?.stop();
  });

  /** An MPIJob and a ConfigMap it owns (as the operator's hostfile ConfigMap is owned). */
  async function ownerWithDependent(): Promise<{ owner: string; dependent: string }> {
    const owner = uniqueName('owner');
    const created = (await objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body: mpiJob(owner, namespace) })) as { metadata: { uid: string } };
    const dependent = `${owner}-config`;
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: dependent,
          ownerReferences: [{ apiVersion: MPIJOB_API_VERSION, kind: 'MPIJob', name: owner, uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
      },
    });
    return { owner, dependent };
  }

  function deleteOwner(owner: string, propagationPolicy: Propagation): Promise<DeletedObject> {
    return objects.deleteNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name: owner, body: { propagationPolicy } }) as Promise<DeletedObject>;
  }

  async function gone(read: () => Promise<unknown>): Promise<true | undefined> {
    try {
      await read();
      return undefined;
    } catch (error) {
      if (error instanceof ApiException && error.code === HTTP_NOT_FOUND) return true;
      throw error;
    }
  }

  const ownerGone = (owner: string) => () => gone(() => objects.getNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name: owner }));
  const dependentGone = (dependent: string) => () => gone(() => core.readNamespacedConfigMap({ name: dependent, namespace }));

  it('deletes the owner at once in the background and its dependents after it', async () => {
    const { owner, dependent } = await ownerWithDependent();
    const answer = await deleteOwner(owner, 'Background');
    expect(answer).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(await ownerGone(owner)()).toBe(true);
    await eventually(`dependent ${dependent} to be collected`, dependentGone(dependent));
  });

  it('keeps a foreground-deleted owner, marked with the foregroundDeletion finalizer, until its dependents are gone', async () => {
    const { owner, dependent } = await ownerWithDependent();
    const answer = await deleteOwner(owner, 'Foreground');
    expect(answer.kind).toBe('MPIJob');
    expect(answer.metadata?.deletionTimestamp).toBeTruthy();
    expect(answer.metadata?.finalizers).toEqual([FINALIZER_FOREGROUND]);
    await eventually(`dependent ${dependent} to be collected`, dependentGone(dependent));
    await eventually(`owner ${owner} to be removed`, ownerGone(owner));
  });

  it('leaves orphaned dependents in place with their ownerReference removed', async () => {
    const { owner, dependent } = await ownerWithDependent();
    const answer = await deleteOwner(owner, 'Orphan');
    expect(answer.metadata?.finalizers).toEqual([FINALIZER_ORPHAN]);
    await eventually(`owner ${owner} to be removed`, ownerGone(owner));
    const orphan: V1ConfigMap = await eventually('the ownerReference to be dropped', async () => {
      const read = await core.readNamespacedConfigMap({ name: dependent, namespace });
      return (read.metadata?.ownerReferences ?? []).length === 0 ? read : undefined;
    });
    expect(orphan.metadata?.name).toBe(dependent);
  });
});
