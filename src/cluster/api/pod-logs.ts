// GET .../pods/<name>/log: the API server's proxy to the kubelet's log endpoint, reading the
// simulated kubelet's LogStore. Container choice and errors follow the real apiserver
// (pkg/registry/core/pod/strategy.go) and kubelet (kubelet_pods.go) so kubectl prints the same
// messages; output is text/plain, chunked, flushed line by line when following.

import type { ServerResponse } from 'node:http';
import type { ContainerInstanceKey, LogLine, LogStore } from '../logstore.ts';
import { badRequest, CAUSE, invalid, type StatusCause } from './status.ts';
import { isRecord, type KubeObject } from './types.ts';
import type { StreamRegistry } from './watch.ts';

/** Waiting reasons the kubelet reports as an image problem rather than by name. */
const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
/** The reason shown for a container that has no status yet. */
const DEFAULT_WAITING_REASON = 'ContainerCreating';
/** Output a follower has not read yet, beyond which the stream is ended. */
const MAX_LOG_BUFFER_BYTES = 16 * 1024 * 1024;

export interface PodLogOptions {
  container: string | undefined;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines: number | undefined;
  sinceSeconds: number | undefined;
  sinceTime: number | undefined;
  limitBytes: number | undefined;
}

/** Go's strconv.ParseBool, which is what the real server decodes query booleans with. */
function parseBool(name: string, text: string | null): boolean {
  if (text === null || text === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw badRequest(`invalid value for ${name}: strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
}

function parseInteger(name: string, text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw badRequest(`invalid value for ${name}: strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

/** Parses and validates the query; 400 for unparsable values, 422 on kind PodLogOptions for invalid ones. */
export function parsePodLogOptions(podName: string, query: URLSearchParams): PodLogOptions {
  const sinceTimeText = query.get('sinceTime');
  let sinceTime: number | undefined;
  if (sinceTimeText) {
    sinceTime = Date.parse(sinceTimeText);
    if (Number.isNaN(sinceTime)) throw badRequest(`invalid value for sinceTime: parsing time ${JSON.stringify(sinceTimeText)} as RFC 3339 failed`);
  }
  const options: PodLogOptions = {
    container: query.get('container') || undefined,
    follow: parseBool('follow', query.get('follow')),
    previous: parseBool('previous', query.get('previous')),
    timestamps: parseBool('timestamps', query.get('timestamps')),
    tailLines: parseInteger('tailLines', query.get('tailLines')),
    sinceSeconds: parseInteger('sinceSeconds', query.get('sinceSeconds')),
    sinceTime,
    limitBytes: parseInteger('limitBytes', query.get('limitBytes')),
  };
  const causes: StatusCause[] = [];
  if (options.tailLines !== undefined && options.tailLines < 0) {
    causes.push({ reason: CAUSE.invalid, message: `Invalid value: ${options.tailLines}: must be greater than or equal to 0`, field: 'tailLines' });
  }
  if (options.limitBytes !== undefined && options.limitBytes < 1) {
    causes.push({ reason: CAUSE.invalid, message: `Invalid value: ${options.limitBytes}: must be greater than 0`, field: 'limitBytes' });
  }
  if (options.sinceSeconds !== undefined && options.sinceTime !== undefined) {
    causes.push({ reason: CAUSE.forbidden, message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified', field: '' });
  } else if (options.sinceSeconds !== undefined && options.sinceSeconds < 1) {
    causes.push({ reason: CAUSE.invalid, message: `Invalid value: ${options.sinceSeconds}: must be greater than 0`, field: 'sinceSeconds' });
  }
  if (causes.length > 0) throw invalid('PodLogOptions', '', podName, causes);
  return options;
}

function namesOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => (isRecord(item) && typeof item.name === 'string' ? [item.name] : []));
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** Picks the container as the apiserver does: the named one, or the only one. */
function chooseContainer(pod: KubeObject, requested: string | undefined): string {
  const podName = pod.metadata.name ?? '';
  const spec = record(pod.spec);
  const containers = namesOf(spec.containers);
  const initContainers = namesOf(spec.initContainers);
  const ephemeral = namesOf(spec.ephemeralContainers);
  if (requested === undefined) {
    const [only] = containers;
    if (containers.length === 1 && only !== undefined) return only;
    let message = `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`;
    if (initContainers.length > 0) message += ` or one of the init containers: [${initContainers.join(' ')}]`;
    if (ephemeral.length > 0) message += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    throw badRequest(message);
  }
  if (![...containers, ...initContainers, ...ephemeral].includes(requested)) {
    throw badRequest(`container ${requested} is not valid for pod ${podName}`);
  }
  return requested;
}

function containerStatus(pod: KubeObject, container: string): Record<string, unknown> | undefined {
  const status = record(pod.status);
  for (const key of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    const list = status[key];
    if (!Array.isArray(list)) continue;
    const found = list.find((item) => isRecord(item) && item.name === container);
    if (isRecord(found)) return found;
  }
  return undefined;
}

/** Which instance of the container to read, as the kubelet decides; throws its 400s. */
function chooseInstance(pod: KubeObject, container: string, previous: boolean): number {
  const podName = pod.metadata.name ?? '';
  const status = containerStatus(pod, container);
  const restartCount = typeof status?.restartCount === 'number' ? status.restartCount : 0;
  const state = record(status?.state);
  const lastTerminated = isRecord(record(status?.lastState).terminated);
  if (previous) {
    if (!lastTerminated && restartCount === 0) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    return restartCount - 1;
  }
  if (isRecord(state.running) || isRecord(state.terminated)) return restartCount;
  // Waiting after a crash (CrashLoopBackOff): the kubelet shows the last instance's log.
  if (lastTerminated && restartCount > 0) return restartCount - 1;
  const waiting = record(state.waiting);
  const reason = typeof waiting.reason === 'string' && waiting.reason !== '' ? waiting.reason : DEFAULT_WAITING_REASON;
  const why = IMAGE_PULL_REASONS.has(reason) ? (reason === 'ErrImageNeverPull' ? 'trying and failing to pull image' : "image can't be pulled") : reason;
  throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${why}`);
}

/** Go's RFC3339NanoFixed: nine fractional digits, trailing zeros kept. */
export function formatLogTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

function formatLine(line: LogLine, timestamps: boolean): string {
  const text = line.text.endsWith('\n') ? line.text : `${line.text}\n`;
  return timestamps ? `${formatLogTimestamp(line.time)} ${text}` : text;
}

/**
 * Validates the request and streams the log; throws a StatusError (before anything is written)
 * for the 400/404/422 cases.
 */
export function servePodLogs(
  res: ServerResponse,
  logs: LogStore,
  pod: KubeObject,
  query: URLSearchParams,
  context: { now: () => number; register: StreamRegistry },
): void {
  const podName = pod.metadata.name ?? '';
  const options = parsePodLogOptions(podName, query);
  const container = chooseContainer(pod, options.container);
  const scheduled = typeof record(pod.spec).nodeName === 'string' && record(pod.spec).nodeName !== '';
  if (!scheduled) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 0 });
    res.end();
    return;
  }
  const instance = chooseInstance(pod, container, options.previous);
  const key: ContainerInstanceKey = { podUid: pod.metadata.uid ?? '', container, instance };
  const cutoff =
    options.sinceSeconds !== undefined ? context.now() - options.sinceSeconds * 1000 : options.sinceTime !== undefined ? options.sinceTime : undefined;
  const wanted = (line: LogLine) => cutoff === undefined || line.time >= cutoff;

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  let remaining = options.limitBytes ?? Number.POSITIVE_INFINITY;
  let ended = false;
  let unfollow: () => void = () => undefined;
  let deregister: () => void = () => undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    unfollow();
    deregister();
    if (!res.writableEnded) res.end();
  };
  const emit = (line: LogLine) => {
    if (ended || !wanted(line)) return;
    let bytes = Buffer.from(formatLine(line, options.timestamps));
    if (bytes.length >= remaining) bytes = bytes.subarray(0, remaining);
    remaining -= bytes.length;
    res.write(bytes);
    if (remaining <= 0 || res.writableLength > MAX_LOG_BUFFER_BYTES) end();
  };

  const snapshot = logs.read(key);
  const lines = options.tailLines !== undefined ? snapshot.lines.slice(Math.max(0, snapshot.lines.length - options.tailLines)) : snapshot.lines;
  for (const line of lines) emit(line);
  // A previous instance has ended by definition; following it only replays what is there.
  if (ended || !options.follow || options.previous || snapshot.terminated) {
    end();
    return;
  }
  // A follower of a quiet container must see the 200 now, not with the first line.
  res.flushHeaders();
  // Subscribing in the same tick as the snapshot: no line can fall between the two.
  unfollow = logs.follow(key, emit, end);
  res.on('close', end);
  deregister = context.register(end);
}
