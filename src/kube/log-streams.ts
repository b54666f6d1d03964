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
//
// Failures: a container that has not started answers 400 and is waited for; a follow that broke
// off is resumed. A request the API server refuses (403, 5xx, a 404 for a pod the cache still
// has) or never answers is retried, and after MAX_REFUSED_OPENS in a row the stream fails: its
// members get a KUBERNETES_UNAVAILABLE error naming the pod and container, not a silent end.

import type { Logger } from 'pino';
import { KubernetesUnavailableError } from '../errors.ts';
import type { CacheChange, ObjectCache } from './cache.ts';
import { KubeApiError } from './errors.ts';
import type { ContainerStatus, PodObject } from './objects.ts';
import { LogStreamBrokeOffError, type LogSource, type PodLogHandle, type PodLogRequest, type RawLogLine } from './pod-log-source.ts';

/** Lines a stream keeps for subscribers that join later; also the most `tailLines` can give. */
export const LOG_BACKLOG_LINES = 1_000;
/** Wait before resuming a follow that ended while its container still runs. */
export const LOG_RESUME_DELAY_MS = 1_000;
/** Consecutive failed opens retried at once; after that the resume delay doubles per failure. */
const MAX_FAILED_OPENS = 3;
/** Upper bound of the resume delay after repeated failures. */
const LOG_RESUME_MAX_DELAY_MS = 30_000;
/** Refused (or unanswered) opens in a row after which the stream fails and its members are told. */
export const MAX_REFUSED_OPENS = 3;

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
  /**
   * The cluster would not serve this log (see logUnavailableError); called once, just before
   * the `ended` state. Without it a failed stream just ends.
   */
  onError?(error: KubernetesUnavailableError): void;
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

/** What a failed `pods/log` request means for the stream. */
type LogReadFailure =
  /** 400: the container has not started (ContainerCreating) or has no previous run; nothing to read yet. */
  | 'notStarted'
  /** 404: the pod is gone, or the API server has it gone before the pod cache does. */
  | 'missing'
  /** An answered follow that broke off: resumed from the last line. */
  | 'brokeOff'
  /** Refused (401, 403, 429, 5xx), never answered, or failed before sending. */
  | 'refused';

function classifyLogFailure(error: Error): LogReadFailure {
  if (error instanceof LogStreamBrokeOffError) return 'brokeOff';
  if (!(error instanceof KubeApiError)) return 'refused';
  if (error.statusCode === 400) return 'notStarted';
  return error.statusCode === 404 ? 'missing' : 'refused';
}

/**
 * What a subscriber gets for a log the cluster would not serve. The caller was already allowed
 * `get pods/log` there and can see the pod; the read is the gateway's own. So a 403 is not the
 * caller's FORBIDDEN, nor a 404 for a pod still there NOT_FOUND: they read alike, with 5xx and no
 * answer, as KUBERNETES_UNAVAILABLE (the upstream message, which may name the gateway's identity,
 * goes to the gateway's log only).
 */
function logUnavailableError(key: LogStreamKey, error: Error): KubernetesUnavailableError {
  const refused = error instanceof KubeApiError && error.statusCode < 500 && error.statusCode !== 429;
  const why = !(error instanceof KubeApiError)
    ? 'the Kubernetes API did not answer'
    : refused
      ? 'the Kubernetes API refused to serve it'
      : `the Kubernetes API answered ${error.statusCode}`;
  return new KubernetesUnavailableError(`the log of container "${key.container}" in pod "${key.pod}" cannot be read: ${why}`, {
    pod: key.pod,
    container: key.container,
  });
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
  /** The last open was refused (or unanswered), and how many in a row were. */
  private refusal: { error: Error; count: number; missing: boolean } | undefined;
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
        else {
          this.refusal = undefined;
          this.follow();
        }
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
        this.refusal = undefined;
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
    const failure = error ? classifyLogFailure(error) : undefined;
    if (error) {
      this.failedOpens += 1;
      // A container that is not running yet answers 400; that is waiting, not failing.
      if (failure === 'refused' || failure === 'brokeOff') this.owner.logger.warn({ err: error, stream: streamKeyText(this.key) }, 'pod log stream failed');
    }
    this.refusal =
      error && (failure === 'refused' || failure === 'missing') ? { error, count: (this.refusal?.count ?? 0) + 1, missing: failure === 'missing' } : undefined;
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
    const refusal = this.refusal;
    if (refusal) {
      if (refusal.count >= MAX_REFUSED_OPENS) this.fail(refusal.error);
      // Retried whatever the container's state: one that has not started answers 400, not this.
      // A 404 may be a pod deleted before the cache saw it go: the watch gets time to show it.
      else if (refusal.missing) this.resumeAfter(this.owner.resumeDelayMs);
      else this.reopen();
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
      this.resumeAfter(Math.min(LOG_RESUME_MAX_DELAY_MS, this.owner.resumeDelayMs * 2 ** Math.max(0, this.failedOpens - MAX_FAILED_OPENS)));
    }
    // Waiting to start or to restart: the next pod change decides.
  }

  private resumeAfter(delayMs: number): void {
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      if (this.state === 'waiting') this.reopen();
    }, delayMs);
    this.resumeTimer.unref();
  }

  /** The cluster will not serve this log: the members are told, then the stream ends. */
  private fail(error: Error): void {
    const failure = logUnavailableError(this.key, error);
    this.owner.logger.warn({ err: error, stream: streamKeyText(this.key), opens: this.refusal?.count }, 'pod log stream gave up; its subscribers get an error');
    for (const member of [...this.members]) member.listener.onError?.(failure);
    this.finish();
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
   * one, else one read. A container with nothing to read yet (or a pod already gone) gives no
   * lines; a read the cluster refuses, does not answer or breaks off rejects with
   * KUBERNETES_UNAVAILABLE, as a failed stream does.
   */
  async snapshot(key: LogStreamKey, options: SnapshotOptions = {}): Promise<StreamLine[]> {
    const open = this.streams.get(streamKeyText(key));
    const tailLines = options.tailLines === undefined ? undefined : Math.min(options.tailLines, this.backlogLines);
    if (open && !options.previous && open.state !== 'loading') return open.snapshot({ ...options, tailLines });
    const sinceSeconds = options.sinceMs === undefined ? undefined : Math.max(1, Math.ceil((Date.now() - options.sinceMs) / 1000));
    return new Promise((resolve, reject) => {
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
            const failure = error ? classifyLogFailure(error) : undefined;
            // One read, no retry: a 404 fails only while the pod cache still has the pod.
            if (error && (failure === 'refused' || failure === 'brokeOff' || (failure === 'missing' && this.podStillThere(key)))) {
              this.logger.warn({ err: error, stream: streamKeyText(key) }, 'pod log read failed');
              reject(logUnavailableError(key, error));
              return;
            }
            const since = options.sinceMs;
            resolve(since === undefined ? lines : lines.filter((l) => !(l.timeMs < since)));
          },
        },
      );
    });
  }

  private podStillThere(key: LogStreamKey): boolean {
    const pod = this.pods.get(key.namespace, key.pod);
    return pod !== undefined && (pod.metadata.uid ?? '') === key.uid && pod.metadata.deletionTimestamp === undefined;
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
