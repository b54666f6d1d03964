// The TypeScript SDK end to end against a gateway on an embedded cluster (time 60x): a job
// submitted from a manifest, watched to completion over graphql-ws, its logs read by rank, the
// gateway's refusals as typed errors, and the polling fallback when WebSockets are unavailable.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_ERROR_CODE,
  GatewayError,
  MpiJobClient,
  QuotaExceededError,
  ValidationError,
  type Job,
  type JobChange,
  type LogLine,
} from '../../src/sdk/client.ts';
import { demoToken } from '../utils/demo-token.ts';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';
import { testBackend } from '../utils/test-backend.ts';
import { piManifest } from './manifests.ts';

// kube-apiserver reads container logs from the pod's kubelet, and the simulated kubelet serves
// none: on the real backend there are no log lines to read, so the tests that read them run on
// the embedded cluster only.
const NO_KUBELET_TO_READ_LOGS_FROM = testBackend() === 'kube-apiserver';

let gw: TestGateway;
let client: MpiJobClient;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway({ timeScale: 60 });
  token = demoToken(gw.cluster.tokenFilePath, 'admin');
  client = new MpiJobClient({ server: gw.url, token });
});

afterAll(async () => {
  await client?.close();
  await gw?.stop();
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('a job from a manifest', () => {
  it.skipIf(NO_KUBELET_TO_READ_LOGS_FROM)('is created, followed over graphql-ws to SUCCEEDED, read by rank, and deleted', async () => {
    const changes: JobChange[] = [];
    const watching = (async () => {
      for await (const change of client.watchJobs({ namespace: 'team-a', name: 'sdk-pi' })) {
        changes.push(change);
        if (change.job?.phase === 'SUCCEEDED') return undefined;
      }
      return undefined;
    })().catch((error: unknown) => error);

    const { job, dryRun } = await client.createJobFromManifest(piManifest({ name: 'sdk-pi' }));
    expect(dryRun).toBe(false);
    expect(job).toMatchObject({ namespace: 'team-a', name: 'sdk-pi', spec: { podCount: 3 } });

    const phases: string[] = [];
    const done = await client.waitForCompletion('team-a', 'sdk-pi', { onUpdate: (j) => phases.push(j.phase) });
    expect(done.phase).toBe('SUCCEEDED');
    expect(phases.at(-1)).toBe('SUCCEEDED');
    expect(phases.length).toBeGreaterThan(1);

    expect(await watching).toBeUndefined();
    expect(changes[0]?.type).toBe('ADDED');
    expect(changes.every((c) => c.cursor !== '')).toBe(true);
    expect(changes.at(-1)?.job?.phase).toBe('SUCCEEDED');

    const lines = await collect(client.streamLogs('team-a', 'sdk-pi', { follow: false }));
    expect(lines.length).toBeGreaterThan(0);
    const ranks = new Set(lines.map((l) => l.rank).filter((r) => r !== null));
    expect([...ranks].sort()).toEqual([0, 1]);
    expect(lines.some((l) => l.role === 'WORKER')).toBe(true);

    const rank1: LogLine[] = await collect(client.streamLogs('team-a', 'sdk-pi', { ranks: [1], follow: false }));
    expect(rank1.length).toBeGreaterThan(0);
    expect(rank1.every((l) => l.rank === 1 && l.role === 'LAUNCHER')).toBe(true);

    const detail = await client.getJob('team-a', 'sdk-pi');
    expect(detail.diagnosis.kind).toBe('SUCCEEDED');
    expect(detail.workers.nodes.map((w) => w.rank)).toEqual([0, 1]);

    const deletedId = await client.deleteJob('team-a', 'sdk-pi');
    expect(deletedId).not.toBe('');
    const gone = await client.getJob('team-a', 'sdk-pi').catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(GatewayError);
    expect((gone as GatewayError).code).toBe('NOT_FOUND');
  });

  it.skipIf(NO_KUBELET_TO_READ_LOGS_FROM)('follows the logs of a running job until it finishes', async () => {
    await client.createJobFromManifest(piManifest({ name: 'sdk-follow', duration: '120s' }));
    const lines = await collect(client.streamLogs('team-a', 'sdk-follow', { role: 'LAUNCHER' }));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.role === 'LAUNCHER')).toBe(true);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    const job = await client.getJobSummary('team-a', 'sdk-follow');
    expect(job.phase).toBe('SUCCEEDED');
  });
});

describe('refusals are typed errors with the gateway codes', () => {
  it('a job over the quota is a QuotaExceededError with the shortfall and the preview', async () => {
    const error = await client
      .createJob({ name: 'sdk-huge', namespace: 'team-a', image: 'mpioperator/mpi-pi:openmpi', workers: 8, workerResources: { requests: { cpu: '8', memory: '1Gi' } }, launcherResources: { requests: { cpu: '1', memory: '1Gi' } } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    const quota = error as QuotaExceededError;
    expect(quota.code).toBe('QUOTA_EXCEEDED');
    expect(quota.message).toMatch(/exceeded quota: team-a-quota/);
    expect(quota.shortfall.map((s) => s.resource)).toEqual(['requests.cpu']);
    expect(quota.preview?.fits).toBe(false);
    const list = await client.listJobs({ namespace: 'team-a', search: 'sdk-huge' });
    expect(list.totalCount).toBe(0);
  });

  it('an invalid job is a ValidationError naming the field to fix', async () => {
    const error = await client.createJobFromManifest(piManifest({ name: 'Not_Valid' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const invalid = error as ValidationError;
    expect(invalid.code).toBe('BAD_USER_INPUT');
    expect(invalid.fields.map((f) => f.field)).toEqual(['metadata.name']);
  });

  it('an operation the schema does not have keeps the request-level code', async () => {
    const { parse } = await import('graphql');
    const error = await client.request(parse('{ noSuchField }'), {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((error as GatewayError).httpStatus).toBe(400);
  });

  it('an unreachable gateway is a NETWORK_ERROR that names the address', async () => {
    const offline = new MpiJobClient({ server: 'http://127.0.0.1:9/graphql' });
    const error = await offline.listJobs().catch((e: unknown) => e);
    expect((error as GatewayError).code).toBe(CLIENT_ERROR_CODE.network);
    expect((error as GatewayError).message).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:9\/graphql/);
  });
});

describe('queries and mutations', () => {
  it('previews, dry-runs, suspends and resumes', async () => {
    const input = { name: 'sdk-ctl', namespace: 'team-a', image: 'mpioperator/mpi-pi:openmpi', workers: 1, workerResources: { requests: { cpu: '1', memory: '1Gi' } }, launcherResources: { requests: { cpu: '1', memory: '1Gi' } } };
    const preview = await client.previewJob(input);
    expect(preview).toMatchObject({ namespace: 'team-a', pods: 2, fits: true });
    const planned = await client.createJob(input, { dryRun: true });
    expect(planned.dryRun).toBe(true);
    expect((await client.listJobs({ namespace: 'team-a', search: 'sdk-ctl' })).totalCount).toBe(0);

    await client.createJob({ ...input, annotations: [{ key: 'sim.mpijob-gateway.dev/duration', value: '1h' }] });
    const suspended = await client.suspendJob('team-a', 'sdk-ctl');
    expect(suspended.spec.runPolicy.suspend).toBe(true);
    const resumed = await client.resumeJob('team-a', 'sdk-ctl');
    expect(resumed.spec.runPolicy.suspend).toBe(false);
    await client.deleteJob('team-a', 'sdk-ctl');
  });

  it('lists every page with `all`, and quotas per namespace', async () => {
    const onePage = await client.listJobs({ first: 2 });
    expect(onePage.jobs).toHaveLength(2);
    expect(onePage.hasNextPage).toBe(true);
    const all = await client.listJobs({ all: true });
    expect(all.jobs.length).toBe(all.totalCount);
    expect(new Set(all.jobs.map((j: Job) => `${j.namespace}/${j.name}`)).size).toBe(all.totalCount);

    const [teamA] = await client.quotas('team-a');
    expect(teamA?.quotas[0]?.resources.find((r) => r.name === 'requests.cpu')?.hard).toBe('32');
    const everywhere = await client.quotas();
    expect(everywhere.map((n) => n.namespace)).toEqual(expect.arrayContaining(['team-a', 'team-b']));
  });
});

/** A hang guard for waiting on the cluster, not a performance assertion. */
const QUOTA_POLLS = 240;
const QUOTA_POLL_INTERVAL_MS = 500;

/**
 * Waits until the namespace's CPU quota has `cpus` to spare. Earlier tests' jobs, and the seed's
 * short jobs, give their CPU back asynchronously: on a real API server deleted pods terminate
 * gracefully and kube-controller-manager recomputes quota usage after them.
 */
async function untilQuotaHasRoom(namespace: string, cpus: number): Promise<void> {
  let last = '';
  for (let poll = 0; poll < QUOTA_POLLS; poll += 1) {
    const [quotas] = await client.quotas(namespace);
    const cpu = quotas?.quotas.flatMap((q) => q.resources).find((r) => r.name === 'requests.cpu');
    last = cpu ? `${cpu.used} of ${cpu.hard} used` : 'no requests.cpu quota';
    if (!cpu || cpuCount(cpu.remaining) >= cpus) return;
    await new Promise((resolve) => setTimeout(resolve, QUOTA_POLL_INTERVAL_MS));
  }
  throw new Error(`the ${namespace} CPU quota never had ${cpus} CPUs to spare (${last})`);
}

function cpuCount(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

describe('waiting for a job', () => {
  it('listens to its changes over graphql-ws rather than polling', async () => {
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests += 1;
      return fetch(input, init);
    };
    const listening = new MpiJobClient({ server: gw.url, token, fetch: counting });
    await untilQuotaHasRoom('team-a', 1.25);
    await listening.createJobFromManifest(piManifest({ name: 'sdk-listen' }));
    requests = 0;
    const done = await listening.waitForCompletion('team-a', 'sdk-listen', { pollIntervalMs: 50 });
    expect(done.phase).toBe('SUCCEEDED');
    // One read of the current state; polling every 50 ms for the second the job runs would be dozens.
    expect(requests).toBeLessThanOrEqual(2);
    await listening.close();
  });
});

describe('waiting without WebSockets', () => {
  it('polls the status when no WebSocket implementation is there', async () => {
    const polling = new MpiJobClient({ server: gw.url, token, webSocket: false });
    await polling.createJobFromManifest(piManifest({ name: 'sdk-poll' }));
    const done = await polling.waitForCompletion('team-a', 'sdk-poll', { pollIntervalMs: 100 });
    expect(done.phase).toBe('SUCCEEDED');
    const streaming = await collect(polling.streamLogs('team-a', 'sdk-poll')).catch((e: unknown) => e);
    expect((streaming as GatewayError).code).toBe(CLIENT_ERROR_CODE.network);
  });

  it('falls back to polling when the WebSocket cannot be opened', async () => {
    // Every connection attempt is refused, as behind a proxy that drops upgrades.
    class Unreachable extends WebSocket {
      constructor(_url: string | URL, protocols?: string | string[]) {
        super('ws://127.0.0.1:9/graphql', protocols);
      }
    }
    const refused = new MpiJobClient({ server: gw.url, token, webSocket: Unreachable });
    await refused.createJobFromManifest(piManifest({ name: 'sdk-fallback' }));
    const done = await refused.waitForCompletion('team-a', 'sdk-fallback', { pollIntervalMs: 100 });
    expect(done.phase).toBe('SUCCEEDED');
    await refused.close();
  });

  it('gives up with TIMEOUT when the job takes longer than allowed', async () => {
    await client.createJobFromManifest(piManifest({ name: 'sdk-slow', duration: '10h' }));
    const error = await client.waitForCompletion('team-a', 'sdk-slow', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect((error as GatewayError).code).toBe(CLIENT_ERROR_CODE.timeout);
    expect((error as GatewayError).message).toMatch(/did not finish within 300ms/);
  });
});
