// One `jobLogs` subscription: the job's launcher and worker containers joined on their shared
// log streams, the lines already written merged in time order, then new lines as they arrive,
// each tagged with its pod, role, container and (from the launcher's rank tags) rank. Pods that
// appear later (a new launcher after a retry) are joined as they show up. The subscription
// completes once the job has finished and every stream that still had something to say has
// ended; workers left running by cleanPodPolicy None are not waited for. A container whose log
// the cluster will not serve ends the subscription with that error (KUBERNETES_UNAVAILABLE,
// naming the pod and container), after the lines already queued: a client resubscribes, or
// narrows `role`/`container`, rather than mistaking the silence for a quiet job.

import type { ObjectCache } from '../kube/cache.ts';
import type { ChangeHub } from '../kube/hub.ts';
import { defaultContainer, type LogStreamKey, type LogStreamMembership, type LogStreams, type StreamLine } from '../kube/log-streams.ts';
import type { MPIJobObject, PodObject } from '../kube/objects.ts';
import { SubscriberQueue } from '../kube/subscriber-queue.ts';
import { toMpiJobModel, type ReplicaType } from '../mpijob/model.ts';
import { toPodModel } from '../worker/model.ts';
import { parseRankTag, tagFormatOf, type LogStreamName, type TagFormat, type TaggedLine } from './rank-tags.ts';

/** Lines per subscription message. */
export const LOG_BATCH_LINES = 1_000;
/**
 * The longest the merged backlog waits for a container whose backlog read has not answered;
 * that container's lines then follow as they come.
 */
export const LOG_BACKLOG_WAIT_MS = 5_000;

export interface LogLineModel {
  pod: string;
  role: ReplicaType | null;
  rank: number | null;
  container: string;
  timestamp: string | null;
  text: string;
  stream: LogStreamName | null;
  seq: number;
}

export interface JobLogRequest {
  namespace: string;
  name: string;
  role: ReplicaType | null;
  /** Keep only rank-tagged lines of these ranks. */
  ranks: ReadonlySet<number> | null;
  /** Default: each pod's main container. */
  container: string | null;
  /** Per container, of the lines already written. */
  tailLines: number | null;
  /** Lines written at or after this instant (ms since the epoch). */
  sinceMs: number | null;
  timestamps: boolean;
  previous: boolean;
  follow: boolean;
}

export interface JobLogSources {
  streams: LogStreams;
  mpiJobs: ObjectCache<MPIJobObject>;
  pods: ObjectCache<PodObject>;
  jobHub: ChangeHub<MPIJobObject>;
  podHub: ChangeHub<PodObject>;
}

export interface JobLogQueueOptions {
  /** Lines held for a consumer that is behind; one more ends it with `overflowError`. */
  capacity: number;
  overflowError: () => Error;
}

/** What a line needs from the container it came from; shared by every line of the container. */
interface Origin {
  pod: string;
  role: ReplicaType | null;
  container: string;
  format: TagFormat | undefined;
}

interface QueuedLine {
  line: StreamLine;
  origin: Origin;
}

interface Member {
  origin: Origin;
  membership: LogStreamMembership | undefined;
}

const FINISHED_PHASES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED']);

/** The rank tag of a line is read once, whichever subscriptions share its stream. */
const tagged = new WeakMap<StreamLine, TaggedLine>();

function tagOf(line: StreamLine, format: TagFormat | undefined): TaggedLine {
  if (format === undefined) return { rank: null, stream: null, text: line.text };
  let parsed = tagged.get(line);
  if (!parsed) {
    parsed = parseRankTag(line.text, format);
    tagged.set(line, parsed);
  }
  return parsed;
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** Merges per-container runs of lines into one run in time order (ties keep container order). */
function mergeByTime(runs: QueuedLine[][]): QueuedLine[] {
  const all = runs.flat();
  const index = new Map(all.map((entry, i) => [entry, i]));
  return all.sort((a, b) => (a.line.timeMs || 0) - (b.line.timeMs || 0) || (index.get(a) ?? 0) - (index.get(b) ?? 0));
}

class JobLogFollower {
  private readonly sources: JobLogSources;
  private readonly request: JobLogRequest;
  readonly queue: SubscriberQueue<QueuedLine>;
  private readonly members = new Map<string, Member>();
  private readonly detachers: Array<() => void> = [];
  private readonly format: TagFormat;
  /** Until every container known at the start has sent its backlog, lines are held to be merged. */
  private held: Map<Member, QueuedLine[]> | undefined = new Map();
  /** Containers whose backlog has not arrived yet. */
  private readonly awaiting = new Set<Member>();
  private backlogTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private finished = false;

  constructor(sources: JobLogSources, request: JobLogRequest, job: MPIJobObject, options: JobLogQueueOptions) {
    this.sources = sources;
    this.request = request;
    this.format = tagFormatOf(toMpiJobModel(job).spec.mpiImplementation);
    this.queue = new SubscriberQueue<QueuedLine>({ capacity: options.capacity, overflowError: options.overflowError, onClose: () => this.cleanup() });
  }

  lines(): AsyncIterableIterator<LogLineModel[]> {
    const batches = this.queue.batches(LOG_BATCH_LINES);
    const toModels = (entries: QueuedLine[]): LogLineModel[] => entries.map((entry) => this.toModel(entry));
    const iterator: AsyncIterableIterator<LogLineModel[]> = {
      next: async () => {
        const result = await batches.next();
        return result.done ? result : { done: false, value: toModels(result.value) };
      },
      return: async () => {
        await batches.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  async start(): Promise<void> {
    const pods = this.jobPods();
    if (!this.request.follow || this.request.previous) {
      await this.readOnce(pods);
      return;
    }
    const scope = { namespace: this.request.namespace, job: this.request.name };
    this.detachers.push(
      this.sources.podHub.listen(scope, (event) => {
        if (event.object && event.type !== 'DELETED') this.joinPod(event.object);
        this.checkDone();
      }),
      this.sources.jobHub.listen(scope, () => this.checkDone()),
    );
    for (const pod of pods) this.joinPod(pod);
    this.backlogTimer = setTimeout(() => this.release(), LOG_BACKLOG_WAIT_MS);
    this.backlogTimer.unref();
    this.releaseIfReady();
  }

  private jobPods(): PodObject[] {
    return this.sources.pods
      .list(this.request.namespace)
      .filter((pod) => toPodModel(pod).jobName === this.request.name)
      .sort((a, b) => {
        const ma = toPodModel(a);
        const mb = toPodModel(b);
        // Launcher first, then workers by rank: the order ties are merged in.
        if (ma.role !== mb.role) return ma.role === 'LAUNCHER' ? -1 : 1;
        return (ma.rank ?? 0) - (mb.rank ?? 0) || ma.name.localeCompare(mb.name);
      });
  }

  /** The container of `pod` this subscription reads, or undefined when the pod is not wanted. */
  private targetOf(pod: PodObject): LogStreamKey | undefined {
    const model = toPodModel(pod);
    if (this.request.role !== null && model.role !== this.request.role) return undefined;
    const names = (pod.spec?.containers ?? []).map((c) => c.name);
    const container = this.request.container ?? defaultContainer(pod);
    if (container === undefined || !names.includes(container)) return undefined;
    return { namespace: model.namespace, pod: model.name, uid: model.uid, container };
  }

  private originOf(pod: PodObject, key: LogStreamKey): Origin {
    const model = toPodModel(pod);
    return { pod: key.pod, role: model.role, container: key.container, format: model.role === 'LAUNCHER' ? this.format : undefined };
  }

  private async readOnce(pods: PodObject[]): Promise<void> {
    const targets = pods.flatMap((pod) => {
      const key = this.targetOf(pod);
      return key ? [{ key, origin: this.originOf(pod, key) }] : [];
    });
    const reads = await Promise.allSettled(
      targets.map(async ({ key, origin }) => {
        const lines = await this.sources.streams.snapshot(key, {
          tailLines: this.request.tailLines ?? undefined,
          sinceMs: this.request.sinceMs ?? undefined,
          previous: this.request.previous,
        });
        return lines.map((line) => ({ line, origin })).filter((entry) => this.wanted(entry));
      }),
    );
    const runs = reads.flatMap((read) => (read.status === 'fulfilled' ? [read.value] : []));
    const failed = reads.find((read) => read.status === 'rejected');
    this.queue.preload(mergeByTime(runs));
    // What could be read is sent, then the first failure instead of the end.
    this.queue.end(failed ? toError(failed.reason) : undefined);
  }

  /** A container's stream failed for good: what is held or queued is sent, then the error. */
  private failWith(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
    this.queue.end(error);
  }

  private joinPod(pod: PodObject): void {
    if (this.finished) return;
    const key = this.targetOf(pod);
    if (!key) return;
    const id = `${key.uid}/${key.container}`;
    if (this.members.has(id)) return;
    const member: Member = { origin: this.originOf(pod, key), membership: undefined };
    this.members.set(id, member);
    // A pod that shows up once lines flow is new: all it has written is new to the subscriber.
    const initial = this.held !== undefined;
    if (initial) this.awaiting.add(member);
    member.membership = this.sources.streams.join(
      key,
      {
        onLines: (lines) => {
          const entries = lines.map((line) => ({ line, origin: member.origin })).filter((entry) => this.wanted(entry));
          if (this.held) {
            const held = this.held.get(member);
            if (held) for (const entry of entries) held.push(entry);
            else this.held.set(member, entries);
            if (this.awaiting.delete(member)) this.releaseIfReady();
            return;
          }
          for (const entry of entries) if (!this.queue.push(entry)) return;
        },
        onState: () => this.checkDone(),
        onError: (error) => this.failWith(error),
      },
      initial ? { tailLines: this.request.tailLines ?? undefined, sinceMs: this.request.sinceMs ?? undefined } : {},
    );
  }

  /** Sends the merged backlog once every container known at the start has sent its own. */
  private releaseIfReady(): void {
    if (this.awaiting.size === 0) this.release();
  }

  private release(): void {
    const held = this.held;
    clearTimeout(this.backlogTimer);
    this.backlogTimer = undefined;
    if (!held) return;
    this.held = undefined;
    this.awaiting.clear();
    this.queue.preload(mergeByTime([...held.values()]));
    this.checkDone();
  }

  private wanted(entry: QueuedLine): boolean {
    const ranks = this.request.ranks;
    if (ranks === null) return true;
    const rank = tagOf(entry.line, entry.origin.format).rank;
    return rank !== null && ranks.has(rank);
  }

  private toModel(entry: QueuedLine): LogLineModel {
    const tag = tagOf(entry.line, entry.origin.format);
    const timestamp = entry.line.timestamp === '' ? null : entry.line.timestamp;
    this.seq += 1;
    return {
      pod: entry.origin.pod,
      role: entry.origin.role,
      rank: tag.rank,
      container: entry.origin.container,
      timestamp,
      text: this.request.timestamps && timestamp ? `${timestamp} ${tag.text}` : tag.text,
      stream: tag.stream,
      seq: this.seq,
    };
  }

  /** Completes once the job has finished and nothing it ran has lines still to come. */
  private checkDone(): void {
    if (this.finished || this.held) return;
    const job = this.sources.mpiJobs.get(this.request.namespace, this.request.name);
    const jobDone = !job || FINISHED_PHASES.has(toMpiJobModel(job).phase);
    if (!jobDone) return;
    for (const member of this.members.values()) {
      if (!member.membership || member.membership.drained) continue;
      // Workers left running after the job (cleanPodPolicy None) would keep it open for ever.
      if (member.origin.role === 'WORKER' && this.containerRunning(member)) continue;
      return;
    }
    this.finished = true;
    this.queue.end();
  }

  private containerRunning(member: Member): boolean {
    const pod = this.sources.pods.get(this.request.namespace, member.origin.pod);
    const status = pod?.status?.containerStatuses?.find((s) => s.name === member.origin.container);
    return status?.state?.running !== undefined;
  }

  private cleanup(): void {
    this.finished = true;
    clearTimeout(this.backlogTimer);
    for (const detach of this.detachers.splice(0)) detach();
    for (const member of this.members.values()) member.membership?.leave();
    this.members.clear();
  }
}

/**
 * Starts following a job's logs; the iterator yields batches of lines and ends when the
 * subscription completes. `job` is the MPIJob as read when the subscription was accepted.
 */
export async function followJobLogs(
  sources: JobLogSources,
  request: JobLogRequest,
  job: MPIJobObject,
  options: JobLogQueueOptions,
): Promise<AsyncIterableIterator<LogLineModel[]>> {
  const follower = new JobLogFollower(sources, request, job, options);
  const lines = follower.lines();
  await follower.start();
  return lines;
}
