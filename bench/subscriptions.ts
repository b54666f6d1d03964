// `npm run bench:subscriptions` (node --expose-gc bench/subscriptions.ts [--tiers 1000,5000,10000]
// [--changes 20] [--warmup-changes 3] [--per-connection 2] [--log-subscribers 1,100] [--log-ranks 256] [--log-steps 200]
// [--time-scale 20]): live subscriptions on this machine in this run. The gateway and an embedded
// cluster run in this process's main thread; real graphql-ws clients run in a worker thread of
// the same process (bench/subscription-clients.ts) and connect over loopback.
//
// Changes: N subscribers of one MPIJob; the bench patches an annotation carrying the time it sent
// the patch, and every subscriber notes when the change reached it. Reported per tier: delay
// from the Kubernetes write to delivery (p50, p99, max), the gateway thread's heap per
// subscriber (the clients' heap is the worker's, not counted), the process RSS per subscriber
// (clients included), payload executions against deliveries, and the upstream watch and list
// requests made meanwhile (expected: 0).
// Logs: a simulated launcher printing one rank-tagged line per rank per step, followed from the
// start by 1 and by 100 subscribers; reported: the rate the emulator produced lines at, lines per
// second to each subscriber over the common window, in total, and the upstream streams opened.
// Not a test: figures vary with the machine and what else runs on it; nothing passes or fails.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { parseTokenFile } from '../src/auth/token-file.ts';
import { startEmbeddedCluster } from '../src/cluster/cluster.ts';
import { startGateway, type Gateway } from '../src/gateway.ts';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import type { ClientCommand, ClientReport } from './subscription-clients.ts';
import { percentile, runBench } from './common.ts';

const { values } = parseArgs({
  options: {
    tiers: { type: 'string', default: '1000,5000,10000' },
    changes: { type: 'string', default: '20' },
    'warmup-changes': { type: 'string', default: '3' },
    'per-connection': { type: 'string', default: '2' },
    'pause-ms': { type: 'string', default: '200' },
    'log-subscribers': { type: 'string', default: '1,100' },
    'log-ranks': { type: 'string', default: '256' },
    'log-steps': { type: 'string', default: '200' },
    'time-scale': { type: 'string', default: '20' },
  },
});
const TIERS = values.tiers.split(',').map(Number).filter((n) => n > 0);
const CHANGES = Number(values.changes);
/** Changes sent first and not counted: the first fan-outs after thousands of connects pay for JIT and GC of the set-up. */
const WARMUP_CHANGES = Number(values['warmup-changes']);
const PER_CONNECTION = Number(values['per-connection']);
const PAUSE_MS = Number(values['pause-ms']);
const LOG_SUBSCRIBERS = values['log-subscribers'].split(',').map(Number).filter((n) => n > 0);
const LOG_RANKS = Number(values['log-ranks']);
const LOG_STEPS = Number(values['log-steps']);
/** Simulated time runs this much faster: the log job's 100 ms steps come every 5 ms at 20. */
const TIME_SCALE = Number(values['time-scale']);

const NAMESPACE = 'bench';
const TARGET_JOB = 'bench-target';
const SENT_ANNOTATION = 'bench.mpijob-gateway.dev/sent-ms';
/** Hang guards, not measurements. */
const DELIVERY_TIMEOUT_MS = 60_000;
const LOG_TIMEOUT_MS = 300_000;
const SLOTS_PER_WORKER = 64;
/** Simulated time between progress steps of the log job: the simulator's shortest. */
const LOG_INTERVAL_SIM_MS = 100;
const STARTUP_SIM_MS = 1_500;

const CHANGE_SUBSCRIPTION = /* GraphQL */ `
  subscription Target($ns: String!, $name: String!) {
    mpiJobChanged(namespace: $ns, name: $name) { type cursor job { name namespace phase annotations { key value } } }
  }
`;

const LOG_SUBSCRIPTION = /* GraphQL */ `
  subscription Logs($ns: String!, $name: String!) {
    jobLogs(namespace: $ns, name: $name, role: LAUNCHER) { lines { pod role rank container timestamp text seq } }
  }
`;


function memory(): { heap: number; rss: number } {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed + usage.external, rss: usage.rss };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The worker thread with the clients, as a queue of its reports. */
class Clients {
  private readonly worker = new Worker(new URL('./subscription-clients.ts', import.meta.url));
  private readonly reports: ClientReport[] = [];
  private waiting: (() => void) | undefined;

  constructor() {
    this.worker.on('message', (report: ClientReport) => {
      if (report.kind === 'error') process.stderr.write(`client: ${report.message}\n`);
      else this.reports.push(report);
      this.waiting?.();
    });
    this.worker.on('error', (error) => process.stderr.write(`client worker failed: ${error.message}\n`));
  }

  send(command: ClientCommand): void {
    this.worker.postMessage(command);
  }

  async next<K extends ClientReport['kind']>(kind: K, timeoutMs: number): Promise<Extract<ClientReport, { kind: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.reports.findIndex((r) => r.kind === kind);
      if (index >= 0) return this.reports.splice(index, 1)[0] as Extract<ClientReport, { kind: K }>;
      if (Date.now() > deadline) throw new Error(`timed out waiting for the clients' ${kind}`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

async function createTargetJob(admin: KubeClient): Promise<void> {
  // Without the seed the demo user `admin` has no rights; the bench gives it cluster-admin.
  await admin.request({
    method: 'POST',
    path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'bench-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'admin' }],
    },
  });
  await admin.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } });
  await admin.request({
    method: 'POST',
    path: `/apis/kubeflow.org/v2beta1/namespaces/${NAMESPACE}/mpijobs`,
    body: {
      apiVersion: 'kubeflow.org/v2beta1',
      kind: 'MPIJob',
      metadata: { name: TARGET_JOB },
      spec: {
        // Suspended: the controllers leave it alone, so the only changes are the bench's.
        runPolicy: { suspend: true },
        mpiReplicaSpecs: {
          Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'launcher', image: 'mpioperator/mpi-pi:openmpi', command: ['mpirun', 'pi'] }] } } },
          Worker: { replicas: 1, template: { spec: { containers: [{ name: 'worker', image: 'mpioperator/mpi-pi:openmpi' }] } } },
        },
      },
    },
  });
}

interface TierResult {
  subscribers: number;
  connections: number;
  delays: number[];
  heapPerSubscriber: number;
  rssPerSubscriber: number;
  upstreamRequests: number;
  executions: number;
  shared: number;
}

async function runTier(gateway: Gateway, admin: KubeClient, clients: Clients, token: string, subscribers: number): Promise<TierResult> {
  const hub = gateway.live.hubs.mpiJobs;
  const upstream = () => gateway.kube.counter.total((s) => s.resource === 'mpijobs' && (s.verb === 'watch' || s.verb === 'list'));
  const upstreamBefore = upstream();
  const baseline = memory();
  clients.send({
    kind: 'changes',
    url: gateway.url,
    token,
    subscribers,
    perConnection: PER_CONNECTION,
    query: CHANGE_SUBSCRIPTION,
    variables: { ns: NAMESPACE, name: TARGET_JOB },
    sentAnnotation: SENT_ANNOTATION,
  });
  const { connections } = await clients.next('subscribed', DELIVERY_TIMEOUT_MS * 2);
  await until(() => hub.stats().subscribers >= subscribers, DELIVERY_TIMEOUT_MS, `${subscribers} subscribers`);
  await sleep(500);
  const loaded = memory();
  let statsBefore = gateway.subscriptions.stats();
  const delays: number[] = [];
  for (let change = -WARMUP_CHANGES; change < CHANGES; change++) {
    await admin.request({
      method: 'PATCH',
      path: `/apis/kubeflow.org/v2beta1/namespaces/${NAMESPACE}/mpijobs/${TARGET_JOB}`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { [SENT_ANNOTATION]: String(Date.now()) } } },
    });
    const delivered = await clients.next('delivered', DELIVERY_TIMEOUT_MS);
    if (change >= 0) delays.push(...delivered.delays);
    if (change === -1) statsBefore = gateway.subscriptions.stats();
    await sleep(PAUSE_MS);
  }
  const statsAfter = gateway.subscriptions.stats();
  clients.send({ kind: 'close' });
  await clients.next('closed', DELIVERY_TIMEOUT_MS);
  await until(() => hub.stats().subscribers === 0, DELIVERY_TIMEOUT_MS, 'subscribers to leave');
  return {
    subscribers,
    connections,
    delays: delays.sort((a, b) => a - b),
    heapPerSubscriber: (loaded.heap - baseline.heap) / subscribers,
    rssPerSubscriber: (loaded.rss - baseline.rss) / subscribers,
    upstreamRequests: upstream() - upstreamBefore,
    executions: statsAfter.executions - statsBefore.executions,
    shared: statsAfter.sharedDeliveries - statsBefore.sharedDeliveries,
  };
}

interface LogResult {
  subscribers: number;
  minLines: number;
  perSubscriberRates: number[];
  totalRate: number;
  producedRate: number;
  endedEarly: number;
  streamsOpened: number;
}

async function runLogs(gateway: Gateway, admin: KubeClient, clients: Clients, token: string, subscribers: number, round: number): Promise<LogResult> {
  const name = `bench-logs-${round}`;
  const workers = Math.max(1, Math.ceil(LOG_RANKS / SLOTS_PER_WORKER));
  await admin.request({
    method: 'POST',
    path: `/apis/kubeflow.org/v2beta1/namespaces/${NAMESPACE}/mpijobs`,
    body: {
      apiVersion: 'kubeflow.org/v2beta1',
      kind: 'MPIJob',
      metadata: {
        name,
        annotations: {
          'sim.mpijob-gateway.dev/program': 'generic',
          'sim.mpijob-gateway.dev/log-interval': `${LOG_INTERVAL_SIM_MS}ms`,
          'sim.mpijob-gateway.dev/duration': `${STARTUP_SIM_MS + LOG_STEPS * LOG_INTERVAL_SIM_MS}ms`,
          'sim.mpijob-gateway.dev/start-delay': '0s',
        },
      },
      spec: {
        slotsPerWorker: SLOTS_PER_WORKER,
        mpiReplicaSpecs: {
          Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'launcher', image: 'mpioperator/mpi-pi:openmpi', command: ['mpirun', '-n', String(LOG_RANKS), '/opt/app'] }] } } },
          Worker: { replicas: workers, template: { spec: { containers: [{ name: 'worker', image: 'mpioperator/mpi-pi:openmpi' }] } } },
        },
      },
    },
  });
  await until(() => gateway.caches.mpiJobs.get(NAMESPACE, name) !== undefined, DELIVERY_TIMEOUT_MS, 'the log job in the cache');
  const openedBefore = gateway.live.logs.stats().opened;
  clients.send({ kind: 'logs', url: gateway.url, token, subscribers, query: LOG_SUBSCRIPTION, variables: { ns: NAMESPACE, name }, timeoutMs: LOG_TIMEOUT_MS });
  const done = await clients.next('logs-done', LOG_TIMEOUT_MS + DELIVERY_TIMEOUT_MS);
  clients.send({ kind: 'close' });
  await clients.next('closed', DELIVERY_TIMEOUT_MS);
  // Over the common window, from the first line anyone received: a subscriber served late shows
  // a low rate even if its lines then came in one burst.
  const start = Math.min(...done.first);
  const rates = done.counts.map((count, i) => count / Math.max(0.001, ((done.last[i] ?? 0) - start) / 1000));
  const total = done.counts.reduce((a, b) => a + b, 0);
  return {
    subscribers,
    minLines: Math.min(...done.counts),
    perSubscriberRates: rates.sort((a, b) => a - b),
    totalRate: total / Math.max(0.001, (Math.max(...done.last) - start) / 1000),
    producedRate: (done.counts[0] ?? 0) / Math.max(0.001, (done.stampLast - done.stampFirst) / 1000),
    endedEarly: done.endedEarly,
    streamsOpened: gateway.live.logs.stats().opened - openedBefore,
  };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  if (!(globalThis as { gc?: unknown }).gc) process.stdout.write('(run with --expose-gc, as `npm run bench:subscriptions` does, for steadier memory figures)\n');
  const dataDir = mkdtempSync(join(tmpdir(), 'mpijob-bench-subs-'));
  const cluster = await startEmbeddedCluster({ dataDir, ephemeral: true, timeScale: TIME_SCALE, seed: false });
  const gateway = await startGateway({
    kube: { kind: 'kubeconfig', path: cluster.kubeconfigPath },
    namespaces: 'all',
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'warn' }),
    auth: { strategy: 'token-file', tokenFile: cluster.tokenFilePath },
    audit: { file: join(dataDir, 'audit.log') },
    subscriptions: {
      // One user opens every connection here; the per-user caps are for real users.
      maxConnectionsPerUser: 1_000_000,
      maxSubscriptionsPerUser: 1_000_000,
      // Room for a whole log run per subscriber, so the figure is the delivery rate, not the cut-off.
      limits: { logQueueLines: LOG_RANKS * (LOG_STEPS + 10) },
    },
  });
  const token = parseTokenFile(readFileSync(cluster.tokenFilePath, 'utf8')).find((e) => e.identity.username === 'admin')?.token ?? '';
  const admin = new KubeClient({ config: loadKubeConfig({ kind: 'kubeconfig', path: cluster.kubeconfigPath }) });
  const clients = new Clients();
  try {
    await gateway.synced;
    await createTargetJob(admin);
    await until(() => gateway.caches.mpiJobs.get(NAMESPACE, TARGET_JOB) !== undefined, DELIVERY_TIMEOUT_MS, 'the target job');
    process.stdout.write(`Node ${process.version}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    if (TIERS.length > 0) {
      process.stdout.write(
        `\nChanges: ${CHANGES} changes per tier to one MPIJob (after ${WARMUP_CHANGES} not counted), ${PER_CONNECTION} subscriptions per connection\n`,
      );
      process.stdout.write('subscribers  connections  p50 ms  p99 ms  max ms  gateway heap/sub  process rss/sub  executions  shared  upstream watch+list\n');
    }
    for (const tier of TIERS) {
      const r = await runTier(gateway, admin, clients, token, tier);
      process.stdout.write(
        `${String(r.subscribers).padStart(11)}  ${String(r.connections).padStart(11)}  ${percentile(r.delays, 50).toFixed(0).padStart(6)}  ${percentile(r.delays, 99).toFixed(0).padStart(6)}  ${(r.delays.at(-1) ?? Number.NaN).toFixed(0).padStart(6)}  ${kib(r.heapPerSubscriber).padStart(16)}  ${kib(r.rssPerSubscriber).padStart(15)}  ${String(r.executions).padStart(10)}  ${String(r.shared).padStart(6)}  ${r.upstreamRequests}\n`,
      );
    }
    if (LOG_SUBSCRIBERS.length > 0) {
      process.stdout.write(
        `\nLogs: a launcher printing ${LOG_RANKS} rank-tagged lines every ${LOG_INTERVAL_SIM_MS / TIME_SCALE} ms (${LOG_STEPS} steps), followed from the start\n`,
      );
      process.stdout.write('subscribers  lines each  produced lines/s  per-subscriber lines/s (min / median)  total lines/s  ended early  upstream streams\n');
    }
    let round = 0;
    for (const count of LOG_SUBSCRIBERS) {
      const r = await runLogs(gateway, admin, clients, token, count, round++);
      process.stdout.write(
        `${String(r.subscribers).padStart(11)}  ${String(r.minLines).padStart(10)}  ${r.producedRate.toFixed(0).padStart(16)}  ${`${(r.perSubscriberRates[0] ?? 0).toFixed(0)} / ${percentile(r.perSubscriberRates, 50).toFixed(0)}`.padStart(38)}  ${r.totalRate.toFixed(0).padStart(13)}  ${String(r.endedEarly).padStart(11)}  ${r.streamsOpened}\n`,
      );
    }
    process.stdout.write(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  } finally {
    await clients.stop();
    await admin.close();
    await gateway.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
