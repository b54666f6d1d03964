// The objects mpi-operator v2 creates for an MPIJob: the headless Service, the ConfigMap with the
// hostfile, the SSH Secret, the worker Pods and the launcher batch/v1 Job. Pure builders over a
// defaulted MPIJob; the reconciler decides when to create or update them.

import { createHash, generateKeyPairSync } from 'node:crypto';
import { behaviourAnnotations } from './behaviour.ts';
import { MPIJOB_API_VERSION, MPIJOB_KIND } from './client.ts';
import {
  CONFIG_MOUNT_PATH,
  CONFIG_VOLUME,
  DEFAULT_WORKER_COMMAND,
  DISCOVER_HOSTS_KEY,
  ENV_JOB_ROLE,
  HOSTFILE_KEY,
  LABEL_APP,
  LABEL_JOB_NAME,
  LABEL_OPERATOR_NAME,
  LABEL_REPLICA_INDEX,
  MPI_IMPLEMENTATION,
  OPERATOR_NAME,
  RESTART_POLICY,
  ROLE_LAUNCHER,
  ROLE_WORKER,
  ROOT_SSH_PATH,
  SECRET_TYPE_SSH_AUTH,
  SSH_AUTH_VOLUME,
  SSH_PRIVATE_KEY,
  SSH_PUBLIC_KEY,
  configMapName,
  defaultLabels,
  isSuspended,
  launcherJobName,
  runsLauncherAsWorker,
  slotsPerWorker,
  sshSecretName,
  workerPodName,
  workerReplicas,
} from './mpi-api.ts';
import type { ConfigMap, EnvVar, Job, MPIJob, Pod, PodSpec, PodTemplateSpec, ReplicaSpec, Secret, Service, Volume } from './objects.ts';
import { controllerRef, deepClone } from './objects.ts';

const CLUSTER_DOMAIN = 'cluster.local';
const DNS_POLICY_HOST_NETWORK = 'ClusterFirstWithHostNet';
const CONFIG_ITEM_MODE_HOSTFILE = 0o444;
const CONFIG_ITEM_MODE_SCRIPT = 0o555;
const SSH_KEY_MODE_ROOT = 0o600;
const SSH_CONNECTION_ARGS = '-o ConnectionAttempts=10';

function ownerRef(job: MPIJob) {
  return controllerRef(job, MPIJOB_API_VERSION, MPIJOB_KIND);
}

function jobName(job: MPIJob): string {
  return job.metadata.name ?? '';
}

function jobNamespace(job: MPIJob): string {
  return job.metadata.namespace ?? '';
}

/** `<host>.<job>.<ns>.svc`: how a pod of the job is reached through the headless Service. */
export function podFqdn(job: MPIJob, podName: string): string {
  return `${podName}.${jobName(job)}.${jobNamespace(job)}.svc`;
}

export function newService(job: MPIJob): Service {
  const name = jobName(job);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: jobNamespace(job), labels: { [LABEL_APP]: name }, ownerReferences: [ownerRef(job)] },
    spec: {
      clusterIP: 'None',
      // Without the role, the selector covers the launcher too, so workers can reach it by name.
      selector: { [LABEL_OPERATOR_NAME]: OPERATOR_NAME, [LABEL_JOB_NAME]: name },
      publishNotReadyAddresses: runsLauncherAsWorker(job),
    },
  };
}

function hostLine(job: MPIJob, host: string, slots: number): string {
  return job.spec.mpiImplementation === MPI_IMPLEMENTATION.openMPI ? `${host} slots=${slots}\n` : `${host}:${slots}\n`;
}

/** The hostfile: one line per worker (launcher first when it also works), in the implementation's syntax. */
export function hostfile(job: MPIJob): string {
  const slots = slotsPerWorker(job);
  let text = '';
  if (runsLauncherAsWorker(job)) text += hostLine(job, podFqdn(job, launcherJobName(job)), slots);
  for (let i = 0; i < workerReplicas(job); i++) text += hostLine(job, podFqdn(job, workerPodName(job, i)), slots);
  return text;
}

/** discover_hosts.sh lists the workers that are running now (Horovod elastic reads it). */
export function discoverHostsScript(job: MPIJob, runningWorkerNames: readonly string[]): string {
  let text = '#!/bin/sh\n';
  if (runsLauncherAsWorker(job)) text += `echo ${podFqdn(job, launcherJobName(job))}\n`;
  for (const podName of [...runningWorkerNames].sort()) text += `echo ${podFqdn(job, podName)}\n`;
  return text;
}

export function newConfigMap(job: MPIJob, runningWorkerNames: readonly string[]): ConfigMap {
  const name = jobName(job);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName(job), namespace: jobNamespace(job), labels: { [LABEL_APP]: name }, ownerReferences: [ownerRef(job)] },
    data: { [HOSTFILE_KEY]: hostfile(job), [DISCOVER_HOSTS_KEY]: discoverHostsScript(job, runningWorkerNames) },
  };
}

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export interface SshKeyPair {
  privateKeyPem: string;
  /** One authorized_keys line, newline-terminated. */
  publicKey: string;
}

/** An ECDSA P-521 key pair: SEC1 PEM private key and an OpenSSH public key, as the operator makes. */
export function generateSshKeyPair(): SshKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) throw new Error('EC public key without coordinates');
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  const keyType = 'ecdsa-sha2-nistp521';
  const blob = Buffer.concat([sshString(Buffer.from(keyType)), sshString(Buffer.from('nistp521')), sshString(point)]);
  return {
    privateKeyPem: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    publicKey: `${keyType} ${blob.toString('base64')}\n`,
  };
}

/** The `SHA256:...` fingerprint sshd logs for a public key line. */
export function sshFingerprint(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1] ?? '';
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

export function newSshSecret(job: MPIJob, keys: SshKeyPair = generateSshKeyPair()): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: sshSecretName(job), namespace: jobNamespace(job), labels: { [LABEL_APP]: jobName(job) }, ownerReferences: [ownerRef(job)] },
    type: SECRET_TYPE_SSH_AUTH,
    data: {
      [SSH_PRIVATE_KEY]: Buffer.from(keys.privateKeyPem).toString('base64'),
      [SSH_PUBLIC_KEY]: Buffer.from(keys.publicKey).toString('base64'),
    },
  };
}

function podRestartPolicy(spec: ReplicaSpec): string {
  // The v2 operator maps ExitCode to a pod that never restarts and lets the Job decide.
  return spec.restartPolicy === RESTART_POLICY.exitCode ? RESTART_POLICY.never : (spec.restartPolicy ?? RESTART_POLICY.never);
}

function setupSsh(spec: PodSpec, job: MPIJob): void {
  const mountPath = job.spec.sshAuthMountPath ?? ROOT_SSH_PATH;
  const volume: Volume = {
    name: SSH_AUTH_VOLUME,
    secret: {
      secretName: sshSecretName(job),
      ...(mountPath === ROOT_SSH_PATH ? { defaultMode: SSH_KEY_MODE_ROOT } : {}),
      items: [
        { key: SSH_PRIVATE_KEY, path: 'id_rsa' },
        { key: SSH_PUBLIC_KEY, path: 'id_rsa.pub' },
        { key: SSH_PUBLIC_KEY, path: 'authorized_keys' },
      ],
    },
  };
  spec.volumes = [...(spec.volumes ?? []), volume];
  const main = spec.containers[0];
  if (main) main.volumeMounts = [...(main.volumeMounts ?? []), { name: SSH_AUTH_VOLUME, mountPath }];
}

function addDnsSearch(spec: PodSpec, job: MPIJob): void {
  const dnsConfig = (spec.dnsConfig ?? {}) as { searches?: string[]; [key: string]: unknown };
  const search = `${jobName(job)}.${jobNamespace(job)}.svc.${CLUSTER_DOMAIN}`;
  spec.dnsConfig = { ...dnsConfig, searches: [...(dnsConfig.searches ?? []).filter((s) => s !== search), search] };
}

function templateAnnotations(template: PodTemplateSpec, job: MPIJob): Record<string, string> | undefined {
  const merged = { ...template.metadata?.annotations, ...behaviourAnnotations(job.metadata.annotations) };
  return Object.keys(merged).length > 0 ? merged : undefined;
}

export function newWorkerPod(job: MPIJob, index: number): Pod {
  const replica = job.spec.mpiReplicaSpecs.Worker;
  if (!replica) throw new Error(`MPIJob ${jobName(job)} has no Worker replica spec`);
  const template = deepClone(replica.template);
  const name = workerPodName(job, index);
  const spec = template.spec;
  const labels: Record<string, string> = {
    ...template.metadata?.labels,
    ...defaultLabels(jobName(job), ROLE_WORKER),
    // With the launcher counted as worker 0, the worker pods are numbered from 1 (Kueue TAS relies on it).
    [LABEL_REPLICA_INDEX]: String(runsLauncherAsWorker(job) ? index + 1 : index),
  };
  spec.hostname = name;
  spec.subdomain = jobName(job);
  if (spec.hostNetwork) spec.dnsPolicy = DNS_POLICY_HOST_NETWORK;
  spec.restartPolicy = podRestartPolicy(replica);
  addDnsSearch(spec, job);
  const main = spec.containers[0];
  if (main) {
    if ((main.command ?? []).length === 0 && (main.args ?? []).length === 0) main.command = [...DEFAULT_WORKER_COMMAND];
    main.env = [...(main.env ?? []), { name: ENV_JOB_ROLE, value: ROLE_WORKER }];
  }
  setupSsh(spec, job);
  const annotations = templateAnnotations(template, job);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: jobNamespace(job),
      labels,
      ...(annotations ? { annotations } : {}),
      ownerReferences: [ownerRef(job)],
    },
    spec,
  };
}

function implementationEnv(job: MPIJob): EnvVar[] {
  const hostfilePath = `${CONFIG_MOUNT_PATH}/${HOSTFILE_KEY}`;
  const slots = String(slotsPerWorker(job));
  switch (job.spec.mpiImplementation) {
    case MPI_IMPLEMENTATION.intel:
      return [
        { name: 'I_MPI_HYDRA_HOST_FILE', value: hostfilePath },
        { name: 'I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS', value: SSH_CONNECTION_ARGS },
        { name: 'I_MPI_PERHOST', value: slots },
      ];
    case MPI_IMPLEMENTATION.mpich:
      return [
        { name: 'HYDRA_HOST_FILE', value: hostfilePath },
        { name: 'HYDRA_LAUNCH_EXTRA_ARGS', value: SSH_CONNECTION_ARGS },
      ];
    default:
      return [
        { name: 'OMPI_MCA_orte_keep_fqdn_hostnames', value: 'true' },
        { name: 'OMPI_MCA_orte_default_hostfile', value: hostfilePath },
        { name: 'OMPI_MCA_plm_rsh_args', value: SSH_CONNECTION_ARGS },
        { name: 'OMPI_MCA_orte_set_default_slots', value: slots },
      ];
  }
}

export interface LauncherJobResult {
  job: Job;
  /** The template set its own restartPolicy, which the replica spec overrides (worth a Warning). */
  overrodeTemplateRestartPolicy: boolean;
}

export function newLauncherJob(mpiJob: MPIJob): LauncherJobResult {
  const replica = mpiJob.spec.mpiReplicaSpecs.Launcher;
  if (!replica) throw new Error(`MPIJob ${jobName(mpiJob)} has no Launcher replica spec`);
  const template = deepClone(replica.template);
  const spec = template.spec;
  const name = launcherJobName(mpiJob);
  const labels: Record<string, string> = {
    ...template.metadata?.labels,
    ...defaultLabels(jobName(mpiJob), ROLE_LAUNCHER),
    ...(runsLauncherAsWorker(mpiJob) ? { [LABEL_REPLICA_INDEX]: '0' } : {}),
  };
  spec.hostname = name;
  spec.subdomain = jobName(mpiJob);
  if (spec.hostNetwork) spec.dnsPolicy = DNS_POLICY_HOST_NETWORK;
  addDnsSearch(spec, mpiJob);
  const main = spec.containers[0];
  if (main) {
    main.env = [
      ...(main.env ?? []),
      { name: ENV_JOB_ROLE, value: ROLE_LAUNCHER },
      ...implementationEnv(mpiJob),
      // A launcher that is not also a worker must not grab GPUs it would leave idle.
      ...(runsLauncherAsWorker(mpiJob) ? [] : [{ name: 'NVIDIA_VISIBLE_DEVICES' }, { name: 'NVIDIA_DRIVER_CAPABILITIES' }]),
    ];
  }
  setupSsh(spec, mpiJob);
  const overrodeTemplateRestartPolicy = Boolean(spec.restartPolicy);
  spec.restartPolicy = podRestartPolicy(replica);
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name: CONFIG_VOLUME,
      configMap: {
        name: configMapName(mpiJob),
        items: [
          { key: HOSTFILE_KEY, path: HOSTFILE_KEY, mode: CONFIG_ITEM_MODE_HOSTFILE },
          { key: DISCOVER_HOSTS_KEY, path: DISCOVER_HOSTS_KEY, mode: CONFIG_ITEM_MODE_SCRIPT },
        ],
      },
    },
  ];
  if (main) main.volumeMounts = [...(main.volumeMounts ?? []), { name: CONFIG_VOLUME, mountPath: CONFIG_MOUNT_PATH }];
  const annotations = templateAnnotations(template, mpiJob);
  const runPolicy = mpiJob.spec.runPolicy ?? {};
  const job: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: jobNamespace(mpiJob),
      labels: { [LABEL_APP]: jobName(mpiJob) },
      ownerReferences: [ownerRef(mpiJob)],
    },
    spec: {
      ...(runPolicy.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: runPolicy.ttlSecondsAfterFinished } : {}),
      ...(runPolicy.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: runPolicy.activeDeadlineSeconds } : {}),
      ...(runPolicy.backoffLimit !== undefined ? { backoffLimit: runPolicy.backoffLimit } : {}),
      podReplacementPolicy: 'Failed',
      ...(isSuspended(mpiJob) ? { suspend: true } : {}),
      template: { metadata: { labels, ...(annotations ? { annotations } : {}) }, spec },
    },
  };
  return { job, overrodeTemplateRestartPolicy };
}
