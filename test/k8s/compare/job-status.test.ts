// The Job status rules a Job controller's writes must pass since Kubernetes 1.31 (the interim
// SuccessCriteriaMet / FailureTarget conditions, counters that never go down, terminal conditions
// that stay), and the 422 that refuses the others. The Jobs here are handed to another manager
// (`spec.managedBy`), so no Job controller, real or simulated, writes their status but the test.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchV1Api, type V1Job, type V1JobCondition, type V1JobStatus } from '@kubernetes/client-node';
import { refusal } from './api.ts';
import { selectedBackends, startBackend, uniqueName, type Backend } from './backends.ts';
import { TEST_IMAGE } from './objects.ts';

const FOREIGN_JOB_MANAGER = 'example.com/elsewhere';
// Whole seconds: metav1.Time keeps no more.
const START = new Date('2026-03-01T10:00:00Z');
const FINISH = new Date('2026-03-01T10:05:00Z');

function condition(type: string, reason: string): V1JobCondition {
  return { type, status: 'True', reason, message: 'set by the test', lastProbeTime: FINISH, lastTransitionTime: FINISH };
}

describe.each(selectedBackends())('Job status writes on %s', (backendName) => {
  let backend: Backend;
  let batch: BatchV1Api;
  let namespace: string;

  beforeAll(async () => {
    backend = await startBackend(backendName);
    batch = backend.kubeConfig.makeApiClient(BatchV1Api);
    namespace = await backend.createNamespace('jobstatus');
  });
  afterAll(async () => {
    await backend?.stop();
  });

  async function createJob(): Promise<V1Job> {
    const name = uniqueName('job');
    return batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name },
        spec: { managedBy: FOREIGN_JOB_MANAGER, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: TEST_IMAGE }] } } },
      },
    });
  }

  function writeStatus(job: V1Job, status: V1JobStatus): Promise<V1Job> {
    return batch.replaceNamespacedJobStatus({ name: job.metadata?.name ?? '', namespace, body: { ...job, status } });
  }

  it('refuses Complete without SuccessCriteriaMet with 422 Invalid', async () => {
    const job = await createJob();
    const name = job.metadata?.name ?? '';
    const status = await refusal(writeStatus(job, { startTime: START, completionTime: FINISH, succeeded: 1, conditions: [condition('Complete', 'CompletionsReached')] }));
    expect(status).toMatchObject({
      reason: 'Invalid',
      code: 422,
      message: `Job.batch "${name}" is invalid: status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition`,
      details: {
        name,
        group: 'batch',
        kind: 'Job',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition',
            field: 'status.conditions',
          },
        ],
      },
    });
  });

  it('refuses Failed without FailureTarget, and more ready pods than active ones', async () => {
    const job = await createJob();
    const name = job.metadata?.name ?? '';
    const failed = await refusal(writeStatus(job, { startTime: START, failed: 1, conditions: [condition('Failed', 'BackoffLimitExceeded')] }));
    expect(failed.message).toBe(`Job.batch "${name}" is invalid: status.conditions: Invalid value: cannot set Failed=True condition without the FailureTarget=true condition`);
    const ready = await refusal(writeStatus(job, { startTime: START, active: 1, ready: 2 }));
    expect(ready.message).toBe(`Job.batch "${name}" is invalid: status.ready: Invalid value: 2: cannot set more ready pods than active`);
  });

  it('accepts SuccessCriteriaMet then Complete, and refuses taking them back with every reason in order', async () => {
    const job = await createJob();
    const name = job.metadata?.name ?? '';
    const met = await writeStatus(job, { startTime: START, succeeded: 1, ready: 0, terminating: 0, conditions: [condition('SuccessCriteriaMet', 'CompletionsReached')] });
    const complete = await writeStatus(met, {
      ...met.status,
      completionTime: FINISH,
      conditions: [...(met.status?.conditions ?? []), condition('Complete', 'CompletionsReached')],
    });
    expect(complete.status?.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['SuccessCriteriaMet', 'True'],
      ['Complete', 'True'],
    ]);
    const status = await refusal(writeStatus(complete, { startTime: START, succeeded: 0, ready: 0, terminating: 0, conditions: [] }));
    expect(status.message).toBe(
      `Job.batch "${name}" is invalid: [status.conditions: Invalid value: cannot disable the terminal Complete=True condition, ` +
        'status.succeeded: Invalid value: 0: cannot decrease the succeeded counter, ' +
        'status.conditions: Invalid value: cannot disable the SuccessCriteriaMet=True condition]',
    );
    expect(status.details?.causes?.map((c) => c.field)).toEqual(['status.conditions', 'status.succeeded', 'status.conditions']);
  });

  it('refuses Failed while pods are still terminating, and accepts it once they are gone', async () => {
    const job = await createJob();
    const name = job.metadata?.name ?? '';
    const target = await writeStatus(job, { startTime: START, failed: 2, ready: 0, terminating: 1, conditions: [condition('FailureTarget', 'BackoffLimitExceeded')] });
    const failedConditions = [...(target.status?.conditions ?? []), condition('Failed', 'BackoffLimitExceeded')];
    const early = await refusal(writeStatus(target, { ...target.status, conditions: failedConditions }));
    expect(early.message).toBe(`Job.batch "${name}" is invalid: status.terminating: Invalid value: 1: terminating>0 is invalid for finished job`);
    const failed = await writeStatus(target, { ...target.status, terminating: 0, conditions: failedConditions });
    expect(failed.status?.conditions?.map((c) => c.type)).toEqual(['FailureTarget', 'Failed']);
  });
});
