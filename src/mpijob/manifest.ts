// The two ways a job is submitted: a typed input turned into a manifest (remembering which input
// field produced which Kubernetes field, so errors point at the form field), and a manifest in
// YAML or JSON as users write them for kubectl.

import { parseAllDocuments } from 'yaml';
import {
  LABEL_KUEUE_QUEUE,
  MPIJOB_API_VERSION,
  MPIJOB_KIND,
  REPLICA_LAUNCHER,
  REPLICA_WORKER,
} from '../kube/labels.ts';
import type { MPIJobObject } from '../kube/objects.ts';
import {
  CLEAN_POD_POLICIES,
  LAUNCHER_CREATION_POLICIES,
  MPI_IMPLEMENTATIONS,
} from './model.ts';
import type { FieldIssue } from './validation.ts';

type Maybe<T> = T | null | undefined;

export interface ResourceListInput {
  cpu?: Maybe<string>;
  memory?: Maybe<string>;
  gpu?: Maybe<number>;
  extended?: Maybe<ReadonlyArray<{ name: string; quantity: string }>>;
}

export interface ResourcesInput {
  requests?: Maybe<ResourceListInput>;
  limits?: Maybe<ResourceListInput>;
}

export interface RunPolicyInput {
  cleanPodPolicy?: Maybe<'ALL' | 'RUNNING' | 'NONE'>;
  ttlSecondsAfterFinished?: Maybe<number>;
  activeDeadlineSeconds?: Maybe<number>;
  backoffLimit?: Maybe<number>;
  suspend?: Maybe<boolean>;
  managedBy?: Maybe<string>;
  schedulingPolicy?: Maybe<{
    minAvailable?: Maybe<number>;
    queue?: Maybe<string>;
    priorityClass?: Maybe<string>;
    scheduleTimeoutSeconds?: Maybe<number>;
  }>;
}

/** The typed `CreateMPIJobInput` (structurally the generated GraphQL input type). */
export interface MpiJobInput {
  name: string;
  namespace: string;
  image: string;
  command?: Maybe<readonly string[]>;
  args?: Maybe<readonly string[]>;
  launcherImage?: Maybe<string>;
  workerCommand?: Maybe<readonly string[]>;
  workerArgs?: Maybe<readonly string[]>;
  workers: number;
  slotsPerWorker?: Maybe<number>;
  launcherResources?: Maybe<ResourcesInput>;
  workerResources?: Maybe<ResourcesInput>;
  env?: Maybe<ReadonlyArray<{ name: string; value: string }>>;
  mpiImplementation?: Maybe<'OPENMPI' | 'INTEL' | 'MPICH'>;
  launcherCreationPolicy?: Maybe<'AT_STARTUP' | 'WAIT_FOR_WORKERS_READY'>;
  runLauncherAsWorker?: Maybe<boolean>;
  sshAuthMountPath?: Maybe<string>;
  runPolicy?: Maybe<RunPolicyInput>;
  queue?: Maybe<string>;
  labels?: Maybe<ReadonlyArray<{ key: string; value: string }>>;
  annotations?: Maybe<ReadonlyArray<{ key: string; value: string }>>;
}

/** The container name the gateway gives the main container of typed jobs. */
export const MAIN_CONTAINER = 'main';
const GPU_RESOURCE = 'nvidia.com/gpu';

function reverse<T extends Record<string, string>>(table: T, value: string): string | undefined {
  return Object.entries(table).find(([, v]) => v === value)?.[0];
}

function resourceList(input: Maybe<ResourceListInput>): Record<string, string> | undefined {
  if (!input) return undefined;
  const out: Record<string, string> = {};
  if (input.cpu != null) out['cpu'] = input.cpu;
  if (input.memory != null) out['memory'] = input.memory;
  if (input.gpu != null) out[GPU_RESOURCE] = String(input.gpu);
  for (const e of input.extended ?? []) out[e.name] = e.quantity;
  return Object.keys(out).length > 0 ? out : undefined;
}

function resources(input: Maybe<ResourcesInput>): Record<string, Record<string, string>> | undefined {
  const requests = resourceList(input?.requests);
  const limits = resourceList(input?.limits);
  if (!requests && !limits) return undefined;
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

function labelMap(list: Maybe<ReadonlyArray<{ key: string; value: string }>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of list ?? []) out[key] = value;
  return out;
}

function compact<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

export interface BuiltManifest {
  manifest: MPIJobObject;
  /** The GraphQL input path for a Kubernetes field path of this manifest. */
  inputPath(field: string): string[];
}

const CONTAINER = (type: string): string => `spec.mpiReplicaSpecs[${type}].template.spec.containers[0]`;

function resourceFieldPath(field: string, prefix: string, inputName: string): string[] | undefined {
  if (!field.startsWith(prefix)) return undefined;
  const rest = field.slice(prefix.length); // `.requests[cpu]`
  const match = /^\.(requests|limits)\[([^\]]+)\]/.exec(rest);
  if (!match) return ['input', inputName];
  const [, kind = '', resource = ''] = match;
  const key = resource === 'cpu' || resource === 'memory' ? resource : resource === GPU_RESOURCE ? 'gpu' : 'extended';
  return ['input', inputName, kind, key];
}

/**
 * Maps a Kubernetes field path back onto the typed input. Longest prefix wins; anything not
 * listed falls back to the whole input.
 */
function typedInputPath(field: string): string[] {
  for (const [type, resourcesName, imageName, commandName, argsName] of [
    [REPLICA_LAUNCHER, 'launcherResources', 'launcherImage', 'command', 'args'],
    [REPLICA_WORKER, 'workerResources', 'image', 'workerCommand', 'workerArgs'],
  ] as const) {
    const container = CONTAINER(type);
    const resourcePath = resourceFieldPath(field, `${container}.resources`, resourcesName);
    if (resourcePath) return resourcePath;
    if (field === `${container}.image`) return ['input', type === REPLICA_LAUNCHER ? imageName : 'image'];
    if (field.startsWith(`${container}.command`)) return ['input', commandName];
    if (field.startsWith(`${container}.args`)) return ['input', argsName];
    const env = /\.env\[(\d+)\]/.exec(field.slice(container.length));
    if (field.startsWith(`${container}.env`) && env) return ['input', 'env', env[1] ?? '0'];
  }
  const table: Array<[string, string[]]> = [
    [`metadata.labels[${LABEL_KUEUE_QUEUE}]`, ['input', 'queue']],
    ['metadata.name', ['input', 'name']],
    ['metadata.namespace', ['input', 'namespace']],
    ['metadata.labels', ['input', 'labels']],
    ['metadata.annotations', ['input', 'annotations']],
    [`spec.mpiReplicaSpecs[${REPLICA_WORKER}].replicas`, ['input', 'workers']],
    ['spec.slotsPerWorker', ['input', 'slotsPerWorker']],
    ['spec.mpiImplementation', ['input', 'mpiImplementation']],
    ['spec.launcherCreationPolicy', ['input', 'launcherCreationPolicy']],
    ['spec.runLauncherAsWorker', ['input', 'runLauncherAsWorker']],
    ['spec.sshAuthMountPath', ['input', 'sshAuthMountPath']],
    ['spec.runPolicy.schedulingPolicy', ['input', 'runPolicy', 'schedulingPolicy']],
  ];
  for (const [prefix, path] of table) {
    if (field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`)) {
      const scheduling = /^spec\.runPolicy\.schedulingPolicy\.(\w+)/.exec(field);
      return scheduling?.[1] ? [...path, scheduling[1]] : path;
    }
  }
  const runPolicy = /^spec\.runPolicy\.(\w+)/.exec(field);
  if (runPolicy?.[1]) return ['input', 'runPolicy', runPolicy[1]];
  return ['input'];
}

/** Builds the manifest the typed input stands for; validation runs on the result. */
export function buildManifest(input: MpiJobInput): BuiltManifest {
  const labels = labelMap(input.labels);
  if (input.queue != null && input.queue !== '') labels[LABEL_KUEUE_QUEUE] = input.queue;
  const annotations = labelMap(input.annotations);
  const env = (input.env ?? []).map((e) => ({ name: e.name, value: e.value }));
  const container = (image: string, command: Maybe<readonly string[]>, args: Maybe<readonly string[]>, res: Maybe<ResourcesInput>) =>
    compact({
      name: MAIN_CONTAINER,
      image,
      command: command ? [...command] : undefined,
      args: args ? [...args] : undefined,
      env: env.length > 0 ? env : undefined,
      resources: resources(res),
    });
  const policy = input.runPolicy;
  const runPolicy = policy
    ? compact({
        cleanPodPolicy: policy.cleanPodPolicy ? reverse(CLEAN_POD_POLICIES, policy.cleanPodPolicy) : undefined,
        ttlSecondsAfterFinished: policy.ttlSecondsAfterFinished,
        activeDeadlineSeconds: policy.activeDeadlineSeconds,
        backoffLimit: policy.backoffLimit,
        suspend: policy.suspend,
        managedBy: policy.managedBy,
        schedulingPolicy: policy.schedulingPolicy ? compact({ ...policy.schedulingPolicy }) : undefined,
      })
    : undefined;
  const manifest = {
    apiVersion: MPIJOB_API_VERSION,
    kind: MPIJOB_KIND,
    metadata: compact({
      name: input.name,
      namespace: input.namespace,
      labels: Object.keys(labels).length > 0 ? labels : undefined,
      annotations: Object.keys(annotations).length > 0 ? annotations : undefined,
    }),
    spec: compact({
      slotsPerWorker: input.slotsPerWorker,
      runLauncherAsWorker: input.runLauncherAsWorker,
      sshAuthMountPath: input.sshAuthMountPath,
      mpiImplementation: input.mpiImplementation ? reverse(MPI_IMPLEMENTATIONS, input.mpiImplementation) : undefined,
      launcherCreationPolicy: input.launcherCreationPolicy
        ? reverse(LAUNCHER_CREATION_POLICIES, input.launcherCreationPolicy)
        : undefined,
      runPolicy,
      mpiReplicaSpecs: {
        [REPLICA_LAUNCHER]: {
          replicas: 1,
          template: { spec: { containers: [container(input.launcherImage ?? input.image, input.command, input.args, input.launcherResources)] } },
        },
        [REPLICA_WORKER]: {
          replicas: input.workers,
          template: { spec: { containers: [container(input.image, input.workerCommand, input.workerArgs, input.workerResources)] } },
        },
      },
    }),
  } as MPIJobObject;
  return { manifest, inputPath: typedInputPath };
}

export type ParsedManifest = { ok: true; manifest: Record<string, unknown> } | { ok: false; issue: FieldIssue };

/** Parses one YAML or JSON document (JSON is YAML); several documents or a non-object are refused. */
export function parseManifest(text: string): ParsedManifest {
  const documents = parseAllDocuments(text, { prettyErrors: true }).filter((d) => d.contents !== null || d.errors.length > 0);
  if (documents.length === 0) return { ok: false, issue: { field: '', message: 'the manifest is empty' } };
  if (documents.length > 1) {
    return { ok: false, issue: { field: '', message: `the manifest holds ${documents.length} documents; submit one MPIJob at a time` } };
  }
  const [document] = documents;
  const error = document?.errors[0];
  if (!document || error) {
    return { ok: false, issue: { field: '', message: `the manifest does not parse: ${error?.message.split('\n')[0] ?? 'unknown error'}` } };
  }
  const value: unknown = document.toJS({ maxAliasCount: 100 });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, issue: { field: '', message: 'the manifest must be a single object (kind: MPIJob)' } };
  }
  return { ok: true, manifest: value as Record<string, unknown> };
}
