import { beforeEach, describe, expect, it } from 'vitest';
import type { AdmissionRequest, InternalStore, StoreChange, WatchEventType } from '../admission.ts';
import { findResource, type ResourceInfo } from '../resources.ts';
import { StatusError } from '../status.ts';
import type { KubeObject } from '../types.ts';
import { quotaAdmission, startQuotaStatusController } from './quota.ts';

function resource(group: string, version: string, plural: string): ResourceInfo {
  const info = findResource(group, version, plural);
  if (!info) throw new Error(`no ${plural}`);
  return info;
}

const PODS = resource('', 'v1', 'pods');
const QUOTAS = resource('', 'v1', 'resourcequotas');
const CONFIGMAPS = resource('', 'v1', 'configmaps');
const EVENTS = resource('', 'v1', 'events');
const MPIJOBS = resource('kubeflow.org', 'v2beta1', 'mpijobs');

const NAMESPACE = 'team-a';

/** Just enough of the real store: objects by kind, namespace and name; changes delivered in commit order. */
class MemoryStore implements InternalStore {
  readonly statusWrites: string[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private readonly pending: StoreChange[] = [];
  private delivering = false;
  private resourceVersion = 0;

  private key(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return `${info.group}/${info.resource}/${namespace ?? ''}/${name}`;
  }

  list(info: ResourceInfo, namespace?: string): KubeObject[] {
    const prefix = `${info.group}/${info.resource}/`;
    return [...this.objects.entries()]
      .filter(([key, object]) => key.startsWith(prefix) && (namespace === undefined || object.metadata.namespace === namespace))
      .map(([, object]) => structuredClone(object));
  }

  get(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.objects.get(this.key(info, namespace, name));
    return object && structuredClone(object);
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  writeStatus(info: ResourceInfo, namespace: string | undefined, name: string, status: unknown): void {
    const old = this.get(info, namespace, name);
    if (!old) return;
    this.statusWrites.push(`${info.resource}/${name}`);
    this.commit('MODIFIED', info, { ...old, status });
  }

  put(info: ResourceInfo, object: KubeObject): KubeObject {
    const exists = this.objects.has(this.key(info, object.metadata.namespace, object.metadata.name ?? ''));
    return this.commit(exists ? 'MODIFIED' : 'ADDED', info, object);
  }

  remove(info: ResourceInfo, name: string): void {
    const key = this.key(info, NAMESPACE, name);
    const object = this.objects.get(key);
    if (!object) throw new Error(`no ${name}`);
    this.objects.delete(key);
    this.deliver({ type: 'DELETED', info, object });
  }

  private commit(type: WatchEventType, info: ResourceInfo, object: KubeObject): KubeObject {
    this.resourceVersion += 1;
    const stored = structuredClone({ ...object, metadata: { ...object.metadata, resourceVersion: String(this.resourceVersion) } });
    this.objects.set(this.key(info, stored.metadata.namespace, stored.metadata.name ?? ''), stored);
    this.deliver({ type, info, object: stored });
    return stored;
  }

  private deliver(change: StoreChange): void {
    this.pending.push(change);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) {
        for (const listener of [...this.listeners]) listener(next);
      }
    } finally {
      this.delivering = false;
    }
  }
}

interface ContainerSpec {
  name?: string;
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
  restartPolicy?: string;
}

function container({ name = 'main', requests, limits, restartPolicy }: ContainerSpec): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  if (requests) resources.requests = requests;
  if (limits) resources.limits = limits;
  return { name, image: 'busybox', resources, ...(restartPolicy ? { restartPolicy } : {}) };
}

function pod(
  name: string,
  containers: ContainerSpec[],
  options: { phase?: string; initContainers?: ContainerSpec[]; spec?: Record<string, unknown> } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: { containers: containers.map(container), initContainers: (options.initContainers ?? []).map(container), ...options.spec },
    status: { phase: options.phase ?? 'Running' },
  };
}

function quota(name: string, hard: Record<string, string | number>, spec: Record<string, unknown> = {}, namespace = NAMESPACE): KubeObject {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace }, spec: { hard, ...spec } };
}

function simple(kind: string, name: string): KubeObject {
  return { kind, metadata: { name, namespace: NAMESPACE } };
}

function createRequest(info: ResourceInfo, object: KubeObject, name = object.metadata.name ?? ''): AdmissionRequest {
  return {
    operation: 'CREATE',
    info,
    namespace: NAMESPACE,
    name,
    object,
    oldObject: undefined,
    dryRun: false,
    user: { username: 'alice', groups: ['system:authenticated'] },
  };
}

/** Runs the plugin as the REST layer does, then stores the object. */
function create(store: MemoryStore, info: ResourceInfo, object: KubeObject): KubeObject {
  const req = createRequest(info, object);
  const mutated = quotaAdmission.mutate?.(req, store) ?? object;
  quotaAdmission.validate?.({ ...req, object: mutated }, store);
  return store.put(info, mutated);
}

function refusal(store: MemoryStore, req: AdmissionRequest): StatusError {
  try {
    quotaAdmission.validate?.(req, store);
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('the request was admitted');
}

function statusOf(store: MemoryStore, name: string): unknown {
  return store.get(QUOTAS, NAMESPACE, name)?.status;
}

describe('quotaAdmission on pods', () => {
  let store: MemoryStore;
  beforeEach(() => {
    store = new MemoryStore();
  });

  it('refuses a pod over quota with the exact message of the real server', () => {
    store.put(QUOTAS, quota('team-a-quota', { pods: 4, 'limits.cpu': 8 }));
    for (const [index, cpu] of ['2', '2', '2', '1'].entries()) store.put(PODS, pod(`pi-worker-x${index}`, [{ limits: { cpu } }]));
    const error = refusal(store, createRequest(PODS, pod('pi-worker-1', [{ limits: { cpu: 2 } }])));
    expect(error.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'pods "pi-worker-1" is forbidden: exceeded quota: team-a-quota, requested: limits.cpu=2,pods=1, used: limits.cpu=7,pods=4, limited: limits.cpu=8,pods=4',
      reason: 'Forbidden',
      details: { name: 'pi-worker-1', kind: 'pods' },
      code: 403,
    });
  });

  it('lists only the resources that would go over', () => {
    store.put(QUOTAS, quota('q', { pods: 10, 'requests.memory': '1Gi' }));
    store.put(PODS, pod('a', [{ requests: { memory: '768Mi' } }]));
    const error = refusal(store, createRequest(PODS, pod('b', [{ requests: { memory: '512Mi' } }])));
    expect(error.body.message).toBe(
      'pods "b" is forbidden: exceeded quota: q, requested: requests.memory=512Mi, used: requests.memory=768Mi, limited: requests.memory=1Gi',
    );
  });

  it('admits a pod that fits exactly', () => {
    store.put(QUOTAS, quota('q', { 'requests.cpu': '1' }));
    store.put(PODS, pod('a', [{ requests: { cpu: '500m' } }]));
    expect(() => create(store, PODS, pod('b', [{ requests: { cpu: '0.5' } }]))).not.toThrow();
    expect(() => create(store, PODS, pod('c', [{ requests: { cpu: '1m' } }]))).toThrow(
      'exceeded quota: q, requested: requests.cpu=1m, used: requests.cpu=1, limited: requests.cpu=1',
    );
  });

  it('counts bare cpu and memory as requests', () => {
    store.put(QUOTAS, quota('q', { cpu: '2', memory: '1Gi' }));
    const error = refusal(store, createRequest(PODS, pod('a', [{ requests: { cpu: '3', memory: '2Gi' } }])));
    expect(error.body.message).toBe('pods "a" is forbidden: exceeded quota: q, requested: cpu=3,memory=2Gi, used: cpu=0,memory=0, limited: cpu=2,memory=1Gi');
  });

  it('leaves terminal pods out of pods and compute usage but not out of count/pods', () => {
    store.put(QUOTAS, quota('q', { pods: 1, 'count/pods': 3, 'requests.cpu': 1 }));
    store.put(PODS, pod('done', [{ requests: { cpu: 1 } }], { phase: 'Succeeded' }));
    store.put(PODS, pod('failed', [{ requests: { cpu: 1 } }], { phase: 'Failed' }));
    expect(() => create(store, PODS, pod('new', [{ requests: { cpu: 1 } }], { phase: 'Pending' }))).not.toThrow();
    expect(refusal(store, createRequest(PODS, pod('more', [{ requests: { cpu: '0' } }]))).body.message).toBe(
      'pods "more" is forbidden: exceeded quota: q, requested: count/pods=1,pods=1, used: count/pods=3,pods=1, limited: count/pods=3,pods=1',
    );
  });

  it('refuses a pod whose containers do not declare a quota-limited cpu or memory, naming them', () => {
    store.put(QUOTAS, quota('compute', { 'limits.cpu': 8, 'requests.memory': '8Gi', 'requests.nvidia.com/gpu': 4 }));
    const bad = pod('p', [{ name: 'main', limits: { cpu: 1 } }, { name: 'sidecar' }], { initContainers: [{ name: 'setup', requests: { memory: '1Gi' } }] });
    expect(refusal(store, createRequest(PODS, bad)).body.message).toBe(
      'pods "p" is forbidden: failed quota: compute: must specify limits.cpu for: setup,sidecar; requests.memory for: main,sidecar',
    );
  });

  it('takes a limit without a request as the request, as API defaulting does', () => {
    store.put(QUOTAS, quota('q', { 'requests.cpu': 2, 'requests.memory': '1Gi' }));
    const error = refusal(store, createRequest(PODS, pod('p', [{ limits: { cpu: 3, memory: '1Gi' } }])));
    expect(error.body.message).toBe('pods "p" is forbidden: exceeded quota: q, requested: requests.cpu=3, used: requests.cpu=0, limited: requests.cpu=2');
  });

  it('charges an extended resource such as a GPU through its requests key', () => {
    store.put(QUOTAS, quota('gpus', { 'requests.nvidia.com/gpu': 4 }));
    store.put(PODS, pod('a', [{ limits: { 'nvidia.com/gpu': 4 } }]));
    expect(refusal(store, createRequest(PODS, pod('b', [{ limits: { 'nvidia.com/gpu': 2 } }]))).body.message).toBe(
      'pods "b" is forbidden: exceeded quota: gpus, requested: requests.nvidia.com/gpu=2, used: requests.nvidia.com/gpu=4, limited: requests.nvidia.com/gpu=4',
    );
    expect(() => create(store, PODS, pod('cpu-only', [{ requests: { cpu: 1 } }]))).not.toThrow();
  });

  it('says "pods is forbidden" when the pod has no name yet', () => {
    store.put(QUOTAS, quota('q', { pods: 0 }));
    const req = createRequest(PODS, { ...pod('', []), metadata: { generateName: 'pi-', namespace: NAMESPACE } }, '');
    expect(refusal(store, req).body.message).toBe('pods is forbidden: exceeded quota: q, requested: pods=1, used: pods=0, limited: pods=0');
  });

  it('applies only the quotas of the pod namespace', () => {
    store.put(QUOTAS, quota('elsewhere', { pods: 0 }, {}, 'team-b'));
    expect(() => create(store, PODS, pod('a', []))).not.toThrow();
  });

  it('applies a scoped quota only to the pods its scopes select', () => {
    store.put(QUOTAS, quota('best-effort', { pods: 0 }, { scopes: ['BestEffort'] }));
    store.put(QUOTAS, quota('high', { pods: 0 }, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }));
    expect(() => create(store, PODS, pod('burstable', [{ requests: { cpu: '100m' } }]))).not.toThrow();
    expect(refusal(store, createRequest(PODS, pod('free', [{}]))).body.message).toContain('exceeded quota: best-effort,');
    const urgent = pod('urgent', [{ requests: { cpu: 1 } }], { spec: { priorityClassName: 'high' } });
    expect(refusal(store, createRequest(PODS, urgent)).body.message).toContain('exceeded quota: high,');
  });

  it('checks creates only, not updates', () => {
    store.put(QUOTAS, quota('q', { pods: 0 }));
    const req: AdmissionRequest = { ...createRequest(PODS, pod('a', [])), operation: 'UPDATE', oldObject: pod('a', []) };
    expect(() => quotaAdmission.validate?.(req, store)).not.toThrow();
  });
});

describe('quotaAdmission on object counts', () => {
  let store: MemoryStore;
  beforeEach(() => {
    store = new MemoryStore();
  });

  it('counts custom resources under count/<resource>.<group>', () => {
    store.put(QUOTAS, quota('jobs', { 'count/mpijobs.kubeflow.org': 1 }));
    create(store, MPIJOBS, simple('MPIJob', 'pi'));
    const error = refusal(store, createRequest(MPIJOBS, simple('MPIJob', 'pi2')));
    expect(error.body.message).toBe(
      'mpijobs.kubeflow.org "pi2" is forbidden: exceeded quota: jobs, requested: count/mpijobs.kubeflow.org=1, used: count/mpijobs.kubeflow.org=1, limited: count/mpijobs.kubeflow.org=1',
    );
    expect(error.body.details).toEqual({ name: 'pi2', group: 'kubeflow.org', kind: 'mpijobs' });
  });

  it('counts config maps under both count/configmaps and the legacy configmaps key', () => {
    store.put(QUOTAS, quota('q', { configmaps: 1, 'count/configmaps': 5 }));
    create(store, CONFIGMAPS, simple('ConfigMap', 'one'));
    expect(refusal(store, createRequest(CONFIGMAPS, simple('ConfigMap', 'two'))).body.message).toBe(
      'configmaps "two" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=1, limited: configmaps=1',
    );
  });

  it('does not apply a scoped quota to anything but pods', () => {
    store.put(QUOTAS, quota('scoped', { 'count/configmaps': 0 }, { scopes: ['NotTerminating'] }));
    expect(() => create(store, CONFIGMAPS, simple('ConfigMap', 'one'))).not.toThrow();
  });

  it('lets kinds no quota counts through', () => {
    store.put(QUOTAS, quota('q', { pods: 0, 'count/configmaps': 0 }));
    expect(() => create(store, MPIJOBS, simple('MPIJob', 'pi'))).not.toThrow();
  });
});

describe('quotaAdmission on quotas', () => {
  it('stores spec.hard in canonical form', () => {
    const store = new MemoryStore();
    const stored = create(store, QUOTAS, quota('q', { 'requests.cpu': '0.5', 'limits.memory': '1.5Gi', pods: 10, bogus: 'lots' }));
    expect(stored.spec).toEqual({ hard: { 'requests.cpu': '500m', 'limits.memory': '1536Mi', pods: '10', bogus: 'lots' } });
  });
});

describe('startQuotaStatusController', () => {
  let store: MemoryStore;
  beforeEach(() => {
    store = new MemoryStore();
  });

  it('fills the status of existing quotas when it starts', () => {
    store.put(QUOTAS, quota('q', { pods: '10', 'requests.memory': '4Gi', 'count/mpijobs.kubeflow.org': 5 }));
    store.put(PODS, pod('a', [{ requests: { memory: '512Mi' } }]));
    store.put(PODS, pod('b', [{ requests: { memory: '512Mi' } }]));
    store.put(MPIJOBS, simple('MPIJob', 'pi'));
    startQuotaStatusController(store);
    expect(statusOf(store, 'q')).toEqual({
      hard: { 'count/mpijobs.kubeflow.org': '5', pods: '10', 'requests.memory': '4Gi' },
      used: { 'count/mpijobs.kubeflow.org': '1', pods: '2', 'requests.memory': '1Gi' },
    });
  });

  it('follows pods as they come, finish and go', () => {
    startQuotaStatusController(store);
    store.put(QUOTAS, quota('q', { pods: 4, 'limits.cpu': 8 }));
    expect(statusOf(store, 'q')).toEqual({ hard: { 'limits.cpu': '8', pods: '4' }, used: { 'limits.cpu': '0', pods: '0' } });
    store.put(PODS, pod('a', [{ limits: { cpu: '1500m' } }]));
    store.put(PODS, pod('b', [{ limits: { cpu: 2 } }], { initContainers: [{ name: 'init', limits: { cpu: 4 } }] }));
    expect(statusOf(store, 'q')).toEqual({ hard: { 'limits.cpu': '8', pods: '4' }, used: { 'limits.cpu': '5500m', pods: '2' } });
    store.put(PODS, pod('b', [{ limits: { cpu: 2 } }], { phase: 'Succeeded', initContainers: [{ name: 'init', limits: { cpu: 4 } }] }));
    expect(statusOf(store, 'q')).toMatchObject({ used: { 'limits.cpu': '1500m', pods: '1' } });
    store.remove(PODS, 'a');
    expect(statusOf(store, 'q')).toMatchObject({ used: { 'limits.cpu': '0', pods: '0' } });
  });

  it('counts sidecar init containers with the main containers', () => {
    startQuotaStatusController(store);
    store.put(QUOTAS, quota('q', { 'requests.cpu': 10 }));
    const withSidecar = pod('p', [{ requests: { cpu: 1 } }], {
      initContainers: [
        { name: 'proxy', requests: { cpu: '500m' }, restartPolicy: 'Always' },
        { name: 'migrate', requests: { cpu: 1 } },
      ],
    });
    store.put(PODS, withSidecar);
    expect(statusOf(store, 'q')).toMatchObject({ used: { 'requests.cpu': '1500m' } });
  });

  it('follows changes of the quota itself', () => {
    startQuotaStatusController(store);
    store.put(QUOTAS, quota('q', { pods: 4 }));
    store.put(QUOTAS, { ...quota('q', { pods: 6, 'count/configmaps': 2 }), status: statusOf(store, 'q') });
    expect(statusOf(store, 'q')).toEqual({ hard: { 'count/configmaps': '2', pods: '6' }, used: { 'count/configmaps': '0', pods: '0' } });
  });

  it('writes only when the status changes, so its own writes do not loop', () => {
    startQuotaStatusController(store);
    store.put(QUOTAS, quota('q', { pods: 4 }));
    expect(store.statusWrites).toEqual(['resourcequotas/q']);
    store.put(PODS, pod('a', []));
    store.put(PODS, pod('a', [], { phase: 'Pending' }));
    store.put(EVENTS, simple('Event', 'e1'));
    expect(store.statusWrites).toEqual(['resourcequotas/q', 'resourcequotas/q']);
  });

  it('stops following changes once stopped', () => {
    const stop = startQuotaStatusController(store);
    store.put(QUOTAS, quota('q', { pods: 4 }));
    stop();
    store.put(PODS, pod('a', []));
    expect(statusOf(store, 'q')).toMatchObject({ used: { pods: '0' } });
  });
});
