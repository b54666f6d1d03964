// MPIJob status as mpi-operator v2 derives it from the launcher Job, the launcher pods and the
// worker pods: conditions (with the operator's reasons and its rule that a finished job flips
// Running and an earlier Failed to False), replicaStatuses, startTime and completionTime. Pure:
// it returns the new status and the events the transitions call for.

import type { EventType } from './events.ts';
import { EVENT_TYPE, truncateEventMessage } from './events.ts';
import {
  CONDITION,
  JOB_BACKOFF_LIMIT_EXCEEDED,
  POD_REASON_EVICTED,
  REASON,
  REPLICA_LAUNCHER,
  REPLICA_WORKER,
  isSuspended,
} from './mpi-api.ts';
import type { ConditionStatus, Job, MPIJob, MPIJobCondition, MPIJobStatus, Pod, ReplicaStatus } from './objects.ts';
import { deepClone, findCondition, hasTrueCondition, parseTime, podPhase, rfc3339, POD_PHASE } from './objects.ts';

export interface PlannedEvent {
  type: EventType;
  reason: string;
  message: string;
}

/**
 * Sets a condition the way the operator's setCondition does: no change when status and reason are
 * the same; lastTransitionTime kept when only the reason changes; the condition moves to the end
 * of the list; a Succeeded or Failed condition turns Running and an earlier Failed to False.
 * Returns whether anything changed.
 */
export function setCondition(
  status: MPIJobStatus,
  type: string,
  conditionStatus: ConditionStatus,
  reason: string,
  message: string,
  nowMs: number,
): boolean {
  const current = findCondition(status.conditions, type);
  if (current && current.status === conditionStatus && current.reason === reason) return false;
  const now = rfc3339(nowMs);
  const condition: MPIJobCondition = {
    type,
    status: conditionStatus,
    reason,
    message,
    lastUpdateTime: now,
    lastTransitionTime: current && current.status === conditionStatus ? current.lastTransitionTime : now,
  };
  const finishing = type === CONDITION.failed || type === CONDITION.succeeded;
  const others = (status.conditions ?? [])
    .filter((c) => c.type !== type)
    .filter((c) => !(type === CONDITION.running && c.type === CONDITION.restarting))
    .filter((c) => !(type === CONDITION.restarting && c.type === CONDITION.running))
    .map((c) => (finishing && (c.type === CONDITION.running || c.type === CONDITION.failed) ? { ...c, status: 'False' as const } : c));
  status.conditions = [...others, condition];
  return true;
}

export function isFinished(status: MPIJobStatus | undefined): boolean {
  return hasTrueCondition(status?.conditions, CONDITION.succeeded) || hasTrueCondition(status?.conditions, CONDITION.failed);
}

export function isJobComplete(job: Job): boolean {
  return hasTrueCondition(job.status?.conditions, 'Complete');
}

export function isJobFailed(job: Job): boolean {
  return hasTrueCondition(job.status?.conditions, 'Failed');
}

export function isJobFinished(job: Job): boolean {
  return isJobComplete(job) || isJobFailed(job);
}

/** The Created condition and event every job gets on its first reconcile. */
export function markCreated(status: MPIJobStatus, job: MPIJob, nowMs: number): PlannedEvent | undefined {
  if ((status.conditions ?? []).length > 0) return undefined;
  const message = `MPIJob ${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''} is created.`;
  setCondition(status, CONDITION.created, 'True', REASON.created, message, nowMs);
  return { type: EVENT_TYPE.normal, reason: REASON.created, message };
}

function compactReplicaStatus(counts: { active: number; succeeded: number; failed: number }): ReplicaStatus {
  // The operator's ReplicaStatus fields are omitempty: zero counts are absent.
  const out: ReplicaStatus = {};
  if (counts.active) out.active = counts.active;
  if (counts.succeeded) out.succeeded = counts.succeeded;
  if (counts.failed) out.failed = counts.failed;
  return out;
}

export interface StatusInput {
  /** The MPIJob with defaults applied; its status is the starting point. */
  job: MPIJob;
  launcher: Job | undefined;
  /** Pods controlled by the launcher Job. */
  launcherPods: readonly Pod[];
  /** Worker pods, only while the launcher has not finished (as the operator passes them). */
  workers: readonly Pod[];
  nowMs: number;
}

export interface StatusOutput {
  status: MPIJobStatus;
  events: PlannedEvent[];
}

function failedStatus(input: StatusInput, launcher: Job, status: MPIJobStatus, events: PlannedEvent[]): void {
  const { job, nowMs } = input;
  const jobFailed = findCondition(launcher.status?.conditions, 'Failed');
  let reason = jobFailed?.reason || REASON.failed;
  let message = jobFailed?.message || `MPIJob ${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''} has failed`;
  if (reason === JOB_BACKOFF_LIMIT_EXCEEDED) {
    // The operator appends what the most recent failed launcher pod says about itself.
    let lastFailed: Pod | undefined;
    for (const pod of input.launcherPods) {
      if (podPhase(pod) !== POD_PHASE.failed) continue;
      const created = parseTime(pod.metadata.creationTimestamp) ?? 0;
      if (!lastFailed || (parseTime(lastFailed.metadata.creationTimestamp) ?? 0) < created) lastFailed = pod;
    }
    if (lastFailed) {
      reason += `/${lastFailed.status?.reason ?? ''}`;
      message = truncateEventMessage(`${message}: ${lastFailed.status?.message ?? ''}`);
    }
  }
  if (!status.completionTime) status.completionTime = rfc3339(nowMs);
  if (setCondition(status, CONDITION.failed, 'True', reason, message, nowMs)) {
    events.push({ type: EVENT_TYPE.warning, reason, message });
  }
}

/** The operator's updateMPIJobStatus, minus the API write. */
export function deriveStatus(input: StatusInput): StatusOutput {
  const { job, launcher, nowMs } = input;
  const status: MPIJobStatus = deepClone(job.status ?? {});
  const events: PlannedEvent[] = [];
  const namespacedName = `${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''}`;
  const suspended = isSuspended(job);

  if (suspended) {
    if (setCondition(status, CONDITION.suspended, 'True', REASON.suspended, 'MPIJob suspended', nowMs)) {
      events.push({ type: EVENT_TYPE.normal, reason: REASON.suspended, message: 'MPIJob suspended' });
    }
  } else if (findCondition(status.conditions, CONDITION.suspended)) {
    if (setCondition(status, CONDITION.suspended, 'False', REASON.resumed, 'MPIJob resumed', nowMs)) {
      events.push({ type: EVENT_TYPE.normal, reason: REASON.resumed, message: 'MPIJob resumed' });
      status.startTime = rfc3339(nowMs);
    }
  }

  let runningLaunchers = 0;
  if (launcher) {
    runningLaunchers = input.launcherPods.filter((pod) => podPhase(pod) === POD_PHASE.running).length;
    const counts = { active: 0, succeeded: 0, failed: launcher.status?.failed ?? 0 };
    if (isJobComplete(launcher)) {
      counts.succeeded = 1;
      const message = `MPIJob ${namespacedName} successfully completed.`;
      status.completionTime ??= launcher.status?.completionTime ?? rfc3339(nowMs);
      if (setCondition(status, CONDITION.succeeded, 'True', REASON.succeeded, message, nowMs)) {
        events.push({ type: EVENT_TYPE.normal, reason: REASON.succeeded, message });
      }
    } else if (isJobFailed(launcher)) {
      failedStatus(input, launcher, status, events);
    } else {
      counts.active = runningLaunchers;
    }
    status.replicaStatuses = { ...status.replicaStatuses, [REPLICA_LAUNCHER]: compactReplicaStatus(counts) };
  }

  const workerCounts = { active: 0, succeeded: 0, failed: 0 };
  let evicted = 0;
  for (const pod of input.workers) {
    const phase = podPhase(pod);
    if (phase === POD_PHASE.failed) {
      workerCounts.failed++;
      if (pod.status?.reason === POD_REASON_EVICTED) evicted++;
    } else if (phase === POD_PHASE.succeeded) {
      workerCounts.succeeded++;
    } else if (phase === POD_PHASE.running) {
      workerCounts.active++;
    }
  }
  status.replicaStatuses = { ...status.replicaStatuses, [REPLICA_WORKER]: compactReplicaStatus(workerCounts) };
  if (evicted > 0) {
    const message = `${evicted}/${input.workers.length} workers are evicted`;
    if (setCondition(status, CONDITION.failed, 'True', REASON.evicted, message, nowMs)) {
      events.push({ type: EVENT_TYPE.warning, reason: REASON.evicted, message });
    }
  }

  if (suspended) {
    setCondition(status, CONDITION.running, 'False', REASON.suspended, `MPIJob ${namespacedName} is suspended.`, nowMs);
  } else if (launcher && runningLaunchers >= 1 && workerCounts.active === input.workers.length && !isFinished(status)) {
    if (setCondition(status, CONDITION.running, 'True', REASON.running, `MPIJob ${namespacedName} is running.`, nowMs)) {
      events.push({ type: EVENT_TYPE.normal, reason: REASON.running, message: `MPIJob ${namespacedName} is running` });
    }
  }

  addRunningIfSkipped(status);
  return { status, events };
}

/**
 * A job that finished before its Running condition was ever set still gets one, False, dated at
 * completion, so that clients reading Running always find it. It goes before the final condition
 * so the last condition still tells the job's state.
 */
function addRunningIfSkipped(status: MPIJobStatus): void {
  if (!isFinished(status) || findCondition(status.conditions, CONDITION.running)) return;
  const conditions = status.conditions ?? [];
  const final = conditions.findLast((c) => (c.type === CONDITION.succeeded || c.type === CONDITION.failed) && c.status === 'True');
  if (!final) return;
  const at = status.completionTime ?? final.lastTransitionTime;
  const running: MPIJobCondition = {
    type: CONDITION.running,
    status: 'False',
    reason: final.reason,
    message: final.message,
    lastUpdateTime: at,
    lastTransitionTime: at,
  };
  const index = conditions.indexOf(final);
  status.conditions = [...conditions.slice(0, index), running, ...conditions.slice(index)];
}

/** Status equality for deciding whether to write: conditions, counts and times. */
export function statusEquals(a: MPIJobStatus | undefined, b: MPIJobStatus | undefined): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(status: MPIJobStatus | undefined): unknown {
  if (!status) return {};
  const replicaStatuses = Object.fromEntries(
    Object.entries(status.replicaStatuses ?? {})
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([k, v]) => [k, { active: v.active ?? 0, succeeded: v.succeeded ?? 0, failed: v.failed ?? 0 }]),
  );
  return {
    conditions: (status.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.lastTransitionTime ?? '']),
    replicaStatuses,
    startTime: status.startTime ?? '',
    completionTime: status.completionTime ?? '',
  };
}
