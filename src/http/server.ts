// One HTTP server for everything: GraphQL over HTTP at /graphql (Apollo Server on express), the
// probes /healthz and /readyz, and /metrics. The server is a plain node:http server so that a
// graphql-ws WebSocket server can be attached to the same server and path later.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import type { Logger } from 'pino';
import { formatGraphQLError } from '../errors.ts';
import type { GraphContext } from '../graph/context.ts';
import { MAX_QUERY_TOKENS } from './hardening.ts';
import { GraphQLMetrics, PROMETHEUS_CONTENT_TYPE, renderMetrics, type MetricsSources, type OperationType } from './metrics.ts';

export const GRAPHQL_PATH = '/graphql';
export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const METRICS_PATH = '/metrics';

/** Default cap on request bodies: far above any query or manifest, far below a memory problem. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface Readiness {
  ready: boolean;
  /** Shown in the /readyz body, for people and probes' logs. */
  detail: unknown;
}

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  schema: GraphQLSchema;
  logger: Logger;
  context: (request: Request) => GraphContext | Promise<GraphContext>;
  readiness: () => Readiness;
  metrics: Omit<MetricsSources, 'graphql'>;
  /** Extra Apollo plugins (subscriptions add their drain plugin here). */
  plugins?: ApolloServerPlugin<GraphContext>[];
  /** Default DEFAULT_BODY_LIMIT_BYTES. */
  bodyLimitBytes?: number;
  /** Schema introspection; default true (the SDL is public: `npm run schema`). */
  introspection?: boolean;
  /** Added to GraphQL's own validation rules (hardening's limits); default none. */
  validationRules?: ValidationRule[];
  /** Parser token limit; default MAX_QUERY_TOKENS. */
  maxTokens?: number;
  /** Leave "Did you mean ...?" schema hints out of validation errors; default false. */
  hideSchemaDetails?: boolean;
  /** Express handlers run on /graphql before the body is read (authentication); default none. */
  guards?: RequestHandler[];
}

export interface GatewayHttpServer {
  /** `http://host:port/graphql`. */
  url: string;
  port: number;
  httpServer: Server;
  graphqlMetrics: GraphQLMetrics;
  stop(): Promise<void>;
}

function metricsPlugin(metrics: GraphQLMetrics): ApolloServerPlugin<GraphContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      let operation: OperationType = 'unknown';
      return {
        async didResolveOperation(requestContext) {
          operation = requestContext.operation?.operation ?? 'unknown';
        },
        async willSendResponse(requestContext) {
          const body = requestContext.response.body;
          const failed = body.kind === 'single' ? (body.singleResult.errors?.length ?? 0) > 0 : false;
          metrics.record(operation, failed ? 'error' : 'success', (performance.now() - started) / 1000);
        },
      };
    },
  };
}

/** Express answers body-parser failures with an HTML page; GraphQL clients expect JSON. */
const jsonErrors: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
  const message = status === 413 ? 'request body too large' : status < 500 ? 'malformed request body' : 'internal server error';
  res.status(status).json({ errors: [{ message, extensions: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } }] });
};

export async function startHttpServer(options: HttpServerOptions): Promise<GatewayHttpServer> {
  const { logger } = options;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const graphqlMetrics = new GraphQLMetrics();
  const apollo = new ApolloServer<GraphContext>({
    schema: options.schema,
    introspection: options.introspection ?? true,
    includeStacktraceInErrorResponses: false,
    // main.ts owns shutdown: Apollo's own handlers would stop only Apollo and re-raise the signal.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: options.maxTokens ?? MAX_QUERY_TOKENS },
    validationRules: options.validationRules ?? [],
    hideSchemaDetailsFromClientErrors: options.hideSchemaDetails ?? false,
    // Apollo's default, stated: a browser cannot send a simple (form or text/plain) request or a
    // GET without a preflight-forcing header, so no page can make a caller's browser act for it.
    csrfPrevention: true,
    formatError: (formatted, original) =>
      formatGraphQLError(formatted, original, {
        onMasked: (error) => logger.error({ err: error }, 'masked an internal error'),
      }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Answers are live cluster state, never cacheable; the default plugin would also hook
      // every field resolution, which costs a large share of a 100-job dashboard query.
      ApolloServerPluginCacheControlDisabled(),
      metricsPlugin(graphqlMetrics),
      ...(options.plugins ?? []),
    ],
    logger,
  });
  await apollo.start();

  app.get(HEALTH_PATH, (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get(READY_PATH, (_req, res) => {
    const readiness = options.readiness();
    res.status(readiness.ready ? 200 : 503).json({ ready: readiness.ready, detail: readiness.detail });
  });
  app.get(METRICS_PATH, (_req, res) => {
    res.type(PROMETHEUS_CONTENT_TYPE).send(renderMetrics({ ...options.metrics, graphql: graphqlMetrics }));
  });
  app.use(
    GRAPHQL_PATH,
    ...(options.guards ?? []),
    express.json({ limit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES }),
    expressMiddleware(apollo, { context: async ({ req }) => options.context(req) }),
  );
  app.use(jsonErrors);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}${GRAPHQL_PATH}`,
    port: address.port,
    httpServer,
    graphqlMetrics,
    // Apollo's drain plugin closes the HTTP server and waits for in-flight requests.
    stop: () => (stopping ??= apollo.stop()),
  };
}
