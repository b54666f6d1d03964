// Why a job is not running, or why it failed, from what the cluster already says in scattered
// places: the job's conditions, its pods' conditions and container states, and the events of the
// job, its launcher Job and its pods. The classic case: a worker is OOMKilled, the launcher then
// fails, and the job's condition only says `BackoffLimitExceeded`.

import { EVENT_REASON_FAILED_SCHEDULING, EVENT_REASON_MPIJOB_FAILED, EVENT_REASON_VALIDATION_ERROR } from '../kube/labels.ts';
import type { EventModel } from '../event/model.ts';
import {
  POD_CONDITION_SCHEDULED,
  REASON_OOM_KILLED,
  REASON_UNSCHEDULABLE,
  type ContainerStatusModel,
  type PodModel,
} from '../worker/model.ts';
import { CONDITION, durationSeconds, type MpiJobModel, type ReplicaType } from './model.ts';

export type DiagnosisKind =
  | 'NOT_STARTED'
  | 'PODS_PENDING'
  | 'QUOTA_EXCEEDED'
  | 'WAITING_FOR_WORKERS'
  | 'SUSPENDED'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'INVALID_SPEC';

export interface PendingPodModel {
  pod: PodModel;
  reason: string | null;
  message: string | null;
}

export interface PodFailureModel {
  pod: PodModel | null;
  podName: string;
  role: ReplicaType | null;
  rank: number | null;
  container: string | null;
  reason: string | null;
  exitCode: number | null;
  message: string | null;
  finishedAt: string | null;
}

export interface DiagnosisModel {
  kind: DiagnosisKind;
  summary: string;
  details: string[];
  pendingPods: PendingPodModel[];
  failure: PodFailureModel | null;
}

export interface DiagnosisInput {
  job: MpiJobModel;
  /** Launcher and worker pods of the job. */
  pods: readonly PodModel[];
  /** Events of the job, its launcher Job and its pods, newest first. */
  events: readonly EventModel[];
  nowMs: number;
}

const QUOTA_TEXT = /exceeded quota|failed quota/;
/** Pods named in a summary sentence; the full list is in `pendingPods`. */
const PODS_IN_SUMMARY = 3;
/** Container waiting reasons that mean the pod will not start without a change. */
const STUCK_WAITING = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError', 'CrashLoopBackOff']);

function describePod(pod: PodModel): string {
  if (pod.role === 'WORKER' && pod.rank !== null) return `worker rank ${pod.rank} (${pod.name})`;
  if (pod.role === 'LAUNCHER') return `the launcher (${pod.name})`;
  return pod.name;
}

function conditionOf(job: MpiJobModel, type: string) {
  return job.status.conditions.find((c) => c.type === type && c.status === 'TRUE');
}

function seconds(value: number | null): string {
  if (value === null) return '';
  const s = Math.round(value);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** Why one pod is not running, from its scheduling condition, events and container states. */
function pendingReason(pod: PodModel, events: readonly EventModel[]): PendingPodModel | undefined {
  if (pod.phase === 'RUNNING' && pod.ready) return undefined;
  if (pod.phase === 'SUCCEEDED' || pod.phase === 'FAILED') return undefined;
  const scheduled = pod.conditions.find((c) => c.type === POD_CONDITION_SCHEDULED);
  if (scheduled && scheduled.status === 'FALSE') {
    const event = events.find((e) => e.involvedObject.name === pod.name && e.reason === EVENT_REASON_FAILED_SCHEDULING);
    return { pod, reason: scheduled.reason ?? EVENT_REASON_FAILED_SCHEDULING, message: scheduled.message ?? event?.message ?? null };
  }
  const schedulingEvent = !pod.nodeName
    ? events.find((e) => e.involvedObject.name === pod.name && e.reason === EVENT_REASON_FAILED_SCHEDULING)
    : undefined;
  if (schedulingEvent) return { pod, reason: EVENT_REASON_FAILED_SCHEDULING, message: schedulingEvent.message };
  const waiting = pod.containers.find((c) => c.state === 'WAITING' && c.reason);
  if (waiting) return { pod, reason: waiting.reason, message: waiting.message };
  if (pod.phase === 'PENDING') return { pod, reason: pod.reason ?? (pod.nodeName ? 'ContainerCreating' : 'Pending'), message: pod.message };
  if (!pod.ready) return { pod, reason: 'NotReady', message: pod.message };
  return undefined;
}

interface Termination {
  pod: PodModel;
  container: ContainerStatusModel | null;
  reason: string | null;
  exitCode: number | null;
  message: string | null;
  finishedAt: string | null;
}

/** Every abnormal termination a pod records: current or previous container instances, or an eviction. */
function terminations(pod: PodModel): Termination[] {
  const out: Termination[] = [];
  for (const c of pod.containers) {
    for (const t of [
      c.state === 'TERMINATED' ? { reason: c.reason, exitCode: c.exitCode, message: c.message, finishedAt: c.finishedAt } : null,
      c.lastTermination,
    ]) {
      if (!t) continue;
      const abnormal = (t.exitCode !== null && t.exitCode !== 0) || t.reason === REASON_OOM_KILLED;
      if (abnormal) out.push({ pod, container: c, reason: t.reason, exitCode: t.exitCode, message: t.message, finishedAt: t.finishedAt });
    }
  }
  if (out.length === 0 && pod.phase === 'FAILED') {
    out.push({ pod, container: null, reason: pod.reason, exitCode: null, message: pod.message, finishedAt: pod.finishTime });
  }
  return out;
}

function timeOf(t: Termination): number {
  const ms = t.finishedAt ? Date.parse(t.finishedAt) : NaN;
  return Number.isNaN(ms) ? Number.MAX_SAFE_INTEGER : ms;
}

/**
 * The first failure: the earliest abnormal termination. On a tie the worker wins, because the
 * launcher's mpirun fails as a consequence of a worker dying, not the other way round.
 */
function firstFailure(pods: readonly PodModel[]): Termination | undefined {
  const all = pods.flatMap(terminations);
  all.sort((a, b) => timeOf(a) - timeOf(b) || (a.pod.role === 'WORKER' ? -1 : 0) - (b.pod.role === 'WORKER' ? -1 : 0));
  return all[0];
}

function failureSentence(t: Termination): string {
  const what = t.reason === REASON_OOM_KILLED ? 'was OOMKilled' : t.reason ? `failed with ${t.reason}` : 'failed';
  const container = t.container ? `container ${t.container.name} ` : '';
  const code = t.exitCode !== null ? ` (exit code ${t.exitCode})` : '';
  return `${describePod(t.pod)} failed first: ${container}${what}${code}`;
}

function latestQuotaRefusal(events: readonly EventModel[]): EventModel | undefined {
  return events.find((e) => e.type === 'WARNING' && QUOTA_TEXT.test(e.message ?? ''));
}

export function diagnose(input: DiagnosisInput): DiagnosisModel {
  const { job, pods, events, nowMs } = input;
  const launcher = pods.find((p) => p.role === 'LAUNCHER');
  const workers = pods.filter((p) => p.role === 'WORKER');
  const expectedWorkers = job.spec.worker?.replicas ?? 0;
  const details: string[] = [];

  if (job.phase === 'SUCCEEDED') {
    const took = durationSeconds(job.status, nowMs);
    return { kind: 'SUCCEEDED', summary: `Succeeded${took !== null ? ` after ${seconds(took)}` : ''}.`, details, pendingPods: [], failure: null };
  }

  if (job.phase === 'FAILED') {
    const condition = conditionOf(job, CONDITION.failed);
    if (condition) details.push(`Job condition Failed: ${condition.reason ?? ''}${condition.message ? `: ${condition.message}` : ''}`);
    const first = firstFailure(pods);
    if (!first) {
      return {
        kind: 'FAILED',
        summary: `Failed: ${condition?.reason ?? 'no reason given'}${pods.length === 0 ? ' (its pods are gone, so the failing rank is unknown)' : ''}.`,
        details,
        pendingPods: [],
        failure: null,
      };
    }
    return {
      kind: 'FAILED',
      summary: `Failed: ${failureSentence(first)}.`,
      details: [...(first.message ? [first.message] : []), ...details],
      pendingPods: [],
      failure: {
        pod: first.pod,
        podName: first.pod.name,
        role: first.pod.role,
        rank: first.pod.rank,
        container: first.container?.name ?? null,
        reason: first.reason,
        exitCode: first.exitCode,
        message: first.message,
        finishedAt: first.finishedAt,
      },
    };
  }

  if (job.phase === 'SUSPENDED' || (job.spec.runPolicy.suspend && job.phase === 'PENDING')) {
    const queued = job.queue ? ` It waits for Kueue to admit it from queue ${job.queue}.` : ' Resume it to run.';
    return { kind: 'SUSPENDED', summary: `Suspended: no pods run while runPolicy.suspend is true.${queued}`, details, pendingPods: [], failure: null };
  }

  const invalid = events.find((e) => e.reason === EVENT_REASON_VALIDATION_ERROR);
  if (job.phase === 'PENDING' && invalid) {
    return { kind: 'INVALID_SPEC', summary: `The operator refused the spec: ${invalid.message ?? ''}`, details, pendingPods: [], failure: null };
  }

  const pendingPods = pods.map((p) => pendingReason(p, events)).filter((p): p is PendingPodModel => p !== undefined);
  const missingWorkers = Math.max(0, expectedWorkers - workers.length);
  const quota = latestQuotaRefusal(events);
  if (quota && (missingWorkers > 0 || !launcher)) {
    const failedCreate = quota.reason === EVENT_REASON_MPIJOB_FAILED ? '' : ` (${quota.reason ?? 'event'})`;
    return {
      kind: 'QUOTA_EXCEEDED',
      summary: `Pods cannot be created: a ResourceQuota is exhausted${failedCreate}. ${missingWorkers > 0 ? `${missingWorkers} of ${expectedWorkers} workers are missing.` : 'The launcher is missing.'}`,
      details: [quota.message ?? ''],
      pendingPods,
      failure: null,
    };
  }

  if (job.phase === 'PENDING' && pods.length === 0) {
    return { kind: 'NOT_STARTED', summary: 'Not started: the MPI operator has not reconciled the job yet.', details, pendingPods: [], failure: null };
  }

  const stuck = pendingPods.filter((p) => p.reason !== null && (STUCK_WAITING.has(p.reason) || p.reason === REASON_UNSCHEDULABLE || p.reason === EVENT_REASON_FAILED_SCHEDULING));
  const unready = pendingPods.filter((p) => p.pod.role === 'WORKER');
  if (stuck.length > 0 || (pendingPods.length > 0 && job.phase !== 'RUNNING')) {
    const shown = (stuck.length > 0 ? stuck : pendingPods).slice(0, PODS_IN_SUMMARY).map((p) => `${describePod(p.pod)}: ${p.reason ?? 'Pending'}${p.message ? ` (${p.message})` : ''}`);
    if (!launcher && job.spec.launcherCreationPolicy === 'WAIT_FOR_WORKERS_READY' && stuck.length === 0) {
      return {
        kind: 'WAITING_FOR_WORKERS',
        summary: `Waiting for workers: the launcher is created once all ${expectedWorkers} workers are ready (${expectedWorkers - unready.length} ready).`,
        details: shown,
        pendingPods,
        failure: null,
      };
    }
    return {
      kind: 'PODS_PENDING',
      summary: `${pendingPods.length} of ${pods.length} pods are not running: ${shown.join('; ')}.`,
      details: shown,
      pendingPods,
      failure: null,
    };
  }

  if (missingWorkers > 0 || (!launcher && job.phase !== 'RUNNING')) {
    const waitingFor = missingWorkers > 0 ? `${missingWorkers} of ${expectedWorkers} worker pods` : 'the launcher pod';
    return {
      kind: !launcher && job.spec.launcherCreationPolicy === 'WAIT_FOR_WORKERS_READY' ? 'WAITING_FOR_WORKERS' : 'NOT_STARTED',
      summary: `Starting: waiting for ${waitingFor} to be created.`,
      details,
      pendingPods,
      failure: null,
    };
  }

  if (job.phase === 'RUNNING' || job.phase === 'RESTARTING') {
    const took = durationSeconds(job.status, nowMs);
    return {
      kind: 'RUNNING',
      summary: `Running${took !== null ? ` for ${seconds(took)}` : ''}: the launcher and ${workers.length} of ${expectedWorkers} workers are running.`,
      details,
      pendingPods,
      failure: null,
    };
  }

  return {
    kind: 'WAITING_FOR_WORKERS',
    summary: `Created: waiting for the launcher and ${expectedWorkers} workers to be running.`,
    details,
    pendingPods,
    failure: null,
  };
}
