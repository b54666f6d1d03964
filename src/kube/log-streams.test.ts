import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { SharedObjectStore } from './cache.ts';
import type { KubernetesUnavailableError } from '../errors.ts';
import { KubeApiError, KubeUnreachableError } from './errors.ts';
import { LogStreams, MAX_REFUSED_OPENS, type LogStreamKey, type LogStreamState, type StreamLine } from './log-streams.ts';
import type { PodObject } from './objects.ts';
import type { LogSource, PodLogHandlers, PodLogRequest, RawLogLine } from './pod-log-source.ts';

interface OpenRequest {
  request: PodLogRequest;
  handlers: PodLogHandlers;
  aborted: boolean;
}

class FakeLogSource implements LogSource {
  readonly opened: OpenRequest[] = [];

  open(request: PodLogRequest, handlers: PodLogHandlers) {
    const entry: OpenRequest = { request, handlers, aborted: false };
    this.opened.push(entry);
    return {
      abort: () => {
        entry.aborted = true;
      },
    };
  }

  last(): OpenRequest {
    const entry = this.opened.at(-1);
    if (!entry) throw new Error('nothing opened');
    return entry;
  }
}

const T0 = Date.parse('2026-11-28T10:00:00.250Z');

function line(offsetMs: number, text: string): RawLogLine {
  const timeMs = T0 + offsetMs;
  return { timeMs, timestamp: new Date(timeMs).toISOString(), text };
}

function pod(state: 'running' | 'waiting' | 'terminated', options: { phase?: string; restarts?: number; uid?: string; restartPolicy?: string } = {}): PodObject {
  const containerState = state === 'running' ? { running: {} } : state === 'waiting' ? { waiting: { reason: 'ContainerCreating' } } : { terminated: { exitCode: 0 } };
  return {
    metadata: { namespace: 'ns', name: 'p', uid: options.uid ?? 'u1' },
    spec: { containers: [{ name: 'c' }], restartPolicy: options.restartPolicy ?? 'OnFailure' },
    status: { phase: options.phase ?? 'Running', containerStatuses: [{ name: 'c', restartCount: options.restarts ?? 0, state: containerState }] },
  };
}

const KEY: LogStreamKey = { namespace: 'ns', pod: 'p', uid: 'u1', container: 'c' };

function setup() {
  const source = new FakeLogSource();
  const pods = new SharedObjectStore<PodObject>();
  pods.upsert(pod('running'));
  const streams = new LogStreams({ source, pods, logger: pino({ level: 'silent' }), backlogLines: 100, resumeDelayMs: 60_000 });
  return { source, pods, streams };
}

function recorder() {
  const batches: string[][] = [];
  const states: LogStreamState[] = [];
  const errors: KubernetesUnavailableError[] = [];
  return {
    batches,
    states,
    errors,
    listener: {
      onLines: (lines: readonly StreamLine[]) => batches.push(lines.map((l) => l.text)),
      onState: (state: LogStreamState) => states.push(state),
      onError: (error: KubernetesUnavailableError) => errors.push(error),
    },
    texts: () => batches.flat(),
  };
}

describe('LogStreams', () => {
  it('reads the backlog once, then follows from its last second, for every member of a container', () => {
    const { source, streams } = setup();
    const first = recorder();
    streams.join(KEY, first.listener);
    expect(source.opened).toHaveLength(1);
    expect(source.last().request).toMatchObject({ follow: false, tailLines: 100, container: 'c' });
    source.last().handlers.onLines([line(0, 'a'), line(10, 'b'), line(10, 'c')]);
    source.last().handlers.onEnd(undefined);
    expect(first.batches).toEqual([['a', 'b', 'c']]);
    expect(source.opened).toHaveLength(2);
    expect(source.last().request).toMatchObject({ follow: true, sinceTime: '2026-11-28T10:00:00Z' });

    const second = recorder();
    streams.join(KEY, second.listener, { tailLines: 1 });
    expect(second.batches).toEqual([['c']]);
    expect(source.opened).toHaveLength(2);

    // The follow starts at the second: what the backlog had is skipped, including same-instant lines.
    source.last().handlers.onLines([line(0, 'a'), line(10, 'b'), line(10, 'c'), line(10, 'd'), line(20, 'e')]);
    expect(first.texts()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(second.texts()).toEqual(['c', 'd', 'e']);
    expect(streams.stats()).toMatchObject({ open: 1, opened: 1, members: 2, requests: 2 });
  });

  it('gives a member that joins during the backlog read its own tail once the read is done', () => {
    const { source, streams } = setup();
    const first = recorder();
    const late = recorder();
    streams.join(KEY, first.listener);
    streams.join(KEY, late.listener, { tailLines: 2, sinceMs: T0 + 5 });
    source.last().handlers.onLines([line(0, 'a'), line(10, 'b'), line(20, 'c'), line(30, 'd')]);
    source.last().handlers.onEnd(undefined);
    expect(first.texts()).toEqual(['a', 'b', 'c', 'd']);
    expect(late.texts()).toEqual(['c', 'd']);
  });

  it('gives at most the backlog size however many lines it holds', () => {
    const source = new FakeLogSource();
    const pods = new SharedObjectStore<PodObject>();
    pods.upsert(pod('running'));
    const streams = new LogStreams({ source, pods, logger: pino({ level: 'silent' }), backlogLines: 3 });
    streams.join(KEY, recorder().listener);
    source.last().handlers.onEnd(undefined);
    source.last().handlers.onLines([0, 1, 2, 3, 4].map((i) => line(i, `l${i}`)));
    const late = recorder();
    streams.join(KEY, late.listener);
    expect(late.texts()).toEqual(['l2', 'l3', 'l4']);
  });

  it('closes the upstream when the last member leaves', () => {
    const { source, streams } = setup();
    const a = streams.join(KEY, recorder().listener);
    const b = streams.join(KEY, recorder().listener);
    source.last().handlers.onEnd(undefined);
    const follow = source.last();
    a.leave();
    expect(follow.aborted).toBe(false);
    b.leave();
    expect(follow.aborted).toBe(true);
    expect(streams.stats()).toMatchObject({ open: 0, members: 0 });
  });

  it('follows the next instance of a restarted container as soon as the pod cache shows it running', () => {
    const { source, pods, streams } = setup();
    const r = recorder();
    streams.join(KEY, r.listener);
    source.last().handlers.onLines([line(0, 'first run')]);
    source.last().handlers.onEnd(undefined);
    source.last().handlers.onEnd(undefined);
    expect(r.states.at(-1)).toBe('waiting');
    pods.upsert(pod('terminated', { restarts: 0 }));
    expect(source.opened).toHaveLength(2);
    pods.upsert(pod('running', { restarts: 1 }));
    expect(source.opened).toHaveLength(3);
    expect(source.last().request).toMatchObject({ follow: true, sinceTime: '2026-11-28T10:00:00Z' });
    source.last().handlers.onLines([line(1000, 'second run')]);
    expect(r.texts()).toEqual(['first run', 'second run']);
    expect(r.states.at(-1)).toBe('live');
  });

  it('ends the stream once the container has terminated in a finished pod', () => {
    const { source, pods, streams } = setup();
    const r = recorder();
    const membership = streams.join(KEY, r.listener);
    source.last().handlers.onEnd(undefined);
    pods.upsert(pod('terminated', { phase: 'Succeeded' }));
    source.last().handlers.onEnd(undefined);
    expect(membership.state).toBe('ended');
    expect(r.states.at(-1)).toBe('ended');
    expect(streams.stats().open).toBe(0);
  });

  it('ends the stream when its pod is deleted or replaced by one with another uid', () => {
    const { source, pods, streams } = setup();
    const r = recorder();
    streams.join(KEY, r.listener);
    source.last().handlers.onEnd(undefined);
    pods.upsert(pod('waiting', { uid: 'u2' }));
    source.last().handlers.onEnd(undefined);
    expect(r.states.at(-1)).toBe('ended');
  });

  it('waits for a container that has not started, then delivers its lines to the members already there', () => {
    const { source, pods, streams } = setup();
    pods.upsert(pod('waiting'));
    const r = recorder();
    streams.join(KEY, r.listener);
    source.last().handlers.onEnd(new KubeApiError(400, undefined, 'container "c" in pod "p" is waiting to start: ContainerCreating'));
    expect(r.batches).toEqual([[]]);
    expect(r.states.at(-1)).toBe('waiting');
    pods.upsert(pod('running'));
    expect(source.opened).toHaveLength(2);
    expect(source.last().request).toMatchObject({ follow: false });
    source.last().handlers.onLines([line(0, 'hello')]);
    source.last().handlers.onEnd(undefined);
    expect(r.texts()).toEqual(['hello']);
    expect(source.last().request).toMatchObject({ follow: true });
  });

  it('follows at once a container that was not running yet when the stream opened', () => {
    const { source, pods, streams } = setup();
    pods.upsert(pod('waiting'));
    const r = recorder();
    streams.join(KEY, r.listener);
    // An unscheduled pod answers 200 with nothing, for the backlog and the follow alike.
    source.last().handlers.onEnd(undefined);
    source.last().handlers.onEnd(undefined);
    expect(r.states.at(-1)).toBe('waiting');
    const membership = streams.join(KEY, recorder().listener);
    expect(membership.drained).toBe(true);
    pods.upsert(pod('running'));
    expect(source.opened).toHaveLength(3);
    expect(membership.drained).toBe(false);
    expect(source.last().request).toMatchObject({ follow: false });
    source.last().handlers.onLines([line(0, 'started')]);
    source.last().handlers.onEnd(undefined);
    expect(r.texts()).toEqual(['started']);
    expect(source.last().request).toMatchObject({ follow: true });
  });

  it('resumes a follow that broke off while the container runs, without repeating lines', () => {
    const { source, streams } = setup();
    const r = recorder();
    streams.join(KEY, r.listener);
    source.last().handlers.onEnd(undefined);
    source.last().handlers.onLines([line(0, 'a'), line(5, 'b')]);
    source.last().handlers.onEnd(new Error('socket hang up'));
    expect(source.opened).toHaveLength(3);
    source.last().handlers.onLines([line(0, 'a'), line(5, 'b'), line(6, 'c')]);
    expect(r.texts()).toEqual(['a', 'b', 'c']);
  });

  it('answers a snapshot from an open stream without a request, and with one read otherwise', async () => {
    const { source, streams } = setup();
    const other: LogStreamKey = { ...KEY, container: 'sidecar' };
    streams.join(KEY, recorder().listener);
    source.last().handlers.onLines([line(0, 'a'), line(1, 'b')]);
    source.last().handlers.onEnd(undefined);
    const requests = source.opened.length;
    await expect(streams.snapshot(KEY, { tailLines: 1 })).resolves.toMatchObject([{ text: 'b' }]);
    expect(source.opened).toHaveLength(requests);

    const pending = streams.snapshot(other, { tailLines: 5 });
    expect(source.last().request).toMatchObject({ container: 'sidecar', follow: false, tailLines: 5 });
    source.last().handlers.onLines([line(0, 'x')]);
    source.last().handlers.onEnd(undefined);
    await expect(pending).resolves.toMatchObject([{ text: 'x' }]);
  });

  it.each([
    ['403 Forbidden', () => new KubeApiError(403, { kind: 'Status', code: 403, message: 'pods "p" is forbidden: User "system:serviceaccount:gw:gw" cannot get resource "pods/log"' }, 'x'), 'refused to serve it'],
    ['500', () => new KubeApiError(500, undefined, 'Get "https://10.0.0.7:10250/containerLogs/ns/p/c": dial tcp: i/o timeout'), 'answered 500'],
    ['no answer', () => new KubeUnreachableError('connect ECONNREFUSED 127.0.0.1:6443'), 'did not answer'],
  ])('tells every member, with a typed error, when the cluster will not serve the log (%s)', (_name, refusal, why) => {
    const { source, streams } = setup();
    const a = recorder();
    const b = recorder();
    const membership = streams.join(KEY, a.listener);
    streams.join(KEY, b.listener);
    for (let i = 0; i < MAX_REFUSED_OPENS; i += 1) {
      expect(a.errors).toEqual([]);
      source.last().handlers.onEnd(refusal());
    }
    expect(source.opened).toHaveLength(MAX_REFUSED_OPENS);
    for (const r of [a, b]) {
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]?.extensions).toEqual({ code: 'KUBERNETES_UNAVAILABLE', pod: 'p', container: 'c' });
      expect(r.errors[0]?.message).toBe(`the log of container "c" in pod "p" cannot be read: the Kubernetes API ${why}`);
      expect(r.states.at(-1)).toBe('ended');
    }
    // The gateway's own identity stays in the gateway's log.
    expect(a.errors[0]?.message).not.toContain('serviceaccount');
    expect(membership.drained).toBe(true);
    expect(streams.stats().open).toBe(0);
  });

  it('reports a refused log even when the container has already terminated, rather than ending quietly', () => {
    const { source, pods, streams } = setup();
    pods.upsert(pod('terminated', { phase: 'Failed' }));
    const r = recorder();
    streams.join(KEY, r.listener);
    for (let i = 0; i < MAX_REFUSED_OPENS; i += 1) source.last().handlers.onEnd(new KubeApiError(503, undefined, 'unavailable'));
    expect(r.errors.map((e) => e.extensions['code'])).toEqual(['KUBERNETES_UNAVAILABLE']);
  });

  it('keeps going after a refusal the next open recovers from', () => {
    const { source, streams } = setup();
    const r = recorder();
    streams.join(KEY, r.listener);
    source.last().handlers.onEnd(new KubeApiError(500, undefined, 'blip'));
    source.last().handlers.onLines([line(0, 'a')]);
    source.last().handlers.onEnd(undefined);
    for (let i = 0; i < MAX_REFUSED_OPENS - 1; i += 1) source.last().handlers.onEnd(new KubeApiError(500, undefined, 'blip'));
    source.last().handlers.onLines([line(1, 'b')]);
    expect(r.texts()).toEqual(['a', 'b']);
    expect(r.errors).toEqual([]);
    expect(r.states.at(-1)).toBe('live');
  });

  it('does not take a container that has not started, or a pod that is gone, for a failure', () => {
    const { source, pods, streams } = setup();
    const r = recorder();
    streams.join(KEY, r.listener);
    // The cache may show the container running a moment before the kubelet serves its log.
    for (let i = 0; i <= MAX_REFUSED_OPENS; i += 1) {
      source.last().handlers.onEnd(new KubeApiError(400, undefined, 'container "c" in pod "p" is waiting to start: ContainerCreating'));
    }
    expect(source.opened).toHaveLength(MAX_REFUSED_OPENS + 1);
    expect(r.states.at(-1)).toBe('waiting');
    pods.remove(pod('running'));
    expect(r.states.at(-1)).toBe('ended');

    const gone = recorder();
    streams.join(KEY, gone.listener);
    source.last().handlers.onEnd(new KubeApiError(404, undefined, 'pods "p" not found'));
    expect(gone.states.at(-1)).toBe('ended');
    expect([...r.errors, ...gone.errors]).toEqual([]);
  });

  it('gives the pod cache time to see a pod go before taking a 404 for a log the cluster will not serve', () => {
    vi.useFakeTimers();
    try {
      const { source, streams } = setup();
      const r = recorder();
      streams.join(KEY, r.listener);
      source.last().handlers.onEnd(new KubeApiError(404, undefined, 'pods "p" not found'));
      expect(source.opened).toHaveLength(1);
      for (let i = 1; i < MAX_REFUSED_OPENS; i += 1) {
        vi.advanceTimersByTime(60_000);
        expect(source.opened).toHaveLength(i + 1);
        source.last().handlers.onEnd(new KubeApiError(404, undefined, 'pods "p" not found'));
      }
      expect(r.errors.map((e) => e.message)).toEqual(['the log of container "c" in pod "p" cannot be read: the Kubernetes API refused to serve it']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects a one-off read the cluster refuses, and gives no lines for a container not started', async () => {
    const { source, pods, streams } = setup();
    const refused = streams.snapshot(KEY);
    source.last().handlers.onEnd(new KubeApiError(403, undefined, 'forbidden'));
    await expect(refused).rejects.toMatchObject({ extensions: { code: 'KUBERNETES_UNAVAILABLE', pod: 'p', container: 'c' } });
    const missing = streams.snapshot(KEY);
    source.last().handlers.onEnd(new KubeApiError(404, undefined, 'not found'));
    await expect(missing).rejects.toMatchObject({ extensions: { code: 'KUBERNETES_UNAVAILABLE' } });
    pods.upsert(pod('waiting'));
    const waiting = streams.snapshot(KEY);
    source.last().handlers.onEnd(new KubeApiError(400, undefined, 'waiting to start'));
    await expect(waiting).resolves.toEqual([]);
  });
});
