import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../../test/utils/apiserver.ts';
import { mpiJobAdmission } from './api/admission/mpijob.ts';
import { quotaAdmission } from './api/admission/quota.ts';
import { ClusterClient } from './controllers/client.ts';
import { startControllers, type RunningControllers } from './controllers/manager.ts';
import type { MPIJob } from './controllers/objects.ts';
import { SEED_MPIJOBS, ensureSystemNamespaces, seedCluster } from './seed.ts';

let server: TestApiServer;
let controllers: RunningControllers;
let client: ClusterClient;
let core: CoreV1Api;

async function eventually<T>(probe: () => Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function conditionOf(job: MPIJob, type: string) {
  return job.status?.conditions?.find((c) => c.type === type);
}

async function jobWhen(namespace: string, name: string, test: (job: MPIJob) => boolean): Promise<MPIJob> {
  return eventually(async () => {
    const job = await client.mpiJobs.get(namespace, name);
    return test(job) ? job : undefined;
  });
}

beforeAll(async () => {
  server = await startTestApiServer({ admission: [mpiJobAdmission, quotaAdmission] });
  client = new ClusterClient(server.kubeConfig);
  core = server.kubeConfig.makeApiClient(CoreV1Api);
  controllers = await startControllers({ kubeConfig: server.kubeConfig, logs: server.logs, timeScale: 100 });
  await seedCluster(server.kubeConfig);
});

afterAll(async () => {
  await controllers?.stop();
  await server?.close();
});

describe('seedCluster', () => {
  it('creates the team namespaces, their quotas and every seed job, and skips them the second time', async () => {
    await seedCluster(server.kubeConfig);
    const namespaces = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(namespaces).toEqual(expect.arrayContaining(['default', 'kube-system', 'team-a', 'team-b']));
    const quota = await core.readNamespacedResourceQuota({ namespace: 'team-a', name: 'team-a-quota' });
    expect(quota.spec?.hard).toMatchObject({ 'requests.cpu': '32', 'requests.nvidia.com/gpu': '8', 'count/mpijobs.kubeflow.org': '20' });
    const jobs = (await client.mpiJobs.list()).items.map((j) => `${j.metadata.namespace ?? ''}/${j.metadata.name ?? ''}`).sort();
    expect(jobs).toEqual(SEED_MPIJOBS.map((j) => `${j.metadata.namespace ?? ''}/${j.metadata.name ?? ''}`).sort());
  });

  it('seeds a job that succeeds', async () => {
    const job = await jobWhen('team-a', 'pi', (j) => conditionOf(j, 'Succeeded')?.status === 'True');
    expect(job.status?.replicaStatuses?.Launcher).toEqual({ succeeded: 1 });
  });

  it('seeds a long job that keeps running on the GPU node', async () => {
    await jobWhen('team-a', 'resnet50-horovod', (j) => conditionOf(j, 'Running')?.status === 'True');
    const worker = await client.pods.get('team-a', 'resnet50-horovod-worker-0');
    expect(worker.spec.nodeName).toBe('node-gpu-1');
  });

  it('seeds a job whose OOMKilled worker rank makes the launcher give up', async () => {
    const job = await jobWhen('team-a', 'bert-finetune', (j) => conditionOf(j, 'Failed')?.status === 'True');
    expect(conditionOf(job, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const worker = await client.pods.get('team-a', 'bert-finetune-worker-1');
    expect(worker.status?.containerStatuses?.[0]?.state?.terminated?.reason).toBe('OOMKilled');
  });

  it('seeds a suspended job with no pods', async () => {
    await jobWhen('team-b', 'tensorflow-benchmarks', (j) => conditionOf(j, 'Suspended')?.status === 'True');
    const pods = await core.listNamespacedPod({ namespace: 'team-b', labelSelector: 'training.kubeflow.org/job-name=tensorflow-benchmarks' });
    expect(pods.items).toEqual([]);
  });

  it('seeds a job held pending by the namespace CPU quota', async () => {
    const event = await eventually(async () => {
      const events = await core.listNamespacedEvent({ namespace: 'team-b', fieldSelector: 'involvedObject.name=llm-pretrain' });
      return events.items.find((e) => e.reason === 'MPIJobFailed');
    });
    expect(event.message).toContain('worker pod created failed: pods "llm-pretrain-worker-0" is forbidden: exceeded quota: team-b-quota');
    expect(event.message).toContain('requests.cpu=24');
    const job = await client.mpiJobs.get('team-b', 'llm-pretrain');
    expect(conditionOf(job, 'Running')).toBeUndefined();
  });
});

describe('ensureSystemNamespaces', () => {
  it('creates the namespaces kube-apiserver always has, and leaves them alone the second time', async () => {
    await ensureSystemNamespaces(server.kubeConfig);
    await ensureSystemNamespaces(server.kubeConfig);
    const namespaces = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(namespaces).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
    expect(namespaces.filter((name) => name === 'kube-public')).toHaveLength(1);
  });
});
