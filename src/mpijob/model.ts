// The MPIJob as the graph sees it: the stored object read with the operator's defaults, the
// phase derived from the conditions, and resource totals per pod and for the whole job.
// Models are memoised per stored object: informers replace objects on change, never mutate them.

import type {
  Container,
  JobCondition,
  MPIJobObject,
  ReplicaSpec as ReplicaSpecWire,
  RunPolicy as RunPolicyWire,
} from '../kube/objects.ts';
import { LABEL_KUEUE_QUEUE, REPLICA_LAUNCHER, REPLICA_WORKER } from '../kube/labels.ts';
import { toLabelList, type LabelModel } from '../graph/labels.ts';
import type { ConnectionModel, EdgeModel } from '../graph/connection.ts';
import { toGlobalId } from '../node/global-id.ts';
import {
  addTotals,
  containerResources,
  EMPTY_TOTALS,
  podResources,
  scaleTotals,
  toQuantityModels,
  toResourcesModel,
  type ResourceQuantityModel,
  type ResourcesModel,
  type ResourceTotals,
} from '../quota/pod-resources.ts';

export type MPIJobPhase = 'PENDING' | 'CREATED' | 'RUNNING' | 'SUSPENDED' | 'SUCCEEDED' | 'FAILED' | 'RESTARTING';
export type ReplicaType = 'LAUNCHER' | 'WORKER';
export type ConditionStatus = 'TRUE' | 'FALSE' | 'UNKNOWN';

/** Condition types the operator writes (`status.conditions[].type`). */
export const CONDITION = {
  created: 'Created',
  running: 'Running',
  restarting: 'Restarting',
  succeeded: 'Succeeded',
  suspended: 'Suspended',
  failed: 'Failed',
} as const;

const CONDITION_TRUE = 'True';

/** Spec values as the API and the Go defaulter spell them, mapped to the GraphQL enums. */
export const MPI_IMPLEMENTATIONS = { OpenMPI: 'OPENMPI', Intel: 'INTEL', MPICH: 'MPICH' } as const;
export const LAUNCHER_CREATION_POLICIES = { AtStartup: 'AT_STARTUP', WaitForWorkersReady: 'WAIT_FOR_WORKERS_READY' } as const;
export const CLEAN_POD_POLICIES = { All: 'ALL', Running: 'RUNNING', None: 'NONE' } as const;
export const RESTART_POLICIES = { Never: 'NEVER', OnFailure: 'ON_FAILURE', Always: 'ALWAYS', ExitCode: 'EXIT_CODE' } as const;

export const DEFAULTS = {
  slotsPerWorker: 1,
  sshAuthMountPath: '/root/.ssh',
  mpiImplementation: 'OpenMPI',
  launcherCreationPolicy: 'AtStartup',
  cleanPodPolicy: 'None',
  launcherReplicas: 1,
  workerReplicas: 0,
  launcherRestartPolicy: 'OnFailure',
  workerRestartPolicy: 'Never',
} as const;

type ValueOf<T> = T[keyof T];

function lookup<T extends Record<string, string>>(table: T, value: string | undefined): ValueOf<T> | null {
  if (value === undefined || !Object.hasOwn(table, value)) return null;
  return table[value as keyof T] ?? null;
}

export interface JobConditionModel {
  type: string;
  status: ConditionStatus;
  reason: string | null;
  message: string | null;
  lastUpdateTime: string | null;
  lastTransitionTime: string | null;
}

export interface ReplicaStatusModel {
  type: ReplicaType;
  active: number;
  succeeded: number;
  failed: number;
}

export interface MpiJobStatusModel {
  phase: MPIJobPhase;
  conditions: JobConditionModel[];
  replicaStatuses: ReplicaStatusModel[];
  startTime: string | null;
  completionTime: string | null;
}

export interface EnvVarModel {
  name: string;
  value: string | null;
}

export interface ContainerSpecModel {
  name: string;
  image: string | null;
  command: string[];
  args: string[];
  env: EnvVarModel[];
  resources: ResourcesModel;
}

export interface ReplicaSpecModel {
  type: ReplicaType;
  replicas: number;
  restartPolicy: ValueOf<typeof RESTART_POLICIES> | null;
  image: string | null;
  command: string[];
  args: string[];
  containers: ContainerSpecModel[];
  resourcesPerPod: ResourcesModel;
  totalResources: ResourcesModel;
}

export interface SchedulingPolicyModel {
  minAvailable: number | null;
  queue: string | null;
  priorityClass: string | null;
  scheduleTimeoutSeconds: number | null;
  minResources: ResourceQuantityModel[];
}

export interface RunPolicyModel {
  cleanPodPolicy: ValueOf<typeof CLEAN_POD_POLICIES> | null;
  ttlSecondsAfterFinished: number | null;
  activeDeadlineSeconds: number | null;
  backoffLimit: number | null;
  suspend: boolean;
  managedBy: string | null;
  schedulingPolicy: SchedulingPolicyModel | null;
}

export interface MpiJobSpecModel {
  slotsPerWorker: number;
  mpiImplementation: ValueOf<typeof MPI_IMPLEMENTATIONS> | null;
  launcherCreationPolicy: ValueOf<typeof LAUNCHER_CREATION_POLICIES> | null;
  runLauncherAsWorker: boolean;
  sshAuthMountPath: string;
  runPolicy: RunPolicyModel;
  launcher: ReplicaSpecModel | null;
  worker: ReplicaSpecModel | null;
  totalResources: ResourcesModel;
  podCount: number;
}

export interface MpiJobModel {
  readonly typename: 'MPIJob';
  object: MPIJobObject;
  id: string;
  name: string;
  namespace: string;
  uid: string;
  labels: LabelModel[];
  annotations: LabelModel[];
  createdAt: string | null;
  queue: string | null;
  phase: MPIJobPhase;
  spec: MpiJobSpecModel;
  status: MpiJobStatusModel;
  /** Requests and limits of all pods of the job, for quota arithmetic. */
  totals: ResourceTotals;
}

export type MpiJobConnectionModel = ConnectionModel<MpiJobModel>;
export type MpiJobEdgeModel = EdgeModel<MpiJobModel>;

function isTrue(conditions: readonly JobCondition[], type: string): JobCondition | undefined {
  return conditions.find((c) => c.type === type && c.status === CONDITION_TRUE);
}

function transitionTime(condition: JobCondition): number {
  const text = condition.lastTransitionTime ?? condition.lastUpdateTime;
  return text ? Date.parse(text) : 0;
}

/**
 * mpijob-api.md 1.2: Succeeded and Failed are terminal (if both are somehow True, the later one
 * wins); then Suspended, Restarting, Running and Created; no true condition at all is PENDING.
 */
export function derivePhase(conditions: readonly JobCondition[] | undefined): MPIJobPhase {
  const list = conditions ?? [];
  const succeeded = isTrue(list, CONDITION.succeeded);
  const failed = isTrue(list, CONDITION.failed);
  if (succeeded && failed) return transitionTime(failed) > transitionTime(succeeded) ? 'FAILED' : 'SUCCEEDED';
  if (succeeded) return 'SUCCEEDED';
  if (failed) return 'FAILED';
  if (isTrue(list, CONDITION.suspended)) return 'SUSPENDED';
  if (isTrue(list, CONDITION.restarting)) return 'RESTARTING';
  if (isTrue(list, CONDITION.running)) return 'RUNNING';
  if (isTrue(list, CONDITION.created)) return 'CREATED';
  return 'PENDING';
}

export function conditionStatus(status: string | undefined): ConditionStatus {
  if (status === 'True') return 'TRUE';
  if (status === 'False') return 'FALSE';
  return 'UNKNOWN';
}

function toConditionModel(c: JobCondition): JobConditionModel {
  return {
    type: c.type ?? '',
    status: conditionStatus(c.status),
    reason: c.reason ?? null,
    message: c.message ?? null,
    lastUpdateTime: c.lastUpdateTime ?? null,
    lastTransitionTime: c.lastTransitionTime ?? null,
  };
}

function int(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function toContainerModel(container: Container): ContainerSpecModel {
  return {
    name: container.name ?? '',
    image: container.image ?? null,
    command: strings(container.command),
    args: strings(container.args),
    env: (container.env ?? []).map((e) => ({ name: e.name ?? '', value: e.valueFrom ? null : (e.value ?? '') })),
    resources: toResourcesModel(containerResources(container)),
  };
}

interface ReplicaRead {
  model: ReplicaSpecModel;
  totals: ResourceTotals;
}

function readReplica(type: ReplicaType, spec: ReplicaSpecWire | undefined): ReplicaRead | null {
  if (!spec) return null;
  const launcher = type === 'LAUNCHER';
  const replicas = int(spec.replicas) ?? (launcher ? DEFAULTS.launcherReplicas : DEFAULTS.workerReplicas);
  const restart = spec.restartPolicy ?? (launcher ? DEFAULTS.launcherRestartPolicy : DEFAULTS.workerRestartPolicy);
  const containers = spec.template?.spec?.containers ?? [];
  const main = containers[0];
  const perPod = podResources(spec.template?.spec);
  const totals = scaleTotals(perPod, Math.max(replicas, 0));
  return {
    totals,
    model: {
      type,
      replicas,
      restartPolicy: lookup(RESTART_POLICIES, restart),
      image: main?.image ?? null,
      command: strings(main?.command),
      args: strings(main?.args),
      containers: containers.map(toContainerModel),
      resourcesPerPod: toResourcesModel(perPod),
      totalResources: toResourcesModel(totals),
    },
  };
}

function readRunPolicy(policy: RunPolicyWire | undefined): RunPolicyModel {
  const scheduling = policy?.schedulingPolicy;
  return {
    cleanPodPolicy: lookup(CLEAN_POD_POLICIES, policy?.cleanPodPolicy ?? DEFAULTS.cleanPodPolicy),
    ttlSecondsAfterFinished: int(policy?.ttlSecondsAfterFinished),
    activeDeadlineSeconds: int(policy?.activeDeadlineSeconds),
    backoffLimit: int(policy?.backoffLimit),
    suspend: policy?.suspend === true,
    managedBy: policy?.managedBy ?? null,
    schedulingPolicy: scheduling
      ? {
          minAvailable: int(scheduling.minAvailable),
          queue: scheduling.queue ?? null,
          priorityClass: scheduling.priorityClass ?? null,
          scheduleTimeoutSeconds: int(scheduling.scheduleTimeoutSeconds),
          minResources: toQuantityModels(scheduling.minResources),
        }
      : null,
  };
}

function readReplicaStatuses(object: MPIJobObject): ReplicaStatusModel[] {
  const statuses = object.status?.replicaStatuses ?? {};
  const out: ReplicaStatusModel[] = [];
  for (const [key, type] of [
    [REPLICA_LAUNCHER, 'LAUNCHER'],
    [REPLICA_WORKER, 'WORKER'],
  ] as const) {
    const s = statuses[key];
    if (s) out.push({ type, active: int(s.active) ?? 0, succeeded: int(s.succeeded) ?? 0, failed: int(s.failed) ?? 0 });
  }
  return out;
}

function build(object: MPIJobObject): MpiJobModel {
  const meta = object.metadata;
  const spec = object.spec ?? {};
  const replicaSpecs = spec.mpiReplicaSpecs ?? {};
  const launcher = readReplica('LAUNCHER', replicaSpecs[REPLICA_LAUNCHER]);
  const worker = readReplica('WORKER', replicaSpecs[REPLICA_WORKER]);
  const totals = addTotals(launcher?.totals ?? EMPTY_TOTALS, worker?.totals ?? EMPTY_TOTALS);
  const conditions = object.status?.conditions ?? [];
  const phase = derivePhase(conditions);
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? '';
  return {
    typename: 'MPIJob',
    object,
    id: toGlobalId('MPIJob', namespace, name),
    name,
    namespace,
    uid: meta.uid ?? '',
    labels: toLabelList(meta.labels),
    annotations: toLabelList(meta.annotations),
    createdAt: meta.creationTimestamp ?? null,
    queue: meta.labels?.[LABEL_KUEUE_QUEUE] ?? null,
    phase,
    totals,
    spec: {
      slotsPerWorker: int(spec.slotsPerWorker) ?? DEFAULTS.slotsPerWorker,
      mpiImplementation: lookup(MPI_IMPLEMENTATIONS, spec.mpiImplementation ?? DEFAULTS.mpiImplementation),
      launcherCreationPolicy: lookup(LAUNCHER_CREATION_POLICIES, spec.launcherCreationPolicy ?? DEFAULTS.launcherCreationPolicy),
      runLauncherAsWorker: spec.runLauncherAsWorker === true,
      sshAuthMountPath: spec.sshAuthMountPath ?? DEFAULTS.sshAuthMountPath,
      runPolicy: readRunPolicy(spec.runPolicy),
      launcher: launcher?.model ?? null,
      worker: worker?.model ?? null,
      totalResources: toResourcesModel(totals),
      podCount: (launcher?.model.replicas ?? 0) + (worker?.model.replicas ?? 0),
    },
    status: {
      phase,
      conditions: conditions.map(toConditionModel),
      replicaStatuses: readReplicaStatuses(object),
      startTime: object.status?.startTime ?? null,
      completionTime: object.status?.completionTime ?? null,
    },
  };
}

const models = new WeakMap<MPIJobObject, MpiJobModel>();

export function toMpiJobModel(object: MPIJobObject): MpiJobModel {
  let model = models.get(object);
  if (!model) {
    model = build(object);
    models.set(object, model);
  }
  return model;
}

/** Seconds from start to completion, or to `nowMs` while the job has not completed. */
export function durationSeconds(status: MpiJobStatusModel, nowMs: number): number | null {
  if (!status.startTime) return null;
  const start = Date.parse(status.startTime);
  const end = status.completionTime ? Date.parse(status.completionTime) : nowMs;
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, (end - start) / 1000);
}
