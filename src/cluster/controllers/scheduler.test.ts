import { describe, expect, it } from 'vitest';
import { formatQuantity } from '../api/admission/quantity.ts';
import { DEFAULT_NODES, buildNode } from './nodes.ts';
import type { Pod } from './objects.ts';
import { choosePlacement, podRequests, unfitReasons, unschedulableMessage } from './scheduler.ts';

const NODES = DEFAULT_NODES.map((spec, i) => buildNode(spec, i, Date.parse('2026-01-10T10:00:00Z')));
const [CPU1, , GPU1] = NODES;

function pod(name: string, requests: Record<string, string>, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name, namespace: 'team-a', uid: name },
    spec: { containers: [{ name: 'main', resources: { requests } }], ...extra },
  };
}

describe('podRequests', () => {
  it('adds containers, takes init containers as a maximum and falls back to limits', () => {
    const p: Pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'a', resources: { requests: { cpu: '500m' }, limits: { memory: '1Gi' } } },
          { name: 'b', resources: { requests: { cpu: '1', memory: '512Mi' } } },
        ],
        initContainers: [{ name: 'init', resources: { requests: { cpu: '4' } } }],
      },
    };
    const requests = podRequests(p);
    expect(formatQuantity(requests.get('cpu') ?? { nanos: 0n, format: 'DecimalSI' })).toBe('4');
    expect(formatQuantity(requests.get('memory') ?? { nanos: 0n, format: 'DecimalSI' })).toBe('1536Mi');
  });
});

describe('unfitReasons', () => {
  it('fits a pod that leaves room on the node', () => {
    if (!CPU1) throw new Error('no node');
    expect(unfitReasons(pod('p', { cpu: '8', memory: '16Gi' }), CPU1, [pod('q', { cpu: '8' })])).toEqual([]);
  });

  it('names every resource that runs short', () => {
    if (!CPU1) throw new Error('no node');
    expect(unfitReasons(pod('p', { cpu: '10', memory: '70Gi', 'nvidia.com/gpu': '1' }), CPU1, [pod('q', { cpu: '8' })])).toEqual([
      'Insufficient cpu',
      'Insufficient memory',
      'Insufficient nvidia.com/gpu',
    ]);
  });

  it('honours the node selector', () => {
    if (!CPU1) throw new Error('no node');
    expect(unfitReasons(pod('p', { cpu: '1' }, { nodeSelector: { 'nvidia.com/gpu.present': 'true' } }), CPU1, [])).toEqual([
      "node(s) didn't match Pod's node affinity/selector",
    ]);
  });
});

describe('unschedulableMessage', () => {
  it('counts reasons over nodes and sorts them as the scheduler prints them', () => {
    expect(unschedulableMessage(3, [['Insufficient cpu'], ['Insufficient cpu'], ['Insufficient cpu']])).toBe(
      '0/3 nodes are available: 3 Insufficient cpu.',
    );
    expect(unschedulableMessage(3, [['Insufficient nvidia.com/gpu'], ['Insufficient cpu', 'Insufficient nvidia.com/gpu'], ['Insufficient cpu']])).toBe(
      '0/3 nodes are available: 2 Insufficient cpu, 2 Insufficient nvidia.com/gpu.',
    );
  });
});

describe('choosePlacement', () => {
  it('puts GPU pods on the GPU node', () => {
    expect(choosePlacement(pod('p', { cpu: '4', 'nvidia.com/gpu': '2' }), NODES, new Map())).toEqual({ node: 'node-gpu-1' });
  });

  it('keeps CPU pods off the GPU node while CPU nodes have room, and spreads them', () => {
    expect(choosePlacement(pod('p', { cpu: '4' }), NODES, new Map())).toEqual({ node: 'node-cpu-1' });
    expect(choosePlacement(pod('p', { cpu: '4' }), NODES, new Map([['node-cpu-1', [pod('q', { cpu: '4' })]]]))).toEqual({
      node: 'node-cpu-2',
    });
  });

  it('explains a pod that fits nowhere', () => {
    expect(choosePlacement(pod('p', { cpu: '48' }), NODES, new Map())).toEqual({ message: '0/3 nodes are available: 3 Insufficient cpu.' });
  });

  it('uses the GPU node for CPU pods once the CPU nodes are full', () => {
    if (!GPU1) throw new Error('no node');
    const full = new Map([
      ['node-cpu-1', [pod('a', { cpu: '16' })]],
      ['node-cpu-2', [pod('b', { cpu: '16' })]],
    ]);
    expect(choosePlacement(pod('p', { cpu: '2' }), NODES, full)).toEqual({ node: 'node-gpu-1' });
  });
});
