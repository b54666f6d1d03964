// Hardening over real HTTP: every abusive request gets a clear JSON error with a code, nothing
// reaches Kubernetes, and the gateway keeps serving (checked after every test).

import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../utils/gateway.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ timeScale: 60 });
});

afterAll(async () => {
  await gw?.stop();
});

afterEach(async () => {
  expect((await fetch(gw.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
  const ok = await gw.graphql<{ viewer: { username: string } }>('{ viewer { username } }');
  expect(ok).toEqual({ data: { viewer: { username: 'admin' } } });
});

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: GraphQLResponse<unknown>; contentType: string | null }> {
  const response = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.tokens.admin}`, ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, json: JSON.parse(text) as GraphQLResponse<unknown>, contentType: response.headers.get('content-type') };
}

const query = (source: string, variables: Record<string, unknown> = {}) => post(JSON.stringify({ query: source, variables }));

function codes(json: GraphQLResponse<unknown>): unknown[] {
  return (json.errors ?? []).map((e) => e.extensions?.['code']);
}

describe('document limits', () => {
  it('refuses a deep query', async () => {
    let body = 'name';
    for (let i = 0; i < 12; i += 1) body = i % 2 === 0 ? `launcher { ${body} }` : `job { ${body} }`;
    const { status, json } = await query(`{ mpiJob(namespace: "team-a", name: "pi") { ${body.startsWith('launcher') ? body : `launcher { ${body} }`} } }`);
    expect(status).toBe(400);
    expect(codes(json)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(json.errors?.[0]?.message).toMatch(/levels deep; at most 10/);
  });

  it('refuses a wide query past the token limit before parsing it all', async () => {
    const fields = Array.from({ length: 2500 }, () => 'totalCount').join(' ');
    const { status, json } = await query(`{ mpiJobs { ${fields} } }`);
    expect(status).toBe(400);
    expect(codes(json)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(json.errors?.[0]?.message).toMatch(/tokens/);
  });

  it('refuses more aliases than allowed', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: viewer { username }`).join(' ');
    const { status, json } = await query(`{ ${aliases} }`);
    expect(status).toBe(400);
    expect(json.errors?.map((e) => e.message)).toEqual(['the query uses more than 15 aliases']);
  });

  it('refuses more directives than allowed', async () => {
    const directives = Array.from({ length: 51 }, () => '... @include(if: true) { username }').join(' ');
    const { status, json } = await query(`{ viewer { ${directives} } }`);
    expect(status).toBe(400);
    expect(json.errors?.[0]?.message).toMatch(/more than 50 directives/);
  });

  it('refuses a costly query, counting page sizes given in variables', async () => {
    const source = 'query($n: Int) { mpiJobs(first: $n) { nodes { workers(first: 100) { nodes { events(first: 100) { nodes { message } } } } } } }';
    const cheap = await query(source, { n: 1 });
    expect(cheap.status).toBe(200);
    const costly = await query(source, { n: 1000 });
    expect(costly.status).toBe(400);
    expect(codes(costly.json)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(costly.json.errors?.[0]?.message).toMatch(/estimated cost/);
  });
});

describe('request shapes', () => {
  it('answers an oversized body with 413 and a JSON error', async () => {
    const { status, json, contentType } = await post(JSON.stringify({ query: '{ viewer { username } }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(status).toBe(413);
    expect(contentType).toMatch(/json/);
    expect(json.errors?.[0]).toEqual({ message: 'request body too large', extensions: { code: 'BAD_REQUEST' } });
  });

  it('answers malformed JSON with 400 and a JSON error', async () => {
    const { status, json } = await post('{"query": ');
    expect(status).toBe(400);
    expect(codes(json)).toEqual(['BAD_REQUEST']);
  });

  it('refuses the request shapes a cross-site page could make a browser send', async () => {
    const form = new URLSearchParams({ query: 'mutation { deleteMPIJob(namespace: "team-a", name: "pi") { deletedId } }' }).toString();
    for (const contentType of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const { status, json } = await post(form, { 'content-type': contentType });
      expect(status, contentType).toBe(400);
      expect(json.errors?.[0]?.message, contentType).toMatch(/Cross-Site Request Forgery/);
    }
    const get = await fetch(`${gw.url}?query=${encodeURIComponent('{ viewer { username } }')}`, { headers: { authorization: `Bearer ${gw.tokens.admin}` } });
    expect(get.status).toBe(400);
    expect(((await get.json()) as GraphQLResponse<unknown>).errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    const preflighted = await fetch(`${gw.url}?query=${encodeURIComponent('{ viewer { username } }')}`, {
      headers: { authorization: `Bearer ${gw.tokens.admin}`, 'apollo-require-preflight': 'true' },
    });
    expect(preflighted.status).toBe(200);
    const job = await gw.graphql<{ mpiJob: { name: string } | null }>('{ mpiJob(namespace: "team-a", name: "pi") { name } }');
    expect(job.data?.mpiJob?.name, 'the forged delete did nothing').toBe('pi');
  });

  it('never answers with a stack trace', async () => {
    const { json } = await query('{ mpiJob(namespace: "team-a") { name } }');
    expect(codes(json)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(JSON.stringify(json)).not.toMatch(/stacktrace|\.ts:\d+/);
  });
});

describe('names and selectors from users', () => {
  it('refuses crafted namespaces, names and selectors with BAD_USER_INPUT before any Kubernetes request', async () => {
    const kubeRequests = () => gw.gateway.kube.counter.total((s) => s.verb !== 'watch' && s.verb !== 'list' && s.resource !== 'subjectaccessreviews');
    const before = kubeRequests();
    const cases = [
      'mutation { deleteMPIJob(namespace: "team-a", name: "../../api/v1/secrets") { deletedId } }',
      'mutation { suspendMPIJob(namespace: "team-a/../kube-system", name: "pi") { errors { code } } }',
      'mutation { resumeMPIJob(namespace: "team-a", name: "pi%2F..%2Fx") { errors { code } } }',
      `{ mpiJob(namespace: "team-a", name: "${'x'.repeat(300)}") { name } }`,
      '{ mpiJob(namespace: "Team-A", name: "pi") { name } }',
      '{ mpiJobs(labelSelector: "team in (a") { totalCount } }',
      '{ mpiJobs(labelSelector: "a=b,,c") { totalCount } }',
      '{ namespace(name: "team-a\\u0000") { name } }',
      '{ viewer { can(verb: "get", resource: "mpijobs", namespace: "../x") } }',
      'mutation { createMPIJob(input: { name: "x", namespace: "../../x", image: "i", workers: 1 }) { errors { code } } }',
    ];
    for (const source of cases) {
      const { json } = await query(source);
      expect(codes(json), source).toEqual(['BAD_USER_INPUT']);
      expect(json.errors?.[0]?.message, source).toMatch(/^(name|namespace|labelSelector)/);
    }
    expect(kubeRequests()).toBe(before);
  });
});

describe('production mode', () => {
  let production: Gateway;

  beforeAll(async () => {
    production = await startGateway({
      kube: { kind: 'kubeconfig', path: gw.cluster.kubeconfigPath },
      namespaces: 'all',
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      auth: { strategy: 'token-file', tokenFile: gw.cluster.tokenFilePath },
      audit: {},
      production: true,
    });
    await production.synced;
  });

  afterAll(async () => {
    await production?.stop();
  });

  const ask = async (source: string) => {
    const response = await fetch(production.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.tokens.admin}` },
      body: JSON.stringify({ query: source }),
    });
    return (await response.json()) as GraphQLResponse<unknown>;
  };

  it('turns introspection off there, and leaves it on in embedded (development) mode', async () => {
    const introspection = '{ __schema { queryType { name } } }';
    expect((await ask(introspection)).errors?.[0]?.message).toMatch(/introspection is not allowed/i);
    expect((await gw.graphql(introspection)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('gives no schema hints in errors there', async () => {
    const json = await ask('{ mpiJob(namespace: "team-a", name: "pi") { nam } }');
    expect(codes(json)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(json.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});
