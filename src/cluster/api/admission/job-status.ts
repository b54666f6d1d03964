// The rules kube-apiserver 1.34 applies to a Job's status on every write to `jobs/status`
// (pkg/apis/batch/validation: ValidateJobStatusUpdate, with the options the registry's status
// strategy derives while the JobManagedBy gate is on, as it is by default since 1.32). They exist
// so that any controller writing Job status, ours included, keeps the transitions clients rely on:
// SuccessCriteriaMet before Complete, FailureTarget before Failed, no pods left once finished,
// counters that never go down, terminal conditions that stay. Most rules only fire when the
// fields they look at change, so a Job stored before a rule existed can still be updated.

import { isDeepStrictEqual } from 'node:util';
import type { AdmissionPlugin, AdmissionRequest } from '../admission.ts';
import { CAUSE, invalid, type StatusCause } from '../status.ts';
import { isRecord, type KubeObject } from '../types.ts';
import { formatFieldValue, invalidCause, requiredCause } from './field.ts';

const JOB_GROUP = 'batch';
const JOB_RESOURCE = 'jobs';
const JOB_KIND = 'Job';

export const JOB_CONDITION_TYPE = {
  complete: 'Complete',
  failed: 'Failed',
  failureTarget: 'FailureTarget',
  successCriteriaMet: 'SuccessCriteriaMet',
  suspended: 'Suspended',
} as const;

const CONDITION_TRUE = 'True';
const CONDITION_FALSE = 'False';
const INDEXED_COMPLETION = 'Indexed';
const NEGATIVE_MESSAGE = 'must be greater than or equal to 0';

/**
 * Which rules apply to one update: the registry turns most of them on only when a field they
 * read changed (pkg/registry/batch/job/strategy.go, getStatusValidationOptions).
 */
export interface JobStatusRules {
  rejectDecreasingSucceededCounter: boolean;
  rejectDecreasingFailedCounter: boolean;
  rejectDisablingTerminalCondition: boolean;
  rejectInvalidCompletedIndexes: boolean;
  rejectInvalidFailedIndexes: boolean;
  rejectFailedIndexesOverlappingCompleted: boolean;
  rejectCompletedIndexesForNonIndexedJob: boolean;
  rejectFailedIndexesForNoBackoffLimitPerIndex: boolean;
  rejectFailedJobWithoutFailureTarget: boolean;
  rejectCompleteJobWithoutSuccessCriteriaMet: boolean;
  rejectFinishedJobWithActivePods: boolean;
  rejectFinishedJobWithoutStartTime: boolean;
  rejectFinishedJobWithUncountedTerminatedPods: boolean;
  rejectStartTimeUpdateForUnsuspendedJob: boolean;
  rejectCompletionTimeBeforeStartTime: boolean;
  rejectMutatingCompletionTime: boolean;
  rejectCompleteJobWithoutCompletionTime: boolean;
  rejectNotCompleteJobWithCompletionTime: boolean;
  rejectCompleteJobWithFailedCondition: boolean;
  rejectCompleteJobWithFailureTargetCondition: boolean;
  allowForSuccessCriteriaMetInExtendedScope: boolean;
  rejectMoreReadyThanActivePods: boolean;
  rejectFinishedJobWithTerminatingPods: boolean;
}

/** The parts of a Job the rules read, taken from untyped JSON without trusting its shape. */
interface JobView {
  completions: number | undefined;
  parallelism: number | undefined;
  indexed: boolean;
  suspend: boolean;
  backoffLimitPerIndex: number | undefined;
  hasSuccessPolicy: boolean;
  status: Record<string, unknown>;
  conditions: Array<{ type: unknown; status: unknown }>;
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function viewOf(job: KubeObject): JobView {
  const spec = asRecord(job['spec']);
  const status = asRecord(job['status']);
  const conditions = Array.isArray(status['conditions']) ? status['conditions'].filter(isRecord) : [];
  return {
    completions: int(spec['completions']),
    parallelism: int(spec['parallelism']),
    indexed: spec['completionMode'] === INDEXED_COMPLETION,
    suspend: spec['suspend'] === true,
    backoffLimitPerIndex: int(spec['backoffLimitPerIndex']),
    hasSuccessPolicy: spec['successPolicy'] !== undefined && spec['successPolicy'] !== null,
    status,
    conditions: conditions.map((c) => ({ type: c['type'], status: c['status'] })),
  };
}

function conditionIs(job: JobView, type: string, status: string): boolean {
  return job.conditions.some((c) => c.type === type && c.status === status);
}

function isTrue(job: JobView, type: string): boolean {
  return conditionIs(job, type, CONDITION_TRUE);
}

function isComplete(job: JobView): boolean {
  return isTrue(job, JOB_CONDITION_TYPE.complete);
}

function isFailed(job: JobView): boolean {
  return isTrue(job, JOB_CONDITION_TYPE.failed);
}

function isFinished(job: JobView): boolean {
  return isComplete(job) || isFailed(job);
}

function count(job: JobView, field: string): number {
  return int(job.status[field]) ?? 0;
}

/** A Go `*int32`: absent (nil) is not the same as 0. */
function optionalCount(job: JobView, field: string): number | undefined {
  return int(job.status[field]);
}

function text(job: JobView, field: string): string {
  const value = job.status[field];
  return typeof value === 'string' ? value : '';
}

/** A `*string`, `*metav1.Time`: absent and null are nil. */
function optionalText(job: JobView, field: string): string | undefined {
  const value = job.status[field];
  return typeof value === 'string' ? value : undefined;
}

/** metav1.Time equality: the instant, not its spelling. */
function sameTime(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const [x, y] = [Date.parse(a), Date.parse(b)];
  return Number.isNaN(x) || Number.isNaN(y) ? a === b : x === y;
}

function uncountedOf(job: JobView): { succeeded: unknown[]; failed: unknown[] } | undefined {
  const value = job.status['uncountedTerminatedPods'];
  if (!isRecord(value)) return undefined;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  return { succeeded: list(value['succeeded']), failed: list(value['failed']) };
}

/** The registry's choice of rules for an update from `oldJob` to `job` (Kubernetes 1.34 defaults). */
export function jobStatusRules(job: KubeObject, oldJob: KubeObject): JobStatusRules {
  const [next, prev] = [viewOf(job), viewOf(oldJob)];
  const changed = (read: (view: JobView) => unknown) => !isDeepStrictEqual(read(prev), read(next));
  const trueChanged = (type: string) => isTrue(prev, type) !== isTrue(next, type);
  const finishedChanged = isFinished(prev) !== isFinished(next);
  const completeChanged = isComplete(prev) !== isComplete(next);
  const failedChanged = isFailed(prev) !== isFailed(next);
  const completedIndexesChanged = text(prev, 'completedIndexes') !== text(next, 'completedIndexes');
  const failedIndexesChanged = optionalText(prev, 'failedIndexes') !== optionalText(next, 'failedIndexes');
  const activeChanged = count(prev, 'active') !== count(next, 'active');
  const startTimeChanged = !sameTime(optionalText(prev, 'startTime'), optionalText(next, 'startTime'));
  const completionTimeChanged = !sameTime(optionalText(prev, 'completionTime'), optionalText(next, 'completionTime'));
  const uncountedChanged = changed((v) => uncountedOf(v));
  const readyChanged = optionalCount(prev, 'ready') !== optionalCount(next, 'ready');
  const terminatingChanged = optionalCount(prev, 'terminating') !== optionalCount(next, 'terminating');
  const suspendedWithZeroCompletions = next.suspend && next.completions === 0;
  // A resume writes Suspended=False and a fresh startTime together; that change is allowed.
  const resuming = conditionIs(prev, JOB_CONDITION_TYPE.suspended, CONDITION_TRUE) && conditionIs(next, JOB_CONDITION_TYPE.suspended, CONDITION_FALSE);
  return {
    // Indexed Jobs with parallelism == completions can be scaled down, losing succeeded indexes.
    rejectDecreasingSucceededCounter: !next.indexed || next.completions !== next.parallelism,
    rejectDecreasingFailedCounter: true,
    rejectDisablingTerminalCondition: true,
    rejectInvalidCompletedIndexes: completedIndexesChanged,
    rejectInvalidFailedIndexes: failedIndexesChanged,
    rejectCompletedIndexesForNonIndexedJob: completedIndexesChanged,
    rejectFailedIndexesForNoBackoffLimitPerIndex: failedIndexesChanged,
    rejectFailedIndexesOverlappingCompleted: failedIndexesChanged || completedIndexesChanged,
    rejectFailedJobWithoutFailureTarget: failedChanged || failedIndexesChanged,
    rejectCompleteJobWithoutSuccessCriteriaMet: completeChanged || trueChanged(JOB_CONDITION_TYPE.successCriteriaMet),
    rejectFinishedJobWithActivePods: finishedChanged || activeChanged,
    rejectFinishedJobWithoutStartTime: (finishedChanged || startTimeChanged) && !suspendedWithZeroCompletions,
    rejectFinishedJobWithUncountedTerminatedPods: finishedChanged || uncountedChanged,
    rejectStartTimeUpdateForUnsuspendedJob: startTimeChanged && !resuming,
    rejectCompletionTimeBeforeStartTime: startTimeChanged || completionTimeChanged,
    rejectMutatingCompletionTime: true,
    rejectNotCompleteJobWithCompletionTime: completeChanged || completionTimeChanged,
    rejectCompleteJobWithoutCompletionTime: completeChanged || completionTimeChanged,
    rejectCompleteJobWithFailedCondition: completeChanged || failedChanged,
    rejectCompleteJobWithFailureTargetCondition: completeChanged || trueChanged(JOB_CONDITION_TYPE.failureTarget),
    allowForSuccessCriteriaMetInExtendedScope: true,
    rejectMoreReadyThanActivePods: readyChanged || activeChanged,
    rejectFinishedJobWithTerminatingPods: finishedChanged || terminatingChanged,
  };
}

/** A field.Invalid with field.OmitValueType: the message carries no value. */
function invalidNoValue(field: string, detail: string): StatusCause {
  return { reason: CAUSE.invalid, message: `Invalid value: ${detail}`, field };
}

function duplicateCause(field: string, value: unknown): StatusCause {
  return { reason: CAUSE.duplicate, message: `Duplicate value: ${formatFieldValue(value)}`, field };
}

/** Go's strconv.Atoi, for the index lists: an optional sign and decimal digits. */
function atoi(value: string): number | undefined {
  return /^[+-]?\d+$/.test(value) ? Number(value) : undefined;
}

type Interval = { ok: true; from: number; to: number } | { ok: false; error: string };

function parseIndexInterval(interval: string, completions: number): Interval {
  const limits = interval.split('-');
  if (limits.length > 2) {
    return { ok: false, error: `the fragment ${JSON.stringify(interval)} violates the requirement that an index interval can have at most two parts separated by '-'` };
  }
  const [first = '', second] = limits;
  const x = atoi(first);
  if (x === undefined) return { ok: false, error: `cannot convert string to integer for index: ${JSON.stringify(first)}` };
  if (x >= completions) return { ok: false, error: `too large index: ${JSON.stringify(first)}` };
  if (second === undefined) return { ok: true, from: x, to: x };
  const y = atoi(second);
  if (y === undefined) return { ok: false, error: `cannot convert string to integer for index: ${JSON.stringify(second)}` };
  if (y >= completions) return { ok: false, error: `too large index: ${JSON.stringify(second)}` };
  if (x >= y) return { ok: false, error: `non-increasing order, previous: ${x}, current: ${y}` };
  return { ok: true, from: x, to: y };
}

/** Checks `1,3-5,7` against the Job's completions; returns Go's error text, if any. */
function indexesFormatError(indexes: string, completions: number): string | undefined {
  if (indexes === '') return undefined;
  let last: number | undefined;
  for (const part of indexes.split(',')) {
    const interval = parseIndexInterval(part, completions);
    if (!interval.ok) return interval.error;
    if (last !== undefined && last >= interval.from) return `non-increasing order, previous: ${last}, current: ${interval.from}`;
    last = interval.to;
  }
  return undefined;
}

/** The first index in both lists; unparsable intervals are skipped (the format rule reports them). */
function indexesOverlap(completed: string, failed: string, completions: number): number | undefined {
  if (completed === '' || failed === '') return undefined;
  const done = completed.split(',').map((part) => parseIndexInterval(part, completions));
  const lost = failed.split(',').map((part) => parseIndexInterval(part, completions));
  let [c, f] = [0, 0];
  while (c < done.length && f < lost.length) {
    const [a, b] = [done[c], lost[f]];
    if (!a?.ok) c++;
    else if (!b?.ok) f++;
    else if (a.from <= b.to && b.from <= a.to) return Math.max(a.from, b.from);
    else if (a.from <= b.from) c++;
    else f++;
  }
  return undefined;
}

function validateStatus(job: JobView, rules: JobStatusRules): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['active', 'succeeded', 'failed'] as const) {
    const value = count(job, field);
    if (value < 0) causes.push(invalidCause(`status.${field}`, value, NEGATIVE_MESSAGE));
  }
  for (const field of ['ready', 'terminating'] as const) {
    const value = optionalCount(job, field);
    if (value !== undefined && value < 0) causes.push(invalidCause(`status.${field}`, value, NEGATIVE_MESSAGE));
  }
  const uncounted = uncountedOf(job);
  if (uncounted) {
    const seen = new Set<unknown>();
    for (const [list, uids] of [['succeeded', uncounted.succeeded], ['failed', uncounted.failed]] as const) {
      uids.forEach((uid, i) => {
        const path = `status.uncountedTerminatedPods.${list}[${i}]`;
        if (uid === '') causes.push(invalidCause(path, uid, 'must not be empty'));
        else if (seen.has(uid)) causes.push(duplicateCause(path, uid));
        else seen.add(uid);
      });
    }
  }
  const complete = isComplete(job);
  const failed = isFailed(job);
  const failureTarget = isTrue(job, JOB_CONDITION_TYPE.failureTarget);
  const successCriteriaMet = isTrue(job, JOB_CONDITION_TYPE.successCriteriaMet);
  const finished = complete || failed;
  const startTime = optionalText(job, 'startTime');
  const completionTime = optionalText(job, 'completionTime');
  if (rules.rejectCompleteJobWithFailedCondition && complete && failed) {
    causes.push(invalidNoValue('status.conditions', 'cannot set Complete=True and Failed=true conditions'));
  }
  if (rules.rejectCompleteJobWithFailureTargetCondition && complete && failureTarget) {
    causes.push(invalidNoValue('status.conditions', 'cannot set Complete=True and FailureTarget=true conditions'));
  }
  if (rules.rejectNotCompleteJobWithCompletionTime && completionTime !== undefined && !complete) {
    causes.push(invalidCause('status.completionTime', completionTime, 'cannot set completionTime when there is no Complete=True condition'));
  }
  if (rules.rejectCompleteJobWithoutCompletionTime && completionTime === undefined && complete) {
    causes.push(requiredCause('status.completionTime', 'completionTime is required for Complete jobs'));
  }
  if (rules.rejectCompletionTimeBeforeStartTime && startTime !== undefined && completionTime !== undefined && Date.parse(completionTime) < Date.parse(startTime)) {
    causes.push(invalidCause('status.completionTime', completionTime, 'must be equal to or after `startTime`'));
  }
  if (rules.rejectFailedJobWithoutFailureTarget && failed && !failureTarget) {
    causes.push(invalidNoValue('status.conditions', 'cannot set Failed=True condition without the FailureTarget=true condition'));
  }
  if (rules.rejectCompleteJobWithoutSuccessCriteriaMet && complete && !successCriteriaMet) {
    causes.push(invalidNoValue('status.conditions', 'cannot set Complete=True condition without the SuccessCriteriaMet=true condition'));
  }
  const active = count(job, 'active');
  if (rules.rejectFinishedJobWithActivePods && active > 0 && finished) {
    causes.push(invalidCause('status.active', active, 'active>0 is invalid for finished job'));
  }
  if (rules.rejectFinishedJobWithoutStartTime && startTime === undefined && finished) {
    causes.push(requiredCause('status.startTime', 'startTime is required for finished job'));
  }
  if (rules.rejectFinishedJobWithUncountedTerminatedPods && finished && uncounted && uncounted.succeeded.length + uncounted.failed.length > 0) {
    // Go prints the struct as JSON: its fields in declaration order, empty lists omitted.
    const value = {
      ...(uncounted.succeeded.length > 0 ? { succeeded: uncounted.succeeded } : {}),
      ...(uncounted.failed.length > 0 ? { failed: uncounted.failed } : {}),
    };
    causes.push(invalidCause('status.uncountedTerminatedPods', value, 'must be empty for finished job'));
  }
  const completedIndexes = text(job, 'completedIndexes');
  const failedIndexes = optionalText(job, 'failedIndexes');
  if (rules.rejectInvalidCompletedIndexes && job.completions !== undefined) {
    const error = indexesFormatError(completedIndexes, job.completions);
    if (error) causes.push(invalidCause('status.completedIndexes', completedIndexes, `error parsing completedIndexes: ${error}`));
  }
  if (rules.rejectInvalidFailedIndexes && job.completions !== undefined && job.backoffLimitPerIndex !== undefined && failedIndexes !== undefined) {
    const error = indexesFormatError(failedIndexes, job.completions);
    if (error) causes.push(invalidCause('status.failedIndexes', failedIndexes, `error parsing failedIndexes: ${error}`));
  }
  if (rules.rejectCompletedIndexesForNonIndexedJob && completedIndexes !== '' && !job.indexed) {
    causes.push(invalidCause('status.completedIndexes', completedIndexes, 'cannot set non-empty completedIndexes when non-indexed completion mode'));
  }
  if (rules.rejectFailedIndexesForNoBackoffLimitPerIndex && job.backoffLimitPerIndex === undefined && failedIndexes !== undefined) {
    causes.push(invalidCause('status.failedIndexes', failedIndexes, 'cannot set non-null failedIndexes when backoffLimitPerIndex is null'));
  }
  if (rules.rejectFailedIndexesOverlappingCompleted && job.completions !== undefined && failedIndexes !== undefined) {
    const overlap = indexesOverlap(completedIndexes, failedIndexes, job.completions);
    if (overlap !== undefined) causes.push(invalidCause('status.failedIndexes', failedIndexes, `failedIndexes and completedIndexes overlap at index: ${overlap}`));
  }
  const terminating = optionalCount(job, 'terminating');
  if (rules.rejectFinishedJobWithTerminatingPods && terminating !== undefined && terminating > 0 && finished) {
    causes.push(invalidCause('status.terminating', terminating, 'terminating>0 is invalid for finished job'));
  }
  const ready = optionalCount(job, 'ready');
  if (rules.rejectMoreReadyThanActivePods && ready !== undefined && ready > active) {
    causes.push(invalidCause('status.ready', ready, 'cannot set more ready pods than active'));
  }
  if (!rules.allowForSuccessCriteriaMetInExtendedScope && !job.indexed && successCriteriaMet) {
    causes.push(invalidNoValue('status.conditions', 'cannot set SuccessCriteriaMet to NonIndexed Job'));
  }
  if (successCriteriaMet && failed) {
    causes.push(invalidNoValue('status.conditions', 'cannot set SuccessCriteriaMet=True and Failed=true conditions'));
  }
  if (successCriteriaMet && failureTarget) {
    causes.push(invalidNoValue('status.conditions', 'cannot set SuccessCriteriaMet=True and FailureTarget=true conditions'));
  }
  if (!rules.allowForSuccessCriteriaMetInExtendedScope && !job.hasSuccessPolicy && successCriteriaMet) {
    causes.push(invalidNoValue('status.conditions', 'cannot set SuccessCriteriaMet=True for Job without SuccessPolicy'));
  }
  if (job.hasSuccessPolicy && !successCriteriaMet && complete) {
    causes.push(invalidNoValue('status.conditions', 'cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True'));
  }
  return causes;
}

/**
 * Every cause kube-apiserver 1.34 gives for a status update of `oldJob` to `job`, in its order;
 * empty when the update is valid. `rules` defaults to the registry's choice for this update.
 */
export function validateJobStatusUpdate(job: KubeObject, oldJob: KubeObject, rules: JobStatusRules = jobStatusRules(job, oldJob)): StatusCause[] {
  const [next, prev] = [viewOf(job), viewOf(oldJob)];
  const causes = validateStatus(next, rules);
  if (rules.rejectDisablingTerminalCondition) {
    for (const type of [JOB_CONDITION_TYPE.failed, JOB_CONDITION_TYPE.complete, JOB_CONDITION_TYPE.failureTarget]) {
      if (isTrue(prev, type) && !isTrue(next, type)) causes.push(invalidNoValue('status.conditions', `cannot disable the terminal ${type}=True condition`));
    }
  }
  if (rules.rejectDecreasingFailedCounter && count(next, 'failed') < count(prev, 'failed')) {
    causes.push(invalidCause('status.failed', count(next, 'failed'), 'cannot decrease the failed counter'));
  }
  if (rules.rejectDecreasingSucceededCounter && count(next, 'succeeded') < count(prev, 'succeeded')) {
    causes.push(invalidCause('status.succeeded', count(next, 'succeeded'), 'cannot decrease the succeeded counter'));
  }
  const [completionTime, oldCompletionTime] = [optionalText(next, 'completionTime'), optionalText(prev, 'completionTime')];
  if (rules.rejectMutatingCompletionTime && completionTime !== undefined && oldCompletionTime !== undefined && !sameTime(completionTime, oldCompletionTime)) {
    causes.push(invalidCause('status.completionTime', completionTime, 'field is immutable'));
  }
  const [startTime, oldStartTime] = [optionalText(next, 'startTime'), optionalText(prev, 'startTime')];
  if (rules.rejectStartTimeUpdateForUnsuspendedJob && oldStartTime !== undefined && !sameTime(oldStartTime, startTime) && !next.suspend) {
    causes.push(requiredCause('status.startTime', 'startTime cannot be removed for unsuspended job'));
  }
  const successCriteriaMet = isTrue(next, JOB_CONDITION_TYPE.successCriteriaMet);
  const wasSuccessCriteriaMet = isTrue(prev, JOB_CONDITION_TYPE.successCriteriaMet);
  if (wasSuccessCriteriaMet && !successCriteriaMet) {
    causes.push(invalidNoValue('status.conditions', 'cannot disable the SuccessCriteriaMet=True condition'));
  }
  if (isComplete(prev) && !wasSuccessCriteriaMet && successCriteriaMet) {
    causes.push(invalidNoValue('status.conditions', 'cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions'));
  }
  return causes;
}

function isJobUpdate(request: AdmissionRequest): boolean {
  return request.operation === 'UPDATE' && request.info.group === JOB_GROUP && request.info.resource === JOB_RESOURCE;
}

/**
 * Refuses Job status updates that kube-apiserver 1.34 refuses, with its 422. Writes to the main
 * resource keep the stored status (the REST layer copies it), so for them the rules only matter
 * if a status change ever slipped through; they are held to the same rules then.
 */
export const jobStatusAdmission: AdmissionPlugin = {
  name: 'JobStatusValidation',
  validate(request) {
    if (!isJobUpdate(request) || !request.object || !request.oldObject) return;
    const { object, oldObject } = request;
    if (request.subresource !== 'status' && isDeepStrictEqual(object['status'], oldObject['status'])) return;
    const causes = validateJobStatusUpdate(object, oldObject);
    if (causes.length > 0) throw invalid(JOB_KIND, JOB_GROUP, request.name, causes);
  },
};
