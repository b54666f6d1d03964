// graphql-ws clients for the subscription suites: the real `graphql-ws` client over `ws`, one
// connection per client, no retries (a test wants to see a close, not hide it), and a recorder
// that keeps what a subscription received and lets a test wait for a condition on it.

import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export interface ClientHandle {
  client: Client;
  /** The client's socket once open: `pause()` it to stop reading, as a stuck browser tab would. */
  socket(): WebSocket;
  /** Resolves with the close code when the socket closes. */
  closed: Promise<number>;
  dispose(): Promise<void>;
}

export interface ConnectOptions {
  /** Sent as `connectionParams.authorization` when given. */
  authorization?: string;
  /** Wait for the ack before resolving; default true. */
  awaitAck?: boolean;
}

/** Opens a connection (not lazy) and resolves once acknowledged. */
export async function connect(url: string, options: ConnectOptions = {}): Promise<ClientHandle> {
  let socket: WebSocket | undefined;
  let resolveClosed: (code: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => {
    resolveClosed = resolve;
  });
  const Recording = class extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      socket = this;
    }
  };
  let resolveAck: () => void = () => undefined;
  let rejectAck: (error: unknown) => void = () => undefined;
  const acked = new Promise<void>((resolve, reject) => {
    resolveAck = resolve;
    rejectAck = reject;
  });
  const client = createClient({
    url: wsUrl(url),
    webSocketImpl: Recording,
    lazy: false,
    retryAttempts: 0,
    connectionParams: options.authorization === undefined ? undefined : { authorization: options.authorization },
    on: {
      connected: () => resolveAck(),
      closed: (event) => {
        const code = (event as { code?: unknown }).code;
        resolveClosed(typeof code === 'number' ? code : 0);
        rejectAck(new Error(`closed before the ack (${String(code)})`));
      },
    },
    // The lazy=false client reports connection problems here; the tests look at `closed`.
    onNonLazyError: () => undefined,
  });
  if (options.awaitAck ?? true) await acked;
  // A caller that does not wait for the ack expects a refusal; it must not surface as unhandled.
  else acked.catch(() => undefined);
  return {
    client,
    socket: () => {
      if (!socket) throw new Error('the socket is not open yet');
      return socket;
    },
    closed,
    dispose: () => client.dispose() ?? Promise.resolve(),
  };
}

export interface Recorder<T> {
  results: FormattedExecutionResult<T, unknown>[];
  /** The GraphQL errors (or close event) the subscription ended with. */
  error: unknown;
  completed: boolean;
  /** Resolves when the subscription completes; rejects when it errors. */
  done: Promise<void>;
  /** Resolves once `condition(results)` holds (checked on every result); rejects if the subscription ends first. */
  until(condition: (results: FormattedExecutionResult<T, unknown>[]) => boolean): Promise<FormattedExecutionResult<T, unknown>[]>;
  unsubscribe(): void;
}

export function record<T = Record<string, unknown>>(client: Client, query: string, variables: Record<string, unknown> = {}): Recorder<T> {
  const waiters: Array<{ condition: (results: FormattedExecutionResult<T, unknown>[]) => boolean; resolve: (r: FormattedExecutionResult<T, unknown>[]) => void; reject: (e: unknown) => void }> = [];
  let resolveDone: () => void = () => undefined;
  let rejectDone: (error: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // A test that never awaits `done` must not fail on an unhandled rejection.
  done.catch(() => undefined);
  const recorder: Recorder<T> = {
    results: [],
    error: undefined,
    completed: false,
    done,
    until(condition) {
      if (condition(recorder.results)) return Promise.resolve(recorder.results);
      if (recorder.completed || recorder.error !== undefined) return Promise.reject(new Error(`the subscription ended first: ${JSON.stringify(recorder.error ?? 'completed')}`));
      return new Promise((resolve, reject) => waiters.push({ condition, resolve, reject }));
    },
    unsubscribe: () => undefined,
  };
  const settleWaiters = (ended: boolean): void => {
    for (const waiter of [...waiters]) {
      if (waiter.condition(recorder.results)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(recorder.results);
      } else if (ended) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.reject(new Error(`the subscription ended first: ${JSON.stringify(recorder.error ?? 'completed')}`));
      }
    }
  };
  recorder.unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        recorder.results.push(result);
        settleWaiters(false);
      },
      error: (error) => {
        recorder.error = error;
        settleWaiters(true);
        rejectDone(error);
      },
      complete: () => {
        recorder.completed = true;
        settleWaiters(true);
        resolveDone();
      },
    },
  );
  return recorder;
}

/** The `extensions.code` values of what a subscription ended with. */
export function errorCodes(error: unknown): string[] {
  if (!Array.isArray(error)) return [];
  return error.map((e: { extensions?: { code?: unknown } }) => String(e.extensions?.code));
}
