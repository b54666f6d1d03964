import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_DURATION } from './behaviour.ts';
import { withDefaults } from './mpi-api.ts';
import {
  discoverHostsScript,
  generateSshKeyPair,
  hostfile,
  newConfigMap,
  newLauncherJob,
  newService,
  newSshSecret,
  newWorkerPod,
  sshFingerprint,
} from './mpi-objects.ts';
import type { MPIJob } from './objects.ts';

function piJob(overrides: Partial<MPIJob['spec']> = {}, annotations?: Record<string, string>): MPIJob {
  return withDefaults({
    apiVersion: 'kubeflow.org/v2beta1',
    kind: 'MPIJob',
    metadata: { name: 'pi', namespace: 'team-a', uid: 'uid-pi', ...(annotations ? { annotations } : {}) },
    spec: {
      slotsPerWorker: 2,
      mpiReplicaSpecs: {
        Launcher: {
          replicas: 1,
          template: { spec: { containers: [{ name: 'launcher', image: 'mpioperator/mpi-pi:openmpi', command: ['mpirun', '-n', '4', '/home/mpiuser/pi'] }] } },
        },
        Worker: {
          replicas: 2,
          template: {
            metadata: { labels: { team: 'a' } },
            spec: { containers: [{ name: 'worker', image: 'mpioperator/mpi-pi:openmpi', resources: { limits: { cpu: '1', memory: '1Gi' } } }] },
          },
        },
      },
      ...overrides,
    },
  });
}

describe('hostfile', () => {
  it('lists every worker with its slots in OpenMPI syntax', () => {
    expect(hostfile(piJob())).toBe('pi-worker-0.pi.team-a.svc slots=2\npi-worker-1.pi.team-a.svc slots=2\n');
  });

  it('uses host:slots for Intel MPI and MPICH', () => {
    expect(hostfile(piJob({ mpiImplementation: 'Intel' }))).toBe('pi-worker-0.pi.team-a.svc:2\npi-worker-1.pi.team-a.svc:2\n');
    expect(hostfile(piJob({ mpiImplementation: 'MPICH' }))).toContain('pi-worker-1.pi.team-a.svc:2\n');
  });

  it('lists the launcher first when it runs as a worker', () => {
    expect(hostfile(piJob({ runLauncherAsWorker: true })).split('\n')[0]).toBe('pi-launcher.pi.team-a.svc slots=2');
  });
});

describe('discover_hosts.sh', () => {
  it('echoes the running workers in name order', () => {
    expect(discoverHostsScript(piJob(), ['pi-worker-1', 'pi-worker-0'])).toBe(
      '#!/bin/sh\necho pi-worker-0.pi.team-a.svc\necho pi-worker-1.pi.team-a.svc\n',
    );
  });
});

describe('newService and newConfigMap', () => {
  it('makes a headless Service selecting launcher and workers, owned by the job', () => {
    const svc = newService(piJob());
    expect(svc.metadata.name).toBe('pi');
    expect(svc.metadata.labels).toEqual({ app: 'pi' });
    expect(svc.spec).toEqual({
      clusterIP: 'None',
      selector: { 'training.kubeflow.org/operator-name': 'mpi-operator', 'training.kubeflow.org/job-name': 'pi' },
      publishNotReadyAddresses: false,
    });
    expect(svc.metadata.ownerReferences).toEqual([
      { apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob', name: 'pi', uid: 'uid-pi', controller: true, blockOwnerDeletion: true },
    ]);
  });

  it('names the ConfigMap <job>-config with both keys', () => {
    const cm = newConfigMap(piJob(), []);
    expect(cm.metadata.name).toBe('pi-config');
    expect(Object.keys(cm.data ?? {}).sort()).toEqual(['discover_hosts.sh', 'hostfile']);
  });
});

describe('SSH keys', () => {
  it('makes a working ECDSA P-521 pair with an OpenSSH public key', () => {
    const keys = generateSshKeyPair();
    expect(keys.privateKeyPem).toContain('-----BEGIN EC PRIVATE KEY-----');
    expect(keys.publicKey).toMatch(/^ecdsa-sha2-nistp521 [A-Za-z0-9+/=]+\n$/);
    const privateKey = createPrivateKey(keys.privateKeyPem);
    const signature = sign('sha512', Buffer.from('hello'), privateKey);
    expect(verify('sha512', Buffer.from('hello'), createPublicKey(privateKey), signature)).toBe(true);
    expect(sshFingerprint(keys.publicKey)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('stores them base64-encoded in an ssh-auth Secret', () => {
    const secret = newSshSecret(piJob(), { privateKeyPem: 'PRIVATE', publicKey: 'PUBLIC\n' });
    expect(secret.metadata.name).toBe('pi-ssh');
    expect(secret.type).toBe('kubernetes.io/ssh-auth');
    expect(secret.data).toEqual({ 'ssh-privatekey': Buffer.from('PRIVATE').toString('base64'), 'ssh-publickey': Buffer.from('PUBLIC\n').toString('base64') });
  });
});

describe('newWorkerPod', () => {
  it('labels, names and wires a worker as the operator does', () => {
    const pod = newWorkerPod(piJob({}, { [ANNOTATION_DURATION]: '2m' }), 1);
    expect(pod.metadata.name).toBe('pi-worker-1');
    expect(pod.metadata.labels).toEqual({
      team: 'a',
      'training.kubeflow.org/operator-name': 'mpi-operator',
      'training.kubeflow.org/job-name': 'pi',
      'training.kubeflow.org/job-role': 'worker',
      'training.kubeflow.org/replica-index': '1',
    });
    expect(pod.metadata.annotations).toEqual({ [ANNOTATION_DURATION]: '2m' });
    expect(pod.spec.hostname).toBe('pi-worker-1');
    expect(pod.spec.subdomain).toBe('pi');
    expect(pod.spec.restartPolicy).toBe('Never');
    const main = pod.spec.containers[0];
    expect(main?.command).toEqual(['/usr/sbin/sshd', '-De']);
    expect(main?.env).toContainEqual({ name: 'K_MPI_JOB_ROLE', value: 'worker' });
    expect(main?.volumeMounts).toContainEqual({ name: 'ssh-auth', mountPath: '/root/.ssh' });
    expect(pod.spec.volumes?.find((v) => v.name === 'ssh-auth')?.secret?.secretName).toBe('pi-ssh');
    expect(pod.metadata.ownerReferences?.[0]?.controller).toBe(true);
  });

  it('numbers workers from 1 when the launcher runs as worker 0', () => {
    expect(newWorkerPod(piJob({ runLauncherAsWorker: true }), 0).metadata.labels?.['training.kubeflow.org/replica-index']).toBe('1');
  });

  it('keeps a command the user gave', () => {
    const job = piJob();
    const worker = job.spec.mpiReplicaSpecs.Worker;
    const container = worker?.template.spec.containers[0];
    if (container) container.command = ['sleep', 'infinity'];
    expect(newWorkerPod(job, 0).spec.containers[0]?.command).toEqual(['sleep', 'infinity']);
  });
});

describe('newLauncherJob', () => {
  it('copies the run policy and injects the OpenMPI environment and hostfile mount', () => {
    const { job, overrodeTemplateRestartPolicy } = newLauncherJob(
      piJob({ runPolicy: { backoffLimit: 2, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 60, cleanPodPolicy: 'Running' } }),
    );
    expect(overrodeTemplateRestartPolicy).toBe(false);
    expect(job.metadata.name).toBe('pi-launcher');
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 60, podReplacementPolicy: 'Failed' });
    expect(job.spec.suspend).toBeUndefined();
    const template = job.spec.template;
    expect(template.metadata?.labels?.['training.kubeflow.org/job-role']).toBe('launcher');
    expect(template.spec.hostname).toBe('pi-launcher');
    expect(template.spec.restartPolicy).toBe('OnFailure');
    const env = template.spec.containers[0]?.env ?? [];
    expect(env).toContainEqual({ name: 'K_MPI_JOB_ROLE', value: 'launcher' });
    expect(env).toContainEqual({ name: 'OMPI_MCA_orte_default_hostfile', value: '/etc/mpi/hostfile' });
    expect(env).toContainEqual({ name: 'OMPI_MCA_orte_set_default_slots', value: '2' });
    expect(env).toContainEqual({ name: 'NVIDIA_VISIBLE_DEVICES' });
    expect(template.spec.containers[0]?.volumeMounts).toContainEqual({ name: 'mpi-job-config', mountPath: '/etc/mpi' });
    expect(template.spec.volumes?.find((v) => v.name === 'mpi-job-config')?.configMap?.name).toBe('pi-config');
  });

  it('creates the launcher suspended when the job is', () => {
    expect(newLauncherJob(piJob({ runPolicy: { suspend: true } })).job.spec.suspend).toBe(true);
  });

  it('injects Intel MPI variables instead for Intel jobs and keeps GPUs when the launcher works', () => {
    const env = newLauncherJob(piJob({ mpiImplementation: 'Intel', runLauncherAsWorker: true })).job.spec.template.spec.containers[0]?.env ?? [];
    expect(env.map((e) => e.name)).toEqual(
      expect.arrayContaining(['I_MPI_HYDRA_HOST_FILE', 'I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS', 'I_MPI_PERHOST']),
    );
    expect(env.map((e) => e.name)).not.toContain('NVIDIA_VISIBLE_DEVICES');
  });

  it('reports a restart policy set in the template, which the replica spec overrides', () => {
    const job = piJob();
    const launcher = job.spec.mpiReplicaSpecs.Launcher;
    if (launcher) launcher.template.spec.restartPolicy = 'Always';
    const result = newLauncherJob(job);
    expect(result.overrodeTemplateRestartPolicy).toBe(true);
    expect(result.job.spec.template.spec.restartPolicy).toBe('OnFailure');
  });
});
