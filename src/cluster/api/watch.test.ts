// Watches over real HTTPS: raw streams to see every line, and client-node's Watch and informer
// to prove that the real client accepts what the server sends.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, makeInformer, Watch, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { startTestApiServer, type LineStream, type TestApiServer } from '../../../test/utils/apiserver.ts';
import { openStore, type Store } from './storage.ts';

interface WireEvent {
  type: string;
  object: {
    kind?: string;
    code?: number;
    message?: string;
    reason?: string;
    metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
    rows?: unknown[];
    data?: Record<string, string>;
  };
}

/** The next event, skipping keep-alive newlines. */
async function nextEvent(stream: LineStream): Promise<WireEvent> {
  for (;;) {
    const line = await stream.next();
    if (line.trim() !== '') return JSON.parse(line) as WireEvent;
  }
}

function summary(event: WireEvent): string {
  return `${event.type} ${event.object.metadata.name ?? ''}`;
}

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A store whose live subscriptions can be counted, to prove watches release theirs. */
function countingStore(): { store: Store; active: () => number } {
  const base = openStore();
  let active = 0;
  const store = new Proxy(base, {
    get(target, property) {
      if (property === 'subscribe') {
        return (listener: Parameters<Store['subscribe']>[0]) => {
          active += 1;
          const unsubscribe = target.subscribe(listener);
          let done = false;
          return () => {
            if (!done) active -= 1;
            done = true;
            unsubscribe();
          };
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, active: () => active };
}

let api: TestApiServer;
let kc: KubeConfig;
let core: CoreV1Api;
let counting: ReturnType<typeof countingStore>;

beforeAll(async () => {
  counting = countingStore();
  api = await startTestApiServer({ store: counting.store, bookmarkIntervalMs: 50, keepAliveIntervalMs: 50 });
  kc = api.kubeConfig;
  core = kc.makeApiClient(CoreV1Api);
  for (const name of ['w', 'other']) await core.createNamespace({ body: { metadata: { name } } });
});

afterAll(async () => {
  await api.close();
  counting.store.close();
});

function cm(name: string, labels?: Record<string, string>, namespace = 'w'): { namespace: string; body: V1ConfigMap } {
  return { namespace, body: { metadata: { name, ...(labels ? { labels } : {}) }, data: { v: '1' } } };
}

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED after the list resourceVersion, DELETED with a new resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'w' });
    const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${list.metadata?.resourceVersion}`);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('application/json');
    expect(stream.headers['transfer-encoding']).toBe('chunked');
    const created = await core.createNamespacedConfigMap(cm('e1'));
    await core.replaceNamespacedConfigMap({ name: 'e1', namespace: 'w', body: { ...created, data: { v: '2' } } });
    await core.deleteNamespacedConfigMap({ name: 'e1', namespace: 'w' });
    const events = [await nextEvent(stream), await nextEvent(stream), await nextEvent(stream)];
    expect(events.map(summary)).toEqual(['ADDED e1', 'MODIFIED e1', 'DELETED e1']);
    expect(events[0]?.object.kind).toBe('ConfigMap');
    const [added, modified, deleted] = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(modified).toBeGreaterThan(added ?? 0);
    expect(deleted).toBeGreaterThan(modified ?? 0);
    stream.close();
  });

  it('starts with synthetic ADDED events for the current state when resourceVersion is unset or 0', async () => {
    await core.createNamespacedConfigMap(cm('s1'));
    await core.createNamespacedConfigMap(cm('s2'));
    for (const [query, late] of [['', 's3a'], ['&resourceVersion=0', 's3b']] as const) {
      const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=1${query}`);
      try {
        const first = [await nextEvent(stream), await nextEvent(stream)].map(summary);
        expect(first).toEqual(['ADDED s1', 'ADDED s2']);
        await core.createNamespacedConfigMap(cm(late));
        expect(summary(await nextEvent(stream))).toBe(`ADDED ${late}`);
      } finally {
        stream.close();
        await core.deleteNamespacedConfigMap({ name: late, namespace: 'w' });
      }
    }
    for (const name of ['s1', 's2']) await core.deleteNamespacedConfigMap({ name, namespace: 'w' });
  });

  it('resumes from an older resourceVersion, replaying every change after it', async () => {
    const start = (await core.listNamespacedConfigMap({ namespace: 'w' })).metadata?.resourceVersion;
    await core.createNamespacedConfigMap(cm('r1'));
    await core.createNamespacedConfigMap(cm('r2'));
    await core.deleteNamespacedConfigMap({ name: 'r1', namespace: 'w' });
    const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${start}`);
    const replayed = [await nextEvent(stream), await nextEvent(stream), await nextEvent(stream)].map(summary);
    expect(replayed).toEqual(['ADDED r1', 'ADDED r2', 'DELETED r1']);
    stream.close();
    await core.deleteNamespacedConfigMap({ name: 'r2', namespace: 'w' });
  });

  it('answers a resourceVersion newer than the server has with 504 Timeout', async () => {
    const result = await api.raw('/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=99999999');
    expect(result.status).toBe(504);
    expect(JSON.parse(result.body).reason).toBe('Timeout');
  });

  it('sends BOOKMARK events carrying the current resourceVersion when they are allowed', async () => {
    const stream = await api.stream('/api/v1/namespaces/w/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=1');
    let event = await nextEvent(stream);
    while (event.type !== 'BOOKMARK') event = await nextEvent(stream);
    expect(event.object.kind).toBe('ConfigMap');
    expect(Number(event.object.metadata.resourceVersion)).toBe(api.store.currentResourceVersion());
    stream.close();
  });

  it('sends no BOOKMARK events unless asked', async () => {
    const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${api.store.currentResourceVersion()}`);
    // Several bookmark periods pass before the first real event arrives.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await core.createNamespacedConfigMap(cm('nb'));
    expect(summary(await nextEvent(stream))).toBe('ADDED nb');
    stream.close();
    await core.deleteNamespacedConfigMap({ name: 'nb', namespace: 'w' });
  });

  it('writes a bare newline on an idle stream', async () => {
    const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${api.store.currentResourceVersion()}`);
    expect(await stream.next()).toBe('');
    stream.close();
  });

  it('turns updates that leave or enter the label selector into DELETED and ADDED', async () => {
    const created = await core.createNamespacedConfigMap(cm('sel', { app: 'pi' }));
    const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&labelSelector=app%3Dpi&resourceVersion=${created.metadata?.resourceVersion}`);
    const out = await core.replaceNamespacedConfigMap({ name: 'sel', namespace: 'w', body: { ...created, metadata: { ...created.metadata, labels: { app: 'other' } } } });
    const leaving = await nextEvent(stream);
    expect(summary(leaving)).toBe('DELETED sel');
    expect(leaving.object.metadata.resourceVersion).toBe(out.metadata?.resourceVersion);
    const back = await core.replaceNamespacedConfigMap({ name: 'sel', namespace: 'w', body: { ...out, metadata: { ...out.metadata, labels: { app: 'pi' } } } });
    const entering = await nextEvent(stream);
    expect(summary(entering)).toBe('ADDED sel');
    expect(entering.object.metadata.resourceVersion).toBe(back.metadata?.resourceVersion);
    await core.replaceNamespacedConfigMap({ name: 'sel', namespace: 'w', body: { ...back, data: { v: '3' } } });
    expect(summary(await nextEvent(stream))).toBe('MODIFIED sel');
    stream.close();
    await core.deleteNamespacedConfigMap({ name: 'sel', namespace: 'w' });
  });

  it('filters by a metadata.name field selector, as kubectl delete --wait watches', async () => {
    const rv = api.store.currentResourceVersion();
    const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&fieldSelector=metadata.name%3Dwanted&resourceVersion=${rv}`);
    await core.createNamespacedConfigMap(cm('unwanted'));
    await core.createNamespacedConfigMap(cm('wanted'));
    await core.deleteNamespacedConfigMap({ name: 'wanted', namespace: 'w' });
    expect([await nextEvent(stream), await nextEvent(stream)].map(summary)).toEqual(['ADDED wanted', 'DELETED wanted']);
    stream.close();
    await core.deleteNamespacedConfigMap({ name: 'unwanted', namespace: 'w' });
  });

  it('only sees the namespace it watches, while a cluster-wide watch sees both', async () => {
    const rv = api.store.currentResourceVersion();
    const scoped = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}`);
    const everywhere = await api.stream(`/api/v1/configmaps?watch=true&resourceVersion=${rv}`);
    await core.createNamespacedConfigMap(cm('elsewhere', undefined, 'other'));
    await core.createNamespacedConfigMap(cm('here'));
    expect(summary(await nextEvent(scoped))).toBe('ADDED here');
    expect([await nextEvent(everywhere), await nextEvent(everywhere)].map(summary)).toEqual(['ADDED elsewhere', 'ADDED here']);
    scoped.close();
    everywhere.close();
    await core.deleteNamespacedConfigMap({ name: 'elsewhere', namespace: 'other' });
    await core.deleteNamespacedConfigMap({ name: 'here', namespace: 'w' });
  });

  it('ends the stream cleanly after timeoutSeconds', async () => {
    const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&timeoutSeconds=1&resourceVersion=${api.store.currentResourceVersion()}`);
    await stream.ended;
    // Only keep-alive newlines came before the end.
    const lines: string[] = [];
    await expect(
      (async () => {
        for (;;) lines.push(await stream.next());
      })(),
    ).rejects.toThrow('stream ended');
    expect(lines.every((line) => line === '')).toBe(true);
  });

  it('carries one-row Tables when the Accept header asks for them', async () => {
    const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${api.store.currentResourceVersion()}`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    await core.createNamespacedConfigMap(cm('tabled'));
    const event = await nextEvent(stream);
    expect(event.type).toBe('ADDED');
    expect(event.object.kind).toBe('Table');
    expect(event.object.rows).toHaveLength(1);
    stream.close();
    await core.deleteNamespacedConfigMap({ name: 'tabled', namespace: 'w' });
  });

  it('sends the initial state then the initial-events-end bookmark for sendInitialEvents', async () => {
    await core.createNamespacedConfigMap(cm('init'));
    const stream = await api.stream('/api/v1/namespaces/w/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    expect(summary(await nextEvent(stream))).toBe('ADDED init');
    const end = await nextEvent(stream);
    expect(end.type).toBe('BOOKMARK');
    expect(end.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    stream.close();
    await core.deleteNamespacedConfigMap({ name: 'init', namespace: 'w' });
    const invalid = await api.raw('/api/v1/namespaces/w/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true');
    expect(invalid.status).toBe(422);
    expect(JSON.parse(invalid.body).message).toContain('sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  });

  it('releases its store subscription when the client disconnects', async () => {
    const baseline = counting.active();
    const stream = await api.stream(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${api.store.currentResourceVersion()}`);
    await waitFor(() => counting.active() === baseline + 1);
    stream.close();
    await waitFor(() => counting.active() === baseline);
    expect(counting.active()).toBe(baseline);
  });
});

describe('watch history', () => {
  it('sends one ERROR event with 410 Expired and closes when the resourceVersion is older than the history', async () => {
    const small = await startTestApiServer({ historyLimit: 2 });
    try {
      const smallCore = small.kubeConfig.makeApiClient(CoreV1Api);
      await smallCore.createNamespace({ body: { metadata: { name: 'n' } } });
      const start = (await smallCore.listNamespacedConfigMap({ namespace: 'n' })).metadata?.resourceVersion;
      for (const name of ['a', 'b', 'c']) await smallCore.createNamespacedConfigMap({ namespace: 'n', body: { metadata: { name } } });
      const stream = await small.stream(`/api/v1/namespaces/n/configmaps?watch=true&resourceVersion=${start}`);
      expect(stream.status).toBe(200);
      const error = await nextEvent(stream);
      expect(error.type).toBe('ERROR');
      expect(error.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
      expect(error.object.message).toMatch(new RegExp(`^too old resource version: ${start} \\(\\d+\\)$`));
      await stream.ended;
    } finally {
      await small.close();
    }
  });
});

describe('client-node', () => {
  it('receives events through the Watch class', async () => {
    const rv = (await core.listNamespacedConfigMap({ namespace: 'w' })).metadata?.resourceVersion;
    const seen: string[] = [];
    const controller = await new Watch(kc).watch(
      '/api/v1/namespaces/w/configmaps',
      { resourceVersion: rv },
      (type: string, object: { metadata: { name: string } }) => seen.push(`${type} ${object.metadata.name}`),
      () => undefined,
    );
    await core.createNamespacedConfigMap(cm('cn'));
    await core.deleteNamespacedConfigMap({ name: 'cn', namespace: 'w' });
    await waitFor(() => seen.length >= 2);
    expect(seen).toEqual(['ADDED cn', 'DELETED cn']);
    controller.abort();
  });

  it('drives an informer through list, add, update and delete', async () => {
    await core.createNamespace({ body: { metadata: { name: 'informed' } } });
    await core.createNamespacedConfigMap(cm('before', undefined, 'informed'));
    const informer = makeInformer(kc, '/api/v1/namespaces/informed/configmaps', () => core.listNamespacedConfigMap({ namespace: 'informed' }));
    const seen: string[] = [];
    informer.on('add', (o: V1ConfigMap) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o: V1ConfigMap) => seen.push(`update ${o.metadata?.name}=${o.data?.v}`));
    informer.on('delete', (o: V1ConfigMap) => seen.push(`delete ${o.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on('error', (error: unknown) => errors.push(error));
    await informer.start();
    await waitFor(() => seen.includes('add before'));
    const created = await core.createNamespacedConfigMap(cm('during', undefined, 'informed'));
    await core.replaceNamespacedConfigMap({ name: 'during', namespace: 'informed', body: { ...created, data: { v: '2' } } });
    await core.deleteNamespacedConfigMap({ name: 'during', namespace: 'informed' });
    await waitFor(() => seen.includes('delete during'));
    await informer.stop();
    expect(seen).toEqual(['add before', 'add during', 'update during=2', 'delete during']);
    expect(errors).toEqual([]);
  });
});
