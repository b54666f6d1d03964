// Shared container log streams: one upstream `pods/log` follow per container, however many
// subscribers read it, opened by the first and closed when the last one leaves. Each stream keeps
// the last lines it saw (its backlog) so a subscriber that joins later gets its `tailLines` from
// memory, not from another request.
//
// Opening: the backlog is read first (`tailLines=<backlog>`, no follow), then the follow starts
// at the second of the last backlog line (`sinceTime`) and skips what the backlog already had.
// The same resume serves a follow that broke off and a container that restarted: the new
// instance's lines are all newer than the last line seen. A stream ends for good when its pod is
// gone or its container has terminated and will not run again (pod Succeeded or Failed, or
// restartPolicy Never); the pod cache says which.

import type { Logger } from 'pino';
import type { CacheChange, ObjectCache } from './cache.ts';
import { KubeApiError } from './errors.ts';
import type { ContainerStatus, PodObject } from './objects.ts';
import type { LogSource, PodLogHandle, PodLogRequest, RawLogLine } from './pod-log-source.ts';

/** Lines a stream keeps for subscribers that join later; also the most `tailLines` can give. */
export const LOG_BACKLOG_LINES = 1_000;
/** Wait before resuming a follow that ended while its container still runs. */
export const LOG_RESUME_DELAY_MS = 1_000;
/** Consecutive failed opens retried at once; after that the resume delay doubles per failure. */
const MAX_FAILED_OPENS = 3;
/** Upper bound of the resume delay after repeated failures. */
const LOG_RESUME_MAX_DELAY_MS = 30_000;

const POD_PHASE_SUCCEEDED = 'Succeeded';
const POD_PHASE_FAILED = 'Failed';
const RESTART_POLICY_NEVER = 'Never';
/** kubectl's annotation naming the container to show when none is asked for. */
export const ANNOTATION_DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';

export interface LogStreamKey {
  namespace: string;
  pod: string;
  /** A pod recreated under the same name is another stream. */
  uid: string;
  container: string;
}

export type StreamLine = RawLogLine;

/**
 * `loading`: reading the backlog; `live`: following; `waiting`: not following now (the container
 * has not started or is between restarts; everything written so far was delivered); `ended`.
 */
export type LogStreamState = 'loading' | 'live' | 'waiting' | 'ended';

export interface LogStreamListener {
  /** Lines in order. The first call after joining carries the backlog asked for (maybe none). */
  onLines(lines: readonly StreamLine[]): void;
  onState?(state: LogStreamState): void;
}

export interface JoinOptions {
  /** Backlog lines wanted (at most the stream's backlog); default all it has. */
  tailLines?: number | undefined;
  /** Only backlog lines at or after this instant (ms since the epoch). */
  sinceMs?: number | undefined;
}

export interface LogStreamMembership {
  readonly state: LogStreamState;
  /**
   * Everything the container wrote has been delivered: the stream ended, or its last follow
   * ended normally and the container is not running now.
   */
  readonly drained: boolean;
  leave(): void;
}

export interface SnapshotOptions extends JoinOptions {
  previous?: boolean | undefined;
}

export interface LogStreamsOptions {
  source: LogSource;
  /** The pod cache, which tells whether a container will write again. */
  pods: ObjectCache<PodObject>;
  logger: Logger;
  /** Default LOG_BACKLOG_LINES. */
  backlogLines?: number;
  /** Default LOG_RESUME_DELAY_MS. */
  resumeDelayMs?: number;
}

export interface LogStreamStats {
  /** Streams open now (one per container with at least one subscriber). */
  open: number;
  /** Streams opened since start. */
  opened: number;
  /** Subscribers attached to open streams. */
  members: number;
  /** `pods/log` requests made: backlogs, follows, resumes and one-off reads. */
  requests: number;
}

export function streamKeyText(key: LogStreamKey): string {
  return `${key.namespace}/${key.pod}/${key.uid}/${key.container}`;
}

/** The container `kubectl logs` shows when none is named: the annotated default, else the first. */
export function defaultContainer(pod: PodObject): string | undefined {
  const annotated = pod.metadata.annotations?.[ANNOTATION_DEFAULT_CONTAINER];
  const names = (pod.spec?.containers ?? []).map((c) => c.name).filter((n): n is string => typeof n === 'string');
  return annotated && names.includes(annotated) ? annotated : names[0];
}

function containerStatusOf(pod: PodObject, container: string): ContainerStatus | undefined {
  return [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s) => s.name === container);
}

/** RFC 3339 to the second, as the API server reads `sinceTime`. */
function sinceTimeOf(timeMs: number): string {
  return new Date(Math.floor(timeMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What a stream needs from the registry that made it. */
interface StreamOwner {
  pods: ObjectCache<PodObject>;
  logger: Logger;
  backlogLines: number;
  resumeDelayMs: number;
  openUpstream(request: PodLogRequest, handlers: Parameters<LogSource['open']>[1]): PodLogHandle;
  /** The stream is over: drop it from the registry. */
  forget(stream: SharedLogStream): void;
}

interface Member {
  listener: LogStreamListener;
  options: JoinOptions;
  /** Still waiting for the backlog. */
  pending: boolean;
}

class SharedLogStream {
  state: LogStreamState = 'loading';
  readonly members = new Set<Member>();
  private readonly key: LogStreamKey;
  private readonly owner: StreamOwner;
  private backlog: StreamLine[] = [];
  /** The last line delivered, and how many delivered lines share its timestamp (for the resume skip). */
  private last: { timeMs: number; timestamp: string; sameTime: number } | undefined;
  private upstream: PodLogHandle | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  private failedOpens = 0;
  private lastEndFailed = false;
  /** The container's restart count when the upstream was last opened: a higher one is a new instance. */
  private openedRestartCount = 0;
  /** Whether the container was running when the upstream was last opened. */
  private openedWhileRunning = false;

  constructor(key: LogStreamKey, owner: StreamOwner) {
    this.key = key;
    this.owner = owner;
  }

  start(): void {
    this.loadBacklog();
  }

  join(member: Member): void {
    this.members.add(member);
    if (this.state !== 'loading') this.sendBacklog(member);
  }

  close(): void {
    this.upstream?.abort();
    this.upstream = undefined;
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    this.setState('ended');
  }

  get drained(): boolean {
    if (this.state === 'ended') return true;
    if (this.state !== 'waiting' || this.lastEndFailed) return false;
    return this.containerStatus()?.state?.running === undefined;
  }

  private containerStatus(): ContainerStatus | undefined {
    const pod = this.owner.pods.get(this.key.namespace, this.key.pod);
    return pod && (pod.metadata.uid ?? '') === this.key.uid ? containerStatusOf(pod, this.key.container) : undefined;
  }

  /** The pod changed: a stream that is not following may have something to follow now. */
  podChanged(): void {
    if (this.state === 'waiting') this.evaluate();
  }

  snapshot(options: JoinOptions): StreamLine[] {
    const since = options.sinceMs;
    const lines = since === undefined ? this.backlog : this.backlog.filter((l) => !(l.timeMs < since));
    // The backlog array runs up to twice its size between trims; what it promises is its size.
    const tail = Math.min(options.tailLines ?? this.owner.backlogLines, this.owner.backlogLines);
    return lines.slice(Math.max(0, lines.length - tail));
  }

  private open(request: Pick<PodLogRequest, 'follow' | 'tailLines' | 'sinceTime'>, handlers: Parameters<LogSource['open']>[1]): PodLogHandle {
    const status = this.containerStatus();
    this.openedRestartCount = status?.restartCount ?? 0;
    this.openedWhileRunning = status?.state?.running !== undefined;
    return this.owner.openUpstream({ namespace: this.key.namespace, pod: this.key.pod, container: this.key.container, ...request }, handlers);
  }

  private loadBacklog(): void {
    const lines: StreamLine[] = [];
    this.setState('loading');
    this.upstream = this.open({ follow: false, tailLines: this.owner.backlogLines }, {
      onLines: (batch) => {
        for (const line of batch) lines.push(line);
      },
      onEnd: (error) => {
        this.upstream = undefined;
        this.append(lines);
        for (const member of [...this.members]) {
          // Members that joined before an earlier, empty read have not seen these lines either.
          if (member.pending) this.sendBacklog(member);
          else if (lines.length > 0) member.listener.onLines(lines);
        }
        if (error) this.ended(error);
        else this.follow();
      },
    });
  }

  private follow(): void {
    if (this.state === 'ended') return;
    this.setState('live');
    const last = this.last;
    let skipSameTime = last?.sameTime ?? 0;
    this.upstream = this.open({ follow: true, sinceTime: last ? sinceTimeOf(last.timeMs) : undefined }, {
      onLines: (batch) => {
        this.failedOpens = 0;
        let fresh: StreamLine[] = batch;
        if (last) {
          // `sinceTime` has second precision: drop what was delivered before the resume.
          fresh = batch.filter((line) => {
            if (line.timeMs < last.timeMs) return false;
            if (line.timeMs === last.timeMs && skipSameTime > 0) {
              skipSameTime -= 1;
              return false;
            }
            return true;
          });
        }
        if (fresh.length === 0) return;
        this.append(fresh);
        for (const member of [...this.members]) if (!member.pending) member.listener.onLines(fresh);
      },
      onEnd: (error) => {
        this.upstream = undefined;
        this.ended(error);
      },
    });
  }

  private append(lines: readonly StreamLine[]): void {
    if (lines.length === 0) return;
    for (const line of lines) {
      this.backlog.push(line);
      if (this.last && line.timeMs === this.last.timeMs) this.last.sameTime += 1;
      else this.last = { timeMs: line.timeMs, timestamp: line.timestamp, sameTime: 1 };
    }
    const max = this.owner.backlogLines;
    if (this.backlog.length > 2 * max) this.backlog = this.backlog.slice(this.backlog.length - max);
  }

  private sendBacklog(member: Member): void {
    member.pending = false;
    member.listener.onLines(this.snapshot(member.options));
  }

  private ended(error: Error | undefined): void {
    if (this.state === 'ended') return;
    this.lastEndFailed = error !== undefined;
    if (error) {
      this.failedOpens += 1;
      // A container that is not running yet answers 400; that is waiting, not failing.
      const expected = error instanceof KubeApiError && (error.statusCode === 400 || error.statusCode === 404);
      if (!expected) this.owner.logger.warn({ err: error, stream: streamKeyText(this.key) }, 'pod log stream failed');
    }
    this.setState('waiting');
    this.evaluate();
  }

  /** Decides, from the pod cache, whether to end, follow again now, or wait. */
  private evaluate(): void {
    if (this.state !== 'waiting') return;
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    const pod = this.owner.pods.get(this.key.namespace, this.key.pod);
    if (!pod || (pod.metadata.uid ?? '') !== this.key.uid || pod.metadata.deletionTimestamp !== undefined) {
      this.finish();
      return;
    }
    const status = containerStatusOf(pod, this.key.container);
    const phase = pod.status?.phase;
    const podDone = phase === POD_PHASE_SUCCEEDED || phase === POD_PHASE_FAILED;
    const containerDone = status?.state?.terminated !== undefined && (podDone || pod.spec?.restartPolicy === RESTART_POLICY_NEVER);
    if (containerDone || podDone) {
      // A follow that broke off may not have delivered the end of the log: read it once more.
      if (this.lastEndFailed && this.failedOpens < MAX_FAILED_OPENS && status?.state?.terminated !== undefined) this.reopen();
      else this.finish();
      return;
    }
    if (status?.state?.running !== undefined) {
      const restarted = (status.restartCount ?? 0) > this.openedRestartCount;
      // Opened before the container ran (not scheduled, still creating): it runs now.
      const started = !this.openedWhileRunning;
      if (restarted || started || (this.lastEndFailed && this.failedOpens <= MAX_FAILED_OPENS)) {
        this.reopen();
        return;
      }
      // Running, yet the follow ended: the cache may not show the termination yet, or the
      // connection dropped. Either the pod changes soon, or the follow resumes after a delay.
      const delay = Math.min(LOG_RESUME_MAX_DELAY_MS, this.owner.resumeDelayMs * 2 ** Math.max(0, this.failedOpens - MAX_FAILED_OPENS));
      this.resumeTimer = setTimeout(() => {
        this.resumeTimer = undefined;
        if (this.state === 'waiting') this.reopen();
      }, delay);
      this.resumeTimer.unref();
    }
    // Waiting to start or to restart: the next pod change decides.
  }

  private reopen(): void {
    if (this.last === undefined) this.loadBacklog();
    else this.follow();
  }

  private finish(): void {
    this.setState('ended');
    this.owner.forget(this);
  }

  private setState(state: LogStreamState): void {
    if (this.state === state || this.state === 'ended') return;
    this.state = state;
    for (const member of [...this.members]) member.listener.onState?.(state);
  }

  get keyText(): string {
    return streamKeyText(this.key);
  }

  get podKey(): string {
    return `${this.key.namespace}/${this.key.pod}`;
  }
}

export class LogStreams {
  private readonly pods: ObjectCache<PodObject>;
  private readonly logger: Logger;
  private readonly backlogLines: number;
  private readonly owner: StreamOwner;
  private readonly source: LogSource;
  private readonly streams = new Map<string, SharedLogStream>();
  private readonly byPod = new Map<string, Set<SharedLogStream>>();
  private readonly unsubscribePods: () => void;
  private opened = 0;
  private requests = 0;
  private stopped = false;

  constructor(options: LogStreamsOptions) {
    this.source = options.source;
    this.pods = options.pods;
    this.logger = options.logger;
    this.backlogLines = Math.max(1, options.backlogLines ?? LOG_BACKLOG_LINES);
    this.owner = {
      pods: this.pods,
      logger: this.logger,
      backlogLines: this.backlogLines,
      resumeDelayMs: options.resumeDelayMs ?? LOG_RESUME_DELAY_MS,
      openUpstream: (request, handlers) => this.openUpstream(request, handlers),
      forget: (stream) => this.forget(stream),
    };
    this.unsubscribePods = this.pods.onChange((change: CacheChange<PodObject>) => {
      const streams = this.byPod.get(`${change.object.metadata.namespace ?? ''}/${change.object.metadata.name ?? ''}`);
      if (streams) for (const stream of [...streams]) stream.podChanged();
    });
  }

  stats(): LogStreamStats {
    let members = 0;
    for (const stream of this.streams.values()) members += stream.members.size;
    return { open: this.streams.size, opened: this.opened, members, requests: this.requests };
  }

  /**
   * Joins the container's shared stream (opening it if this is the first member): the listener
   * gets the backlog asked for, then every new line, until it leaves or the stream ends.
   */
  join(key: LogStreamKey, listener: LogStreamListener, options: JoinOptions = {}): LogStreamMembership {
    const text = streamKeyText(key);
    let stream = this.streams.get(text);
    const member: Member = { listener, options: { ...options, tailLines: options.tailLines === undefined ? undefined : Math.min(options.tailLines, this.backlogLines) }, pending: true };
    if (this.stopped) {
      listener.onLines([]);
      listener.onState?.('ended');
      return { state: 'ended', drained: true, leave: () => undefined };
    }
    if (!stream) {
      stream = new SharedLogStream(key, this.owner);
      this.streams.set(text, stream);
      let podStreams = this.byPod.get(stream.podKey);
      if (!podStreams) {
        podStreams = new Set();
        this.byPod.set(stream.podKey, podStreams);
      }
      podStreams.add(stream);
      this.opened += 1;
      stream.members.add(member);
      stream.start();
    } else {
      stream.join(member);
    }
    const joined = stream;
    return {
      get state() {
        return joined.state;
      },
      get drained() {
        return joined.drained;
      },
      leave: () => {
        joined.members.delete(member);
        if (joined.members.size === 0 && this.streams.get(text) === joined) {
          joined.close();
          this.forget(joined);
        }
      },
    };
  }

  /**
   * The container's lines as of now, without following: from the open stream when there is
   * one, else one read. A container with nothing to read yet gives no lines.
   */
  async snapshot(key: LogStreamKey, options: SnapshotOptions = {}): Promise<StreamLine[]> {
    const open = this.streams.get(streamKeyText(key));
    const tailLines = options.tailLines === undefined ? undefined : Math.min(options.tailLines, this.backlogLines);
    if (open && !options.previous && open.state !== 'loading') return open.snapshot({ ...options, tailLines });
    const sinceSeconds = options.sinceMs === undefined ? undefined : Math.max(1, Math.ceil((Date.now() - options.sinceMs) / 1000));
    return new Promise((resolve) => {
      const lines: StreamLine[] = [];
      this.openUpstream(
        {
          namespace: key.namespace,
          pod: key.pod,
          container: key.container,
          follow: false,
          tailLines: tailLines ?? this.backlogLines,
          sinceSeconds,
          previous: options.previous,
        },
        {
          onLines: (batch) => {
            for (const line of batch) lines.push(line);
          },
          onEnd: (error) => {
            if (error && !(error instanceof KubeApiError && (error.statusCode === 400 || error.statusCode === 404))) {
              this.logger.warn({ err: error, stream: streamKeyText(key) }, 'pod log read failed');
            }
            const since = options.sinceMs;
            resolve(since === undefined ? lines : lines.filter((l) => !(l.timeMs < since)));
          },
        },
      );
    });
  }

  /** Ends every stream (members see `ended`) and stops listening to the pod cache. */
  stop(): void {
    this.stopped = true;
    this.unsubscribePods();
    for (const stream of [...this.streams.values()]) {
      stream.close();
      this.forget(stream);
    }
  }

  private openUpstream(request: PodLogRequest, handlers: Parameters<LogSource['open']>[1]): PodLogHandle {
    this.requests += 1;
    return this.source.open(request, handlers);
  }

  private forget(stream: SharedLogStream): void {
    if (this.streams.get(stream.keyText) === stream) this.streams.delete(stream.keyText);
    const podStreams = this.byPod.get(stream.podKey);
    podStreams?.delete(stream);
    if (podStreams?.size === 0) this.byPod.delete(stream.podKey);
  }
}
