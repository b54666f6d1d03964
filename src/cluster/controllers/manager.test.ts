// The simulated controllers against the API server emulator over HTTPS, through client-node, with
// simulated time sped up: MPIJobs run to their real end states with the objects, statuses, events
// and logs the real operator, Job controller, scheduler and kubelet would produce.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../../../test/utils/apiserver.ts';
import { jobStatusAdmission } from '../api/admission/job-status.ts';
import { mpiJobAdmission } from '../api/admission/mpijob.ts';
import { quotaAdmission } from '../api/admission/quota.ts';
import type { ContainerInstanceKey, LogSink } from '../logstore.ts';
import { ANNOTATION_DURATION, ANNOTATION_FAIL_AFTER, ANNOTATION_FAIL_RANK, ANNOTATION_FAIL_REASON } from './behaviour.ts';
import { ClusterClient } from './client.ts';
import { startControllers, type RunningControllers } from './manager.ts';
import type { CoreEvent, MPIJob, Pod } from './objects.ts';

const TIME_SCALE = 100;
const POLL_MS = 20;

/** Polls until `probe` returns something; the test's own timeout is the only limit. */
async function eventually<T>(probe: () => Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Keeps every line the kubelet writes, even of pods deleted since, next to the server's store. */
class RecordingSink implements LogSink {
  readonly lines = new Map<string, string[]>();
  private readonly inner: LogSink;

  constructor(inner: LogSink) {
    this.inner = inner;
  }

  append(key: ContainerInstanceKey, text: string): void {
    const k = `${key.podUid}/${key.container}`;
    this.lines.set(k, [...(this.lines.get(k) ?? []), text]);
    this.inner.append(key, text);
  }

  terminate(key: ContainerInstanceKey): void {
    this.inner.terminate(key);
  }

  forgetPod(podUid: string): void {
    this.inner.forgetPod(podUid);
  }

  textOf(podUid: string, container: string): string {
    return (this.lines.get(`${podUid}/${container}`) ?? []).join('\n');
  }
}

let server: TestApiServer;
let controllers: RunningControllers;
let client: ClusterClient;
let core: CoreV1Api;
let sink: RecordingSink;

function piJob(namespace: string, name: string, options: { annotations?: Record<string, string>; spec?: Partial<MPIJob['spec']>; workerCpu?: string } = {}): MPIJob {
  const resources = { limits: { cpu: options.workerCpu ?? '1', memory: '1Gi' } };
  return {
    apiVersion: 'kubeflow.org/v2beta1',
    kind: 'MPIJob',
    metadata: { name, namespace, annotations: { [ANNOTATION_DURATION]: '30s', ...options.annotations } },
    spec: {
      slotsPerWorker: 1,
      runPolicy: { cleanPodPolicy: 'Running' },
      mpiReplicaSpecs: {
        Launcher: {
          replicas: 1,
          template: {
            spec: {
              containers: [
                {
                  name: 'mpi-launcher',
                  image: 'mpioperator/mpi-pi:openmpi',
                  command: ['mpirun', '-n', '2', '/home/mpiuser/pi'],
                  resources: { limits: { cpu: '1', memory: '1Gi' } },
                },
              ],
            },
          },
        },
        Worker: { replicas: 2, template: { spec: { containers: [{ name: 'mpi-worker', image: 'mpioperator/mpi-pi:openmpi', resources }] } } },
      },
      ...options.spec,
    },
  };
}

async function createNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
}

async function getJob(namespace: string, name: string): Promise<MPIJob> {
  return client.mpiJobs.get(namespace, name);
}

function condition(job: MPIJob, type: string) {
  return job.status?.conditions?.find((c) => c.type === type);
}

async function eventsFor(namespace: string, name: string): Promise<CoreEvent[]> {
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return JSON.parse(JSON.stringify(list.items)) as CoreEvent[];
}

async function podsOf(namespace: string, jobName: string, role?: string): Promise<Pod[]> {
  const selector = `training.kubeflow.org/job-name=${jobName}${role ? `,training.kubeflow.org/job-role=${role}` : ''}`;
  const list = await core.listNamespacedPod({ namespace, labelSelector: selector });
  return JSON.parse(JSON.stringify(list.items)) as Pod[];
}

beforeAll(async () => {
  server = await startTestApiServer({ admission: [mpiJobAdmission, quotaAdmission, jobStatusAdmission] });
  sink = new RecordingSink(server.logs);
  client = new ClusterClient(server.kubeConfig);
  core = server.kubeConfig.makeApiClient(CoreV1Api);
  controllers = await startControllers({ kubeConfig: server.kubeConfig, logs: sink, timeScale: TIME_SCALE });
});

afterAll(async () => {
  await controllers?.stop();
  await server?.close();
});

describe('simulated controllers', () => {
  it('create the three nodes with capacity and a Ready condition', async () => {
    const nodes = await client.nodes.list();
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['node-cpu-1', 'node-cpu-2', 'node-gpu-1']);
    const gpu = nodes.items.find((n) => n.metadata.name === 'node-gpu-1');
    expect(gpu?.status?.allocatable?.['nvidia.com/gpu']).toBe('8');
    expect(gpu?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('run an MPIJob to Succeeded with the operator objects, statuses, events and logs', async () => {
    await createNamespace('ok');
    await client.mpiJobs.create('ok', piJob('ok', 'pi'));

    const running = await eventually(async () => {
      const job = await getJob('ok', 'pi');
      return condition(job, 'Running')?.status === 'True' ? job : undefined;
    });
    expect(running.status?.replicaStatuses).toEqual({ Launcher: { active: 1 }, Worker: { active: 2 } });
    expect(running.status?.startTime).toBeDefined();

    const workers = await podsOf('ok', 'pi', 'worker');
    expect(workers.map((p) => p.metadata.name).sort()).toEqual(['pi-worker-0', 'pi-worker-1']);
    for (const worker of workers) {
      expect(worker.spec.nodeName).toMatch(/^node-/);
      expect(worker.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
      expect(worker.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeDefined();
    }
    const svc = await client.services.get('ok', 'pi');
    expect(svc.spec?.clusterIP).toBe('None');
    const cm = await client.configMaps.get('ok', 'pi-config');
    expect(cm.data?.hostfile).toBe('pi-worker-0.pi.ok.svc slots=1\npi-worker-1.pi.ok.svc slots=1\n');
    const secret = await client.secrets.get('ok', 'pi-ssh');
    expect(secret.type).toBe('kubernetes.io/ssh-auth');
    for (const owned of [svc, cm, secret]) expect(owned.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'MPIJob', name: 'pi', controller: true });

    const done = await eventually(async () => {
      const job = await getJob('ok', 'pi');
      return condition(job, 'Succeeded')?.status === 'True' ? job : undefined;
    });
    expect(done.status?.completionTime).toBeDefined();
    expect(condition(done, 'Running')?.status).toBe('False');
    expect(done.status?.conditions?.at(-1)?.type).toBe('Succeeded');
    expect(done.status?.replicaStatuses?.Launcher).toEqual({ succeeded: 1 });

    const launcherJob = await client.jobs.get('ok', 'pi-launcher');
    // The 1.34 order: the interim SuccessCriteriaMet, then Complete; no pod left behind.
    expect(launcherJob.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    expect(launcherJob.status).toMatchObject({ succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} });
    expect(Date.parse(launcherJob.status?.completionTime ?? '')).toBeGreaterThanOrEqual(Date.parse(launcherJob.status?.startTime ?? ''));
    expect(await podsOf('ok', 'pi', 'launcher')).toHaveLength(1);
    const [launcherPod] = await podsOf('ok', 'pi', 'launcher');
    expect(launcherPod?.status?.phase).toBe('Succeeded');
    expect(launcherPod?.metadata.labels?.['batch.kubernetes.io/job-name']).toBe('pi-launcher');
    expect(launcherPod?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const log = sink.textOf(launcherPod?.metadata.uid ?? '', 'mpi-launcher');
    expect(log).toContain('[1,0]<stdout>:Workers: 2');
    expect(log).toContain('[1,1]<stdout>:Rank 1 on host pi-worker-1');
    expect(log).toMatch(/\[1,0\]<stdout>:pi is approximately 3\.14/);
    const workerLog = sink.textOf(workers[0]?.metadata.uid ?? '', 'mpi-worker');
    expect(workerLog).toContain('Server listening on 0.0.0.0 port 22.');
    expect(workerLog).toContain(`Accepted publickey for root from ${launcherPod?.status?.podIP ?? '?'}`);

    // cleanPodPolicy Running: the running workers go once the job is done.
    await eventually(async () => (await podsOf('ok', 'pi', 'worker')).length === 0);

    const reasons = (await eventsFor('ok', 'pi')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['MPIJobCreated', 'MPIJobRunning', 'MPIJobSucceeded']));
    const created = (await eventsFor('ok', 'pi')).find((e) => e.reason === 'MPIJobCreated');
    expect(created).toMatchObject({ type: 'Normal', message: 'MPIJob ok/pi is created.', source: { component: 'mpi-job-controller' }, count: 1 });
    expect(created?.involvedObject.uid).toBe(done.metadata.uid);
  });

  it('fail a job whose worker rank is OOMKilled with the launcher Job reason', async () => {
    await createNamespace('oom');
    await client.mpiJobs.create(
      'oom',
      piJob('oom', 'bert', {
        annotations: { [ANNOTATION_DURATION]: '5m', [ANNOTATION_FAIL_RANK]: '1', [ANNOTATION_FAIL_REASON]: 'OOMKilled', [ANNOTATION_FAIL_AFTER]: '20s' },
        spec: { runPolicy: { cleanPodPolicy: 'Running', backoffLimit: 2 } },
      }),
    );
    const failed = await eventually(async () => {
      const job = await getJob('oom', 'bert');
      return condition(job, 'Failed')?.status === 'True' ? job : undefined;
    });
    expect(condition(failed, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(failed.status?.completionTime).toBeDefined();

    const worker = await client.pods.get('oom', 'bert-worker-1');
    expect(worker.status?.phase).toBe('Failed');
    expect(worker.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });

    const launcherJob = await client.jobs.get('oom', 'bert-launcher');
    expect(launcherJob.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['FailureTarget', 'True', 'BackoffLimitExceeded'],
      ['Failed', 'True', 'BackoffLimitExceeded'],
    ]);
    expect(launcherJob.status).toMatchObject({ ready: 0, terminating: 0 });
    expect(launcherJob.status?.active).toBeUndefined();
    const launcherLogs = [...sink.lines.entries()].filter(([key]) => key.endsWith('/mpi-launcher')).map(([, lines]) => lines.join('\n'));
    expect(launcherLogs.some((text) => text.includes('mpirun noticed that process rank 1 with PID 0 on node bert-worker-1 exited on signal 9 (Killed).'))).toBe(true);

    const events = await eventsFor('oom', 'bert');
    expect(events.find((e) => e.reason === 'BackoffLimitExceeded')).toMatchObject({ type: 'Warning' });
  });

  it('suspend and resume a job: no pods while suspended, then it runs again', async () => {
    await createNamespace('hold');
    await client.mpiJobs.create('hold', piJob('hold', 'queued', { spec: { runPolicy: { cleanPodPolicy: 'Running', suspend: true } } }));
    const suspended = await eventually(async () => {
      const job = await getJob('hold', 'queued');
      return condition(job, 'Suspended')?.status === 'True' ? job : undefined;
    });
    expect(condition(suspended, 'Running')).toMatchObject({ status: 'False', reason: 'MPIJobSuspended' });
    expect(await podsOf('hold', 'queued')).toEqual([]);

    await client.mpiJobs.patch('hold', 'queued', { spec: { runPolicy: { suspend: false } } });
    const running = await eventually(async () => {
      const job = await getJob('hold', 'queued');
      return condition(job, 'Running')?.status === 'True' ? job : undefined;
    });
    expect(condition(running, 'Suspended')).toMatchObject({ status: 'False', reason: 'MPIJobResumed' });

    await client.mpiJobs.patch('hold', 'queued', { spec: { runPolicy: { suspend: true } } });
    await eventually(async () => {
      const job = await getJob('hold', 'queued');
      const workers = await podsOf('hold', 'queued', 'worker');
      return condition(job, 'Suspended')?.status === 'True' && workers.length === 0 ? job : undefined;
    });
    const launcher = await client.jobs.get('hold', 'queued-launcher');
    expect(launcher.spec.suspend).toBe(true);

    await client.mpiJobs.patch('hold', 'queued', { spec: { runPolicy: { suspend: false } } });
    await eventually(async () => condition(await getJob('hold', 'queued'), 'Succeeded')?.status === 'True');
    const reasons = (await eventsFor('hold', 'queued')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['MPIJobSuspended', 'MPIJobResumed', 'MPIJobSucceeded']));
  });

  it('leave a job pending with the operator event when its pods exceed the quota', async () => {
    await createNamespace('small');
    await core.createNamespacedResourceQuota({
      namespace: 'small',
      body: { metadata: { name: 'small-quota' }, spec: { hard: { 'requests.cpu': '4', 'requests.memory': '16Gi' } } },
    });
    await client.mpiJobs.create('small', piJob('small', 'big', { workerCpu: '8' }));
    const event = await eventually(async () => (await eventsFor('small', 'big')).find((e) => e.reason === 'MPIJobFailed'));
    expect(event.type).toBe('Warning');
    expect(event.message).toMatch(/^worker pod created failed: pods "big-worker-0" is forbidden: exceeded quota: small-quota, requested: requests\.cpu=8, used: requests\.cpu=0, limited: requests\.cpu=4$/);
    const job = await getJob('small', 'big');
    expect(job.status?.conditions?.map((c) => c.type)).toEqual(['Created']);
    expect(await podsOf('small', 'big')).toEqual([]);
    // Each retry is counted on the same Event object, as client-go's recorder aggregates.
    const repeated = await eventually(async () => {
      const refused = (await eventsFor('small', 'big')).filter((e) => e.reason === 'MPIJobFailed');
      return refused.length === 1 && (refused[0]?.count ?? 0) >= 2 ? refused[0] : undefined;
    });
    expect(repeated.metadata.name).toBe(event.metadata.name);
    expect(Date.parse(repeated.lastTimestamp ?? '')).toBeGreaterThanOrEqual(Date.parse(repeated.firstTimestamp ?? ''));
  });

  it('leave a pod that fits no node Pending with the scheduler event', async () => {
    await createNamespace('huge');
    await client.mpiJobs.create('huge', piJob('huge', 'wide', { workerCpu: '64' }));
    const pod = await eventually(async () => {
      const p = await client.pods.get('huge', 'wide-worker-0').catch(() => undefined);
      return p?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') ? p : undefined;
    });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec.nodeName).toBeUndefined();
    const event = await eventually(async () => (await eventsFor('huge', 'wide-worker-0')).find((e) => e.reason === 'FailedScheduling'));
    expect(event).toMatchObject({ type: 'Warning', message: '0/3 nodes are available: 3 Insufficient cpu.', source: { component: 'default-scheduler' } });
  });

  it('fail a job that outlives activeDeadlineSeconds with DeadlineExceeded', async () => {
    await createNamespace('late');
    await client.mpiJobs.create(
      'late',
      piJob('late', 'slow', { annotations: { [ANNOTATION_DURATION]: '1h' }, spec: { runPolicy: { cleanPodPolicy: 'All', activeDeadlineSeconds: 30 } } }),
    );
    const failed = await eventually(async () => {
      const job = await getJob('late', 'slow');
      return condition(job, 'Failed')?.status === 'True' ? job : undefined;
    });
    expect(condition(failed, 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    // cleanPodPolicy All: every worker goes.
    await eventually(async () => (await podsOf('late', 'slow', 'worker')).length === 0);
  });

  it('fail a job whose worker is evicted with MPIJobEvicted', async () => {
    await createNamespace('evict');
    await client.mpiJobs.create(
      'evict',
      piJob('evict', 'fragile', {
        annotations: { [ANNOTATION_DURATION]: '5m', [ANNOTATION_FAIL_RANK]: '0', [ANNOTATION_FAIL_REASON]: 'Evicted', [ANNOTATION_FAIL_AFTER]: '10s' },
        spec: { runPolicy: { cleanPodPolicy: 'None', backoffLimit: 0 } },
      }),
    );
    const evicted = await eventually(async () => (await eventsFor('evict', 'fragile')).find((e) => e.reason === 'MPIJobEvicted'));
    expect(evicted).toMatchObject({ type: 'Warning', message: '1/2 workers are evicted' });
    const worker = await client.pods.get('evict', 'fragile-worker-0');
    expect(worker.status).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
    expect(worker.status?.message).toMatch(/^The node was low on resource: memory\./);
    expect(worker.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.status).toBe('True');
    // The launcher loses its daemon and the launcher Job gives up; that failure is the last word.
    const failed = await eventually(async () => {
      const job = await getJob('evict', 'fragile');
      return job.status?.completionTime ? job : undefined;
    });
    expect(condition(failed, 'Failed')?.status).toBe('True');
  });

  it('hold the launcher back until every worker is ready with WaitForWorkersReady', async () => {
    await createNamespace('wait');
    await client.mpiJobs.create('wait', piJob('wait', 'patient', { workerCpu: '64', spec: { launcherCreationPolicy: 'WaitForWorkersReady' } }));
    await eventually(async () => (await eventsFor('wait', 'patient-worker-0')).some((e) => e.reason === 'FailedScheduling'));
    await expect(client.jobs.get('wait', 'patient-launcher')).rejects.toThrow();

    await client.mpiJobs.create('wait', piJob('wait', 'ready', { spec: { launcherCreationPolicy: 'WaitForWorkersReady' } }));
    const launcher = await eventually(() => client.jobs.get('wait', 'ready-launcher').catch(() => undefined));
    const workers = await podsOf('wait', 'ready', 'worker');
    for (const worker of workers) {
      const ready = worker.status?.conditions?.find((c) => c.type === 'Ready');
      expect(ready?.status).toBe('True');
      expect(Date.parse(ready?.lastTransitionTime ?? '')).toBeLessThanOrEqual(Date.parse(launcher.metadata.creationTimestamp ?? ''));
    }
  });

  it('delete a finished MPIJob and what it owns after ttlSecondsAfterFinished', async () => {
    await createNamespace('ttl');
    await client.mpiJobs.create('ttl', piJob('ttl', 'brief', { annotations: { [ANNOTATION_DURATION]: '10s' }, spec: { runPolicy: { cleanPodPolicy: 'Running', ttlSecondsAfterFinished: 20 } } }));
    await eventually(async () => condition(await getJob('ttl', 'brief'), 'Succeeded')?.status === 'True');
    await eventually(() => getJob('ttl', 'brief').then(() => false, () => true));
    await eventually(async () => (await podsOf('ttl', 'brief')).length === 0);
    await expect(client.configMaps.get('ttl', 'brief-config')).rejects.toThrow();
  });

  it('carry a running job across a restart of the controllers', async () => {
    await createNamespace('restart');
    await client.mpiJobs.create('restart', piJob('restart', 'steady', { annotations: { [ANNOTATION_DURATION]: '60s' } }));
    await eventually(async () => condition(await getJob('restart', 'steady'), 'Running')?.status === 'True');
    const before = (await podsOf('restart', 'steady')).map((p) => p.metadata.uid).sort();
    await controllers.stop();
    controllers = await startControllers({ kubeConfig: server.kubeConfig, logs: sink, timeScale: TIME_SCALE });
    const done = await eventually(async () => {
      const job = await getJob('restart', 'steady');
      return condition(job, 'Succeeded')?.status === 'True' ? job : undefined;
    });
    expect(done.status?.replicaStatuses?.Launcher).toEqual({ succeeded: 1 });
    const [launcher] = await podsOf('restart', 'steady', 'launcher');
    expect(before).toContain(launcher?.metadata.uid);
    expect(launcher?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });

  it('delete a pod whose controlling MPIJob no longer exists', async () => {
    await createNamespace('stray');
    await client.pods.create('stray', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'stray-worker-0',
        namespace: 'stray',
        ownerReferences: [{ apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob', name: 'gone', uid: 'no-such-uid', controller: true }],
      },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
    });
    await eventually(() => client.pods.get('stray', 'stray-worker-0').then(() => false, () => true));
  });
});
