import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { eventually, startFakeKubeApi, type FakeKubeApi } from '../../test/utils/fake-kube-api.ts';
import { KubeClient, loadKubeConfig } from './client.ts';
import { InformerRegistry } from './informers.ts';
import type { KubeObject } from './objects.ts';

const PODS = '/api/v1/pods';
const NAMESPACES = '/api/v1/namespaces';

let api: FakeKubeApi;
let client: KubeClient;
let registry: InformerRegistry;

const pod = (name: string, job = 'pi') => ({ metadata: { name, namespace: 'team-a', labels: { job } } });

beforeEach(async () => {
  api = await startFakeKubeApi();
  client = new KubeClient({ config: loadKubeConfig({ kind: 'kubeconfig', path: api.kubeconfigPath }) });
  registry = new InformerRegistry({ client, logger: pino({ level: 'silent' }), scope: { kind: 'all' } });
});

afterEach(async () => {
  await registry.stop();
  await client.close();
  await api.close();
});

function register() {
  return registry.register<KubeObject>({
    resource: 'pods',
    apiPrefix: '/api/v1',
    namespaced: true,
    indexers: { job: (o) => [o.metadata.labels?.['job'] ?? ''] },
  });
}

describe('InformerRegistry', () => {
  it('lists, then applies watch events to the store and its indexes', async () => {
    api.put(PODS, pod('a'));
    const store = register();
    expect(registry.ready).toBe(false);
    registry.start();
    await registry.waitForSync();
    expect(registry.ready).toBe(true);
    expect(store.list().map((o) => o.metadata.name)).toEqual(['a']);

    api.put(PODS, pod('b', 'other'));
    await eventually(() => store.size === 2);
    expect(store.byIndex('job', 'other').map((o) => o.metadata.name)).toEqual(['b']);
    api.remove(PODS, 'a');
    await eventually(() => store.size === 1);
    expect(store.get('team-a', 'a')).toBeUndefined();
    expect(client.counter.samples()).toEqual(
      expect.arrayContaining([
        { verb: 'list', resource: 'pods', code: '200', count: 1 },
        { verb: 'watch', resource: 'pods', code: '200', count: 1 },
      ]),
    );
  });

  it('relists after a 410 Expired and drops objects deleted meanwhile', async () => {
    api.put(PODS, pod('a'));
    api.put(PODS, pod('b'));
    const store = register();
    registry.start();
    await registry.waitForSync();
    await eventually(() => api.openWatches(PODS) === 1);
    // The deletion is missed by the watch (it is gone by then), so only a relist can notice it.
    api.expireWatches(PODS);
    api.remove(PODS, 'b');
    await eventually(() => client.counter.total((s) => s.verb === 'list') === 2 && store.size === 1);
    expect(store.get('team-a', 'a')).toBeDefined();
    expect(registry.statuses()[0]).toMatchObject({ state: 'synced', restarts: 0, lists: 2 });
  });

  it('restarts with backoff after a failed list, and stays unready until it succeeds', async () => {
    api.put(PODS, pod('a'));
    api.failNext(PODS, 500, 2);
    const store = register();
    registry.start();
    await eventually(() => registry.statuses()[0]?.restarts === 1);
    expect(registry.ready).toBe(false);
    await registry.waitForSync();
    expect(store.size).toBe(1);
    const status = registry.statuses()[0];
    expect(status).toMatchObject({ synced: true, state: 'synced', restarts: 2, lastError: undefined });
    expect(client.counter.samples()).toEqual(expect.arrayContaining([{ verb: 'list', resource: 'pods', code: '500', count: 2 }]));
  });

  it('restarts a watch that the server refuses', async () => {
    const store = register();
    registry.start();
    await registry.waitForSync();
    await eventually(() => api.openWatches(PODS) === 1);
    // A normal end makes the informer re-watch from its resourceVersion, without a list.
    api.failNext(PODS, 403, 1);
    api.closeWatches(PODS);
    await eventually(() => client.counter.total((s) => s.verb === 'watch' && s.code === '403') === 1);
    // The fake server does not replay history to a watch, so wait until the new one is open.
    await eventually(() => api.openWatches(PODS) === 1);
    api.put(PODS, pod('late'));
    await eventually(() => store.size === 1);
    expect(registry.statuses()[0]?.restarts).toBeGreaterThanOrEqual(1);
  });

  it('watches cluster-scoped kinds of a namespace list one name at a time', async () => {
    const scoped = new InformerRegistry({ client, logger: pino({ level: 'silent' }), scope: { kind: 'namespaces', names: ['team-a', 'team-b'] } });
    scoped.register<KubeObject>({ resource: 'namespaces', apiPrefix: '/api/v1', namespaced: false });
    scoped.register<KubeObject>({ resource: 'pods', apiPrefix: '/api/v1', namespaced: true });
    scoped.start();
    await scoped.waitForSync();
    await scoped.stop();
    const lists = api.requests.filter((r) => r.startsWith('GET') && !r.includes('watch=true'));
    expect(lists.sort()).toEqual([
      'GET /api/v1/namespaces/team-a/pods',
      'GET /api/v1/namespaces/team-b/pods',
      `GET ${NAMESPACES}?fieldSelector=metadata.name%3Dteam-a`,
      `GET ${NAMESPACES}?fieldSelector=metadata.name%3Dteam-b`,
    ]);
  });
});
