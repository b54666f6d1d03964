import { describe, expect, it } from 'vitest';
import type { AdmissionRequest, InternalStore } from '../admission.ts';
import { findResource, type ResourceInfo } from '../resources.ts';
import { StatusError } from '../status.ts';
import type { KubeObject } from '../types.ts';
import { jobStatusAdmission, validateJobStatusUpdate } from './job-status.ts';

function resource(group: string, version: string, plural: string): ResourceInfo {
  const info = findResource(group, version, plural);
  if (!info) throw new Error(`no ${plural}`);
  return info;
}

const JOBS = resource('batch', 'v1', 'jobs');
const PODS = resource('', 'v1', 'pods');
const START = '2026-03-01T10:00:00Z';
const LATER = '2026-03-01T10:05:00Z';

/** Job status admission reads only the request; any use of the store is a bug. */
const NO_STORE: InternalStore = {
  list: () => {
    throw new Error('unexpected store use');
  },
  get: () => {
    throw new Error('unexpected store use');
  },
  onChange: () => {
    throw new Error('unexpected store use');
  },
  writeStatus: () => {
    throw new Error('unexpected store use');
  },
};

function condition(type: string, status = 'True', reason = 'CompletionsReached') {
  return { type, status, reason, message: 'm', lastProbeTime: LATER, lastTransitionTime: LATER };
}

function job(status: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi-launcher', namespace: 'team-a', resourceVersion: '7' },
    spec: { completions: 1, parallelism: 1, backoffLimit: 6, template: { spec: { containers: [] } }, ...spec },
    status,
  };
}

const RUNNING = job({ startTime: START, active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {} });
const SUCCESS_CRITERIA_MET = job({ startTime: START, succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {}, conditions: [condition('SuccessCriteriaMet')] });
const COMPLETE = job({
  startTime: START,
  completionTime: LATER,
  succeeded: 1,
  ready: 0,
  terminating: 0,
  uncountedTerminatedPods: {},
  conditions: [condition('SuccessCriteriaMet'), condition('Complete')],
});
const FAILURE_TARGET = job({ startTime: START, failed: 7, ready: 0, terminating: 1, conditions: [condition('FailureTarget', 'True', 'BackoffLimitExceeded')] });
const FAILED = job({
  startTime: START,
  failed: 7,
  ready: 0,
  terminating: 0,
  conditions: [condition('FailureTarget', 'True', 'BackoffLimitExceeded'), condition('Failed', 'True', 'BackoffLimitExceeded')],
});

function messages(next: KubeObject, old: KubeObject): string[] {
  return validateJobStatusUpdate(next, old).map((c) => `${c.field ?? ''}: ${c.message}`);
}

function request(next: KubeObject, old: KubeObject, overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    operation: 'UPDATE',
    info: JOBS,
    subresource: 'status',
    namespace: 'team-a',
    name: 'pi-launcher',
    object: next,
    oldObject: old,
    dryRun: false,
    user: { username: 'job-controller', groups: [] },
    ...overrides,
  };
}

function refusal(run: () => void): StatusError {
  try {
    run();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

describe('validateJobStatusUpdate', () => {
  it('accepts the transitions the 1.34 Job controller makes: SuccessCriteriaMet, then Complete', () => {
    expect(messages(SUCCESS_CRITERIA_MET, RUNNING)).toEqual([]);
    expect(messages(COMPLETE, SUCCESS_CRITERIA_MET)).toEqual([]);
    // Both in one write is allowed too.
    expect(messages(COMPLETE, RUNNING)).toEqual([]);
  });

  it('accepts FailureTarget with pods still terminating, then Failed once they are gone', () => {
    expect(messages(FAILURE_TARGET, RUNNING)).toEqual([]);
    expect(messages(FAILED, FAILURE_TARGET)).toEqual([]);
  });

  it('refuses Complete without SuccessCriteriaMet with the real server message', () => {
    const next = job({ startTime: START, completionTime: LATER, succeeded: 1, conditions: [condition('Complete')] });
    expect(messages(next, RUNNING)).toEqual([
      'status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition',
    ]);
  });

  it('refuses Failed without FailureTarget', () => {
    const next = job({ startTime: START, failed: 7, conditions: [condition('Failed', 'True', 'BackoffLimitExceeded')] });
    expect(messages(next, RUNNING)).toEqual(['status.conditions: Invalid value: cannot set Failed=True condition without the FailureTarget=true condition']);
  });

  it('requires a completionTime no earlier than startTime on a Complete job', () => {
    const missing = job({ startTime: START, succeeded: 1, conditions: [condition('SuccessCriteriaMet'), condition('Complete')] });
    expect(messages(missing, SUCCESS_CRITERIA_MET)).toEqual(['status.completionTime: Required value: completionTime is required for Complete jobs']);
    const early = job({ startTime: LATER, completionTime: START, succeeded: 1, conditions: [condition('SuccessCriteriaMet'), condition('Complete')] });
    expect(messages(early, job({ ...SUCCESS_CRITERIA_MET['status'] as object, startTime: LATER }))).toEqual([
      'status.completionTime: Invalid value: "2026-03-01T10:00:00Z": must be equal to or after `startTime`',
    ]);
    const stray = job({ startTime: START, completionTime: LATER, active: 1 });
    expect(messages(stray, RUNNING)).toEqual([
      'status.completionTime: Invalid value: "2026-03-01T10:05:00Z": cannot set completionTime when there is no Complete=True condition',
    ]);
  });

  it('refuses a finished job with active, terminating or uncounted pods, or without startTime', () => {
    const next = job({
      active: 1,
      terminating: 2,
      uncountedTerminatedPods: { succeeded: ['a'] },
      completionTime: LATER,
      conditions: [condition('SuccessCriteriaMet'), condition('Complete')],
    });
    expect(messages(next, job({ active: 1 }))).toEqual([
      'status.active: Invalid value: 1: active>0 is invalid for finished job',
      'status.startTime: Required value: startTime is required for finished job',
      'status.uncountedTerminatedPods: Invalid value: {"succeeded":["a"]}: must be empty for finished job',
      'status.terminating: Invalid value: 2: terminating>0 is invalid for finished job',
    ]);
  });

  it('refuses more ready pods than active ones, and negative or duplicate counts', () => {
    expect(messages(job({ startTime: START, active: 1, ready: 2 }), RUNNING)).toEqual(['status.ready: Invalid value: 2: cannot set more ready pods than active']);
    expect(messages(job({ startTime: START, active: -1, uncountedTerminatedPods: { succeeded: ['a', ''], failed: ['a'] } }), RUNNING)).toEqual([
      'status.active: Invalid value: -1: must be greater than or equal to 0',
      'status.uncountedTerminatedPods.succeeded[1]: Invalid value: "": must not be empty',
      'status.uncountedTerminatedPods.failed[0]: Duplicate value: "a"',
    ]);
  });

  it('never lets a terminal condition flip back or a counter go down', () => {
    const reopened = job({ startTime: START, failed: 6, conditions: [condition('FailureTarget', 'False'), condition('Failed', 'False')] });
    expect(messages(reopened, FAILED)).toEqual([
      'status.conditions: Invalid value: cannot disable the terminal Failed=True condition',
      'status.conditions: Invalid value: cannot disable the terminal FailureTarget=True condition',
      'status.failed: Invalid value: 6: cannot decrease the failed counter',
    ]);
    const undone = job({ startTime: START, succeeded: 0, conditions: [] });
    expect(messages(undone, SUCCESS_CRITERIA_MET)).toEqual([
      'status.succeeded: Invalid value: 0: cannot decrease the succeeded counter',
      'status.conditions: Invalid value: cannot disable the SuccessCriteriaMet=True condition',
    ]);
  });

  it('keeps completionTime immutable and startTime fixed unless the job resumes', () => {
    const moved = job({ ...(COMPLETE['status'] as object), completionTime: '2026-03-01T11:00:00Z' });
    expect(messages(moved, COMPLETE)).toEqual(['status.completionTime: Invalid value: "2026-03-01T11:00:00Z": field is immutable']);
    expect(messages(job({ startTime: LATER, active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {} }), RUNNING)).toEqual([
      'status.startTime: Required value: startTime cannot be removed for unsuspended job',
    ]);
    const suspended = job({ startTime: START, conditions: [condition('Suspended', 'True', 'JobSuspended')] });
    const resumed = job({ startTime: LATER, conditions: [condition('Suspended', 'False', 'JobResumed')] });
    expect(messages(resumed, suspended)).toEqual([]);
  });

  it('refuses Complete together with Failed or FailureTarget, and SuccessCriteriaMet with either', () => {
    const both = job({
      startTime: START,
      completionTime: LATER,
      conditions: [condition('SuccessCriteriaMet'), condition('Complete'), condition('FailureTarget'), condition('Failed')],
    });
    expect(messages(both, RUNNING)).toEqual([
      'status.conditions: Invalid value: cannot set Complete=True and Failed=true conditions',
      'status.conditions: Invalid value: cannot set Complete=True and FailureTarget=true conditions',
      'status.conditions: Invalid value: cannot set SuccessCriteriaMet=True and Failed=true conditions',
      'status.conditions: Invalid value: cannot set SuccessCriteriaMet=True and FailureTarget=true conditions',
    ]);
  });

  it('checks completed and failed index lists of Indexed jobs', () => {
    const indexed = { completionMode: 'Indexed', completions: 5, parallelism: 2, backoffLimitPerIndex: 1 };
    const old = job({ startTime: START }, indexed);
    expect(messages(job({ startTime: START, completedIndexes: '0,2-3' }, indexed), old)).toEqual([]);
    expect(messages(job({ startTime: START, completedIndexes: '3,1' }, indexed), old)).toEqual([
      'status.completedIndexes: Invalid value: "3,1": error parsing completedIndexes: non-increasing order, previous: 3, current: 1',
    ]);
    expect(messages(job({ startTime: START, completedIndexes: '7' }, indexed), old)).toEqual([
      'status.completedIndexes: Invalid value: "7": error parsing completedIndexes: too large index: "7"',
    ]);
    expect(messages(job({ startTime: START, completedIndexes: '0-2', failedIndexes: '2,4' }, indexed), old)).toEqual([
      'status.failedIndexes: Invalid value: "2,4": failedIndexes and completedIndexes overlap at index: 2',
    ]);
    expect(messages(job({ startTime: START, completedIndexes: '0' }), RUNNING)).toEqual([
      'status.completedIndexes: Invalid value: "0": cannot set non-empty completedIndexes when non-indexed completion mode',
    ]);
    expect(messages(job({ startTime: START, active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {}, failedIndexes: '' }), RUNNING)).toEqual([
      'status.failedIndexes: Invalid value: "": cannot set non-null failedIndexes when backoffLimitPerIndex is null',
    ]);
  });

  it('lets an unrelated update through a status that breaks a rule only on fields it leaves alone', () => {
    // Stored before the rules existed: Complete without SuccessCriteriaMet.
    const legacy = job({ startTime: START, completionTime: LATER, succeeded: 1, conditions: [condition('Complete')] });
    const relabelled = job({ ...(legacy['status'] as object), ready: 0 });
    expect(messages(relabelled, legacy)).toEqual([]);
  });
});

describe('jobStatusAdmission', () => {
  it('answers a refused status write with the 422 kube-apiserver gives', () => {
    const next = job({ startTime: START, completionTime: LATER, succeeded: 1, conditions: [condition('Complete')] });
    const err = refusal(() => jobStatusAdmission.validate?.(request(next, RUNNING), NO_STORE));
    expect(err.code).toBe(422);
    expect(err.body).toMatchObject({
      reason: 'Invalid',
      message: 'Job.batch "pi-launcher" is invalid: status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition',
      details: {
        name: 'pi-launcher',
        group: 'batch',
        kind: 'Job',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition',
            field: 'status.conditions',
          },
        ],
      },
    });
  });

  it('lists several refusals in brackets', () => {
    const next = job({ startTime: START, active: 2, ready: 3, failed: 1, conditions: [condition('Failed', 'True', 'BackoffLimitExceeded')] });
    const err = refusal(() => jobStatusAdmission.validate?.(request(next, RUNNING), NO_STORE));
    expect(err.message).toBe(
      'Job.batch "pi-launcher" is invalid: [status.conditions: Invalid value: cannot set Failed=True condition without the FailureTarget=true condition, ' +
        'status.active: Invalid value: 2: active>0 is invalid for finished job, status.ready: Invalid value: 3: cannot set more ready pods than active]',
    );
  });

  it('holds a main-resource update to the rules only when its status changed', () => {
    const next = job({ startTime: START, completionTime: LATER, succeeded: 1, conditions: [condition('Complete')] });
    expect(() => jobStatusAdmission.validate?.(request(next, RUNNING, { subresource: undefined }), NO_STORE)).toThrow(StatusError);
    const legacy = job({ startTime: START, completionTime: LATER, succeeded: 1, conditions: [condition('Complete')] });
    const respecced = { ...legacy, spec: { ...(legacy['spec'] as object), suspend: false } };
    expect(() => jobStatusAdmission.validate?.(request(respecced, legacy, { subresource: undefined }), NO_STORE)).not.toThrow();
  });

  it('leaves creates, deletes and other kinds alone', () => {
    const bad = job({ conditions: [condition('Complete')] });
    expect(() => jobStatusAdmission.validate?.(request(bad, RUNNING, { operation: 'CREATE', oldObject: undefined }), NO_STORE)).not.toThrow();
    expect(() => jobStatusAdmission.validate?.(request(bad, RUNNING, { info: PODS }), NO_STORE)).not.toThrow();
  });
});
