// Server-side Tables (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). kubectl prints the
// cells verbatim, so each printer follows the real server's built-in printer for its kind
// (kubernetes/pkg/printers/internalversion) including its quirks; custom resources get the CRD
// convertor's two columns. Tables are always rendered "wide": kubectl hides priority-1 columns
// itself unless asked for `-o wide`.

import { ageSince, humanDuration } from './duration.ts';
import { parseAccept } from './discovery.ts';
import { qualifiedResource, type ResourceInfo } from './resources.ts';
import { isRecord, type KubeObject } from './types.ts';

const TABLE_GROUP = 'meta.k8s.io';
const TABLE_VERSION = 'v1';
const TABLE_KIND = 'Table';
const PARTIAL_OBJECT_METADATA_KIND = 'PartialObjectMetadata';

/** What the printers write where a value is absent. */
const NONE = '<none>';
const UNKNOWN = '<unknown>';

// Pod protocol constants the status logic keys on.
const POD_SUCCEEDED = 'Succeeded';
const POD_FAILED = 'Failed';
const POD_SCHEDULED_CONDITION = 'PodScheduled';
const POD_READY_CONDITION = 'Ready';
const POD_INITIALIZED_CONDITION = 'Initialized';
const SCHEDULING_GATED_REASON = 'SchedulingGated';
const POD_INITIALIZING_REASON = 'PodInitializing';
const NODE_LOST_REASON = 'NodeLost';
const COMPLETED_REASON = 'Completed';
/** The row condition (metav1.RowCompleted) that marks a finished pod's row. */
const ROW_COMPLETED_CONDITION = 'Completed';
/** An init container with this restart policy is a sidecar: it counts as a regular container. */
const SIDECAR_RESTART_POLICY = 'Always';
const CONDITION_TRUE = 'True';

const NODE_READY_CONDITION = 'Ready';
const NODE_ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_NODE_ROLE_LABEL = 'kubernetes.io/role';

const JOB_COMPLETE = 'Complete';
const JOB_FAILED = 'Failed';
const JOB_SUSPENDED = 'Suspended';
const JOB_FAILURE_TARGET = 'FailureTarget';
const JOB_SUCCESS_CRITERIA_MET = 'SuccessCriteriaMet';

const SERVICE_TYPE_CLUSTER_IP = 'ClusterIP';
const SERVICE_TYPE_NODE_PORT = 'NodePort';
const SERVICE_TYPE_LOAD_BALANCER = 'LoadBalancer';
const SERVICE_TYPE_EXTERNAL_NAME = 'ExternalName';
const DEFAULT_PROTOCOL = 'TCP';

export interface TableListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;

interface RowCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

interface Printer {
  columns: ColumnDefinition[];
  cells(object: KubeObject, nowMs: number): Cell[];
  conditions?(object: KubeObject): RowCondition[] | undefined;
}

/** True when the Accept header asks for a `meta.k8s.io/v1` Table. */
export function wantsTable(accept: string | undefined): boolean {
  return parseAccept(accept).some(
    (r) =>
      r.type === 'application/json' &&
      r.params['as'] === TABLE_KIND &&
      r.params['g'] === TABLE_GROUP &&
      r.params['v'] === TABLE_VERSION,
  );
}

/**
 * Renders objects of one kind as a Table. Rows embed each object's metadata as a
 * PartialObjectMetadata: kubectl reads NAMESPACE (`-A`) and labels (`--show-labels`, `-L`)
 * from there. Watch events use the same function with a single object.
 */
export function toTable(info: ResourceInfo, objects: KubeObject[], listMeta: TableListMeta, nowMs: number): object {
  const printer = printerFor(info);
  const metadata: Record<string, unknown> = { resourceVersion: listMeta.resourceVersion };
  if (listMeta.continue) metadata['continue'] = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined) metadata['remainingItemCount'] = listMeta.remainingItemCount;
  return {
    kind: TABLE_KIND,
    apiVersion: `${TABLE_GROUP}/${TABLE_VERSION}`,
    metadata,
    columnDefinitions: printer.columns,
    rows: objects.map((object) => {
      const conditions = printer.conditions?.(object);
      return {
        cells: printer.cells(object, nowMs),
        ...(conditions ? { conditions } : {}),
        object: {
          kind: PARTIAL_OBJECT_METADATA_KIND,
          apiVersion: `${TABLE_GROUP}/${TABLE_VERSION}`,
          metadata: object.metadata,
        },
      };
    }),
  };
}

function printerFor(info: ResourceInfo): Printer {
  if (info.custom) return CUSTOM_RESOURCE_PRINTER;
  return BUILT_IN_PRINTERS[qualifiedResource(info)] ?? DEFAULT_PRINTER;
}

// ---------------------------------------------------------------------------------------------
// Reading untyped JSON: objects are stored as arbitrary JSON, so every field may be absent or of
// the wrong type; these collapse that to the zero value the Go printers would see.

function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function records(value: unknown): Array<Record<string, unknown>> {
  return arr(value).filter(isRecord);
}

function strings(value: unknown): string[] {
  return arr(value).filter((v): v is string => typeof v === 'string');
}

function timeMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A quantity as JSON may carry it (`"500m"`, or a bare number from YAML). */
function quantity(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : '0';
}

function column(name: string, description: string, options: Partial<ColumnDefinition> = {}): ColumnDefinition {
  return { name, type: 'string', format: '', description, priority: 0, ...options };
}

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. It is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.';
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created, shown as the time elapsed since then.';

const NAME_COLUMN = column('Name', NAME_DESCRIPTION, { format: 'name' });
const AGE_COLUMN = column('Age', AGE_DESCRIPTION);

function name(object: KubeObject): string {
  return str(object.metadata.name);
}

function age(object: KubeObject, nowMs: number): string {
  return ageSince(object.metadata.creationTimestamp, nowMs);
}

function deleting(object: KubeObject): boolean {
  return str(object.metadata.deletionTimestamp) !== '';
}

function hasTrueCondition(conditions: unknown, type: string): boolean {
  return records(conditions).some((c) => c['type'] === type && c['status'] === CONDITION_TRUE);
}

/** `a=1,b=2` with sorted keys, as labels.FormatLabels prints a selector map. */
function formatLabels(map: unknown): string {
  const entries = Object.entries(rec(map))
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return NONE;
  return entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** A metav1.LabelSelector as its selector string (`app=pi,tier in (a,b)`), `<none>` when empty. */
function formatLabelSelector(selector: unknown): string {
  const s = rec(selector);
  const requirements: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(rec(s['matchLabels']))) {
    requirements.push({ key, text: `${key}=${str(value)}` });
  }
  for (const expr of records(s['matchExpressions'])) {
    const key = str(expr['key']);
    const values = [...new Set(strings(expr['values']))].sort();
    switch (expr['operator']) {
      case 'In':
        requirements.push({ key, text: `${key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        requirements.push({ key, text: `${key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        requirements.push({ key, text: key });
        break;
      case 'DoesNotExist':
        requirements.push({ key, text: `!${key}` });
        break;
      default:
        return '<error>';
    }
  }
  if (requirements.length === 0) return NONE;
  // Stable sort by key, as the selector's requirements are ordered.
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return requirements.map((r) => r.text).join(',');
}

// ---------------------------------------------------------------------------------------------
// Pods

const POD_SUCCEEDED_CONDITIONS: RowCondition[] = [
  { type: ROW_COMPLETED_CONDITION, status: CONDITION_TRUE, reason: POD_SUCCEEDED, message: 'The pod has completed successfully.' },
];
const POD_FAILED_CONDITIONS: RowCondition[] = [
  { type: ROW_COMPLETED_CONDITION, status: CONDITION_TRUE, reason: POD_FAILED, message: 'The pod failed.' },
];

/** The reason text for a terminated container with no reason: its signal, else its exit code. */
function terminatedWithoutReason(terminated: Record<string, unknown>, prefix: string): string {
  const signal = num(terminated['signal']);
  return signal !== 0 ? `${prefix}Signal:${signal}` : `${prefix}ExitCode:${num(terminated['exitCode'])}`;
}

interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** The READY / STATUS / RESTARTS logic of kubectl's pod printer. */
function summarizePod(pod: KubeObject, nowMs: number): PodSummary {
  const spec = rec(pod['spec']);
  const status = rec(pod['status']);
  const initContainerSpecs = records(spec['initContainers']);
  const conditions = records(status['conditions']);
  const phase = str(status['phase']);

  let reason = str(status['reason']) || phase;
  if (conditions.some((c) => c['type'] === POD_SCHEDULED_CONDITION && c['reason'] === SCHEDULING_GATED_REASON)) {
    reason = SCHEDULING_GATED_REASON;
  }

  const sidecars = new Set(
    initContainerSpecs.filter((c) => c['restartPolicy'] === SIDECAR_RESTART_POLICY).map((c) => str(c['name'])),
  );
  const totalContainers = records(spec['containers']).length + sidecars.size;
  let readyContainers = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestartMs: number | undefined;
  let lastSidecarRestartMs: number | undefined;
  const later = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined ? b : b === undefined ? a : Math.max(a, b);

  let initializing = false;
  const initStatuses = records(status['initContainerStatuses']);
  for (const [index, container] of initStatuses.entries()) {
    const isSidecar = sidecars.has(str(container['name']));
    const finishedMs = timeMs(rec(rec(container['lastState'])['terminated'])['finishedAt']);
    restarts += num(container['restartCount']);
    lastRestartMs = later(lastRestartMs, finishedMs);
    if (isSidecar) {
      sidecarRestarts += num(container['restartCount']);
      lastSidecarRestartMs = later(lastSidecarRestartMs, finishedMs);
    }
    const state = rec(container['state']);
    const terminated = isRecord(state['terminated']) ? state['terminated'] : undefined;
    const waiting = isRecord(state['waiting']) ? state['waiting'] : undefined;
    if (terminated && num(terminated['exitCode']) === 0) continue;
    if (isSidecar && container['started'] === true) {
      if (container['ready'] === true) readyContainers += 1;
      continue;
    }
    if (terminated) {
      const terminatedReason = str(terminated['reason']);
      reason = terminatedReason ? `Init:${terminatedReason}` : terminatedWithoutReason(terminated, 'Init:');
    } else if (waiting && str(waiting['reason']) !== '' && waiting['reason'] !== POD_INITIALIZING_REASON) {
      reason = `Init:${str(waiting['reason'])}`;
    } else {
      reason = `Init:${index}/${initContainerSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasTrueCondition(conditions, POD_INITIALIZED_CONDITION)) {
    restarts = sidecarRestarts;
    lastRestartMs = lastSidecarRestartMs;
    let hasRunning = false;
    const statuses = records(status['containerStatuses']);
    // The printer walks containers from last to first, so the first container's state wins.
    for (let i = statuses.length - 1; i >= 0; i -= 1) {
      const container = statuses[i] ?? {};
      restarts += num(container['restartCount']);
      lastRestartMs = later(lastRestartMs, timeMs(rec(rec(container['lastState'])['terminated'])['finishedAt']));
      const state = rec(container['state']);
      const waiting = isRecord(state['waiting']) ? state['waiting'] : undefined;
      const terminated = isRecord(state['terminated']) ? state['terminated'] : undefined;
      if (waiting && str(waiting['reason']) !== '') {
        reason = str(waiting['reason']);
      } else if (terminated && str(terminated['reason']) !== '') {
        reason = str(terminated['reason']);
      } else if (terminated) {
        reason = terminatedWithoutReason(terminated, '');
      } else if (container['ready'] === true && isRecord(state['running'])) {
        hasRunning = true;
        readyContainers += 1;
      }
    }
    // A pod whose main container completed while a sidecar still runs is not "Completed".
    if (reason === COMPLETED_REASON && hasRunning) {
      reason = hasTrueCondition(conditions, POD_READY_CONDITION) ? 'Running' : 'NotReady';
    }
  }

  if (deleting(pod) && status['reason'] === NODE_LOST_REASON) {
    reason = 'Unknown';
  } else if (deleting(pod) && phase !== POD_SUCCEEDED && phase !== POD_FAILED) {
    reason = 'Terminating';
  }

  const restartsText =
    restarts !== 0 && lastRestartMs !== undefined
      ? `${restarts} (${humanDuration(nowMs - lastRestartMs)} ago)`
      : String(restarts);
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

const POD_PRINTER: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE_COLUMN,
    column('IP', 'IP address allocated to the pod. Routable at least within the cluster.', { priority: 1 }),
    column('Node', 'The node the pod is bound to (spec.nodeName).', { priority: 1 }),
    column('Nominated Node', 'The node the scheduler nominated for this pod while preempting others.', { priority: 1 }),
    column('Readiness Gates', 'How many of the pod readiness gates are satisfied.', { priority: 1 }),
  ],
  cells(pod, nowMs) {
    const spec = rec(pod['spec']);
    const status = rec(pod['status']);
    const summary = summarizePod(pod, nowMs);
    const firstPodIp = str(records(status['podIPs'])[0]?.['ip']) || str(status['podIP']);
    const gates = records(spec['readinessGates']);
    let readinessGates = NONE;
    if (gates.length > 0) {
      const conditions = records(status['conditions']);
      const satisfied = gates.filter((gate) => {
        const condition = conditions.find((c) => c['type'] === gate['conditionType']);
        return condition?.['status'] === CONDITION_TRUE;
      }).length;
      readinessGates = `${satisfied}/${gates.length}`;
    }
    return [
      name(pod),
      summary.ready,
      summary.status,
      summary.restarts,
      age(pod, nowMs),
      firstPodIp || NONE,
      str(spec['nodeName']) || NONE,
      str(status['nominatedNodeName']) || NONE,
      readinessGates,
    ];
  },
  conditions(pod) {
    const phase = rec(pod['status'])['phase'];
    if (phase === POD_SUCCEEDED) return POD_SUCCEEDED_CONDITIONS;
    if (phase === POD_FAILED) return POD_FAILED_CONDITIONS;
    return undefined;
  },
};

// ---------------------------------------------------------------------------------------------
// Other built-in kinds

const NAMESPACE_PRINTER: Printer = {
  columns: [NAME_COLUMN, column('Status', 'The status of the namespace'), AGE_COLUMN],
  cells(ns, nowMs) {
    // The real server always sets a phase; an emulator object may lack it, and is then usable.
    const phase = str(rec(ns['status'])['phase']) || (deleting(ns) ? 'Terminating' : 'Active');
    return [name(ns), phase, age(ns, nowMs)];
  },
};

function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith(NODE_ROLE_LABEL_PREFIX)) {
      const role = key.slice(NODE_ROLE_LABEL_PREFIX.length);
      if (role !== '') roles.add(role);
    } else if (key === LEGACY_NODE_ROLE_LABEL && value !== '') {
      roles.add(value);
    }
  }
  return roles.size === 0 ? NONE : [...roles].sort().join(',');
}

function nodeAddress(node: KubeObject, type: string): string {
  const address = records(rec(node['status'])['addresses']).find((a) => a['type'] === type);
  return str(address?.['address']) || NONE;
}

const NODE_PRINTER: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'The status of the node'),
    column('Roles', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'List of addresses reachable to the node.', { priority: 1 }),
    column('External-IP', 'List of addresses reachable to the node.', { priority: 1 }),
    column('OS-Image', 'OS Image reported by the node from /etc/os-release.', { priority: 1 }),
    column('Kernel-Version', 'Kernel Version reported by the node.', { priority: 1 }),
    column('Container-Runtime', 'Container runtime version reported by the node.', { priority: 1 }),
  ],
  cells(node, nowMs) {
    const status = rec(node['status']);
    const ready = records(status['conditions']).find((c) => c['type'] === NODE_READY_CONDITION);
    const parts: string[] = [];
    if (ready) parts.push(ready['status'] === CONDITION_TRUE ? NODE_READY_CONDITION : `Not${NODE_READY_CONDITION}`);
    else parts.push('Unknown');
    if (rec(node['spec'])['unschedulable'] === true) parts.push('SchedulingDisabled');
    const nodeInfo = rec(status['nodeInfo']);
    return [
      name(node),
      parts.join(','),
      nodeRoles(node),
      age(node, nowMs),
      str(nodeInfo['kubeletVersion']),
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      str(nodeInfo['osImage']) || UNKNOWN,
      str(nodeInfo['kernelVersion']) || UNKNOWN,
      str(nodeInfo['containerRuntimeVersion']) || UNKNOWN,
    ];
  },
};

const EVENT_PRINTER: Printer = {
  columns: [
    column('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'Type of this event (Normal, Warning).'),
    column('Reason', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    column('Object', 'The object that this event is about.'),
    column('Subobject', 'The part of the object the event is about, e.g. a container (involvedObject.fieldPath).', { priority: 1 }),
    column('Source', 'The component reporting this event.', { priority: 1 }),
    column('Message', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'The time at which the event was first recorded.', { priority: 1 }),
    column('Count', 'The number of times this event has occurred.', { priority: 1 }),
    column('Name', NAME_DESCRIPTION, { format: 'name', priority: 1 }),
  ],
  cells(event, nowMs) {
    const firstSeen = str(event['firstTimestamp'])
      ? ageSince(event['firstTimestamp'], nowMs)
      : ageSince(event['eventTime'], nowMs);
    let lastSeen = str(event['lastTimestamp']) ? ageSince(event['lastTimestamp'], nowMs) : firstSeen;
    let count = num(event['count']);
    if (isRecord(event['series'])) {
      lastSeen = ageSince(event['series']['lastObservedTime'], nowMs);
      count = num(event['series']['count']);
    } else if (count === 0) {
      // Events written through events.k8s.io have no count: they happened once.
      count = 1;
    }
    const involved = rec(event['involvedObject']);
    const kind = str(involved['kind']).toLowerCase();
    const target = str(involved['name']) ? `${kind}/${str(involved['name'])}` : kind;
    const source = rec(event['source']);
    const component = str(source['component']) || str(event['reportingComponent']);
    const instance = str(source['host']) || str(event['reportingInstance']);
    return [
      lastSeen,
      str(event['type']),
      str(event['reason']),
      target,
      str(involved['fieldPath']),
      instance ? `${component}, ${instance}` : component,
      str(event['message']).trim(),
      firstSeen,
      count,
      name(event),
    ];
  },
};

const CONFIG_MAP_PRINTER: Printer = {
  columns: [NAME_COLUMN, column('Data', 'The number of keys in data and binaryData.'), AGE_COLUMN],
  cells(cm, nowMs) {
    const keys = Object.keys(rec(cm['data'])).length + Object.keys(rec(cm['binaryData'])).length;
    return [name(cm), keys, age(cm, nowMs)];
  },
};

const SECRET_PRINTER: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'The type of the secret'),
    column('Data', 'The number of keys in data.'),
    AGE_COLUMN,
  ],
  cells(secret, nowMs) {
    return [name(secret), str(secret['type']), Object.keys(rec(secret['data'])).length, age(secret, nowMs)];
  },
};

function servicePorts(ports: unknown): string {
  const pieces = records(ports).map((port) => {
    const protocol = str(port['protocol']) || DEFAULT_PROTOCOL;
    const nodePort = num(port['nodePort']);
    return nodePort > 0 ? `${num(port['port'])}:${nodePort}/${protocol}` : `${num(port['port'])}/${protocol}`;
  });
  return pieces.length === 0 ? NONE : pieces.join(',');
}

function serviceExternalIp(service: KubeObject, type: string): string {
  const spec = rec(service['spec']);
  const externalIps = strings(spec['externalIPs']);
  switch (type) {
    case SERVICE_TYPE_CLUSTER_IP:
    case SERVICE_TYPE_NODE_PORT:
      return externalIps.length > 0 ? externalIps.join(',') : NONE;
    case SERVICE_TYPE_LOAD_BALANCER: {
      const ingress = records(rec(rec(service['status'])['loadBalancer'])['ingress'])
        .map((i) => str(i['ip']) || str(i['hostname']))
        .filter((v) => v !== '');
      const all = [...ingress, ...externalIps];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case SERVICE_TYPE_EXTERNAL_NAME:
      return str(spec['externalName']);
    default:
      return UNKNOWN;
  }
}

const SERVICE_PRINTER: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'The type of the service (ClusterIP, NodePort, LoadBalancer, ExternalName).'),
    column('Cluster-IP', 'The IP address of the service, or None for a headless service.'),
    column('External-IP', 'Addresses outside the cluster that route to this service.'),
    column('Port(s)', 'The ports this service exposes, with their node ports.'),
    AGE_COLUMN,
    column('Selector', 'The label selector that picks the pods backing this service.', { priority: 1 }),
  ],
  cells(service, nowMs) {
    const spec = rec(service['spec']);
    // The API server defaults the type; stored emulator objects may predate that defaulting.
    const type = str(spec['type']) || SERVICE_TYPE_CLUSTER_IP;
    const clusterIp = strings(spec['clusterIPs'])[0] ?? (str(spec['clusterIP']) || NONE);
    return [
      name(service),
      type,
      clusterIp,
      serviceExternalIp(service, type),
      servicePorts(spec['ports']),
      age(service, nowMs),
      formatLabels(spec['selector']),
    ];
  },
};

const RESOURCE_QUOTA_PRINTER: Printer = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    column('Request', 'Used and hard amounts of every resource that is not a limit.'),
    column('Limit', 'Used and hard amounts of every limits.* resource.'),
  ],
  cells(quota, nowMs) {
    // Like the real printer, this reads status (the quota controller's view), not spec.
    const status = rec(quota['status']);
    const hard = rec(status['hard']);
    const used = rec(status['used']);
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of Object.keys(hard).sort()) {
      const text = `${resource}: ${quantity(used[resource])}/${quantity(hard[resource])}`;
      const [prefix, ...rest] = resource.split('.');
      if (prefix === 'limits' && rest.length > 0) limits.push(text);
      else requests.push(text);
    }
    return [name(quota), age(quota, nowMs), requests.join(', '), limits.join(', ')];
  },
};

const JOB_PRINTER: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'Status of the job.'),
    column('Completions', 'The desired number of successfully finished pods the job should be run with.'),
    column('Duration', 'Time required to complete the job.'),
    AGE_COLUMN,
    column('Containers', 'Names of each container in the template.', { priority: 1 }),
    column('Images', 'Images referenced by each container in the template.', { priority: 1 }),
    column('Selector', 'A label query over pods that should match the pod count.', { priority: 1 }),
  ],
  cells(job, nowMs) {
    const spec = rec(job['spec']);
    const status = rec(job['status']);
    const succeeded = num(status['succeeded']);
    let completions: string;
    if (typeof spec['completions'] === 'number') {
      completions = `${succeeded}/${spec['completions']}`;
    } else {
      const parallelism = num(spec['parallelism']);
      completions = parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
    }
    const startMs = timeMs(status['startTime']);
    const completionMs = timeMs(status['completionTime']);
    let duration = '';
    if (startMs !== undefined) duration = humanDuration((completionMs ?? nowMs) - startMs);

    const conditions = status['conditions'];
    let state = 'Running';
    if (hasTrueCondition(conditions, JOB_COMPLETE)) state = JOB_COMPLETE;
    else if (hasTrueCondition(conditions, JOB_FAILED)) state = JOB_FAILED;
    else if (deleting(job)) state = 'Terminating';
    else if (hasTrueCondition(conditions, JOB_SUSPENDED)) state = JOB_SUSPENDED;
    else if (hasTrueCondition(conditions, JOB_FAILURE_TARGET)) state = JOB_FAILURE_TARGET;
    else if (hasTrueCondition(conditions, JOB_SUCCESS_CRITERIA_MET)) state = JOB_SUCCESS_CRITERIA_MET;

    const containers = records(rec(rec(spec['template'])['spec'])['containers']);
    return [
      name(job),
      state,
      completions,
      duration,
      age(job, nowMs),
      containers.map((c) => str(c['name'])).join(','),
      containers.map((c) => str(c['image'])).join(','),
      formatLabelSelector(spec['selector']),
    ];
  },
};

const BUILT_IN_PRINTERS: Record<string, Printer> = {
  pods: POD_PRINTER,
  namespaces: NAMESPACE_PRINTER,
  nodes: NODE_PRINTER,
  events: EVENT_PRINTER,
  configmaps: CONFIG_MAP_PRINTER,
  secrets: SECRET_PRINTER,
  services: SERVICE_PRINTER,
  resourcequotas: RESOURCE_QUOTA_PRINTER,
  'jobs.batch': JOB_PRINTER,
};

/**
 * A CRD without additionalPrinterColumns (the MPIJob CRD has none): Name, then an Age column of
 * type `date` whose cells the server renders as durations.
 */
const CUSTOM_RESOURCE_PRINTER: Printer = {
  columns: [NAME_COLUMN, column('Age', AGE_DESCRIPTION, { type: 'date' })],
  cells(object, nowMs) {
    return [name(object), age(object, nowMs)];
  },
};

/** A built-in kind without a printer of its own. */
const DEFAULT_PRINTER: Printer = {
  columns: [NAME_COLUMN, AGE_COLUMN],
  cells(object, nowMs) {
    return [name(object), age(object, nowMs)];
  },
};
