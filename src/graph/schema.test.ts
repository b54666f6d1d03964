import { beforeEach, describe, expect, it } from 'vitest';
import {
  createFakeCluster,
  event,
  mpiJob,
  namespace,
  pod,
  quota,
  runningStatus,
  terminatedStatus,
  type FakeCluster,
} from '../../test/utils/graph-fixtures.ts';
import { toGlobalId } from '../node/global-id.ts';

let fake: FakeCluster;

beforeEach(() => {
  fake = createFakeCluster();
  const c = fake.caches;
  c.namespaces.upsert(namespace('team-a'));
  c.namespaces.upsert(namespace('team-b'));
  c.quotas.upsert(quota('team-a', 'team-a-quota', { 'requests.cpu': '8', pods: '10', 'count/mpijobs.kubeflow.org': '5' }, { 'requests.cpu': '3500m', pods: '4', 'count/mpijobs.kubeflow.org': '2' }));
  c.mpiJobs.upsert(mpiJob({ name: 'pi', namespace: 'team-a', workers: 2, conditions: [['Created', 'True'], ['Running', 'True']], createdSecondsAgo: 100 }));
  c.mpiJobs.upsert(
    mpiJob({
      name: 'oom',
      namespace: 'team-a',
      workers: 2,
      createdSecondsAgo: 200,
      conditions: [['Created', 'True'], ['Running', 'False'], ['Failed', 'True', 'BackoffLimitExceeded/Error', 'Job has reached the specified backoff limit']],
    }),
  );
  c.mpiJobs.upsert(mpiJob({ name: 'queued', namespace: 'team-b', workers: 4, suspend: true, labels: { 'kueue.x-k8s.io/queue-name': 'gpu' }, conditions: [['Suspended', 'True']], createdSecondsAgo: 50 }));
  c.pods.upsert(pod('pi', 'team-a', 'launcher', undefined, runningStatus('launcher')));
  c.pods.upsert(pod('pi', 'team-a', 'worker', 1, runningStatus()));
  c.pods.upsert(pod('pi', 'team-a', 'worker', 0, runningStatus()));
  c.pods.upsert(pod('oom', 'team-a', 'launcher', undefined, terminatedStatus('launcher', 'Error', 1, 20)));
  c.pods.upsert(pod('oom', 'team-a', 'worker', 0, runningStatus()));
  c.pods.upsert(pod('oom', 'team-a', 'worker', 1, terminatedStatus('worker', 'OOMKilled', 137, 30)));
  c.events.upsert(event('team-a', 'pi.1', 'MPIJob', 'pi', 'Normal', 'MPIJobCreated', 'MPIJob team-a/pi is created.', 100));
  c.events.upsert(event('team-a', 'pi.2', 'MPIJob', 'pi', 'Normal', 'MPIJobRunning', 'MPIJob team-a/pi is running', 50));
  c.events.upsert(event('team-a', 'pi.3', 'Pod', 'pi-worker-0', 'Normal', 'Started', 'Started container worker', 70));
  c.events.upsert(event('team-a', 'pi.4', 'Job', 'pi-launcher', 'Normal', 'SuccessfulCreate', 'Created pod: pi-launcher-abcde', 95));
});

const DASHBOARD = /* GraphQL */ `
  query Dashboard($first: Int, $after: String) {
    mpiJobs(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id name namespace phase queue
        spec { podCount worker { replicas } }
        status { durationSeconds conditions { type status } }
        launcher { name phase }
        workers { totalCount nodes { name rank phase ready } } } }
    }
  }
`;

describe('the MPIJob graph over in-memory caches', () => {
  it('lists jobs newest first with launcher, workers by rank and derived phase', async () => {
    const result = await fake.execute(DASHBOARD, {});
    expect(result.errors).toBeUndefined();
    const data = result.data as { mpiJobs: { totalCount: number; edges: Array<{ node: Record<string, unknown> }> } };
    expect(data.mpiJobs.totalCount).toBe(3);
    expect(data.mpiJobs.edges.map((e) => e.node['name'])).toEqual(['queued', 'pi', 'oom']);
    const pi = data.mpiJobs.edges[1]?.node;
    expect(pi).toMatchObject({
      phase: 'RUNNING',
      spec: { podCount: 3, worker: { replicas: 2 } },
      status: { durationSeconds: 300 },
      launcher: { name: 'pi-launcher-abcde', phase: 'RUNNING' },
      workers: { totalCount: 2, nodes: [{ name: 'pi-worker-0', rank: 0 }, { name: 'pi-worker-1', rank: 1 }] },
    });
    expect(data.mpiJobs.edges[0]?.node).toMatchObject({ phase: 'SUSPENDED', queue: 'gpu', launcher: null, workers: { totalCount: 0 } });
  });

  it('pages with cursors and filters by namespace, phase, label selector and search', async () => {
    const first = await fake.execute(DASHBOARD, { first: 2 });
    const page = (first.data as { mpiJobs: { pageInfo: { hasNextPage: boolean; endCursor: string } } }).mpiJobs.pageInfo;
    expect(page.hasNextPage).toBe(true);
    const second = await fake.execute(DASHBOARD, { first: 2, after: page.endCursor });
    expect((second.data as { mpiJobs: { edges: Array<{ node: { name: string } }> } }).mpiJobs.edges.map((e) => e.node.name)).toEqual(['oom']);

    const filtered = await fake.execute(`{
      a: mpiJobs(namespace: "team-a") { totalCount }
      failed: mpiJobs(phase: [FAILED]) { nodes { name } }
      labelled: mpiJobs(labelSelector: "kueue.x-k8s.io/queue-name in (gpu)") { nodes { name } }
      searched: mpiJobs(search: "PI") { nodes { name } }
      byName: mpiJobs(orderBy: { field: NAME, direction: ASC }) { nodes { name } }
    }`);
    expect(filtered.errors).toBeUndefined();
    expect(filtered.data).toEqual({
      a: { totalCount: 2 },
      failed: { nodes: [{ name: 'oom' }] },
      labelled: { nodes: [{ name: 'queued' }] },
      searched: { nodes: [{ name: 'pi' }] },
      byName: { nodes: [{ name: 'oom' }, { name: 'pi' }, { name: 'queued' }] },
    });
  });

  it('refuses a malformed label selector as BAD_USER_INPUT', async () => {
    const result = await fake.execute('{ mpiJobs(labelSelector: "a in (b") { totalCount } }');
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('shows events of the job, its launcher Job and its pods, newest first', async () => {
    const result = await fake.execute('{ mpiJob(namespace: "team-a", name: "pi") { events { totalCount nodes { reason type involvedObject { kind name } } } } }');
    const events = (result.data as { mpiJob: { events: { totalCount: number; nodes: Array<{ reason: string }> } } }).mpiJob.events;
    expect(events.nodes.map((e) => e.reason)).toEqual(['MPIJobRunning', 'Started', 'SuccessfulCreate', 'MPIJobCreated']);
  });

  it('diagnoses the failed job down to the OOMKilled rank', async () => {
    const result = await fake.execute(`{ mpiJob(namespace: "team-a", name: "oom") {
      phase diagnosis { kind summary failure { podName role rank reason exitCode pod { name } } } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      mpiJob: {
        phase: 'FAILED',
        diagnosis: {
          kind: 'FAILED',
          summary: 'Failed: worker rank 1 (oom-worker-1) failed first: container worker was OOMKilled (exit code 137).',
          failure: { podName: 'oom-worker-1', role: 'WORKER', rank: 1, reason: 'OOMKilled', exitCode: 137, pod: { name: 'oom-worker-1' } },
        },
      },
    });
  });

  it('serves namespaces with quotas and their jobs, and node(id) for every node type', async () => {
    const result = await fake.execute(`{
      namespaces { totalCount nodes { name resourceQuotas { name resources { name hard used remaining } } mpiJobs { totalCount } } }
    }`);
    expect(result.errors).toBeUndefined();
    const nodes = (result.data as { namespaces: { nodes: Array<Record<string, unknown>> } }).namespaces.nodes;
    expect(nodes[0]).toMatchObject({
      name: 'team-a',
      mpiJobs: { totalCount: 2 },
      resourceQuotas: [{ name: 'team-a-quota', resources: expect.arrayContaining([{ name: 'requests.cpu', hard: '8', used: '3500m', remaining: '4500m' }]) }],
    });
    const ids = [
      toGlobalId('MPIJob', 'team-a', 'pi'),
      toGlobalId('Pod', 'team-a', 'pi-worker-0'),
      toGlobalId('Event', 'team-a', 'pi.1'),
      toGlobalId('Namespace', '', 'team-b'),
      toGlobalId('ResourceQuota', 'team-a', 'team-a-quota'),
    ];
    const lookup = await fake.execute('{ a: node(id: "nope") { id } }');
    expect(lookup.data).toEqual({ a: null });
    for (const id of ids) {
      const found = await fake.execute('query ($id: ID!) { node(id: $id) { __typename id } }', { id });
      expect(found.data).toEqual({ node: { __typename: expect.any(String), id } });
    }
  });

  it('answers KUBERNETES_UNAVAILABLE instead of empty lists before the caches are synced', async () => {
    fake.ready = false;
    const result = await fake.execute('{ mpiJobs { totalCount } }');
    expect(result.errors?.[0]?.extensions?.['code']).toBe('KUBERNETES_UNAVAILABLE');
  });

  it('hides namespaces the viewer may not read', async () => {
    const viewer = { username: 'alice', groups: [], canRead: (ns: string) => ns === 'team-b', can: async () => false, impersonation: undefined };
    const result = await fake.execute('{ mpiJobs { nodes { name } } mpiJob(namespace: "team-a", name: "pi") { name } namespaces { nodes { name } } }', {}, viewer);
    expect(result.data).toEqual({ mpiJobs: { nodes: [{ name: 'queued' }] }, mpiJob: null, namespaces: { nodes: [{ name: 'team-b' }] } });
  });
});

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateMPIJobInput!, $dryRun: Boolean) {
    createMPIJob(input: $input, dryRun: $dryRun) {
      dryRun
      job { name namespace phase spec { podCount } }
      preview { fits checks { resource requested after exceeded } }
      errors { __typename code message ... on FieldError { path field } ... on QuotaExceededError { shortfall { quota resource requested used hard shortfall } } }
    }
  }
`;

const input = {
  name: 'new-job',
  namespace: 'team-a',
  image: 'mpi:1',
  command: ['mpirun', 'pi'],
  workers: 2,
  workerResources: { requests: { cpu: '1' } },
  launcherResources: { requests: { cpu: '500m' } },
};

describe('mutations', () => {
  it('creates a job from typed input after validation and the quota check', async () => {
    const result = await fake.execute(CREATE, { input });
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({
      createMPIJob: {
        dryRun: false,
        job: { name: 'new-job', namespace: 'team-a', phase: 'PENDING', spec: { podCount: 3 } },
        preview: { fits: true },
        errors: [],
      },
    });
    expect(fake.writes).toHaveLength(1);
    expect(fake.caches.mpiJobs.get('team-a', 'new-job')).toBeDefined();
  });

  it('returns field errors with GraphQL and Kubernetes paths and writes nothing', async () => {
    const result = await fake.execute(CREATE, { input: { ...input, name: 'Bad_Name', workers: 0, workerResources: { requests: { cpu: 'lots' } } } });
    const errors = (result.data as { createMPIJob: { errors: Array<{ path: string[]; field: string; code: string }> } }).createMPIJob.errors;
    expect(errors.map((e) => [e.code, e.path.join('.'), e.field])).toEqual([
      ['BAD_USER_INPUT', 'input.name', 'metadata.name'],
      ['BAD_USER_INPUT', 'input.workers', 'spec.mpiReplicaSpecs[Worker].replicas'],
      ['BAD_USER_INPUT', 'input.workerResources.requests.cpu', 'spec.mpiReplicaSpecs[Worker].template.spec.containers[0].resources.requests[cpu]'],
    ]);
    expect(fake.writes).toHaveLength(0);
  });

  it('refuses a job over quota with QUOTA_EXCEEDED and the shortfall per resource', async () => {
    const result = await fake.execute(CREATE, { input: { ...input, workers: 6 } });
    const payload = (result.data as { createMPIJob: { job: unknown; errors: Array<Record<string, unknown>> } }).createMPIJob;
    expect(payload.job).toBeNull();
    expect(payload.errors).toEqual([
      {
        __typename: 'QuotaExceededError',
        code: 'QUOTA_EXCEEDED',
        message: 'exceeded quota: team-a-quota, requested: pods=7,requests.cpu=6500m, used: pods=4,requests.cpu=3500m, limited: pods=10,requests.cpu=8',
        shortfall: [
          { quota: 'team-a-quota', resource: 'pods', requested: '7', used: '4', hard: '10', shortfall: '1' },
          { quota: 'team-a-quota', resource: 'requests.cpu', requested: '6500m', used: '3500m', hard: '8', shortfall: '2' },
        ],
      },
    ]);
    expect(fake.writes).toHaveLength(0);
  });

  it('previews the resources of N workers plus the launcher against the quota', async () => {
    const result = await fake.execute(
      `query ($input: CreateMPIJobInput!) { previewMPIJob(input: $input) { pods fits resources { requests { name quantity } } checks { resource requested after exceeded } } }`,
      { input: { ...input, workers: 4 } },
    );
    expect(result.data).toEqual({
      previewMPIJob: {
        pods: 5,
        fits: true,
        resources: { requests: [{ name: 'cpu', quantity: '4500m' }] },
        checks: [
          { resource: 'count/mpijobs.kubeflow.org', requested: '1', after: '3', exceeded: false },
          { resource: 'pods', requested: '5', after: '9', exceeded: false },
          { resource: 'requests.cpu', requested: '4500m', after: '8', exceeded: false },
        ],
      },
    });
  });

  it('creates from a YAML manifest, refusing a namespace conflict and a name already taken', async () => {
    const manifest = `apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata: {name: from-yaml}
spec:
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template: {spec: {containers: [{name: l, image: mpi:1}]}}
    Worker:
      replicas: 1
      template: {spec: {containers: [{name: w, image: mpi:1}]}}
`;
    const mutation = 'mutation ($m: String!, $ns: String) { createMPIJobFromManifest(manifest: $m, namespace: $ns) { job { name namespace } errors { code message ... on FieldError { path } } } }';
    const created = await fake.execute(mutation, { m: manifest, ns: 'team-b' });
    expect(created.data).toEqual({ createMPIJobFromManifest: { job: { name: 'from-yaml', namespace: 'team-b' }, errors: [] } });
    const again = await fake.execute(mutation, { m: manifest, ns: 'team-b' });
    expect(again.data).toMatchObject({ createMPIJobFromManifest: { job: null, errors: [{ code: 'CONFLICT', path: ['manifest'] }] } });
    const noNamespace = await fake.execute(mutation, { m: manifest });
    expect(noNamespace.data).toMatchObject({ createMPIJobFromManifest: { errors: [{ code: 'BAD_USER_INPUT', path: ['namespace'] }] } });
    const broken = await fake.execute(mutation, { m: 'spec: [', ns: 'team-b' });
    expect(broken.data).toMatchObject({ createMPIJobFromManifest: { errors: [{ code: 'BAD_USER_INPUT', path: ['manifest'] }] } });
  });

  it('suspends, resumes and deletes, reporting a missing job as NOT_FOUND data', async () => {
    const suspend = await fake.execute('mutation { suspendMPIJob(namespace: "team-a", name: "pi") { job { name spec { runPolicy { suspend } } } errors { code } } }');
    expect(suspend.data).toEqual({ suspendMPIJob: { job: { name: 'pi', spec: { runPolicy: { suspend: true } } }, errors: [] } });
    const resume = await fake.execute('mutation { resumeMPIJob(namespace: "team-a", name: "pi") { job { spec { runPolicy { suspend } } } } }');
    expect(resume.data).toEqual({ resumeMPIJob: { job: { spec: { runPolicy: { suspend: false } } } } });
    const deleted = await fake.execute('mutation { deleteMPIJob(namespace: "team-a", name: "pi") { deletedId errors { code } } }');
    expect(deleted.data).toEqual({ deleteMPIJob: { deletedId: toGlobalId('MPIJob', 'team-a', 'pi'), errors: [] } });
    const missing = await fake.execute('mutation { deleteMPIJob(namespace: "team-a", name: "pi") { deletedId errors { code ... on FieldError { path } } } }');
    expect(missing.data).toEqual({ deleteMPIJob: { deletedId: null, errors: [{ code: 'NOT_FOUND', path: ['name'] }] } });
  });
});
