// The gateway without its command line: kube client -> informers -> graph -> HTTP, and the
// shutdown in reverse. main.ts and the test harness both start it through here.

import type { Logger } from 'pino';
import { buildSchema } from './graph/schema.ts';
import { createGraphContext, type GraphServices } from './graph/context.ts';
import { startHttpServer, type GatewayHttpServer } from './http/server.ts';
import { KubeClient, loadKubeConfig, type KubeSource } from './kube/client.ts';
import { InformerRegistry } from './kube/informers.ts';
import { KubeMpiJobWriter } from './kube/mpijobs.ts';
import { registerWatchedKinds, type ClusterCaches } from './kube/watched.ts';
import { MpiJobService, type NamespaceScope } from './mpijob/service.ts';
import { ANONYMOUS_VIEWER } from './viewer/viewer.ts';

export interface GatewayOptions {
  kube: KubeSource;
  /** Namespaces to watch and serve: `all`, or a list. */
  namespaces: 'all' | readonly string[];
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** Clock for durations; default Date.now. */
  now?: () => number;
}

export interface Gateway {
  /** `http://host:port/graphql`. */
  url: string;
  port: number;
  kube: KubeClient;
  informers: InformerRegistry;
  caches: ClusterCaches;
  http: GatewayHttpServer;
  /** Resolves when every informer has done its first list. */
  synced: Promise<void>;
  stop(): Promise<void>;
}

export function namespaceScope(namespaces: 'all' | readonly string[]): NamespaceScope {
  if (namespaces === 'all') return { includes: () => true };
  const set = new Set(namespaces);
  return { includes: (namespace) => set.has(namespace) };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const kube = new KubeClient({ config: loadKubeConfig(options.kube) });
  const informers = new InformerRegistry({
    client: kube,
    logger: logger.child({ component: 'informers' }),
    scope: options.namespaces === 'all' ? { kind: 'all' } : { kind: 'namespaces', names: options.namespaces },
  });
  const caches = registerWatchedKinds(informers);
  const scope = namespaceScope(options.namespaces);
  const services: GraphServices = {
    caches,
    scope,
    mpiJobs: new MpiJobService({ writer: new KubeMpiJobWriter(kube), caches, scope }),
    isReady: () => informers.ready,
    now: options.now ?? Date.now,
  };
  informers.start();
  const graphLogger = logger.child({ component: 'graphql' });
  let http: GatewayHttpServer;
  try {
    http = await startHttpServer({
      host: options.host,
      port: options.port,
      schema: buildSchema(),
      logger: graphLogger,
      context: () => createGraphContext(services, ANONYMOUS_VIEWER, graphLogger),
      readiness: () => {
        const statuses = informers.statuses();
        return {
          ready: informers.ready,
          detail: { informers: statuses.map((s) => ({ resource: s.resource, namespace: s.namespace || undefined, synced: s.synced, state: s.state })) },
        };
      },
      metrics: { kubeRequests: () => kube.counter.samples(), informers: () => informers.statuses() },
    });
  } catch (error) {
    await informers.stop();
    await kube.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: http.url,
    port: http.port,
    kube,
    informers,
    caches,
    http,
    synced: informers.waitForSync(),
    stop: () =>
      (stopping ??= (async () => {
        await http.stop();
        await informers.stop();
        await kube.close();
      })()),
  };
}
