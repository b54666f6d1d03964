// The pods/log endpoint over real HTTPS: parameters, the kubelet's error cases, following, and
// client-node's Log helper.

import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CoreV1Api, Log } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../../../test/utils/apiserver.ts';
import { LogStore } from '../logstore.ts';
import { findResource, type ResourceInfo } from './resources.ts';
import { formatLogTimestamp } from './pod-logs.ts';
import type { KubeObject } from './types.ts';

function resource(group: string, version: string, name: string): ResourceInfo {
  const info = findResource(group, version, name);
  if (!info) throw new Error(`no resource ${name}`);
  return info;
}

const pods = resource('', 'v1', 'pods');
const namespaces = resource('', 'v1', 'namespaces');
const NS = 'logs';
/** The clock of the server under test; lines are written at fixed times relative to it. */
const NOW_MS = Date.parse('2026-11-28T12:00:00Z');

let api: TestApiServer;

interface ContainerSpec {
  name: string;
  state?: Record<string, unknown>;
  lastState?: Record<string, unknown>;
  restartCount?: number;
}

function makePod(name: string, containers: ContainerSpec[], options: { nodeName?: string; initContainers?: string[] } = {}): KubeObject {
  api.store.create(pods, {
    metadata: { name, namespace: NS },
    spec: {
      ...(options.nodeName === '' ? {} : { nodeName: options.nodeName ?? 'node-1' }),
      containers: containers.map((c) => ({ name: c.name, image: 'busybox' })),
      ...(options.initContainers ? { initContainers: options.initContainers.map((n) => ({ name: n, image: 'busybox' })) } : {}),
    },
  });
  api.store.writeStatus(pods, NS, name, {
    phase: 'Running',
    containerStatuses: containers.map((c) => ({
      name: c.name,
      restartCount: c.restartCount ?? 0,
      state: c.state ?? { running: { startedAt: '2026-11-28T11:00:00Z' } },
      ...(c.lastState ? { lastState: c.lastState } : {}),
    })),
  });
  const pod = api.store.get(pods, NS, name);
  if (!pod) throw new Error('pod not stored');
  return pod;
}

function writeLines(pod: KubeObject, container: string, instance: number, lines: string[]): void {
  for (const text of lines) api.logs.append({ podUid: pod.metadata.uid ?? '', container, instance }, text);
}

async function getLog(pod: string, query: string): Promise<{ status: number; body: string; type: string | undefined }> {
  const result = await api.raw(`/api/v1/namespaces/${NS}/pods/${pod}/log${query ? `?${query}` : ''}`);
  return { status: result.status, body: result.body, type: result.headers['content-type'] };
}

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

let clock = NOW_MS;

beforeAll(async () => {
  // The LogStore stamps lines with this clock too, so sinceSeconds is deterministic.
  api = await startTestApiServer({ logs: new LogStore(() => clock), now: () => NOW_MS });
  api.store.create(namespaces, { metadata: { name: NS } });
});

afterAll(async () => {
  await api.close();
});

describe('pods/log', () => {
  it('returns the current instance log as text/plain, one line per entry', async () => {
    const pod = makePod('single', [{ name: 'main' }]);
    writeLines(pod, 'main', 0, ['one', 'two', 'three']);
    const result = await getLog('single', '');
    expect(result.status).toBe(200);
    expect(result.type).toBe('text/plain');
    expect(result.body).toBe('one\ntwo\nthree\n');
  });

  it('applies tailLines, limitBytes and timestamps', async () => {
    expect((await getLog('single', 'tailLines=2')).body).toBe('two\nthree\n');
    expect((await getLog('single', 'tailLines=0')).body).toBe('');
    expect((await getLog('single', 'limitBytes=6')).body).toBe('one\ntw');
    const stamped = (await getLog('single', 'timestamps=true&tailLines=1')).body;
    expect(stamped).toBe(`${formatLogTimestamp(NOW_MS)} three\n`);
    expect(stamped).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z three\n$/);
  });

  it('applies sinceSeconds and sinceTime against the line times', async () => {
    const pod = makePod('timed', [{ name: 'main' }]);
    clock = NOW_MS - 120_000;
    writeLines(pod, 'main', 0, ['old']);
    clock = NOW_MS - 5_000;
    writeLines(pod, 'main', 0, ['recent']);
    clock = NOW_MS;
    expect((await getLog('timed', 'sinceSeconds=60')).body).toBe('recent\n');
    expect((await getLog('timed', `sinceTime=${encodeURIComponent(new Date(NOW_MS - 200_000).toISOString())}`)).body).toBe('old\nrecent\n');
  });

  it('requires a container name when the pod has several, listing them', async () => {
    makePod('multi', [{ name: 'a' }, { name: 'b' }], { initContainers: ['init'] });
    const result = await getLog('multi', '');
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body).message).toBe('a container name must be specified for pod multi, choose one of: [a b] or one of the init containers: [init]');
    expect((await getLog('multi', 'container=b')).status).toBe(200);
  });

  it('refuses a container the pod does not have', async () => {
    const result = await getLog('multi', 'container=zzz');
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ reason: 'BadRequest', message: 'container zzz is not valid for pod multi' });
  });

  it('refuses a container that is waiting to start, with its reason', async () => {
    makePod('waiting', [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }]);
    const result = await getLog('waiting', '');
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body).message).toBe('container "main" in pod "waiting" is waiting to start: ContainerCreating');
    makePod('pulling', [{ name: 'main', state: { waiting: { reason: 'ImagePullBackOff' } } }]);
    expect(JSON.parse((await getLog('pulling', '')).body).message).toBe('container "main" in pod "pulling" is waiting to start: image can\'t be pulled');
  });

  it('reads the previous instance, and refuses previous when there is none', async () => {
    const pod = makePod('restarted', [{ name: 'main', restartCount: 2, lastState: { terminated: { exitCode: 1 } } }]);
    writeLines(pod, 'main', 1, ['crashed run']);
    writeLines(pod, 'main', 2, ['current run']);
    expect((await getLog('restarted', '')).body).toBe('current run\n');
    expect((await getLog('restarted', 'previous=true')).body).toBe('crashed run\n');
    const none = await getLog('single', 'previous=true');
    expect(none.status).toBe(400);
    expect(JSON.parse(none.body).message).toBe('previous terminated container "main" in pod "single" not found');
  });

  it('shows the last instance of a crash-looping container', async () => {
    const pod = makePod('looping', [{ name: 'main', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } }]);
    writeLines(pod, 'main', 2, ['last crash']);
    expect((await getLog('looping', '')).body).toBe('last crash\n');
  });

  it('answers an unscheduled pod with 200 and an empty body', async () => {
    makePod('unscheduled', [{ name: 'main' }], { nodeName: '' });
    const result = await getLog('unscheduled', '');
    expect(result.status).toBe(200);
    expect(result.body).toBe('');
  });

  it('answers a missing pod with 404 and invalid options with 422 on PodLogOptions', async () => {
    const missing = await getLog('ghost', '');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).message).toBe('pods "ghost" not found');
    const zero = await getLog('single', 'sinceSeconds=0');
    expect(zero.status).toBe(422);
    expect(JSON.parse(zero.body)).toMatchObject({ reason: 'Invalid', details: { kind: 'PodLogOptions', causes: [{ field: 'sinceSeconds' }] } });
    const both = await getLog('single', `sinceSeconds=5&sinceTime=${encodeURIComponent('2026-11-28T10:00:00Z')}`);
    expect(both.status).toBe(422);
    expect((await getLog('single', 'tailLines=-1')).status).toBe(422);
    expect((await getLog('single', 'tailLines=abc')).status).toBe(400);
  });

  it('follows: streams lines as they are written and ends when the container terminates', async () => {
    const pod = makePod('followed', [{ name: 'main' }]);
    writeLines(pod, 'main', 0, ['before']);
    const stream = await api.stream(`/api/v1/namespaces/${NS}/pods/followed/log?follow=true`);
    expect(stream.status).toBe(200);
    expect(await stream.next()).toBe('before');
    writeLines(pod, 'main', 0, ['after 1']);
    expect(await stream.next()).toBe('after 1');
    writeLines(pod, 'main', 0, ['after 2']);
    expect(await stream.next()).toBe('after 2');
    api.logs.terminate({ podUid: pod.metadata.uid ?? '', container: 'main', instance: 0 });
    await stream.ended;
  });

  it('ends a follow when the pod is deleted', async () => {
    const pod = makePod('deleted-while-followed', [{ name: 'main' }]);
    writeLines(pod, 'main', 0, ['hello']);
    const stream = await api.stream(`/api/v1/namespaces/${NS}/pods/deleted-while-followed/log?follow=true`);
    expect(await stream.next()).toBe('hello');
    // A running pod waits for its kubelet; there is none here, so the deletion is immediate.
    await api.kubeConfig.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'deleted-while-followed', namespace: NS, gracePeriodSeconds: 0 });
    await stream.ended;
  });

  it('works with the client-node Log helper, following until the container ends', async () => {
    const pod = makePod('client', [{ name: 'main' }]);
    writeLines(pod, 'main', 0, ['x1']);
    const sink = new PassThrough();
    let received = '';
    sink.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    const finished = new Promise<void>((resolve) => sink.on('end', resolve));
    await new Log(api.kubeConfig).log(NS, 'client', 'main', sink, { follow: true, timestamps: false });
    await waitFor(() => received.includes('x1'));
    writeLines(pod, 'main', 0, ['x2']);
    await waitFor(() => received.includes('x2'));
    api.logs.terminate({ podUid: pod.metadata.uid ?? '', container: 'main', instance: 0 });
    await finished;
    expect(received).toBe('x1\nx2\n');
    const refused = await new Log(api.kubeConfig).log(NS, 'multi', 'zzz', new PassThrough()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<unknown>).code).toBe(400);
  });
});
