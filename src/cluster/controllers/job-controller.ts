// The batch/v1 Job controller, as kube-controller-manager runs it for the launcher Jobs (and any
// other Job): it makes the Job's pods, retries failures with exponential backoff up to
// backoffLimit (counting container restarts for OnFailure pods), enforces activeDeadlineSeconds,
// honours suspend, writes the counts and conditions, and deletes finished Jobs after
// ttlSecondsAfterFinished. The decisions are in job-sync.ts; this file keeps what a controller
// must remember between syncs so that a lagging cache or a refused write never makes it act
// twice: the pods it created and has not seen yet (client-go's expectations), the pods it
// deleted, the pods whose outcome its stored counters include, and the status it last wrote.

import { isDeepStrictEqual } from 'node:util';
import { apiFailure, deleteIgnoringNotFound, isNotFound, type ClusterClient } from './client.ts';
import type { SimClock } from './clock.ts';
import type { ControllerContext, RunningController } from './context.ts';
import { EVENT_TYPE, objectRef, type EventRecorder, type EventSource } from './events.ts';
import type { InformerView } from './informer.ts';
import type { Logger } from './logger.ts';
import { JOB_CONDITION, JOB_EVENT_REASON, isJobFinished, planJobSync, seedCounted, type PodOutcome } from './job-sync.ts';
import type { Job, JobStatus, Pod } from './objects.ts';
import { controllerOf, controllerRef, deepClone, isControlledBy, parseTime, podPhase, splitKey, POD_PHASE } from './objects.ts';
import { WorkQueue, type ReconcileResult } from './queue.ts';

export const JOB_CONTROLLER_NAME = 'job-controller';
const SOURCE: EventSource = { component: JOB_CONTROLLER_NAME };
const JOB_API_VERSION = 'batch/v1';
const JOB_KIND = 'Job';

export const LABEL_JOB_NAME = 'batch.kubernetes.io/job-name';
export const LABEL_LEGACY_JOB_NAME = 'job-name';
export const LABEL_CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
export const LABEL_LEGACY_CONTROLLER_UID = 'controller-uid';

/**
 * The `spec.managedBy` of Jobs this controller syncs (or none); a Job handed to another
 * controller is left to it, as kube-controller-manager does since 1.32 (JobManagedBy).
 */
export const JOB_CONTROLLER_MANAGER = 'kubernetes.io/job-controller';

/**
 * A created pod that the cache has not shown after this long is no longer waited for (real time):
 * client-go's ExpectationsTimeout. Only a pod created and deleted again while the watch was
 * relisting can stay unseen; everything else shows up in the cache or in a delete event.
 */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

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
      ownerReferences: [controllerRef(job, JOB_API_VERSION, JOB_KIND)],
    },
    spec: template.spec,
  };
}

/**
 * The last Job this controller wrote, and the versions it replaced. While the cache still shows
 * one of those, the write is newer than the cache and decisions are made from it; once the cache
 * shows anything else, it has caught up (every later version builds on the write).
 */
export interface WrittenJob {
  job: Job;
  replacedVersions: ReadonlySet<string>;
}

/** The newer of the cached Job and the one this controller last wrote. */
export function freshestJob(cached: Job, written: WrittenJob | undefined): Job {
  if (written && written.replacedVersions.has(cached.metadata.resourceVersion ?? '')) return written.job;
  return cached;
}

/** What the controller remembers about one Job (by uid) between syncs. */
interface JobTracking {
  /** Pods the stored counters include; seeded from the status at the first sync of this process. */
  counted: Map<string, PodOutcome> | undefined;
  /** Pods that left the cache uncounted, with how they count. */
  vanished: Map<string, PodOutcome>;
  /** Pods this controller deleted that are still in the cache. */
  removing: Set<string>;
  /** Created pods not yet seen: uid -> real time of the create. */
  pendingCreates: Map<string, number>;
  written: WrittenJob | undefined;
  /** Real time the Job (last) started, finer than the whole-second startTime. */
  startedAtMs: number | undefined;
  /** Real time it finished, finer than the whole-second completionTime. */
  finishedAtMs: number | undefined;
}

/** The part of the controllers' shared context the Job controller uses. */
export interface JobControllerContext {
  client: Pick<ClusterClient, 'jobs' | 'pods'>;
  informers: { jobs: InformerView<Job>; pods: InformerView<Pod> };
  recorder: Pick<EventRecorder, 'record'>;
  clock: SimClock;
  logger: Logger;
}

function jobOwnerOf(pod: Pod): { uid: string; name: string } | undefined {
  const ref = controllerOf(pod);
  return ref && ref.kind === JOB_KIND && ref.apiVersion === JOB_API_VERSION ? { uid: ref.uid, name: ref.name } : undefined;
}

/**
 * Watches from construction on, so that nothing it must remember is missed; syncs Jobs from
 * `start` on (keys queued before wait).
 */
export class JobController implements RunningController {
  private readonly ctx: JobControllerContext;
  private readonly queue: WorkQueue;
  private readonly tracking = new Map<string, JobTracking>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(ctx: JobControllerContext) {
    this.ctx = ctx;
    this.queue = new WorkQueue({ name: JOB_CONTROLLER_NAME, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    const { informers } = ctx;
    this.unsubscribe.push(
      informers.jobs.onEvent((event) => {
        if (event.type === 'delete') {
          this.tracking.delete(event.object.metadata.uid ?? '');
          return;
        }
        this.queue.add(`${event.object.metadata.namespace ?? ''}/${event.object.metadata.name ?? ''}`);
      }),
      informers.pods.onEvent((event) => {
        const owner = jobOwnerOf(event.object);
        if (!owner) return;
        this.observePod(owner.uid, event.object, event.type === 'delete');
        this.queue.add(`${event.object.metadata.namespace ?? ''}/${owner.name}`);
      }),
    );
  }

  start(): void {
    for (const job of this.ctx.informers.jobs.list()) this.queue.add(`${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''}`);
    this.queue.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.queue.stop();
  }

  private observePod(jobUid: string, pod: Pod, deleted: boolean): void {
    const tracking = this.tracking.get(jobUid);
    if (!tracking) return;
    const uid = pod.metadata.uid ?? '';
    tracking.pendingCreates.delete(uid);
    if (!deleted) return;
    if (tracking.removing.delete(uid)) return;
    // Until the counters are seeded it is unknown whether an earlier run counted this pod.
    if (tracking.counted && !tracking.counted.has(uid)) {
      // A pod deleted before it ended is a failed one, as the real controller counts it.
      tracking.vanished.set(uid, podPhase(pod) === POD_PHASE.succeeded ? 'succeeded' : 'failed');
    }
  }

  private trackingFor(uid: string): JobTracking {
    let tracking = this.tracking.get(uid);
    if (!tracking) {
      tracking = {
        counted: undefined,
        vanished: new Map(),
        removing: new Set(),
        pendingCreates: new Map(),
        written: undefined,
        startedAtMs: undefined,
        finishedAtMs: undefined,
      };
      this.tracking.set(uid, tracking);
    }
    return tracking;
  }

  private record(job: Job, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.recorder.record(objectRef(job, JOB_API_VERSION, JOB_KIND), type, reason, message, SOURCE);
  }

  private podsOf(job: Job): Pod[] {
    return this.ctx.informers.pods.list(job.metadata.namespace ?? '').filter((pod) => isControlledBy(pod, job));
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.ctx.informers.jobs.get(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const tracking = this.trackingFor(cached.metadata.uid ?? '');
    const job = freshestJob(cached, tracking.written);
    if (job === cached) tracking.written = undefined;
    if (isJobFinished(job)) return this.expireFinished(job, tracking);
    const managedBy = job.spec['managedBy'];
    if (managedBy !== undefined && managedBy !== JOB_CONTROLLER_MANAGER) return;

    const pods = this.podsOf(job);
    // No decision while a pod this controller made is missing from the cache: it would be made twice.
    const waitMs = this.outstandingCreatesMs(tracking, pods);
    if (waitMs !== undefined) return { requeueAfterMs: waitMs };
    tracking.counted ??= seedCounted(job.status, pods);
    const counted = tracking.counted;
    const now = this.ctx.clock.now();
    const plan = planJobSync({
      job,
      pods,
      counted,
      vanished: tracking.vanished,
      removing: tracking.removing,
      nowMs: now,
      startedAtMs: tracking.startedAtMs,
      simElapsedSince: (realMs) => this.ctx.clock.simElapsedSince(realMs),
    });

    for (const pod of plan.delete) await this.deletePod(job, pod, tracking);

    let created = 0;
    if (plan.create > 0) {
      // The cache may still hold a Job deleted a moment ago; its pods would be strays.
      if (!(await this.stillExists(job))) return;
      for (let i = 0; i < plan.create; i++) {
        let pod: Pod;
        try {
          pod = await this.ctx.client.pods.create(namespace, podFromTemplate(job));
        } catch (err) {
          this.record(job, EVENT_TYPE.warning, JOB_EVENT_REASON.failedCreate, `Error creating: ${apiFailure(err).message}`);
          if (created > 0) await this.writeStatuses(job, plan.writes.slice(0, 1), created, plan.newlyCounted, tracking);
          throw err;
        }
        this.expectCreated(tracking, pod);
        created++;
        this.record(job, EVENT_TYPE.normal, JOB_EVENT_REASON.successfulCreate, `Created pod: ${pod.metadata.name ?? ''}`);
      }
    }

    const written = await this.writeStatuses(job, plan.writes, created, plan.newlyCounted, tracking);
    if (plan.starts) tracking.startedAtMs = now;
    for (const event of plan.events) this.record(written, event.type, event.reason, event.message);
    if (isJobFinished(written)) {
      tracking.finishedAtMs = now;
      return this.expireFinished(written, tracking);
    }
    return plan.requeueAfterSimMs === undefined ? undefined : { requeueAfterMs: this.ctx.clock.toRealMs(plan.requeueAfterSimMs) };
  }

  /** Writes the planned statuses in order; the pods the first one counts are counted once it is stored. */
  private async writeStatuses(
    job: Job,
    statuses: readonly JobStatus[],
    created: number,
    newlyCounted: ReadonlyMap<string, PodOutcome>,
    tracking: JobTracking,
  ): Promise<Job> {
    let current = job;
    for (const [i, planned] of statuses.entries()) {
      const status = created > 0 ? { ...planned, active: (planned.active ?? 0) + created } : planned;
      current = await this.writeStatus(current, status, tracking);
      if (i > 0) continue;
      for (const [uid, outcome] of newlyCounted) {
        tracking.counted?.set(uid, outcome);
        tracking.vanished.delete(uid);
      }
    }
    return current;
  }

  private async writeStatus(job: Job, status: JobStatus, tracking: JobTracking): Promise<Job> {
    if (isDeepStrictEqual(job.status ?? {}, status)) return job;
    const written = await this.ctx.client.jobs.replaceStatus(job.metadata.namespace ?? '', job.metadata.name ?? '', { ...job, status });
    const replaced = new Set(tracking.written?.replacedVersions ?? []);
    replaced.add(job.metadata.resourceVersion ?? '');
    tracking.written = { job: written, replacedVersions: replaced };
    return written;
  }

  private async deletePod(job: Job, pod: Pod, tracking: JobTracking): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    // Marked before the call: the watch may report the deletion before the call returns, and
    // it must not be taken for a pod that failed on its own.
    tracking.removing.add(uid);
    try {
      await deleteIgnoringNotFound(() => this.ctx.client.pods.delete(pod.metadata.namespace ?? '', pod.metadata.name ?? ''));
    } catch (err) {
      tracking.removing.delete(uid);
      throw err;
    }
    const cached = this.ctx.informers.pods.get(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    if (cached?.metadata.uid !== uid) tracking.removing.delete(uid);
    this.record(job, EVENT_TYPE.normal, JOB_EVENT_REASON.successfulDelete, `Deleted pod: ${pod.metadata.name ?? ''}`);
  }

  private expectCreated(tracking: JobTracking, pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const cached = this.ctx.informers.pods.get(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    // The watch may have delivered the pod (or its deletion) before the create call returned.
    if (cached?.metadata.uid === uid || tracking.vanished.has(uid) || tracking.counted?.has(uid)) return;
    tracking.pendingCreates.set(uid, this.ctx.clock.now());
  }

  /** Real ms until the oldest unseen create is given up, or undefined when every create was seen. */
  private outstandingCreatesMs(tracking: JobTracking, pods: readonly Pod[]): number | undefined {
    const seen = new Set(pods.map((pod) => pod.metadata.uid ?? ''));
    const now = this.ctx.clock.now();
    let waitMs: number | undefined;
    for (const [uid, createdAt] of tracking.pendingCreates) {
      const remainingMs = createdAt + EXPECTATIONS_TIMEOUT_MS - now;
      if (seen.has(uid) || remainingMs <= 0) tracking.pendingCreates.delete(uid);
      else waitMs = Math.min(waitMs ?? remainingMs, remainingMs);
    }
    return waitMs;
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

  /** The TTL-after-finished controller's part: delete the Job (and, through GC, its pods). */
  private async expireFinished(job: Job, tracking: JobTracking): Promise<ReconcileResult | void> {
    const ttlSeconds = job.spec.ttlSecondsAfterFinished;
    if (ttlSeconds === undefined) return;
    const finishedCondition = (job.status?.conditions ?? []).find(
      (c) => (c.type === JOB_CONDITION.complete || c.type === JOB_CONDITION.failed) && c.status === 'True',
    );
    const finished = tracking.finishedAtMs ?? parseTime(job.status?.completionTime) ?? parseTime(finishedCondition?.lastTransitionTime) ?? this.ctx.clock.now();
    const remainingSimMs = ttlSeconds * 1000 - this.ctx.clock.simElapsedSince(finished);
    if (remainingSimMs > 0) return { requeueAfterMs: this.ctx.clock.toRealMs(remainingSimMs) };
    await deleteIgnoringNotFound(() =>
      this.ctx.client.jobs.delete(job.metadata.namespace ?? '', job.metadata.name ?? '', { propagationPolicy: 'Background' }),
    );
  }
}

export function startJobController(ctx: ControllerContext): RunningController {
  const controller = new JobController(ctx);
  controller.start();
  return controller;
}
