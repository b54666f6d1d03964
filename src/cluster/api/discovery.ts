// Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`) and `/version`,
// all derived from RESOURCES. kubectl resolves `kubectl get mpijob`, short names and `-A` through
// these, and caches them for hours, so they must describe exactly what the REST layer serves.

import { groupVersion, RESOURCES, type ResourceInfo, type Verb } from './resources.ts';

/** The response Content-Type that makes kubectl parse a body as aggregated discovery (v2). */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

const DISCOVERY_GROUP = 'apidiscovery.k8s.io';
const DISCOVERY_VERSION = 'v2';
const DISCOVERY_LIST_KIND = 'APIGroupDiscoveryList';

/** Freshness of a group-version in aggregated discovery; ours is always served in-process. */
const FRESHNESS_CURRENT = 'Current';

const SCOPE_NAMESPACED = 'Namespaced';
const SCOPE_CLUSTER = 'Cluster';

/** The verbs each subresource serves: `status` is a read/write view, `log` is read-only. */
const SUBRESOURCE_VERBS: Record<ResourceInfo['subresources'][number], Verb[]> = {
  status: ['get', 'patch', 'update'],
  log: ['get'],
};

/** The Kubernetes release the emulator reports; kubectl's version dispatcher keys on the minor. */
const REPORTED_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  // Build facts in the shape the real server reports; clients only display them.
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
} as const;

/**
 * Media-range parameters of one Accept entry, with the type lower-cased. Parameters such as
 * `q` are kept but not interpreted: every client we serve lists its preference first.
 */
export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(accept: string | undefined): MediaRange[] {
  if (!accept) return [];
  const ranges: MediaRange[] = [];
  for (const entry of accept.split(',')) {
    const [rawType, ...rawParams] = entry.split(';');
    const type = (rawType ?? '').trim().toLowerCase();
    if (type === '') continue;
    const params: Record<string, string> = {};
    for (const raw of rawParams) {
      const eq = raw.indexOf('=');
      if (eq < 0) continue;
      const key = raw.slice(0, eq).trim().toLowerCase();
      const value = raw.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      params[key] = value;
    }
    ranges.push({ type, params });
  }
  return ranges;
}

/** True when the Accept header asks for aggregated discovery v2 (the only version we serve). */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  return parseAccept(accept).some(
    (r) =>
      r.type === 'application/json' &&
      r.params['g'] === DISCOVERY_GROUP &&
      r.params['v'] === DISCOVERY_VERSION &&
      r.params['as'] === DISCOVERY_LIST_KIND,
  );
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Groups in the order RESOURCES first mentions them (the core group first). */
function groupsInOrder(): Array<{ group: string; versions: string[] }> {
  const groups: Array<{ group: string; versions: string[] }> = [];
  for (const r of RESOURCES) {
    let entry = groups.find((g) => g.group === r.group);
    if (!entry) {
      entry = { group: r.group, versions: [] };
      groups.push(entry);
    }
    if (!entry.versions.includes(r.version)) entry.versions.push(r.version);
  }
  return groups;
}

function resourcesOf(group: string, version: string): ResourceInfo[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version).sort((a, b) =>
    byName({ name: a.resource }, { name: b.resource }),
  );
}

function responseKind(info: ResourceInfo): { group: string; version: string; kind: string } {
  return { group: info.group, version: info.version, kind: info.kind };
}

function resourceDiscovery(info: ResourceInfo): Record<string, unknown> {
  return {
    resource: info.resource,
    responseKind: responseKind(info),
    scope: info.namespaced ? SCOPE_NAMESPACED : SCOPE_CLUSTER,
    singularResource: info.singular,
    verbs: [...info.verbs],
    ...(info.shortNames.length > 0 ? { shortNames: [...info.shortNames] } : {}),
    ...(info.categories.length > 0 ? { categories: [...info.categories] } : {}),
    ...(info.subresources.length > 0
      ? {
          subresources: info.subresources.map((sub) => ({
            subresource: sub,
            responseKind: responseKind(info),
            verbs: [...SUBRESOURCE_VERBS[sub]],
          })),
        }
      : {}),
  };
}

/**
 * `APIGroupDiscoveryList` for `/api` (the core group) or `/apis` (every named group). Serve it
 * with AGGREGATED_DISCOVERY_CONTENT_TYPE: kubectl picks its parser from the response type.
 */
export function aggregatedDiscovery(scope: 'api' | 'apis'): object {
  const groups = groupsInOrder().filter((g) => (scope === 'api' ? g.group === '' : g.group !== ''));
  return {
    kind: DISCOVERY_LIST_KIND,
    apiVersion: `${DISCOVERY_GROUP}/${DISCOVERY_VERSION}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group },
      versions: g.versions.map((version) => ({
        version,
        resources: resourcesOf(g.group, version).map(resourceDiscovery),
        freshness: FRESHNESS_CURRENT,
      })),
    })),
  };
}

/** Legacy `/api`: the core versions and the address clients should use. */
export function legacyApiVersions(serverAddress: string): object {
  const core = groupsInOrder().find((g) => g.group === '');
  return {
    kind: 'APIVersions',
    versions: core ? [...core.versions] : [],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** Legacy `/apis`: every named group with its versions, the first one preferred. */
export function legacyApiGroupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groupsInOrder()
      .filter((g) => g.group !== '')
      .map((g) => {
        const versions = g.versions.map((version) => ({ groupVersion: `${g.group}/${version}`, version }));
        return { name: g.group, versions, preferredVersion: versions[0] };
      }),
  };
}

/**
 * Legacy `APIResourceList` for one group-version (`''`/`v1` for `/api/v1`), with an entry per
 * subresource (`pods/status`, `pods/log`, ...); undefined for a group-version we do not serve.
 */
export function apiResourceList(group: string, version: string): object | undefined {
  const infos = resourcesOf(group, version);
  if (infos.length === 0) return undefined;
  const entries: Array<Record<string, unknown> & { name: string }> = [];
  for (const info of infos) {
    entries.push({
      name: info.resource,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: [...info.verbs],
      ...(info.shortNames.length > 0 ? { shortNames: [...info.shortNames] } : {}),
      ...(info.categories.length > 0 ? { categories: [...info.categories] } : {}),
    });
    for (const sub of info.subresources) {
      entries.push({
        name: `${info.resource}/${sub}`,
        singularName: '',
        namespaced: info.namespaced,
        kind: info.kind,
        verbs: [...SUBRESOURCE_VERBS[sub]],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion({ group, version }),
    resources: entries.sort(byName),
  };
}

const NODE_TO_GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };

/** `/version`: reports Kubernetes 1.32, the release the emulator's behaviour follows. */
export function versionInfo(): object {
  const arch = NODE_TO_GO_ARCH[process.arch] ?? process.arch;
  return { ...REPORTED_VERSION, platform: `${process.platform}/${arch}` };
}
