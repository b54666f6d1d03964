// The gateway on a throwaway embedded cluster, in the test process: the cluster on loopback
// HTTPS, the gateway on port 0, and helpers that speak GraphQL to it over real HTTP.

import { pino } from 'pino';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import { KubeClient, loadKubeConfig } from '../../src/kube/client.ts';
import { startTestCluster, type TestCluster, type TestClusterOptions } from './embedded-cluster.ts';

export interface GraphQLResponse<T> {
  data?: T;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

export interface TestGateway {
  cluster: TestCluster;
  gateway: Gateway;
  /** A Kubernetes client of its own (cluster-admin), so test set-up never shows in the gateway's counts. */
  admin: KubeClient;
  url: string;
  /** POSTs one operation; resolves to the parsed JSON body, whatever the HTTP status. */
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** Re-runs `query` until `done(data)` holds; the test's own timeout bounds the wait. */
  waitFor<T>(query: string, variables: Record<string, unknown>, done: (data: T) => boolean, pollMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions extends TestClusterOptions {
  /** Default all. */
  namespaces?: 'all' | string[];
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const cluster = await startTestCluster(options);
  const gateway = await startGateway({
    kube: { kind: 'kubeconfig', path: cluster.kubeconfigPath },
    namespaces: options.namespaces ?? 'all',
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: process.env['LOG_LEVEL'] ?? 'silent' }),
  });
  await gateway.synced;
  const admin = new KubeClient({ config: loadKubeConfig({ kind: 'kubeconfig', path: cluster.kubeconfigPath }) });
  const graphql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<T>;
  };
  return {
    cluster,
    gateway,
    admin,
    url: gateway.url,
    graphql,
    async waitFor<T>(query: string, variables: Record<string, unknown>, done: (data: T) => boolean, pollMs = 100): Promise<T> {
      for (;;) {
        const result = await graphql<T>(query, variables);
        if (result.errors) throw new Error(`query failed: ${JSON.stringify(result.errors)}`);
        if (result.data && done(result.data)) return result.data;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    async stop() {
      await gateway.stop();
      await admin.close();
      await cluster.cleanup();
    },
  };
}
