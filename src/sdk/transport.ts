// How the SDK reaches the gateway: GraphQL over HTTP (POST, JSON) for queries and mutations,
// graphql-ws for subscriptions. Both send the bearer token: the `Authorization` header on HTTP,
// `connectionParams.authorization` on the WebSocket (browsers cannot set headers on one).
// Every failure leaves here as a GatewayError with a code.

import { print, type DocumentNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws/client';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { CLIENT_ERROR_CODE, GATEWAY_ERROR_CODE, GatewayError, errorFromGraphQL, type GraphQLErrorEntry } from './errors.ts';

/** Default time an HTTP request may take before it fails with TIMEOUT. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** graphql-ws close codes the SDK explains (the protocol's own numbers). */
const WS_CLOSE_FORBIDDEN = 4403;
const WS_CLOSE_UNAUTHORIZED = 4401;
const WS_CLOSE_INTERNAL = 4500;

const GRAPHQL_RESPONSE_MEDIA_TYPES = 'application/graphql-response+json, application/json;q=0.9';

export interface TransportOptions {
  /** The gateway's GraphQL endpoint over HTTP(S), e.g. `http://127.0.0.1:4000/graphql`. */
  server: string;
  /** Bearer token sent with every request and WebSocket connection; default none. */
  token?: string | undefined;
  /** The fetch to use; default the global `fetch`. */
  fetch?: typeof fetch;
  /**
   * The WebSocket constructor for subscriptions; default the global `WebSocket` (Node >= 22,
   * browsers). `false` turns subscriptions off: streaming calls then fail with NETWORK_ERROR
   * and `waitForCompletion` polls.
   */
  webSocket?: unknown;
  /** Per HTTP request; default DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** Sent as `User-Agent` on HTTP where the runtime allows it; default none. */
  userAgent?: string;
}

const printed = new WeakMap<DocumentNode, string>();

function source(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function graphQLErrors(value: unknown): GraphQLErrorEntry[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((entry) =>
    isRecord(entry)
      ? {
          message: typeof entry['message'] === 'string' ? entry['message'] : 'unknown error',
          ...(Array.isArray(entry['path']) ? { path: entry['path'].filter((p): p is string | number => typeof p === 'string' || typeof p === 'number') } : {}),
          ...(isRecord(entry['extensions']) ? { extensions: entry['extensions'] } : {}),
        }
      : { message: String(entry) },
  );
}

/** The innermost useful words of a fetch failure (`connect ECONNREFUSED 127.0.0.1:4000`). */
function describeFailure(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth += 1) {
    current = current.cause;
    if (current instanceof Error && current.message) message = current.message;
  }
  return message;
}

/** `http(s)://` to `ws(s)://`, keeping host, path and query. */
export function webSocketUrl(server: string): string {
  const url = new URL(server);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

function closeDetails(value: unknown): { code: number; reason: string } | undefined {
  if (!isRecord(value) && !(value instanceof Error)) return undefined;
  const code = (value as { code?: unknown }).code;
  const reason = (value as { reason?: unknown }).reason;
  if (typeof code !== 'number') return undefined;
  return { code, reason: typeof reason === 'string' ? reason : '' };
}

/** What graphql-ws hands a sink's `error`: GraphQL errors, a CloseEvent, or a socket error event. */
export function errorFromWebSocket(failure: unknown, url: string): GatewayError {
  const errors = graphQLErrors(failure);
  if (errors) return errorFromGraphQL(errors);
  const close = closeDetails(failure);
  if (close) {
    const reason = close.reason ? `: ${close.reason}` : '';
    if (close.code === WS_CLOSE_FORBIDDEN) {
      return new GatewayError(GATEWAY_ERROR_CODE.forbidden, `the gateway refused the WebSocket connection (${close.code}${reason})`);
    }
    if (close.code === WS_CLOSE_UNAUTHORIZED) {
      return new GatewayError(GATEWAY_ERROR_CODE.unauthenticated, `the gateway refused the WebSocket connection (${close.code}${reason})`);
    }
    if (close.code === WS_CLOSE_INTERNAL) {
      return new GatewayError(GATEWAY_ERROR_CODE.internal, `the gateway closed the WebSocket connection (${close.code}${reason})`);
    }
    return new GatewayError(CLIENT_ERROR_CODE.network, `the WebSocket connection to ${url} closed (${close.code}${reason})`);
  }
  const detail = failure instanceof Error ? `: ${describeFailure(failure)}` : '';
  return new GatewayError(CLIENT_ERROR_CODE.network, `cannot open a WebSocket to ${url}${detail}`, { cause: failure });
}

export class Transport {
  readonly url: string;
  readonly webSocketUrl: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly webSocketImpl: unknown;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string | undefined;
  private ws: WsClient | undefined;
  private socketOpen = false;
  private connectedWaiters: Array<(connected: boolean) => void> = [];

  constructor(options: TransportOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.server);
    } catch {
      throw new GatewayError(CLIENT_ERROR_CODE.network, `"${options.server}" is not a URL; give the gateway's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new GatewayError(CLIENT_ERROR_CODE.network, `"${options.server}" is not an http(s) URL`);
    }
    this.url = parsed.toString();
    this.webSocketUrl = webSocketUrl(this.url);
    this.token = options.token === '' ? undefined : options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.webSocketImpl = options.webSocket === undefined ? globalThis.WebSocket : options.webSocket;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.userAgent = options.userAgent;
  }

  /** Whether subscriptions can be attempted at all (a WebSocket implementation is there). */
  get webSocketsEnabled(): boolean {
    return typeof this.webSocketImpl === 'function';
  }

  async request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, signal?: AbortSignal): Promise<TResult> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE_MEDIA_TYPES };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    if (this.userAgent) headers['user-agent'] = this.userAgent;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: source(document), variables }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw new GatewayError(CLIENT_ERROR_CODE.aborted, 'the request was aborted', { cause: error });
      if (timeout.aborted) throw new GatewayError(CLIENT_ERROR_CODE.timeout, `no answer from ${this.url} within ${this.requestTimeoutMs} ms`, { cause: error });
      throw new GatewayError(CLIENT_ERROR_CODE.network, `cannot reach the gateway at ${this.url}: ${describeFailure(error)}`, { cause: error });
    }
    let body: unknown;
    const text = await response.text().catch((error: unknown) => {
      throw new GatewayError(CLIENT_ERROR_CODE.network, `the answer from ${this.url} broke off: ${describeFailure(error)}`, { cause: error });
    });
    try {
      body = JSON.parse(text);
    } catch {
      const type = response.headers.get('content-type') ?? 'no content type';
      throw new GatewayError(
        CLIENT_ERROR_CODE.badResponse,
        `${this.url} answered HTTP ${response.status} (${type}), not a GraphQL response: is it the gateway's /graphql endpoint?`,
        { httpStatus: response.status },
      );
    }
    if (!isRecord(body)) {
      throw new GatewayError(CLIENT_ERROR_CODE.badResponse, `${this.url} answered HTTP ${response.status} with JSON that is not a GraphQL response`, { httpStatus: response.status });
    }
    const errors = graphQLErrors(body['errors']);
    if (errors) throw errorFromGraphQL(errors, response.status);
    if (!isRecord(body['data'])) {
      throw new GatewayError(CLIENT_ERROR_CODE.badResponse, `${this.url} answered HTTP ${response.status} with neither data nor errors`, { httpStatus: response.status });
    }
    // The shape is the document's: the gateway validated the operation against its schema.
    return body['data'] as TResult;
  }

  private webSocketClient(): WsClient {
    if (!this.webSocketsEnabled) {
      throw new GatewayError(CLIENT_ERROR_CODE.network, 'WebSockets are not available here (no WebSocket implementation); subscriptions need one');
    }
    this.ws ??= this.createWebSocketClient();
    return this.ws;
  }

  private createWebSocketClient(): WsClient {
    try {
      return this.newWebSocketClient();
    } catch (error) {
      throw new GatewayError(CLIENT_ERROR_CODE.network, `cannot use WebSockets here: ${describeFailure(error)}`, { cause: error });
    }
  }

  private newWebSocketClient(): WsClient {
    return createClient({
      url: this.webSocketUrl,
      webSocketImpl: this.webSocketImpl,
      connectionParams: this.token ? { authorization: `Bearer ${this.token}` } : {},
      lazy: true,
      // A silent reconnect would replay or lose stream items; the caller decides what to resume.
      retryAttempts: 0,
      on: {
        connected: () => {
          this.socketOpen = true;
          this.connectedWaiters.splice(0).forEach((resolve) => resolve(true));
        },
        closed: () => {
          this.socketOpen = false;
          this.connectedWaiters.splice(0).forEach((resolve) => resolve(false));
        },
      },
    });
  }

  /**
   * Resolves when the WebSocket is acknowledged (true, at once if it is already) or closes
   * before that (false). A subscription started before is then on its way to the server, which
   * `waitForCompletion` uses to read the current state only once its change stream is being set up.
   */
  whenConnected(): Promise<boolean> {
    if (this.socketOpen) return Promise.resolve(true);
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  /**
   * Runs a subscription and yields each result's data. Ends when the gateway completes the
   * stream or `signal` aborts; throws a GatewayError when the stream fails. Breaking out of the
   * loop unsubscribes.
   */
  async *subscribe<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, signal?: AbortSignal): AsyncGenerator<TResult, void, undefined> {
    if (signal?.aborted) return;
    const client = this.webSocketClient();
    const queue: TResult[] = [];
    let finished = false;
    let failure: GatewayError | undefined;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const resume = wake;
      wake = undefined;
      resume?.();
    };
    const dispose = client.subscribe<TResult>(
      { query: source(document), variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          const errors = graphQLErrors(result.errors);
          if (errors) {
            failure ??= errorFromGraphQL(errors);
            finished = true;
          } else if (result.data !== undefined && result.data !== null) {
            queue.push(result.data);
          }
          notify();
        },
        error: (error) => {
          failure ??= errorFromWebSocket(error, this.webSocketUrl);
          finished = true;
          notify();
        },
        complete: () => {
          finished = true;
          notify();
        },
      },
    );
    const onAbort = (): void => {
      finished = true;
      notify();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (signal?.aborted) return;
        if (failure) throw failure;
        if (finished) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      dispose();
    }
  }

  /** Closes the WebSocket connection, if one is open. */
  async close(): Promise<void> {
    const ws = this.ws;
    this.ws = undefined;
    this.socketOpen = false;
    this.connectedWaiters.splice(0).forEach((resolve) => resolve(false));
    await ws?.dispose();
  }
}
