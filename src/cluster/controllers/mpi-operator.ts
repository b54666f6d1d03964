// The simulated mpi-operator v2: for each MPIJob it makes the Service, ConfigMap, SSH Secret,
// worker Pods and launcher Job, keeps them in line with the job (suspend, resume, scale down),
// cleans up after the job per cleanPodPolicy, deletes it after ttlSecondsAfterFinished, and
// writes the status the real operator would, with its events.

import type { StatusCause } from '../api/status.ts';
import { MPIJOB_API_VERSION, MPIJOB_KIND, apiFailure, deleteIgnoringNotFound, isAlreadyExists, isNotFound } from './client.ts';
import type { ControllerContext, RunningController } from './context.ts';
import { EVENT_TYPE, objectRef, type EventSource } from './events.ts';
import {
  CLEAN_POD_POLICY,
  CONTROLLER_NAME,
  DISCOVER_HOSTS_KEY,
  HOSTFILE_KEY,
  LABEL_REPLICA_INDEX,
  LAUNCHER_CREATION_POLICY,
  MANAGED_BY_MPI_OPERATOR,
  REASON,
  SSH_PRIVATE_KEY,
  SSH_PUBLIC_KEY,
  configMapName,
  isSuspended,
  launcherJobName,
  sshSecretName,
  withDefaults,
  workerPodName,
  workerReplicas,
  LABEL_JOB_NAME,
  LABEL_JOB_ROLE,
  ROLE_WORKER,
} from './mpi-api.ts';
import { newConfigMap, newLauncherJob, newService, newSshSecret, newWorkerPod } from './mpi-objects.ts';
import { deriveStatus, isFinished, isJobFinished, markCreated, statusEquals } from './mpi-status.ts';
import type { Job, KubeObject, MPIJob, MPIJobStatus, Pod } from './objects.ts';
import { controllerOf, isControlledBy, isPodReady, parseTime, podPhase, rfc3339, splitKey, POD_PHASE } from './objects.ts';
import { WorkQueue, type ReconcileResult } from './queue.ts';

const SOURCE: EventSource = { component: CONTROLLER_NAME };

export interface MpiOperatorOptions {
  /** The operator's own validation (validation.go); default: accept everything. */
  validate?: (job: MPIJob) => StatusCause[];
}

/** Go's field.ErrorList.ToAggregate().Error(): one error plain, several in brackets. */
export function aggregateCauses(causes: readonly StatusCause[]): string {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  return parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
}

class ResourceExistsError extends Error {}
/** The job was deleted while we reconciled a cached copy of it: nothing more to do. */
class OwnerGoneError extends Error {}

export class MpiOperator implements RunningController {
  private readonly ctx: ControllerContext;
  private readonly validate: (job: MPIJob) => StatusCause[];
  private readonly queue: WorkQueue;
  /** uid -> generation whose validation error was already reported (the operator does not requeue). */
  private readonly reportedInvalid = new Map<string, number>();
  /** uid -> real time the job was seen to finish, finer than the whole-second completionTime. */
  private readonly finishedAt = new Map<string, number>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(ctx: ControllerContext, options: MpiOperatorOptions = {}) {
    this.ctx = ctx;
    this.validate = options.validate ?? (() => []);
    this.queue = new WorkQueue({
      name: CONTROLLER_NAME,
      logger: ctx.logger,
      reconcile: (key) =>
        this.reconcile(key).catch((err: unknown) => {
          if (err instanceof OwnerGoneError) return undefined;
          throw err;
        }),
    });
  }

  start(): void {
    const { informers } = this.ctx;
    this.unsubscribe.push(
      informers.mpiJobs.onEvent((event) => {
        if (event.type === 'delete') {
          this.reportedInvalid.delete(event.object.metadata.uid ?? '');
          this.finishedAt.delete(event.object.metadata.uid ?? '');
          return;
        }
        this.queue.add(`${event.object.metadata.namespace ?? ''}/${event.object.metadata.name ?? ''}`);
      }),
    );
    const owned = (event: { object: KubeObject }) => this.enqueueOwner(event.object);
    for (const informer of [informers.jobs, informers.pods, informers.configMaps, informers.services, informers.secrets]) {
      this.unsubscribe.push(informer.onEvent(owned));
    }
    for (const job of informers.mpiJobs.list()) this.queue.add(`${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''}`);
    this.queue.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.queue.stop();
  }

  /** Objects the operator made lead back to their MPIJob; launcher pods through their Job. */
  private enqueueOwner(obj: KubeObject): void {
    let ref = controllerOf(obj);
    const namespace = obj.metadata.namespace ?? '';
    if (ref && ref.kind === 'Job' && ref.apiVersion === 'batch/v1') {
      const job = this.ctx.informers.jobs.get(namespace, ref.name);
      ref = job ? controllerOf(job) : undefined;
    }
    if (ref && ref.kind === MPIJOB_KIND && ref.apiVersion === MPIJOB_API_VERSION) this.queue.add(`${namespace}/${ref.name}`);
  }

  private record(job: MPIJob, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.recorder.record(objectRef(job, MPIJOB_API_VERSION, MPIJOB_KIND), type, reason, message, SOURCE);
  }

  private async writeStatus(job: MPIJob, status: MPIJobStatus): Promise<MPIJob> {
    const { namespace, name } = { namespace: job.metadata.namespace ?? '', name: job.metadata.name ?? '' };
    return this.ctx.client.mpiJobs.replaceStatus(namespace, name, { ...job, status });
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.ctx.informers.mpiJobs.get(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const managedBy = cached.spec.runPolicy?.managedBy;
    if (managedBy && managedBy !== MANAGED_BY_MPI_OPERATOR) return;

    const job = withDefaults(cached);
    const uid = job.metadata.uid ?? '';
    const causes = this.validate(job);
    if (causes.length > 0) {
      const generation = job.metadata.generation ?? 0;
      if (this.reportedInvalid.get(uid) !== generation) {
        this.reportedInvalid.set(uid, generation);
        this.record(job, EVENT_TYPE.warning, REASON.validationError, `Found validation errors: ${aggregateCauses(causes)}`);
      }
      return;
    }
    this.reportedInvalid.delete(uid);

    // Created is written before any pod is made: a job whose pods the quota refuses then still
    // shows that the operator accepted it (the real operator only writes status at the end).
    let persisted: MPIJob = cached;
    const initial: MPIJobStatus = structuredClone(cached.status ?? {});
    const createdEvent = markCreated(initial, job, this.ctx.clock.now());
    if (createdEvent) {
      if (!isSuspended(job)) initial.startTime ??= rfc3339(this.ctx.clock.now());
      persisted = await this.writeStatus(cached, initial);
      this.record(job, createdEvent.type, createdEvent.reason, createdEvent.message);
    }
    let current = withDefaults(persisted);
    if (isFinished(current.status) && current.status?.completionTime) return this.reconcileFinished(current);

    const status: MPIJobStatus = structuredClone(current.status ?? {});
    if (!status.startTime && !isSuspended(current)) status.startTime = rfc3339(this.ctx.clock.now());
    current = { ...current, status };

    let launcher = this.ctx.informers.jobs.get(namespace, launcherJobName(current));
    if (launcher && !isControlledBy(launcher, current)) this.resourceExists(current, launcher.metadata.name ?? '', 'Job');
    let workers: Pod[] = [];
    const done = launcher !== undefined && isJobFinished(launcher);
    if (!done) {
      await this.ensureService(current);
      await this.ensureConfigMap(current);
      await this.ensureSecret(current);
      if (!isSuspended(current)) workers = await this.ensureWorkers(current);
      if (!launcher && !isSuspended(current)) {
        const ready = workers.filter(isPodReady).length;
        if (current.spec.launcherCreationPolicy !== LAUNCHER_CREATION_POLICY.waitForWorkersReady || ready === workers.length) {
          launcher = await this.createLauncher(current);
        }
      }
    }

    if (launcher && isSuspended(current) !== (launcher.spec.suspend === true)) {
      launcher = await this.ctx.client.jobs.patch(namespace, launcher.metadata.name ?? '', { spec: { suspend: isSuspended(current) } });
    }
    if (isSuspended(current)) await this.deleteWorkers(current);

    const launcherPods = launcher ? this.podsOf(launcher) : [];
    const derived = deriveStatus({ job: current, launcher, launcherPods, workers, nowMs: this.ctx.clock.now() });
    if (statusEquals(persisted.status, derived.status)) return;
    // Events describe transitions; a write that loses a race to a newer status did not make one.
    const written = await this.writeStatus(persisted, derived.status);
    for (const event of derived.events) this.record(current, event.type, event.reason, event.message);
    if (isFinished(written.status)) {
      this.finishedAt.set(uid, this.ctx.clock.now());
      if (written.status?.completionTime) return this.reconcileFinished(withDefaults(written));
    }
  }

  /** After the launcher finished: clean up workers per cleanPodPolicy, then wait out the TTL. */
  private async reconcileFinished(job: MPIJob): Promise<ReconcileResult | void> {
    const policy = job.spec.runPolicy?.cleanPodPolicy;
    if (policy === CLEAN_POD_POLICY.all || policy === CLEAN_POD_POLICY.running) {
      await this.deleteWorkers(job);
      const worker = job.status?.replicaStatuses?.Worker;
      if (worker?.active) {
        const { active: _cleaned, ...rest } = worker;
        await this.writeStatus(job, { ...job.status, replicaStatuses: { ...job.status?.replicaStatuses, Worker: rest } });
      }
    }
    const ttlSeconds = job.spec.runPolicy?.ttlSecondsAfterFinished;
    if (ttlSeconds === undefined) return;
    const uid = job.metadata.uid ?? '';
    const finished = this.finishedAt.get(uid) ?? parseTime(job.status?.completionTime) ?? this.ctx.clock.now();
    const remainingSimMs = ttlSeconds * 1000 - this.ctx.clock.simElapsedSince(finished);
    if (remainingSimMs > 0) return { requeueAfterMs: this.ctx.clock.toRealMs(remainingSimMs) };
    await deleteIgnoringNotFound(() =>
      this.ctx.client.mpiJobs.delete(job.metadata.namespace ?? '', job.metadata.name ?? '', { propagationPolicy: 'Background' }),
    );
  }

  private resourceExists(job: MPIJob, name: string, kind: string): never {
    const message = `Resource "${name}" of Kind "${kind}" already exists and is not managed by MPIJob`;
    this.record(job, EVENT_TYPE.warning, REASON.resourceExists, message);
    throw new ResourceExistsError(message);
  }

  /** Create, or on AlreadyExists read it back; either way check that the job controls it. */
  private async getOrCreate<T extends KubeObject>(
    job: MPIJob,
    kind: string,
    cached: T | undefined,
    create: () => Promise<T>,
    get: () => Promise<T>,
  ): Promise<T> {
    let obj = cached;
    if (!obj) {
      try {
        obj = await create();
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        obj = await get();
      }
    }
    if (!isControlledBy(obj, job)) this.resourceExists(job, obj.metadata.name ?? '', kind);
    return obj;
  }

  private async ensureService(job: MPIJob): Promise<void> {
    const namespace = job.metadata.namespace ?? '';
    const desired = newService(job);
    const name = desired.metadata.name ?? '';
    const svc = await this.getOrCreate(
      job,
      'Service',
      this.ctx.informers.services.get(namespace, name),
      () => this.ctx.client.services.create(namespace, desired),
      () => this.ctx.client.services.get(namespace, name),
    );
    if (JSON.stringify(svc.spec?.selector ?? {}) !== JSON.stringify(desired.spec?.selector ?? {})) {
      await this.ctx.client.services.patch(namespace, name, { spec: { selector: desired.spec?.selector } });
    }
  }

  private async ensureConfigMap(job: MPIJob): Promise<void> {
    const namespace = job.metadata.namespace ?? '';
    const running = this.workerPods(job)
      .filter((pod) => podPhase(pod) === POD_PHASE.running)
      .map((pod) => pod.metadata.name ?? '');
    const desired = newConfigMap(job, running);
    const name = configMapName(job);
    const cm = await this.getOrCreate(
      job,
      'ConfigMap',
      this.ctx.informers.configMaps.get(namespace, name),
      () => this.ctx.client.configMaps.create(namespace, desired),
      () => this.ctx.client.configMaps.get(namespace, name),
    );
    const want = desired.data ?? {};
    if (cm.data?.[HOSTFILE_KEY] !== want[HOSTFILE_KEY] || cm.data?.[DISCOVER_HOSTS_KEY] !== want[DISCOVER_HOSTS_KEY]) {
      await this.ctx.client.configMaps.patch(namespace, name, { data: want });
    }
  }

  private async ensureSecret(job: MPIJob): Promise<void> {
    const namespace = job.metadata.namespace ?? '';
    const name = sshSecretName(job);
    const secret = await this.getOrCreate(
      job,
      'Secret',
      this.ctx.informers.secrets.get(namespace, name),
      () => this.ctx.client.secrets.create(namespace, newSshSecret(job)),
      () => this.ctx.client.secrets.get(namespace, name),
    );
    const keys = Object.keys(secret.data ?? {}).sort();
    if (keys.join(',') !== [SSH_PRIVATE_KEY, SSH_PUBLIC_KEY].sort().join(',')) {
      await this.ctx.client.secrets.patch(namespace, name, { data: newSshSecret(job).data });
    }
  }

  /** Worker pods of the job, by label, as the operator's lister selects them. */
  private workerPods(job: MPIJob): Pod[] {
    return this.ctx.informers.pods
      .list(job.metadata.namespace ?? '')
      .filter((pod) => pod.metadata.labels?.[LABEL_JOB_NAME] === job.metadata.name && pod.metadata.labels?.[LABEL_JOB_ROLE] === ROLE_WORKER);
  }

  private async ensureWorkers(job: MPIJob): Promise<Pod[]> {
    const namespace = job.metadata.namespace ?? '';
    const replicas = workerReplicas(job);
    const existing = this.workerPods(job);
    if (existing.length > replicas) {
      for (const pod of existing) {
        const index = Number(pod.metadata.labels?.[LABEL_REPLICA_INDEX] ?? Number.NaN);
        if (Number.isInteger(index) && index >= replicas) {
          await deleteIgnoringNotFound(() => this.ctx.client.pods.delete(namespace, pod.metadata.name ?? ''));
        }
      }
    }
    const pods: Pod[] = [];
    let ownerChecked = false;
    for (let i = 0; i < replicas; i++) {
      const name = workerPodName(job, i);
      if (!ownerChecked && !this.ctx.informers.pods.get(namespace, name)) {
        // The cache may still hold an MPIJob deleted a moment ago; its pods would be strays.
        await this.requireOwner(job);
        ownerChecked = true;
      }
      try {
        pods.push(
          await this.getOrCreate(
            job,
            'Pod',
            this.ctx.informers.pods.get(namespace, name),
            () => this.ctx.client.pods.create(namespace, newWorkerPod(job, i)),
            () => this.ctx.client.pods.get(namespace, name),
          ),
        );
      } catch (err) {
        if (!(err instanceof ResourceExistsError)) {
          this.record(job, EVENT_TYPE.warning, REASON.failed, `worker pod created failed: ${apiFailure(err).message}`);
        }
        throw err;
      }
    }
    return pods;
  }

  private async requireOwner(job: MPIJob): Promise<void> {
    try {
      const current = await this.ctx.client.mpiJobs.get(job.metadata.namespace ?? '', job.metadata.name ?? '');
      if (current.metadata.uid === job.metadata.uid && !current.metadata.deletionTimestamp) return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    throw new OwnerGoneError();
  }

  private async createLauncher(job: MPIJob): Promise<Job> {
    const namespace = job.metadata.namespace ?? '';
    await this.requireOwner(job);
    const { job: desired, overrodeTemplateRestartPolicy } = newLauncherJob(job);
    if (overrodeTemplateRestartPolicy) {
      this.record(job, EVENT_TYPE.warning, REASON.setPodTemplateRestartPolicy, 'Restart policy in pod template overridden by restart policy in replica spec');
    }
    try {
      return await this.getOrCreate(
        job,
        'Job',
        undefined,
        () => this.ctx.client.jobs.create(namespace, desired),
        () => this.ctx.client.jobs.get(namespace, desired.metadata.name ?? ''),
      );
    } catch (err) {
      if (!(err instanceof ResourceExistsError)) {
        this.record(job, EVENT_TYPE.warning, REASON.failed, `launcher pod created failed: ${apiFailure(err).message}`);
      }
      throw err;
    }
  }

  /** Deletes worker pods; with cleanPodPolicy Running, workers that already stopped stay. */
  private async deleteWorkers(job: MPIJob): Promise<void> {
    const namespace = job.metadata.namespace ?? '';
    for (let i = 0; i < workerReplicas(job); i++) {
      const pod = this.ctx.informers.pods.get(namespace, workerPodName(job, i));
      if (!pod) continue;
      if (!isControlledBy(pod, job)) this.resourceExists(job, pod.metadata.name ?? '', 'Pod');
      const phase = podPhase(pod);
      if (job.spec.runPolicy?.cleanPodPolicy === CLEAN_POD_POLICY.running && phase !== POD_PHASE.running && phase !== POD_PHASE.pending) continue;
      await deleteIgnoringNotFound(() => this.ctx.client.pods.delete(namespace, pod.metadata.name ?? ''));
    }
  }

  private podsOf(owner: Job): Pod[] {
    return this.ctx.informers.pods.list(owner.metadata.namespace ?? '').filter((pod) => isControlledBy(pod, owner));
  }
}

export function startMpiOperator(ctx: ControllerContext, options: MpiOperatorOptions = {}): RunningController {
  const operator = new MpiOperator(ctx, options);
  operator.start();
  return operator;
}
