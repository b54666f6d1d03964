// ResourceQuota as the gateway meets it: status.used kept by the server side, and admission
// refusing with 403 and the exact "exceeded quota" / "failed quota" messages it parses.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, type V1ResourceQuota } from '@kubernetes/client-node';
import { refusal } from './api.ts';
import { eventually, selectedBackends, startBackend, uniqueName, type Backend } from './backends.ts';
import { mpiJob, mpiJobCoordinates, TEST_IMAGE } from './objects.ts';

const QUOTA_NAME = 'team-quota';

describe.each(selectedBackends())('resource quotas on %s', (backendName) => {
  let backend: Backend;
  let core: CoreV1Api;
  let objects: CustomObjectsApi;

  beforeAll(async () => {
    backend = await startBackend(backendName);
    core = backend.kubeConfig.makeApiClient(CoreV1Api);
    objects = backend.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  afterAll(async () => {
    await backend?.stop();
  });

  /** A namespace with one quota, returned once the quota's status has been computed. */
  async function namespaceWithQuota(hard: Record<string, string>): Promise<string> {
    const namespace = await backend.createNamespace('quota');
    await core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: QUOTA_NAME }, spec: { hard } } });
    // Admission refuses everything the quota covers until its status is known.
    await eventually('quota status', async () => ((await core.readNamespacedResourceQuota({ name: QUOTA_NAME, namespace })).status?.hard ? true : undefined));
    return namespace;
  }

  function readQuota(namespace: string): Promise<V1ResourceQuota> {
    return core.readNamespacedResourceQuota({ name: QUOTA_NAME, namespace });
  }

  function pod(name: string | undefined, containers: Array<{ name: string; cpu?: string }>, generateName?: string) {
    return {
      metadata: { name, generateName },
      spec: { containers: containers.map((container) => ({ name: container.name, image: TEST_IMAGE, ...(container.cpu ? { resources: { limits: { cpu: container.cpu } } } : {}) })) },
    };
  }

  it('starts a new quota with every hard resource at zero used', async () => {
    const namespace = await namespaceWithQuota({ 'count/secrets': '1', 'limits.cpu': '2', pods: '2' });
    const quota = await readQuota(namespace);
    expect(quota.status?.hard).toEqual({ 'count/secrets': '1', 'limits.cpu': '2', pods: '2' });
    expect(quota.status?.used).toEqual({ 'count/secrets': '0', 'limits.cpu': '0', pods: '0' });
  });

  it('refuses an object over a count quota with 403 and the exceeded-quota message', async () => {
    const namespace = await namespaceWithQuota({ 'count/secrets': '1' });
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'first' } } });
    const status = await refusal(core.createNamespacedSecret({ namespace, body: { metadata: { name: 'second' } } }));
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `secrets "second" is forbidden: exceeded quota: ${QUOTA_NAME}, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1`,
      reason: 'Forbidden',
      details: { name: 'second', kind: 'secrets' },
      code: 403,
    });
    expect((await readQuota(namespace)).status?.used).toEqual({ 'count/secrets': '1' });
  });

  it('counts MPIJobs under count/mpijobs.kubeflow.org and refuses the one over it', async () => {
    const namespace = await namespaceWithQuota({ 'count/mpijobs.kubeflow.org': '1' });
    await objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body: mpiJob('first', namespace) });
    const status = await refusal(objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body: mpiJob('second', namespace) }));
    expect(status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: `mpijobs.kubeflow.org "second" is forbidden: exceeded quota: ${QUOTA_NAME}, requested: count/mpijobs.kubeflow.org=1, used: count/mpijobs.kubeflow.org=1, limited: count/mpijobs.kubeflow.org=1`,
      details: { name: 'second', group: 'kubeflow.org', kind: 'mpijobs' },
    });
  });

  it('names the containers that lack a limit the quota covers', async () => {
    const namespace = await namespaceWithQuota({ 'limits.cpu': '2' });
    const status = await refusal(core.createNamespacedPod({ namespace, body: pod('bare', [{ name: 'app' }, { name: 'side' }]) }));
    expect(status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: `pods "bare" is forbidden: failed quota: ${QUOTA_NAME}: must specify limits.cpu for: app,side`,
      details: { name: 'bare', kind: 'pods' },
    });
  });

  it('reports requested, used and limited quantities in canonical form, only for the exceeded resources', async () => {
    const namespace = await namespaceWithQuota({ 'limits.cpu': '2', pods: '5' });
    await core.createNamespacedPod({ namespace, body: pod('first', [{ name: 'app', cpu: '1500m' }]) });
    const status = await refusal(core.createNamespacedPod({ namespace, body: pod('second', [{ name: 'app', cpu: '1' }]) }));
    expect(status.message).toBe(`pods "second" is forbidden: exceeded quota: ${QUOTA_NAME}, requested: limits.cpu=1, used: limits.cpu=1500m, limited: limits.cpu=2`);
  });

  it('names a generateName object by the name it was given before quota refused it', async () => {
    const namespace = await namespaceWithQuota({ pods: '0' });
    const status = await refusal(core.createNamespacedPod({ namespace, body: pod(undefined, [{ name: 'app' }], 'gen-') }));
    const generated = status.details?.name ?? '';
    expect(generated).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(status.message).toBe(`pods "${generated}" is forbidden: exceeded quota: ${QUOTA_NAME}, requested: pods=1, used: pods=0, limited: pods=0`);
  });

  it('gives the quota back when an object is deleted, so the next create is admitted', async () => {
    const namespace = await namespaceWithQuota({ 'count/secrets': '1' });
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'first' } } });
    await core.deleteNamespacedSecret({ name: 'first', namespace });
    await eventually('quota usage to drop back', async () => ((await readQuota(namespace)).status?.used?.['count/secrets'] === '0' ? true : undefined));
    const second = await core.createNamespacedSecret({ namespace, body: { metadata: { name: uniqueName('second') } } });
    expect(second.metadata?.uid).toBeTruthy();
  });
});
