// The controllers' only way to the API: @kubernetes/client-node, so they can drive the embedded
// emulator or a real kube-apiserver alike. The typed APIs return model objects with Date fields;
// the controllers work on wire JSON (string timestamps), so every result is turned back into
// JSON here, in one place, and nothing else converts.

import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  ServerConfiguration,
  createConfiguration,
  setHeaderMiddleware,
  setHeaderOptions,
  type Configuration,
  type KubeConfig,
  type RequestContext,
} from '@kubernetes/client-node';
import type {
  ConfigMap,
  CoreEvent,
  Job,
  KubeObject,
  MPIJob,
  Node,
  Pod,
  Secret,
  Service,
} from './objects.ts';

export const MPIJOB_GROUP = 'kubeflow.org';
export const MPIJOB_VERSION = 'v2beta1';
export const MPIJOB_PLURAL = 'mpijobs';
export const MPIJOB_API_VERSION = `${MPIJOB_GROUP}/${MPIJOB_VERSION}`;
export const MPIJOB_KIND = 'MPIJob';

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
}

/** The verbs the controllers use on one kind. `namespace` is '' for cluster-scoped kinds. */
export interface KindClient<T extends KubeObject> {
  /** Watch path for every namespace (`/api/v1/pods`). */
  readonly watchPath: string;
  list(): Promise<ListResult<T>>;
  get(namespace: string, name: string): Promise<T>;
  create(namespace: string, obj: T): Promise<T>;
  /** JSON merge patch (RFC 7386) of the main resource. */
  patch(namespace: string, name: string, patch: object): Promise<T>;
  /** JSON merge patch of the status subresource. */
  patchStatus(namespace: string, name: string, patch: object): Promise<T>;
  /** PUT of the status subresource; `obj.metadata.resourceVersion` is the optimistic lock. */
  replaceStatus(namespace: string, name: string, obj: T): Promise<T>;
  delete(namespace: string, name: string, options?: DeleteOptions): Promise<void>;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const USER_AGENT = 'mpijob-gateway-simulated-controllers';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * API configuration whose requests share one connection pool. client-node builds a new undici
 * Agent for every request, so each call would pay a fresh TLS handshake and leave an idle
 * socket behind; the controllers make many small calls, so the first request's agent (same
 * cluster, same credentials) is kept and handed to every later request.
 */
function pooledConfiguration(kubeConfig: KubeConfig): { configuration: Configuration; close(): Promise<void> } {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  let shared: Dispatcher | undefined;
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    middleware: [setHeaderMiddleware('User-Agent', USER_AGENT)],
    promiseMiddleware: [
      {
        pre: async (context) => {
          if (shared) context.setDispatcher(shared);
          else shared = context.getDispatcher();
          return context;
        },
        post: async (response) => response,
      },
    ],
  });
  return {
    configuration,
    async close() {
      await shared?.close();
      shared = undefined;
    },
  };
}

/**
 * Model objects back to wire JSON. The models of the kinds used here name their properties as
 * the JSON does, and Dates serialise through toJSON as RFC 3339, so a JSON round trip is exact.
 */
function toWire<T>(typed: unknown): T {
  return JSON.parse(JSON.stringify(typed)) as T;
}

/**
 * Wire JSON handed to a typed call. client-node's serializer copies the model's known properties
 * and passes string timestamps through unchanged (it converts only Date instances), so the wire
 * form is a valid request body as it is.
 */
function asModel<T>(wire: unknown): T {
  return wire as T;
}

function listOf<T>(typed: unknown): ListResult<T> {
  const wire = toWire<{ items?: T[]; metadata?: { resourceVersion?: string } }>(typed);
  return { items: wire.items ?? [], resourceVersion: wire.metadata?.resourceVersion ?? '' };
}

interface TypedVerbs {
  list(): Promise<unknown>;
  get(namespace: string, name: string): Promise<unknown>;
  create(namespace: string, body: never): Promise<unknown>;
  patch(namespace: string, name: string, body: object): Promise<unknown>;
  patchStatus(namespace: string, name: string, body: object): Promise<unknown>;
  replaceStatus(namespace: string, name: string, body: never): Promise<unknown>;
  delete(namespace: string, name: string, options: DeleteOptions): Promise<unknown>;
}

function typedKind<T extends KubeObject>(watchPath: string, verbs: TypedVerbs): KindClient<T> {
  return {
    watchPath,
    list: async () => listOf<T>(await verbs.list()),
    get: async (namespace, name) => toWire<T>(await verbs.get(namespace, name)),
    create: async (namespace, obj) => toWire<T>(await verbs.create(namespace, asModel<never>(obj))),
    patch: async (namespace, name, patch) => toWire<T>(await verbs.patch(namespace, name, patch)),
    patchStatus: async (namespace, name, patch) => toWire<T>(await verbs.patchStatus(namespace, name, patch)),
    replaceStatus: async (namespace, name, obj) => toWire<T>(await verbs.replaceStatus(namespace, name, asModel<never>(obj))),
    delete: async (namespace, name, options = {}) => {
      await verbs.delete(namespace, name, options);
    },
  };
}

/** Typed access to every kind the simulated controllers touch. */
export class ClusterClient {
  readonly core: CoreV1Api;
  readonly batch: BatchV1Api;
  readonly custom: CustomObjectsApi;
  readonly pods: KindClient<Pod>;
  readonly jobs: KindClient<Job>;
  readonly nodes: KindClient<Node>;
  readonly configMaps: KindClient<ConfigMap>;
  readonly secrets: KindClient<Secret>;
  readonly services: KindClient<Service>;
  readonly mpiJobs: KindClient<MPIJob>;

  private readonly closePool: () => Promise<void>;

  constructor(kubeConfig: KubeConfig) {
    const pool = pooledConfiguration(kubeConfig);
    this.closePool = () => pool.close();
    const core = new CoreV1Api(pool.configuration);
    const batch = new BatchV1Api(pool.configuration);
    const custom = new CustomObjectsApi(pool.configuration);
    this.core = core;
    this.batch = batch;
    this.custom = custom;

    this.pods = typedKind<Pod>('/api/v1/pods', {
      list: () => core.listPodForAllNamespaces(),
      get: (namespace, name) => core.readNamespacedPod({ namespace, name }),
      create: (namespace, body) => core.createNamespacedPod({ namespace, body }),
      patch: (namespace, name, body) => core.patchNamespacedPod({ namespace, name, body }, MERGE_PATCH),
      patchStatus: (namespace, name, body) => core.patchNamespacedPodStatus({ namespace, name, body }, MERGE_PATCH),
      replaceStatus: (namespace, name, body) => core.replaceNamespacedPodStatus({ namespace, name, body }),
      delete: (namespace, name, o) => core.deleteNamespacedPod({ namespace, name, ...o }),
    });
    this.jobs = typedKind<Job>('/apis/batch/v1/jobs', {
      list: () => batch.listJobForAllNamespaces(),
      get: (namespace, name) => batch.readNamespacedJob({ namespace, name }),
      create: (namespace, body) => batch.createNamespacedJob({ namespace, body }),
      patch: (namespace, name, body) => batch.patchNamespacedJob({ namespace, name, body }, MERGE_PATCH),
      patchStatus: (namespace, name, body) => batch.patchNamespacedJobStatus({ namespace, name, body }, MERGE_PATCH),
      replaceStatus: (namespace, name, body) => batch.replaceNamespacedJobStatus({ namespace, name, body }),
      delete: (namespace, name, o) => batch.deleteNamespacedJob({ namespace, name, ...o }),
    });
    this.nodes = typedKind<Node>('/api/v1/nodes', {
      list: () => core.listNode(),
      get: (_namespace, name) => core.readNode({ name }),
      create: (_namespace, body) => core.createNode({ body }),
      patch: (_namespace, name, body) => core.patchNode({ name, body }, MERGE_PATCH),
      patchStatus: (_namespace, name, body) => core.patchNodeStatus({ name, body }, MERGE_PATCH),
      replaceStatus: (_namespace, name, body) => core.replaceNodeStatus({ name, body }),
      delete: (_namespace, name, o) => core.deleteNode({ name, ...o }),
    });
    const noStatus = (): Promise<never> => Promise.reject(new Error('this kind has no status subresource'));
    this.configMaps = typedKind<ConfigMap>('/api/v1/configmaps', {
      list: () => core.listConfigMapForAllNamespaces(),
      get: (namespace, name) => core.readNamespacedConfigMap({ namespace, name }),
      create: (namespace, body) => core.createNamespacedConfigMap({ namespace, body }),
      patch: (namespace, name, body) => core.patchNamespacedConfigMap({ namespace, name, body }, MERGE_PATCH),
      patchStatus: noStatus,
      replaceStatus: noStatus,
      delete: (namespace, name, o) => core.deleteNamespacedConfigMap({ namespace, name, ...o }),
    });
    this.secrets = typedKind<Secret>('/api/v1/secrets', {
      list: () => core.listSecretForAllNamespaces(),
      get: (namespace, name) => core.readNamespacedSecret({ namespace, name }),
      create: (namespace, body) => core.createNamespacedSecret({ namespace, body }),
      patch: (namespace, name, body) => core.patchNamespacedSecret({ namespace, name, body }, MERGE_PATCH),
      patchStatus: noStatus,
      replaceStatus: noStatus,
      delete: (namespace, name, o) => core.deleteNamespacedSecret({ namespace, name, ...o }),
    });
    this.services = typedKind<Service>('/api/v1/services', {
      list: () => core.listServiceForAllNamespaces(),
      get: (namespace, name) => core.readNamespacedService({ namespace, name }),
      create: (namespace, body) => core.createNamespacedService({ namespace, body }),
      patch: (namespace, name, body) => core.patchNamespacedService({ namespace, name, body }, MERGE_PATCH),
      patchStatus: (namespace, name, body) => core.patchNamespacedServiceStatus({ namespace, name, body }, MERGE_PATCH),
      replaceStatus: (namespace, name, body) => core.replaceNamespacedServiceStatus({ namespace, name, body }),
      delete: (namespace, name, o) => core.deleteNamespacedService({ namespace, name, ...o }),
    });

    const crd = { group: MPIJOB_GROUP, version: MPIJOB_VERSION, plural: MPIJOB_PLURAL };
    const asMPIJob = (value: unknown): MPIJob => value as MPIJob;
    this.mpiJobs = {
      watchPath: `/apis/${MPIJOB_GROUP}/${MPIJOB_VERSION}/${MPIJOB_PLURAL}`,
      list: async () => {
        const list = (await custom.listClusterCustomObject(crd)) as { items?: MPIJob[]; metadata?: { resourceVersion?: string } };
        return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
      },
      get: async (namespace, name) => asMPIJob(await custom.getNamespacedCustomObject({ ...crd, namespace, name })),
      create: async (namespace, body) => asMPIJob(await custom.createNamespacedCustomObject({ ...crd, namespace, body })),
      patch: async (namespace, name, body) =>
        asMPIJob(await custom.patchNamespacedCustomObject({ ...crd, namespace, name, body }, MERGE_PATCH)),
      patchStatus: async (namespace, name, body) =>
        asMPIJob(await custom.patchNamespacedCustomObjectStatus({ ...crd, namespace, name, body }, MERGE_PATCH)),
      replaceStatus: async (namespace, name, body) =>
        asMPIJob(await custom.replaceNamespacedCustomObjectStatus({ ...crd, namespace, name, body })),
      delete: async (namespace, name, o = {}) => {
        await custom.deleteNamespacedCustomObject({ ...crd, namespace, name, ...o });
      },
    };
  }

  /** Closes the pooled connections; calls made afterwards open a new pool. */
  close(): Promise<void> {
    return this.closePool();
  }

  async createEvent(namespace: string, event: CoreEvent): Promise<CoreEvent> {
    return toWire<CoreEvent>(await this.core.createNamespacedEvent({ namespace, body: asModel(event) }));
  }

  async patchEvent(namespace: string, name: string, patch: object): Promise<CoreEvent> {
    return toWire<CoreEvent>(await this.core.patchNamespacedEvent({ namespace, name, body: patch }, MERGE_PATCH));
  }
}

// ---------------------------------------------------------------------------------------------
// Errors. client-node throws ApiException with the HTTP code and the raw Status body as text.

export interface ApiFailure {
  code: number;
  reason: string;
  message: string;
}

/** The HTTP code, Status reason and message of a failed call; code 0 for network errors. */
export function apiFailure(err: unknown): ApiFailure {
  if (err instanceof ApiException) {
    const code = typeof err.code === 'number' ? err.code : 0;
    let reason = '';
    let message = '';
    const body: unknown = err.body;
    let parsed: unknown = body;
    if (typeof body === 'string') {
      try {
        parsed = JSON.parse(body);
      } catch {
        message = body;
      }
    }
    if (typeof parsed === 'object' && parsed !== null) {
      const status = parsed as { reason?: unknown; message?: unknown };
      if (typeof status.reason === 'string') reason = status.reason;
      if (typeof status.message === 'string') message = status.message;
    }
    return { code, reason, message: message || `HTTP ${code}` };
  }
  const code = typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 0;
  return { code, reason: '', message: err instanceof Error ? err.message : String(err) };
}

export function isNotFound(err: unknown): boolean {
  return apiFailure(err).code === 404;
}

export function isAlreadyExists(err: unknown): boolean {
  const failure = apiFailure(err);
  return failure.code === 409 && failure.reason === 'AlreadyExists';
}

export function isConflict(err: unknown): boolean {
  const failure = apiFailure(err);
  return failure.code === 409 && failure.reason !== 'AlreadyExists';
}

/** Runs a delete and treats 404 as done: the object is gone either way. */
export async function deleteIgnoringNotFound(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
