// The listener itself: shutdown with open streams, requests that never reach a handler in one
// piece, and the promise that the server keeps serving whatever it is sent.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { startTestApiServer } from '../../../test/utils/apiserver.ts';
import type { AdmissionPlugin, UserInfo } from './admission.ts';
import { DECISION, type AuthorizationAttributes, type Authorizer } from './authorization.ts';
import { findResource, type ResourceInfo } from './resources.ts';
import type { ReviewHandler } from './reviews.ts';
import { openStore } from './storage.ts';

function resource(group: string, version: string, name: string): ResourceInfo {
  const info = findResource(group, version, name);
  if (!info) throw new Error(`no resource ${name}`);
  return info;
}

const pods = resource('', 'v1', 'pods');

/** Sends bytes as they are over TLS and returns what the server answers before hanging up. */
function rawExchange(port: number, caPem: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }, () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('startApiServer', () => {
  it('listens on a random loopback port with an https URL', async () => {
    const api = await startTestApiServer();
    try {
      expect(api.server.port).toBeGreaterThan(0);
      expect(api.url).toBe(`https://127.0.0.1:${api.server.port}`);
    } finally {
      await api.close();
    }
  });

  it('ends open watches and log follows when it closes, and close() resolves', async () => {
    const api = await startTestApiServer();
    const core = api.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'n' } } });
    api.store.create(pods, { metadata: { name: 'p', namespace: 'n' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'i' }] } });
    api.store.writeStatus(pods, 'n', 'p', { containerStatuses: [{ name: 'c', restartCount: 0, state: { running: {} } }] });
    const watch = await api.stream('/api/v1/namespaces/n/configmaps?watch=true');
    const follow = await api.stream('/api/v1/namespaces/n/pods/p/log?follow=true');
    await api.server.close();
    await Promise.all([watch.ended, follow.ended]);
    await api.close();
  });

  it('answers malformed HTTP with a JSON 400 Status', async () => {
    const api = await startTestApiServer();
    try {
      const answer = await rawExchange(api.server.port, api.tls.caPem, 'THIS IS NOT HTTP\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer).toContain('Content-Type: application/json');
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ kind: 'Status', code: 400 });
      expect((await api.raw('/healthz')).body).toBe('ok');
    } finally {
      await api.close();
    }
  });

  it('answers a path with broken percent-encoding with 400 and keeps serving', async () => {
    const api = await startTestApiServer();
    try {
      const result = await api.raw('/api/v1/namespaces/%E0%A4%A');
      expect(result.status).toBe(400);
      expect(JSON.parse(result.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
      expect((await api.raw('/api/v1/namespaces')).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('serves what an earlier server wrote to the same SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiserver-state-'));
    try {
      const path = join(dir, 'cluster.db');
      const firstStore = openStore({ path });
      const first = await startTestApiServer({ store: firstStore });
      const firstCore = first.kubeConfig.makeApiClient(CoreV1Api);
      await firstCore.createNamespace({ body: { metadata: { name: 'kept' } } });
      const written = await firstCore.createNamespacedConfigMap({ namespace: 'kept', body: { metadata: { name: 'cm' }, data: { a: '1' } } });
      await first.close();
      firstStore.close();

      const secondStore = openStore({ path });
      const second = await startTestApiServer({ store: secondStore });
      try {
        const read = await second.kubeConfig.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'cm', namespace: 'kept' });
        expect(read.data).toEqual({ a: '1' });
        expect(read.metadata?.uid).toBe(written.metadata?.uid);
        expect(read.metadata?.resourceVersion).toBe(written.metadata?.resourceVersion);
      } finally {
        await second.close();
        secondStore.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('authorization, impersonation and reviews', () => {
  const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };
  /** Lets alice read namespaces only; the test admin may do anything. */
  const authorizer: Authorizer = {
    authorize(attributes: AuthorizationAttributes) {
      if (attributes.user.groups.includes('system:masters')) return { decision: DECISION.allow, reason: '' };
      const readsNamespaces = attributes.resourceRequest && attributes.resource === 'namespaces' && ['get', 'list'].includes(attributes.verb);
      return { decision: readsNamespaces ? DECISION.allow : DECISION.noOpinion, reason: '' };
    },
  };

  it('answers what the authorizer refuses with the real 403 and serves what it allows', async () => {
    const api = await startTestApiServer({ authorizer, users: { 'alice-token': alice } });
    try {
      const aliceCore = api.kubeConfigWithToken('alice-token').makeApiClient(CoreV1Api);
      await api.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'team-b' } } });
      expect((await aliceCore.listNamespace()).items.map((n) => n.metadata?.name)).toEqual(['team-b']);
      const refused = await api.raw('/apis/kubeflow.org/v2beta1/namespaces/team-b/mpijobs', { headers: { Authorization: 'Bearer alice-token' }, auth: false });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toMatchObject({
        reason: 'Forbidden',
        message: 'mpijobs.kubeflow.org is forbidden: User "alice" cannot list resource "mpijobs" in API group "kubeflow.org" in the namespace "team-b"',
      });
    } finally {
      await api.close();
    }
  });

  it('runs requests as the impersonated user when the caller may impersonate', async () => {
    const seen: string[] = [];
    const recorder: AdmissionPlugin = {
      name: 'recorder',
      validate(request) {
        seen.push(`${request.user.username} ${request.object?.metadata.name ?? ''}`);
      },
    };
    /** As `authorizer`, and alice may also create configmaps. */
    const withCreate: Authorizer = {
      authorize(attributes) {
        if (attributes.resourceRequest && attributes.resource === 'configmaps' && attributes.verb === 'create' && attributes.user.username === 'alice') {
          return { decision: DECISION.allow, reason: '' };
        }
        return authorizer.authorize(attributes);
      },
    };
    const api = await startTestApiServer({ authorizer: withCreate, admission: [recorder], users: { 'alice-token': alice } });
    try {
      await api.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'imp' } } });
      const asAlice = await api.raw('/api/v1/namespaces/imp/configmaps', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Impersonate-User': 'alice' },
        body: '{"metadata":{"name":"by-alice"}}',
      });
      expect(asAlice.status).toBe(201);
      const refused = await api.raw('/api/v1/namespaces/imp/secrets', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Impersonate-User': 'alice' },
        body: '{"metadata":{"name":"s"}}',
      });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).message).toContain('User "alice" cannot create resource "secrets"');
      // alice may not impersonate anyone.
      const byAlice = await api.raw('/api/v1/namespaces', { auth: false, headers: { Authorization: 'Bearer alice-token', 'Impersonate-User': 'test-admin' } });
      expect(byAlice.status).toBe(403);
      expect(seen).toEqual(['test-admin imp', 'alice by-alice']);
    } finally {
      await api.close();
    }
  });

  it('answers the virtual review kinds through the review handler, storing nothing', async () => {
    const reviews: ReviewHandler = {
      serves: (info) => info.resource === 'selfsubjectreviews',
      create: (request) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', status: { userInfo: { username: request.user.username } } }),
    };
    const api = await startTestApiServer({ reviews });
    try {
      const path = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
      const created = await api.raw(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' });
      expect(created.status).toBe(201);
      expect(JSON.parse(created.body).status).toEqual({ userInfo: { username: 'test-admin' } });
      expect(api.store.currentResourceVersion()).toBe(0);
      expect((await api.raw(path)).status).toBe(405);
      const unserved = await api.raw('/apis/authentication.k8s.io/v1/tokenreviews', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(unserved.status).toBe(404);
    } finally {
      await api.close();
    }
  });
});
