// The gateway without its command line: kube client -> informers -> graph -> HTTP, and the
// shutdown in reverse. main.ts and the test harness both start it through here.

import type { Writable } from 'node:stream';
import type { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import type { Logger } from 'pino';
import { auditMiddleware, LOG_SUBSCRIPTIONS } from './audit/middleware.ts';
import { AuditLog, FileAuditSink, StreamAuditSink, type AuditSink } from './audit/sink.ts';
import { Authorizer } from './auth/access.ts';
import { HttpAuthGuard } from './auth/http-guard.ts';
import { applyPermissions } from './auth/permissions.ts';
import { RequestAuth, unauthenticated, MISSING_CREDENTIALS_MESSAGE } from './auth/request-auth.ts';
import { createAuthenticator, type AuthOptions } from './auth/strategies.ts';
import { webSocketAuthenticator } from './auth/ws-auth.ts';
import { buildSchema } from './graph/schema.ts';
import { createGraphContext, type GraphServices } from './graph/context.ts';
import { createLiveServices, type LiveLimits, type LiveServices } from './graph/live.ts';
import { argumentValidationMiddleware, costLimitPlugin, hardeningValidationRules, webSocketLimits, webSocketValidationRules } from './http/hardening.ts';
import { startHttpServer, type GatewayHttpServer } from './http/server.ts';
import { startSubscriptionServer, subscriptionsOverWebSocketOnly, type SubscriptionServer, type SubscriptionServerOptions } from './http/ws.ts';
import { KubeClient, loadKubeConfig, type KubeSource } from './kube/client.ts';
import { InformerRegistry } from './kube/informers.ts';
import { KubeMpiJobWriter } from './kube/mpijobs.ts';
import { KubeLogSource } from './kube/pod-log-source.ts';
import { KubeReviews } from './kube/reviews.ts';
import { registerWatchedKinds, type ClusterCaches } from './kube/watched.ts';
import { MpiJobService, type NamespaceScope } from './mpijob/service.ts';

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
  /** Who may call: the authentication strategy. Required: there is no anonymous mode. */
  auth: AuthOptions;
  /** Where audit records go: an append-only file, a stream (stdout), or both. */
  audit: { file?: string; stream?: Writable };
  /** Production mode: introspection off, no schema hints in errors. Default false. */
  production?: boolean;
  /** How long RBAC answers are shared between requests; default ACCESS_CACHE_TTL_MS. */
  accessCacheTtlMs?: number;
  /** Live subscription limits; every field has its own default (see src/graph/live.ts and src/http/ws.ts). */
  subscriptions?: GatewaySubscriptionOptions;
  /** Browser origins, besides the gateway's own, allowed to open WebSockets; default none. */
  allowedOrigins?: readonly string[];
}

export interface GatewaySubscriptionOptions
  extends Partial<Pick<SubscriptionServerOptions, 'maxSubscriptionsPerConnection' | 'connectionInitWaitTimeoutMs' | 'keepAliveMs' | 'drainTimeoutMs'>> {
  /** Per-subscriber queue bounds; default DEFAULT_LIVE_LIMITS. */
  limits?: Partial<LiveLimits>;
  /** Changes kept per kind for cursors; default HUB_HISTORY_SIZE. */
  historySize?: number;
  /** Open WebSocket connections per user; default MAX_CONNECTIONS_PER_USER. */
  maxConnectionsPerUser?: number;
  /** Active subscriptions per user, over all their connections; default MAX_SUBSCRIPTIONS_PER_USER. */
  maxSubscriptionsPerUser?: number;
}

/** The executable schema with its guards: audit outermost, then argument checks, then the permission map. */
export function protectedSchema(audit: AuditLog): GraphQLSchema {
  const permitted = applyPermissions(buildSchema());
  const checked = applyMiddleware(permitted, argumentValidationMiddleware(permitted));
  return applyMiddleware(checked, auditMiddleware(checked, { audit, logSubscriptions: LOG_SUBSCRIPTIONS }));
}

export interface Gateway {
  /** `http://host:port/graphql`. */
  url: string;
  port: number;
  kube: KubeClient;
  informers: InformerRegistry;
  caches: ClusterCaches;
  http: GatewayHttpServer;
  /** graphql-ws on the same server and path. */
  subscriptions: SubscriptionServer;
  live: LiveServices;
  auth: RequestAuth;
  authorizer: Authorizer;
  audit: AuditLog;
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
  const reviews = new KubeReviews(kube);
  const authLogger = logger.child({ component: 'auth' });
  const authenticator = createAuthenticator(options.auth, {
    tokenReviewer: reviews,
    // Messages only: these errors never carry a token (see the strategies).
    onError: (error, message) => authLogger.warn({ error: error.message }, message),
  });
  const authorizer = new Authorizer({ reviewer: reviews, ...(options.accessCacheTtlMs !== undefined ? { ttlMs: options.accessCacheTtlMs } : {}) });
  const watchedNamespaces = (): string[] =>
    caches.namespaces
      .list()
      .map((n) => n.metadata.name ?? '')
      .filter((name) => name !== '' && scope.includes(name));
  const auth = new RequestAuth({ authenticator, authorizer, namespaces: watchedNamespaces });
  const guard = new HttpAuthGuard(auth);
  const sinks: AuditSink[] = [];
  if (options.audit.stream) sinks.push(new StreamAuditSink(options.audit.stream));
  if (options.audit.file) sinks.push(new FileAuditSink(options.audit.file));
  const audit = new AuditLog({ sinks, onError: (error) => logger.error({ err: error }, 'an audit record could not be written') });
  const live = createLiveServices({
    caches,
    watches: informers,
    logSource: new KubeLogSource(kube),
    logger: logger.child({ component: 'live' }),
    limits: options.subscriptions?.limits,
    historySize: options.subscriptions?.historySize,
    now: options.now,
  });
  const services: GraphServices = {
    caches,
    scope,
    mpiJobs: new MpiJobService({ writer: new KubeMpiJobWriter(kube), caches, scope }),
    isReady: () => informers.ready,
    now: options.now ?? Date.now,
    live,
  };
  informers.start();
  const graphLogger = logger.child({ component: 'graphql' });
  const schema = protectedSchema(audit);
  // Made once the HTTP server exists (it mounts on it); /metrics reads it from then on.
  let subscriptions: SubscriptionServer | undefined;
  let http: GatewayHttpServer;
  try {
    http = await startHttpServer({
      host: options.host,
      port: options.port,
      schema,
      logger: graphLogger,
      guards: [guard.handler],
      context: async (req) => {
        const authenticated = guard.of(req);
        if (!authenticated) throw unauthenticated(MISSING_CREDENTIALS_MESSAGE);
        const viewer = await auth.viewerFor(authenticated.identity);
        return createGraphContext(services, viewer, graphLogger, { id: authenticated.requestId, sourceAddress: req.socket.remoteAddress });
      },
      introspection: !(options.production ?? false),
      hideSchemaDetails: options.production ?? false,
      validationRules: hardeningValidationRules(),
      plugins: [costLimitPlugin(), subscriptionsOverWebSocketOnly()],
      readiness: () => {
        const statuses = informers.statuses();
        return {
          ready: informers.ready,
          detail: { informers: statuses.map((s) => ({ resource: s.resource, namespace: s.namespace || undefined, synced: s.synced, state: s.state })) },
        };
      },
      metrics: {
        kubeRequests: () => kube.counter.samples(),
        informers: () => informers.statuses(),
        live: () => {
          const ws = subscriptions?.stats() ?? { connections: 0, subscriptions: 0, executions: 0, sharedDeliveries: 0 };
          return { ...ws, hubs: [live.hubs.mpiJobs.stats(), live.hubs.pods.stats(), live.hubs.events.stats()], logStreams: live.logs.stats() };
        },
      },
    });
  } catch (error) {
    live.stop();
    await informers.stop();
    await kube.close();
    await audit.close();
    throw error;
  }
  subscriptions = startSubscriptionServer({
    httpServer: http.httpServer,
    schema,
    services,
    logger: graphLogger,
    // The same credentials as HTTP, sent as connectionParams.authorization; checked again on
    // every subscribe, and the connection is closed when they expire.
    authenticate: webSocketAuthenticator(auth),
    validationRules: webSocketValidationRules(),
    ...webSocketLimits({
      allowedOrigins: options.allowedOrigins ?? [],
      maxConnectionsPerUser: options.subscriptions?.maxConnectionsPerUser,
      maxSubscriptionsPerUser: options.subscriptions?.maxSubscriptionsPerUser,
    }),
    maxSubscriptionsPerConnection: options.subscriptions?.maxSubscriptionsPerConnection,
    connectionInitWaitTimeoutMs: options.subscriptions?.connectionInitWaitTimeoutMs,
    keepAliveMs: options.subscriptions?.keepAliveMs,
    drainTimeoutMs: options.subscriptions?.drainTimeoutMs,
  });
  let stopping: Promise<void> | undefined;
  return {
    url: http.url,
    port: http.port,
    kube,
    informers,
    caches,
    http,
    subscriptions,
    live,
    auth,
    authorizer,
    audit,
    synced: informers.waitForSync(),
    stop: () =>
      (stopping ??= (async () => {
        // WebSocket clients first get a proper close (1001); then HTTP drains.
        await subscriptions.drain();
        await http.stop();
        live.stop();
        await informers.stop();
        await kube.close();
        await audit.close();
      })()),
  };
}
