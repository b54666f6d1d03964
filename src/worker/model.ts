// Launcher and worker pods as the graph sees them: role and rank from the operator's labels,
// container states with their reasons and exit codes, and effective resources.

import type { ContainerStateTerminated, ContainerStatus, PodObject } from '../kube/objects.ts';
import { LABEL_JOB_NAME, LABEL_JOB_ROLE, LABEL_REPLICA_INDEX, ROLE_LAUNCHER, ROLE_WORKER } from '../kube/labels.ts';
import { conditionStatus, type ConditionStatus, type ReplicaType } from '../mpijob/model.ts';
import { compareText, type ConnectionModel, type EdgeModel, type SortKey } from '../graph/connection.ts';
import { toGlobalId } from '../node/global-id.ts';
import { containerResources, podResources, toResourcesModel, type ResourcesModel } from '../quota/pod-resources.ts';

export type PodPhase = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'UNKNOWN';
export type ContainerStateKind = 'WAITING' | 'RUNNING' | 'TERMINATED' | 'UNKNOWN';

/** Pod condition types and reasons the diagnosis reads. */
export const POD_CONDITION_SCHEDULED = 'PodScheduled';
export const POD_CONDITION_READY = 'Ready';
export const REASON_UNSCHEDULABLE = 'Unschedulable';
export const REASON_OOM_KILLED = 'OOMKilled';

export interface ContainerTerminationModel {
  reason: string | null;
  message: string | null;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ContainerStatusModel {
  name: string;
  image: string | null;
  ready: boolean;
  restarts: number;
  state: ContainerStateKind;
  reason: string | null;
  message: string | null;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  lastTermination: ContainerTerminationModel | null;
  resources: ResourcesModel;
}

export interface PodConditionModel {
  type: string;
  status: ConditionStatus;
  reason: string | null;
  message: string | null;
  lastTransitionTime: string | null;
}

export interface PodModel {
  readonly typename: 'Pod';
  object: PodObject;
  id: string;
  name: string;
  namespace: string;
  uid: string;
  /** The MPIJob named by `training.kubeflow.org/job-name`. */
  jobName: string | null;
  role: ReplicaType | null;
  rank: number | null;
  phase: PodPhase;
  reason: string | null;
  message: string | null;
  ready: boolean;
  restarts: number;
  nodeName: string | null;
  createdAt: string | null;
  startTime: string | null;
  finishTime: string | null;
  containers: ContainerStatusModel[];
  conditions: PodConditionModel[];
  resources: ResourcesModel;
}

export type PodConnectionModel = ConnectionModel<PodModel>;
export type PodEdgeModel = EdgeModel<PodModel>;

const PHASES: Record<string, PodPhase> = {
  Pending: 'PENDING',
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
};

function termination(t: ContainerStateTerminated | undefined): ContainerTerminationModel | null {
  if (!t) return null;
  return {
    reason: t.reason ?? null,
    message: t.message ?? null,
    exitCode: typeof t.exitCode === 'number' ? t.exitCode : null,
    startedAt: t.startedAt ?? null,
    finishedAt: t.finishedAt ?? null,
  };
}

function containerModel(name: string, status: ContainerStatus | undefined, resources: ResourcesModel, image: string | null): ContainerStatusModel {
  const state = status?.state;
  const terminated = termination(state?.terminated);
  let kind: ContainerStateKind = 'UNKNOWN';
  if (state?.running) kind = 'RUNNING';
  else if (state?.terminated) kind = 'TERMINATED';
  else if (state?.waiting || !status) kind = 'WAITING';
  return {
    name,
    image: status?.image ?? image,
    ready: status?.ready === true,
    restarts: status?.restartCount ?? 0,
    state: kind,
    reason: state?.waiting?.reason ?? terminated?.reason ?? null,
    message: state?.waiting?.message ?? terminated?.message ?? null,
    exitCode: terminated?.exitCode ?? null,
    startedAt: state?.running?.startedAt ?? terminated?.startedAt ?? null,
    finishedAt: terminated?.finishedAt ?? null,
    lastTermination: termination(status?.lastState?.terminated),
    resources,
  };
}

function roleOf(label: string | undefined): ReplicaType | null {
  if (label === ROLE_LAUNCHER) return 'LAUNCHER';
  if (label === ROLE_WORKER) return 'WORKER';
  return null;
}

function rankOf(label: string | undefined): number | null {
  if (label === undefined || !/^\d+$/.test(label)) return null;
  return Number(label);
}

function build(object: PodObject): PodModel {
  const meta = object.metadata;
  const labels = meta.labels ?? {};
  const status = object.status ?? {};
  const specContainers = object.spec?.containers ?? [];
  const statuses = status.containerStatuses ?? [];
  const containers = specContainers.map((c) => {
    const name = c.name ?? '';
    return containerModel(name, statuses.find((s) => s.name === name), toResourcesModel(containerResources(c)), c.image ?? null);
  });
  // Statuses for containers the spec does not list (should not happen) are still shown.
  for (const s of statuses) {
    if (!specContainers.some((c) => c.name === s.name)) {
      containers.push(containerModel(s.name ?? '', s, { requests: [], limits: [] }, null));
    }
  }
  const phase = PHASES[status.phase ?? ''] ?? (status.phase ? 'UNKNOWN' : 'PENDING');
  const finished = phase === 'SUCCEEDED' || phase === 'FAILED';
  const finishTimes = containers.map((c) => c.finishedAt).filter((t): t is string => t !== null);
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? '';
  return {
    typename: 'Pod',
    object,
    id: toGlobalId('Pod', namespace, name),
    name,
    namespace,
    uid: meta.uid ?? '',
    jobName: labels[LABEL_JOB_NAME] ?? null,
    role: roleOf(labels[LABEL_JOB_ROLE]),
    rank: rankOf(labels[LABEL_REPLICA_INDEX]),
    phase,
    reason: status.reason ?? null,
    message: status.message ?? null,
    ready: (status.conditions ?? []).some((c) => c.type === POD_CONDITION_READY && c.status === 'True'),
    restarts: containers.reduce((sum, c) => sum + c.restarts, 0),
    nodeName: object.spec?.nodeName ?? null,
    createdAt: meta.creationTimestamp ?? null,
    startTime: status.startTime ?? null,
    finishTime: finished && finishTimes.length > 0 ? (finishTimes.sort().at(-1) ?? null) : null,
    containers,
    conditions: (status.conditions ?? []).map((c) => ({
      type: c.type ?? '',
      status: conditionStatus(c.status),
      reason: c.reason ?? null,
      message: c.message ?? null,
      lastTransitionTime: c.lastTransitionTime ?? null,
    })),
    resources: toResourcesModel(podResources(object.spec)),
  };
}

const models = new WeakMap<PodObject, PodModel>();

export function toPodModel(object: PodObject): PodModel {
  let model = models.get(object);
  if (!model) {
    model = build(object);
    models.set(object, model);
  }
  return model;
}

/** Ranks above any real worker count, so pods without a rank sort last. */
const NO_RANK = 9_999_999_999;

/** Workers by rank, then name; pods without a rank last. */
export function compareByRank(a: PodModel, b: PodModel): number {
  const ra = a.rank ?? NO_RANK;
  const rb = b.rank ?? NO_RANK;
  return ra !== rb ? ra - rb : compareText(a.name, b.name);
}

/** A cursor key that sorts ascending in the same order as compareByRank. */
export function podSortKey(pod: PodModel): SortKey {
  return [String(pod.rank ?? NO_RANK).padStart(10, '0'), pod.name];
}
