// The JSON shapes of the Kubernetes kinds the gateway reads, as they arrive from list and watch
// (raw JSON, timestamps as RFC 3339 strings). Every field is optional because the API server
// omits empty ones; models read them defensively. Written by hand, only the fields we use.

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; uid?: string; controller?: boolean }>;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export type ResourceList = Record<string, string | number>;

export interface ResourceRequirements {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface EnvVar {
  name?: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: ResourceRequirements;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  nodeName?: string;
  restartPolicy?: string;
  [field: string]: unknown;
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: PodSpec;
}

// ---- kubeflow.org/v2beta1 MPIJob

export interface ReplicaSpec {
  replicas?: number;
  restartPolicy?: string;
  template?: PodTemplateSpec;
}

export interface SchedulingPolicy {
  minAvailable?: number;
  queue?: string;
  minResources?: ResourceList;
  priorityClass?: string;
  scheduleTimeoutSeconds?: number;
}

export interface RunPolicy {
  cleanPodPolicy?: string;
  ttlSecondsAfterFinished?: number;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  schedulingPolicy?: SchedulingPolicy;
  suspend?: boolean;
  managedBy?: string;
}

export interface MPIJobSpec {
  slotsPerWorker?: number;
  runLauncherAsWorker?: boolean;
  runPolicy?: RunPolicy;
  mpiReplicaSpecs?: Record<string, ReplicaSpec>;
  sshAuthMountPath?: string;
  launcherCreationPolicy?: string;
  mpiImplementation?: string;
}

export interface JobCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface ReplicaStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  selector?: string;
}

export interface MPIJobStatus {
  conditions?: JobCondition[];
  replicaStatuses?: Record<string, ReplicaStatus>;
  startTime?: string;
  completionTime?: string;
  lastReconcileTime?: string;
}

export interface MPIJobObject extends KubeObject {
  spec?: MPIJobSpec;
  status?: MPIJobStatus;
}

// ---- core/v1 Pod

export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}

export interface ContainerStateRunning {
  startedAt?: string;
}

export interface ContainerStateTerminated {
  exitCode?: number;
  signal?: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name?: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  started?: boolean;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: PodCondition[];
  startTime?: string;
  podIP?: string;
  hostIP?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

export interface PodObject extends KubeObject {
  spec?: PodSpec;
  status?: PodStatus;
}

// ---- core/v1 Event

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  fieldPath?: string;
}

export interface EventObject extends KubeObject {
  involvedObject?: ObjectReference;
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  series?: { count?: number; lastObservedTime?: string };
}

// ---- core/v1 Namespace and ResourceQuota

export interface NamespaceObject extends KubeObject {
  status?: { phase?: string };
}

export interface ResourceQuotaObject extends KubeObject {
  spec?: { hard?: ResourceList; scopes?: string[] };
  status?: { hard?: ResourceList; used?: ResourceList };
}

export function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null) return false;
  const metadata = (value as { metadata?: unknown }).metadata;
  return typeof metadata === 'object' && metadata !== null;
}
