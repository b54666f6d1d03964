import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { eventually, startFakeKubeApi, type FakeKubeApi } from '../../../test/utils/fake-kube-api.ts';
import { ClusterClient } from './client.ts';
import { Informer, type InformerEvent } from './informer.ts';
import { SILENT_LOGGER } from './logger.ts';
import type { Pod } from './objects.ts';

const PODS = '/api/v1/pods';

function pod(name: string, phase = 'Pending') {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c' }] }, status: { phase } };
}

let api: FakeKubeApi;
let informer: Informer<Pod>;
let events: Array<[string, string]>;

function lists(): number {
  return api.requests.filter((r) => r.startsWith(`GET ${PODS}`) && !r.includes('watch=true')).length;
}

beforeEach(async () => {
  api = await startFakeKubeApi();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfigPath);
  const client = new ClusterClient(kubeConfig);
  informer = new Informer<Pod>({ name: 'pods', kubeConfig, path: PODS, list: () => client.pods.list(), logger: SILENT_LOGGER, restartMinMs: 10, restartMaxMs: 50 });
  events = [];
  informer.onEvent((event: InformerEvent<Pod>) => events.push([event.type, event.object.metadata.name ?? '']));
});

afterEach(async () => {
  await informer.stop();
  await api.close();
});

describe('Informer', () => {
  it('lists, then keeps its cache current from the watch and tells its handlers', async () => {
    api.put(PODS, pod('a'));
    await informer.start();
    expect(informer.get('ns', 'a')?.status?.phase).toBe('Pending');
    await eventually(() => api.openWatches(PODS) === 1);

    api.put(PODS, pod('b'));
    api.put(PODS, pod('a', 'Running'));
    api.remove(PODS, 'b');
    await eventually(() => events.length === 4);
    expect(events).toEqual([
      ['add', 'a'],
      ['add', 'b'],
      ['update', 'a'],
      ['delete', 'b'],
    ]);
    expect(informer.get('ns', 'a')?.status?.phase).toBe('Running');
    expect(informer.list().map((p) => p.metadata.name)).toEqual(['a']);
    expect(api.requests.find((r) => r.includes('watch=true'))).toContain('resourceVersion=2');
  });

  it('keeps retrying the first list until it succeeds', async () => {
    api.failNext(PODS, 500, 2);
    api.put(PODS, pod('a'));
    await informer.start();
    expect(informer.hasSynced).toBe(true);
    expect(lists()).toBe(3);
  });

  it('watches again after a failed watch, where client-node would stop for good', async () => {
    await informer.start();
    await eventually(() => api.openWatches(PODS) === 1);
    api.failNext(PODS, 500, 2);
    api.closeWatches(PODS);
    await eventually(() => api.openWatches(PODS) === 1);
    api.put(PODS, pod('late'));
    await eventually(() => informer.get('ns', 'late') !== undefined);
    expect(lists()).toBe(1);
  });

  it('relists after a 410 and reports what went missing meanwhile', async () => {
    api.put(PODS, pod('gone'));
    await informer.start();
    await eventually(() => api.openWatches(PODS) === 1);
    api.expireWatches(PODS);
    // No watch is open now, so only the relist can notice this.
    api.remove(PODS, 'gone');
    await eventually(() => events.some(([type, name]) => type === 'delete' && name === 'gone'));
    expect(lists()).toBe(2);
    await eventually(() => api.openWatches(PODS) === 1);
  });

  it('ends its watch on stop and makes no more requests', async () => {
    await informer.start();
    await eventually(() => api.openWatches(PODS) === 1);
    await informer.stop();
    await eventually(() => api.openWatches(PODS) === 0);
    const seen = api.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.requests.length).toBe(seen);
  });
});
