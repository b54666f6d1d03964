import { describe, expect, it } from 'vitest';
import type { EventObject, MPIJobObject, PodObject } from '../kube/objects.ts';
import { toEventModel } from '../event/model.ts';
import { toPodModel } from '../worker/model.ts';
import { diagnose } from './diagnosis.ts';
import { toMpiJobModel } from './model.ts';

const at = (s: number): string => new Date(Date.UTC(2026, 10, 28, 10, 0, s)).toISOString().replace('.000', '');

function job(conditions: Array<[string, string, string?, string?]>, extra: Partial<MPIJobObject['spec']> = {}, labels: Record<string, string> = {}) {
  const object: MPIJobObject = {
    metadata: { name: 'pi', namespace: 'team-a', uid: 'j1', labels },
    spec: {
      mpiReplicaSpecs: {
        Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'launcher', image: 'i' }] } } },
        Worker: { replicas: 2, template: { spec: { containers: [{ name: 'worker', image: 'i' }] } } },
      },
      ...extra,
    },
    status: {
      startTime: at(0),
      conditions: conditions.map(([type, status, reason, message]) => ({ type, status, reason, message, lastTransitionTime: at(1) })),
    },
  };
  return toMpiJobModel(object);
}

function pod(name: string, role: 'launcher' | 'worker', rank: number | undefined, status: PodObject['status'], nodeName = 'node-1') {
  const labels: Record<string, string> = { 'training.kubeflow.org/job-name': 'pi', 'training.kubeflow.org/job-role': role };
  if (rank !== undefined) labels['training.kubeflow.org/replica-index'] = String(rank);
  return toPodModel({
    metadata: { name, namespace: 'team-a', uid: name, labels },
    spec: { nodeName, containers: [{ name: role, image: 'i' }] },
    status,
  });
}

function event(name: string, kind: string, object: string, type: string, reason: string, message: string, second = 5) {
  const e: EventObject = {
    metadata: { name, namespace: 'team-a' },
    involvedObject: { kind, name: object, namespace: 'team-a' },
    type,
    reason,
    message,
    lastTimestamp: at(second),
  };
  return toEventModel(e);
}

const running = (name: string, role: 'launcher' | 'worker', rank?: number) =>
  pod(name, role, rank, {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: role, ready: true, state: { running: { startedAt: at(2) } } }],
  });

const terminated = (name: string, role: 'launcher' | 'worker', rank: number | undefined, reason: string, exitCode: number, second: number) =>
  pod(name, role, rank, {
    phase: 'Failed',
    containerStatuses: [{ name: role, state: { terminated: { reason, exitCode, finishedAt: at(second), message: `${reason} message` } } }],
  });

describe('diagnose a failed job', () => {
  it('names the OOMKilled worker rank although the job only says BackoffLimitExceeded', () => {
    const result = diagnose({
      job: job([['Created', 'True'], ['Running', 'False'], ['Failed', 'True', 'BackoffLimitExceeded/Error', 'Job has reached the specified backoff limit']]),
      pods: [
        terminated('pi-launcher-x7k2p', 'launcher', undefined, 'Error', 1, 40),
        running('pi-worker-0', 'worker', 0),
        terminated('pi-worker-1', 'worker', 1, 'OOMKilled', 137, 30),
      ],
      events: [],
      nowMs: Date.parse(at(50)),
    });
    expect(result.kind).toBe('FAILED');
    expect(result.failure).toMatchObject({ podName: 'pi-worker-1', role: 'WORKER', rank: 1, reason: 'OOMKilled', exitCode: 137, container: 'worker' });
    expect(result.summary).toBe('Failed: worker rank 1 (pi-worker-1) failed first: container worker was OOMKilled (exit code 137).');
    expect(result.details).toContain('Job condition Failed: BackoffLimitExceeded/Error: Job has reached the specified backoff limit');
  });

  it('prefers the worker when the worker and the launcher end in the same second', () => {
    const result = diagnose({
      job: job([['Failed', 'True', 'BackoffLimitExceeded']]),
      pods: [terminated('pi-launcher-a', 'launcher', undefined, 'Error', 1, 30), terminated('pi-worker-0', 'worker', 0, 'Error', 2, 30)],
      events: [],
      nowMs: 0,
    });
    expect(result.failure?.podName).toBe('pi-worker-0');
  });

  it('falls back to the condition when the pods are gone', () => {
    const result = diagnose({ job: job([['Failed', 'True', 'DeadlineExceeded']]), pods: [], events: [], nowMs: 0 });
    expect(result.failure).toBeNull();
    expect(result.summary).toMatch(/DeadlineExceeded/);
  });
});

describe('diagnose a job that is not running', () => {
  it('reports a quota refusal from the operator event with the missing workers', () => {
    const result = diagnose({
      job: job([['Created', 'True']]),
      pods: [running('pi-launcher-a', 'launcher')],
      events: [
        event('e1', 'MPIJob', 'pi', 'Warning', 'MPIJobFailed', 'worker pod created failed: pods "pi-worker-0" is forbidden: exceeded quota: team-a-quota, requested: pods=1, used: pods=10, limited: pods=10'),
      ],
      nowMs: 0,
    });
    expect(result.kind).toBe('QUOTA_EXCEEDED');
    expect(result.summary).toMatch(/2 of 2 workers are missing/);
    expect(result.details[0]).toMatch(/exceeded quota: team-a-quota/);
  });

  it('reports unschedulable pods with the scheduler message', () => {
    const pending = pod(
      'pi-worker-1',
      'worker',
      1,
      { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }] },
      '',
    );
    const result = diagnose({
      job: job([['Created', 'True']]),
      pods: [running('pi-launcher-a', 'launcher'), running('pi-worker-0', 'worker', 0), pending],
      events: [],
      nowMs: 0,
    });
    expect(result.kind).toBe('PODS_PENDING');
    expect(result.pendingPods).toHaveLength(1);
    expect(result.pendingPods[0]).toMatchObject({ reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' });
    expect(result.summary).toMatch(/worker rank 1 \(pi-worker-1\): Unschedulable/);
  });

  it('reads a FailedScheduling event when the pod has no scheduling condition yet', () => {
    const pending = pod('pi-worker-0', 'worker', 0, { phase: 'Pending' }, '');
    const result = diagnose({
      job: job([['Created', 'True']]),
      pods: [pending, running('pi-worker-1', 'worker', 1)],
      events: [event('e2', 'Pod', 'pi-worker-0', 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.')],
      nowMs: 0,
    });
    expect(result.pendingPods[0]).toMatchObject({ reason: 'FailedScheduling', message: '0/1 nodes are available: 1 Insufficient cpu.' });
  });

  it('says a suspended job waits for Kueue when it has a queue', () => {
    const result = diagnose({
      job: job([['Created', 'True'], ['Suspended', 'True']], { runPolicy: { suspend: true } }, { 'kueue.x-k8s.io/queue-name': 'gpu' }),
      pods: [],
      events: [],
      nowMs: 0,
    });
    expect(result.kind).toBe('SUSPENDED');
    expect(result.summary).toMatch(/queue gpu/);
  });

  it('reports the operator refusing the spec', () => {
    const result = diagnose({
      job: job([]),
      pods: [],
      events: [event('e3', 'MPIJob', 'pi', 'Warning', 'ValidationError', 'Found validation errors: spec.slotsPerWorker: Required value')],
      nowMs: 0,
    });
    expect(result.kind).toBe('INVALID_SPEC');
  });

  it('says a job without status or pods has not started', () => {
    expect(diagnose({ job: job([]), pods: [], events: [], nowMs: 0 }).kind).toBe('NOT_STARTED');
  });

  it('describes a running job with its run time', () => {
    const result = diagnose({
      job: job([['Created', 'True'], ['Running', 'True']]),
      pods: [running('pi-launcher-a', 'launcher'), running('pi-worker-0', 'worker', 0), running('pi-worker-1', 'worker', 1)],
      events: [],
      nowMs: Date.parse(at(90)),
    });
    expect(result).toMatchObject({ kind: 'RUNNING', summary: 'Running for 90s: the launcher and 2 of 2 workers are running.' });
  });
});
