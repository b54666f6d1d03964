// `npm run bench` (node bench/dashboard.ts [--duration-ms N] [--concurrency N] [--jobs N] [--workers N]):
// throughput and latency of the dashboard query (100 MPIJobs with their workers and status)
// against the gateway on an embedded cluster, and of `{ __typename }` against a bare Apollo
// Server on the same HTTP stack, on this machine in this run; prints both and their ratio.
// Also prints the Kubernetes requests the gateway made while under load (expected: no reads,
// only the caller's SubjectAccessReviews, renewed every ACCESS_CACHE_TTL_MS).
// Not a test: figures vary with the machine; nothing here passes or fails.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { pino } from 'pino';
import { startEmbeddedCluster } from '../src/cluster/cluster.ts';
import { startGateway } from '../src/gateway.ts';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import { percentile, runBench } from './common.ts';

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '10000' },
    'warmup-ms': { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    jobs: { type: 'string', default: '100' },
    workers: { type: 'string', default: '2' },
  },
});
const DURATION_MS = Number(values['duration-ms']);
const WARMUP_MS = Number(values['warmup-ms']);
const CONCURRENCY = Number(values.concurrency);
const JOBS = Number(values.jobs);
const WORKERS = Number(values.workers);
const NAMESPACE = 'bench';
/** Every request carries the bench user's token once the gateway accepts it (the bare server ignores it). */
const HEADERS: Record<string, string> = { 'content-type': 'application/json' };
const BENCH_TOKEN = randomBytes(32).toString('base64url');
/** Simulated run time of the bench jobs: they stay Running for the whole benchmark. */
const JOB_DURATION = '10h';

const DASHBOARD_QUERY = /* GraphQL */ `
  query Dashboard($ns: String!, $first: Int!) {
    mpiJobs(namespace: $ns, first: $first) {
      totalCount
      edges {
        node {
          id name namespace phase queue createdAt
          status { startTime completionTime durationSeconds replicaStatuses { type active succeeded failed } }
          launcher { id name phase ready restarts }
          workers { totalCount nodes { id name rank phase ready restarts nodeName } }
        }
      }
    }
  }
`;

interface Result {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}


/** Closed-loop load: CONCURRENCY clients each send the next request when the last one answered. */
async function load(url: string, body: string, check: (json: unknown) => boolean, durationMs: number): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const response = await fetch(url, { method: 'POST', headers: HEADERS, body });
      const json: unknown = await response.json();
      latencies.push(performance.now() - t0);
      if (response.status !== 200 || !check(json)) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  return { requests: latencies.length, errors, seconds: (performance.now() - started) / 1000, latenciesMs: latencies.sort((a, b) => a - b) };
}

async function measure(name: string, url: string, body: string, check: (json: unknown) => boolean): Promise<Result> {
  await load(url, body, check, WARMUP_MS);
  const result = await load(url, body, check, DURATION_MS);
  const rps = result.requests / result.seconds;
  process.stdout.write(
    `${name.padEnd(28)} ${rps.toFixed(1).padStart(9)} req/s   p50 ${percentile(result.latenciesMs, 50).toFixed(2).padStart(8)} ms   p99 ${percentile(result.latenciesMs, 99).toFixed(2).padStart(8)} ms   (${result.requests} requests, ${result.errors} errors)\n`,
  );
  return result;
}

async function startBareApollo(): Promise<{ url: string; stop: () => Promise<void> }> {
  const app = express();
  const httpServer: Server = createServer(app);
  const apollo = new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', stopOnTerminationSignals: false });
  await apollo.start();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    stop: async () => {
      await apollo.stop();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

async function createJobs(admin: KubeClient): Promise<void> {
  await admin.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } });
  for (let i = 0; i < JOBS; i += 1) {
    await admin.request({
      method: 'POST',
      path: `/apis/kubeflow.org/v2beta1/namespaces/${NAMESPACE}/mpijobs`,
      body: {
        apiVersion: 'kubeflow.org/v2beta1',
        kind: 'MPIJob',
        metadata: { name: `bench-${String(i).padStart(3, '0')}`, annotations: { 'sim.mpijob-gateway.dev/duration': JOB_DURATION } },
        spec: {
          slotsPerWorker: 1,
          mpiReplicaSpecs: {
            Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'launcher', image: 'mpioperator/mpi-pi:openmpi', command: ['mpirun', 'pi'] }] } } },
            Worker: { replicas: WORKERS, template: { spec: { containers: [{ name: 'worker', image: 'mpioperator/mpi-pi:openmpi' }] } } },
          },
        },
      },
    });
  }
}

interface DashboardData {
  data?: { mpiJobs: { totalCount: number; edges: Array<{ node: { phase: string; workers: { nodes: Array<{ phase: string }> } } }> } };
  errors?: unknown[];
}

function fullDashboard(json: unknown): boolean {
  const body = json as DashboardData;
  return !body.errors && body.data?.mpiJobs.edges.length === JOBS && body.data.mpiJobs.edges.every((e) => e.node.workers.nodes.length === WORKERS);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mpijob-bench-'));
  const cluster = await startEmbeddedCluster({ dataDir, ephemeral: true, timeScale: 1, seed: false });
  // Without the seed there are no demo users: the bench calls as a member of system:masters.
  const benchTokenFile = join(dataDir, 'bench-tokens.csv');
  writeFileSync(benchTokenFile, `${BENCH_TOKEN},bench,bench,system:masters\n`, { mode: 0o600 });
  const gateway = await startGateway({
    kube: { kind: 'kubeconfig', path: cluster.kubeconfigPath },
    namespaces: 'all',
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    auth: { strategy: 'token-file', tokenFile: benchTokenFile },
    audit: { file: join(dataDir, 'audit.log') },
  });
  HEADERS['authorization'] = `Bearer ${BENCH_TOKEN}`;
  const admin = new KubeClient({ config: loadKubeConfig({ kind: 'kubeconfig', path: cluster.kubeconfigPath }) });
  const bare = await startBareApollo();
  try {
    await gateway.synced;
    process.stdout.write(`creating ${JOBS} MPIJobs with ${WORKERS} workers each in namespace ${NAMESPACE} ...\n`);
    await createJobs(admin);
    const dashboard = JSON.stringify({ query: DASHBOARD_QUERY, variables: { ns: NAMESPACE, first: JOBS } });
    for (;;) {
      const response = await fetch(gateway.url, { method: 'POST', headers: HEADERS, body: dashboard });
      const json = (await response.json()) as DashboardData;
      const running = json.data?.mpiJobs.edges.filter((e) => e.node.phase === 'RUNNING' && e.node.workers.nodes.every((w) => w.phase === 'RUNNING')).length ?? 0;
      if (fullDashboard(json) && running === JOBS) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const bytes = (await (await fetch(gateway.url, { method: 'POST', headers: HEADERS, body: dashboard })).text()).length;
    process.stdout.write(
      `all ${JOBS} jobs running; dashboard answer ${(bytes / 1024).toFixed(0)} KiB; ${CONCURRENCY} concurrent clients, ${WARMUP_MS} ms warm-up, ${DURATION_MS} ms measured each\n\n`,
    );

    const nonWatch = () => gateway.kube.counter.total((s) => s.verb !== 'watch');
    const reviews = () => gateway.kube.counter.total((s) => s.resource === 'subjectaccessreviews');
    const before = nonWatch();
    const reviewsBefore = reviews();
    const gatewayResult = await measure('gateway dashboard query', gateway.url, dashboard, fullDashboard);
    const kubeDuringLoad = nonWatch() - before;
    const reviewsDuringLoad = reviews() - reviewsBefore;
    const bareResult = await measure('bare Apollo { __typename }', bare.url, JSON.stringify({ query: '{ __typename }' }), (json) => {
      return (json as { data?: { __typename?: string } }).data?.__typename === 'Query';
    });

    const gatewayRps = gatewayResult.requests / gatewayResult.seconds;
    const bareRps = bareResult.requests / bareResult.seconds;
    process.stdout.write(
      `\nthroughput ratio (dashboard / bare): ${(gatewayRps / bareRps).toFixed(3)}  (bare is ${(bareRps / gatewayRps).toFixed(1)}x faster)\n` +
        `p50 latency ratio (dashboard / bare): ${(percentile(gatewayResult.latenciesMs, 50) / percentile(bareResult.latenciesMs, 50)).toFixed(1)}x\n` +
        `Kubernetes requests (other than watches) made by the gateway during its load: ${kubeDuringLoad} (${reviewsDuringLoad} of them SubjectAccessReviews)\n`,
    );
  } finally {
    await bare.stop();
    await admin.close();
    await gateway.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
