// The WebSocket side of the gateway: graphql-ws on /graphql next to HTTP, only subscriptions,
// the same validation as HTTP, connection_init timeout, credentials, per-connection cap, a
// consumer that stops reading ended without slowing the others, gatewayStatus, and a drain that
// closes every client properly.

import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, errorCodes, record, wsUrl, type ClientHandle } from '../utils/subscriptions.ts';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';

let gw: TestGateway;
const clients: ClientHandle[] = [];
/** Small enough that a stalled reader overflows after a handful of changes. */
const EVENT_QUEUE = 8;

beforeAll(async () => {
  gw = await startTestGateway({
    timeScale: 60,
    gateway: {
      subscriptions: { limits: { eventQueue: EVENT_QUEUE }, maxSubscriptionsPerConnection: 3, connectionInitWaitTimeoutMs: 300 },
    },
  });
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

async function subscribedTo(count: number): Promise<void> {
  while (gw.gateway.live.hubs.mpiJobs.stats().subscribers < count) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the WebSocket endpoint', () => {
  it('serves only subscriptions: a query over WebSocket is refused with BAD_REQUEST', async () => {
    const { client: ws } = await client();
    const query = record(ws, '{ mpiJobs { totalCount } }');
    await expect(query.done).rejects.toBeDefined();
    expect(errorCodes(query.error)).toEqual(['BAD_REQUEST']);
  });

  it('refuses a subscription sent over HTTP with BAD_REQUEST', async () => {
    const result = await gw.graphql('subscription { gatewayStatus { live } }');
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_REQUEST']);
  });

  it('applies the same validation as HTTP', async () => {
    const { client: ws } = await client();
    const invalid = record(ws, 'subscription { mpiJobChanged { nope } }');
    await expect(invalid.done).rejects.toBeDefined();
    expect(errorCodes(invalid.error)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: cursor`).join(' ');
    const tooMany = record(ws, `subscription { mpiJobChanged { ${aliases} } }`);
    await expect(tooMany.done).rejects.toBeDefined();
    expect(errorCodes(tooMany.error)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('closes a connection that never sends connection_init with 4408', async () => {
    const socket = new WebSocket(wsUrl(gw.url), 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(4408);
  });

  it('closes a connection with wrong credentials with 4403', async () => {
    const handle = await connect(gw.url, { authorization: 'Bearer not-a-token', awaitAck: false });
    clients.push(handle);
    expect(await handle.closed).toBe(4403);
  });

  it('caps the subscriptions of one connection', async () => {
    const before = gw.gateway.live.hubs.mpiJobs.stats().subscribers;
    const { client: ws } = await client();
    const held = [1, 2, 3].map(() => record(ws, 'subscription { mpiJobChanged(namespace: "team-b") { type } }'));
    const extra = record(ws, 'subscription { mpiJobChanged(namespace: "team-b") { type } }');
    const [refused] = await extra.until((rs) => rs.length > 0).catch(() => [undefined]);
    const codes = refused ? (refused.errors ?? []).map((e) => String(e.extensions?.['code'])) : errorCodes(extra.error);
    expect(codes).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    for (const r of held) expect(r.error).toBeUndefined();
    for (const r of held) r.unsubscribe();
    while (gw.gateway.live.hubs.mpiJobs.stats().subscribers > before) await new Promise((resolve) => setTimeout(resolve, 10));
  });
});

describe('a consumer that stops reading', () => {
  it('is ended with SLOW_CONSUMER while the others keep receiving every change', async () => {
    // Big payloads fill the socket buffers quickly: ten aliases of a 100 KiB annotation.
    const padding = 'x'.repeat(100 * 1024);
    const selection = Array.from({ length: 10 }, (_, i) => `a${i}: annotations { value }`).join(' ');
    const query = `subscription { mpiJobChanged(namespace: "team-a", name: "pi") { type cursor job { ${selection} } } }`;
    const before = gw.gateway.live.hubs.mpiJobs.stats().subscribers;
    const slow = await client();
    const fast = await client();
    const slowRecorder = record(slow.client, query);
    const fastRecorder = record(fast.client, query);
    await subscribedTo(before + 2);
    slow.socket().pause();

    const changes = 120;
    for (let i = 0; i < changes; i++) {
      await gw.admin.request({
        method: 'PATCH',
        path: '/apis/kubeflow.org/v2beta1/namespaces/team-a/mpijobs/pi',
        contentType: 'application/merge-patch+json',
        body: { metadata: { annotations: { padding: `${i}:${padding}` } } },
      });
      if (gw.gateway.live.hubs.mpiJobs.stats().overflows > 0 && i >= 20) break;
    }
    expect(gw.gateway.live.hubs.mpiJobs.stats().overflows).toBe(1);
    const patched = gw.gateway.caches.mpiJobs.get('team-a', 'pi')?.metadata.annotations?.['padding']?.split(':')[0];
    const paddingOf = (r: (typeof fastRecorder.results)[number]) => {
      const job = (r.data as { mpiJobChanged?: { job?: { a0?: Array<{ value: string }> } } } | undefined)?.mpiJobChanged?.job;
      return job?.a0?.find((a) => a.value.includes(':x'))?.value.split(':')[0];
    };
    await fastRecorder.until((rs) => rs.some((r) => paddingOf(r) === patched));
    // The operator's own status updates repeat the annotation of the change before them.
    const fastSeen = fastRecorder.results.map(paddingOf).filter((p) => p !== undefined);
    expect([...new Set(fastSeen)]).toEqual(Array.from({ length: Number(patched) + 1 }, (_, i) => String(i)));
    expect(fastSeen.map(Number)).toEqual(fastSeen.map(Number).sort((x, y) => x - y));
    expect(fastRecorder.error).toBeUndefined();

    slow.socket().resume();
    await expect(slowRecorder.done).rejects.toBeDefined();
    expect(errorCodes(slowRecorder.error)).toEqual(['SLOW_CONSUMER']);
    expect(slowRecorder.results.length).toBeLessThan(fastRecorder.results.length);
  });
});

describe('gatewayStatus', () => {
  it('answers as a query and as a subscription, with every watch live', async () => {
    const result = await gw.graphql<{ gatewayStatus: { live: boolean; watches: Array<{ resource: string; state: string; synced: boolean; relists: number }>; cursors: { mpiJobs: string } } }>(
      '{ gatewayStatus { live watches { resource namespace state synced relists lastEventAt } cursors { mpiJobs pods events } checkedAt } }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.gatewayStatus.live).toBe(true);
    expect(result.data?.gatewayStatus.watches.map((w) => w.resource).sort()).toEqual(['events', 'mpijobs', 'namespaces', 'pods', 'resourcequotas']);
    expect(result.data?.gatewayStatus.watches.every((w) => w.state === 'LIVE' && w.synced && w.relists === 0)).toBe(true);

    const { client: ws } = await client();
    const status = record<{ gatewayStatus: { live: boolean } }>(ws, 'subscription { gatewayStatus { live watches { resource state } } }');
    const [first] = await status.until((rs) => rs.length > 0);
    expect(first?.data?.gatewayStatus.live).toBe(true);
    status.unsubscribe();
  });

  it('gives a cursor to subscribe with, after a query, without missing a change', async () => {
    const { client: ws } = await client();
    const read = await gw.graphql<{ gatewayStatus: { cursors: { mpiJobs: string } }; mpiJob: { name: string } }>(
      '{ mpiJob(namespace: "team-b", name: "llm-pretrain") { name } gatewayStatus { cursors { mpiJobs } } }',
    );
    await gw.admin.request({
      method: 'PATCH',
      path: '/apis/kubeflow.org/v2beta1/namespaces/team-b/mpijobs/llm-pretrain',
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { seen: 'between' } } },
    });
    while (gw.gateway.caches.mpiJobs.get('team-b', 'llm-pretrain')?.metadata.labels?.['seen'] !== 'between') await new Promise((r) => setTimeout(r, 10));
    const changes = record<{ mpiJobChanged: { type: string; job: { labels: Array<{ key: string }> } } }>(
      ws,
      'subscription ($after: String) { mpiJobChanged(namespace: "team-b", name: "llm-pretrain", after: $after) { type job { labels { key } } } }',
      { after: read.data?.gatewayStatus.cursors.mpiJobs },
    );
    const [first] = await changes.until((rs) => rs.length > 0);
    expect(first?.data?.mpiJobChanged.type).toBe('MODIFIED');
    expect(first?.data?.mpiJobChanged.job.labels.map((l) => l.key)).toContain('seen');
    changes.unsubscribe();
  });
});

describe('/metrics', () => {
  it('counts connections, subscribers per hub and log streams', async () => {
    const { client: ws } = await client();
    const before = gw.gateway.live.hubs.pods.stats().subscribers;
    record(ws, 'subscription { podChanged(namespace: "team-a") { type } }');
    while (gw.gateway.live.hubs.pods.stats().subscribers <= before) await new Promise((resolve) => setTimeout(resolve, 10));
    const text = await (await fetch(gw.url.replace('/graphql', '/metrics'))).text();
    const value = (line: string) => Number(text.split('\n').find((l) => l.startsWith(line))?.split(' ').at(-1));
    expect(value('mpijob_gateway_websocket_connections ')).toBeGreaterThanOrEqual(1);
    expect(value('mpijob_gateway_change_subscribers{kind="pods"}')).toBe(before + 1);
    expect(text).toContain('mpijob_gateway_log_streams_open ');
  });
});

describe('shutdown', () => {
  it('closes every client with 1001 and refuses new connections while draining', async () => {
    const handles = await Promise.all([client(), client()]);
    const live = handles.map((h) => record(h.client, 'subscription { gatewayStatus { live } }'));
    await Promise.all(live.map((r) => r.until((rs) => rs.length > 0)));
    const stopping = gw.gateway.subscriptions.drain();
    const codes = await Promise.all(handles.map((h) => h.closed));
    await stopping;
    expect(codes).toEqual([1001, 1001]);
    const late = new WebSocket(wsUrl(gw.url), 'graphql-transport-ws');
    const refused = await new Promise<number | undefined>((resolve) => {
      late.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      late.on('open', () => resolve(undefined));
      late.on('error', () => resolve(undefined));
    });
    expect(refused).toBe(503);
    expect(gw.gateway.subscriptions.stats()).toMatchObject({ connections: 0, subscriptions: 0 });
  });
});
