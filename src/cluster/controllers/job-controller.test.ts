import { describe, expect, it } from 'vitest';
import { jobFailure, podFromTemplate, podRecreateBackoffSimMs } from './job-controller.ts';
import type { Job, Pod } from './objects.ts';

function job(spec: Partial<Job['spec']> = {}, restartPolicy = 'Never'): Job {
  return {
    metadata: { name: 'pi-launcher', namespace: 'team-a', uid: 'job-uid' },
    spec: {
      template: { metadata: { labels: { role: 'launcher' }, annotations: { a: 'b' } }, spec: { restartPolicy, containers: [{ name: 'c' }] } },
      ...spec,
    },
  };
}

function runningPod(restartCount: number): Pod {
  return {
    metadata: { name: 'p' },
    spec: { containers: [] },
    status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, restartCount, image: 'i', imageID: '' }] },
  };
}

describe('jobFailure', () => {
  it('fails a Never job once failed pods exceed the backoff limit (default 6)', () => {
    expect(jobFailure({ job: job(), failed: 6, activePods: [], activeSimMs: 0 })).toBeUndefined();
    expect(jobFailure({ job: job(), failed: 7, activePods: [], activeSimMs: 0 })).toEqual({
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    expect(jobFailure({ job: job({ backoffLimit: 0 }), failed: 1, activePods: [], activeSimMs: 0 })?.reason).toBe('BackoffLimitExceeded');
  });

  it('counts container restarts of OnFailure pods against the limit', () => {
    const onFailure = job({ backoffLimit: 2 }, 'OnFailure');
    expect(jobFailure({ job: onFailure, failed: 0, activePods: [runningPod(1)], activeSimMs: 0 })).toBeUndefined();
    expect(jobFailure({ job: onFailure, failed: 0, activePods: [runningPod(2)], activeSimMs: 0 })?.reason).toBe('BackoffLimitExceeded');
    expect(jobFailure({ job: job({ backoffLimit: 0 }, 'OnFailure'), failed: 0, activePods: [runningPod(1)], activeSimMs: 0 })?.reason).toBe(
      'BackoffLimitExceeded',
    );
  });

  it('fails a job that ran longer than activeDeadlineSeconds', () => {
    const deadline = job({ activeDeadlineSeconds: 60 });
    expect(jobFailure({ job: deadline, failed: 0, activePods: [], activeSimMs: 59_999 })).toBeUndefined();
    expect(jobFailure({ job: deadline, failed: 0, activePods: [], activeSimMs: 60_000 })).toEqual({
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
  });
});

describe('podRecreateBackoffSimMs', () => {
  it('waits 10 s, then doubles, up to six minutes', () => {
    expect([0, 1, 2, 3, 10].map(podRecreateBackoffSimMs)).toEqual([0, 10_000, 20_000, 40_000, 360_000]);
  });
});

describe('podFromTemplate', () => {
  it('labels the pod with the Job labels, names it after the Job and makes the Job its controller', () => {
    const pod = podFromTemplate(job());
    expect(pod.metadata.generateName).toBe('pi-launcher-');
    expect(pod.metadata.labels).toEqual({
      role: 'launcher',
      'batch.kubernetes.io/controller-uid': 'job-uid',
      'batch.kubernetes.io/job-name': 'pi-launcher',
      'controller-uid': 'job-uid',
      'job-name': 'pi-launcher',
    });
    expect(pod.metadata.annotations).toEqual({ a: 'b' });
    expect(pod.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'pi-launcher', uid: 'job-uid', controller: true, blockOwnerDeletion: true },
    ]);
  });
});
