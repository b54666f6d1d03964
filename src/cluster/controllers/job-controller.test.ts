import { describe, expect, it } from 'vitest';
import { validateJobStatusUpdate } from '../api/admission/job-status.ts';
import type { KindClient } from './client.ts';
import { SimClock } from './clock.ts';
import type { InformerEvent, InformerEventType, InformerView } from './informer.ts';
import { JobController, freshestJob, podFromTemplate } from './job-controller.ts';
import { SILENT_LOGGER } from './logger.ts';
import type { Job, KubeObject, Pod } from './objects.ts';
import { rfc3339 } from './objects.ts';

const NAMESPACE = 'team-a';
const KEY = `${NAMESPACE}/pi-launcher`;
const T0 = Date.parse('2026-03-01T10:00:00Z');

function job(spec: Partial<Job['spec']> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi-launcher', namespace: NAMESPACE, uid: 'job-uid', resourceVersion: '1' },
    spec: {
      completions: 1,
      parallelism: 1,
      template: { metadata: { labels: { role: 'launcher' }, annotations: { a: 'b' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c' }] } },
      ...spec,
    },
  };
}

function apiError(code: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode: code });
}

/** An informer cache that changes only when the test delivers an event: a watch as slow as wanted. */
class ManualInformer<T extends KubeObject> implements InformerView<T> {
  private readonly cache = new Map<string, T>();
  private readonly handlers = new Set<(event: InformerEvent<T>) => void>();

  get(namespace: string, name: string): T | undefined {
    return this.cache.get(`${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    return [...this.cache.values()].filter((obj) => namespace === undefined || obj.metadata.namespace === namespace);
  }

  onEvent(handler: (event: InformerEvent<T>) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  deliver(type: InformerEventType, obj: T): void {
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
    const old = this.cache.get(key);
    if (type === 'delete') this.cache.delete(key);
    else this.cache.set(key, structuredClone(obj));
    for (const handler of this.handlers) handler({ type, object: obj, ...(old ? { old } : {}) });
  }
}

function unsupported(): never {
  throw new Error('not used by the Job controller');
}

/**
 * The API server's side of Jobs and pods: optimistic locking, the 1.34 Job status rules, and a
 * switch to refuse status writes. What it stores reaches the informers only when the test says.
 */
class FakeApi {
  readonly jobs = new Map<string, Job>();
  readonly pods = new Map<string, Pod>();
  readonly podCreates: Pod[] = [];
  readonly statusWrites: Job[] = [];
  /** Status writes for which this returns true are refused with a 422. */
  refuseStatus: (job: Job) => boolean = () => false;
  private version = 1;

  readonly jobClient: KindClient<Job> = {
    watchPath: '/apis/batch/v1/jobs',
    list: unsupported,
    create: unsupported,
    patch: unsupported,
    patchStatus: unsupported,
    get: async (namespace, name) => {
      const found = this.jobs.get(`${namespace}/${name}`);
      if (!found) throw apiError(404, `jobs.batch "${name}" not found`);
      return structuredClone(found);
    },
    replaceStatus: async (namespace, name, obj) => {
      const stored = this.jobs.get(`${namespace}/${name}`);
      if (!stored) throw apiError(404, `jobs.batch "${name}" not found`);
      if (obj.metadata.resourceVersion !== stored.metadata.resourceVersion) throw apiError(409, 'the object has been modified');
      const next: Job = { ...structuredClone(stored), status: structuredClone(obj.status) };
      const causes = validateJobStatusUpdate(next, stored);
      if (causes.length > 0 || this.refuseStatus(next)) throw apiError(422, `Job.batch "${name}" is invalid: ${JSON.stringify(causes)}`);
      next.metadata.resourceVersion = String(++this.version);
      this.jobs.set(`${namespace}/${name}`, next);
      this.statusWrites.push(next);
      return structuredClone(next);
    },
    delete: unsupported,
  };

  readonly podClient: KindClient<Pod> = {
    watchPath: '/api/v1/pods',
    list: unsupported,
    get: unsupported,
    patch: unsupported,
    patchStatus: unsupported,
    replaceStatus: unsupported,
    create: async (namespace, obj) => {
      const name = `${obj.metadata.generateName ?? ''}${this.podCreates.length}`;
      const pod: Pod = {
        ...structuredClone(obj),
        metadata: { ...structuredClone(obj.metadata), name, namespace, uid: `pod-${this.podCreates.length}`, resourceVersion: String(++this.version), creationTimestamp: rfc3339(T0) },
        status: { phase: 'Pending' },
      };
      this.podCreates.push(pod);
      this.pods.set(`${namespace}/${name}`, pod);
      return structuredClone(pod);
    },
    delete: async (namespace, name) => {
      if (!this.pods.delete(`${namespace}/${name}`)) throw apiError(404, `pods "${name}" not found`);
    },
  };

  addJob(stored: Job): Job {
    const copy = { ...structuredClone(stored), metadata: { ...stored.metadata, resourceVersion: String(++this.version) } };
    this.jobs.set(`${copy.metadata.namespace ?? ''}/${copy.metadata.name ?? ''}`, copy);
    return copy;
  }

  /** Changes a stored pod as the kubelet would, with a new resourceVersion. */
  updatePod(name: string, change: (pod: Pod) => void): Pod {
    const pod = this.pods.get(`${NAMESPACE}/${name}`);
    if (!pod) throw new Error(`no pod ${name}`);
    change(pod);
    pod.metadata.resourceVersion = String(++this.version);
    return structuredClone(pod);
  }

  job(): Job {
    const stored = this.jobs.get(KEY);
    if (!stored) throw new Error('no job');
    return structuredClone(stored);
  }
}

interface Harness {
  api: FakeApi;
  jobs: ManualInformer<Job>;
  pods: ManualInformer<Pod>;
  controller: JobController;
  events: string[];
}

function harness(spec: Partial<Job['spec']> = {}): Harness {
  const api = new FakeApi();
  const jobs = new ManualInformer<Job>();
  const pods = new ManualInformer<Pod>();
  const events: string[] = [];
  const controller = new JobController({
    client: { jobs: api.jobClient, pods: api.podClient },
    informers: { jobs, pods },
    recorder: { record: (_ref, _type, reason) => void events.push(reason) },
    clock: new SimClock({ now: () => T0 + 1_000 }),
    logger: SILENT_LOGGER,
  });
  jobs.deliver('add', api.addJob(job(spec)));
  return { api, jobs, pods, controller, events };
}

function succeed(pod: Pod): void {
  pod.status = {
    phase: 'Succeeded',
    containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode: 0, finishedAt: rfc3339(T0 + 1_000) } } }],
  };
}

describe('JobController', () => {
  it('creates a Job pod once, however long the watch takes to show it', async () => {
    const { api, pods, controller } = harness();
    await controller.reconcile(KEY);
    expect(api.podCreates).toHaveLength(1);
    // The pod and the status write are not in the caches yet; every later sync waits for them.
    for (let i = 0; i < 3; i++) expect(await controller.reconcile(KEY)).toMatchObject({ requeueAfterMs: expect.any(Number) });
    expect(api.podCreates).toHaveLength(1);

    const [created] = api.podCreates;
    if (!created) throw new Error('no pod');
    pods.deliver('add', created);
    await controller.reconcile(KEY);
    expect(api.podCreates).toHaveLength(1);
    expect(api.job().status).toMatchObject({ active: 1, ready: 0, terminating: 0 });
    await controller.stop();
  });

  it('makes no second pod while the write that counts the first one is refused', async () => {
    const { api, pods, controller, events } = harness();
    await controller.reconcile(KEY);
    const [created] = api.podCreates;
    if (!created) throw new Error('no pod');
    pods.deliver('add', created);
    pods.deliver('update', api.updatePod(created.metadata.name ?? '', succeed));

    let refusals = 3;
    api.refuseStatus = () => refusals-- > 0;
    for (let i = 0; i < 3; i++) await expect(controller.reconcile(KEY)).rejects.toThrow(/is invalid/);
    await controller.reconcile(KEY);

    expect(api.podCreates).toHaveLength(1);
    const done = api.job();
    expect(done.status?.succeeded).toBe(1);
    expect(done.status?.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(events.filter((reason) => reason === 'Completed')).toHaveLength(1);
    await controller.stop();
  });

  it('decides from its own last write while the Job cache lags behind it', async () => {
    const { api, pods, controller } = harness();
    await controller.reconcile(KEY);
    const [created] = api.podCreates;
    if (!created) throw new Error('no pod');
    pods.deliver('add', created);
    pods.deliver('update', api.updatePod(created.metadata.name ?? '', succeed));
    // SuccessCriteriaMet is stored, Complete refused once; the Job cache still shows neither.
    let refusals = 1;
    api.refuseStatus = (next) => next.status?.conditions?.some((c) => c.type === 'Complete') === true && refusals-- > 0;
    await expect(controller.reconcile(KEY)).rejects.toThrow(/is invalid/);
    expect(api.job().status?.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet']);

    await controller.reconcile(KEY);
    expect(api.podCreates).toHaveLength(1);
    expect(api.job().status).toMatchObject({ succeeded: 1 });
    expect(api.job().status?.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    const writes = api.statusWrites.length;
    await controller.reconcile(KEY);
    expect(api.statusWrites).toHaveLength(writes);
    await controller.stop();
  });

  it('counts a pod deleted under it as failed and fails the Job at its backoff limit', async () => {
    const { api, pods, controller, events } = harness({ backoffLimit: 0 });
    await controller.reconcile(KEY);
    const [created] = api.podCreates;
    if (!created) throw new Error('no pod');
    pods.deliver('add', created);
    await controller.reconcile(KEY);
    api.pods.delete(`${NAMESPACE}/${created.metadata.name ?? ''}`);
    pods.deliver('delete', created);
    await controller.reconcile(KEY);

    const failed = api.job();
    expect(failed.status).toMatchObject({ failed: 1, ready: 0, terminating: 0 });
    expect(failed.status?.active).toBeUndefined();
    expect(failed.status?.conditions?.map((c) => [c.type, c.reason])).toEqual([
      ['FailureTarget', 'BackoffLimitExceeded'],
      ['Failed', 'BackoffLimitExceeded'],
    ]);
    expect(api.podCreates).toHaveLength(1);
    expect(events).toContain('BackoffLimitExceeded');
    await controller.stop();
  });

  it('does not take a pod it deleted itself for a failed one', async () => {
    const { api, jobs, pods, controller } = harness();
    await controller.reconcile(KEY);
    const [created] = api.podCreates;
    if (!created) throw new Error('no pod');
    pods.deliver('add', created);
    await controller.reconcile(KEY);
    jobs.deliver('update', api.job());
    // Suspending deletes the pod; its deletion reaches the cache only afterwards.
    const stored = api.job();
    stored.spec.suspend = true;
    jobs.deliver('update', api.addJob(stored));
    await controller.reconcile(KEY);
    expect(api.pods.size).toBe(0);
    pods.deliver('delete', created);
    jobs.deliver('update', api.job());
    await controller.reconcile(KEY);
    expect(api.job().status?.failed).toBeUndefined();
    expect(api.job().status?.conditions?.map((c) => [c.type, c.status])).toEqual([['Suspended', 'True']]);
    await controller.stop();
  });
});

describe('JobController and spec.managedBy', () => {
  it('leaves a Job handed to another controller alone', async () => {
    const { api, controller } = harness({ managedBy: 'example.com/elsewhere' });
    await controller.reconcile(KEY);
    expect(api.podCreates).toHaveLength(0);
    expect(api.statusWrites).toHaveLength(0);
    await controller.stop();
  });
});

describe('freshestJob', () => {
  it('prefers its own write while the cache shows a version the write replaced', () => {
    const cached = { ...job(), metadata: { ...job().metadata, resourceVersion: '5' } };
    const written = { ...job(), metadata: { ...job().metadata, resourceVersion: '6' }, status: { succeeded: 1 } };
    expect(freshestJob(cached, { job: written, replacedVersions: new Set(['4', '5']) })).toBe(written);
    const caughtUp = { ...cached, metadata: { ...cached.metadata, resourceVersion: '7' } };
    expect(freshestJob(caughtUp, { job: written, replacedVersions: new Set(['4', '5']) })).toBe(caughtUp);
    expect(freshestJob(cached, undefined)).toBe(cached);
  });
});

describe('podFromTemplate', () => {
  it('labels the pod with the Job labels, names it after the Job and makes the Job its controller', () => {
    const pod = podFromTemplate(job());
    expect(pod.metadata.generateName).toBe('pi-launcher-');
    expect(pod.metadata.labels).toEqual({
      role: 'launcher',
      'batch.kubernetes.io/controller-uid': 'job-uid',
      'batch.kubernetes.io/job-name': 'pi-launcher',
      'controller-uid': 'job-uid',
      'job-name': 'pi-launcher',
    });
    expect(pod.metadata.annotations).toEqual({ a: 'b' });
    expect(pod.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'pi-launcher', uid: 'job-uid', controller: true, blockOwnerDeletion: true },
    ]);
  });
});
