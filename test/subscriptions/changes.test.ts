// Live changes end to end: the embedded cluster, the gateway on port 0, and the real graphql-ws
// client over loopback. Simulated time runs 60 times faster, so a 30 s job takes half a second.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, record, type ClientHandle } from '../utils/subscriptions.ts';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';

let gw: TestGateway;
const clients: ClientHandle[] = [];

beforeAll(async () => {
  // 1,000 clients below connect as one user: the per-user caps are raised for them.
  gw = await startTestGateway({ timeScale: 60, gateway: { subscriptions: { maxConnectionsPerUser: 2_000, maxSubscriptionsPerUser: 5_000 } } });
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

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateMPIJobInput!) {
    createMPIJob(input: $input) { job { name } errors { code message } }
  }
`;

function jobInput(name: string, duration = '30s') {
  return {
    name,
    namespace: 'team-a',
    image: 'mpioperator/mpi-pi:openmpi',
    command: ['mpirun', '-n', '2', '/home/mpiuser/pi'],
    workers: 2,
    workerResources: { requests: { cpu: '100m', memory: '128Mi' } },
    launcherResources: { requests: { cpu: '100m', memory: '128Mi' } },
    annotations: [{ key: 'sim.mpijob-gateway.dev/duration', value: duration }],
  };
}

async function createJob(name: string, duration?: string): Promise<void> {
  const created = await gw.graphql<{ createMPIJob: { errors: unknown[] } }>(CREATE, { input: jobInput(name, duration) });
  expect(created.errors).toBeUndefined();
  expect(created.data?.createMPIJob.errors).toEqual([]);
}

async function annotate(name: string, key: string, value: string): Promise<void> {
  await gw.admin.request({
    method: 'PATCH',
    path: `/apis/kubeflow.org/v2beta1/namespaces/team-a/mpijobs/${name}`,
    contentType: 'application/merge-patch+json',
    body: { metadata: { annotations: { [key]: value } } },
  });
}

interface JobChange {
  mpiJobChanged: {
    type: string;
    cursor: string;
    job: { name: string; phase: string; annotations: Array<{ key: string; value: string }>; launcher: { name: string } | null } | null;
  };
}

type HubName = 'mpiJobs' | 'pods' | 'events';

/**
 * Waits until the gateway has registered `count` subscribers on a hub (subscribe is asynchronous).
 * Counts are only compared within this file, whose tests never unsubscribe before counting.
 */
async function subscribed(hub: HubName, count: number): Promise<void> {
  while (gw.gateway.live.hubs[hub].stats().subscribers < count) await new Promise((resolve) => setTimeout(resolve, 10));
}

const hasAnnotation = (key: string, value?: string) => (r: { data?: JobChange | null }) =>
  r.data?.mpiJobChanged.job?.annotations.some((a) => a.key === key && (value === undefined || a.value === value)) ?? false;

const JOB_CHANGES = /* GraphQL */ `
  subscription Job($ns: String, $name: String, $after: String) {
    mpiJobChanged(namespace: $ns, name: $name, after: $after) {
      type cursor
      job { name phase annotations { key value } launcher { name } }
    }
  }
`;

const PHASE_ORDER = ['PENDING', 'CREATED', 'RUNNING', 'SUCCEEDED'];

describe('mpiJobChanged', () => {
  it("delivers a created job's changes in order, ending in SUCCEEDED", async () => {
    const { client: ws } = await client();
    const before = gw.gateway.live.hubs.mpiJobs.stats().subscribers;
    const changes = record<JobChange>(ws, JOB_CHANGES, { ns: 'team-a', name: 'live-pi' });
    await subscribed('mpiJobs', before + 1);
    await createJob('live-pi');
    const results = await changes.until((rs) => rs.some((r) => r.data?.mpiJobChanged.job?.phase === 'SUCCEEDED'));

    expect(results.every((r) => r.errors === undefined)).toBe(true);
    const events = results.map((r) => r.data?.mpiJobChanged);
    expect(events[0]?.type).toBe('ADDED');
    expect(events.slice(1).every((e) => e?.type === 'MODIFIED')).toBe(true);
    expect(new Set(events.map((e) => e?.cursor)).size).toBe(events.length);
    const phases = events.map((e) => e?.job?.phase ?? '');
    const ranks = phases.map((p) => PHASE_ORDER.indexOf(p));
    expect(ranks.every((r) => r >= 0)).toBe(true);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(phases.at(-1)).toBe('SUCCEEDED');
    expect(new Set(phases)).toEqual(new Set(['PENDING', 'CREATED', 'RUNNING', 'SUCCEEDED'].filter((p) => phases.includes(p))));
    expect(phases).toContain('RUNNING');
    // Fields that reach other objects resolve per event, from fresh loaders.
    expect(events.at(-1)?.job?.launcher?.name).toMatch(/^live-pi-launcher/);
  });

  it('replays every missed change to a subscriber that reconnects with its cursor', async () => {
    await createJob('live-replay', '1h');
    const before = gw.gateway.live.hubs.mpiJobs.stats().subscribers;
    const watcher = await client();
    const control = record<JobChange>(watcher.client, JOB_CHANGES, { ns: 'team-a', name: 'live-replay' });
    const leaving = await client();
    const first = record<JobChange>(leaving.client, JOB_CHANGES, { ns: 'team-a', name: 'live-replay' });
    await subscribed('mpiJobs', before + 2);

    await annotate('live-replay', 'step', '1');
    const seen = await first.until((rs) => rs.some(hasAnnotation('step', '1')));
    const cursor = seen.at(-1)?.data?.mpiJobChanged.cursor;
    expect(cursor).toBeTruthy();
    await leaving.dispose();

    for (const step of ['2', '3', '4']) await annotate('live-replay', 'step', step);
    await control.until((rs) => rs.some(hasAnnotation('step', '4')));

    const back = await client();
    const replay = record<JobChange>(back.client, JOB_CHANGES, { ns: 'team-a', name: 'live-replay', after: cursor });
    const cursorsOf = (rs: typeof control.results) => rs.map((r) => r.data?.mpiJobChanged.cursor);
    const missedSoFar = cursorsOf(control.results).slice(cursorsOf(control.results).indexOf(cursor) + 1);
    expect(missedSoFar.length).toBeGreaterThanOrEqual(3);
    // The job keeps changing (status updates); compare the replay with what the subscriber that
    // never left saw over the same span.
    const replayed = cursorsOf(await replay.until((rs) => rs.length >= missedSoFar.length));
    const last = replayed.at(-1);
    const seenByControl = cursorsOf(await control.until((rs) => cursorsOf(rs).includes(last)));
    const start = seenByControl.indexOf(cursor) + 1;
    expect(replayed).toEqual(seenByControl.slice(start, start + replayed.length));
    expect(replay.results.every((r) => r.data?.mpiJobChanged.type === 'MODIFIED')).toBe(true);
  });

  it('answers an unknown cursor with RESYNC and a malformed one with BAD_USER_INPUT', async () => {
    const { client: ws } = await client();
    const stale = Buffer.from('mpijobs:another-process:12').toString('base64url');
    const resync = record<JobChange>(ws, JOB_CHANGES, { ns: 'team-a', after: stale });
    const [first] = await resync.until((rs) => rs.length >= 1);
    expect(first?.data?.mpiJobChanged).toMatchObject({ type: 'RESYNC', job: null });

    const bad = record<JobChange>(ws, JOB_CHANGES, { ns: 'team-a', after: 'garbage' });
    const [refused] = await bad.until((rs) => rs.length >= 1);
    expect(refused?.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('serves 1,000 concurrent subscribers of a namespace from the one upstream watch', async () => {
    const watchesBefore = gw.gateway.kube.counter.total((s) => s.resource === 'mpijobs' && (s.verb === 'watch' || s.verb === 'list'));
    const before = gw.gateway.live.hubs.mpiJobs.stats().subscribers;
    const handles = await Promise.all(Array.from({ length: 1000 }, () => connect(gw.url, { authorization: `Bearer ${gw.tokens.admin}` })));
    const recorders = handles.map((h) => record<JobChange>(h.client, JOB_CHANGES, { ns: 'team-a' }));
    await subscribed('mpiJobs', before + 1000);

    await annotate('live-pi', 'broadcast', 'hello');
    await Promise.all(recorders.map((r) => r.until((rs) => rs.some(hasAnnotation('broadcast', 'hello')))));
    const watchesAfter = gw.gateway.kube.counter.total((s) => s.resource === 'mpijobs' && (s.verb === 'watch' || s.verb === 'list'));
    expect(watchesAfter).toBe(watchesBefore);
    expect(gw.gateway.informers.statuses().filter((s) => s.resource === 'mpijobs')).toHaveLength(1);
    await Promise.all(handles.map((h) => h.dispose()));
  });
});

interface PodChange {
  podChanged: { type: string; pod: { name: string; role: string; phase: string } | null };
}

interface EventChange {
  events: { type: string; event: { reason: string; involvedObject: { kind: string; name: string } } | null };
}

describe('podChanged and events', () => {
  it("follow a job's pods and its Kubernetes events as they happen", async () => {
    const { client: ws } = await client();
    const pods = record<PodChange>(ws, 'subscription { podChanged(namespace: "team-a", jobName: "live-pods") { type pod { name role phase } } }');
    const events = record<EventChange>(ws, 'subscription { events(namespace: "team-a", jobName: "live-pods") { type event { reason involvedObject { kind name } } } }');
    const other = record<PodChange>(ws, 'subscription { podChanged(namespace: "team-a", jobName: "not-this-one") { type pod { name } } }');
    await subscribed('pods', 2);
    await subscribed('events', 1);
    await createJob('live-pods');

    const podResults = await pods.until((rs) => rs.some((r) => r.data?.podChanged.pod?.role === 'LAUNCHER' && r.data.podChanged.pod.phase === 'SUCCEEDED'));
    const names = new Set(podResults.map((r) => r.data?.podChanged.pod?.name));
    expect([...names].filter((n) => n?.startsWith('live-pods-worker-')).sort()).toEqual(['live-pods-worker-0', 'live-pods-worker-1']);
    expect(podResults[0]?.data?.podChanged.type).toBe('ADDED');

    const eventResults = await events.until((rs) => rs.some((r) => r.data?.events.event?.involvedObject.kind === 'Pod'));
    const kinds = new Set(eventResults.map((r) => r.data?.events.event?.involvedObject.kind));
    expect(kinds.has('MPIJob') || kinds.has('Pod')).toBe(true);
    for (const r of eventResults) expect(r.data?.events.event?.involvedObject.name).toMatch(/^live-pods/);
    expect(other.results).toEqual([]);
  });
});
