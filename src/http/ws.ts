// GraphQL subscriptions over WebSocket (graphql-ws) on the gateway's own HTTP server and path.
// Apollo's plugins and validation rules never see a WebSocket operation, so this server applies
// the same parse limit and validation rules itself, accepts only subscriptions (queries and
// mutations stay on HTTP, behind its protections), authenticates on `connection_init` and again
// on every subscribe, and caps subscriptions per connection and per user.
//
// Payloads are resolved per event with a fresh context (fresh DataLoaders): graphql-js would
// otherwise reuse the subscribe-time context for every event, and its loaders would serve stale
// objects. Subscribers that asked the same document with the same variables as the same user
// share one execution per event, which is what makes thousands of dashboards on one job cheap.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { handleProtocols, makeServer, type Context, type SubscribePayload } from 'graphql-ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { formatGraphQLError, GatewayError, TooManySubscriptionsError, UnauthenticatedError } from '../errors.ts';
import { createGraphContext, type GraphContext, type GraphServices } from '../graph/context.ts';
import { isSharedPayload } from '../graph/live.ts';
import { ANONYMOUS_VIEWER, type Viewer } from '../viewer/viewer.ts';
import { MAX_QUERY_TOKENS } from './hardening.ts';
import { DEFAULT_BODY_LIMIT_BYTES, GRAPHQL_PATH } from './server.ts';

/** graphql-ws and WebSocket close codes this server uses. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_INTERNAL_ERROR = 4500;

/** Default subscriptions one connection may hold; a dashboard tab holds a handful. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;
/** Default wait for `connection_init` before closing with 4408. */
export const CONNECTION_INIT_TIMEOUT_MS = 3_000;
/** Default interval of keep-alive pings; a client that misses one is dropped. */
export const KEEP_ALIVE_MS = 12_000;
/** Default wait, on shutdown, for clients to answer the close before their sockets are cut. */
export const DRAIN_TIMEOUT_MS = 5_000;
/** Distinct documents whose parse and validation are remembered. */
const DOCUMENT_CACHE_SIZE = 256;
/** How long one event's shared results are kept for subscribers still sending the previous one. */
const SHARED_RESULT_TTL_MS = 5_000;
/** Upper bound of shared results kept, whatever the event rate. */
const MAX_SHARED_RESULTS = 10_000;

/** Codes Apollo gives documents that fail to parse or validate; clients see the same over WebSocket. */
const PARSE_FAILED = 'GRAPHQL_PARSE_FAILED';
const VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';
const BAD_REQUEST = 'BAD_REQUEST';
const HTTP_BAD_REQUEST = 400;

/**
 * The HTTP side of "subscriptions only over WebSocket": Apollo would run a subscription sent
 * over HTTP as a query of the subscription root, whose fields have no resolvers.
 */
export function subscriptionsOverWebSocketOnly<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          if (requestContext.operation?.operation !== 'subscription') return;
          throw new GraphQLError(`subscriptions are served over WebSocket (graphql-ws) at ${GRAPHQL_PATH}, not over HTTP`, {
            extensions: { code: BAD_REQUEST, http: { status: HTTP_BAD_REQUEST } },
          });
        },
      };
    },
  };
}

export type ConnectionParams = Readonly<Record<string, unknown>> | undefined;

/** A viewer and, when the credentials expire, when: the connection is closed (4403) then. */
export interface SubscriptionIdentity {
  viewer: Viewer;
  expiresAtMs?: number | undefined;
}

export interface SubscriptionServerOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  services: GraphServices;
  logger: Logger;
  /**
   * Who the client is, from `connection_init`'s payload (`connectionParams.authorization`) and
   * the upgrade request; undefined (or a thrown error) refuses: on connect the socket closes
   * with 4403, on subscribe the subscription gets UNAUTHENTICATED. Called on connect and on
   * every subscribe, so expired credentials stop new subscriptions. Default: ANONYMOUS_VIEWER.
   */
  authenticate?: (params: ConnectionParams, request: IncomingMessage) => Promise<Viewer | SubscriptionIdentity | undefined>;
  /** Added to GraphQL's own validation rules, as on HTTP; default none. */
  validationRules?: readonly ValidationRule[];
  /** Parser token limit; default MAX_QUERY_TOKENS (as on HTTP). */
  maxTokens?: number;
  /** Whether an upgrade from this `Origin` may proceed (403 otherwise); default any. */
  checkOrigin?: (origin: string | undefined, request: IncomingMessage) => boolean;
  /** Takes a connection slot for the viewer (per-user caps); undefined refuses with 4403. Default no cap. */
  admitConnection?: (viewer: Viewer) => (() => void) | undefined;
  /** Takes a subscription slot for the viewer; undefined refuses with TOO_MANY_SUBSCRIPTIONS. Default no cap. */
  admitSubscription?: (viewer: Viewer) => (() => void) | undefined;
  /** Default MAX_SUBSCRIPTIONS_PER_CONNECTION. */
  maxSubscriptionsPerConnection?: number;
  /** Default CONNECTION_INIT_TIMEOUT_MS. */
  connectionInitWaitTimeoutMs?: number;
  /** Default KEEP_ALIVE_MS; 0 turns pings off. */
  keepAliveMs?: number;
  /** Largest message a client may send (1009 above it); default DEFAULT_BODY_LIMIT_BYTES. */
  maxPayloadBytes?: number;
  /** Default DRAIN_TIMEOUT_MS. */
  drainTimeoutMs?: number;
}

export interface SubscriptionServerStats {
  connections: number;
  subscriptions: number;
  /** Payload executions since start, and how many subscribers got a shared one instead. */
  executions: number;
  sharedDeliveries: number;
}

export interface SubscriptionServer {
  stats(): SubscriptionServerStats;
  /**
   * Refuses new connections, closes every connection with 1001 (going away), waits up to
   * `drainTimeoutMs` for the clients to answer, then cuts the rest.
   */
  drain(): Promise<void>;
}

/** What this server keeps per connection. */
interface ConnectionState {
  identity: SubscriptionIdentity | undefined;
  releaseConnection: (() => void) | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Slots given back when each subscription ends. */
  releases: Map<string, () => void>;
}

/** What graphql-ws hands back in `ctx.extra`. */
interface SocketExtra {
  socket: WebSocket;
  request: IncomingMessage;
}

type WsContext = Context<Record<string, unknown>, SocketExtra>;

type DocumentEntry = { document: DocumentNode } | { errors: readonly GraphQLError[] };

function toIdentity(result: Viewer | SubscriptionIdentity | undefined): SubscriptionIdentity | undefined {
  if (result === undefined) return undefined;
  return 'viewer' in result ? result : { viewer: result };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** A stable text for variables, so equal variables share executions whatever their key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Identifies objects (documents, viewers) inside cache keys. */
class ObjectIds {
  private readonly ids = new WeakMap<object, number>();
  private next = 0;

  of(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) {
      id = ++this.next;
      this.ids.set(object, id);
    }
    return id;
  }
}

export function startSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { logger, services, schema } = options;
  const authenticate = options.authenticate ?? (async () => ANONYMOUS_VIEWER);
  const rules: readonly ValidationRule[] = [...specifiedRules, ...(options.validationRules ?? [])];
  const maxTokens = options.maxTokens ?? MAX_QUERY_TOKENS;
  const maxPerConnection = options.maxSubscriptionsPerConnection ?? MAX_SUBSCRIPTIONS_PER_CONNECTION;
  const drainTimeoutMs = options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? DEFAULT_BODY_LIMIT_BYTES, handleProtocols: (protocols) => handleProtocols(protocols) });
  const connections = new WeakMap<WsContext, ConnectionState>();
  const documents = new Map<string, DocumentEntry>();
  const ids = new ObjectIds();
  const shared = new Map<object, { atMs: number; results: Map<string, Promise<ExecutionResult>> }>();
  let subscriptions = 0;
  let executions = 0;
  let sharedDeliveries = 0;
  let draining = false;

  const stateOf = (ctx: WsContext): ConnectionState => {
    let state = connections.get(ctx);
    if (!state) {
      state = { identity: undefined, releaseConnection: undefined, expiryTimer: undefined, releases: new Map() };
      connections.set(ctx, state);
    }
    return state;
  };

  const format = (error: GraphQLError): GraphQLFormattedError =>
    formatGraphQLError(error.toJSON(), error.originalError ?? error, {
      onMasked: (original) => logger.error({ err: original }, 'masked an internal error in a subscription'),
    });

  const tryAuthenticate = async (ctx: WsContext): Promise<SubscriptionIdentity | GatewayError | undefined> => {
    try {
      return toIdentity(await authenticate(ctx.connectionParams, ctx.extra.request));
    } catch (error) {
      if (error instanceof GatewayError) return error;
      logger.error({ err: error }, 'authenticating a WebSocket client failed');
      return undefined;
    }
  };

  /** Parses and validates once per distinct document text. */
  const documentOf = (query: string): DocumentEntry => {
    const cached = documents.get(query);
    if (cached) return cached;
    let entry: DocumentEntry;
    try {
      const document = parse(query, { maxTokens });
      const errors = validate(schema, document, rules);
      entry =
        errors.length > 0
          ? { errors: errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { ...e.extensions, code: e.extensions['code'] ?? VALIDATION_FAILED } })) }
          : { document };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      entry = { errors: [new GraphQLError(message, { extensions: { code: PARSE_FAILED } })] };
    }
    if (documents.size >= DOCUMENT_CACHE_SIZE) {
      const oldest = documents.keys().next();
      if (!oldest.done) documents.delete(oldest.value);
    }
    documents.set(query, entry);
    return entry;
  };

  const viewerKey = (viewer: Viewer): string =>
    viewer.username === undefined ? `#${ids.of(viewer)}` : `u:${viewer.username}\u0000${[...viewer.groups].sort().join('\u0000')}`;

  /** Drops shared results older than the TTL (and the oldest, beyond the bound). */
  const sweepShared = (nowMs: number): void => {
    for (const [payload, entry] of shared) {
      if (nowMs - entry.atMs < SHARED_RESULT_TTL_MS && shared.size <= MAX_SHARED_RESULTS) break;
      shared.delete(payload);
    }
  };

  const runEvent = async (payload: unknown, args: ExecutionArgs, context: GraphContext): Promise<ExecutionResult> => {
    executions += 1;
    const fresh = createGraphContext(services, context.viewer, context.logger, context.request);
    return execute({ ...args, rootValue: payload, contextValue: fresh });
  };

  /**
   * One event's payload for one subscriber: a fresh context, or a result shared with the
   * subscribers whose `shareKey` (document, operation, variables, user) is the same.
   */
  const executeEvent = (payload: unknown, args: ExecutionArgs, context: GraphContext, shareKey: string): Promise<ExecutionResult> => {
    if (!isSharedPayload(payload) || typeof payload !== 'object' || payload === null) return runEvent(payload, args, context);
    const nowMs = Date.now();
    let entry = shared.get(payload);
    if (!entry) {
      sweepShared(nowMs);
      entry = { atMs: nowMs, results: new Map() };
      shared.set(payload, entry);
    }
    const existing = entry.results.get(shareKey);
    if (existing) {
      sharedDeliveries += 1;
      return existing;
    }
    const result = runEvent(payload, args, context);
    entry.results.set(shareKey, result);
    return result;
  };

  const subscribe = async (args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> => {
    const context = args.contextValue as GraphContext;
    const shareKey = `${ids.of(args.document)}\u0000${args.operationName ?? ''}\u0000${stableJson(args.variableValues ?? {})}\u0000${viewerKey(context.viewer)}`;
    try {
      const stream = await createSourceEventStream(args);
      if (!isAsyncIterable(stream)) return stream;
      const source = stream[Symbol.asyncIterator]();
      const iterator: AsyncIterableIterator<ExecutionResult> = {
        next: async () => {
          const next = await source.next();
          if (next.done) return { done: true, value: undefined };
          return { done: false, value: await executeEvent(next.value, args, context, shareKey) };
        },
        return: async () => {
          await source.return?.();
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    } catch (error) {
      // A throw here would close the whole connection with 4500; only this subscription failed.
      logger.error({ err: error }, 'opening a subscription failed');
      return { errors: [new GraphQLError('Internal server error', { originalError: error instanceof Error ? error : undefined })] };
    }
  };

  const release = (ctx: WsContext, id: string): void => {
    const state = connections.get(ctx);
    const releaseSlot = state?.releases.get(id);
    if (!releaseSlot || !state) return;
    state.releases.delete(id);
    subscriptions -= 1;
    releaseSlot();
  };

  const graphqlWs = makeServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      connectionInitWaitTimeout: options.connectionInitWaitTimeoutMs ?? CONNECTION_INIT_TIMEOUT_MS,
      onConnect: async (ctx) => {
        const identity = await tryAuthenticate(ctx);
        if (!identity || identity instanceof GatewayError) {
          logger.info({ reason: identity?.message ?? 'no identity', address: ctx.extra.request.socket.remoteAddress }, 'refused a WebSocket connection');
          return false;
        }
        const releaseConnection = options.admitConnection ? options.admitConnection(identity.viewer) : () => undefined;
        if (!releaseConnection) {
          ctx.extra.socket.close(CLOSE_FORBIDDEN, 'Forbidden: too many connections');
          return false;
        }
        const state = stateOf(ctx);
        state.identity = identity;
        state.releaseConnection = releaseConnection;
        if (identity.expiresAtMs !== undefined) {
          state.expiryTimer = setTimeout(() => ctx.extra.socket.close(CLOSE_FORBIDDEN, 'Forbidden: credentials expired'), Math.max(0, identity.expiresAtMs - Date.now()));
          state.expiryTimer.unref();
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload: SubscribePayload) => {
        const entry = documentOf(payload.query);
        if ('errors' in entry) return entry.errors;
        const operation = getOperationAST(entry.document, payload.operationName);
        if (!operation) return [new GraphQLError('the document has no operation of that name, or several and no operationName', { extensions: { code: BAD_REQUEST } })];
        if (operation.operation !== 'subscription') {
          return [new GraphQLError(`only subscriptions are served over WebSocket; send ${operation.operation === 'query' ? 'queries' : 'mutations'} as HTTP POST ${GRAPHQL_PATH}`, { extensions: { code: BAD_REQUEST } })];
        }
        const state = stateOf(ctx);
        if (Object.keys(ctx.subscriptions).length > maxPerConnection) {
          return [new TooManySubscriptionsError(`a connection may hold at most ${maxPerConnection} subscriptions`)];
        }
        const identity = await tryAuthenticate(ctx);
        if (identity instanceof GatewayError) return [identity];
        if (!identity) return [new UnauthenticatedError('the connection credentials are no longer valid; connect again')];
        const releaseSlot = options.admitSubscription ? options.admitSubscription(identity.viewer) : () => undefined;
        if (!releaseSlot) return [new TooManySubscriptionsError(`${identity.viewer.username ?? 'this user'} holds as many subscriptions as the gateway allows`)];
        state.releases.set(id, releaseSlot);
        subscriptions += 1;
        const context = createGraphContext(services, identity.viewer, logger, { id: randomUUID(), sourceAddress: ctx.extra.request.socket.remoteAddress });
        return {
          schema,
          document: entry.document,
          operationName: payload.operationName,
          variableValues: payload.variables ?? undefined,
          contextValue: context,
        };
      },
      subscribe,
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors || result.errors.length === 0) return undefined;
        return { ...result, errors: result.errors.map((error) => format(error instanceof GraphQLError ? error : new GraphQLError(String(error)))) };
      },
      onError: (ctx, id, _payload, errors) => {
        release(ctx, id);
        return errors.map(format);
      },
      onComplete: (ctx, id) => release(ctx, id),
      onClose: (ctx) => {
        const state = connections.get(ctx);
        if (!state) return;
        clearTimeout(state.expiryTimer);
        for (const id of [...state.releases.keys()]) release(ctx, id);
        state.releaseConnection?.();
        state.releaseConnection = undefined;
      },
    },
  );

  /**
   * Sockets written to during the current tick. A fan-out writes to thousands of sockets in
   * one tick; corked until the tick ends, the frames of one connection's subscriptions leave in
   * one system call instead of one each.
   */
  const corked = new Set<Duplex>();
  const uncorkAll = (): void => {
    for (const raw of corked) raw.uncork();
    corked.clear();
  };
  const corkForTick = (raw: Duplex): void => {
    if (corked.has(raw)) return;
    raw.cork();
    corked.add(raw);
    if (corked.size === 1) process.nextTick(uncorkAll);
  };

  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  const raws = new WeakMap<WebSocket, Duplex>();

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const raw = raws.get(socket);
    // Protocol errors (a frame above maxPayload: 1009) are closed by ws itself; nothing to add.
    socket.on('error', (error) => logger.debug({ err: error }, 'WebSocket error'));
    let alive = true;
    const pinger =
      keepAliveMs > 0
        ? setInterval(() => {
            // No pong since the last ping: the peer is gone (or stopped reading); cut it.
            if (!alive) {
              socket.terminate();
              return;
            }
            alive = false;
            socket.ping();
          }, keepAliveMs)
        : undefined;
    socket.on('pong', () => {
      alive = true;
    });
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) {
              resolve();
              return;
            }
            if (raw) corkForTick(raw);
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (message: Buffer) => {
            handle(message.toString()).catch((error: unknown) => {
              logger.error({ err: error }, 'a WebSocket message could not be handled');
              socket.close(CLOSE_INTERNAL_ERROR, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code: number, reason: Buffer) => {
      clearInterval(pinger);
      closed(code, reason.toString()).catch((error: unknown) => logger.error({ err: error }, 'closing a WebSocket connection failed'));
    });
  });

  const refuse = (socket: Duplex, status: number, reason: string): void => {
    // The client may have gone already; there is nobody to tell then.
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  options.httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A reset before the handshake completes must not surface as an unhandled error.
    socket.on('error', () => socket.destroy());
    const pathname = new URL(request.url ?? '/', 'http://placeholder').pathname;
    if (pathname !== GRAPHQL_PATH) {
      refuse(socket, 404, 'Not Found');
      return;
    }
    if (draining) {
      refuse(socket, 503, 'Service Unavailable');
      return;
    }
    if (options.checkOrigin && !options.checkOrigin(request.headers.origin, request)) {
      refuse(socket, 403, 'Forbidden');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      raws.set(ws, socket);
      wss.emit('connection', ws, request);
    });
  });

  return {
    stats: () => ({ connections: wss.clients.size, subscriptions, executions, sharedDeliveries }),
    drain: async () => {
      if (draining) return;
      draining = true;
      const open = [...wss.clients];
      const closed = Promise.all(open.map((ws) => (ws.readyState === ws.CLOSED ? Promise.resolve() : new Promise<void>((resolve) => ws.once('close', () => resolve())))));
      for (const ws of open) ws.close(CLOSE_GOING_AWAY, 'Going away: the gateway is shutting down');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainTimeoutMs);
      });
      await Promise.race([closed, timedOut]);
      clearTimeout(timer);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
