// Hardening of the WebSocket endpoint over real sockets: credentials at connection_init (and again
// at every subscribe), the init timeout, the origin allowlist, per-user caps and the document
// limits. After every test the gateway still serves HTTP and WebSocket clients.

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import { parseTokenFile } from '../../src/auth/token-file.ts';
import { startBackendCluster, type BackendCluster } from '../utils/test-backend.ts';
import { connect, errorCodes, record, wsUrl, type ClientHandle } from '../utils/subscriptions.ts';

/** graphql-ws close codes (the protocol's): refused connection_init, and no connection_init in time. */
const CLOSE_FORBIDDEN = 4403;
const CLOSE_INIT_TIMEOUT = 4408;
const GRAPHQL_WS_PROTOCOL = 'graphql-transport-ws';
const ALLOWED_ORIGIN = 'https://dashboard.example.com';
const INIT_TIMEOUT_MS = 300;
const MAX_SUBSCRIPTIONS_PER_USER = 4;
const MAX_CONNECTIONS_PER_USER = 3;

let cluster: BackendCluster;
let gateway: Gateway;
let tokenFile: string;
let tokens: Record<'admin' | 'alice' | 'bob', string>;
const clients: ClientHandle[] = [];

beforeAll(async () => {
  cluster = await startBackendCluster({ timeScale: 60 });
  // A copy of the demo token file, which this suite edits to revoke a token.
  tokenFile = join(cluster.dataDir, 'gateway-tokens.csv');
  copyFileSync(cluster.tokenFilePath, tokenFile);
  tokens = Object.fromEntries(parseTokenFile(readFileSync(tokenFile, 'utf8')).map((e) => [e.identity.username, e.token])) as typeof tokens;
  gateway = await startGateway({
    kube: { kind: 'kubeconfig', path: cluster.kubeconfigPath },
    namespaces: 'all',
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    auth: { strategy: 'token-file', tokenFile },
    audit: { file: join(cluster.dataDir, 'audit.log') },
    allowedOrigins: [ALLOWED_ORIGIN],
    subscriptions: {
      connectionInitWaitTimeoutMs: INIT_TIMEOUT_MS,
      maxSubscriptionsPerUser: MAX_SUBSCRIPTIONS_PER_USER,
      maxConnectionsPerUser: MAX_CONNECTIONS_PER_USER,
    },
  });
  await gateway.synced;
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await gateway?.stop();
  await cluster?.cleanup();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  const url = gateway.url;
  expect((await fetch(url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
  const admin = await connect(url, { authorization: `Bearer ${tokens.admin}` });
  const status = record<{ gatewayStatus: { live: boolean } }>(admin.client, 'subscription { gatewayStatus { live } }');
  await status.until((results) => results.length > 0);
  status.unsubscribe();
  await admin.dispose();
});

async function as(user: 'admin' | 'alice' | 'bob'): Promise<ClientHandle> {
  const handle = await connect(gateway.url, { authorization: `Bearer ${tokens[user]}` });
  clients.push(handle);
  return handle;
}

/** A raw socket speaking the graphql-ws subprotocol; resolves with the HTTP status of a refused upgrade, or the close code. */
function rawSocket(headers: Record<string, string> = {}, onOpen: (ws: WebSocket) => void = () => undefined): Promise<{ status?: number; code?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(gateway.url), GRAPHQL_WS_PROTOCOL, { headers });
    ws.on('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode });
      ws.terminate();
    });
    ws.on('open', () => onOpen(ws));
    ws.on('close', (code) => resolve({ code }));
    ws.on('error', () => undefined);
  });
}

describe('credentials', () => {
  it('closes a connection without credentials with Forbidden (4403)', async () => {
    const handle = await connect(gateway.url, { awaitAck: false });
    expect(await handle.closed).toBe(CLOSE_FORBIDDEN);
  });

  it('closes a connection with an unknown token or a bare token with Forbidden (4403)', async () => {
    for (const authorization of ['Bearer made-up', tokens.alice]) {
      const handle = await connect(gateway.url, { authorization, awaitAck: false });
      expect(await handle.closed).toBe(CLOSE_FORBIDDEN);
    }
  });

  it('closes a connection that never sends connection_init (4408)', async () => {
    const started = Date.now();
    expect(await rawSocket()).toEqual({ code: CLOSE_INIT_TIMEOUT });
    expect(Date.now() - started).toBeGreaterThanOrEqual(INIT_TIMEOUT_MS - 50);
  });

  it('refuses the next subscribe once the token is revoked, on a connection opened with it', async () => {
    const original = readFileSync(tokenFile, 'utf8');
    const bob = await as('bob');
    const before = record<{ gatewayStatus: { live: boolean } }>(bob.client, 'subscription { gatewayStatus { live } }');
    await before.until((results) => results.length > 0);
    writeFileSync(tokenFile, original.split('\n').filter((line) => !line.includes(tokens.bob)).join('\n'));
    try {
      // The token file is checked for changes at most once a second.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const after = record(bob.client, 'subscription { gatewayStatus { live } }');
      await after.done.catch(() => undefined);
      expect(errorCodes(after.error)).toEqual(['UNAUTHENTICATED']);
      expect(JSON.stringify(after.error)).not.toContain(tokens.bob);
    } finally {
      writeFileSync(tokenFile, original);
      before.unsubscribe();
      await new Promise((resolve) => setTimeout(resolve, 1_200));
    }
  });
});

describe('origins', () => {
  it('refuses an upgrade from a foreign origin with 403, and accepts the allowlisted and the gateway\'s own', async () => {
    expect(await rawSocket({ origin: 'https://evil.example' })).toEqual({ status: 403 });
    const host = new URL(gateway.url).host;
    for (const origin of [ALLOWED_ORIGIN, `http://${host}`]) {
      const result = await rawSocket({ origin }, (ws) => ws.close(1000));
      expect(result, origin).toEqual({ code: 1000 });
    }
  });
});

describe('floods', () => {
  it('caps subscriptions per user across connections with TOO_MANY_SUBSCRIPTIONS, without touching other users', async () => {
    const first = await as('alice');
    const second = await as('alice');
    const open = [first, second, first, second].map((c) => record(c.client, 'subscription { gatewayStatus { live } }'));
    await Promise.all(open.map((r) => r.until((results) => results.length > 0)));
    const refused = record(first.client, 'subscription { gatewayStatus { live } }');
    await refused.done.catch(() => undefined);
    expect(errorCodes(refused.error)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    const bob = record((await as('bob')).client, 'subscription { gatewayStatus { live } }');
    await bob.until((results) => results.length > 0);
    // A slot given back can be used again.
    open[0]?.unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = record(second.client, 'subscription { gatewayStatus { live } }');
    await again.until((results) => results.length > 0);
  });

  it('caps connections per user with Forbidden (4403)', async () => {
    for (let i = 0; i < MAX_CONNECTIONS_PER_USER; i += 1) await as('bob');
    const extra = await connect(gateway.url, { authorization: `Bearer ${tokens.bob}`, awaitAck: false });
    expect(await extra.closed).toBe(CLOSE_FORBIDDEN);
    await as('alice');
  });

  it('refuses deep, aliased and costly subscriptions with a validation error and keeps the connection', async () => {
    const admin = await as('admin');
    let deep = 'name';
    for (let i = 0; i < 10; i += 1) deep = i % 2 === 0 ? `launcher { ${deep} }` : `job { ${deep} }`;
    const documents = [
      `subscription { mpiJobChanged { job { ${deep.startsWith('launcher') ? deep : `launcher { ${deep} }`} } } }`,
      `subscription { mpiJobChanged { ${Array.from({ length: 16 }, (_, i) => `a${i}: type`).join(' ')} } }`,
      'subscription($n: Int) { mpiJobChanged { job { workers(first: $n) { nodes { events(first: $n) { nodes { message } } } } } } }',
    ];
    for (const query of documents) {
      const recorder = record(admin.client, query);
      await recorder.done.catch(() => undefined);
      expect(errorCodes(recorder.error), query.slice(0, 60)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
    const fine = record(admin.client, 'subscription { gatewayStatus { live } }');
    await fine.until((results) => results.length > 0);
  });
});

describe('credentials that expire', () => {
  let oidc: Gateway;
  let key: CryptoKey;
  const issuer = 'https://issuer.example';

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k', alg: 'ES256' };
    oidc = await startGateway({
      kube: { kind: 'kubeconfig', path: cluster.kubeconfigPath },
      namespaces: 'all',
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      auth: { strategy: 'oidc', issuer, audiences: ['gateway'], keys: createLocalJWKSet({ keys: [jwk] }) },
      audit: {},
    });
    await oidc.synced;
  });

  afterAll(async () => {
    await oidc?.stop();
  });

  const token = (subject: string, expiresInSeconds: number) =>
    new SignJWT({ groups: ['ml'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setSubject(subject)
      .setIssuer(issuer)
      .setAudience('gateway')
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
      .sign(key);

  it('serves an OIDC user as the RBAC subject its token names, over HTTP and WebSocket', async () => {
    const bearer = `Bearer ${await token('bob', 600)}`;
    const response = await fetch(oidc.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: bearer }, body: JSON.stringify({ query: '{ viewer { username groups namespaces } }' }) });
    expect(await response.json()).toEqual({ data: { viewer: { username: 'bob', groups: ['ml', 'system:authenticated'], namespaces: ['team-b'] } } });
    const handle = await connect(oidc.url, { authorization: bearer });
    clients.push(handle);
    const status = record(handle.client, 'subscription { gatewayStatus { live } }');
    await status.until((results) => results.length > 0);
  });

  it('refuses an expired token at connection_init, and closes a connection when its token expires', async () => {
    const expired = await connect(oidc.url, { authorization: `Bearer ${await token('bob', -60)}`, awaitAck: false });
    expect(await expired.closed).toBe(CLOSE_FORBIDDEN);
    const shortLived = await connect(oidc.url, { authorization: `Bearer ${await token('bob', 2)}` });
    clients.push(shortLived);
    expect(await shortLived.closed).toBe(CLOSE_FORBIDDEN);
  });
});
