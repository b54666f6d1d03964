import { describe, expect, it } from 'vitest';
import { validateJobStatusUpdate } from '../api/admission/job-status.ts';
import { jobFailure, planJobSync, podRecreateBackoffSimMs, seedCounted, type JobSyncInput, type JobSyncPlan, type PodOutcome } from './job-sync.ts';
import type { Job, JobStatus, Pod } from './objects.ts';
import { rfc3339 } from './objects.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const NOW = T0 + 60_000;

function job(spec: Partial<Job['spec']> = {}, status?: JobStatus, restartPolicy = 'Never'): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi-launcher', namespace: 'team-a', uid: 'job-uid', resourceVersion: '1' },
    spec: {
      completions: 1,
      parallelism: 1,
      template: { metadata: { labels: { role: 'launcher' }, annotations: { a: 'b' } }, spec: { restartPolicy, containers: [{ name: 'c' }] } },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function pod(name: string, phase: string, options: { ready?: boolean; finishedAtMs?: number; createdAtMs?: number; restarts?: number; deleting?: boolean } = {}): Pod {
  const terminated = options.finishedAtMs === undefined ? undefined : { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: rfc3339(options.finishedAtMs) };
  return {
    metadata: {
      name,
      namespace: 'team-a',
      uid: name,
      creationTimestamp: rfc3339(options.createdAtMs ?? T0),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi-launcher', uid: 'job-uid', controller: true }],
      ...(options.deleting ? { deletionTimestamp: rfc3339(NOW) } : {}),
    },
    spec: { containers: [{ name: 'c' }] },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: options.ready ? 'True' : 'False' }],
      containerStatuses: [
        { name: 'c', ready: options.ready ?? false, restartCount: options.restarts ?? 0, image: 'i', imageID: '', ...(terminated ? { state: { terminated } } : {}) },
      ],
    },
  };
}

const STARTED: JobStatus = { startTime: rfc3339(T0), active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {} };

function plan(input: Partial<JobSyncInput> & { job: Job }): JobSyncPlan {
  return planJobSync({
    pods: [],
    counted: new Map(),
    vanished: new Map(),
    removing: new Set(),
    nowMs: NOW,
    startedAtMs: undefined,
    simElapsedSince: (realMs) => Math.max(0, NOW - realMs),
    ...input,
  });
}

/** Stores the plan's writes one after the other, as the API server would check them; returns the Job after the last. */
function store(start: Job, planned: JobSyncPlan): Job {
  let current = start;
  for (const status of planned.writes) {
    const next: Job = { ...current, status };
    expect(validateJobStatusUpdate(next, current)).toEqual([]);
    current = next;
  }
  return current;
}

function conditionTypes(status: JobStatus | undefined): string[] {
  return (status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type);
}

describe('planJobSync', () => {
  it('starts a new Job: sets startTime and creates its pod', () => {
    const planned = plan({ job: job() });
    expect(planned.create).toBe(1);
    expect(planned.starts).toBe(true);
    expect(planned.writes).toEqual([{ startTime: rfc3339(NOW), ready: 0, terminating: 0, uncountedTerminatedPods: {} }]);
  });

  it('finishes a Job whose pod succeeded with SuccessCriteriaMet first, then Complete with completionTime', () => {
    const start = job({}, STARTED);
    const planned = plan({ job: start, pods: [pod('p1', 'Succeeded', { finishedAtMs: NOW - 1_000 })] });
    expect(planned.create).toBe(0);
    expect(planned.writes.map(conditionTypes)).toEqual([['SuccessCriteriaMet'], ['SuccessCriteriaMet', 'Complete']]);
    const done = store(start, planned);
    expect(done.status).toMatchObject({ succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {}, completionTime: rfc3339(NOW), startTime: rfc3339(T0) });
    expect(done.status?.active).toBeUndefined();
    expect(done.status?.conditions?.at(-1)).toMatchObject({ type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
    expect([...planned.newlyCounted]).toEqual([['p1', 'succeeded']]);
    expect(planned.events).toEqual([{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
  });

  it('completes a Job whose interim condition was stored without counting its pod again or making another', () => {
    const start = job({}, STARTED);
    const interim = { ...start, status: plan({ job: start, pods: [pod('p1', 'Succeeded')] }).writes[0] };
    const again = plan({ job: interim, pods: [pod('p1', 'Succeeded')], counted: new Map([['p1', 'succeeded']]) });
    expect(again.create).toBe(0);
    expect(again.writes[0]).toEqual(interim.status);
    const done = store(interim, again);
    expect(done.status?.succeeded).toBe(1);
    expect(conditionTypes(done.status)).toEqual(['SuccessCriteriaMet', 'Complete']);
  });

  it('never puts completionTime before a startTime that lies ahead of its clock', () => {
    const ahead = job({}, { ...STARTED, startTime: rfc3339(NOW + 5_000) });
    const done = store(ahead, plan({ job: ahead, pods: [pod('p1', 'Succeeded')] }));
    expect(done.status?.completionTime).toBe(rfc3339(NOW + 5_000));
  });

  it('fails a Job past its backoff limit with FailureTarget first, then Failed', () => {
    const start = job({ backoffLimit: 1 }, { ...STARTED, active: 0, ready: 0, failed: 1 });
    const pods = [pod('p1', 'Failed', { finishedAtMs: T0 }), pod('p2', 'Failed', { finishedAtMs: NOW - 1_000 })];
    const planned = plan({ job: start, pods, counted: new Map([['p1', 'failed']]) });
    expect(planned.writes.map(conditionTypes)).toEqual([['FailureTarget'], ['FailureTarget', 'Failed']]);
    const done = store(start, planned);
    expect(done.status).toMatchObject({ failed: 2, ready: 0, terminating: 0 });
    expect(done.status?.conditions?.map((c) => [c.type, c.reason])).toEqual([
      ['FailureTarget', 'BackoffLimitExceeded'],
      ['Failed', 'BackoffLimitExceeded'],
    ]);
    expect(planned.events).toEqual([{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
    expect(planned.create).toBe(0);
  });

  it('takes down the running pod of a Job past its deadline and writes Failed only once the pod is gone', () => {
    const start = job({ activeDeadlineSeconds: 30 }, STARTED);
    const running = pod('p1', 'Running', { ready: true });
    const first = plan({ job: start, pods: [running] });
    expect(first.delete.map((p) => p.metadata.name)).toEqual(['p1']);
    expect(first.writes.map(conditionTypes)).toEqual([['FailureTarget']]);
    const target = store(start, first);
    expect(target.status).toMatchObject({ failed: 1, ready: 0, terminating: 1 });
    expect(target.status?.conditions?.[0]?.reason).toBe('DeadlineExceeded');

    const counted = new Map<string, PodOutcome>([['p1', 'failed']]);
    // The cache still shows the pod: it is terminating, so Failed waits.
    const waiting = plan({ job: target, pods: [running], counted, removing: new Set(['p1']) });
    expect(waiting.writes).toEqual([target.status]);
    expect(waiting.delete).toEqual([]);

    const gone = plan({ job: target, pods: [], counted });
    const done = store(target, gone);
    expect(conditionTypes(done.status)).toEqual(['FailureTarget', 'Failed']);
    expect(done.status).toMatchObject({ failed: 1, terminating: 0 });
    expect(done.status?.completionTime).toBeUndefined();
  });

  it('counts a pod deleted while it ran as failed and replaces it', () => {
    const start = job({}, STARTED);
    const planned = plan({ job: start, vanished: new Map([['p1', 'failed']]) });
    expect(planned.create).toBe(1);
    expect(store(start, planned).status).toMatchObject({ failed: 1 });
    expect(planned.newlyCounted.get('p1')).toBe('failed');
  });

  it('waits out the backoff before replacing a failed pod', () => {
    const start = job({}, { ...STARTED, active: 0, ready: 0 });
    const planned = plan({ job: start, pods: [pod('p1', 'Failed', { finishedAtMs: NOW - 4_000 })] });
    expect(planned.create).toBe(0);
    expect(planned.requeueAfterSimMs).toBe(podRecreateBackoffSimMs(1) - 4_000);
    expect(store(start, planned).status).toMatchObject({ failed: 1 });
  });

  it('keeps ready at most active when it takes down pods beyond parallelism', () => {
    const start = job({ parallelism: 1, completions: 2 }, { ...STARTED, active: 2, ready: 2 });
    const older = pod('p1', 'Running', { ready: true, createdAtMs: T0 });
    const newer = pod('p2', 'Running', { ready: true, createdAtMs: T0 + 1_000 });
    const planned = plan({ job: start, pods: [older, newer] });
    expect(planned.delete.map((p) => p.metadata.name)).toEqual(['p2']);
    expect(store(start, planned).status).toMatchObject({ active: 1, ready: 1, terminating: 1 });
  });

  it('takes down the pods of a suspended Job without counting them, then restarts its clock on resume', () => {
    const start = job({ suspend: true }, STARTED);
    const suspending = plan({ job: start, pods: [pod('p1', 'Running', { ready: true })] });
    expect(suspending.delete.map((p) => p.metadata.name)).toEqual(['p1']);
    expect(suspending.newlyCounted.size).toBe(0);
    const suspended = store(start, suspending);
    expect(suspended.status).toMatchObject({ ready: 0, terminating: 1 });
    expect(suspended.status?.conditions).toEqual([expect.objectContaining({ type: 'Suspended', status: 'True', reason: 'JobSuspended' })]);
    expect(suspending.events.map((e) => e.reason)).toEqual(['Suspended']);

    const resumedJob = { ...suspended, spec: { ...suspended.spec, suspend: false } };
    const resuming = plan({ job: resumedJob, removing: new Set(['p1']) });
    expect(resuming.create).toBe(1);
    expect(resuming.starts).toBe(true);
    const resumed = store(resumedJob, resuming);
    expect(resumed.status?.startTime).toBe(rfc3339(NOW));
    expect(resumed.status?.conditions).toEqual([expect.objectContaining({ type: 'Suspended', status: 'False', reason: 'JobResumed' })]);
    expect(resumed.status?.failed).toBeUndefined();
  });

  it('counts pods a failing Job takes down even when it had deleted them before', () => {
    const start = job({ backoffLimit: 0 }, STARTED);
    const planned = plan({ job: start, pods: [pod('p1', 'Failed', { finishedAtMs: NOW }), pod('p2', 'Running')], removing: new Set(['p2']) });
    expect(store(start, planned).status).toMatchObject({ failed: 2, terminating: 1 });
  });

  it('runs a work-queue Job (parallelism without completions) until one pod succeeded and none runs', () => {
    const start = job({ completions: undefined, parallelism: 2 }, { ...STARTED, active: 2, ready: 2 });
    const running = plan({ job: start, pods: [pod('p1', 'Succeeded'), pod('p2', 'Running', { ready: true })] });
    expect(running.create).toBe(0);
    expect(running.delete).toEqual([]);
    expect(running.writes.map(conditionTypes)).toEqual([[]]);
    const done = plan({ job: store(start, running), pods: [pod('p1', 'Succeeded'), pod('p2', 'Succeeded')], counted: new Map([['p1', 'succeeded']]) });
    expect(done.writes.map(conditionTypes)).toEqual([['SuccessCriteriaMet'], ['SuccessCriteriaMet', 'Complete']]);
    expect(done.writes.at(-1)?.succeeded).toBe(2);
  });

  it('leaves a finished Job alone', () => {
    const done = job({}, { ...STARTED, active: 0, ready: 0, succeeded: 1, completionTime: rfc3339(NOW), conditions: [
      { type: 'SuccessCriteriaMet', status: 'True' },
      { type: 'Complete', status: 'True' },
    ] });
    expect(plan({ job: done, pods: [pod('p2', 'Running')] })).toMatchObject({ delete: [], create: 0, writes: [] });
  });
});

describe('seedCounted', () => {
  it('takes the earliest terminated pods of each outcome as the ones a stored counter includes', () => {
    const pods = [
      pod('late', 'Failed', { finishedAtMs: T0 + 2_000 }),
      pod('early', 'Failed', { finishedAtMs: T0 + 1_000 }),
      pod('ok', 'Succeeded', { finishedAtMs: T0 }),
      pod('running', 'Running'),
    ];
    expect([...seedCounted({ failed: 1 }, pods)]).toEqual([['early', 'failed']]);
    expect([...seedCounted({ failed: 5, succeeded: 1 }, pods)].sort()).toEqual([
      ['early', 'failed'],
      ['late', 'failed'],
      ['ok', 'succeeded'],
    ]);
    expect(seedCounted(undefined, pods).size).toBe(0);
  });
});

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
    const onFailure = job({ backoffLimit: 2 }, undefined, 'OnFailure');
    expect(jobFailure({ job: onFailure, failed: 0, activePods: [pod('p', 'Running', { restarts: 1 })], activeSimMs: 0 })).toBeUndefined();
    expect(jobFailure({ job: onFailure, failed: 0, activePods: [pod('p', 'Running', { restarts: 2 })], activeSimMs: 0 })?.reason).toBe('BackoffLimitExceeded');
    const none = job({ backoffLimit: 0 }, undefined, 'OnFailure');
    expect(jobFailure({ job: none, failed: 0, activePods: [pod('p', 'Running', { restarts: 1 })], activeSimMs: 0 })?.reason).toBe('BackoffLimitExceeded');
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
