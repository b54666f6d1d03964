// The JSON and YAML shapes of `-o json|yaml`: written out field by field, so scripts can rely on
// them whatever the GraphQL selections grow into. Adding a field is fine; renaming one is not.

import type { Job, JobDetail, JobEvent, JobPod } from '../sdk/client.ts';

export interface ReplicaCounts {
  replicas: number;
  active: number;
  succeeded: number;
  failed: number;
}

export interface JobRecord {
  namespace: string;
  name: string;
  phase: string;
  queue: string | null;
  createdAt: string | null;
  startTime: string | null;
  completionTime: string | null;
  durationSeconds: number | null;
  image: string | null;
  command: string[];
  slotsPerWorker: number;
  suspended: boolean;
  launcher: ReplicaCounts;
  workers: ReplicaCounts;
  labels: Record<string, string>;
}

export interface PodRecord {
  name: string;
  role: string | null;
  rank: number | null;
  phase: string;
  ready: boolean;
  restarts: number;
  node: string | null;
  reason: string | null;
  exitCode: number | null;
}

export interface JobDetailRecord extends JobRecord {
  conditions: Array<{ type: string; status: string; reason: string | null; message: string | null; lastTransitionTime: string | null }>;
  pods: PodRecord[];
  events: Array<{ type: string; reason: string | null; object: string; message: string | null; count: number; lastSeen: string | null }>;
  diagnosis: {
    kind: string;
    summary: string;
    details: string[];
    failure: { pod: string; role: string | null; rank: number | null; container: string | null; reason: string | null; exitCode: number | null } | null;
    pendingPods: Array<{ pod: string; reason: string | null; message: string | null }>;
  };
}

function counts(job: Job, type: 'LAUNCHER' | 'WORKER', replicas: number): ReplicaCounts {
  const status = job.status.replicaStatuses.find((s) => s.type === type);
  return { replicas, active: status?.active ?? 0, succeeded: status?.succeeded ?? 0, failed: status?.failed ?? 0 };
}

export function jobRecord(job: Job): JobRecord {
  return {
    namespace: job.namespace,
    name: job.name,
    phase: job.phase,
    queue: job.queue,
    createdAt: job.createdAt,
    startTime: job.status.startTime,
    completionTime: job.status.completionTime,
    durationSeconds: job.status.durationSeconds,
    image: job.spec.launcher?.image ?? job.spec.worker?.image ?? null,
    command: [...(job.spec.launcher?.command ?? []), ...(job.spec.launcher?.args ?? [])],
    slotsPerWorker: job.spec.slotsPerWorker,
    suspended: job.spec.runPolicy.suspend,
    launcher: counts(job, 'LAUNCHER', job.spec.launcher ? 1 : 0),
    workers: counts(job, 'WORKER', job.spec.worker?.replicas ?? 0),
    labels: Object.fromEntries(job.labels.map((l) => [l.key, l.value])),
  };
}

export function podRecord(pod: JobPod): PodRecord {
  const terminated = pod.containers.find((c) => c.exitCode !== null);
  const reason = pod.reason ?? pod.containers.find((c) => c.reason)?.reason ?? null;
  return {
    name: pod.name,
    role: pod.role === null ? null : pod.role.toLowerCase(),
    rank: pod.rank,
    phase: pod.phase,
    ready: pod.ready,
    restarts: pod.restarts,
    node: pod.nodeName,
    reason,
    exitCode: terminated?.exitCode ?? null,
  };
}

function eventRecord(event: JobEvent): JobDetailRecord['events'][number] {
  const object = [event.involvedObject.kind?.toLowerCase(), event.involvedObject.name].filter(Boolean).join('/');
  return { type: event.type, reason: event.reason, object, message: event.message, count: event.count, lastSeen: event.lastSeen };
}

/** Launcher first, then workers by rank. */
export function podsByRank(job: JobDetail): JobPod[] {
  const workers = [...job.workers.nodes].sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER));
  return job.launcher ? [job.launcher, ...workers] : workers;
}

export function jobDetailRecord(job: JobDetail): JobDetailRecord {
  const failure = job.diagnosis.failure;
  return {
    ...jobRecord(job),
    conditions: job.status.conditions.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime })),
    pods: podsByRank(job).map(podRecord),
    events: job.events.nodes.map(eventRecord),
    diagnosis: {
      kind: job.diagnosis.kind,
      summary: job.diagnosis.summary,
      details: job.diagnosis.details,
      failure: failure
        ? { pod: failure.podName, role: failure.role?.toLowerCase() ?? null, rank: failure.rank, container: failure.container, reason: failure.reason, exitCode: failure.exitCode }
        : null,
      pendingPods: job.diagnosis.pendingPods.map((p) => ({ pod: p.pod.name, reason: p.reason, message: p.message })),
    },
  };
}
