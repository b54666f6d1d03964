// A simulated kubelet for every simulated node: it runs the pods bound to them through their real
// life cycle (ContainerCreating, Running, terminated with real reasons and exit codes, restarts
// with CrashLoopBackOff, eviction), reports pod status through the API, records the kubelet's
// events, and writes each container instance's output to the LogSink the API server's pods/log
// endpoint reads. What a container "does" comes from its role: MPI workers run sshd until
// stopped, MPI launchers play an mpirun timeline against their workers, anything else runs for
// the duration its behaviour annotations give.

import { createHash } from 'node:crypto';
import type { LogSink } from '../logstore.ts';
import type { Behaviour } from './behaviour.ts';
import { ANNOTATION_DURATION, parseBehaviour } from './behaviour.ts';
import { apiFailure, deleteIgnoringNotFound, isNotFound } from './client.ts';
import type { ControllerContext, RunningController } from './context.ts';
import { TimerSet } from './clock.ts';
import { EVENT_TYPE, objectRef, type EventSource } from './events.ts';
import { errorText } from './logger.ts';
import {
  CONFIG_MOUNT_PATH,
  HOSTFILE_KEY,
  LABEL_JOB_NAME,
  LABEL_JOB_ROLE,
  MPI_IMPLEMENTATION,
  ROLE_LAUNCHER,
  ROLE_WORKER,
  SSH_AUTH_VOLUME,
  SSH_PUBLIC_KEY,
} from './mpi-api.ts';
import { sshFingerprint } from './mpi-objects.ts';
import type { MpiHost, MpirunWorld, TimelineStep } from './mpirun-log.ts';
import { EXIT_CODE_KILLED, inferProgram, mpirunTimeline, parseNp, unreachableTimeline } from './mpirun-log.ts';
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition } from './objects.ts';
import { isPodTerminal, rfc3339, POD_PHASE } from './objects.ts';
import { RESOURCE_GPU } from './nodes.ts';
import type { Random } from './random.ts';

export const KUBELET_COMPONENT = 'kubelet';

const REASON = {
  containerCreating: 'ContainerCreating',
  crashLoopBackOff: 'CrashLoopBackOff',
  completed: 'Completed',
  error: 'Error',
  oomKilled: 'OOMKilled',
  evicted: 'Evicted',
  containersNotReady: 'ContainersNotReady',
  podCompleted: 'PodCompleted',
  statusUnknown: 'ContainerStatusUnknown',
  terminationByKubelet: 'TerminationByKubelet',
} as const;

const EVENT = {
  pulled: 'Pulled',
  created: 'Created',
  started: 'Started',
  killing: 'Killing',
  backOff: 'BackOff',
  evicted: 'Evicted',
  failedMount: 'FailedMount',
} as const;

const RESTART_POLICY_ALWAYS = 'Always';
const RESTART_POLICY_ON_FAILURE = 'OnFailure';
const TERMINATION_FALLBACK_TO_LOGS = 'FallbackToLogsOnError';
/** The kubelet keeps this much of a failed container's log as its termination message. */
const TERMINATION_MESSAGE_MAX_LINES = 80;
const TERMINATION_MESSAGE_MAX_BYTES = 2048;

/** Container restart backoff: 10 s doubling up to 5 min (simulated), as the kubelet's CrashLoopBackOff. */
export const RESTART_BACKOFF_BASE_SIM_MS = 10_000;
export const RESTART_BACKOFF_MAX_SIM_MS = 300_000;
/** Image already on the node, sandbox and mounts: a few simulated seconds. */
const START_DELAY_MIN_SIM_MS = 1_500;
const START_DELAY_MAX_SIM_MS = 4_000;
/** Missing ConfigMaps or Secrets are looked for again this often (real time). */
const VOLUME_RETRY_MS = 1_000;
/** How long mpirun keeps trying to reach workers that are not up yet. */
export const WORKER_WAIT_SIM_MS = 30_000;
const WORKER_POLL_SIM_MS = 1_000;
const EVICTION_MESSAGE =
  'The node was low on resource: memory. Threshold quantity: 100Mi, available: 87040Ki. Container %s was using 31Gi, request is 16Gi, has larger consumption of memory.';
const STATUS_UNKNOWN_MESSAGE = 'The container could not be located when the pod was terminated';
const ROOT_USER = 'root';

export function restartBackoffSimMs(restartCount: number): number {
  return Math.min(RESTART_BACKOFF_MAX_SIM_MS, RESTART_BACKOFF_BASE_SIM_MS * 2 ** Math.max(0, restartCount - 1));
}

interface ContainerRuntime {
  spec: Container;
  index: number;
  restartCount: number;
  state: ContainerState;
  lastState?: ContainerState;
  containerID?: string;
  startedRealMs?: number;
  /** Timers of the running instance (its program); cancelled when it stops. */
  timers: Set<() => void>;
  /** The last lines written, for FallbackToLogsOnError. */
  recentLines: string[];
}

interface PodRuntime {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  pod: Pod;
  hostIP: string;
  podIP?: string;
  startTime: string;
  containers: ContainerRuntime[];
  /** type -> [status, lastTransitionTime] */
  conditionTimes: Map<string, { status: string; at: string }>;
  evicted?: { message: string };
  /** No more work for this pod: terminal or deleted. */
  finished: boolean;
  gone: boolean;
  writing?: Promise<void>;
  dirty: boolean;
  cancelStart?: () => void;
}

function containerId(seed: string): string {
  return `containerd://${createHash('sha256').update(seed).digest('hex')}`;
}

function imageId(image: string): string {
  const name = image.includes('/') ? image : `library/${image}`;
  const repo = name.split(':')[0] ?? name;
  return `docker.io/${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function qosClass(pod: Pod): string {
  let any = false;
  let guaranteed = true;
  for (const c of pod.spec.containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    if (Object.keys(requests).length > 0 || Object.keys(limits).length > 0) any = true;
    for (const resource of ['cpu', 'memory']) {
      const limit = limits[resource];
      const request = requests[resource] ?? limit;
      if (limit === undefined || String(request) !== String(limit)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Parses hostfile lines: `host slots=N` (OpenMPI) or `host:N` (Hydra), one host per line. */
export function parseHostfile(text: string): Array<{ host: string; slots: number }> {
  const hosts: Array<{ host: string; slots: number }> = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const openMpi = /^(\S+)\s+slots=(\d+)/.exec(line);
    const hydra = /^([^\s:]+):(\d+)$/.exec(line);
    if (openMpi?.[1] && openMpi[2]) hosts.push({ host: openMpi[1], slots: Number(openMpi[2]) });
    else if (hydra?.[1] && hydra[2]) hosts.push({ host: hydra[1], slots: Number(hydra[2]) });
    else hosts.push({ host: line.split(/\s+/)[0] ?? line, slots: 1 });
  }
  return hosts;
}

/** A plain container's life: a start line, progress, and the outcome its behaviour asks for. */
export function* plainTimeline(behaviour: Behaviour, argv: readonly string[]): Generator<TimelineStep> {
  const command = argv.length > 0 ? argv.join(' ') : '(image entrypoint)';
  yield { kind: 'log', atSimMs: 0, lines: [`Running ${command}`] };
  const end = behaviour.outcome === 'Failed' ? behaviour.failAfterMs : behaviour.durationMs;
  for (let at = behaviour.logIntervalMs; at < end; at += behaviour.logIntervalMs) {
    yield { kind: 'log', atSimMs: at, lines: [`progress: ${Math.round((at / behaviour.durationMs) * 100)}%`] };
  }
  if (behaviour.outcome === 'Failed') {
    if (behaviour.failReason === 'OOMKilled') {
      yield { kind: 'exit', atSimMs: end, exitCode: EXIT_CODE_KILLED, reason: REASON.oomKilled };
      return;
    }
    yield { kind: 'log', atSimMs: end, lines: ['error: simulated failure, exiting with status 1'] };
    yield { kind: 'exit', atSimMs: end, exitCode: 1, reason: REASON.error };
    return;
  }
  yield { kind: 'log', atSimMs: end, lines: ['done'] };
  yield { kind: 'exit', atSimMs: end, exitCode: 0, reason: REASON.completed };
}

export interface KubeletOptions {
  logs: LogSink;
  /** Names of the nodes this kubelet runs pods for. */
  nodes: readonly string[];
}

export class Kubelet implements RunningController {
  private readonly ctx: ControllerContext;
  private readonly logs: LogSink;
  private readonly nodeNames: Set<string>;
  private readonly timers = new TimerSet();
  private readonly runtimes = new Map<string, PodRuntime>();
  private readonly unsubscribe: Array<() => void> = [];
  private stopped = false;

  constructor(ctx: ControllerContext, options: KubeletOptions) {
    this.ctx = ctx;
    this.logs = options.logs;
    this.nodeNames = new Set(options.nodes);
  }

  start(): void {
    this.unsubscribe.push(
      this.ctx.informers.pods.onEvent((event) => {
        if (event.type === 'delete') this.podGone(event.object);
        else this.podSeen(event.object);
      }),
    );
    for (const pod of this.ctx.informers.pods.list()) this.podSeen(pod);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    this.timers.stop();
    await Promise.allSettled([...this.runtimes.values()].map((rt) => rt.writing));
  }

  // --- pods appearing and going -----------------------------------------------------------

  private podSeen(pod: Pod): void {
    if (this.stopped) return;
    const node = pod.spec.nodeName;
    if (!node || !this.nodeNames.has(node)) return;
    const uid = pod.metadata.uid ?? '';
    const rt = this.runtimes.get(uid);
    if (rt) {
      rt.pod = pod;
      if (pod.metadata.deletionTimestamp && !rt.gone) void this.finishGracefulDeletion(rt);
      return;
    }
    if (isPodTerminal(pod)) return;
    if (pod.metadata.deletionTimestamp) {
      void deleteIgnoringNotFound(() => this.ctx.client.pods.delete(pod.metadata.namespace ?? '', pod.metadata.name ?? '', { gracePeriodSeconds: 0 }));
      return;
    }
    this.adopt(pod, node);
  }

  private podGone(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const rt = this.runtimes.get(uid);
    if (!rt) return;
    this.stopAll(rt);
    rt.gone = true;
    this.runtimes.delete(uid);
    this.logs.forgetPod(uid);
  }

  /** A real API server waits for the kubelet after a graceful delete; the kubelet then removes it. */
  private async finishGracefulDeletion(rt: PodRuntime): Promise<void> {
    rt.gone = true;
    for (const c of rt.containers) if (c.state.running) this.podEvent(rt, EVENT_TYPE.normal, EVENT.killing, `Stopping container ${c.spec.name}`, c);
    this.stopAll(rt);
    try {
      await deleteIgnoringNotFound(() => this.ctx.client.pods.delete(rt.namespace, rt.name, { gracePeriodSeconds: 0 }));
    } catch (err) {
      this.ctx.logger.warn(`kubelet: could not finish deleting ${rt.namespace}/${rt.name}: ${apiFailure(err).message}`);
    }
  }

  private stopAll(rt: PodRuntime): void {
    rt.cancelStart?.();
    for (const c of rt.containers) {
      this.cancelProgram(c);
      if (c.state.running) this.logs.terminate(this.logKey(rt, c));
    }
    rt.finished = true;
  }

  private adopt(pod: Pod, node: string): void {
    const uid = pod.metadata.uid ?? '';
    const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s] as const));
    const now = this.ctx.clock.now();
    const rt: PodRuntime = {
      uid,
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      node,
      pod,
      hostIP: this.nodeIP(node),
      podIP: pod.status?.podIP,
      startTime: pod.status?.startTime ?? rfc3339(now),
      containers: pod.spec.containers.map((spec, index) => {
        const previous = statuses.get(spec.name);
        return {
          spec,
          index,
          restartCount: previous?.restartCount ?? 0,
          state: previous?.state ?? { waiting: { reason: REASON.containerCreating } },
          lastState: previous?.lastState,
          containerID: previous?.containerID,
          startedRealMs: Date.parse(previous?.state?.running?.startedAt ?? '') || undefined,
          timers: new Set(),
          recentLines: [],
        };
      }),
      conditionTimes: new Map((pod.status?.conditions ?? []).map((c) => [c.type, { status: c.status, at: c.lastTransitionTime ?? rfc3339(now) }] as const)),
      finished: false,
      gone: false,
      dirty: false,
    };
    this.runtimes.set(uid, rt);

    const running = rt.containers.filter((c) => c.state.running);
    if (running.length > 0 && rt.podIP) {
      // This kubelet restarted while the pod ran: pick its containers up where they are.
      for (const c of rt.containers) {
        if (c.state.running) this.runProgram(rt, c, this.ctx.clock.simElapsedSince(c.startedRealMs ?? now));
        else if (c.state.waiting) this.startContainer(rt, c);
      }
      this.requestWrite(rt);
      return;
    }
    for (const c of rt.containers) c.state = { waiting: { reason: REASON.containerCreating } };
    this.requestWrite(rt);
    this.prepareStart(rt);
  }

  // --- starting -------------------------------------------------------------------------------

  private missingVolume(rt: PodRuntime): { volume: string; kind: string; name: string } | undefined {
    for (const volume of rt.pod.spec.volumes ?? []) {
      const cm = volume.configMap?.name;
      if (cm && !this.ctx.informers.configMaps.get(rt.namespace, cm)) return { volume: volume.name, kind: 'configmap', name: cm };
      const secret = volume.secret?.secretName;
      if (secret && !this.ctx.informers.secrets.get(rt.namespace, secret)) return { volume: volume.name, kind: 'secret', name: secret };
    }
    return undefined;
  }

  private prepareStart(rt: PodRuntime): void {
    if (rt.finished) return;
    const missing = this.missingVolume(rt);
    if (missing) {
      this.podEvent(rt, EVENT_TYPE.warning, EVENT.failedMount, `MountVolume.SetUp failed for volume "${missing.volume}" : ${missing.kind} "${missing.name}" not found`);
      rt.cancelStart = this.timers.after(VOLUME_RETRY_MS, () => this.prepareStart(rt));
      return;
    }
    const behaviour = parseBehaviour(rt.pod.metadata.annotations);
    const random = this.ctx.randomFor(`start/${rt.namespace}/${rt.name}`);
    const delaySimMs = behaviour.startDelayMs ?? random.int(START_DELAY_MIN_SIM_MS, START_DELAY_MAX_SIM_MS);
    rt.cancelStart = this.timers.after(this.ctx.clock.toRealMs(delaySimMs), () => {
      rt.cancelStart = undefined;
      if (rt.finished) return;
      rt.podIP ??= this.allocateIP(rt);
      for (const c of rt.containers) {
        this.podEvent(rt, EVENT_TYPE.normal, EVENT.pulled, `Container image "${c.spec.image ?? ''}" already present on machine`, c);
        this.startContainer(rt, c);
      }
    });
  }

  private startContainer(rt: PodRuntime, c: ContainerRuntime): void {
    if (rt.finished) return;
    const now = this.ctx.clock.now();
    c.containerID = containerId(`${rt.uid}/${c.spec.name}/${c.restartCount}`);
    c.state = { running: { startedAt: rfc3339(now) } };
    c.startedRealMs = now;
    c.recentLines = [];
    this.podEvent(rt, EVENT_TYPE.normal, EVENT.created, `Created container: ${c.spec.name}`, c);
    this.podEvent(rt, EVENT_TYPE.normal, EVENT.started, `Started container ${c.spec.name}`, c);
    this.requestWrite(rt);
    this.runProgram(rt, c, 0);
  }

  // --- what containers do -----------------------------------------------------------------------

  private runProgram(rt: PodRuntime, c: ContainerRuntime, offsetSimMs: number): void {
    const role = rt.pod.metadata.labels?.[LABEL_JOB_ROLE];
    const isMain = c.index === 0;
    if (role === ROLE_WORKER && isMain && rt.pod.metadata.labels?.[LABEL_JOB_NAME]) {
      if (offsetSimMs === 0) this.write(rt, c, ['Server listening on 0.0.0.0 port 22.', 'Server listening on :: port 22.']);
      return;
    }
    if (role === ROLE_LAUNCHER && isMain && this.hostfileOf(rt) !== undefined) {
      this.runLauncher(rt, c, offsetSimMs);
      return;
    }
    const behaviour = parseBehaviour(rt.pod.metadata.annotations);
    const argv = [...(c.spec.command ?? []), ...(c.spec.args ?? [])];
    const restartPolicy = rt.pod.spec.restartPolicy ?? RESTART_POLICY_ALWAYS;
    if (restartPolicy === RESTART_POLICY_ALWAYS && rt.pod.metadata.annotations?.[ANNOTATION_DURATION] === undefined) {
      // A long-running service: it prints its start and keeps running until stopped.
      if (offsetSimMs === 0) this.write(rt, c, [`Running ${argv.length > 0 ? argv.join(' ') : '(image entrypoint)'}`]);
      return;
    }
    this.play(rt, c, plainTimeline(behaviour, argv), offsetSimMs);
  }

  private hostfileOf(rt: PodRuntime): string | undefined {
    const mount = rt.pod.spec.containers[0]?.volumeMounts?.find((m) => m.mountPath === CONFIG_MOUNT_PATH);
    const volume = rt.pod.spec.volumes?.find((v) => v.name === mount?.name);
    const cmName = volume?.configMap?.name;
    if (!cmName) return undefined;
    return this.ctx.informers.configMaps.get(rt.namespace, cmName)?.data?.[HOSTFILE_KEY];
  }

  private mpiImplementation(c: ContainerRuntime): string {
    const names = new Set((c.spec.env ?? []).map((e) => e.name));
    if (names.has('I_MPI_HYDRA_HOST_FILE')) return MPI_IMPLEMENTATION.intel;
    if (names.has('HYDRA_HOST_FILE')) return MPI_IMPLEMENTATION.mpich;
    return MPI_IMPLEMENTATION.openMPI;
  }

  /** The pod behind a hostfile entry: the launcher itself (by hostname) or a worker (by name). */
  private hostPod(rt: PodRuntime, host: string): { name: string; runtime?: PodRuntime; pod?: Pod } {
    const label = host.split('.')[0] ?? host;
    if (label === rt.pod.spec.hostname) return { name: rt.name, runtime: rt, pod: rt.pod };
    const pod = this.ctx.informers.pods.get(rt.namespace, label);
    const runtime = pod ? this.runtimes.get(pod.metadata.uid ?? '') : undefined;
    return { name: label, runtime, pod };
  }

  private reachable(rt: PodRuntime, host: string): 'up' | 'down' | 'waiting' {
    const target = this.hostPod(rt, host);
    if (target.runtime === rt) return 'up';
    if (!target.pod) return 'waiting';
    if (isPodTerminal(target.pod) || target.runtime?.evicted) return 'down';
    const main = target.runtime?.containers[0];
    return main?.state.running && target.runtime?.podIP ? 'up' : 'waiting';
  }

  private runLauncher(rt: PodRuntime, c: ContainerRuntime, offsetSimMs: number): void {
    const implementation = this.mpiImplementation(c);
    const startedReal = this.ctx.clock.now();
    const attempt = () => {
      if (rt.finished || !c.state.running) return;
      const hosts = parseHostfile(this.hostfileOf(rt) ?? '');
      const states = hosts.map((h) => ({ host: h.host, state: offsetSimMs > 0 ? ('up' as const) : this.reachable(rt, h.host) }));
      const down = states.find((s) => s.state === 'down');
      const waitedSimMs = this.ctx.clock.simElapsedSince(startedReal);
      const waiting = states.find((s) => s.state === 'waiting');
      if (down || (waiting && waitedSimMs >= WORKER_WAIT_SIM_MS)) {
        this.play(rt, c, unreachableTimeline(implementation, (down ?? waiting)?.host ?? ''), 0);
        return;
      }
      if (waiting) {
        this.track(c, this.timers.after(this.ctx.clock.toRealMs(WORKER_POLL_SIM_MS), attempt));
        return;
      }
      this.play(rt, c, mpirunTimeline(this.world(rt, c, implementation, hosts)), offsetSimMs);
    };
    attempt();
  }

  private world(rt: PodRuntime, c: ContainerRuntime, implementation: string, entries: Array<{ host: string; slots: number }>): MpirunWorld {
    const argv = [...(c.spec.command ?? []), ...(c.spec.args ?? [])];
    const behaviour = parseBehaviour(rt.pod.metadata.annotations);
    const hosts: MpiHost[] = entries.map((e) => {
      const target = this.hostPod(rt, e.host);
      return { host: e.host, podName: target.name, slots: e.slots, ip: target.runtime?.podIP ?? target.pod?.status?.podIP ?? '' };
    });
    const jobName = rt.pod.metadata.labels?.[LABEL_JOB_NAME] ?? rt.name;
    const secret = this.ctx.informers.secrets.get(rt.namespace, `${jobName}-ssh`);
    const publicKey = secret?.data?.[SSH_PUBLIC_KEY];
    const fingerprint = publicKey
      ? sshFingerprint(Buffer.from(publicKey, 'base64').toString())
      : `SHA256:${createHash('sha256').update(jobName).digest('base64').replace(/=+$/, '')}`;
    const mountPath = c.spec.volumeMounts?.find((m) => m.name === SSH_AUTH_VOLUME)?.mountPath ?? '/root/.ssh';
    const home = /^\/home\/([^/]+)\/\.ssh\/?$/.exec(mountPath);
    const usesGpu = rt.pod.spec.containers.some((ct) => ct.resources?.limits?.[RESOURCE_GPU] !== undefined) ||
      hosts.some((h) => {
        const pod = this.ctx.informers.pods.get(rt.namespace, h.podName);
        return pod?.spec.containers.some((ct) => ct.resources?.limits?.[RESOURCE_GPU] !== undefined || ct.resources?.requests?.[RESOURCE_GPU] !== undefined) ?? false;
      });
    return {
      jobName,
      implementation,
      hosts,
      np: parseNp(argv),
      launcherPodName: rt.name,
      launcherIp: rt.podIP ?? '',
      sshUser: home?.[1] ?? ROOT_USER,
      keyFingerprint: fingerprint,
      program: behaviour.program ?? inferProgram(c.spec.image ?? '', argv),
      executable: argv.filter((a) => !a.startsWith('-')).slice(1).join(' ') || argv.join(' '),
      image: c.spec.image ?? '',
      usesGpu,
      behaviour,
      random: this.randomFor(rt, c),
    };
  }

  private randomFor(rt: PodRuntime, c: ContainerRuntime): Random {
    return this.ctx.randomFor(`run/${rt.namespace}/${rt.name}/${c.spec.name}/${c.restartCount}`);
  }

  /**
   * Plays a timeline against this container, one timer at a time. Steps before `offsetSimMs`
   * already happened (a resumed container) and are skipped, except its end.
   */
  private play(rt: PodRuntime, c: ContainerRuntime, timeline: Generator<TimelineStep>, offsetSimMs: number): void {
    const startedReal = this.ctx.clock.now();
    const next = () => {
      if (rt.finished || !c.state.running) return;
      const result = timeline.next();
      if (result.done) return;
      const step = result.value;
      const at = step.atSimMs;
      if (at < offsetSimMs && step.kind !== 'exit') {
        next();
        return;
      }
      const elapsed = offsetSimMs + this.ctx.clock.simElapsedSince(startedReal);
      const apply = () => {
        if (rt.finished || !c.state.running) return;
        this.applyStep(rt, c, step);
        next();
      };
      if (at <= elapsed) apply();
      else this.track(c, this.timers.after(this.ctx.clock.toRealMs(at - elapsed), apply));
    };
    next();
  }

  private track(c: ContainerRuntime, cancel: () => void): void {
    c.timers.add(cancel);
  }

  private cancelProgram(c: ContainerRuntime): void {
    for (const cancel of c.timers) cancel();
    c.timers.clear();
  }

  private applyStep(rt: PodRuntime, c: ContainerRuntime, step: TimelineStep): void {
    switch (step.kind) {
      case 'log':
        this.write(rt, c, step.lines);
        return;
      case 'peerLog': {
        const target = this.hostPod(rt, step.podName).runtime;
        const main = target?.containers[0];
        if (target && main?.state.running) this.write(target, main, step.lines);
        return;
      }
      case 'kill': {
        const target = this.hostPod(rt, step.podName).runtime;
        if (!target || target.finished) return;
        if (step.failure === 'Evicted') this.evict(target);
        else {
          const main = target.containers[0];
          if (main?.state.running) this.exitContainer(target, main, step.failure === 'OOMKilled' ? EXIT_CODE_KILLED : 1, step.failure);
        }
        return;
      }
      case 'exit':
        this.exitContainer(rt, c, step.exitCode, step.reason);
    }
  }

  private logKey(rt: PodRuntime, c: ContainerRuntime) {
    return { podUid: rt.uid, container: c.spec.name, instance: c.restartCount };
  }

  private write(rt: PodRuntime, c: ContainerRuntime, lines: readonly string[]): void {
    const key = this.logKey(rt, c);
    for (const line of lines) {
      this.logs.append(key, line);
      c.recentLines.push(line);
    }
    if (c.recentLines.length > TERMINATION_MESSAGE_MAX_LINES) c.recentLines.splice(0, c.recentLines.length - TERMINATION_MESSAGE_MAX_LINES);
  }

  // --- stopping -------------------------------------------------------------------------------

  private terminationMessage(c: ContainerRuntime, exitCode: number): string | undefined {
    if (exitCode === 0 || c.spec.terminationMessagePolicy !== TERMINATION_FALLBACK_TO_LOGS) return undefined;
    let text = c.recentLines.join('\n');
    if (text.length > TERMINATION_MESSAGE_MAX_BYTES) text = text.slice(text.length - TERMINATION_MESSAGE_MAX_BYTES);
    return text || undefined;
  }

  private exitContainer(rt: PodRuntime, c: ContainerRuntime, exitCode: number, reason: string): void {
    if (!c.state.running) return;
    this.cancelProgram(c);
    this.logs.terminate(this.logKey(rt, c));
    const message = this.terminationMessage(c, exitCode);
    const terminated: ContainerState = {
      terminated: {
        exitCode,
        reason,
        ...(message ? { message } : {}),
        startedAt: c.state.running.startedAt,
        finishedAt: rfc3339(this.ctx.clock.now()),
        containerID: c.containerID,
      },
    };
    const policy = rt.pod.spec.restartPolicy ?? RESTART_POLICY_ALWAYS;
    const restart = policy === RESTART_POLICY_ALWAYS || (policy === RESTART_POLICY_ON_FAILURE && exitCode !== 0);
    if (!restart) {
      c.state = terminated;
      this.settle(rt);
      return;
    }
    // The count goes up as the container is scheduled to restart, so `logs --previous` reads the
    // instance that just ended while the next one waits out its back-off.
    c.lastState = terminated;
    c.restartCount += 1;
    const backoffSimMs = restartBackoffSimMs(c.restartCount);
    c.state = {
      waiting: {
        reason: REASON.crashLoopBackOff,
        message: `back-off ${Math.round(backoffSimMs / 1000)}s restarting failed container=${c.spec.name} pod=${rt.name}_${rt.namespace}(${rt.uid})`,
      },
    };
    this.podEvent(rt, EVENT_TYPE.warning, EVENT.backOff, `Back-off restarting failed container ${c.spec.name} in pod ${rt.name}_${rt.namespace}(${rt.uid})`, c);
    this.track(c, this.timers.after(this.ctx.clock.toRealMs(backoffSimMs), () => this.startContainer(rt, c)));
    this.requestWrite(rt);
  }

  private evict(rt: PodRuntime): void {
    const main = rt.containers[0];
    const message = EVICTION_MESSAGE.replace('%s', main?.spec.name ?? 'main');
    rt.evicted = { message };
    this.podEvent(rt, EVENT_TYPE.warning, EVENT.evicted, message);
    for (const c of rt.containers) {
      if (c.state.running) this.podEvent(rt, EVENT_TYPE.normal, EVENT.killing, `Stopping container ${c.spec.name}`, c);
      this.cancelProgram(c);
      if (c.state.running) this.logs.terminate(this.logKey(rt, c));
      c.state = {
        terminated: {
          exitCode: EXIT_CODE_KILLED,
          reason: REASON.statusUnknown,
          message: STATUS_UNKNOWN_MESSAGE,
          startedAt: c.state.running?.startedAt,
          finishedAt: rfc3339(this.ctx.clock.now()),
          containerID: c.containerID,
        },
      };
    }
    this.settle(rt);
  }

  /** After a container stopped for good: if none will run again, the pod is done. */
  private settle(rt: PodRuntime): void {
    if (rt.containers.every((c) => c.state.terminated)) {
      rt.finished = true;
      rt.cancelStart?.();
    }
    this.requestWrite(rt);
  }

  // --- status ---------------------------------------------------------------------------------

  private phase(rt: PodRuntime): string {
    if (rt.evicted) return POD_PHASE.failed;
    if (rt.containers.every((c) => c.state.terminated)) {
      return rt.containers.every((c) => c.state.terminated?.exitCode === 0) ? POD_PHASE.succeeded : POD_PHASE.failed;
    }
    const everStarted = rt.containers.some((c) => c.state.running || c.state.terminated || c.lastState?.terminated);
    return everStarted ? POD_PHASE.running : POD_PHASE.pending;
  }

  private condition(rt: PodRuntime, type: string, status: 'True' | 'False', reason?: string, message?: string): PodCondition {
    const now = rfc3339(this.ctx.clock.now());
    const previous = rt.conditionTimes.get(type);
    const at = previous && previous.status === status ? previous.at : now;
    rt.conditionTimes.set(type, { status, at });
    return { type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}), lastProbeTime: null, lastTransitionTime: at };
  }

  private buildStatus(rt: PodRuntime): Record<string, unknown> {
    const phase = this.phase(rt);
    const containerStatuses: ContainerStatus[] = rt.containers.map((c) => ({
      name: c.spec.name,
      state: c.state,
      ...(c.lastState ? { lastState: c.lastState } : { lastState: {} }),
      ready: Boolean(c.state.running),
      restartCount: c.restartCount,
      image: c.spec.image ?? '',
      imageID: c.containerID ? imageId(c.spec.image ?? '') : '',
      ...(c.containerID ? { containerID: c.containerID } : {}),
      started: Boolean(c.state.running),
    }));
    const unready = rt.containers.filter((c) => !c.state.running).map((c) => c.spec.name);
    const allReady = unready.length === 0;
    const completed = phase === POD_PHASE.succeeded;
    const notReadyReason = completed ? REASON.podCompleted : REASON.containersNotReady;
    const notReadyMessage = completed ? undefined : `containers with unready status: [${unready.join(' ')}]`;
    const conditions: PodCondition[] = [
      ...(rt.evicted ? [this.condition(rt, 'DisruptionTarget', 'True', REASON.terminationByKubelet, rt.evicted.message)] : []),
      this.condition(rt, 'PodReadyToStartContainers', phase === POD_PHASE.pending || phase === POD_PHASE.running ? 'True' : 'False'),
      this.condition(rt, 'Initialized', 'True'),
      allReady ? this.condition(rt, 'Ready', 'True') : this.condition(rt, 'Ready', 'False', notReadyReason, notReadyMessage),
      allReady ? this.condition(rt, 'ContainersReady', 'True') : this.condition(rt, 'ContainersReady', 'False', notReadyReason, notReadyMessage),
      this.condition(rt, 'PodScheduled', 'True'),
    ];
    return {
      phase,
      conditions,
      hostIP: rt.hostIP,
      hostIPs: [{ ip: rt.hostIP }],
      ...(rt.podIP ? { podIP: rt.podIP, podIPs: [{ ip: rt.podIP }] } : {}),
      startTime: rt.startTime,
      containerStatuses,
      qosClass: qosClass(rt.pod),
      ...(rt.evicted ? { reason: REASON.evicted, message: rt.evicted.message } : {}),
    };
  }

  /** Status writes are serialised per pod and coalesced: the latest state always gets written. */
  private requestWrite(rt: PodRuntime): void {
    if (rt.gone || this.stopped) return;
    rt.dirty = true;
    if (rt.writing) return;
    rt.writing = (async () => {
      while (rt.dirty && !rt.gone && !this.stopped) {
        rt.dirty = false;
        try {
          await this.ctx.client.pods.patchStatus(rt.namespace, rt.name, { status: this.buildStatus(rt) });
        } catch (err) {
          if (isNotFound(err)) {
            this.podGone(rt.pod);
            return;
          }
          this.ctx.logger.warn(`kubelet: status of ${rt.namespace}/${rt.name} not written: ${apiFailure(err).message}`);
          rt.dirty = true;
          await this.timers.sleep(VOLUME_RETRY_MS);
        }
      }
    })()
      .catch((err: unknown) => this.ctx.logger.error(`kubelet: ${errorText(err)}`))
      .finally(() => {
        rt.writing = undefined;
      });
  }

  // --- addresses and events ---------------------------------------------------------------------

  private nodeIP(node: string): string {
    const addresses = this.ctx.informers.nodes.get('', node)?.status?.addresses ?? [];
    return addresses.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
  }

  private allocateIP(rt: PodRuntime): string {
    const cidr = this.ctx.informers.nodes.get('', rt.node)?.spec?.podCIDR ?? '10.244.0.0/24';
    const prefix = cidr.split('.').slice(0, 3).join('.');
    const used = new Set<string>();
    for (const pod of this.ctx.informers.pods.list()) {
      if (pod.spec.nodeName === rt.node && pod.status?.podIP && !isPodTerminal(pod)) used.add(pod.status.podIP);
    }
    for (const other of this.runtimes.values()) if (other.node === rt.node && other.podIP && !other.finished) used.add(other.podIP);
    for (let host = 2; host < 255; host++) {
      const ip = `${prefix}.${host}`;
      if (!used.has(ip)) return ip;
    }
    return `${prefix}.254`;
  }

  private podEvent(rt: PodRuntime, type: 'Normal' | 'Warning', reason: string, message: string, c?: ContainerRuntime): void {
    const source: EventSource = { component: KUBELET_COMPONENT, host: rt.node };
    const ref = objectRef(rt.pod, 'v1', 'Pod', c ? `spec.containers{${c.spec.name}}` : undefined);
    this.ctx.recorder.record(ref, type, reason, message, source);
  }
}

export function startKubelet(ctx: ControllerContext, options: KubeletOptions): RunningController {
  const kubelet = new Kubelet(ctx, options);
  kubelet.start();
  return kubelet;
}
