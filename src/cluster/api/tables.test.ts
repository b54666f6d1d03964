import { describe, expect, it } from 'vitest';
import { findResource, type ResourceInfo } from './resources.ts';
import { toTable, wantsTable } from './tables.ts';
import type { KubeObject } from './types.ts';

interface Column {
  name: string;
  type: string;
  format: string;
  priority: number;
}

interface Table {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  columnDefinitions: Column[];
  rows: Array<{ cells: unknown[]; conditions?: Array<{ type: string; reason: string }>; object: { kind: string; apiVersion: string; metadata: unknown } }>;
}

const NOW_MS = Date.parse('2026-11-28T12:00:00Z');

/** An RFC 3339 timestamp `seconds` before NOW_MS. */
function ago(seconds: number): string {
  return new Date(NOW_MS - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function info(group: string, version: string, resource: string): ResourceInfo {
  const found = findResource(group, version, resource);
  if (!found) throw new Error(`${resource} is not served`);
  return found;
}

const PODS = info('', 'v1', 'pods');

function render(resource: ResourceInfo, objects: KubeObject[]): Table {
  return toTable(resource, objects, { resourceVersion: '42' }, NOW_MS) as Table;
}

/** The cells of a single object's row, keyed by column name. */
function row(resource: ResourceInfo, object: KubeObject): Record<string, unknown> {
  const table = render(resource, [object]);
  const cells = table.rows[0]?.cells ?? [];
  return Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name, cells[i]]));
}

function pod(name: string, body: { spec?: Record<string, unknown>; status?: Record<string, unknown>; metadata?: Record<string, unknown> }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'team-a', uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: ago(600), ...body.metadata },
    spec: { containers: [{ name: 'main', image: 'mpi' }], ...body.spec },
    status: body.status ?? {},
  };
}

describe('wantsTable', () => {
  it('recognizes the Accept header kubectl get sends', () => {
    expect(
      wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'),
    ).toBe(true);
  });

  it('declines plain JSON, protobuf and the v1beta1 Table alone', () => {
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable('application/vnd.kubernetes.protobuf,application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
    expect(wantsTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io')).toBe(false);
  });
});

describe('toTable shape', () => {
  it('is a meta.k8s.io/v1 Table carrying the list metadata kubectl pages and watches with', () => {
    const table = toTable(PODS, [], { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 }, NOW_MS) as Table;
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    expect(table.metadata).toEqual({ resourceVersion: '42', continue: 'tok', remainingItemCount: 3 });
    expect(table.rows).toEqual([]);
  });

  it('leaves out an empty continue token', () => {
    const table = toTable(PODS, [], { resourceVersion: '42', continue: '' }, NOW_MS) as Table;
    expect(table.metadata).toEqual({ resourceVersion: '42' });
  });

  it('embeds each object metadata as a PartialObjectMetadata, for -A and --show-labels', () => {
    const object = pod('p', { metadata: { labels: { app: 'pi' } } });
    const table = render(PODS, [object]);
    expect(table.rows[0]?.object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata });
  });

  it('gives every row one cell per column for every kind', () => {
    const objects: Array<[ResourceInfo, KubeObject]> = [
      [PODS, pod('p', {})],
      [info('', 'v1', 'namespaces'), { metadata: { name: 'n' } }],
      [info('', 'v1', 'nodes'), { metadata: { name: 'n' } }],
      [info('', 'v1', 'events'), { metadata: { name: 'e' } }],
      [info('', 'v1', 'configmaps'), { metadata: { name: 'c' } }],
      [info('', 'v1', 'secrets'), { metadata: { name: 's' } }],
      [info('', 'v1', 'services'), { metadata: { name: 's' } }],
      [info('', 'v1', 'resourcequotas'), { metadata: { name: 'q' } }],
      [info('batch', 'v1', 'jobs'), { metadata: { name: 'j' } }],
      [info('kubeflow.org', 'v2beta1', 'mpijobs'), { metadata: { name: 'm' } }],
    ];
    for (const [resource, object] of objects) {
      const table = render(resource, [object]);
      expect(table.rows[0]?.cells, resource.resource).toHaveLength(table.columnDefinitions.length);
    }
  });
});

describe('pod rows', () => {
  it('has the kubectl columns, the wide ones at priority 1', () => {
    const columns = render(PODS, []).columnDefinitions;
    expect(columns.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    expect(columns[0]?.format).toBe('name');
  });

  it('shows a running pod with restarts and when the last one happened', () => {
    const running = pod('pi-worker-0', {
      spec: { nodeName: 'node-1', containers: [{ name: 'worker' }, { name: 'sidecar' }] },
      status: {
        phase: 'Running',
        podIP: '10.0.0.5',
        podIPs: [{ ip: '10.0.0.5' }],
        containerStatuses: [
          {
            name: 'worker',
            ready: true,
            restartCount: 3,
            state: { running: { startedAt: ago(60) } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } },
          },
          { name: 'sidecar', ready: true, restartCount: 0, state: { running: { startedAt: ago(500) } } },
        ],
      },
    });
    expect(row(PODS, running)).toEqual({
      Name: 'pi-worker-0',
      Ready: '2/2',
      Status: 'Running',
      Restarts: '3 (5m ago)',
      Age: '10m',
      IP: '10.0.0.5',
      Node: 'node-1',
      'Nominated Node': '<none>',
      'Readiness Gates': '<none>',
    });
  });

  it('shows a bare restart count when no termination time is known', () => {
    const p = pod('p', { status: { phase: 'Running', containerStatuses: [{ name: 'main', ready: true, restartCount: 2, state: { running: {} } }] } });
    expect(row(PODS, p)['Restarts']).toBe('2');
  });

  it('shows an unscheduled pod as Pending with <none> for its address and node', () => {
    const pending = pod('pi-launcher-x', { status: { phase: 'Pending' } });
    expect(row(PODS, pending)).toMatchObject({ Ready: '0/1', Status: 'Pending', Restarts: '0', IP: '<none>', Node: '<none>' });
  });

  it('shows the waiting reason of a container being created', () => {
    const creating = pod('p', {
      spec: { nodeName: 'node-1' },
      status: { phase: 'Pending', containerStatuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
    });
    expect(row(PODS, creating)['Status']).toBe('ContainerCreating');
  });

  it('shows CrashLoopBackOff for a container waiting to restart', () => {
    const crashing = pod('p', {
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'main',
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(30) } },
          },
        ],
      },
    });
    expect(row(PODS, crashing)).toMatchObject({ Ready: '0/1', Status: 'CrashLoopBackOff', Restarts: '4 (30s ago)' });
  });

  it('shows OOMKilled for a pod whose container ran out of memory, and marks the row completed', () => {
    const oom = pod('p', {
      status: { phase: 'Failed', podIPs: [{ ip: '10.0.0.9' }], containerStatuses: [{ name: 'main', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] },
    });
    const table = render(PODS, [oom]);
    expect(table.rows[0]?.cells.slice(0, 3)).toEqual(['p', '0/1', 'OOMKilled']);
    expect(table.rows[0]?.conditions).toEqual([{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);
  });

  it('shows Completed for a pod that finished successfully', () => {
    const done = pod('p', { status: { phase: 'Succeeded', containerStatuses: [{ name: 'main', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } });
    const table = render(PODS, [done]);
    expect(table.rows[0]?.cells[2]).toBe('Completed');
    expect(table.rows[0]?.conditions?.[0]?.reason).toBe('Succeeded');
  });

  it('shows Error for a container that failed', () => {
    const failed = pod('p', { status: { phase: 'Failed', containerStatuses: [{ name: 'main', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] } });
    expect(row(PODS, failed)['Status']).toBe('Error');
  });

  it('shows the exit code or signal of a container that terminated without a reason', () => {
    const exitCode = pod('p', { status: { phase: 'Failed', containerStatuses: [{ name: 'main', restartCount: 0, state: { terminated: { exitCode: 2 } } }] } });
    const signal = pod('p', { status: { phase: 'Failed', containerStatuses: [{ name: 'main', restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] } });
    expect(row(PODS, exitCode)['Status']).toBe('ExitCode:2');
    expect(row(PODS, signal)['Status']).toBe('Signal:9');
  });

  it("lets the first container's state win, as kubectl walks them from last to first", () => {
    const mixed = pod('p', {
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'a', restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
          { name: 'b', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      },
    });
    expect(row(PODS, mixed)['Status']).toBe('ImagePullBackOff');
  });

  it('shows Running or NotReady rather than Completed while another container still runs', () => {
    const statuses = [
      { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'b', ready: true, restartCount: 0, state: { running: {} } },
    ];
    const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
    const ready = pod('p', { spec, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses } });
    const notReady = pod('p', { spec, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses } });
    expect(row(PODS, ready)).toMatchObject({ Ready: '1/2', Status: 'Running' });
    expect(row(PODS, notReady)['Status']).toBe('NotReady');
  });

  it('shows Terminating for a running pod being deleted, but not for a finished one', () => {
    const terminating = pod('p', { metadata: { deletionTimestamp: ago(5) }, status: { phase: 'Running' } });
    const finished = pod('p', {
      metadata: { deletionTimestamp: ago(5) },
      status: { phase: 'Succeeded', containerStatuses: [{ name: 'main', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
    });
    expect(row(PODS, terminating)['Status']).toBe('Terminating');
    expect(row(PODS, finished)['Status']).toBe('Completed');
  });

  it('shows Unknown for a pod being deleted from a lost node', () => {
    const lost = pod('p', { metadata: { deletionTimestamp: ago(5) }, status: { phase: 'Running', reason: 'NodeLost' } });
    expect(row(PODS, lost)['Status']).toBe('Unknown');
  });

  it('shows the pod-level reason, such as Evicted', () => {
    const evicted = pod('p', { status: { phase: 'Failed', reason: 'Evicted' } });
    expect(row(PODS, evicted)['Status']).toBe('Evicted');
  });

  it('shows SchedulingGated for a pod held by scheduling gates', () => {
    const gated = pod('p', { status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } });
    expect(row(PODS, gated)['Status']).toBe('SchedulingGated');
  });

  describe('with init containers', () => {
    const spec = { initContainers: [{ name: 'init-a' }, { name: 'init-b' }] };

    it('shows Init:<done>/<total> while an init container runs', () => {
      const p = pod('p', {
        spec,
        status: {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'init-a', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
            { name: 'init-b', restartCount: 0, state: { running: {} } },
          ],
        },
      });
      expect(row(PODS, p)['Status']).toBe('Init:1/2');
    });

    it('shows Init:<reason> for a failing or waiting init container', () => {
      const failing = pod('p', { spec, status: { phase: 'Pending', initContainerStatuses: [{ name: 'init-a', restartCount: 2, state: { terminated: { exitCode: 1, reason: 'Error' } } }] } });
      const pulling = pod('p', { spec, status: { phase: 'Pending', initContainerStatuses: [{ name: 'init-a', restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] } });
      const noReason = pod('p', { spec, status: { phase: 'Pending', initContainerStatuses: [{ name: 'init-a', restartCount: 0, state: { terminated: { exitCode: 3 } } }] } });
      expect(row(PODS, failing)).toMatchObject({ Status: 'Init:Error', Restarts: '2' });
      expect(row(PODS, pulling)['Status']).toBe('Init:ErrImagePull');
      expect(row(PODS, noReason)['Status']).toBe('Init:ExitCode:3');
    });

    it('counts a started sidecar init container among the containers', () => {
      const p = pod('p', {
        spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
        status: {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }],
          initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: { running: {} } }],
          containerStatuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: {} } }],
        },
      });
      expect(row(PODS, p)).toMatchObject({ Ready: '2/2', Status: 'Running', Restarts: '1' });
    });
  });

  it('shows how many readiness gates are satisfied', () => {
    const gated = pod('p', {
      spec: { readinessGates: [{ conditionType: 'example.com/a' }, { conditionType: 'example.com/b' }] },
      status: { phase: 'Running', conditions: [{ type: 'example.com/a', status: 'True' }, { type: 'example.com/b', status: 'False' }] },
    });
    expect(row(PODS, gated)['Readiness Gates']).toBe('1/2');
  });

  it('shows the nominated node', () => {
    const p = pod('p', { status: { phase: 'Pending', nominatedNodeName: 'node-2' } });
    expect(row(PODS, p)['Nominated Node']).toBe('node-2');
  });
});

describe('namespace rows', () => {
  const NAMESPACES = info('', 'v1', 'namespaces');

  it('shows the phase and age', () => {
    expect(render(NAMESPACES, [{ metadata: { name: 'team-a', creationTimestamp: ago(3600 * 26) }, status: { phase: 'Active' } }]).rows[0]?.cells).toEqual([
      'team-a',
      'Active',
      '26h',
    ]);
  });

  it('shows Terminating for a namespace being deleted', () => {
    expect(row(NAMESPACES, { metadata: { name: 'n', deletionTimestamp: ago(1) }, status: { phase: 'Terminating' } })['Status']).toBe('Terminating');
    expect(row(NAMESPACES, { metadata: { name: 'n', deletionTimestamp: ago(1) } })['Status']).toBe('Terminating');
  });

  it('treats a namespace without a phase as Active', () => {
    expect(row(NAMESPACES, { metadata: { name: 'n' } })['Status']).toBe('Active');
  });

  it('renders a missing creation time as <unknown>', () => {
    expect(row(NAMESPACES, { metadata: { name: 'n' } })['Age']).toBe('<unknown>');
  });
});

describe('node rows', () => {
  const NODES = info('', 'v1', 'nodes');
  const node: KubeObject = {
    metadata: { name: 'node-1', creationTimestamp: ago(3 * 86400), labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/gpu': '' } },
    spec: {},
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'Hostname', address: 'node-1' }, { type: 'InternalIP', address: '10.1.0.1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Embedded Linux', kernelVersion: '6.1.0', containerRuntimeVersion: 'simulated://1.0' },
    },
  };

  it('shows status, sorted roles, version and the wide node info', () => {
    expect(row(NODES, node)).toEqual({
      Name: 'node-1',
      Status: 'Ready',
      Roles: 'gpu,worker',
      Age: '3d',
      Version: 'v1.32.0',
      'Internal-IP': '10.1.0.1',
      'External-IP': '<none>',
      'OS-Image': 'Embedded Linux',
      'Kernel-Version': '6.1.0',
      'Container-Runtime': 'simulated://1.0',
    });
  });

  it('shows NotReady, SchedulingDisabled and Unknown states', () => {
    const notReady = { ...node, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    expect(row(NODES, notReady)['Status']).toBe('NotReady,SchedulingDisabled');
    expect(row(NODES, { metadata: { name: 'n' } })).toMatchObject({ Status: 'Unknown', Roles: '<none>', 'OS-Image': '<unknown>' });
  });
});

describe('event rows', () => {
  const EVENTS = info('', 'v1', 'events');
  const event: KubeObject = {
    metadata: { name: 'pi.17a', namespace: 'team-a' },
    involvedObject: { kind: 'Pod', name: 'pi-launcher-x', namespace: 'team-a', fieldPath: 'spec.containers{launcher}' },
    reason: 'Started',
    message: 'Started container launcher\n',
    type: 'Normal',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(60),
    count: 3,
  };

  it('shows last seen, type, reason, object and message, and the wide details', () => {
    expect(row(EVENTS, event)).toEqual({
      'Last Seen': '60s',
      Type: 'Normal',
      Reason: 'Started',
      Object: 'pod/pi-launcher-x',
      Subobject: 'spec.containers{launcher}',
      Source: 'kubelet, node-1',
      Message: 'Started container launcher',
      'First Seen': '10m',
      Count: 3,
      Name: 'pi.17a',
    });
  });

  it('falls back to eventTime, the reporting controller and a count of one for events.k8s.io events', () => {
    const modern: KubeObject = {
      metadata: { name: 'e' },
      involvedObject: { kind: 'MPIJob', name: 'pi' },
      eventTime: '2026-11-28T11:59:00.123456Z',
      reportingComponent: 'mpi-job-controller',
      reason: 'MPIJobCreated',
      type: 'Normal',
      message: 'created',
    };
    expect(row(EVENTS, modern)).toMatchObject({ 'Last Seen': '59s', 'First Seen': '59s', Source: 'mpi-job-controller', Count: 1, Object: 'mpijob/pi' });
  });

  it('takes the last time and count of an event series', () => {
    const series = { ...event, series: { count: 7, lastObservedTime: ago(5) } };
    expect(row(EVENTS, series)).toMatchObject({ 'Last Seen': '5s', Count: 7 });
  });

  it('shows only the kind for an event about an unnamed object', () => {
    expect(row(EVENTS, { metadata: { name: 'e' }, involvedObject: { kind: 'Node' } })['Object']).toBe('node');
  });
});

describe('configmap and secret rows', () => {
  it('counts data and binaryData keys of a configmap', () => {
    const cm: KubeObject = { metadata: { name: 'pi-config', creationTimestamp: ago(30) }, data: { hostfile: 'x', 'discover_hosts.sh': 'y' }, binaryData: { b: 'AA==' } };
    expect(render(info('', 'v1', 'configmaps'), [cm]).rows[0]?.cells).toEqual(['pi-config', 3, '30s']);
  });

  it('shows the type and number of keys of a secret', () => {
    const secret: KubeObject = { metadata: { name: 'pi-ssh', creationTimestamp: ago(30) }, type: 'kubernetes.io/ssh-auth', data: { 'ssh-privatekey': 'a', 'ssh-publickey': 'b' } };
    expect(render(info('', 'v1', 'secrets'), [secret]).rows[0]?.cells).toEqual(['pi-ssh', 'kubernetes.io/ssh-auth', 2, '30s']);
  });
});

describe('service rows', () => {
  const SERVICES = info('', 'v1', 'services');

  it('shows a headless service with its selector', () => {
    const headless: KubeObject = {
      metadata: { name: 'pi', creationTimestamp: ago(30) },
      spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: { 'training.kubeflow.org/job-name': 'pi', 'training.kubeflow.org/operator-name': 'mpi-operator' } },
    };
    expect(row(SERVICES, headless)).toEqual({
      Name: 'pi',
      Type: 'ClusterIP',
      'Cluster-IP': 'None',
      'External-IP': '<none>',
      'Port(s)': '<none>',
      Age: '30s',
      Selector: 'training.kubeflow.org/job-name=pi,training.kubeflow.org/operator-name=mpi-operator',
    });
  });

  it('shows ports with node ports and protocols', () => {
    const nodePort: KubeObject = {
      metadata: { name: 'web' },
      spec: { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] },
    };
    expect(row(SERVICES, nodePort)).toMatchObject({ Type: 'NodePort', 'Cluster-IP': '10.96.0.10', 'External-IP': '<none>', 'Port(s)': '80:30080/TCP,53/UDP', Selector: '<none>' });
  });

  it('shows a load balancer as pending until it has an ingress, and an external name as is', () => {
    const pending: KubeObject = { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } };
    const ready: KubeObject = { ...pending, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } };
    const external: KubeObject = { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } };
    expect(row(SERVICES, pending)).toMatchObject({ 'External-IP': '<pending>', 'Port(s)': '443/TCP' });
    expect(row(SERVICES, ready)['External-IP']).toBe('203.0.113.7');
    expect(row(SERVICES, external)).toMatchObject({ 'External-IP': 'example.com', 'Cluster-IP': '<none>' });
  });
});

describe('resourcequota rows', () => {
  it('splits used/hard pairs into requests and limits, sorted by resource name', () => {
    const quota: KubeObject = {
      metadata: { name: 'team-a-quota', creationTimestamp: ago(7200) },
      spec: { hard: { pods: '10' } },
      status: {
        hard: { pods: '10', 'requests.cpu': '4', 'limits.cpu': '8', 'limits.memory': '16Gi', 'count/mpijobs.kubeflow.org': 3 },
        used: { pods: '1', 'requests.cpu': '500m', 'limits.cpu': '2' },
      },
    };
    expect(render(info('', 'v1', 'resourcequotas'), [quota]).rows[0]?.cells).toEqual([
      'team-a-quota',
      '120m',
      'count/mpijobs.kubeflow.org: 0/3, pods: 1/10, requests.cpu: 500m/4',
      'limits.cpu: 2/8, limits.memory: 0/16Gi',
    ]);
  });

  it('shows empty cells before the quota controller has written a status', () => {
    const quota: KubeObject = { metadata: { name: 'q' }, spec: { hard: { pods: '10' } } };
    expect(row(info('', 'v1', 'resourcequotas'), quota)).toMatchObject({ Request: '', Limit: '' });
  });
});

describe('job rows', () => {
  const JOBS = info('batch', 'v1', 'jobs');
  const template = { spec: { containers: [{ name: 'launcher', image: 'mpioperator/mpi-pi:openmpi' }, { name: 'log', image: 'busybox' }] } };

  it('shows a completed launcher job with its duration from start to completion', () => {
    const job: KubeObject = {
      metadata: { name: 'pi-launcher', creationTimestamp: ago(600) },
      spec: {
        completions: 1,
        parallelism: 1,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } },
        template,
      },
      status: { succeeded: 1, startTime: ago(590), completionTime: ago(100), conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] },
    };
    expect(row(JOBS, job)).toEqual({
      Name: 'pi-launcher',
      Status: 'Complete',
      Completions: '1/1',
      Duration: '8m10s',
      Age: '10m',
      Containers: 'launcher,log',
      Images: 'mpioperator/mpi-pi:openmpi,busybox',
      Selector: 'batch.kubernetes.io/controller-uid=abc',
    });
  });

  it('shows a running job with its duration so far', () => {
    const job: KubeObject = { metadata: { name: 'j' }, spec: { completions: 3, template }, status: { succeeded: 1, active: 1, startTime: ago(95) } };
    expect(row(JOBS, job)).toMatchObject({ Status: 'Running', Completions: '1/3', Duration: '95s' });
  });

  it('shows Failed, Suspended and Terminating jobs', () => {
    const failed: KubeObject = { metadata: { name: 'j' }, spec: { template }, status: { failed: 7, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } };
    const suspended: KubeObject = { metadata: { name: 'j' }, spec: { template, suspend: true }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } };
    const terminating: KubeObject = { metadata: { name: 'j', deletionTimestamp: ago(1) }, spec: { template }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } };
    expect(row(JOBS, failed)['Status']).toBe('Failed');
    expect(row(JOBS, suspended)['Status']).toBe('Suspended');
    expect(row(JOBS, terminating)['Status']).toBe('Terminating');
  });

  it('ignores conditions that are not True', () => {
    const job: KubeObject = { metadata: { name: 'j' }, spec: { template }, status: { conditions: [{ type: 'Suspended', status: 'False' }] } };
    expect(row(JOBS, job)['Status']).toBe('Running');
  });

  it('shows completions without a target the way kubectl does, with parallelism', () => {
    const single: KubeObject = { metadata: { name: 'j' }, spec: { template } };
    const parallel: KubeObject = { metadata: { name: 'j' }, spec: { parallelism: 3, template }, status: { succeeded: 2 } };
    expect(row(JOBS, single)).toMatchObject({ Completions: '0/1', Duration: '', Selector: '<none>' });
    expect(row(JOBS, parallel)['Completions']).toBe('2/1 of 3');
  });

  it('prints selector expressions in selector syntax, sorted by key', () => {
    const job: KubeObject = {
      metadata: { name: 'j' },
      spec: {
        template,
        selector: {
          matchLabels: { tier: 'mpi' },
          matchExpressions: [
            { key: 'role', operator: 'In', values: ['worker', 'launcher'] },
            { key: 'gpu', operator: 'Exists' },
            { key: 'zone', operator: 'NotIn', values: ['b'] },
            { key: 'legacy', operator: 'DoesNotExist' },
          ],
        },
      },
    };
    expect(row(JOBS, job)['Selector']).toBe('gpu,!legacy,role in (launcher,worker),tier=mpi,zone notin (b)');
  });
});

describe('mpijob rows', () => {
  const MPIJOBS = info('kubeflow.org', 'v2beta1', 'mpijobs');

  it('has only the Name and a date-typed Age column, as a CRD without printer columns', () => {
    const columns = render(MPIJOBS, []).columnDefinitions;
    expect(columns.map((c) => [c.name, c.type, c.format])).toEqual([
      ['Name', 'string', 'name'],
      ['Age', 'date', ''],
    ]);
  });

  it('renders the age as a duration string', () => {
    const job: KubeObject = { apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob', metadata: { name: 'pi', namespace: 'team-a', creationTimestamp: ago(185) }, spec: {} };
    expect(render(MPIJOBS, [job]).rows[0]?.cells).toEqual(['pi', '3m5s']);
  });
});
