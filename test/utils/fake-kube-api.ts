// A scriptable Kubernetes API over plain HTTP for informer tests: lists and watches of a few
// collection paths, with failures injected on demand (an HTTP status for the next requests, a
// 410 ERROR event on open watches). Not an emulator: the embedded cluster is for that.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface StoredObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface FakeKubeApi {
  url: string;
  kubeconfigPath: string;
  /** Requests seen, as `GET /api/v1/pods?watch=true`. */
  requests: string[];
  /** Adds or replaces an object and tells open watches of its collection. */
  put(collection: string, object: StoredObject): void;
  remove(collection: string, name: string): void;
  /** The next `count` requests to `collection` (list or watch) are answered with `status`. */
  failNext(collection: string, status: number, count?: number): void;
  /** Sends a 410 Expired ERROR event on every open watch of the collection and closes it. */
  expireWatches(collection: string): void;
  /** Ends every open watch of the collection normally, as a server-side timeout does. */
  closeWatches(collection: string): void;
  openWatches(collection: string): number;
  close(): Promise<void>;
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  let revision = 1;
  const collections = new Map<string, Map<string, StoredObject>>();
  const watches = new Map<string, Set<ServerResponse>>();
  const failures = new Map<string, { status: number; count: number }>();
  const requests: string[] = [];

  const objectsOf = (collection: string): Map<string, StoredObject> => {
    let map = collections.get(collection);
    if (!map) {
      map = new Map();
      collections.set(collection, map);
    }
    return map;
  };
  const watchersOf = (collection: string): Set<ServerResponse> => {
    let set = watches.get(collection);
    if (!set) {
      set = new Set();
      watches.set(collection, set);
    }
    return set;
  };
  const closeWatches = (collection: string): void => {
    const watchers = watchersOf(collection);
    for (const res of watchers) res.end();
    watchers.clear();
  };
  const send = (collection: string, type: string, object: unknown): void => {
    for (const res of watchersOf(collection)) res.write(`${JSON.stringify({ type, object })}\n`);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push(`${req.method ?? ''} ${url.pathname}${url.search}`);
    const collection = url.pathname;
    const failure = failures.get(collection);
    if (failure && failure.count > 0) {
      failure.count -= 1;
      res.writeHead(failure.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'injected failure', reason: 'InternalError', code: failure.status }));
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const watchers = watchersOf(collection);
      watchers.add(res);
      res.on('close', () => watchers.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(revision) }, items: [...objectsOf(collection).values()] }));
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfigPath,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      `  cluster: {server: "${url}", insecure-skip-tls-verify: true}`,
      'users:',
      '- name: tester',
      '  user: {token: test-token}',
      'contexts:',
      '- name: fake',
      '  context: {cluster: fake, user: tester}',
      'current-context: fake',
      '',
    ].join('\n'),
  );

  return {
    url,
    kubeconfigPath,
    requests,
    put(collection, object) {
      revision += 1;
      const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
      const objects = objectsOf(collection);
      const type = objects.has(object.metadata.name) ? 'MODIFIED' : 'ADDED';
      objects.set(object.metadata.name, stored);
      send(collection, type, stored);
    },
    remove(collection, name) {
      const objects = objectsOf(collection);
      const existing = objects.get(name);
      if (!existing) return;
      revision += 1;
      objects.delete(name);
      send(collection, 'DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(revision) } });
    },
    failNext(collection, status, count = 1) {
      failures.set(collection, { status, count });
    },
    expireWatches(collection) {
      send(collection, 'ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 });
      closeWatches(collection);
    },
    closeWatches,
    openWatches(collection) {
      return watchersOf(collection).size;
    },
    async close() {
      for (const set of watches.values()) for (const res of set) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it returns true; the vitest hook timeout bounds the wait. */
export async function eventually(check: () => boolean, intervalMs = 20): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}
