// `jobLogs` end to end: lines of the launcher and the workers over the shared per-container
// streams of the embedded cluster, tagged with role and rank, filtered by rank, and complete
// when the job has finished.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, record, type ClientHandle } from '../utils/subscriptions.ts';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';
import { testBackend } from '../utils/test-backend.ts';

let gw: TestGateway;
const clients: ClientHandle[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ timeScale: 60 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await gw?.stop();
});

async function client(): Promise<ClientHandle> {
  const handle = await connect(gw.url, { authorization: `Bearer ${gw.tokens.admin}` });
  clients.push(handle);
  return handle;
}

interface Line {
  pod: string;
  role: string | null;
  rank: number | null;
  container: string;
  timestamp: string | null;
  text: string;
  stream: string | null;
  seq: number;
}

interface LogData {
  jobLogs: { lines: Line[] };
}

const LOGS = /* GraphQL */ `
  subscription Logs($name: String!, $ranks: [Int!], $role: ReplicaType, $follow: Boolean, $tail: Int, $timestamps: Boolean) {
    jobLogs(namespace: "team-a", name: $name, ranks: $ranks, role: $role, follow: $follow, tailLines: $tail, timestamps: $timestamps) {
      lines { pod role rank container timestamp text stream seq }
    }
  }
`;

async function createJob(name: string, duration: string): Promise<void> {
  const result = await gw.graphql<{ createMPIJob: { errors: unknown[] } }>(
    'mutation ($input: CreateMPIJobInput!) { createMPIJob(input: $input) { errors { code message } } }',
    {
      input: {
        name,
        namespace: 'team-a',
        image: 'mpioperator/mpi-pi:openmpi',
        command: ['mpirun', '-n', '4', '/home/mpiuser/pi'],
        workers: 2,
        slotsPerWorker: 2,
        workerResources: { requests: { cpu: '100m', memory: '128Mi' } },
        launcherResources: { requests: { cpu: '100m', memory: '128Mi' } },
        annotations: [{ key: 'sim.mpijob-gateway.dev/duration', value: duration }],
      },
    },
  );
  expect(result.data?.createMPIJob.errors).toEqual([]);
}

/**
 * kube-apiserver serves `pods/log` by proxying to the pod's kubelet; the simulated kubelet is a
 * controller, not a server, so on the real backend no container log can be read. The refusals
 * below are decided before any kubelet is asked, and run on both backends.
 */
const NO_KUBELET_TO_READ_LOGS_FROM = testBackend() === 'kube-apiserver';

const linesOf = (results: Array<{ data?: LogData | null }>) => results.flatMap((r) => r.data?.jobLogs.lines ?? []);

describe('jobLogs', () => {
  it.skipIf(NO_KUBELET_TO_READ_LOGS_FROM)('merges launcher and worker lines with their role and rank, and completes when the job has finished', async () => {
    await createJob('logs-pi', '30s');
    const { client: ws } = await client();
    const all = record<LogData>(ws, LOGS, { name: 'logs-pi' });
    const rankOne = record<LogData>(ws, LOGS, { name: 'logs-pi', ranks: [1] });
    await Promise.all([all.done, rankOne.done]);

    const lines = linesOf(all.results);
    expect(all.results.every((r) => r.errors === undefined)).toBe(true);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    const launcher = lines.filter((l) => l.role === 'LAUNCHER');
    expect(launcher.length).toBeGreaterThan(0);
    expect(launcher.every((l) => l.pod.startsWith('logs-pi-launcher'))).toBe(true);
    expect(new Set(launcher.map((l) => l.rank).filter((r) => r !== null))).toEqual(new Set([0, 1, 2, 3]));
    // The tag is read, not repeated in the text.
    expect(launcher.some((l) => l.text.startsWith('[1,'))).toBe(false);
    expect(launcher.filter((l) => l.rank !== null).every((l) => l.stream === 'STDOUT' || l.stream === 'STDERR')).toBe(true);
    const workers = lines.filter((l) => l.role === 'WORKER');
    expect(new Set(workers.map((l) => l.pod))).toEqual(new Set(['logs-pi-worker-0', 'logs-pi-worker-1']));
    expect(workers.every((l) => l.rank === null)).toBe(true);
    for (const line of lines) expect(Date.parse(line.timestamp ?? '')).not.toBeNaN();

    const onlyRankOne = linesOf(rankOne.results);
    expect(onlyRankOne.length).toBeGreaterThan(0);
    expect(onlyRankOne.every((l) => l.rank === 1 && l.role === 'LAUNCHER')).toBe(true);
    expect(onlyRankOne.map((l) => l.text)).toEqual(launcher.filter((l) => l.rank === 1).map((l) => l.text));

    // Both subscriptions were served by one upstream stream per container, now closed.
    expect(gw.gateway.live.logs.stats().open).toBe(0);
  });

  it.skipIf(NO_KUBELET_TO_READ_LOGS_FROM)('shares one upstream stream per container among subscribers, and closes it when the last leaves', async () => {
    await createJob('logs-shared', '1h');
    const pods = async () =>
      (
        await gw.waitFor<{ mpiJob: { launcher: { phase: string } | null; workers: { nodes: Array<{ phase: string }> } } }>(
          '{ mpiJob(namespace: "team-a", name: "logs-shared") { launcher { phase } workers { nodes { phase } } } }',
          {},
          (d) => d.mpiJob?.launcher?.phase === 'RUNNING' && d.mpiJob.workers.nodes.every((w) => w.phase === 'RUNNING'),
        )
      ).mpiJob;
    await pods();
    const before = gw.gateway.live.logs.stats();
    const subscribers = await Promise.all(Array.from({ length: 5 }, () => client()));
    const recorders = subscribers.map((h) => record<LogData>(h.client, LOGS, { name: 'logs-shared', tail: 5 }));
    await Promise.all(recorders.map((r) => r.until((rs) => linesOf(rs).length > 0)));

    const during = gw.gateway.live.logs.stats();
    // Launcher and two workers: three containers, three streams, whatever the subscriber count.
    expect(during.open).toBe(3);
    expect(during.opened - before.opened).toBe(3);
    expect(during.members).toBe(15);
    // Each stream reads its backlog once and follows once.
    expect(during.requests - before.requests).toBe(6);
    // tailLines applies per container.
    for (const r of recorders) {
      const first = r.results[0]?.data?.jobLogs.lines ?? [];
      const perPod = new Map<string, number>();
      for (const line of first) perPod.set(line.pod, (perPod.get(line.pod) ?? 0) + 1);
      for (const count of perPod.values()) expect(count).toBeLessThanOrEqual(5);
    }

    for (const r of recorders) r.unsubscribe();
    for (let i = 0; i < 100 && gw.gateway.live.logs.stats().open > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gw.gateway.live.logs.stats()).toMatchObject({ open: 0, members: 0 });
  });

  it.skipIf(NO_KUBELET_TO_READ_LOGS_FROM)('sends the lines already written and completes, without following, when asked', async () => {
    const { client: ws } = await client();
    const once = record<LogData>(ws, LOGS, { name: 'logs-shared', follow: false, role: 'LAUNCHER', tail: 3, timestamps: true });
    await once.done;
    const lines = linesOf(once.results);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines.every((l) => l.role === 'LAUNCHER' && l.text.startsWith(l.timestamp ?? 'missing'))).toBe(true);
  });

  it('refuses a job that does not exist', async () => {
    const { client: ws } = await client();
    const missing = record<LogData>(ws, LOGS, { name: 'no-such-job' });
    const [result] = await missing.until((rs) => rs.length > 0);
    expect(result?.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
  });
});
