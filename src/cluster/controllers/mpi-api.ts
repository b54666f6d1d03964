// The MPIJob API as mpi-operator v2 (kubeflow.org/v2beta1) uses it: label keys, condition types
// and reasons, names of the objects it creates, and the Go defaulter.

import type { MPIJob, ReplicaSpec } from './objects.ts';
import { deepClone } from './objects.ts';

export const CONTROLLER_NAME = 'mpi-job-controller';
export const OPERATOR_NAME = 'mpi-operator';
export const MANAGED_BY_MPI_OPERATOR = 'kubeflow.org/mpi-operator';

export const LABEL_OPERATOR_NAME = 'training.kubeflow.org/operator-name';
export const LABEL_JOB_NAME = 'training.kubeflow.org/job-name';
export const LABEL_JOB_ROLE = 'training.kubeflow.org/job-role';
export const LABEL_REPLICA_INDEX = 'training.kubeflow.org/replica-index';
export const LABEL_APP = 'app';

export const ROLE_LAUNCHER = 'launcher';
export const ROLE_WORKER = 'worker';

export const REPLICA_LAUNCHER = 'Launcher';
export const REPLICA_WORKER = 'Worker';

export const CONDITION = {
  created: 'Created',
  running: 'Running',
  restarting: 'Restarting',
  succeeded: 'Succeeded',
  failed: 'Failed',
  suspended: 'Suspended',
} as const;

export const REASON = {
  created: 'MPIJobCreated',
  running: 'MPIJobRunning',
  succeeded: 'MPIJobSucceeded',
  suspended: 'MPIJobSuspended',
  resumed: 'MPIJobResumed',
  failed: 'MPIJobFailed',
  evicted: 'MPIJobEvicted',
  validationError: 'ValidationError',
  resourceExists: 'ErrResourceExists',
  setPodTemplateRestartPolicy: 'SetPodTemplateRestartPolicy',
} as const;

/** The batch Job controller's reason when a Job gives up; the operator appends the pod's reason. */
export const JOB_BACKOFF_LIMIT_EXCEEDED = 'BackoffLimitExceeded';
/** A pod's status.reason when the kubelet evicted it. */
export const POD_REASON_EVICTED = 'Evicted';

export const MPI_IMPLEMENTATION = { openMPI: 'OpenMPI', intel: 'Intel', mpich: 'MPICH' } as const;
export const CLEAN_POD_POLICY = { all: 'All', running: 'Running', none: 'None' } as const;
export const LAUNCHER_CREATION_POLICY = { atStartup: 'AtStartup', waitForWorkersReady: 'WaitForWorkersReady' } as const;
export const RESTART_POLICY = { always: 'Always', onFailure: 'OnFailure', never: 'Never', exitCode: 'ExitCode' } as const;

export const CONFIG_SUFFIX = '-config';
export const SSH_SECRET_SUFFIX = '-ssh';
export const LAUNCHER_SUFFIX = '-launcher';
export const WORKER_SUFFIX = '-worker';

export const CONFIG_VOLUME = 'mpi-job-config';
export const CONFIG_MOUNT_PATH = '/etc/mpi';
export const HOSTFILE_KEY = 'hostfile';
export const DISCOVER_HOSTS_KEY = 'discover_hosts.sh';
export const SSH_AUTH_VOLUME = 'ssh-auth';
export const ROOT_SSH_PATH = '/root/.ssh';
export const SSH_PRIVATE_KEY = 'ssh-privatekey';
export const SSH_PUBLIC_KEY = 'ssh-publickey';
export const SECRET_TYPE_SSH_AUTH = 'kubernetes.io/ssh-auth';
export const DEFAULT_WORKER_COMMAND = ['/usr/sbin/sshd', '-De'];
export const ENV_JOB_ROLE = 'K_MPI_JOB_ROLE';

export function launcherJobName(job: MPIJob): string {
  return `${job.metadata.name ?? ''}${LAUNCHER_SUFFIX}`;
}

export function workerPodName(job: MPIJob, index: number): string {
  return `${job.metadata.name ?? ''}${WORKER_SUFFIX}-${index}`;
}

export function configMapName(job: MPIJob): string {
  return `${job.metadata.name ?? ''}${CONFIG_SUFFIX}`;
}

export function sshSecretName(job: MPIJob): string {
  return `${job.metadata.name ?? ''}${SSH_SECRET_SUFFIX}`;
}

export function workerReplicas(job: MPIJob): number {
  return job.spec.mpiReplicaSpecs.Worker?.replicas ?? 0;
}

export function isSuspended(job: MPIJob): boolean {
  return job.spec.runPolicy?.suspend === true;
}

export function runsLauncherAsWorker(job: MPIJob): boolean {
  return job.spec.runLauncherAsWorker === true;
}

export function slotsPerWorker(job: MPIJob): number {
  return job.spec.slotsPerWorker ?? 1;
}

/** The labels every launcher and worker pod carries (and the Service selects a subset of). */
export function defaultLabels(jobName: string, role: string): Record<string, string> {
  return { [LABEL_OPERATOR_NAME]: OPERATOR_NAME, [LABEL_JOB_NAME]: jobName, [LABEL_JOB_ROLE]: role };
}

function defaultReplica(spec: ReplicaSpec | undefined, replicas: number, restartPolicy: string): ReplicaSpec | undefined {
  if (!spec) return undefined;
  return { ...spec, replicas: spec.replicas ?? replicas, restartPolicy: spec.restartPolicy || restartPolicy };
}

/** The operator's Go defaulter (v2beta1 default.go), applied to a copy. */
export function withDefaults(job: MPIJob): MPIJob {
  const copy = deepClone(job);
  const spec = copy.spec;
  spec.slotsPerWorker ??= 1;
  spec.runLauncherAsWorker ??= false;
  spec.sshAuthMountPath ||= ROOT_SSH_PATH;
  spec.mpiImplementation ||= MPI_IMPLEMENTATION.openMPI;
  spec.launcherCreationPolicy ||= LAUNCHER_CREATION_POLICY.atStartup;
  spec.runPolicy = { ...spec.runPolicy };
  spec.runPolicy.cleanPodPolicy ||= CLEAN_POD_POLICY.none;
  spec.runPolicy.suspend ??= false;
  spec.mpiReplicaSpecs = {
    ...spec.mpiReplicaSpecs,
    Launcher: defaultReplica(spec.mpiReplicaSpecs.Launcher, 1, RESTART_POLICY.onFailure),
    Worker: defaultReplica(spec.mpiReplicaSpecs.Worker, 0, RESTART_POLICY.never),
  };
  if (!spec.mpiReplicaSpecs.Launcher) delete spec.mpiReplicaSpecs.Launcher;
  if (!spec.mpiReplicaSpecs.Worker) delete spec.mpiReplicaSpecs.Worker;
  return copy;
}
