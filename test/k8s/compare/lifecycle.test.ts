// The project's simulated controllers (MPI operator, Job controller, scheduler, kubelet) reach
// any API server through client-node. Here they run a job end to end on each server: whatever
// they do that only the emulator allows (writes the real server refuses) shows up as a job
// that never finishes on the real one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, BatchV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { eventually, selectedBackends, startBackend, uniqueName, type Backend } from './backends.ts';
import { mpiJob, mpiJobCoordinates, TEST_IMAGE } from './objects.ts';

const SIM_DURATION_ANNOTATION = 'sim.mpijob-gateway.dev/duration';
const SIM_START_DELAY_ANNOTATION = 'sim.mpijob-gateway.dev/start-delay';
const SIM_OUTCOME_ANNOTATION = 'sim.mpijob-gateway.dev/outcome';
const JOB_ROLE_LABEL = 'training.kubeflow.org/job-role';
const JOB_NAME_LABEL = 'training.kubeflow.org/job-name';
const CONDITION_SUCCEEDED = 'Succeeded';
const CONDITION_FAILED = 'Failed';
const HTTP_NOT_FOUND = 404;

interface JobCondition {
  type: string;
  status: string;
  reason?: string;
}

describe.each(selectedBackends())('an MPIJob run by the simulated controllers on %s', (backendName) => {
  let backend: Backend;
  let namespace: string;

  beforeAll(async () => {
    if (backendName === 'kube-apiserver' && process.env['K8S_SIMULATED_CONTROLLERS'] === '0') {
      throw new Error('this test needs the simulated controllers; unset K8S_SIMULATED_CONTROLLERS');
    }
    backend = await startBackend(backendName);
    namespace = await backend.createNamespace('lifecycle');
  });
  afterAll(async () => {
    await backend?.stop();
  });

  it('creates the launcher Job and worker pods and reaches Succeeded', async () => {
    const objects = backend.kubeConfig.makeApiClient(CustomObjectsApi);
    const core = backend.kubeConfig.makeApiClient(CoreV1Api);
    const batch = backend.kubeConfig.makeApiClient(BatchV1Api);
    const name = uniqueName('pi');
    const body = mpiJob(name, namespace, { runPolicy: { cleanPodPolicy: 'None' } });
    Object.assign(body.metadata, { annotations: { [SIM_DURATION_ANNOTATION]: '5s', [SIM_START_DELAY_ANNOTATION]: '1s' } });
    await objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body });

    const conditions = await eventually(`MPIJob ${name} to succeed`, async () => {
      const job = (await objects.getNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name })) as { status?: { conditions?: JobCondition[] } };
      const found = job.status?.conditions ?? [];
      return found.some((condition) => condition.type === CONDITION_SUCCEEDED && condition.status === 'True') ? found : undefined;
    });
    expect(conditions.find((condition) => condition.type === CONDITION_SUCCEEDED)?.reason).toBe('MPIJobSucceeded');

    const launcher = await batch.readNamespacedJob({ name: `${name}-launcher`, namespace });
    expect(launcher.status?.succeeded).toBe(1);
    // The status the API server accepts from a Job controller since 1.31: the interim condition first.
    expect(launcher.status?.conditions?.map((condition) => [condition.type, condition.status, condition.reason])).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    expect(launcher.status?.completionTime?.getTime()).toBeGreaterThanOrEqual(launcher.status?.startTime?.getTime() ?? Number.POSITIVE_INFINITY);
    expect(launcher.status?.active ?? 0).toBe(0);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL}=${name}` });
    const roles = pods.items.map((pod) => [pod.metadata?.labels?.[JOB_ROLE_LABEL], pod.spec?.nodeName ? 'scheduled' : 'unscheduled', pod.status?.phase]);
    // One launcher pod: a Job controller that loses track of its pods makes more.
    expect(roles.filter(([role]) => role === 'launcher')).toEqual([['launcher', 'scheduled', 'Succeeded']]);
    expect(roles.filter(([role]) => role === 'worker')).toHaveLength(1);
  });

  it('fails the launcher Job at its backoff limit and the MPIJob with it, one launcher pod per attempt', async () => {
    const objects = backend.kubeConfig.makeApiClient(CustomObjectsApi);
    const core = backend.kubeConfig.makeApiClient(CoreV1Api);
    const batch = backend.kubeConfig.makeApiClient(BatchV1Api);
    const name = uniqueName('doomed');
    const body = mpiJob(name, namespace, { runPolicy: { cleanPodPolicy: 'None', backoffLimit: 1 } });
    const replicas = body.spec['mpiReplicaSpecs'] as { Launcher: Record<string, unknown> };
    replicas.Launcher['restartPolicy'] = 'Never';
    Object.assign(body.metadata, {
      annotations: { [SIM_DURATION_ANNOTATION]: '5s', [SIM_START_DELAY_ANNOTATION]: '1s', [SIM_OUTCOME_ANNOTATION]: CONDITION_FAILED },
    });
    await objects.createNamespacedCustomObject({ ...mpiJobCoordinates(namespace), body });

    const conditions = await eventually(`MPIJob ${name} to fail`, async () => {
      const job = (await objects.getNamespacedCustomObject({ ...mpiJobCoordinates(namespace), name })) as { status?: { conditions?: JobCondition[] } };
      const found = job.status?.conditions ?? [];
      return found.some((condition) => condition.type === CONDITION_FAILED && condition.status === 'True') ? found : undefined;
    });
    expect(conditions.find((condition) => condition.type === CONDITION_FAILED)?.reason).toMatch(/^BackoffLimitExceeded/);

    const launcher = await batch.readNamespacedJob({ name: `${name}-launcher`, namespace });
    expect(launcher.status?.conditions?.map((condition) => [condition.type, condition.status, condition.reason])).toEqual([
      ['FailureTarget', 'True', 'BackoffLimitExceeded'],
      ['Failed', 'True', 'BackoffLimitExceeded'],
    ]);
    expect(launcher.status?.failed).toBe(2);
    expect(launcher.status?.active ?? 0).toBe(0);
    expect(launcher.status?.terminating ?? 0).toBe(0);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL}=${name},${JOB_ROLE_LABEL}=launcher` });
    expect(pods.items.map((pod) => pod.status?.phase)).toEqual([CONDITION_FAILED, CONDITION_FAILED]);
  });

  it('removes a deleted running pod once its kubelet has stopped it', async () => {
    const core = backend.kubeConfig.makeApiClient(CoreV1Api);
    const name = uniqueName('bare');
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name, annotations: { [SIM_DURATION_ANNOTATION]: '1h', [SIM_START_DELAY_ANNOTATION]: '1s' } }, spec: { containers: [{ name: 'main', image: TEST_IMAGE }] } },
    });
    await eventually(`pod ${name} to run`, async () => ((await core.readNamespacedPod({ name, namespace })).status?.phase === 'Running' ? true : undefined));
    // On a bound pod the real server only marks the deletion; the kubelet finishes it.
    const answer = await core.deleteNamespacedPod({ name, namespace });
    expect(answer.metadata?.deletionTimestamp).toBeTruthy();
    await eventually(`pod ${name} to be removed`, async () => {
      try {
        await core.readNamespacedPod({ name, namespace });
        return undefined;
      } catch (error) {
        if (error instanceof ApiException && error.code === HTTP_NOT_FOUND) return true;
        throw error;
      }
    });
  });
});
