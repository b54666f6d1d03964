import { describe, expect, it } from 'vitest';
import { withDefaults } from './mpi-api.ts';
import { deriveStatus, markCreated, setCondition, statusEquals } from './mpi-status.ts';
import type { Job, MPIJob, MPIJobStatus, Pod } from './objects.ts';

const T0 = Date.parse('2026-01-10T10:00:00Z');
const T1 = T0 + 60_000;

function mpiJob(status?: MPIJobStatus, suspend = false): MPIJob {
  return withDefaults({
    metadata: { name: 'pi', namespace: 'team-a', uid: 'u1' },
    spec: {
      runPolicy: { suspend },
      mpiReplicaSpecs: {
        Launcher: { template: { spec: { containers: [{ name: 'l' }] } } },
        Worker: { replicas: 2, template: { spec: { containers: [{ name: 'w' }] } } },
      },
    },
    ...(status ? { status } : {}),
  });
}

function pod(name: string, phase: string, extra: Partial<NonNullable<Pod['status']>> = {}, created = T0): Pod {
  return { metadata: { name, namespace: 'team-a', creationTimestamp: new Date(created).toISOString() }, spec: { containers: [] }, status: { phase, ...extra } };
}

function launcherJob(conditions: Array<{ type: string; reason?: string; message?: string }> = [], failed = 0): Job {
  return {
    metadata: { name: 'pi-launcher', namespace: 'team-a' },
    spec: { template: { spec: { containers: [] } } },
    status: {
      failed,
      ...(conditions.some((c) => c.type === 'Complete') ? { completionTime: '2026-01-10T10:05:00Z' } : {}),
      conditions: conditions.map((c) => ({ status: 'True' as const, ...c })),
    },
  };
}

function created(): MPIJobStatus {
  const status: MPIJobStatus = {};
  markCreated(status, mpiJob(), T0);
  return status;
}

describe('setCondition', () => {
  it('flips Running and an earlier Failed to False when the job finishes', () => {
    const status = created();
    setCondition(status, 'Running', 'True', 'MPIJobRunning', 'running', T0);
    setCondition(status, 'Succeeded', 'True', 'MPIJobSucceeded', 'done', T1);
    expect(status.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Created', 'True'],
      ['Running', 'False'],
      ['Succeeded', 'True'],
    ]);
  });

  it('changes nothing for the same status and reason', () => {
    const status = created();
    expect(setCondition(status, 'Created', 'True', 'MPIJobCreated', 'again', T1)).toBe(false);
    expect(status.conditions?.[0]?.lastTransitionTime).toBe('2026-01-10T10:00:00Z');
  });
});

describe('deriveStatus', () => {
  it('reports Running with the event once the launcher and every worker run', () => {
    const { status, events } = deriveStatus({
      job: mpiJob(created()),
      launcher: launcherJob(),
      launcherPods: [pod('pi-launcher-abcde', 'Running')],
      workers: [pod('pi-worker-0', 'Running'), pod('pi-worker-1', 'Running')],
      nowMs: T1,
    });
    expect(status.conditions?.at(-1)).toMatchObject({ type: 'Running', status: 'True', reason: 'MPIJobRunning', message: 'MPIJob team-a/pi is running.' });
    expect(status.replicaStatuses).toEqual({ Launcher: { active: 1 }, Worker: { active: 2 } });
    expect(events).toEqual([{ type: 'Normal', reason: 'MPIJobRunning', message: 'MPIJob team-a/pi is running' }]);
  });

  it('does not report Running while a worker is still pending', () => {
    const { status } = deriveStatus({
      job: mpiJob(created()),
      launcher: launcherJob(),
      launcherPods: [pod('pi-launcher-abcde', 'Running')],
      workers: [pod('pi-worker-0', 'Running'), pod('pi-worker-1', 'Pending')],
      nowMs: T1,
    });
    expect(status.conditions?.map((c) => c.type)).toEqual(['Created']);
  });

  it('marks success from the launcher Job with its completion time', () => {
    const { status, events } = deriveStatus({
      job: mpiJob(created()),
      launcher: launcherJob([{ type: 'Complete' }]),
      launcherPods: [pod('pi-launcher-abcde', 'Succeeded')],
      workers: [],
      nowMs: T1,
    });
    expect(status.completionTime).toBe('2026-01-10T10:05:00Z');
    expect(status.replicaStatuses).toEqual({ Launcher: { succeeded: 1 }, Worker: {} });
    expect(events.map((e) => e.reason)).toEqual(['MPIJobSucceeded']);
    expect(status.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Created', 'True'],
      ['Running', 'False'],
      ['Succeeded', 'True'],
    ]);
  });

  it('adds a synthetic Running=False dated at completion when the job finished before it ran', () => {
    const { status } = deriveStatus({ job: mpiJob(created()), launcher: launcherJob([{ type: 'Complete' }]), launcherPods: [], workers: [], nowMs: T1 });
    const running = status.conditions?.find((c) => c.type === 'Running');
    expect(running).toMatchObject({ status: 'False', reason: 'MPIJobSucceeded', lastTransitionTime: '2026-01-10T10:05:00Z' });
    expect(status.conditions?.at(-1)?.type).toBe('Succeeded');
  });

  it('appends the last failed launcher pod reason to BackoffLimitExceeded', () => {
    const { status, events } = deriveStatus({
      job: mpiJob(created()),
      launcher: launcherJob([{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }], 2),
      launcherPods: [
        pod('pi-launcher-aaaaa', 'Failed', { reason: 'Old', message: 'first' }, T0),
        pod('pi-launcher-bbbbb', 'Failed', { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' }, T0 + 1000),
      ],
      workers: [],
      nowMs: T1,
    });
    const failed = status.conditions?.find((c) => c.type === 'Failed');
    expect(failed?.reason).toBe('BackoffLimitExceeded/DeadlineExceeded');
    expect(failed?.message).toBe('Job has reached the specified backoff limit: Pod was active on the node longer than the specified deadline');
    expect(status.replicaStatuses?.Launcher).toEqual({ failed: 2 });
    expect(status.completionTime).toBe('2026-01-10T10:01:00Z');
    expect(events).toEqual([{ type: 'Warning', reason: failed?.reason, message: failed?.message }]);
  });

  it('keeps the plain Job reason when no launcher pod failed on its own', () => {
    const { status } = deriveStatus({
      job: mpiJob(created()),
      launcher: launcherJob([{ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]),
      launcherPods: [],
      workers: [],
      nowMs: T1,
    });
    expect(status.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
  });

  it('fails the job with MPIJobEvicted when a worker was evicted', () => {
    const { status, events } = deriveStatus({
      job: mpiJob(created()),
      launcher: launcherJob(),
      launcherPods: [pod('pi-launcher-abcde', 'Running')],
      workers: [pod('pi-worker-0', 'Running'), pod('pi-worker-1', 'Failed', { reason: 'Evicted' })],
      nowMs: T1,
    });
    expect(status.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'MPIJobEvicted', message: '1/2 workers are evicted' });
    expect(events.map((e) => e.reason)).toEqual(['MPIJobEvicted']);
  });

  it('marks a suspended job Suspended and not Running, and resumes it with a new start time', () => {
    const suspended = deriveStatus({ job: mpiJob({ ...created(), startTime: '2026-01-10T09:00:00Z' }, true), launcher: undefined, launcherPods: [], workers: [], nowMs: T1 });
    expect(suspended.status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Created', 'True', 'MPIJobCreated'],
      ['Suspended', 'True', 'MPIJobSuspended'],
      ['Running', 'False', 'MPIJobSuspended'],
    ]);
    expect(suspended.events.map((e) => e.reason)).toEqual(['MPIJobSuspended']);

    const resumed = deriveStatus({ job: mpiJob(suspended.status, false), launcher: undefined, launcherPods: [], workers: [], nowMs: T1 + 5_000 });
    expect(resumed.status.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'MPIJobResumed' });
    expect(resumed.status.startTime).toBe('2026-01-10T10:01:05Z');
    expect(resumed.events.map((e) => e.reason)).toEqual(['MPIJobResumed']);
  });
});

describe('statusEquals', () => {
  it('ignores zero counts written or omitted', () => {
    expect(statusEquals({ replicaStatuses: { Worker: {} } }, { replicaStatuses: { Worker: { active: 0 } } })).toBe(true);
    expect(statusEquals({ replicaStatuses: { Worker: {} } }, { replicaStatuses: { Worker: { active: 1 } } })).toBe(false);
  });
});
