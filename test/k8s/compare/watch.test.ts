// Watches and lists as client-node's informers use them: resuming from a list's
// resourceVersion, 410 Expired for a version the server no longer keeps, selector transitions,
// and paging.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, type V1ConfigMap } from '@kubernetes/client-node';
import { collectWatch, refusal } from './api.ts';
import { selectedBackends, startBackend, uniqueName, type Backend } from './backends.ts';
import { MPIJOB_GROUP, MPIJOB_PLURAL, MPIJOB_VERSION, mpiJob, mpiJobCoordinates } from './objects.ts';

const TEST_LABEL = 'compare.mpijob-gateway.dev/case';

interface PageMeta {
  resourceVersion: string | undefined;
  continueToken: string | undefined;
  remainingItemCount: number | undefined;
}

describe.each(selectedBackends())('watches and lists on %s', (backendName) => {
  let backend: Backend;
  let core: CoreV1Api;
  let namespace: string;

  beforeAll(async () => {
    backend = await startBackend(backendName);
    core = backend.kubeConfig.makeApiClient(CoreV1Api);
    namespace = await backend.createNamespace('watch');
  });
  afterAll(async () => {
    await backend?.stop();
  });

  const configMapsPath = (): string => `/api/v1/namespaces/${namespace}/configmaps`;

  it('replays exactly the changes made after a list when the watch starts from the list resourceVersion', async () => {
    const label = uniqueName('resume');
    const selector = `${TEST_LABEL}=${label}`;
    const listed = await core.listNamespacedConfigMap({ namespace, labelSelector: selector });
    const listVersion = listed.metadata?.resourceVersion ?? '';
    expect(listVersion).not.toBe('');

    const name = uniqueName('cm');
    const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { [TEST_LABEL]: label } }, data: { step: '1' } } });
    const replaced = await core.replaceNamespacedConfigMap({
      name,
      namespace,
      body: { metadata: { name, labels: { [TEST_LABEL]: label }, resourceVersion: created.metadata?.resourceVersion }, data: { step: '2' } },
    });
    await core.deleteNamespacedConfigMap({ name, namespace });

    const { events } = await collectWatch<V1ConfigMap>(backend.kubeConfig, configMapsPath(), {
      query: { resourceVersion: listVersion, labelSelector: selector },
      until: (seen) => seen.length >= 3,
    });
    expect(events.map((event) => [event.type, event.object.metadata?.name, event.object.data?.['step']])).toEqual([
      ['ADDED', name, '1'],
      ['MODIFIED', name, '2'],
      ['DELETED', name, '2'],
    ]);
    expect(events[0]?.object.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    expect(events[1]?.object.metadata?.resourceVersion).toBe(replaced.metadata?.resourceVersion);
    // The deletion is a change of its own, with a version of its own.
    expect(events[2]?.object.metadata?.resourceVersion).not.toBe(replaced.metadata?.resourceVersion);
  });

  it('answers a watch from a resourceVersion it no longer keeps with one ERROR event, 410 Expired, and then ends the stream', async () => {
    const expired = await backend.expiredResourceVersion(namespace);
    // MPIJobs: on the real server their watch cache starts when the CRD is established, so its
    // window has a known lower edge (a core kind's cache reaches back to the server's start).
    const { events, endedByServer } = await collectWatch<Record<string, unknown>>(backend.kubeConfig, `/apis/${MPIJOB_GROUP}/${MPIJOB_VERSION}/namespaces/${namespace}/${MPIJOB_PLURAL}`, {
      query: { resourceVersion: expired },
    });
    expect(endedByServer).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('ERROR');
    expect(events[0]?.object).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    expect(String(events[0]?.object['message'])).toMatch(new RegExp(`^too old resource version: ${expired} \\(\\d+\\)$`));
  });

  it('reports an update that takes an object out of a label selector as DELETED and one that brings it back as ADDED', async () => {
    const label = uniqueName('selector');
    const name = uniqueName('cm');
    const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { [TEST_LABEL]: label } }, data: { a: '1' } } });
    let out: V1ConfigMap | undefined;
    let back: V1ConfigMap | undefined;
    const { events } = await collectWatch<V1ConfigMap>(backend.kubeConfig, configMapsPath(), {
      query: { resourceVersion: created.metadata?.resourceVersion, labelSelector: `${TEST_LABEL}=${label}` },
      until: (seen) => seen.length >= 2,
      whenOpen: async () => {
        out = await core.replaceNamespacedConfigMap({
          name,
          namespace,
          body: { metadata: { name, labels: { [TEST_LABEL]: 'elsewhere' }, resourceVersion: created.metadata?.resourceVersion }, data: { a: '2' } },
        });
        back = await core.replaceNamespacedConfigMap({
          name,
          namespace,
          body: { metadata: { name, labels: { [TEST_LABEL]: label }, resourceVersion: out.metadata?.resourceVersion }, data: { a: '3' } },
        });
      },
    });
    expect(events.map((event) => [event.type, event.object.data?.['a'], event.object.metadata?.labels?.[TEST_LABEL], event.object.metadata?.resourceVersion])).toEqual([
      // The DELETED event carries the last state that matched, stamped with the version of the
      // update that took the object out of the selection.
      ['DELETED', '1', label, out?.metadata?.resourceVersion],
      ['ADDED', '3', label, back?.metadata?.resourceVersion],
    ]);
  });

  async function pageThrough(list: (token: string | undefined) => Promise<PageMeta & { names: string[] }>): Promise<{ names: string[]; versions: Set<string>; remaining: Array<number | undefined> }> {
    const names: string[] = [];
    const versions = new Set<string>();
    const remaining: Array<number | undefined> = [];
    let token: string | undefined;
    do {
      const page = await list(token);
      names.push(...page.names);
      versions.add(page.resourceVersion ?? '');
      remaining.push(page.remainingItemCount);
      token = page.continueToken || undefined;
    } while (token);
    return { names, versions, remaining };
  }

  it('pages a list with limit and continue under one resourceVersion, every object once, counting what remains', async () => {
    const pagingNamespace = await backend.createNamespace('paging');
    const objects = backend.kubeConfig.makeApiClient(CustomObjectsApi);
    const names = Array.from({ length: 5 }, (_, i) => `job-${i}`);
    for (const name of names) await objects.createNamespacedCustomObject({ ...mpiJobCoordinates(pagingNamespace), body: mpiJob(name, pagingNamespace) });
    const paged = await pageThrough(async (token) => {
      const page = (await objects.listNamespacedCustomObject({ ...mpiJobCoordinates(pagingNamespace), limit: 2, _continue: token })) as {
        metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
        items: Array<{ metadata: { name: string } }>;
      };
      return { names: page.items.map((item) => item.metadata.name), resourceVersion: page.metadata.resourceVersion, continueToken: page.metadata.continue, remainingItemCount: page.metadata.remainingItemCount };
    });
    expect(paged.names).toEqual(names);
    expect(paged.versions.size).toBe(1);
    expect(paged.remaining).toEqual([3, 1, undefined]);
  });

  it('leaves remainingItemCount out of pages of a list filtered by a label selector', async () => {
    const label = uniqueName('paging');
    const names = Array.from({ length: 5 }, (_, i) => `${label}-${i}`);
    for (const name of names) {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { [TEST_LABEL]: label } } } });
    }
    const paged = await pageThrough(async (token) => {
      const page = await core.listNamespacedConfigMap({ namespace, labelSelector: `${TEST_LABEL}=${label}`, limit: 2, _continue: token });
      return {
        names: page.items.map((item) => item.metadata?.name ?? ''),
        resourceVersion: page.metadata?.resourceVersion,
        continueToken: page.metadata?._continue,
        remainingItemCount: page.metadata?.remainingItemCount,
      };
    });
    expect(paged.names).toEqual(names);
    expect(paged.versions.size).toBe(1);
    // The server cannot count what a selector would keep without reading it all.
    expect(paged.remaining).toEqual([undefined, undefined, undefined]);
  });

  it('refuses a continue token together with a resourceVersion with 400 BadRequest', async () => {
    const label = uniqueName('paging-rv');
    for (const n of [0, 1]) await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `${label}-${n}`, labels: { [TEST_LABEL]: label } } } });
    const first = await core.listNamespacedConfigMap({ namespace, labelSelector: `${TEST_LABEL}=${label}`, limit: 1 });
    const status = await refusal(
      core.listNamespacedConfigMap({ namespace, labelSelector: `${TEST_LABEL}=${label}`, limit: 1, _continue: first.metadata?._continue, resourceVersion: first.metadata?.resourceVersion }),
    );
    expect(status).toMatchObject({ code: 400, reason: 'BadRequest', message: 'specifying resource version is not allowed when using continue' });
  });
});
