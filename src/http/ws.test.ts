import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, errorCodes, record, wsUrl, type ClientHandle } from '../../test/utils/subscriptions.ts';
import { createFakeCluster, mpiJob, pod, runningStatus, type FakeCluster } from '../../test/utils/graph-fixtures.ts';
import { buildSchema } from '../graph/schema.ts';
import { ANONYMOUS_VIEWER, type Viewer } from '../viewer/viewer.ts';
import { startSubscriptionServer, type SubscriptionServer, type SubscriptionServerOptions } from './ws.ts';

let fake: FakeCluster;
let httpServer: Server;
let server: SubscriptionServer;
let url: string;
const clients: ClientHandle[] = [];

async function start(options: Partial<SubscriptionServerOptions> = {}): Promise<void> {
  httpServer = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  url = `http://127.0.0.1:${port}/graphql`;
  server = startSubscriptionServer({ httpServer, schema: buildSchema(), services: fake.services(), logger: pino({ level: 'silent' }), ...options });
}

async function client(authorization?: string): Promise<ClientHandle> {
  const handle = await connect(url, authorization === undefined ? {} : { authorization });
  clients.push(handle);
  return handle;
}

async function subscribers(count: number): Promise<void> {
  while (fake.services().live.hubs.mpiJobs.stats().subscribers < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

beforeEach(() => {
  fake = createFakeCluster();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await server?.drain();
  await new Promise((resolve) => httpServer?.close(resolve));
  fake.services().live.stop();
});

const LAUNCHER_PHASE = 'subscription { mpiJobChanged(namespace: "a", name: "pi") { type job { name launcher { phase } } } }';

interface LauncherPhase {
  mpiJobChanged: { type: string; job: { name: string; launcher: { phase: string } | null } | null };
}

describe('the subscription server', () => {
  it('resolves every event with fresh loaders, so nested objects are never stale', async () => {
    await start();
    const { client: ws } = await client();
    const changes = record<LauncherPhase>(ws, LAUNCHER_PHASE);
    await subscribers(1);
    const launcher = pod('pi', 'a', 'launcher', undefined, { phase: 'Pending' });
    fake.caches.pods.upsert(launcher);
    fake.caches.mpiJobs.upsert(mpiJob({ name: 'pi', namespace: 'a', workers: 1 }));
    await changes.until((rs) => rs.length === 1);
    fake.caches.pods.upsert({ ...launcher, status: runningStatus('launcher') });
    fake.caches.mpiJobs.upsert({ ...mpiJob({ name: 'pi', namespace: 'a', workers: 1, conditions: [['Running', 'True']] }) });
    const results = await changes.until((rs) => rs.length === 2);
    expect(results.map((r) => r.data?.mpiJobChanged.job?.launcher?.phase)).toEqual(['PENDING', 'RUNNING']);
  });

  it('executes an event once for subscribers that asked the same, and apart for different questions', async () => {
    await start();
    const handles = await Promise.all([client(), client(), client()]);
    const same = handles.map((h) => record<LauncherPhase>(h.client, LAUNCHER_PHASE));
    const other = record<LauncherPhase>(handles[0]?.client ?? (await client()).client, 'subscription { mpiJobChanged(namespace: "a") { type job { name } } }');
    await subscribers(4);
    const before = server.stats();
    fake.caches.mpiJobs.upsert(mpiJob({ name: 'pi', namespace: 'a', workers: 1 }));
    await Promise.all([...same, other].map((r) => r.until((rs) => rs.length === 1)));
    const after = server.stats();
    expect(after.executions - before.executions).toBe(2);
    expect(after.sharedDeliveries - before.sharedDeliveries).toBe(2);
  });

  it('never shares an execution between different users', async () => {
    const alice: Viewer = { ...ANONYMOUS_VIEWER, username: 'alice' };
    const bob: Viewer = { ...ANONYMOUS_VIEWER, username: 'bob' };
    await start({ authenticate: async (params) => (params?.['authorization'] === 'alice' ? alice : bob) });
    const a = await client('alice');
    const b = await client('bob');
    const ra = record<LauncherPhase>(a.client, LAUNCHER_PHASE);
    const rb = record<LauncherPhase>(b.client, LAUNCHER_PHASE);
    await subscribers(2);
    const before = server.stats();
    fake.caches.mpiJobs.upsert(mpiJob({ name: 'pi', namespace: 'a', workers: 1 }));
    await Promise.all([ra, rb].map((r) => r.until((rs) => rs.length === 1)));
    expect(server.stats().executions - before.executions).toBe(2);
  });

  it('filters every event for the viewer and refuses a namespace the viewer may not read', async () => {
    const onlyA: Viewer = { ...ANONYMOUS_VIEWER, username: 'alice', canRead: (ns) => ns === 'a' };
    await start({ authenticate: async () => onlyA });
    const { client: ws } = await client('alice');
    const all = record<LauncherPhase>(ws, 'subscription { mpiJobChanged { type job { name } } }');
    const forbidden = record<LauncherPhase>(ws, 'subscription { mpiJobChanged(namespace: "b") { type } }');
    await subscribers(1);
    fake.caches.mpiJobs.upsert(mpiJob({ name: 'hidden', namespace: 'b', workers: 1 }));
    fake.caches.mpiJobs.upsert(mpiJob({ name: 'shown', namespace: 'a', workers: 1 }));
    const results = await all.until((rs) => rs.length >= 1);
    expect(results.map((r) => r.data?.mpiJobChanged.job?.name)).toEqual(['shown']);
    const [refused] = await forbidden.until((rs) => rs.length > 0);
    expect(refused?.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('refuses a subscribe when the credentials no longer authenticate', async () => {
    let valid = true;
    await start({ authenticate: async () => (valid ? ANONYMOUS_VIEWER : undefined) });
    const { client: ws } = await client();
    valid = false;
    const refused = record(ws, LAUNCHER_PHASE);
    await expect(refused.done).rejects.toBeDefined();
    expect(errorCodes(refused.error)).toEqual(['UNAUTHENTICATED']);
  });

  it('closes the connection when the credentials expire', async () => {
    await start({ authenticate: async () => ({ viewer: ANONYMOUS_VIEWER, expiresAtMs: Date.now() + 50 }) });
    const handle = await client();
    expect(await handle.closed).toBe(4403);
  });

  it('refuses an upgrade from an origin the check does not allow, and upgrades on other paths', async () => {
    await start({ checkOrigin: (origin) => origin === undefined || origin === 'https://dashboard.example' });
    const status = (path: string, origin?: string) =>
      new Promise<number | undefined>((resolve) => {
        const socket = new WebSocket(wsUrl(url).replace('/graphql', path), 'graphql-transport-ws', origin ? { origin } : {});
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode));
        socket.on('open', () => {
          socket.close();
          resolve(101);
        });
        socket.on('error', () => resolve(undefined));
      });
    expect(await status('/graphql', 'https://evil.example')).toBe(403);
    expect(await status('/elsewhere')).toBe(404);
    expect(await status('/graphql', 'https://dashboard.example')).toBe(101);
  });
});
