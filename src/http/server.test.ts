import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createFakeCluster, mpiJob, namespace, type FakeCluster } from '../../test/utils/graph-fixtures.ts';
import { createGraphContext } from '../graph/context.ts';
import { buildSchema } from '../graph/schema.ts';
import { ANONYMOUS_VIEWER } from '../viewer/viewer.ts';
import { startHttpServer, type GatewayHttpServer } from './server.ts';

let fake: FakeCluster;
let server: GatewayHttpServer;
let base: string;

beforeAll(async () => {
  fake = createFakeCluster();
  fake.caches.namespaces.upsert(namespace('team-a'));
  fake.caches.mpiJobs.upsert(mpiJob({ name: 'pi', namespace: 'team-a', workers: 1, conditions: [['Created', 'True'], ['Running', 'True']] }));
  const logger = pino({ level: 'silent' });
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    schema: buildSchema(),
    logger,
    context: () => createGraphContext(fake.services(), ANONYMOUS_VIEWER, logger),
    readiness: () => ({ ready: fake.ready, detail: { informers: [] } }),
    metrics: {
      kubeRequests: () => [{ verb: 'list', resource: 'pods', code: '200', count: 3 }],
      informers: () => [{ resource: 'pods', namespace: '', state: 'synced', synced: true, restarts: 0, lists: 1, objects: 7, lastError: undefined }],
    },
  });
  base = server.url.replace(/\/graphql$/, '');
});

afterAll(async () => {
  await server.stop();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers }, body: JSON.stringify(body) });

describe('GraphQL over HTTP', () => {
  it('answers a POST query with application/graphql-response+json', async () => {
    const response = await post({ query: 'query One($ns: String!) { mpiJob(namespace: $ns, name: "pi") { name phase } }', variables: { ns: 'team-a' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(await response.json()).toEqual({ data: { mpiJob: { name: 'pi', phase: 'RUNNING' } } });
  });

  it('answers a GET query (with a CSRF preflight header) and refuses a mutation over GET', async () => {
    const url = `${server.url}?query=${encodeURIComponent('{ mpiJobs { totalCount } }')}`;
    const get = await fetch(url, { headers: { 'apollo-require-preflight': 'true', accept: 'application/json' } });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { mpiJobs: { totalCount: 1 } } });
    const mutation = `${server.url}?query=${encodeURIComponent('mutation { deleteMPIJob(namespace: "team-a", name: "pi") { deletedId } }')}`;
    const refused = await fetch(mutation, { headers: { 'apollo-require-preflight': 'true' } });
    expect(refused.status).toBe(405);
    expect(fake.caches.mpiJobs.get('team-a', 'pi')).toBeDefined();
  });

  it('answers a syntax error with 400 and GRAPHQL_PARSE_FAILED, and malformed JSON with a JSON error', async () => {
    const parse = await post({ query: '{ mpiJobs { ' });
    expect(parse.status).toBe(400);
    expect(((await parse.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const malformed = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/application\/json/);
    expect(await malformed.json()).toEqual({ errors: [{ message: 'malformed request body', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('serves introspection', async () => {
    const response = await post({ query: '{ __type(name: "MPIJob") { fields { name } } }' });
    const fields = ((await response.json()) as { data: { __type: { fields: Array<{ name: string }> } } }).data.__type.fields.map((f) => f.name);
    expect(fields).toEqual(expect.arrayContaining(['id', 'phase', 'launcher', 'workers', 'events', 'diagnosis']));
  });
});

describe('probes and metrics', () => {
  it('reports liveness always and readiness only once the caches are synced', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    fake.ready = false;
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, detail: { informers: [] } });
    fake.ready = true;
  });

  it('exposes Kubernetes request counts, informer state and GraphQL counts in Prometheus text', async () => {
    await post({ query: '{ mpiJobs { totalCount } }' });
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await response.text();
    expect(text).toContain('mpijob_gateway_kubernetes_requests_total{verb="list",resource="pods",code="200"} 3');
    expect(text).toContain('mpijob_gateway_informer_synced{resource="pods",namespace=""} 1');
    expect(text).toContain('mpijob_gateway_informer_objects{resource="pods",namespace=""} 7');
    expect(text).toMatch(/mpijob_gateway_graphql_requests_total\{operation="query",outcome="success"\} \d+/);
    expect(text).toMatch(/# TYPE mpijob_gateway_kubernetes_requests_total counter/);
  });
});
