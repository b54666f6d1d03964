// The batch/v1 Job controller, as kube-controller-manager runs it for the launcher Jobs (and any
// other Job): it makes the Job's pods, retries failures with exponential backoff up to
// backoffLimit (counting container restarts for OnFailure pods), enforces activeDeadlineSeconds,
// honours suspend, writes the counts and conditions, and deletes finished Jobs after
// ttlSecondsAfterFinished.

import { apiFailure, deleteIgnoringNotFound, isNotFound } from './client.ts';
import type { ControllerContext, RunningController } from './context.ts';
import { EVENT_TYPE, objectRef, type EventSource } from './events.ts';
import type { Job, JobCondition, JobStatus, Pod } from './objects.ts';
import { controllerRef, deepClone, findCondition, isControlledBy, isPodReady, isPodTerminal, parseTime, podPhase, rfc3339, splitKey, POD_PHASE } from './objects.ts';
import { WorkQueue, type ReconcileResult } from './queue.ts';

export const JOB_CONTROLLER_NAME = 'job-controller';
const SOURCE: EventSource = { component: JOB_CONTROLLER_NAME };

export const LABEL_JOB_NAME = 'batch.kubernetes.io/job-name';
export const LABEL_LEGACY_JOB_NAME = 'job-name';
export const LABEL_CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
export const LABEL_LEGACY_CONTROLLER_UID = 'controller-uid';

export const DEFAULT_BACKOFF_LIMIT = 6;
/** A created pod that the cache has not shown after this long is no longer waited for (real time). */
const EXPECTATION_TIMEOUT_MS = 10_000;
/** Pod recreation backoff after failures: 10 s, doubling, at most 6 min (simulated). */
export const JOB_BACKOFF_BASE_SIM_MS = 10_000;
export const JOB_BACKOFF_MAX_SIM_MS = 360_000;

export const JOB_CONDITION = { complete: 'Complete', failed: 'Failed', suspended: 'Suspended' } as const;
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
} as const;
const EVENT_REASON = {
  successfulCreate: 'SuccessfulCreate',
  failedCreate: 'FailedCreate',
  successfulDelete: 'SuccessfulDelete',
  completed: 'Completed',
  suspended: 'Suspended',
  resumed: 'Resumed',
} as const;

function restartsOf(pod: Pod): number {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
}

export interface JobFailureInput {
  job: Job;
  /** Failed pods counted so far, including ones deleted since. */
  failed: number;
  activePods: readonly Pod[];
  /** Simulated time since the Job (last) started; undefined before it started. */
  activeSimMs: number | undefined;
}

/** Why the Job must fail now, if it must: the backoff limit or the deadline, as the real controller decides. */
export function jobFailure(input: JobFailureInput): { reason: string; message: string } | undefined {
  const { job, failed, activePods, activeSimMs } = input;
  const backoffLimit = job.spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  let exceeded = failed > backoffLimit;
  if (job.spec.template.spec.restartPolicy === 'OnFailure') {
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

/** The pod the Job controller makes from its template (the API server fills in the name suffix). */
export function podFromTemplate(job: Job): Pod {
  const template = deepClone(job.spec.template);
  const name = job.metadata.name ?? '';
  const uid = job.metadata.uid ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${name}-`,
      namespace: job.metadata.namespace,
      labels: {
        ...template.metadata?.labels,
        [LABEL_CONTROLLER_UID]: uid,
        [LABEL_JOB_NAME]: name,
        [LABEL_LEGACY_CONTROLLER_UID]: uid,
        [LABEL_LEGACY_JOB_NAME]: name,
      },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [controllerRef(job, 'batch/v1', 'Job')],
    },
    spec: template.spec,
  };
}

function setJobCondition(status: JobStatus, type: string, conditionStatus: 'True' | 'False', reason: string, message: string, nowMs: number): boolean {
  const current = findCondition(status.conditions, type);
  if (current && current.status === conditionStatus && current.reason === reason) return false;
  const now = rfc3339(nowMs);
  const condition: JobCondition = { type, status: conditionStatus, reason, message, lastProbeTime: now, lastTransitionTime: now };
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== type), condition];
  return true;
}

function isFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === JOB_CONDITION.complete || c.type === JOB_CONDITION.failed) && c.status === 'True');
}

function lastFailureTime(pods: readonly Pod[]): number | undefined {
  let latest: number | undefined;
  for (const pod of pods) {
    if (podPhase(pod) !== POD_PHASE.failed) continue;
    for (const status of pod.status?.containerStatuses ?? []) {
      const at = parseTime(status.state?.terminated?.finishedAt);
      if (at !== undefined && (latest === undefined || at > latest)) latest = at;
    }
  }
  return latest;
}

export class JobController implements RunningController {
  private readonly ctx: ControllerContext;
  private readonly queue: WorkQueue;
  /** job uid -> uids of terminated pods already counted in status (pods may be deleted later). */
  private readonly counted = new Map<string, Set<string>>();
  /** job uid -> real time it (last) started, finer than the whole-second startTime. */
  private readonly startedAt = new Map<string, number>();
  /** job uid -> real time it finished, finer than the whole-second completionTime. */
  private readonly finishedAt = new Map<string, number>();
  /**
   * job uid -> pods created but not yet seen in the cache (client-go's "expectations"): counted
   * as active, so a reconcile on a cache that lags behind does not create them twice.
   */
  private readonly expectedPods = new Map<string, Map<string, number>>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.queue = new WorkQueue({ name: JOB_CONTROLLER_NAME, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
  }

  start(): void {
    const { informers } = this.ctx;
    this.unsubscribe.push(
      informers.jobs.onEvent((event) => {
        const uid = event.object.metadata.uid ?? '';
        if (event.type === 'delete') {
          this.counted.delete(uid);
          this.startedAt.delete(uid);
          this.finishedAt.delete(uid);
          this.expectedPods.delete(uid);
          return;
        }
        this.queue.add(`${event.object.metadata.namespace ?? ''}/${event.object.metadata.name ?? ''}`);
      }),
      informers.pods.onEvent((event) => {
        const ref = event.object.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Job' && r.apiVersion === 'batch/v1');
        if (ref) this.queue.add(`${event.object.metadata.namespace ?? ''}/${ref.name}`);
      }),
    );
    for (const job of informers.jobs.list()) this.queue.add(`${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''}`);
    this.queue.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.queue.stop();
  }

  private record(job: Job, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.recorder.record(objectRef(job, 'batch/v1', 'Job'), type, reason, message, SOURCE);
  }

  private podsOf(job: Job): Pod[] {
    return this.ctx.informers.pods.list(job.metadata.namespace ?? '').filter((pod) => isControlledBy(pod, job));
  }

  private async deletePods(job: Job, pods: readonly Pod[]): Promise<void> {
    for (const pod of pods) {
      await deleteIgnoringNotFound(() => this.ctx.client.pods.delete(pod.metadata.namespace ?? '', pod.metadata.name ?? ''));
      this.record(job, EVENT_TYPE.normal, EVENT_REASON.successfulDelete, `Deleted pod: ${pod.metadata.name ?? ''}`);
    }
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const job = this.ctx.informers.jobs.get(namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const uid = job.metadata.uid ?? '';
    const pods = this.podsOf(job);
    const active = pods.filter((pod) => !isPodTerminal(pod) && !pod.metadata.deletionTimestamp);
    const expected = this.outstandingCreates(uid, pods);
    if (isFinished(job) || this.finishedAt.has(uid)) {
      if (active.length > 0) await this.deletePods(job, active);
      return this.expireFinished(job);
    }

    const now = this.ctx.clock.now();
    const status: JobStatus = deepClone(job.status ?? {});
    const counted = this.countedFor(uid, pods, status);
    let failed = status.failed ?? 0;
    let succeeded = status.succeeded ?? 0;
    for (const pod of pods) {
      const podUid = pod.metadata.uid ?? '';
      if (!isPodTerminal(pod) || counted.has(podUid)) continue;
      counted.add(podUid);
      if (podPhase(pod) === POD_PHASE.failed) failed++;
      else succeeded++;
    }

    if (job.spec.suspend === true) {
      if (active.length > 0) await this.deletePods(job, active);
      const changed = setJobCondition(status, JOB_CONDITION.suspended, 'True', JOB_REASON.suspended, 'Job suspended', now);
      await this.writeStatus(job, { ...status, active: 0, ready: 0, failed, succeeded });
      if (changed) this.record(job, EVENT_TYPE.normal, EVENT_REASON.suspended, 'Job suspended');
      return;
    }
    if (findCondition(status.conditions, JOB_CONDITION.suspended)?.status === 'True') {
      // Resuming is written on its own first, so its event and fresh start time happen once.
      setJobCondition(status, JOB_CONDITION.suspended, 'False', JOB_REASON.resumed, 'Job resumed', now);
      // A resumed Job starts its clock (and its activeDeadlineSeconds) afresh.
      status.startTime = rfc3339(now);
      await this.writeStatus(job, { ...status, failed, succeeded });
      this.startedAt.set(uid, now);
      this.record(job, EVENT_TYPE.normal, EVENT_REASON.resumed, 'Job resumed');
      return { requeueAfterMs: 0 };
    }
    if (!status.startTime) {
      status.startTime = rfc3339(now);
      this.startedAt.set(uid, now);
    }
    const started = this.startedAt.get(uid) ?? parseTime(status.startTime) ?? now;

    // A finished Job's status is written before its remaining pods go: if the write loses a
    // race, nothing was deleted and the next reconcile decides again from the same facts.
    const failure = jobFailure({ job, failed, activePods: active, activeSimMs: this.ctx.clock.simElapsedSince(started) });
    if (failure) {
      setJobCondition(status, JOB_CONDITION.failed, 'True', failure.reason, failure.message, now);
      await this.writeStatus(job, { ...status, active: 0, ready: 0, failed: failed + active.length, succeeded });
      this.finishedAt.set(uid, now);
      this.record(job, EVENT_TYPE.warning, failure.reason, failure.message);
      await this.deletePods(job, active);
      return;
    }

    const completions = job.spec.completions ?? 1;
    if (succeeded >= completions) {
      setJobCondition(status, JOB_CONDITION.complete, 'True', JOB_REASON.completionsReached, MESSAGE.completionsReached, now);
      await this.writeStatus(job, { ...status, active: 0, ready: 0, failed, succeeded, completionTime: rfc3339(now) });
      this.finishedAt.set(uid, now);
      this.record(job, EVENT_TYPE.normal, EVENT_REASON.completed, 'Job completed');
      if (active.length > 0) await this.deletePods(job, active);
      return;
    }

    let requeueAfterMs: number | undefined;
    const parallelism = job.spec.parallelism ?? 1;
    const wanted = Math.min(parallelism, completions - succeeded) - active.length - expected;
    let activeCount = active.length + expected;
    if (wanted > 0) {
      const lastFailure = failed > 0 ? lastFailureTime(pods) : undefined;
      const waitSimMs = lastFailure === undefined ? 0 : podRecreateBackoffSimMs(failed) - this.ctx.clock.simElapsedSince(lastFailure);
      if (waitSimMs > 0) {
        requeueAfterMs = this.ctx.clock.toRealMs(waitSimMs);
      } else {
        // The cache may still hold a Job deleted a moment ago; its pods would be strays.
        if (!(await this.stillExists(job))) return;
        for (let i = 0; i < wanted; i++) {
          try {
            const pod = await this.ctx.client.pods.create(namespace, podFromTemplate(job));
            this.expect(uid, pod.metadata.name ?? '');
            activeCount++;
            this.record(job, EVENT_TYPE.normal, EVENT_REASON.successfulCreate, `Created pod: ${pod.metadata.name ?? ''}`);
          } catch (err) {
            this.record(job, EVENT_TYPE.warning, EVENT_REASON.failedCreate, `Error creating: ${apiFailure(err).message}`);
            await this.writeStatus(job, { ...status, active: activeCount, ready: active.filter(isPodReady).length, failed, succeeded });
            throw err;
          }
        }
      }
    }
    await this.writeStatus(job, { ...status, active: activeCount, ready: active.filter(isPodReady).length, failed, succeeded });

    const deadline = job.spec.activeDeadlineSeconds;
    if (deadline !== undefined) {
      const deadlineRealMs = this.ctx.clock.toRealMs(deadline * 1000 - this.ctx.clock.simElapsedSince(started));
      requeueAfterMs = Math.min(requeueAfterMs ?? Number.POSITIVE_INFINITY, Math.max(0, deadlineRealMs));
    }
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  private async stillExists(job: Job): Promise<boolean> {
    try {
      const current = await this.ctx.client.jobs.get(job.metadata.namespace ?? '', job.metadata.name ?? '');
      return current.metadata.uid === job.metadata.uid && !current.metadata.deletionTimestamp;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private expect(jobUid: string, podName: string): void {
    const pending = this.expectedPods.get(jobUid) ?? new Map<string, number>();
    pending.set(podName, this.ctx.clock.now());
    this.expectedPods.set(jobUid, pending);
  }

  /** Creates not yet in the cache; one that never shows up (deleted at once) is given up after a while. */
  private outstandingCreates(jobUid: string, pods: readonly Pod[]): number {
    const pending = this.expectedPods.get(jobUid);
    if (!pending) return 0;
    const seen = new Set(pods.map((pod) => pod.metadata.name ?? ''));
    const now = this.ctx.clock.now();
    for (const [name, createdAt] of pending) {
      if (seen.has(name) || now - createdAt > EXPECTATION_TIMEOUT_MS) pending.delete(name);
    }
    if (pending.size === 0) this.expectedPods.delete(jobUid);
    return pending.size;
  }

  /**
   * Pods already terminated when this process first meets a Job were counted by whoever wrote its
   * status before (an earlier run of this controller); counting them again would double them.
   */
  private countedFor(uid: string, pods: readonly Pod[], status: JobStatus): Set<string> {
    let counted = this.counted.get(uid);
    if (!counted) {
      const alreadyCounted = (status.failed ?? 0) + (status.succeeded ?? 0) > 0;
      counted = new Set(alreadyCounted ? pods.filter(isPodTerminal).map((pod) => pod.metadata.uid ?? '') : []);
      this.counted.set(uid, counted);
    }
    return counted;
  }

  private async writeStatus(job: Job, status: JobStatus): Promise<void> {
    const clean: JobStatus = { ...status };
    // Go's omitempty: zero counts are absent from a real Job's status.
    for (const field of ['active', 'ready', 'failed', 'succeeded'] as const) {
      if (!clean[field]) delete clean[field];
    }
    if (statusFingerprint(job.status) === statusFingerprint(clean)) return;
    await this.ctx.client.jobs.replaceStatus(job.metadata.namespace ?? '', job.metadata.name ?? '', { ...job, status: clean });
  }

  /** The TTL-after-finished controller's part: delete the Job (and, through GC, its pods). */
  private async expireFinished(job: Job): Promise<ReconcileResult | void> {
    const ttlSeconds = job.spec.ttlSecondsAfterFinished;
    if (ttlSeconds === undefined) return;
    const finishedCondition = (job.status?.conditions ?? []).find(
      (c) => (c.type === JOB_CONDITION.complete || c.type === JOB_CONDITION.failed) && c.status === 'True',
    );
    const finished =
      this.finishedAt.get(job.metadata.uid ?? '') ??
      parseTime(job.status?.completionTime) ??
      parseTime(finishedCondition?.lastTransitionTime) ??
      this.ctx.clock.now();
    const remainingSimMs = ttlSeconds * 1000 - this.ctx.clock.simElapsedSince(finished);
    if (remainingSimMs > 0) return { requeueAfterMs: this.ctx.clock.toRealMs(remainingSimMs) };
    await deleteIgnoringNotFound(() =>
      this.ctx.client.jobs.delete(job.metadata.namespace ?? '', job.metadata.name ?? '', { propagationPolicy: 'Background' }),
    );
  }
}

/** A stable text form of a Job status, to skip writes that change nothing. */
function statusFingerprint(status: JobStatus | undefined): string {
  const s = status ?? {};
  return JSON.stringify([
    s.active ?? 0,
    s.ready ?? 0,
    s.failed ?? 0,
    s.succeeded ?? 0,
    s.startTime ?? '',
    s.completionTime ?? '',
    (s.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']),
  ]);
}

export function startJobController(ctx: ControllerContext): RunningController {
  const controller = new JobController(ctx);
  controller.start();
  return controller;
}
