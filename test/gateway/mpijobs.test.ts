// The MPIJob graph end to end: an embedded cluster with its seed data, the gateway on port 0,
// and GraphQL over real HTTP. Simulated time runs 60 times faster, so a 45 s job takes ~1 s.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ timeScale: 60 });
});

afterAll(async () => {
  await gw?.stop();
});

interface JobNode {
  name: string;
  namespace: string;
  phase: string;
  launcher: { name: string; role: string; phase: string } | null;
  workers: { totalCount: number; nodes: Array<{ name: string; rank: number; role: string; phase: string }> };
  events: { totalCount: number; nodes: Array<{ reason: string; lastSeen: string }> };
  diagnosis: { kind: string; summary: string; failure: { podName: string; rank: number; reason: string; exitCode: number } | null };
}

const JOBS = /* GraphQL */ `
  query Jobs($ns: String) {
    mpiJobs(namespace: $ns, first: 200) {
      totalCount
      nodes {
        name namespace phase
        launcher { name role phase }
        workers { totalCount nodes { name rank role phase } }
        events(first: 5) { totalCount nodes { reason lastSeen } }
        diagnosis { kind summary failure { podName rank reason exitCode } }
      }
    }
  }
`;

type JobsData = { mpiJobs: { totalCount: number; nodes: JobNode[] } };

const byName = (data: JobsData) => new Map(data.mpiJobs.nodes.map((j) => [j.name, j]));

const JOB = /* GraphQL */ `
  query Job($ns: String!, $name: String!) {
    mpiJob(namespace: $ns, name: $name) {
      name phase
      status { conditions { type status reason } startTime completionTime durationSeconds }
      launcher { name phase containers { name state reason exitCode } }
      workers { totalCount nodes { name rank phase } }
      events { totalCount }
    }
  }
`;

type JobData = { mpiJob: { name: string; phase: string; launcher: { phase: string } | null; events: { totalCount: number } } | null };

describe('the seeded cluster through the gateway', () => {
  it('lists every seeded job with its launcher, workers, events and derived phase', async () => {
    const data = await gw.waitFor<JobsData>(JOBS, {}, (d) => {
      const jobs = byName(d);
      const running = jobs.get('resnet50-horovod');
      return jobs.get('pi')?.phase === 'SUCCEEDED' && jobs.get('bert-finetune')?.phase === 'FAILED' && running?.phase === 'RUNNING' && running.workers.totalCount === 2;
    });
    const jobs = byName(data);
    expect([...jobs.keys()].sort()).toEqual(['bert-finetune', 'llm-pretrain', 'pi', 'resnet50-horovod', 'tensorflow-benchmarks']);
    expect(jobs.get('tensorflow-benchmarks')).toMatchObject({ phase: 'SUSPENDED', launcher: null, workers: { totalCount: 0 } });

    const running = jobs.get('resnet50-horovod');
    expect(running).toMatchObject({ phase: 'RUNNING', launcher: { role: 'LAUNCHER', phase: 'RUNNING' } });
    expect(running?.workers.nodes.map((w) => [w.name, w.rank, w.role])).toEqual([
      ['resnet50-horovod-worker-0', 0, 'WORKER'],
      ['resnet50-horovod-worker-1', 1, 'WORKER'],
    ]);
    for (const job of jobs.values()) {
      expect(job.events.totalCount, `events of ${job.name}`).toBeGreaterThan(0);
      const times = job.events.nodes.map((e) => Date.parse(e.lastSeen));
      expect(times, `events of ${job.name} newest first`).toEqual([...times].sort((a, b) => b - a));
    }
  });

  it('shows the namespaces with their ResourceQuotas, hard and used per resource', async () => {
    const result = await gw.graphql<{ namespace: { name: string; resourceQuotas: Array<{ name: string; resources: Array<{ name: string; hard: string; used: string }> }>; mpiJobs: { totalCount: number } } }>(
      '{ namespace(name: "team-a") { name resourceQuotas { name resources { name hard used } } mpiJobs { totalCount } } }',
    );
    expect(result.errors).toBeUndefined();
    const quota = result.data?.namespace.resourceQuotas[0];
    expect(quota?.name).toBe('team-a-quota');
    expect(quota?.resources.map((r) => r.name)).toEqual(['count/mpijobs.kubeflow.org', 'pods', 'requests.cpu', 'requests.memory', 'requests.nvidia.com/gpu']);
    expect(quota?.resources.find((r) => r.name === 'requests.cpu')?.hard).toBe('32');
    expect(result.data?.namespace.mpiJobs.totalCount).toBe(3);
  });

  it('diagnoses the failed seeded job: worker rank 1 was OOMKilled, not just BackoffLimitExceeded', async () => {
    const data = await gw.waitFor<JobsData>(JOBS, { ns: 'team-a' }, (d) => byName(d).get('bert-finetune')?.diagnosis.kind === 'FAILED');
    const job = byName(data).get('bert-finetune');
    expect(job?.diagnosis.failure).toEqual({ podName: 'bert-finetune-worker-1', rank: 1, reason: 'OOMKilled', exitCode: 137 });
    expect(job?.diagnosis.summary).toMatch(/worker rank 1 \(bert-finetune-worker-1\).*OOMKilled/);
  });

  it('explains the job held by its quota with the operator\'s refusal', async () => {
    const data = await gw.waitFor<JobsData>(JOBS, { ns: 'team-b' }, (d) => byName(d).get('llm-pretrain')?.diagnosis.kind === 'QUOTA_EXCEEDED');
    expect(byName(data).get('llm-pretrain')?.diagnosis.summary).toMatch(/ResourceQuota is exhausted/);
  });
});

describe('submitting jobs', () => {
  const CREATE = /* GraphQL */ `
    mutation Create($input: CreateMPIJobInput!, $dryRun: Boolean) {
      createMPIJob(input: $input, dryRun: $dryRun) {
        dryRun
        job { id name namespace phase spec { podCount } }
        errors { __typename code message ... on FieldError { path field } ... on QuotaExceededError { shortfall { quota resource requested used hard shortfall } } }
      }
    }
  `;
  type CreateData = {
    createMPIJob: {
      dryRun: boolean;
      job: { id: string; name: string; phase: string; spec: { podCount: number } } | null;
      errors: Array<{ __typename: string; code: string; message: string; path?: string[]; field?: string; shortfall?: Array<Record<string, string>> }>;
    };
  };
  const input = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    namespace: 'team-a',
    image: 'mpioperator/mpi-pi:openmpi',
    command: ['mpirun', '-n', '2', '/home/mpiuser/pi'],
    workers: 2,
    workerResources: { requests: { cpu: '500m', memory: '512Mi' } },
    launcherResources: { requests: { cpu: '250m', memory: '256Mi' } },
    annotations: [{ key: 'sim.mpijob-gateway.dev/duration', value: '30s' }],
    ...extra,
  });

  it('creates a job from typed input that runs to SUCCEEDED, observed through queries', async () => {
    const created = await gw.graphql<CreateData>(CREATE, { input: input('typed-pi') });
    expect(created.errors).toBeUndefined();
    expect(created.data?.createMPIJob).toMatchObject({ dryRun: false, errors: [], job: { name: 'typed-pi', spec: { podCount: 3 } } });
    const done = await gw.waitFor<JobData>(JOB, { ns: 'team-a', name: 'typed-pi' }, (d) => d.mpiJob?.phase === 'SUCCEEDED');
    expect(done.mpiJob?.launcher?.phase).toBe('SUCCEEDED');
    expect(done.mpiJob?.events.totalCount).toBeGreaterThan(0);
  });

  it('creates a job from a YAML manifest that runs to SUCCEEDED', async () => {
    const manifest = `
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata:
  name: manifest-pi
  annotations:
    sim.mpijob-gateway.dev/duration: 30s
spec:
  slotsPerWorker: 1
  runPolicy:
    cleanPodPolicy: Running
  sshAuthMountPath: /home/mpiuser/.ssh
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        spec:
          containers:
          - image: mpioperator/mpi-pi:openmpi
            name: mpi-launcher
            args: [mpirun, -n, "2", /home/mpiuser/pi]
            resources:
              limits: {cpu: 250m, memory: 256Mi}
    Worker:
      replicas: 2
      template:
        spec:
          containers:
          - image: mpioperator/mpi-pi:openmpi
            name: mpi-worker
            resources:
              limits: {cpu: 500m, memory: 512Mi}
`;
    const created = await gw.graphql<{ createMPIJobFromManifest: { job: { name: string; namespace: string } | null; errors: unknown[] } }>(
      'mutation ($m: String!) { createMPIJobFromManifest(manifest: $m, namespace: "team-a") { job { name namespace } errors { code message } } }',
      { m: manifest },
    );
    expect(created.data?.createMPIJobFromManifest).toEqual({ job: { name: 'manifest-pi', namespace: 'team-a' }, errors: [] });
    await gw.waitFor<JobData>(JOB, { ns: 'team-a', name: 'manifest-pi' }, (d) => d.mpiJob?.phase === 'SUCCEEDED');
  });

  it('returns field errors with their paths for invalid input, and creates nothing', async () => {
    const before = gw.gateway.kube.counter.total((s) => s.verb === 'create' && s.resource === 'mpijobs');
    const result = await gw.graphql<CreateData>(CREATE, {
      input: input('Not_Valid', { workers: 0, slotsPerWorker: -1, workerResources: { requests: { cpu: 'a lot' } }, runPolicy: { backoffLimit: -2 } }),
    });
    const errors = result.data?.createMPIJob.errors ?? [];
    expect(result.data?.createMPIJob.job).toBeNull();
    expect(errors.map((e) => [e.code, e.path?.join('.')])).toEqual([
      ['BAD_USER_INPUT', 'input.name'],
      ['BAD_USER_INPUT', 'input.slotsPerWorker'],
      ['BAD_USER_INPUT', 'input.runPolicy.backoffLimit'],
      ['BAD_USER_INPUT', 'input.workers'],
      ['BAD_USER_INPUT', 'input.workerResources.requests.cpu'],
    ]);
    expect(errors.every((e) => e.__typename === 'FieldError' && e.field)).toBe(true);
    expect(gw.gateway.kube.counter.total((s) => s.verb === 'create' && s.resource === 'mpijobs')).toBe(before);
  });

  it('refuses a job over its namespace quota with QUOTA_EXCEEDED and the shortfall, before creating it', async () => {
    const before = gw.gateway.kube.counter.total((s) => s.verb === 'create' && s.resource === 'mpijobs');
    const result = await gw.graphql<CreateData>(CREATE, {
      input: input('too-big', { namespace: 'team-b', workers: 3, workerResources: { requests: { cpu: '8', memory: '8Gi' } } }),
    });
    const payload = result.data?.createMPIJob;
    expect(payload?.job).toBeNull();
    expect(payload?.errors).toHaveLength(1);
    const [error] = payload?.errors ?? [];
    expect(error).toMatchObject({ __typename: 'QuotaExceededError', code: 'QUOTA_EXCEEDED' });
    expect(error?.shortfall).toContainEqual({ quota: 'team-b-quota', resource: 'requests.cpu', requested: '24250m', used: '0', hard: '16', shortfall: '8250m' });
    expect(gw.gateway.kube.counter.total((s) => s.verb === 'create' && s.resource === 'mpijobs')).toBe(before);
    const missing = await gw.graphql<JobData>(JOB, { ns: 'team-b', name: 'too-big' });
    expect(missing.data?.mpiJob).toBeNull();
  });

  it('suspends, resumes and deletes a job', async () => {
    await gw.graphql<CreateData>(CREATE, { input: input('control-me', { annotations: [{ key: 'sim.mpijob-gateway.dev/duration', value: '2h' }] }) });
    await gw.waitFor<JobData>(JOB, { ns: 'team-a', name: 'control-me' }, (d) => d.mpiJob?.phase === 'RUNNING');
    const suspended = await gw.graphql<{ suspendMPIJob: { errors: unknown[] } }>('mutation { suspendMPIJob(namespace: "team-a", name: "control-me") { errors { code } } }');
    expect(suspended.data?.suspendMPIJob.errors).toEqual([]);
    await gw.waitFor<JobData>(JOB, { ns: 'team-a', name: 'control-me' }, (d) => d.mpiJob?.phase === 'SUSPENDED');
    await gw.graphql('mutation { resumeMPIJob(namespace: "team-a", name: "control-me") { errors { code } } }');
    await gw.waitFor<JobData>(JOB, { ns: 'team-a', name: 'control-me' }, (d) => d.mpiJob?.phase === 'RUNNING');
    const deleted = await gw.graphql<{ deleteMPIJob: { deletedId: string | null } }>('mutation { deleteMPIJob(namespace: "team-a", name: "control-me") { deletedId } }');
    expect(deleted.data?.deleteMPIJob.deletedId).toEqual(expect.any(String));
    await gw.waitFor<JobData>(JOB, { ns: 'team-a', name: 'control-me' }, (d) => d.mpiJob === null);
  });
});

describe('reads served from the watch caches', () => {
  const LOAD_NAMESPACE = 'load';
  const JOB_COUNT = 100;

  it('lists 100 jobs with workers and events at zero Kubernetes requests once synced', async () => {
    await gw.admin.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LOAD_NAMESPACE } } });
    for (let i = 0; i < JOB_COUNT; i += 1) {
      await gw.admin.request({
        method: 'POST',
        path: `/apis/kubeflow.org/v2beta1/namespaces/${LOAD_NAMESPACE}/mpijobs`,
        body: {
          apiVersion: 'kubeflow.org/v2beta1',
          kind: 'MPIJob',
          metadata: { name: `load-${String(i).padStart(3, '0')}`, annotations: { 'sim.mpijob-gateway.dev/duration': '10h' } },
          spec: {
            mpiReplicaSpecs: {
              Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'l', image: 'mpi:1' }] } } },
              Worker: { replicas: 1, template: { spec: { containers: [{ name: 'w', image: 'mpi:1' }] } } },
            },
          },
        },
      });
    }
    const settled = (d: JobsData): boolean =>
      d.mpiJobs.totalCount === JOB_COUNT &&
      d.mpiJobs.nodes.every((j) => j.phase === 'RUNNING' && j.launcher !== null && j.workers.totalCount === 1 && j.events.totalCount > 0);
    await gw.waitFor<JobsData>(JOBS, { ns: LOAD_NAMESPACE }, settled, 250);

    const counter = gw.gateway.kube.counter;
    // Informers list and watch on their own schedule (a relist after a 410 can happen at any
    // time); every other request is one some code path chose to make.
    const informerLists = () => gw.gateway.informers.statuses().reduce((sum, s) => sum + s.lists, 0);
    // Access reviews are renewed on their own schedule too (the shared answer cache expires);
    // what must not happen is a read of data.
    const requests = () => counter.total((s) => s.verb !== 'watch' && s.resource !== 'subjectaccessreviews') - informerLists();
    const before = requests();
    const samplesBefore = counter.samples();
    const result = await gw.graphql<JobsData>(JOBS, { ns: LOAD_NAMESPACE });
    const everywhere = await gw.graphql<JobsData>(JOBS, {});
    const changed = counter
      .samples()
      .filter((s) => s.verb !== 'watch' && s.resource !== 'subjectaccessreviews' && s.count !== samplesBefore.find((b) => b.verb === s.verb && b.resource === s.resource && b.code === s.code)?.count);
    expect({ requests: requests() - before, changed, informers: gw.gateway.informers.statuses() }).toMatchObject({ requests: 0 });
    expect(result.errors).toBeUndefined();
    expect(result.data?.mpiJobs.nodes).toHaveLength(JOB_COUNT);
    expect(result.data?.mpiJobs.nodes.every((j) => j.workers.nodes.length === 1 && j.launcher !== null)).toBe(true);
    expect(everywhere.data?.mpiJobs.totalCount).toBeGreaterThanOrEqual(JOB_COUNT + 5);
  });

  it('reports the request counts on /metrics', async () => {
    const text = await (await fetch(gw.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(text).toMatch(/mpijob_gateway_kubernetes_requests_total\{verb="list",resource="mpijobs",code="200"\} \d+/);
    expect(text).toMatch(/mpijob_gateway_kubernetes_requests_total\{verb="create",resource="mpijobs",code="201"\} \d+/);
    expect(text).toMatch(/mpijob_gateway_informer_synced\{resource="pods",namespace=""\} 1/);
  });
});
