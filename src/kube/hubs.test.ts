import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startFakeKubeApi, type FakeKubeApi } from '../../test/utils/fake-kube-api.ts';
import { SharedObjectStore } from './cache.ts';
import { KubeClient, loadKubeConfig } from './client.ts';
import type { HubEvent } from './hub.ts';
import { createClusterHubs, jobOfEvent, resyncOnRelist } from './hubs.ts';
import { InformerRegistry, type InformerEvent } from './informers.ts';
import type { EventObject, PodObject } from './objects.ts';
import { registerWatchedKinds } from './watched.ts';

const logger = pino({ level: 'silent' });
const MPIJOBS = '/apis/kubeflow.org/v2beta1/mpijobs';

function event(kind: string, name: string): EventObject {
  return { metadata: { namespace: 'a', name: `${name}.1` }, involvedObject: { kind, name, namespace: 'a' } };
}

describe('jobOfEvent', () => {
  it('tells the job of an event about the MPIJob, its launcher Job or one of its pods', () => {
    const pods = new SharedObjectStore<PodObject>();
    pods.upsert({ metadata: { namespace: 'a', name: 'odd-name', labels: { 'training.kubeflow.org/job-name': 'pi' } } });
    expect(jobOfEvent(event('MPIJob', 'pi'), pods)).toBe('pi');
    expect(jobOfEvent(event('Job', 'pi-launcher'), pods)).toBe('pi');
    expect(jobOfEvent(event('Job', 'unrelated'), pods)).toBeUndefined();
    expect(jobOfEvent(event('Pod', 'odd-name'), pods)).toBe('pi');
    // Pods not in the cache (gone already) are known by the names the operator gives.
    expect(jobOfEvent(event('Pod', 'bert-finetune-worker-3'), pods)).toBe('bert-finetune');
    expect(jobOfEvent(event('Pod', 'bert-finetune-launcher-x7k2p'), pods)).toBe('bert-finetune');
    expect(jobOfEvent(event('Node', 'node-1'), pods)).toBeUndefined();
  });
});

describe('hubs over real informers', () => {
  let api: FakeKubeApi;
  let client: KubeClient;
  let registry: InformerRegistry;

  beforeEach(async () => {
    api = await startFakeKubeApi();
    client = new KubeClient({ config: loadKubeConfig({ kind: 'kubeconfig', path: api.kubeconfigPath }) });
    registry = new InformerRegistry({ client, logger, scope: { kind: 'all' } });
  });

  afterEach(async () => {
    await registry.stop();
    await client.close();
    await api.close();
  });

  it('sends RESYNC, before the changes the relist brings, when a watch expires', async () => {
    api.put(MPIJOBS, { metadata: { name: 'pi', namespace: 'a', resourceVersion: '1' } });
    const caches = registerWatchedKinds(registry);
    const hubs = createClusterHubs({ caches, logger });
    const lifecycle: InformerEvent[] = [];
    registry.onEvent((e) => lifecycle.push(e));
    registry.onEvent(resyncOnRelist(hubs));
    registry.start();
    await registry.waitForSync();
    const seen: Array<HubEvent<unknown>> = [];
    hubs.mpiJobs.listen({}, (e) => seen.push(e));

    api.expireWatches(MPIJOBS);
    api.put(MPIJOBS, { metadata: { name: 'pi', namespace: 'a', resourceVersion: '2' } });
    await eventually(() => seen.some((e) => e.type === 'MODIFIED'));
    expect(seen.map((e) => e.type).slice(0, 2)).toEqual(['RESYNC', 'MODIFIED']);
    expect(lifecycle.some((e) => e.type === 'list' && e.relist && e.status.resource === 'mpijobs')).toBe(true);
    const status = registry.statuses().find((s) => s.resource === 'mpijobs');
    expect(status?.lists).toBe(2);
    expect(status?.lastEventAtMs).toBeGreaterThan(0);
  });
});
