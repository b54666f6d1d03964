// The gateway on a throwaway cluster, in the test process: the cluster on loopback HTTPS (the
// embedded one, or a real kube-apiserver with GATEWAY_TEST_BACKEND=kube-apiserver, see
// test-backend.ts), the gateway on port 0 with the cluster's demo token file, and helpers that
// speak GraphQL to it over real HTTP, as `admin` unless told to act as `alice` or `bob`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { parseTokenFile } from '../../src/auth/token-file.ts';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway.ts';
import { KubeClient, loadKubeConfig } from '../../src/kube/client.ts';
import type { TestClusterOptions } from './embedded-cluster.ts';
import { startBackendCluster, type BackendCluster } from './test-backend.ts';

export interface GraphQLResponse<T> {
  data?: T;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

/** The demo users the embedded cluster writes tokens for (see src/cluster/rbac-seed.ts). */
export type DemoUser = 'admin' | 'alice' | 'bob';
export const DEMO_USERS: readonly DemoUser[] = ['admin', 'alice', 'bob'];

export interface GraphQLClient {
  /** POSTs one operation; resolves to the parsed JSON body, whatever the HTTP status. */
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** Re-runs `query` until `done(data)` holds; the test's own timeout bounds the wait. */
  waitFor<T>(query: string, variables: Record<string, unknown>, done: (data: T) => boolean, pollMs?: number): Promise<T>;
}

export interface TestGateway extends GraphQLClient {
  cluster: BackendCluster;
  gateway: Gateway;
  /** A Kubernetes client of its own (cluster-admin), so test set-up never shows in the gateway's counts. */
  admin: KubeClient;
  url: string;
  /** The demo users' bearer tokens, from the cluster's token file. */
  tokens: Readonly<Record<DemoUser, string>>;
  /** The audit file the gateway appends to. */
  auditFile: string;
  /** The same helpers, acting as another demo user, or with any `Authorization` value (or none). */
  as(user: DemoUser | { authorization: string | undefined }): GraphQLClient;
  stop(): Promise<void>;
}

export interface TestGatewayOptions extends TestClusterOptions {
  /** Default all. */
  namespaces?: 'all' | string[];
  /** Passed to startGateway; the token-file strategy with the cluster's tokens by default. */
  gateway?: Partial<Omit<GatewayOptions, 'kube' | 'namespaces' | 'host' | 'port' | 'logger'>>;
  /** The gateway's logger; default silent (or LOG_LEVEL). */
  logger?: Logger;
}

function client(url: string, authorization: string | undefined): GraphQLClient {
  const graphql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(authorization !== undefined ? { authorization } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<T>;
  };
  return {
    graphql,
    async waitFor<T>(query: string, variables: Record<string, unknown>, done: (data: T) => boolean, pollMs = 100): Promise<T> {
      for (;;) {
        const result = await graphql<T>(query, variables);
        if (result.errors) throw new Error(`query failed: ${JSON.stringify(result.errors)}`);
        if (result.data && done(result.data)) return result.data;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
  };
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const cluster = await startBackendCluster(options);
  const tokens = Object.fromEntries(
    parseTokenFile(readFileSync(cluster.tokenFilePath, 'utf8')).map((entry) => [entry.identity.username, entry.token]),
  ) as Record<DemoUser, string>;
  const auditFile = join(cluster.dataDir, 'audit.log');
  // A real control plane is a set of processes: a gateway that fails to start must not leave it running.
  const gateway = await startGateway({
    kube: { kind: 'kubeconfig', path: cluster.kubeconfigPath },
    namespaces: options.namespaces ?? 'all',
    host: '127.0.0.1',
    port: 0,
    logger: options.logger ?? pino({ level: process.env['LOG_LEVEL'] ?? 'silent' }),
    auth: { strategy: 'token-file', tokenFile: cluster.tokenFilePath },
    audit: { file: auditFile },
    ...options.gateway,
  }).catch(async (error: unknown) => {
    await cluster.cleanup();
    throw error;
  });
  await gateway.synced;
  const admin = new KubeClient({ config: loadKubeConfig({ kind: 'kubeconfig', path: cluster.kubeconfigPath }) });
  const asAdmin = client(gateway.url, `Bearer ${tokens.admin}`);
  return {
    ...asAdmin,
    cluster,
    gateway,
    admin,
    url: gateway.url,
    tokens,
    auditFile,
    as: (user) => client(gateway.url, typeof user === 'string' ? `Bearer ${tokens[user]}` : user.authorization),
    async stop() {
      await gateway.stop();
      await admin.close();
      await cluster.cleanup();
    },
  };
}
