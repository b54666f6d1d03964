// What the batch/v1 Job controller decides in one sync, as kube-controller-manager 1.34 decides
// it (pkg/controller/job, syncJob and manageJob), without the API calls: which pods to create or
// delete, and the status writes that follow. Kept pure so that every decision can be checked
// against the rules the real API server applies to Job status (api/admission/job-status.ts).
//
// The 1.34 finish is two-step: first an interim condition (SuccessCriteriaMet, or FailureTarget
// with the reason), then, once no pod of the Job is still terminating, the final one (Complete
// with completionTime, or Failed). The API server refuses a final condition without its interim
// one. Counters only grow; a pod is counted once, when its count is stored.

import type { Job, JobCondition, JobStatus, Pod } from './objects.ts';
import { deepClone, findCondition, isPodReady, parseTime, podPhase, rfc3339, POD_PHASE } from './objects.ts';

export const JOB_CONDITION = {
  complete: 'Complete',
  failed: 'Failed',
  failureTarget: 'FailureTarget',
  successCriteriaMet: 'SuccessCriteriaMet',
  suspended: 'Suspended',
} as const;
export const JOB_REASON = {
  backoffLimitExceeded: 'BackoffLimitExceeded',
  deadlineExceeded: 'DeadlineExceeded',
  completionsReached: 'CompletionsReached',
  suspended: 'JobSuspended',
  resumed: 'JobResumed',
} as const;
const MESSAGE = {
  backoffLimitExceeded: 'Job has reached the specified backoff limit',
  deadlineExceeded: 'Job was active longer than specified deadline',
  completionsReached: 'Reached expected number of succeeded pods',
  suspended: 'Job suspended',
  resumed: 'Job resumed',
} as const;
export const JOB_EVENT_REASON = {
  successfulCreate: 'SuccessfulCreate',
  failedCreate: 'FailedCreate',
  successfulDelete: 'SuccessfulDelete',
  completed: 'Completed',
  suspended: 'Suspended',
  resumed: 'Resumed',
} as const;
const COMPLETED_EVENT_MESSAGE = 'Job completed';

const CONDITION_TRUE = 'True';
const CONDITION_FALSE = 'False';
const RESTART_POLICY_ON_FAILURE = 'OnFailure';
const POD_REPLACEMENT_FAILED = 'Failed';

export const DEFAULT_BACKOFF_LIMIT = 6;
/** Pod recreation backoff after failures: 10 s, doubling, at most 6 min (simulated). */
export const JOB_BACKOFF_BASE_SIM_MS = 10_000;
export const JOB_BACKOFF_MAX_SIM_MS = 360_000;

/** How a pod that ended counts in the Job's status. */
export type PodOutcome = 'succeeded' | 'failed';

export interface PlannedJobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

function restartsOf(pod: Pod): number {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
}

export interface JobFailureInput {
  job: Job;
  /** Failed pods counted so far, including ones deleted since. */
  failed: number;
  /** Pods not yet finished (Pending or Running). */
  activePods: readonly Pod[];
  /** Simulated time since the Job (last) started; undefined before it started or while suspended. */
  activeSimMs: number | undefined;
}

/** Why the Job must fail now, if it must: the backoff limit or the deadline, as the real controller decides. */
export function jobFailure(input: JobFailureInput): { reason: string; message: string } | undefined {
  const { job, failed, activePods, activeSimMs } = input;
  const backoffLimit = job.spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  let exceeded = failed > backoffLimit;
  if (job.spec.template.spec.restartPolicy === RESTART_POLICY_ON_FAILURE) {
    // Containers restarted in place count as failures too.
    const restarts = activePods.reduce((sum, pod) => sum + restartsOf(pod), 0);
    exceeded ||= backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit;
  }
  if (exceeded) return { reason: JOB_REASON.backoffLimitExceeded, message: MESSAGE.backoffLimitExceeded };
  const deadline = job.spec.activeDeadlineSeconds;
  if (deadline !== undefined && activeSimMs !== undefined && activeSimMs >= deadline * 1000) {
    return { reason: JOB_REASON.deadlineExceeded, message: MESSAGE.deadlineExceeded };
  }
  return undefined;
}

/** Simulated delay before replacing the n-th failed pod: 10 s, 20 s, 40 s ... capped at 6 min. */
export function podRecreateBackoffSimMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(JOB_BACKOFF_MAX_SIM_MS, JOB_BACKOFF_BASE_SIM_MS * 2 ** (failures - 1));
}

export function isJobFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === JOB_CONDITION.complete || c.type === JOB_CONDITION.failed) && c.status === CONDITION_TRUE);
}

/**
 * The real controller's ensureJobConditionStatus: updates the condition in place when its status,
 * reason or message differ, appends it when absent (but never appends a False one).
 */
export function ensureJobCondition(status: JobStatus, type: string, conditionStatus: 'True' | 'False', reason: string, message: string, nowMs: number): boolean {
  const now = rfc3339(nowMs);
  const fresh: JobCondition = { type, status: conditionStatus, reason, message, lastProbeTime: now, lastTransitionTime: now };
  const conditions = status.conditions ?? [];
  const current = conditions.findIndex((c) => c.type === type);
  if (current >= 0) {
    const existing = conditions[current];
    if (existing && existing.status === conditionStatus && existing.reason === reason && existing.message === message) return false;
    status.conditions = conditions.map((c, i) => (i === current ? fresh : c));
    return true;
  }
  if (conditionStatus === CONDITION_FALSE) return false;
  status.conditions = [...conditions, fresh];
  return true;
}

/** Deleted pods are failures unless the Job waits for pods to fail before it replaces them. */
function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec.podReplacementPolicy === POD_REPLACEMENT_FAILED || job.spec['podFailurePolicy'] !== undefined;
}

/** The API server's defaults: both unset means one pod, once; parallelism alone means a work queue. */
function completionsOf(job: Job): number | undefined {
  if (job.spec.completions !== undefined) return job.spec.completions;
  return job.spec.parallelism === undefined ? 1 : undefined;
}

function podFinishedAt(pod: Pod): number | undefined {
  let latest: number | undefined;
  for (const status of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const at = parseTime(status.state?.terminated?.finishedAt);
    if (at !== undefined && (latest === undefined || at > latest)) latest = at;
  }
  return latest;
}

function outcomeOf(pod: Pod): PodOutcome | undefined {
  const phase = podPhase(pod);
  if (phase === POD_PHASE.succeeded) return 'succeeded';
  if (phase === POD_PHASE.failed) return 'failed';
  return undefined;
}

/**
 * Which of the terminated pods a status written by someone else (an earlier run of this
 * controller) already counts. Pods are only ever removed after they were counted, so when there
 * are more terminated pods of an outcome than the counter says, the newest ones are the new ones.
 */
export function seedCounted(status: JobStatus | undefined, pods: readonly Pod[]): Map<string, PodOutcome> {
  const counted = new Map<string, PodOutcome>();
  for (const outcome of ['succeeded', 'failed'] as const) {
    const persisted = (outcome === 'succeeded' ? status?.succeeded : status?.failed) ?? 0;
    const ended = pods
      .filter((pod) => outcomeOf(pod) === outcome)
      .sort((a, b) => (podFinishedAt(a) ?? 0) - (podFinishedAt(b) ?? 0) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    for (const pod of ended.slice(0, persisted)) counted.set(pod.metadata.uid ?? '', outcome);
  }
  return counted;
}

export interface JobSyncInput {
  /** The newest Job this controller knows of; its status is what the API server holds. */
  job: Job;
  /** The Job's pods in the cache. */
  pods: readonly Pod[];
  /** Pods whose outcome the stored counters already include. */
  counted: ReadonlyMap<string, PodOutcome>;
  /**
   * Pods gone from the cache before they were counted, with how they count: a pod deleted while
   * it ran is a failed one. Pods this controller deleted itself are not among them.
   */
  vanished: ReadonlyMap<string, PodOutcome>;
  /**
   * Pods this controller deleted (suspend, scale-down, a finishing Job): terminating, not active,
   * even where the cache lags; not counted, unless the Job fails while they are still there.
   */
  removing: ReadonlySet<string>;
  nowMs: number;
  /** The real instant the Job (last) started, finer than the whole-second startTime, if known. */
  startedAtMs: number | undefined;
  /** Simulated time elapsed since a real instant. */
  simElapsedSince: (realMs: number) => number;
}

export interface JobSyncPlan {
  /** Delete these first; a failed deletion ends the sync before anything is written. */
  delete: Pod[];
  /** Then create this many pods from the template. */
  create: number;
  /**
   * Then write these statuses in order (an interim condition before its final one). Their
   * `active` leaves out the pods to be created: the controller adds the ones it made.
   */
  writes: JobStatus[];
  /** Pods the first write counts for the first time: counted once it is stored. */
  newlyCounted: Map<string, PodOutcome>;
  /** Events for the transitions, recorded once the last write is stored. */
  events: PlannedJobEvent[];
  /** True when this sync (re)starts the Job's clock (first start or resume). */
  starts: boolean;
  /** Look again after this much simulated time (pod backoff, activeDeadlineSeconds). */
  requeueAfterSimMs?: number;
}

/** Go's omitempty for the int32 counters; `ready`, `terminating` are pointers and stay at 0. */
function finalizeStatus(status: JobStatus): JobStatus {
  const out: JobStatus = { ...status, uncountedTerminatedPods: {} };
  for (const field of ['active', 'succeeded', 'failed'] as const) {
    if (!out[field]) delete out[field];
  }
  return out;
}

/** One sync of a Job that has not finished. A finished Job (Complete or Failed) is left alone. */
export function planJobSync(input: JobSyncInput): JobSyncPlan {
  const { job, pods, counted, vanished, removing, nowMs } = input;
  const plan: JobSyncPlan = { delete: [], create: 0, writes: [], newlyCounted: new Map(), events: [], starts: false };
  if (isJobFinished(job)) return plan;
  const status: JobStatus = deepClone(job.status ?? {});
  const suspended = job.spec.suspend === true;

  // Sort the pods: counted now, terminating, active; and what deleted ones would count as.
  const active: Pod[] = [];
  let terminating = 0;
  const newOutcomes = new Map<string, PodOutcome>();
  const removedUncounted = new Set<string>();
  for (const pod of pods) {
    const uid = pod.metadata.uid ?? '';
    const outcome = outcomeOf(pod);
    const deleting = removing.has(uid) || pod.metadata.deletionTimestamp !== undefined;
    if (outcome === undefined && deleting) terminating++;
    if (counted.has(uid)) continue;
    if (outcome === 'succeeded') newOutcomes.set(uid, outcome);
    else if (removing.has(uid)) removedUncounted.add(uid);
    else if (outcome === 'failed') newOutcomes.set(uid, outcome);
    else if (deleting && !onlyReplaceFailedPods(job)) newOutcomes.set(uid, 'failed');
    else if (!deleting) active.push(pod);
  }
  for (const [uid, outcome] of vanished) {
    if (!counted.has(uid)) newOutcomes.set(uid, outcome);
  }
  const tally = (outcome: PodOutcome) => [...newOutcomes.values()].filter((o) => o === outcome).length;
  let succeeded = (status.succeeded ?? 0) + tally('succeeded');
  let failed = (status.failed ?? 0) + tally('failed');

  const resuming = !suspended && findCondition(status.conditions, JOB_CONDITION.suspended)?.status === CONDITION_TRUE;
  if ((!status.startTime && !suspended) || resuming) plan.starts = true;
  if (!status.startTime && !suspended) status.startTime = rfc3339(nowMs);
  // A resumed Job's deadline counts from the resume, not from its first start.
  const startedAtMs = plan.starts ? nowMs : (input.startedAtMs ?? parseTime(status.startTime));
  const activeSimMs = suspended || startedAtMs === undefined ? undefined : input.simElapsedSince(startedAtMs);

  // Pick up a finish decided in an earlier sync, or decide one now.
  let finish: { type: 'success' | 'failure'; reason: string; message: string } | undefined;
  const successCriteria = findCondition(status.conditions, JOB_CONDITION.successCriteriaMet);
  const failureTarget = findCondition(status.conditions, JOB_CONDITION.failureTarget);
  if (successCriteria?.status === CONDITION_TRUE) {
    finish = { type: 'success', reason: successCriteria.reason ?? '', message: successCriteria.message ?? '' };
  } else if (failureTarget?.status === CONDITION_TRUE) {
    finish = { type: 'failure', reason: failureTarget.reason ?? '', message: failureTarget.message ?? '' };
  } else {
    const failure = jobFailure({ job, failed, activePods: active, activeSimMs });
    if (failure) finish = { type: 'failure', ...failure };
  }

  let ready = active.filter(isPodReady).length;
  let activeCount = active.length;
  if (finish) {
    plan.delete.push(...active);
    terminating += active.length;
    activeCount = 0;
    ready = 0;
    if (finish.type === 'failure') {
      // Pods a failing Job takes down count as failed ones, as the real controller counts them.
      for (const pod of active) newOutcomes.set(pod.metadata.uid ?? '', 'failed');
      for (const uid of removedUncounted) newOutcomes.set(uid, 'failed');
      failed = (status.failed ?? 0) + tally('failed');
    }
  } else {
    const completions = completionsOf(job);
    if (suspended) {
      plan.delete.push(...active);
      terminating += active.length;
      activeCount = 0;
      ready = 0;
    } else {
      const parallelism = job.spec.parallelism ?? 1;
      let wanted: number;
      if (completions === undefined) wanted = succeeded > 0 ? activeCount : parallelism;
      else wanted = Math.max(0, Math.min(parallelism, completions - succeeded));
      if (activeCount > wanted) {
        // Too many running: the newest go first, the ones furthest from finishing.
        const excess = [...active]
          .sort((a, b) => (parseTime(b.metadata.creationTimestamp) ?? 0) - (parseTime(a.metadata.creationTimestamp) ?? 0))
          .slice(0, activeCount - wanted);
        plan.delete.push(...excess);
        terminating += excess.length;
        activeCount -= excess.length;
        ready -= excess.filter(isPodReady).length;
      } else {
        const waitingFor = onlyReplaceFailedPods(job) ? terminating : 0;
        const missing = wanted - activeCount - waitingFor;
        if (missing > 0) {
          const lastFailure = latestFailure(pods, counted, newOutcomes);
          const waitSimMs = lastFailure === undefined ? 0 : podRecreateBackoffSimMs(failed) - input.simElapsedSince(lastFailure);
          if (waitSimMs > 0) plan.requeueAfterSimMs = waitSimMs;
          else plan.create = missing;
        }
      }
    }
    const complete = activeCount === 0 && plan.create === 0 && (completions === undefined ? succeeded > 0 : succeeded >= completions);
    if (complete) finish = { type: 'success', reason: JOB_REASON.completionsReached, message: MESSAGE.completionsReached };
    else if (suspended) {
      if (ensureJobCondition(status, JOB_CONDITION.suspended, CONDITION_TRUE, JOB_REASON.suspended, MESSAGE.suspended, nowMs)) {
        plan.events.push({ type: 'Normal', reason: JOB_EVENT_REASON.suspended, message: MESSAGE.suspended });
      }
    } else if (ensureJobCondition(status, JOB_CONDITION.suspended, CONDITION_FALSE, JOB_REASON.resumed, MESSAGE.resumed, nowMs)) {
      plan.events.push({ type: 'Normal', reason: JOB_EVENT_REASON.resumed, message: MESSAGE.resumed });
      status.startTime = rfc3339(nowMs);
    }
  }

  for (const [uid, outcome] of newOutcomes) plan.newlyCounted.set(uid, outcome);
  const current: JobStatus = { ...status, active: activeCount, ready, terminating, succeeded, failed };
  if (!finish) {
    plan.writes.push(finalizeStatus(current));
  } else {
    const interimType = finish.type === 'success' ? JOB_CONDITION.successCriteriaMet : JOB_CONDITION.failureTarget;
    ensureJobCondition(current, interimType, CONDITION_TRUE, finish.reason, finish.message, nowMs);
    plan.writes.push(finalizeStatus(current));
    if (terminating === 0) {
      const final: JobStatus = deepClone(current);
      if (finish.type === 'success') {
        ensureJobCondition(final, JOB_CONDITION.complete, CONDITION_TRUE, finish.reason, finish.message, nowMs);
        // completionTime is the Complete condition's transition time, never before startTime.
        const startMs = parseTime(final.startTime) ?? nowMs;
        final.completionTime = rfc3339(Math.max(nowMs, startMs));
        plan.events.push({ type: 'Normal', reason: JOB_EVENT_REASON.completed, message: COMPLETED_EVENT_MESSAGE });
      } else {
        ensureJobCondition(final, JOB_CONDITION.failed, CONDITION_TRUE, finish.reason, finish.message, nowMs);
        plan.events.push({ type: 'Warning', reason: finish.reason, message: finish.message });
      }
      plan.writes.push(finalizeStatus(final));
    }
  }

  const deadline = job.spec.activeDeadlineSeconds;
  if (!finish && deadline !== undefined && activeSimMs !== undefined) {
    const untilDeadlineSimMs = Math.max(0, deadline * 1000 - activeSimMs);
    plan.requeueAfterSimMs = Math.min(plan.requeueAfterSimMs ?? Number.POSITIVE_INFINITY, untilDeadlineSimMs);
  }
  return plan;
}

/** When the most recent counted or newly failed pod still in the cache finished. */
function latestFailure(pods: readonly Pod[], counted: ReadonlyMap<string, PodOutcome>, newOutcomes: ReadonlyMap<string, PodOutcome>): number | undefined {
  let latest: number | undefined;
  for (const pod of pods) {
    const uid = pod.metadata.uid ?? '';
    if ((counted.get(uid) ?? newOutcomes.get(uid)) !== 'failed') continue;
    const at = podFinishedAt(pod);
    if (at !== undefined && (latest === undefined || at > latest)) latest = at;
  }
  return latest;
}
