// The simulated nodes: Node objects with the capacity, labels, addresses and node info a kubelet
// would report, created at start when absent. The kubelet and scheduler read them back from the
// API like any other Node.

import { createHash } from 'node:crypto';
import type { ClusterClient } from './client.ts';
import { isAlreadyExists } from './client.ts';
import type { Node } from './objects.ts';
import { rfc3339 } from './objects.ts';

export const RESOURCE_GPU = 'nvidia.com/gpu';
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
const KUBELET_VERSION = 'v1.32.0';
const CONTAINER_RUNTIME_VERSION = 'containerd://1.7.22';
const OS_IMAGE = 'Ubuntu 22.04.5 LTS';
const KERNEL_VERSION = '5.15.0-122-generic';
const MAX_PODS_PER_NODE = '110';
const EPHEMERAL_STORAGE = '100Gi';
const KUBELET_PORT = 10250;

export interface SimulatedNode {
  name: string;
  /** CPU capacity, a quantity (`16`). */
  cpu: string;
  /** Memory capacity, a quantity (`64Gi`). */
  memory: string;
  /** `nvidia.com/gpu` count; default 0. */
  gpus?: number;
  /** Value of the `nvidia.com/gpu.product` label when gpus > 0. */
  gpuProduct?: string;
  instanceType?: string;
  zone?: string;
  labels?: Record<string, string>;
}

/** Two CPU nodes and one GPU node: enough to show fitting, spreading and unschedulable pods. */
export const DEFAULT_NODES: readonly SimulatedNode[] = [
  { name: 'node-cpu-1', cpu: '16', memory: '64Gi', instanceType: 'n2-standard-16', zone: 'zone-a' },
  { name: 'node-cpu-2', cpu: '16', memory: '64Gi', instanceType: 'n2-standard-16', zone: 'zone-b' },
  {
    name: 'node-gpu-1',
    cpu: '32',
    memory: '128Gi',
    gpus: 8,
    gpuProduct: 'NVIDIA-A100-SXM4-40GB',
    instanceType: 'a2-highgpu-8g',
    zone: 'zone-a',
  },
];

/** The node's InternalIP and pod CIDR follow from its position in the list. */
export function nodeAddressing(index: number): { internalIP: string; podCIDR: string } {
  return { internalIP: `172.18.0.${2 + index}`, podCIDR: `10.244.${1 + index}.0/24` };
}

export function buildNode(spec: SimulatedNode, index: number, nowMs: number): Node {
  const { internalIP, podCIDR } = nodeAddressing(index);
  const gpus = spec.gpus ?? 0;
  const capacity: Record<string, string> = {
    cpu: spec.cpu,
    memory: spec.memory,
    pods: MAX_PODS_PER_NODE,
    'ephemeral-storage': EPHEMERAL_STORAGE,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    ...(gpus > 0 ? { [RESOURCE_GPU]: String(gpus) } : {}),
  };
  const now = rfc3339(nowMs);
  const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        [LABEL_HOSTNAME]: spec.name,
        ...(spec.instanceType ? { 'node.kubernetes.io/instance-type': spec.instanceType } : {}),
        ...(spec.zone ? { 'topology.kubernetes.io/zone': spec.zone } : {}),
        ...(gpus > 0 ? { 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.count': String(gpus) } : {}),
        ...(gpus > 0 && spec.gpuProduct ? { 'nvidia.com/gpu.product': spec.gpuProduct } : {}),
        ...spec.labels,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR, podCIDRs: [podCIDR] },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: internalIP },
        { type: 'Hostname', address: spec.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
      nodeInfo: {
        machineID: machineId(spec.name),
        systemUUID: systemUuid(`${spec.name}/system`),
        bootID: machineId(`${spec.name}/boot`),
        kernelVersion: KERNEL_VERSION,
        osImage: OS_IMAGE,
        containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** A stable 32-hex-digit id per name, shaped like /etc/machine-id. */
function machineId(seed: string): string {
  return createHash('md5').update(seed).digest('hex');
}

/** The same, shaped like a UUID, as the node's system UUID is. */
function systemUuid(seed: string): string {
  const hex = machineId(seed);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Creates the nodes that do not exist yet and reports their status. Existing nodes are left as
 * they are, so capacity edited by hand survives a restart.
 */
export async function ensureNodes(client: ClusterClient, nodes: readonly SimulatedNode[], nowMs: number): Promise<void> {
  for (const [index, spec] of nodes.entries()) {
    const node = buildNode(spec, index, nowMs);
    try {
      await client.nodes.create('', node);
    } catch (err) {
      if (isAlreadyExists(err)) continue;
      throw err;
    }
    // The status of a created object is the server's to reset; the kubelet then reports it.
    await client.nodes.patchStatus('', spec.name, { status: node.status });
  }
}
