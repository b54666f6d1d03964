// The embedded cluster's first-start content: two team namespaces with ResourceQuotas, and
// MPIJobs in every state a gateway has to show: one running for hours, one that succeeds
// quickly, one whose worker rank is OOMKilled so the launcher gives up (BackoffLimitExceeded),
// one suspended (as Kueue holds jobs), and one whose pods exceed its namespace's CPU quota, so
// it stays pending with the operator's "worker pod created failed" event. Created through the
// API like any client would; objects that already exist are left alone.

import type { KubeConfig } from '@kubernetes/client-node';
import {
  ANNOTATION_DURATION,
  ANNOTATION_FAIL_AFTER,
  ANNOTATION_FAIL_RANK,
  ANNOTATION_FAIL_REASON,
  ANNOTATION_LOG_INTERVAL,
} from './controllers/behaviour.ts';
import { ClusterClient, MPIJOB_API_VERSION, MPIJOB_KIND, isAlreadyExists } from './controllers/client.ts';
import type { Container, MPIJob, ReplicaSpec } from './controllers/objects.ts';

/**
 * The namespaces kube-apiserver creates at every start (its system namespaces controller), seed
 * or not: a gateway listing namespaces on a real cluster always sees them.
 */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
export const SEED_NAMESPACES = ['default', 'kube-system', 'team-a', 'team-b'] as const;
export const LABEL_QUEUE_NAME = 'kueue.x-k8s.io/queue-name';

interface SeedQuota {
  namespace: string;
  name: string;
  hard: Record<string, string>;
}

export const SEED_QUOTAS: readonly SeedQuota[] = [
  {
    namespace: 'team-a',
    name: 'team-a-quota',
    hard: {
      'requests.cpu': '32',
      'requests.memory': '128Gi',
      'requests.nvidia.com/gpu': '8',
      pods: '40',
      'count/mpijobs.kubeflow.org': '20',
    },
  },
  {
    namespace: 'team-b',
    name: 'team-b-quota',
    hard: {
      'requests.cpu': '16',
      'requests.memory': '64Gi',
      'requests.nvidia.com/gpu': '4',
      pods: '20',
      'count/mpijobs.kubeflow.org': '10',
    },
  },
];

function container(name: string, image: string, resources: Record<string, string>, extra: Partial<Container> = {}): Container {
  return { name, image, imagePullPolicy: 'IfNotPresent', resources: { limits: resources, requests: resources }, ...extra };
}

function replica(replicas: number, c: Container, restartPolicy?: string): ReplicaSpec {
  return { replicas, ...(restartPolicy ? { restartPolicy } : {}), template: { spec: { containers: [c] } } };
}

function mpiJob(namespace: string, name: string, spec: MPIJob['spec'], meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): MPIJob {
  return { apiVersion: MPIJOB_API_VERSION, kind: MPIJOB_KIND, metadata: { name, namespace, ...meta }, spec };
}

const PI_IMAGE = 'mpioperator/mpi-pi:openmpi';
const HOROVOD_IMAGE = 'horovod/horovod:0.28.1';
const TF_BENCHMARKS_IMAGE = 'mpioperator/tensorflow-benchmarks:latest';
const PYTORCH_IMAGE = 'nvcr.io/nvidia/pytorch:24.05-py3';

export const SEED_MPIJOBS: readonly MPIJob[] = [
  // The operator's pi example: succeeds after 45 simulated seconds.
  mpiJob(
    'team-a',
    'pi',
    {
      slotsPerWorker: 1,
      runPolicy: { cleanPodPolicy: 'Running' },
      sshAuthMountPath: '/home/mpiuser/.ssh',
      mpiReplicaSpecs: {
        Launcher: replica(
          1,
          container('mpi-launcher', PI_IMAGE, { cpu: '1', memory: '1Gi' }, {
            securityContext: { runAsUser: 1000 },
            args: ['mpirun', '-n', '2', '/home/mpiuser/pi'],
          }),
        ),
        Worker: replica(
          2,
          container('mpi-worker', PI_IMAGE, { cpu: '1', memory: '1Gi' }, {
            securityContext: { runAsUser: 1000 },
            command: ['/usr/sbin/sshd'],
            args: ['-De', '-f', '/home/mpiuser/.sshd_config'],
          }),
        ),
      },
    },
    { annotations: { [ANNOTATION_DURATION]: '45s', [ANNOTATION_LOG_INTERVAL]: '5s' } },
  ),
  // A long Horovod training run on the GPU node.
  mpiJob(
    'team-a',
    'resnet50-horovod',
    {
      slotsPerWorker: 2,
      runPolicy: { cleanPodPolicy: 'Running', backoffLimit: 3 },
      mpiReplicaSpecs: {
        Launcher: replica(
          1,
          container('launcher', HOROVOD_IMAGE, { cpu: '1', memory: '2Gi' }, {
            command: ['mpirun'],
            args: [
              '-np',
              '4',
              '--allow-run-as-root',
              '-bind-to',
              'none',
              '-map-by',
              'slot',
              '-x',
              'NCCL_DEBUG=INFO',
              'python',
              '/horovod/examples/tensorflow2/tensorflow2_synthetic_benchmark.py',
              '--model',
              'ResNet50',
              '--batch-size',
              '64',
            ],
          }),
        ),
        Worker: replica(2, container('worker', HOROVOD_IMAGE, { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '2' })),
      },
    },
    {
      labels: { [LABEL_QUEUE_NAME]: 'team-a-queue' },
      annotations: { [ANNOTATION_DURATION]: '8h', [ANNOTATION_LOG_INTERVAL]: '30s' },
    },
  ),
  // Rank 1 runs out of memory; the launcher is restarted until the Job's backoff limit is hit.
  mpiJob(
    'team-a',
    'bert-finetune',
    {
      slotsPerWorker: 1,
      runPolicy: { cleanPodPolicy: 'Running', backoffLimit: 2 },
      mpiReplicaSpecs: {
        Launcher: replica(
          1,
          container('launcher', PYTORCH_IMAGE, { cpu: '1', memory: '2Gi' }, {
            command: ['mpirun', '-np', '2', '--allow-run-as-root', 'python', '/workspace/finetune_bert.py', '--epochs', '3'],
            terminationMessagePolicy: 'FallbackToLogsOnError',
          }),
        ),
        Worker: replica(2, container('worker', PYTORCH_IMAGE, { cpu: '4', memory: '16Gi' })),
      },
    },
    {
      annotations: {
        [ANNOTATION_DURATION]: '10m',
        [ANNOTATION_FAIL_RANK]: '1',
        [ANNOTATION_FAIL_REASON]: 'OOMKilled',
        [ANNOTATION_FAIL_AFTER]: '40s',
        [ANNOTATION_LOG_INTERVAL]: '5s',
      },
    },
  ),
  // Held by its queue, as Kueue keeps a job suspended until it admits it.
  mpiJob(
    'team-b',
    'tensorflow-benchmarks',
    {
      slotsPerWorker: 1,
      runPolicy: { cleanPodPolicy: 'Running', suspend: true },
      mpiReplicaSpecs: {
        Launcher: replica(
          1,
          container('tensorflow-benchmarks', TF_BENCHMARKS_IMAGE, { cpu: '1', memory: '2Gi' }, {
            command: [
              'mpirun',
              '--allow-run-as-root',
              '-np',
              '2',
              '-bind-to',
              'none',
              '-map-by',
              'slot',
              'python',
              'scripts/tf_cnn_benchmarks/tf_cnn_benchmarks.py',
              '--model=resnet101',
              '--batch_size=64',
              '--variable_update=horovod',
            ],
          }),
        ),
        Worker: replica(2, container('tensorflow-benchmarks', TF_BENCHMARKS_IMAGE, { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' })),
      },
    },
    { labels: { [LABEL_QUEUE_NAME]: 'team-b-queue' }, annotations: { [ANNOTATION_DURATION]: '20m' } },
  ),
  // Each worker asks for more CPU than team-b's whole quota: the job stays pending.
  mpiJob(
    'team-b',
    'llm-pretrain',
    {
      slotsPerWorker: 1,
      runPolicy: { cleanPodPolicy: 'Running' },
      mpiReplicaSpecs: {
        Launcher: replica(
          1,
          container('launcher', PYTORCH_IMAGE, { cpu: '2', memory: '4Gi' }, {
            command: ['mpirun', '-np', '4', '--allow-run-as-root', 'python', '/workspace/pretrain_gpt.py', '--model', 'gpt2-medium'],
          }),
        ),
        Worker: replica(4, container('worker', PYTORCH_IMAGE, { cpu: '24', memory: '48Gi' })),
      },
    },
    { labels: { [LABEL_QUEUE_NAME]: 'team-b-queue' }, annotations: { [ANNOTATION_DURATION]: '2h' } },
  ),
];

async function createIfAbsent(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Creates SYSTEM_NAMESPACES that are missing, as kube-apiserver does at each start. */
export async function ensureSystemNamespaces(kubeConfig: KubeConfig): Promise<void> {
  const client = new ClusterClient(kubeConfig);
  try {
    for (const name of SYSTEM_NAMESPACES) {
      await createIfAbsent(() => client.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }));
    }
  } finally {
    await client.close();
  }
}

/** Creates the seed namespaces, quotas and MPIJobs; anything already there is skipped. */
export async function seedCluster(kubeConfig: KubeConfig): Promise<void> {
  const client = new ClusterClient(kubeConfig);
  try {
    await createSeedObjects(client);
  } finally {
    await client.close();
  }
}

async function createSeedObjects(client: ClusterClient): Promise<void> {
  for (const name of SEED_NAMESPACES) {
    await createIfAbsent(() => client.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }));
  }
  for (const quota of SEED_QUOTAS) {
    await createIfAbsent(() =>
      client.core.createNamespacedResourceQuota({
        namespace: quota.namespace,
        body: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: quota.name, namespace: quota.namespace }, spec: { hard: quota.hard } },
      }),
    );
  }
  for (const job of SEED_MPIJOBS) {
    await createIfAbsent(() => client.mpiJobs.create(job.metadata.namespace ?? '', structuredClone(job)));
  }
}
