// The isolation matrix over real HTTP: the embedded cluster with its seed jobs and RBAC, the
// gateway with the cluster's demo token file, and admin, alice (edits MPIJobs in team-a) and bob
// (views team-b). Bob must not learn anything about team-a by any route; alice must not write to
// team-b; admin sees everything; what the gateway forwards is checked again by the API server.
// Every log line and audit record written meanwhile is searched for the tokens at the end.

import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/audit/record.ts';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

const logs = new Capture();
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    timeScale: 60,
    // Debug level, so the search for tokens covers everything the gateway would ever log.
    logger: pino({ level: 'debug' }, logs),
    // Long enough that a revoked binding is still cached as allowed when the API server is asked.
    gateway: { accessCacheTtlMs: 60_000 },
  });
});

afterAll(async () => {
  await gw?.stop();
});

const TEAM_A_JOBS = ['bert-finetune', 'pi', 'resnet50-horovod'];
const TEAM_B_JOBS = ['llm-pretrain', 'tensorflow-benchmarks'];

interface Named {
  name: string;
  namespace: string;
}

const LISTS = /* GraphQL */ `
  {
    mpiJobs(first: 100) { totalCount nodes { name namespace } }
    namespaces { totalCount nodes { name mpiJobs { totalCount } resourceQuotas { name } } }
  }
`;

type ListsData = {
  mpiJobs: { totalCount: number; nodes: Named[] };
  namespaces: { totalCount: number; nodes: Array<{ name: string; mpiJobs: { totalCount: number }; resourceQuotas: Array<{ name: string }> }> };
};

async function teamAIds(): Promise<{ job: string; pod: string; event: string; quota: string; namespace: string }> {
  const result = await gw.graphql<{
    mpiJob: { id: string; launcher: { id: string } | null; events: { nodes: Array<{ id: string }> } };
    namespace: { id: string; resourceQuotas: Array<{ id: string }> };
  }>(`{
    mpiJob(namespace: "team-a", name: "pi") { id launcher { id } events(first: 1) { nodes { id } } }
    namespace(name: "team-a") { id resourceQuotas { id } }
  }`);
  const data = result.data;
  if (!data?.mpiJob.launcher || !data.mpiJob.events.nodes[0] || !data.namespace.resourceQuotas[0]) throw new Error(`admin cannot see team-a: ${JSON.stringify(result)}`);
  return { job: data.mpiJob.id, pod: data.mpiJob.launcher.id, event: data.mpiJob.events.nodes[0].id, quota: data.namespace.resourceQuotas[0].id, namespace: data.namespace.id };
}

describe('authentication over HTTP', () => {
  it('answers a request without credentials with 401, UNAUTHENTICATED and a Bearer challenge', async () => {
    const response = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ viewer { username } }' }) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await response.json()).toEqual({ errors: [{ message: expect.stringMatching(/authentication required/), extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('refuses an unknown token, another scheme, and a token sent without its scheme', async () => {
    for (const authorization of ['Bearer not-a-token', `Basic ${Buffer.from('admin:x').toString('base64')}`, gw.tokens.admin]) {
      const result = await gw.as({ authorization }).graphql('{ viewer { username } }');
      expect(result.errors?.[0]?.extensions?.['code'], authorization.slice(0, 6)).toBe('UNAUTHENTICATED');
      expect(result.data).toBeUndefined();
    }
  });

  it('keeps /healthz and /readyz open', async () => {
    expect((await fetch(gw.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
    expect((await fetch(gw.url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
  });

  it('tells each user who they are and what RBAC lets them do', async () => {
    const query = `{ viewer { username groups namespaces
      createA: can(verb: "create", resource: "mpijobs", namespace: "team-a")
      createB: can(verb: "create", resource: "mpijobs", namespace: "team-b")
      logsB: can(verb: "get", resource: "pods/log", namespace: "team-b")
      anywhere: can(verb: "list", resource: "mpijobs") } }`;
    const [admin, alice, bob] = await Promise.all([gw.graphql(query), gw.as('alice').graphql(query), gw.as('bob').graphql(query)]);
    expect(admin.data).toEqual({ viewer: { username: 'admin', groups: ['system:authenticated'], namespaces: ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'team-a', 'team-b'], createA: true, createB: true, logsB: true, anywhere: true } });
    expect(alice.data).toEqual({ viewer: { username: 'alice', groups: ['system:authenticated'], namespaces: ['team-a'], createA: true, createB: false, logsB: false, anywhere: false } });
    expect(bob.data).toEqual({ viewer: { username: 'bob', groups: ['system:authenticated'], namespaces: ['team-b'], createA: false, createB: false, logsB: true, anywhere: false } });
  });

  it('refuses access questions about verbs and resources it does not know', async () => {
    const result = await gw.as('bob').graphql('{ viewer { can(verb: "escalate", resource: "clusterroles") } }');
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});

describe('bob cannot read team-a', () => {
  it('sees only team-b in lists and counts, and admin sees both', async () => {
    const bob = await gw.as('bob').graphql<ListsData>(LISTS);
    expect(bob.errors).toBeUndefined();
    expect(bob.data?.mpiJobs.nodes.map((j) => j.name).sort()).toEqual(TEAM_B_JOBS);
    expect(bob.data?.mpiJobs.totalCount).toBe(TEAM_B_JOBS.length);
    expect(bob.data?.namespaces).toEqual({ totalCount: 1, nodes: [{ name: 'team-b', mpiJobs: { totalCount: 2 }, resourceQuotas: [{ name: 'team-b-quota' }] }] });

    const admin = await gw.graphql<ListsData>(LISTS);
    expect(admin.data?.mpiJobs.nodes.map((j) => j.name).sort()).toEqual([...TEAM_A_JOBS, ...TEAM_B_JOBS].sort());
    expect(admin.data?.namespaces.totalCount).toBe(6);
  });

  it('gets nothing from a team-a namespace filter, label selector or search', async () => {
    const result = await gw.as('bob').graphql<{ a: { totalCount: number }; b: { totalCount: number }; c: { totalCount: number }; ns: unknown }>(`{
      a: mpiJobs(namespace: "team-a") { totalCount }
      b: mpiJobs(search: "team-a") { totalCount }
      c: mpiJobs(search: "pi") { totalCount }
      ns: namespace(name: "team-a") { name }
    }`);
    expect(result.data).toEqual({ a: { totalCount: 0 }, b: { totalCount: 0 }, c: { totalCount: 0 }, ns: null });
  });

  it('gets null for every team-a object by node(id), as for ids that never existed', async () => {
    const ids = await teamAIds();
    const query = `query($job: ID!, $pod: ID!, $event: ID!, $quota: ID!, $namespace: ID!) {
      job: node(id: $job) { id } pod: node(id: $pod) { id } event: node(id: $event) { id }
      quota: node(id: $quota) { id } namespace: node(id: $namespace) { id } }`;
    const variables = { ...ids };
    const bob = await gw.as('bob').graphql(query, variables);
    expect(bob).toEqual({ data: { job: null, pod: null, event: null, quota: null, namespace: null } });
    const admin = await gw.graphql<Record<string, { id: string } | null>>(query, variables);
    expect(Object.values(admin.data ?? {}).every((node) => node !== null)).toBe(true);
  });

  it('cannot tell a forbidden job from a missing one, in answers or in errors', async () => {
    const bob = gw.as('bob');
    const exists = await bob.graphql('{ mpiJob(namespace: "team-a", name: "pi") { name events { totalCount } } }');
    const missing = await bob.graphql('{ mpiJob(namespace: "team-a", name: "no-such-job") { name events { totalCount } } }');
    expect(exists).toEqual({ data: { mpiJob: null } });
    expect(missing).toEqual(exists);
    for (const verb of ['deleteMPIJob', 'suspendMPIJob', 'resumeMPIJob']) {
      const selection = verb === 'deleteMPIJob' ? 'deletedId' : 'job { name }';
      const onExisting = await bob.graphql(`mutation { ${verb}(namespace: "team-a", name: "pi") { ${selection} } }`);
      const onMissing = await bob.graphql(`mutation { ${verb}(namespace: "team-a", name: "no-such-job") { ${selection} } }`);
      expect(onExisting.errors?.[0]?.extensions?.['code'], verb).toBe('FORBIDDEN');
      expect(onMissing.errors?.map((e) => e.message), verb).toEqual(onExisting.errors?.map((e) => e.message));
      expect(JSON.stringify(onExisting)).not.toMatch(/not found|exists/);
    }
  });

  it('previews nothing of team-a quotas', async () => {
    const result = await gw.as('bob').graphql<{ previewMPIJob: { checks: unknown[] } }>(
      '{ previewMPIJob(input: { name: "x", namespace: "team-a", image: "i", workers: 1 }) { checks { quota } } }',
    );
    expect(result.data?.previewMPIJob.checks).toEqual([]);
  });
});

describe('writes', () => {
  const CREATE = /* GraphQL */ `
    mutation($ns: String!, $name: String!, $dryRun: Boolean) {
      createMPIJob(dryRun: $dryRun, input: { name: $name, namespace: $ns, image: "mpioperator/mpi-pi:openmpi", workers: 1,
        workerResources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
        launcherResources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "100m", memory: "64Mi" } } }) {
        job { name namespace }
        errors { code message }
      }
    }
  `;
  type CreateData = { createMPIJob: { job: Named | null; errors: Array<{ code: string; message: string }> } };

  it('lets alice create and delete in team-a, and refuses bob the delete', async () => {
    const result = await gw.as('alice').graphql<CreateData>(CREATE, { ns: 'team-a', name: 'alice-job' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.createMPIJob).toEqual({ job: { name: 'alice-job', namespace: 'team-a' }, errors: [] });
    const bobDelete = await gw.as('bob').graphql('mutation { deleteMPIJob(namespace: "team-a", name: "alice-job") { deletedId } }');
    expect(bobDelete.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const aliceDelete = await gw.as('alice').graphql<{ deleteMPIJob: { deletedId: string | null } }>('mutation { deleteMPIJob(namespace: "team-a", name: "alice-job") { deletedId } }');
    expect(aliceDelete.data?.deleteMPIJob.deletedId).toEqual(expect.any(String));
  });

  it('refuses alice in team-b and bob anywhere, before anything reaches Kubernetes', async () => {
    const creates = () => gw.gateway.kube.counter.total((s) => s.verb === 'create' && s.resource === 'mpijobs');
    const before = creates();
    const alice = await gw.as('alice').graphql<CreateData>(CREATE, { ns: 'team-b', name: 'sneaky' });
    expect(alice.errors?.[0]).toMatchObject({ message: 'alice may not create mpijobs.kubeflow.org in namespace "team-b"', extensions: { code: 'FORBIDDEN' } });
    const bob = await gw.as('bob').graphql<CreateData>(CREATE, { ns: 'team-b', name: 'viewer-write', dryRun: true });
    expect(bob.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(creates()).toBe(before);
    const admin = await gw.graphql<{ mpiJob: unknown }>('{ mpiJob(namespace: "team-b", name: "sneaky") { name } }');
    expect(admin.data?.mpiJob).toBeNull();
  });

  it('lets admin write anywhere', async () => {
    const result = await gw.graphql<CreateData>(CREATE, { ns: 'team-b', name: 'admin-dry-run', dryRun: true });
    expect(result.data?.createMPIJob.errors).toEqual([]);
  });

  it('is refused by the API server itself when the gateway lets a write through that RBAC no longer allows', async () => {
    // Alice's right is cached as allowed by the gateway ...
    const first = await gw.as('alice').graphql<CreateData>(CREATE, { ns: 'team-a', name: 'before-revoke', dryRun: true });
    expect(first.data?.createMPIJob.errors).toEqual([]);
    // ... then her binding goes away. The gateway still says yes; Kubernetes, asked as alice, says no.
    const binding = '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/alice-kubeflow-mpijobs-edit';
    const saved = await gw.admin.request<Record<string, unknown> & { metadata: Record<string, unknown> }>({ method: 'GET', path: binding });
    await gw.admin.request({ method: 'DELETE', path: binding });
    try {
      const refused = await gw.as('alice').graphql<CreateData>(CREATE, { ns: 'team-a', name: 'before-revoke' });
      expect(refused.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      expect(refused.errors?.[0]?.message).toMatch(/User "alice" cannot create resource "mpijobs"/);
      const admin = await gw.graphql<{ mpiJob: unknown }>('{ mpiJob(namespace: "team-a", name: "before-revoke") { name } }');
      expect(admin.data?.mpiJob).toBeNull();
    } finally {
      const { name, namespace } = saved.metadata;
      await gw.admin.request({
        method: 'POST',
        path: '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings',
        body: { ...saved, metadata: { name, namespace } },
      });
      gw.gateway.authorizer.flush();
    }
  });
});

describe('the audit trail', () => {
  const records = (): AuditRecord[] =>
    readFileSync(gw.auditFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditRecord);

  it('holds one record per mutation attempt: allowed, refused by the gateway, refused by the API server', () => {
    const all = records();
    expect(all.find((r) => r.user === 'alice' && r.operation === 'createMPIJob' && r.name === 'alice-job')).toMatchObject({
      namespace: 'team-a',
      decision: 'allow',
      outcome: 'success',
      errorCode: null,
      sourceAddress: expect.stringMatching(/127\.0\.0\.1/),
      requestId: expect.any(String),
    });
    expect(all.find((r) => r.user === 'alice' && r.name === 'sneaky')).toMatchObject({ namespace: 'team-b', decision: 'deny', outcome: 'failure', errorCode: 'FORBIDDEN' });
    expect(all.find((r) => r.user === 'bob' && r.operation === 'deleteMPIJob' && r.name === 'no-such-job')).toMatchObject({ decision: 'deny', errorCode: 'FORBIDDEN' });
    const apiRefusal = all.filter((r) => r.name === 'before-revoke');
    expect(apiRefusal.map((r) => [r.dryRun, r.decision, r.outcome, r.errorCode])).toEqual([
      [true, 'allow', 'success', null],
      [false, 'deny', 'failure', 'FORBIDDEN'],
    ]);
  });

  it('echoes the request id of each answer in its audit record', async () => {
    const response = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.tokens.bob}` },
      body: JSON.stringify({ query: 'mutation { suspendMPIJob(namespace: "team-b", name: "llm-pretrain") { job { name } } }' }),
    });
    const id = response.headers.get('x-request-id');
    expect(id).toEqual(expect.any(String));
    expect(records().find((r) => r.requestId === id)).toMatchObject({ user: 'bob', operation: 'suspendMPIJob', decision: 'deny' });
  });

  it('contains no token, and neither does any log line the gateway wrote', () => {
    const written = [readFileSync(gw.auditFile, 'utf8'), logs.text].join('\n');
    expect(written.length).toBeGreaterThan(0);
    for (const [user, token] of Object.entries(gw.tokens)) {
      expect(written.includes(token), `${user}'s token`).toBe(false);
    }
  });
});
