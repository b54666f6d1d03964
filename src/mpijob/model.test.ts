import { describe, expect, it } from 'vitest';
import type { JobCondition, MPIJobObject } from '../kube/objects.ts';
import { derivePhase, durationSeconds, toMpiJobModel } from './model.ts';

const t = (minute: number): string => `2026-11-28T10:${String(minute).padStart(2, '0')}:00Z`;
const cond = (type: string, status: string, minute = 0): JobCondition => ({ type, status, lastTransitionTime: t(minute) });

describe('derivePhase', () => {
  it('is PENDING without status or with no true condition', () => {
    expect(derivePhase(undefined)).toBe('PENDING');
    expect(derivePhase([])).toBe('PENDING');
    expect(derivePhase([cond('Created', 'False')])).toBe('PENDING');
  });

  it('follows the life cycle Created, Running, Succeeded', () => {
    expect(derivePhase([cond('Created', 'True')])).toBe('CREATED');
    expect(derivePhase([cond('Created', 'True'), cond('Running', 'True')])).toBe('RUNNING');
    expect(derivePhase([cond('Created', 'True'), cond('Running', 'False'), cond('Succeeded', 'True')])).toBe('SUCCEEDED');
  });

  it('treats Succeeded and Failed as terminal even if Running is still true', () => {
    expect(derivePhase([cond('Running', 'True'), cond('Failed', 'True')])).toBe('FAILED');
    expect(derivePhase([cond('Running', 'True'), cond('Succeeded', 'True')])).toBe('SUCCEEDED');
  });

  it('lets the later of Succeeded and Failed win when both are true', () => {
    expect(derivePhase([cond('Failed', 'True', 1), cond('Succeeded', 'True', 2)])).toBe('SUCCEEDED');
    expect(derivePhase([cond('Succeeded', 'True', 1), cond('Failed', 'True', 2)])).toBe('FAILED');
  });

  it('puts Suspended above Running and Restarting above Running', () => {
    expect(derivePhase([cond('Created', 'True'), cond('Suspended', 'True'), cond('Running', 'False')])).toBe('SUSPENDED');
    expect(derivePhase([cond('Created', 'True'), cond('Running', 'True'), cond('Restarting', 'True')])).toBe('RESTARTING');
    expect(derivePhase([cond('Created', 'True'), cond('Suspended', 'False'), cond('Running', 'True')])).toBe('RUNNING');
  });
});

const job: MPIJobObject = {
  apiVersion: 'kubeflow.org/v2beta1',
  kind: 'MPIJob',
  metadata: { name: 'pi', namespace: 'team-a', uid: 'u1', labels: { 'kueue.x-k8s.io/queue-name': 'lq' }, creationTimestamp: t(0) },
  spec: {
    mpiReplicaSpecs: {
      Launcher: { template: { spec: { containers: [{ name: 'l', image: 'mpi:1', command: ['mpirun', '-n', '4'], resources: { limits: { cpu: '1', memory: '1Gi' } } }] } } },
      Worker: {
        replicas: 2,
        template: { spec: { containers: [{ name: 'w', image: 'mpi:1', resources: { requests: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } } }] } },
      },
    },
  },
  status: { conditions: [cond('Created', 'True'), cond('Running', 'True', 1)], startTime: t(1) },
};

describe('toMpiJobModel', () => {
  it('applies the operator defaults to an unset spec', () => {
    const model = toMpiJobModel(job);
    expect(model.spec).toMatchObject({
      slotsPerWorker: 1,
      mpiImplementation: 'OPENMPI',
      launcherCreationPolicy: 'AT_STARTUP',
      runLauncherAsWorker: false,
      sshAuthMountPath: '/root/.ssh',
      podCount: 3,
    });
    expect(model.spec.runPolicy).toMatchObject({ cleanPodPolicy: 'NONE', suspend: false });
    expect(model.spec.launcher).toMatchObject({ replicas: 1, restartPolicy: 'ON_FAILURE', image: 'mpi:1', command: ['mpirun', '-n', '4'] });
    expect(model.spec.worker).toMatchObject({ replicas: 2, restartPolicy: 'NEVER' });
  });

  it('sums resources per pod and for the whole job, requests defaulting to limits', () => {
    const model = toMpiJobModel(job);
    expect(model.spec.launcher?.resourcesPerPod.requests).toEqual([
      { name: 'cpu', quantity: '1', value: 1 },
      { name: 'memory', quantity: '1Gi', value: 1024 ** 3 },
    ]);
    expect(model.spec.totalResources.requests).toEqual([
      { name: 'cpu', quantity: '5', value: 5 },
      { name: 'memory', quantity: '9Gi', value: 9 * 1024 ** 3 },
      { name: 'nvidia.com/gpu', quantity: '2', value: 2 },
    ]);
  });

  it('reads the queue label, the phase and a stable global id', () => {
    const model = toMpiJobModel(job);
    expect(model.queue).toBe('lq');
    expect(model.phase).toBe('RUNNING');
    expect(model.id).toBe(toMpiJobModel({ ...job }).id);
    expect(toMpiJobModel(job)).toBe(model);
  });

  it('measures the duration to completion, or to now while running', () => {
    const model = toMpiJobModel(job);
    expect(durationSeconds(model.status, Date.parse(t(3)))).toBe(120);
    expect(durationSeconds({ ...model.status, completionTime: t(2) }, Date.parse(t(9)))).toBe(60);
    expect(durationSeconds({ ...model.status, startTime: null }, 0)).toBeNull();
  });
});
