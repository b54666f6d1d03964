// In-memory caches and a fake writer, so the schema and resolvers can be exercised without a
// cluster: fill the stores with objects shaped like the API server's, then execute operations.

import { graphql, type ExecutionResult } from 'graphql';
import { pino } from 'pino';
import { createGraphContext, type GraphServices } from '../../src/graph/context.ts';
import { buildSchema } from '../../src/graph/schema.ts';
import { SharedObjectStore } from '../../src/kube/cache.ts';
import { ConflictError, NotFoundError } from '../../src/errors.ts';
import { createLiveServices } from '../../src/graph/live.ts';
import { KubeApiError } from '../../src/kube/errors.ts';
import type { MpiJobWriter, WriteOptions } from '../../src/kube/mpijobs.ts';
import type { EventObject, MPIJobObject, NamespaceObject, PodObject, ResourceQuotaObject } from '../../src/kube/objects.ts';
import { eventObjectKey, INDEX_EVENT_BY_OBJECT, INDEX_POD_BY_JOB, podJobKey, type ClusterCaches } from '../../src/kube/watched.ts';
import { MpiJobService } from '../../src/mpijob/service.ts';
import { ANONYMOUS_VIEWER, type Viewer } from '../../src/viewer/viewer.ts';

export interface FakeCluster {
  caches: ClusterCaches & {
    mpiJobs: SharedObjectStore<MPIJobObject>;
    pods: SharedObjectStore<PodObject>;
    events: SharedObjectStore<EventObject>;
    namespaces: SharedObjectStore<NamespaceObject>;
    quotas: SharedObjectStore<ResourceQuotaObject>;
  };
  writes: Array<{ verb: string; object: unknown; options: WriteOptions | undefined }>;
  ready: boolean;
  services(): GraphServices;
  execute(query: string, variables?: Record<string, unknown>, viewer?: Viewer): Promise<ExecutionResult>;
}

export const NOW = Date.parse('2026-11-28T12:00:00Z');

export function createFakeCluster(): FakeCluster {
  const caches = {
    mpiJobs: new SharedObjectStore<MPIJobObject>(),
    pods: new SharedObjectStore<PodObject>({
      [INDEX_POD_BY_JOB]: (pod) => {
        const job = pod.metadata.labels?.['training.kubeflow.org/job-name'];
        return job ? [podJobKey(pod.metadata.namespace ?? '', job)] : [];
      },
    }),
    events: new SharedObjectStore<EventObject>({
      [INDEX_EVENT_BY_OBJECT]: (e) =>
        e.involvedObject?.kind && e.involvedObject.name
          ? [eventObjectKey(e.involvedObject.namespace ?? e.metadata.namespace ?? '', e.involvedObject.kind, e.involvedObject.name)]
          : [],
    }),
    namespaces: new SharedObjectStore<NamespaceObject>(),
    quotas: new SharedObjectStore<ResourceQuotaObject>(),
  };
  const writes: FakeCluster['writes'] = [];
  const writer: MpiJobWriter = {
    async create(manifest, options) {
      writes.push({ verb: 'create', object: manifest, options });
      const ns = manifest.metadata.namespace ?? '';
      if (caches.mpiJobs.get(ns, manifest.metadata.name ?? '')) throw new ConflictError(`mpijobs.kubeflow.org "${manifest.metadata.name}" already exists`);
      const created = { ...manifest, metadata: { ...manifest.metadata, uid: `uid-${manifest.metadata.name}`, creationTimestamp: new Date(NOW).toISOString() } };
      if (!options?.dryRun) caches.mpiJobs.upsert(created);
      return created;
    },
    async delete(namespace, name, options) {
      writes.push({ verb: 'delete', object: { namespace, name }, options });
      const existing = caches.mpiJobs.get(namespace, name);
      if (!existing) throw new NotFoundError(`mpijobs.kubeflow.org "${name}" not found`);
      caches.mpiJobs.remove(existing);
    },
    async setSuspended(namespace, name, suspend, options) {
      writes.push({ verb: 'patch', object: { namespace, name, suspend }, options });
      const existing = caches.mpiJobs.get(namespace, name);
      if (!existing) throw new NotFoundError(`mpijobs.kubeflow.org "${name}" not found`);
      const patched = { ...existing, spec: { ...existing.spec, runPolicy: { ...existing.spec?.runPolicy, suspend } } };
      caches.mpiJobs.upsert(patched);
      return patched;
    },
  };
  const scope = { includes: () => true };
  // Subscriptions over the same stores; pod logs are not available without a cluster.
  const live = createLiveServices({
    caches,
    watches: { statuses: () => [], onEvent: () => () => undefined },
    logSource: {
      open: (_request, handlers) => {
        queueMicrotask(() => handlers.onEnd(new KubeApiError(404, undefined, 'no pod logs in the fake cluster')));
        return { abort: () => undefined };
      },
    },
    logger: pino({ level: 'silent' }),
  });
  const fake: FakeCluster = {
    caches,
    writes,
    ready: true,
    services: () => ({
      caches,
      scope,
      mpiJobs: new MpiJobService({ writer, caches, scope }),
      isReady: () => fake.ready,
      now: () => NOW,
      live,
    }),
    execute: async (query, variables, viewer = ANONYMOUS_VIEWER) =>
      graphql({
        schema,
        source: query,
        variableValues: variables,
        contextValue: createGraphContext(fake.services(), viewer, pino({ level: 'silent' })),
      }),
  };
  return fake;
}

const schema = buildSchema();

// ---- object builders, shaped like what the API server returns

const at = (offsetSeconds: number): string => new Date(NOW + offsetSeconds * 1000).toISOString().replace('.000', '');

export function namespace(name: string): NamespaceObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: `ns-${name}`, creationTimestamp: at(-86_400) }, status: { phase: 'Active' } };
}

export function quota(ns: string, name: string, hard: Record<string, string>, used: Record<string, string>): ResourceQuotaObject {
  return { metadata: { name, namespace: ns, uid: `q-${name}` }, spec: { hard }, status: { hard, used } };
}

export interface JobFixture {
  name: string;
  namespace: string;
  workers: number;
  conditions?: Array<[string, string, string?, string?]>;
  createdSecondsAgo?: number;
  labels?: Record<string, string>;
  suspend?: boolean;
}

export function mpiJob(f: JobFixture): MPIJobObject {
  return {
    apiVersion: 'kubeflow.org/v2beta1',
    kind: 'MPIJob',
    metadata: {
      name: f.name,
      namespace: f.namespace,
      uid: `uid-${f.name}`,
      creationTimestamp: at(-(f.createdSecondsAgo ?? 600)),
      labels: f.labels ?? {},
    },
    spec: {
      slotsPerWorker: 1,
      runPolicy: { cleanPodPolicy: 'Running', suspend: f.suspend ?? false },
      mpiReplicaSpecs: {
        Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'launcher', image: 'mpi:1', command: ['mpirun', 'pi'], resources: { requests: { cpu: '500m', memory: '512Mi' } } }] } } },
        Worker: { replicas: f.workers, template: { spec: { containers: [{ name: 'worker', image: 'mpi:1', resources: { requests: { cpu: '1', memory: '1Gi' } } }] } } },
      },
    },
    status: {
      startTime: at(-300),
      conditions: (f.conditions ?? []).map(([type, status, reason, message]) => ({ type, status, reason, message, lastTransitionTime: at(-300) })),
    },
  };
}

export function pod(job: string, ns: string, role: 'launcher' | 'worker', rank: number | undefined, status: PodObject['status'], name?: string): PodObject {
  const labels: Record<string, string> = {
    'training.kubeflow.org/job-name': job,
    'training.kubeflow.org/job-role': role,
    'training.kubeflow.org/operator-name': 'mpi-operator',
  };
  if (rank !== undefined) labels['training.kubeflow.org/replica-index'] = String(rank);
  const podName = name ?? (role === 'launcher' ? `${job}-launcher-abcde` : `${job}-worker-${rank ?? 0}`);
  return {
    metadata: { name: podName, namespace: ns, uid: `uid-${podName}`, labels, creationTimestamp: at(-290) },
    spec: { nodeName: 'node-1', containers: [{ name: role, image: 'mpi:1', resources: { requests: { cpu: '1', memory: '1Gi' } } }] },
    status,
  };
}

export function runningStatus(container = 'worker'): PodObject['status'] {
  return {
    phase: 'Running',
    startTime: at(-280),
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: container, ready: true, restartCount: 0, state: { running: { startedAt: at(-280) } } }],
  };
}

export function terminatedStatus(container: string, reason: string, exitCode: number, finishedSecondsAgo: number): PodObject['status'] {
  return {
    phase: 'Failed',
    startTime: at(-280),
    containerStatuses: [{ name: container, ready: false, restartCount: 0, state: { terminated: { reason, exitCode, finishedAt: at(-finishedSecondsAgo), startedAt: at(-280) } } }],
  };
}

export function event(ns: string, name: string, kind: string, object: string, type: string, reason: string, message: string, secondsAgo: number): EventObject {
  return {
    metadata: { name, namespace: ns, uid: `uid-${name}` },
    involvedObject: { kind, name: object, namespace: ns },
    type,
    reason,
    message,
    count: 1,
    firstTimestamp: at(-secondsAgo),
    lastTimestamp: at(-secondsAgo),
    source: { component: 'mpi-job-controller' },
  };
}
