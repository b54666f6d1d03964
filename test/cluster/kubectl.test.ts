// The embedded cluster as a user meets it: the real kubectl, over HTTPS, with the kubeconfig the
// cluster wrote. These are the acceptance steps, run end to end.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubectlAvailable, startTestCluster, type TestCluster } from '../utils/embedded-cluster.ts';

const POLL_INTERVAL_MS = 250;
/** A hang guard for polling loops, not a performance assertion. */
const MAX_POLLS = 480;

function manifest(name: string, namespace: string, extra: { workers?: number; cpu?: string; impl?: string; annotations?: Record<string, string> } = {}): string {
  return JSON.stringify({
    apiVersion: 'kubeflow.org/v2beta1',
    kind: 'MPIJob',
    metadata: { name, namespace, annotations: extra.annotations ?? {} },
    spec: {
      slotsPerWorker: 1,
      ...(extra.impl ? { mpiImplementation: extra.impl } : {}),
      runPolicy: { cleanPodPolicy: 'Running' },
      mpiReplicaSpecs: {
        Launcher: {
          replicas: 1,
          template: { spec: { containers: [{ name: 'mpi-launcher', image: 'mpioperator/mpi-pi:openmpi', command: ['mpirun', '-n', String(extra.workers ?? 2), '/home/mpiuser/pi'], resources: { limits: { cpu: '1', memory: '1Gi' } } }] } },
        },
        Worker: {
          replicas: extra.workers ?? 2,
          template: { spec: { containers: [{ name: 'mpi-worker', image: 'mpioperator/mpi-pi:openmpi', resources: { limits: { cpu: extra.cpu ?? '1', memory: '1Gi' } } }] } },
        },
      },
    },
  });
}

const haveKubectl = kubectlAvailable();

describe.runIf(haveKubectl)('kubectl against the embedded cluster', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ timeScale: 60 });
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < MAX_POLLS; i += 1) {
      const value = await probe();
      if (value !== undefined) return value;
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error('condition not reached');
  }

  it('lists the seeded MPIJobs of every namespace with NAME and AGE columns', async () => {
    const result = await cluster.kubectl(['get', 'mpijobs', '-A']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+AGE$/);
    const namespaces = new Set(lines.slice(1).map((line) => line.split(/\s+/)[0]));
    expect(namespaces).toContain('team-a');
    expect(namespaces).toContain('team-b');
    expect(lines.length - 1).toBeGreaterThanOrEqual(5);
  });

  it('prints pods with the READY, STATUS, RESTARTS and AGE columns of the real server', async () => {
    const result = await cluster.kubectl(['get', 'pods', '-A']);
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
  });

  it('runs an MPIJob applied with kubectl apply to Succeeded and streams rank-tagged launcher logs', async () => {
    const applied = await cluster.kubectl(['apply', '-f', '-'], manifest('pi-apply', 'team-a', { annotations: { 'sim.mpijob-gateway.dev/duration': '120s' } }));
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('mpijob.kubeflow.org/pi-apply created');
    const again = await cluster.kubectl(['apply', '-f', '-'], manifest('pi-apply', 'team-a', { annotations: { 'sim.mpijob-gateway.dev/duration': '120s' } }));
    expect(again.stdout.trim()).toBe('mpijob.kubeflow.org/pi-apply unchanged');

    const launcher = await waitFor(async () => {
      const pods = await cluster.kubectl(['get', 'pods', '-n', 'team-a', '-l', 'training.kubeflow.org/job-name=pi-apply,training.kubeflow.org/job-role=launcher', '-o', 'jsonpath={.items[*].metadata.name}']);
      const name = pods.stdout.trim();
      return name ? name : undefined;
    });
    expect(launcher).toMatch(/^pi-apply-launcher-[a-z0-9]{5}$/);

    await waitFor(async () => {
      const phase = (await cluster.kubectl(['get', 'pod', launcher, '-n', 'team-a', '-o', 'jsonpath={.status.phase}'])).stdout;
      return phase === 'Running' || phase === 'Succeeded' ? phase : undefined;
    });
    const follow = cluster.kubectlStream(['logs', '-f', launcher, '-n', 'team-a']);
    let output = '';
    follow.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => follow.on('close', resolve));
    expect(exitCode).toBe(0);
    expect(output).toMatch(/^\[1,0\]<stdout>:/m);
    expect(output).toMatch(/^\[1,1\]<stdout>:/m);

    const succeeded = await waitFor(async () => {
      const status = (await cluster.kubectl(['get', 'mpijob', 'pi-apply', '-n', 'team-a', '-o', 'jsonpath={.status.conditions[?(@.type=="Succeeded")].status}'])).stdout;
      return status === 'True' ? status : undefined;
    });
    expect(succeeded).toBe('True');
  });

  it('refuses an MPIJob that breaks the CRD schema with 422 and names the field at fault', async () => {
    const result = await cluster.kubectl(['apply', '-f', '-'], manifest('bad-impl', 'team-a', { impl: 'Foo' }));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('The MPIJob "bad-impl" is invalid');
    expect(result.stderr).toContain('spec.mpiImplementation: Unsupported value: "Foo": supported values: "OpenMPI", "Intel", "MPICH"');
    expect((await cluster.kubectl(['get', 'mpijob', 'bad-impl', '-n', 'team-a'])).stderr).toContain('not found');
  });

  it('refuses an MPIJob that breaks the operator rules with 422 and every field cause', async () => {
    const tooLong = `w${'x'.repeat(60)}`;
    const result = await cluster.kubectl(['apply', '-f', '-'], manifest(tooLong, 'team-a', { workers: 0 }));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`The MPIJob "${tooLong}" is invalid`);
    expect(result.stderr).toContain('spec.mpiReplicaSpecs[Worker].replicas');
    expect(result.stderr).toContain('metadata.name');
  });

  it('refuses an MPIJob beyond the count/mpijobs.kubeflow.org quota with 403 exceeded quota', async () => {
    expect((await cluster.kubectl(['create', 'namespace', 'quota-count'])).stdout.trim()).toBe('namespace/quota-count created');
    const quota = await cluster.kubectl(['create', 'quota', 'jobs', '-n', 'quota-count', '--hard=count/mpijobs.kubeflow.org=1']);
    expect(quota.stderr).toBe('');
    expect((await cluster.kubectl(['apply', '-f', '-'], manifest('first', 'quota-count'))).status).toBe(0);
    const second = await cluster.kubectl(['apply', '-f', '-'], manifest('second', 'quota-count'));
    expect(second.status).not.toBe(0);
    expect(second.stderr).toContain('Error from server (Forbidden)');
    expect(second.stderr).toContain('exceeded quota: jobs, requested: count/mpijobs.kubeflow.org=1, used: count/mpijobs.kubeflow.org=1, limited: count/mpijobs.kubeflow.org=1');
  });

  it('keeps an MPIJob whose pods exceed the CPU quota pending, with the refused pod creation as an event', async () => {
    expect((await cluster.kubectl(['create', 'namespace', 'quota-cpu'])).status).toBe(0);
    expect((await cluster.kubectl(['create', 'quota', 'cpu', '-n', 'quota-cpu', '--hard=requests.cpu=2,limits.cpu=2'])).status).toBe(0);
    expect((await cluster.kubectl(['apply', '-f', '-'], manifest('too-big', 'quota-cpu', { workers: 2, cpu: '4' }))).status).toBe(0);
    const event = await waitFor(async () => {
      const events = await cluster.kubectl(['get', 'events', '-n', 'quota-cpu', '--field-selector', 'involvedObject.name=too-big,involvedObject.kind=MPIJob', '-o', 'jsonpath={range .items[*]}{.reason}|{.message}{"\\n"}{end}']);
      return events.stdout.split('\n').find((line) => line.includes('exceeded quota'));
    });
    expect(event).toMatch(/^MPIJobFailed\|/);
    expect(event).toContain('pod created failed');
    const workers = await cluster.kubectl(['get', 'pods', '-n', 'quota-cpu', '-o', 'name']);
    expect(workers.stdout.trim()).toBe('');
    const conditions = await cluster.kubectl(['get', 'mpijob', 'too-big', '-n', 'quota-cpu', '-o', 'jsonpath={.status.conditions[?(@.type=="Running")].status}']);
    expect(conditions.stdout).not.toBe('True');
  });

  it('describes a pod with its events and deletes an MPIJob with its pods', async () => {
    expect((await cluster.kubectl(['apply', '-f', '-'], manifest('short-lived', 'team-b', { workers: 1, annotations: { 'sim.mpijob-gateway.dev/duration': '1h' } }))).status).toBe(0);
    const worker = await waitFor(async () => {
      const phase = (await cluster.kubectl(['get', 'pod', 'short-lived-worker-0', '-n', 'team-b', '-o', 'jsonpath={.status.phase}'])).stdout;
      return phase === 'Running' ? 'short-lived-worker-0' : undefined;
    });
    const described = await cluster.kubectl(['describe', 'pod', worker, '-n', 'team-b']);
    expect(described.status).toBe(0);
    expect(described.stdout).toMatch(/Status:\s+Running/);
    expect(described.stdout).toContain('training.kubeflow.org/job-role=worker');
    const deleted = await cluster.kubectl(['delete', 'mpijob', 'short-lived', '-n', 'team-b']);
    expect(deleted.stdout.trim()).toBe('mpijob.kubeflow.org "short-lived" deleted');
    await waitFor(async () => {
      const pods = await cluster.kubectl(['get', 'pods', '-n', 'team-b', '-l', 'training.kubeflow.org/job-name=short-lived', '-o', 'name']);
      return pods.stdout.trim() === '' ? true : undefined;
    });
    expect((await cluster.kubectl(['get', 'configmap', 'short-lived-config', '-n', 'team-b'])).stderr).toContain('not found');
  });
});
