import { describe, expect, it } from 'vitest';
import {
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  aggregatedDiscovery,
  apiResourceList,
  legacyApiGroupList,
  legacyApiVersions,
  versionInfo,
  wantsAggregatedDiscovery,
} from './discovery.ts';
import { RESOURCES } from './resources.ts';

interface DiscoveredResource {
  resource: string;
  responseKind: { group: string; version: string; kind: string };
  scope: string;
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: Array<{ subresource: string; responseKind: { kind: string }; verbs: string[] }>;
}

interface GroupDiscoveryList {
  kind: string;
  apiVersion: string;
  items: Array<{ metadata: { name: string }; versions: Array<{ version: string; freshness: string; resources: DiscoveredResource[] }> }>;
}

interface ApiResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

/** The Accept header kubectl 1.32 sends to /api and /apis. */
const KUBECTL_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

function resourceIn(list: GroupDiscoveryList, resource: string): DiscoveredResource {
  const found = list.items.flatMap((g) => g.versions.flatMap((v) => v.resources)).find((r) => r.resource === resource);
  if (!found) throw new Error(`${resource} is not in the discovery document`);
  return found;
}

describe('wantsAggregatedDiscovery', () => {
  it('recognizes the Accept header kubectl sends', () => {
    expect(wantsAggregatedDiscovery(KUBECTL_DISCOVERY_ACCEPT)).toBe(true);
  });

  it('ignores parameter order and spacing', () => {
    expect(wantsAggregatedDiscovery('application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io')).toBe(true);
  });

  it('declines plain JSON, a missing header and the v2beta1 form alone', () => {
    expect(wantsAggregatedDiscovery('application/json, */*')).toBe(false);
    expect(wantsAggregatedDiscovery(undefined)).toBe(false);
    expect(wantsAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList')).toBe(false);
  });

  it('names the exact response content type kubectl parses', () => {
    expect(AGGREGATED_DISCOVERY_CONTENT_TYPE).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  });
});

describe('aggregatedDiscovery', () => {
  it('lists only the core group, with an empty name, under /api', () => {
    const list = aggregatedDiscovery('api') as GroupDiscoveryList;
    expect(list.kind).toBe('APIGroupDiscoveryList');
    expect(list.apiVersion).toBe('apidiscovery.k8s.io/v2');
    expect(list.items.map((g) => g.metadata.name)).toEqual(['']);
    expect(list.items[0]?.versions.map((v) => [v.version, v.freshness])).toEqual([['v1', 'Current']]);
  });

  it('lists the authentication, authorization, batch, RBAC and kubeflow.org groups under /apis', () => {
    const list = aggregatedDiscovery('apis') as GroupDiscoveryList;
    expect(list.items.map((g) => g.metadata.name)).toEqual([
      'authentication.k8s.io',
      'authorization.k8s.io',
      'batch',
      'rbac.authorization.k8s.io',
      'kubeflow.org',
    ]);
  });

  it('describes the access and token reviews as create-only, and local access reviews as namespaced', () => {
    const apis = aggregatedDiscovery('apis') as GroupDiscoveryList;
    for (const name of ['tokenreviews', 'selfsubjectreviews', 'subjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews']) {
      expect(resourceIn(apis, name), name).toMatchObject({ scope: 'Cluster', verbs: ['create'] });
    }
    expect(resourceIn(apis, 'localsubjectaccessreviews')).toMatchObject({ scope: 'Namespaced', verbs: ['create'] });
  });

  it('describes pods with their singular, short name, category, verbs and subresources', () => {
    expect(resourceIn(aggregatedDiscovery('api') as GroupDiscoveryList, 'pods')).toEqual({
      resource: 'pods',
      responseKind: { group: '', version: 'v1', kind: 'Pod' },
      scope: 'Namespaced',
      singularResource: 'pod',
      shortNames: ['po'],
      categories: ['all'],
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      subresources: [
        { subresource: 'status', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get', 'patch', 'update'] },
        { subresource: 'log', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] },
      ],
    });
  });

  it('describes namespaces as cluster-scoped without deletecollection', () => {
    const ns = resourceIn(aggregatedDiscovery('api') as GroupDiscoveryList, 'namespaces');
    expect(ns.scope).toBe('Cluster');
    expect(ns.shortNames).toEqual(['ns']);
    expect(ns.verbs).not.toContain('deletecollection');
  });

  it('describes mpijobs with the singular kubectl resolves `get mpijob` through, and no short names', () => {
    const mpijobs = resourceIn(aggregatedDiscovery('apis') as GroupDiscoveryList, 'mpijobs');
    expect(mpijobs.responseKind).toEqual({ group: 'kubeflow.org', version: 'v2beta1', kind: 'MPIJob' });
    expect(mpijobs.singularResource).toBe('mpijob');
    expect(mpijobs.scope).toBe('Namespaced');
    expect(mpijobs).not.toHaveProperty('shortNames');
    expect(mpijobs).not.toHaveProperty('categories');
    expect(mpijobs.subresources?.map((s) => s.subresource)).toEqual(['status']);
  });

  it('publishes the short names the reference lists, and none for secrets and jobs', () => {
    const all = [aggregatedDiscovery('api'), aggregatedDiscovery('apis')] as GroupDiscoveryList[];
    const shortNames = Object.fromEntries(
      all.flatMap((l) => l.items.flatMap((g) => g.versions.flatMap((v) => v.resources))).map((r) => [r.resource, r.shortNames ?? []]),
    );
    expect(shortNames).toEqual({
      configmaps: ['cm'],
      events: ['ev'],
      namespaces: ['ns'],
      nodes: ['no'],
      pods: ['po'],
      resourcequotas: ['quota'],
      secrets: [],
      services: ['svc'],
      jobs: [],
      mpijobs: [],
      clusterrolebindings: [],
      clusterroles: [],
      rolebindings: [],
      roles: [],
      localsubjectaccessreviews: [],
      selfsubjectaccessreviews: [],
      selfsubjectrulesreviews: [],
      subjectaccessreviews: [],
      selfsubjectreviews: [],
      tokenreviews: [],
    });
  });

  it('covers every served resource exactly once', () => {
    const all = [aggregatedDiscovery('api'), aggregatedDiscovery('apis')] as GroupDiscoveryList[];
    const served = all.flatMap((l) => l.items.flatMap((g) => g.versions.flatMap((v) => v.resources.map((r) => r.resource))));
    expect(served.sort()).toEqual(RESOURCES.map((r) => r.resource).sort());
  });
});

describe('legacy discovery', () => {
  it('answers /api with the core version and the server address', () => {
    expect(legacyApiVersions('127.0.0.1:6443')).toEqual({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
    });
  });

  it('answers /apis with each group and its preferred version', () => {
    expect(legacyApiGroupList()).toEqual({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [
        {
          name: 'authentication.k8s.io',
          versions: [{ groupVersion: 'authentication.k8s.io/v1', version: 'v1' }],
          preferredVersion: { groupVersion: 'authentication.k8s.io/v1', version: 'v1' },
        },
        {
          name: 'authorization.k8s.io',
          versions: [{ groupVersion: 'authorization.k8s.io/v1', version: 'v1' }],
          preferredVersion: { groupVersion: 'authorization.k8s.io/v1', version: 'v1' },
        },
        {
          name: 'batch',
          versions: [{ groupVersion: 'batch/v1', version: 'v1' }],
          preferredVersion: { groupVersion: 'batch/v1', version: 'v1' },
        },
        {
          name: 'rbac.authorization.k8s.io',
          versions: [{ groupVersion: 'rbac.authorization.k8s.io/v1', version: 'v1' }],
          preferredVersion: { groupVersion: 'rbac.authorization.k8s.io/v1', version: 'v1' },
        },
        {
          name: 'kubeflow.org',
          versions: [{ groupVersion: 'kubeflow.org/v2beta1', version: 'v2beta1' }],
          preferredVersion: { groupVersion: 'kubeflow.org/v2beta1', version: 'v2beta1' },
        },
      ],
    });
  });

  it('lists pods, pods/status and pods/log in /api/v1', () => {
    const list = apiResourceList('', 'v1') as { kind: string; groupVersion: string; resources: ApiResource[] };
    expect(list.kind).toBe('APIResourceList');
    expect(list.groupVersion).toBe('v1');
    const byName = new Map(list.resources.map((r) => [r.name, r]));
    expect(byName.get('pods')).toEqual({
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
    });
    expect(byName.get('pods/status')).toEqual({ name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    expect(byName.get('pods/log')).toEqual({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
    expect(byName.get('namespaces')?.namespaced).toBe(false);
  });

  it('lists mpijobs and mpijobs/status in /apis/kubeflow.org/v2beta1', () => {
    const list = apiResourceList('kubeflow.org', 'v2beta1') as { groupVersion: string; resources: ApiResource[] };
    expect(list.groupVersion).toBe('kubeflow.org/v2beta1');
    expect(list.resources.map((r) => r.name)).toEqual(['mpijobs', 'mpijobs/status']);
    expect(list.resources[0]?.singularName).toBe('mpijob');
  });

  it('returns undefined for a group-version that is not served', () => {
    expect(apiResourceList('apps', 'v1')).toBeUndefined();
    expect(apiResourceList('batch', 'v2')).toBeUndefined();
  });
});

describe('versionInfo', () => {
  it('reports Kubernetes 1.32', () => {
    expect(versionInfo()).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0', gitTreeState: 'clean', compiler: 'gc' });
  });

  it('reports a Go-style platform string', () => {
    expect((versionInfo() as { platform: string }).platform).toMatch(/^[a-z0-9]+\/[a-z0-9]+$/);
  });
});
