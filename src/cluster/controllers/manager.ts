// Starts the simulated controllers against any API server, through client-node: the nodes,
// shared informers, the batch Job controller, the MPI operator, the scheduler and the kubelet.
// Only logs bypass the API: the kubelet writes them to the LogSink the API server reads.

import type { KubeConfig } from '@kubernetes/client-node';
import { validateMPIJob } from '../api/admission/mpijob.ts';
import type { LogSink } from '../logstore.ts';
import { ClusterClient } from './client.ts';
import { SimClock } from './clock.ts';
import type { ControllerContext, RunningController, SharedInformers } from './context.ts';
import { EventRecorder } from './events.ts';
import { Informer } from './informer.ts';
import { startJobController } from './job-controller.ts';
import { startKubelet } from './kubelet.ts';
import { SILENT_LOGGER, type Logger } from './logger.ts';
import { startMpiOperator } from './mpi-operator.ts';
import { DEFAULT_NODES, ensureNodes, type SimulatedNode } from './nodes.ts';
import { startOrphanSweeper } from './orphans.ts';
import type { KubeObject } from './objects.ts';
import { DEFAULT_RANDOM_SEED, Random, hashString } from './random.ts';
import { startScheduler } from './scheduler.ts';
import type { KindClient } from './client.ts';

export interface ControllerOptions {
  /** Credentials with cluster-admin rights. */
  kubeConfig: KubeConfig;
  /** Where the kubelet writes container output. */
  logs: LogSink;
  /** Simulated time runs this many times faster than real time; default 1. */
  timeScale?: number;
  /** Seed of every random choice; default DEFAULT_RANDOM_SEED, so runs are reproducible. */
  randomSeed?: number;
  /** Default: silent. */
  logger?: Logger;
  /** The simulated nodes, created when absent; default DEFAULT_NODES. */
  nodes?: readonly SimulatedNode[];
}

export interface RunningControllers {
  stop(): Promise<void>;
}

function informerFor<T extends KubeObject>(name: string, kubeConfig: KubeConfig, kind: KindClient<T>, logger: Logger): Informer<T> {
  return new Informer<T>({ name, kubeConfig, path: kind.watchPath, list: () => kind.list(), logger });
}

export async function startControllers(options: ControllerOptions): Promise<RunningControllers> {
  const logger = options.logger ?? SILENT_LOGGER;
  const clock = new SimClock({ timeScale: options.timeScale ?? 1 });
  const seed = options.randomSeed ?? DEFAULT_RANDOM_SEED;
  const client = new ClusterClient(options.kubeConfig);
  const nodes = options.nodes ?? DEFAULT_NODES;

  const { kubeConfig } = options;
  const informers: SharedInformers = {
    mpiJobs: informerFor('mpijobs', kubeConfig, client.mpiJobs, logger),
    jobs: informerFor('jobs', kubeConfig, client.jobs, logger),
    pods: informerFor('pods', kubeConfig, client.pods, logger),
    nodes: informerFor('nodes', kubeConfig, client.nodes, logger),
    configMaps: informerFor('configmaps', kubeConfig, client.configMaps, logger),
    services: informerFor('services', kubeConfig, client.services, logger),
    secrets: informerFor('secrets', kubeConfig, client.secrets, logger),
  };
  const allInformers = Object.values(informers) as Array<Informer<KubeObject>>;
  const recorder = new EventRecorder({ client, logger });
  const ctx: ControllerContext = {
    client,
    informers,
    recorder,
    clock,
    randomFor: (label) => new Random(hashString(`${seed}/${label}`)),
    logger,
  };

  const controllers: RunningController[] = [];
  const stopAll = async () => {
    // Writers first (they read the caches), then the caches, then pending events.
    for (const controller of controllers.reverse()) await controller.stop();
    await Promise.all(allInformers.map((informer) => informer.stop()));
    await recorder.stop();
    await client.close();
  };

  try {
    await ensureNodes(client, nodes, clock.now());
    await Promise.all(allInformers.map((informer) => informer.start()));
    controllers.push(
      startJobController(ctx),
      startMpiOperator(ctx, { validate: (job) => validateMPIJob(job) }),
      startScheduler(ctx),
      startKubelet(ctx, { logs: options.logs, nodes: nodes.map((n) => n.name) }),
      startOrphanSweeper(ctx),
    );
  } catch (err) {
    await stopAll();
    throw err;
  }
  logger.info(`simulated controllers started (time scale ${clock.timeScale}, ${nodes.length} nodes)`);

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= stopAll();
      return stopped;
    },
  };
}
