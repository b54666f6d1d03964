// A simulated default-scheduler: it binds each pending pod to a node whose allocatable resources
// still hold the pod's requests next to the pods already there, preferring the least used node
// and keeping pods that need no GPU off GPU nodes. A pod that fits nowhere stays Pending with
// PodScheduled=False/Unschedulable and a FailedScheduling event in the real wording.

import type { Quantity } from '../api/admission/quantity.ts';
import { addQuantities, compareQuantities, maxQuantity, parseQuantity, tryParseQuantity, zeroQuantity } from '../api/admission/quantity.ts';
import { apiFailure, isNotFound } from './client.ts';
import type { ControllerContext, RunningController } from './context.ts';
import { EVENT_TYPE, objectRef, type EventSource } from './events.ts';
import { errorText } from './logger.ts';
import type { Container, Node, Pod } from './objects.ts';
import { isPodTerminal, rfc3339, POD_PHASE } from './objects.ts';
import { TimerSet } from './clock.ts';

export const SCHEDULER_NAME = 'default-scheduler';
const SOURCE: EventSource = { component: SCHEDULER_NAME };
const RESOURCE_PODS = 'pods';
export const REASON_UNSCHEDULABLE = 'Unschedulable';
export const EVENT_FAILED_SCHEDULING = 'FailedScheduling';
export const EVENT_SCHEDULED = 'Scheduled';
const REASON_NODE_SELECTOR = "node(s) didn't match Pod's node affinity/selector";
const REASON_UNSCHEDULABLE_NODE = 'node(s) were unschedulable';
const REASON_NOT_READY = "node(s) had untolerated taint {node.kubernetes.io/not-ready: }";
const REASON_TOO_MANY_PODS = 'Too many pods';
/** Unschedulable pods are tried again this often even when nothing changed (real: at most 5 min). */
export const UNSCHEDULABLE_RETRY_MS = 30_000;
/** Coalesces bursts of pod and node changes into one scheduling pass. */
const SCHEDULE_DEBOUNCE_MS = 5;

export type ResourceList = Map<string, Quantity>;

function addTo(list: ResourceList, name: string, quantity: Quantity): void {
  list.set(name, addQuantities(list.get(name) ?? zeroQuantity(quantity.format), quantity));
}

/** A container's effective requests: what it requests, or its limits where it requests nothing. */
function containerRequests(container: Container): ResourceList {
  const out: ResourceList = new Map();
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  for (const name of new Set([...Object.keys(requests), ...Object.keys(limits)])) {
    const quantity = tryParseQuantity(requests[name] ?? limits[name]);
    if (quantity) out.set(name, quantity);
  }
  return out;
}

/** The pod's requests as the scheduler sums them: containers added, init containers as a maximum. */
export function podRequests(pod: Pod): ResourceList {
  const total: ResourceList = new Map();
  for (const container of pod.spec.containers ?? []) {
    for (const [name, quantity] of containerRequests(container)) addTo(total, name, quantity);
  }
  for (const container of pod.spec.initContainers ?? []) {
    for (const [name, quantity] of containerRequests(container)) {
      const current = total.get(name);
      total.set(name, current ? maxQuantity(current, quantity) : quantity);
    }
  }
  return total;
}

export function nodeAllocatable(node: Node): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, value] of Object.entries(node.status?.allocatable ?? node.status?.capacity ?? {})) {
    const quantity = tryParseQuantity(value);
    if (quantity) out.set(name, quantity);
  }
  return out;
}

function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Why `pod` does not fit on `node` next to `placed`; empty when it fits. */
export function unfitReasons(pod: Pod, node: Node, placed: readonly Pod[]): string[] {
  if (node.spec?.unschedulable) return [REASON_UNSCHEDULABLE_NODE];
  if (!isNodeReady(node)) return [REASON_NOT_READY];
  const labels = node.metadata.labels ?? {};
  for (const [key, value] of Object.entries(pod.spec.nodeSelector ?? {})) {
    if (labels[key] !== value) return [REASON_NODE_SELECTOR];
  }
  const allocatable = nodeAllocatable(node);
  const used: ResourceList = new Map();
  for (const other of placed) for (const [name, quantity] of podRequests(other)) addTo(used, name, quantity);
  const reasons: string[] = [];
  const maxPods = allocatable.get(RESOURCE_PODS);
  if (maxPods && compareQuantities(parseQuantity(placed.length + 1), maxPods) > 0) reasons.push(REASON_TOO_MANY_PODS);
  for (const [name, requested] of podRequests(pod)) {
    if (requested.nanos <= 0n) continue;
    const have = allocatable.get(name) ?? zeroQuantity();
    const want = addQuantities(used.get(name) ?? zeroQuantity(), requested);
    if (compareQuantities(want, have) > 0) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

/** `0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 Insufficient cpu.` */
export function unschedulableMessage(nodeCount: number, reasonsPerNode: ReadonlyArray<readonly string[]>): string {
  const counts = new Map<string, number>();
  for (const reasons of reasonsPerNode) for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const parts = [...counts].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}

function fraction(used: Quantity | undefined, have: Quantity | undefined): number {
  if (!have || have.nanos === 0n) return 0;
  return Number(((used?.nanos ?? 0n) * 10_000n) / have.nanos) / 10_000;
}

/**
 * Lower is better: the busier of CPU and memory after placing the pod (least-allocated), plus a
 * penalty for leaving a node's extended resources (GPUs) idle under a pod that does not use them.
 */
export function nodeScore(pod: Pod, node: Node, placed: readonly Pod[]): number {
  const allocatable = nodeAllocatable(node);
  const used: ResourceList = new Map();
  for (const other of [...placed, pod]) for (const [name, quantity] of podRequests(other)) addTo(used, name, quantity);
  const busiest = Math.max(fraction(used.get('cpu'), allocatable.get('cpu')), fraction(used.get('memory'), allocatable.get('memory')));
  const requests = podRequests(pod);
  const idleExtended = [...allocatable.keys()].some((name) => name.includes('/') && (allocatable.get(name)?.nanos ?? 0n) > 0n && !requests.has(name));
  return busiest + (idleExtended ? 1 : 0);
}

export interface Placement {
  node?: string;
  message?: string;
}

/** Chooses a node for `pod`, or explains why none fits. Nodes are tried in name order on ties. */
export function choosePlacement(pod: Pod, nodes: readonly Node[], podsByNode: ReadonlyMap<string, readonly Pod[]>): Placement {
  const sorted = [...nodes].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  let best: { name: string; score: number } | undefined;
  const reasons: string[][] = [];
  for (const node of sorted) {
    const name = node.metadata.name ?? '';
    const placed = podsByNode.get(name) ?? [];
    const why = unfitReasons(pod, node, placed);
    if (why.length > 0) {
      reasons.push(why);
      continue;
    }
    const score = nodeScore(pod, node, placed);
    if (!best || score < best.score) best = { name, score };
  }
  if (best) return { node: best.name };
  return { message: unschedulableMessage(sorted.length, reasons) };
}

export class Scheduler implements RunningController {
  private readonly ctx: ControllerContext;
  private readonly timers = new TimerSet();
  private readonly unsubscribe: Array<() => void> = [];
  /** pod uid -> node, bound by us but not yet seen bound in the cache. */
  private readonly assumed = new Map<string, string>();
  /** pod uid -> last unschedulable message reported, and when. */
  private readonly reported = new Map<string, { message: string; atMs: number }>();
  private pass: Promise<void> | undefined;
  private again = false;
  private cancelPending: (() => void) | undefined;
  private bindingUnsupported = false;
  private stopped = false;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  start(): void {
    const trigger = () => this.trigger();
    this.unsubscribe.push(
      this.ctx.informers.pods.onEvent((event) => {
        if (event.type === 'delete') {
          this.assumed.delete(event.object.metadata.uid ?? '');
          this.reported.delete(event.object.metadata.uid ?? '');
        }
        trigger();
      }),
      this.ctx.informers.nodes.onEvent(trigger),
    );
    this.trigger();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    this.timers.stop();
    await this.pass;
  }

  private trigger(delayMs = SCHEDULE_DEBOUNCE_MS): void {
    if (this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.cancelPending?.();
    this.cancelPending = this.timers.after(delayMs, () => {
      this.cancelPending = undefined;
      this.pass = this.schedulePending()
        .catch((err: unknown) => this.ctx.logger.error(`scheduler: pass failed: ${errorText(err)}`))
        .finally(() => {
          this.pass = undefined;
          if (this.again) {
            this.again = false;
            this.trigger();
          }
        });
    });
  }

  private pendingPods(): Pod[] {
    return this.ctx.informers.pods
      .list()
      .filter(
        (pod) =>
          !pod.spec.nodeName &&
          !this.assumed.has(pod.metadata.uid ?? '') &&
          !pod.metadata.deletionTimestamp &&
          !isPodTerminal(pod) &&
          (pod.spec.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME,
      )
      .sort(
        (a, b) =>
          (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
          (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
      );
  }

  private placedPods(): Map<string, Pod[]> {
    const byNode = new Map<string, Pod[]>();
    for (const pod of this.ctx.informers.pods.list()) {
      if (isPodTerminal(pod)) continue;
      const uid = pod.metadata.uid ?? '';
      if (pod.spec.nodeName) this.assumed.delete(uid);
      const node = pod.spec.nodeName ?? this.assumed.get(uid);
      if (!node) continue;
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    return byNode;
  }

  private async schedulePending(): Promise<void> {
    const nodes = this.ctx.informers.nodes.list();
    const pending = this.pendingPods();
    if (pending.length === 0) return;
    const byNode = this.placedPods();
    let retryLater = false;
    for (const pod of pending) {
      if (this.stopped) return;
      const placement = nodes.length === 0 ? { message: 'no nodes available to schedule pods' } : choosePlacement(pod, nodes, byNode);
      if (placement.node) {
        const bound = await this.bind(pod, placement.node);
        if (bound) byNode.set(placement.node, [...(byNode.get(placement.node) ?? []), pod]);
        else retryLater = true;
      } else {
        retryLater = true;
        await this.reportUnschedulable(pod, placement.message ?? '');
      }
    }
    if (retryLater) this.retryAfter(UNSCHEDULABLE_RETRY_MS);
  }

  private retryAfter(delayMs: number): void {
    this.timers.after(delayMs, () => this.trigger());
  }

  private async bind(pod: Pod, node: string): Promise<boolean> {
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    const uid = pod.metadata.uid ?? '';
    try {
      await this.bindThroughApi(namespace, name, node);
    } catch (err) {
      // A pod deleted since the cache showed it needs no binding and no log line.
      if (!isNotFound(err)) this.ctx.logger.warn(`scheduler: binding ${namespace}/${name} to ${node} failed: ${apiFailure(err).message}`);
      return false;
    }
    this.assumed.set(uid, node);
    this.reported.delete(uid);
    this.ctx.recorder.record(objectRef(pod, 'v1', 'Pod'), EVENT_TYPE.normal, EVENT_SCHEDULED, `Successfully assigned ${namespace}/${name} to ${node}`, SOURCE);
    return true;
  }

  /**
   * The pods/binding subresource is how a real scheduler binds (pod specs are otherwise
   * immutable); a server without it (the emulator) takes a patch of spec.nodeName instead.
   */
  private async bindThroughApi(namespace: string, name: string, node: string): Promise<void> {
    if (!this.bindingUnsupported) {
      try {
        await this.ctx.client.core.createNamespacedPodBinding({
          namespace,
          name,
          body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
        });
        return;
      } catch (err) {
        const failure = apiFailure(err);
        const missingRoute = failure.code === 405 || (failure.code === 404 && this.ctx.informers.pods.get(namespace, name) !== undefined);
        if (!missingRoute) throw err;
        this.bindingUnsupported = true;
      }
    }
    await this.ctx.client.pods.patch(namespace, name, { spec: { nodeName: node } });
    const now = rfc3339(this.ctx.clock.now());
    await this.ctx.client.pods.patchStatus(namespace, name, {
      status: { conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now }] },
    });
  }

  private async reportUnschedulable(pod: Pod, message: string): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    const now = this.ctx.clock.now();
    const last = this.reported.get(uid);
    if (last && last.message === message && now - last.atMs < UNSCHEDULABLE_RETRY_MS) return;
    this.reported.set(uid, { message, atMs: now });
    this.ctx.recorder.record(objectRef(pod, 'v1', 'Pod'), EVENT_TYPE.warning, EVENT_FAILED_SCHEDULING, message, SOURCE);
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (current && current.status === 'False' && current.reason === REASON_UNSCHEDULABLE && current.message === message) return;
    try {
      await this.ctx.client.pods.patchStatus(pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
        status: {
          phase: POD_PHASE.pending,
          conditions: [
            { type: 'PodScheduled', status: 'False', reason: REASON_UNSCHEDULABLE, message, lastProbeTime: null, lastTransitionTime: rfc3339(now) },
          ],
        },
      });
    } catch (err) {
      this.ctx.logger.warn(`scheduler: could not mark ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} unschedulable: ${apiFailure(err).message}`);
    }
  }
}

export function startScheduler(ctx: ControllerContext): RunningController {
  const scheduler = new Scheduler(ctx);
  scheduler.start();
  return scheduler;
}
