// Starts the API server emulator alone for a test: HTTPS on a random loopback port with a fresh
// CA, an in-memory store (or a given SQLite path), a LogStore, and a client-node KubeConfig that
// trusts the CA and sends the token. Also raw HTTPS helpers for what the typed client cannot
// send (malformed bodies, odd headers) and for reading streams line by line.

import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import { createClusterTls, type ClusterTls } from '../../src/cluster/certs.ts';
import { LogStore } from '../../src/cluster/logstore.ts';
import type { AdmissionPlugin, UserInfo } from '../../src/cluster/api/admission.ts';
import type { Authorizer } from '../../src/cluster/api/authorization.ts';
import type { ReviewHandler } from '../../src/cluster/api/reviews.ts';
import { startApiServer, type ApiServer } from '../../src/cluster/api/server.ts';
import { openStore, type Store } from '../../src/cluster/api/storage.ts';

export const TEST_TOKEN = 'test-admin-token';
export const TEST_USER: UserInfo = { username: 'test-admin', groups: ['system:masters', 'system:authenticated'] };

export interface TestApiServerOptions {
  /** Default: a new in-memory store with `historyLimit`. */
  store?: Store;
  /** Used when `store` is not given; default the store's own default. */
  historyLimit?: number;
  /** Default: a new LogStore. */
  logs?: LogStore;
  /** Default none. */
  admission?: AdmissionPlugin[];
  /** Extra tokens and their users, besides `TEST_TOKEN`. */
  users?: Record<string, UserInfo>;
  /** Default: everything allowed. */
  authorizer?: Authorizer;
  /** Default none. */
  reviews?: ReviewHandler;
  bookmarkIntervalMs?: number;
  keepAliveIntervalMs?: number;
  maxBodyBytes?: number;
  now?: () => number;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Send the test token; default true. */
  auth?: boolean;
}

export interface LineStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The next line (without the newline); rejects if the stream ends first. */
  next(): Promise<string>;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  close(): void;
}

export interface TestApiServer {
  server: ApiServer;
  /** What the server logged as unexpected errors (instead of writing them to stderr). */
  loggedErrors: Array<{ details: object; message: string }>;
  store: Store;
  logs: LogStore;
  url: string;
  tls: ClusterTls;
  kubeConfig: KubeConfig;
  /** A KubeConfig for the same server with another token (for 401 tests). */
  kubeConfigWithToken(token: string): KubeConfig;
  raw(path: string, options?: RawRequestOptions): Promise<RawResponse>;
  /** Opens a GET and reads its body line by line (watch, log follow). */
  stream(path: string, options?: { headers?: Record<string, string> }): Promise<LineStream>;
  close(): Promise<void>;
}

// One CA per test process: generating keys is cheap but not free, and nothing depends on
// certificates differing between servers.
let sharedTls: Promise<ClusterTls> | undefined;

export function kubeConfigFor(url: string, caPem: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: url, caData: Buffer.from(caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'test', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test', namespace: 'default' }],
    currentContext: 'test',
  });
  return kc;
}

export async function startTestApiServer(options: TestApiServerOptions = {}): Promise<TestApiServer> {
  sharedTls ??= createClusterTls();
  const tls = await sharedTls;
  const store = options.store ?? openStore({ historyLimit: options.historyLimit });
  const logs = options.logs ?? new LogStore();
  const users = new Map<string, UserInfo>([[TEST_TOKEN, TEST_USER], ...Object.entries(options.users ?? {})]);
  const loggedErrors: Array<{ details: object; message: string }> = [];
  const server = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    tls: { key: tls.keyPem, cert: tls.certPem },
    store,
    logs,
    admission: options.admission ?? [],
    authenticate: (token) => users.get(token),
    log: { error: (details, message) => loggedErrors.push({ details, message }) },
    ...(options.authorizer ? { authorizer: options.authorizer } : {}),
    ...(options.reviews ? { reviews: options.reviews } : {}),
    ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    ...(options.keepAliveIntervalMs !== undefined ? { keepAliveIntervalMs: options.keepAliveIntervalMs } : {}),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  const openStreams = new Set<() => void>();

  function send(path: string, requestOptions: RawRequestOptions) {
    const url = new URL(path, server.url);
    const headers: Record<string, string | number> = { ...(requestOptions.headers ?? {}) };
    if (requestOptions.auth !== false) headers.Authorization = `Bearer ${TEST_TOKEN}`;
    const body = requestOptions.body;
    if (body !== undefined && headers['Content-Length'] === undefined) headers['Content-Length'] = Buffer.byteLength(body);
    return { url, headers, body };
  }

  return {
    server,
    loggedErrors,
    store,
    logs,
    url: server.url,
    tls,
    kubeConfig: kubeConfigFor(server.url, tls.caPem, TEST_TOKEN),
    kubeConfigWithToken: (token) => kubeConfigFor(server.url, tls.caPem, token),
    raw(path, requestOptions = {}) {
      const { url, headers, body } = send(path, requestOptions);
      return new Promise<RawResponse>((resolve, reject) => {
        const req = httpsRequest(url, { method: requestOptions.method ?? 'GET', headers, ca: tls.caPem, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    },
    stream(path, streamOptions = {}) {
      const { url, headers } = send(path, { headers: streamOptions.headers ?? {} });
      return new Promise<LineStream>((resolve, reject) => {
        const req = httpsRequest(url, { method: 'GET', headers, ca: tls.caPem, agent: false }, (res) => {
          const queue: string[] = [];
          const waiters: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
          let done = false;
          let endedResolve: () => void = () => undefined;
          const ended = new Promise<void>((r) => {
            endedResolve = r;
          });
          const lines = createInterface({ input: res });
          lines.on('line', (line) => {
            const waiter = waiters.shift();
            if (waiter) waiter.resolve(line);
            else queue.push(line);
          });
          const finish = () => {
            if (done) return;
            done = true;
            endedResolve();
            for (const waiter of waiters.splice(0)) waiter.reject(new Error('stream ended'));
          };
          lines.on('close', finish);
          // readline re-emits the input's errors (a reset when either side hangs up).
          lines.on('error', finish);
          res.on('error', finish);
          const close = () => {
            openStreams.delete(close);
            req.destroy();
            finish();
          };
          openStreams.add(close);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            ended,
            close,
            next() {
              const line = queue.shift();
              if (line !== undefined) return Promise.resolve(line);
              if (done) return Promise.reject(new Error('stream ended'));
              return new Promise<string>((res2, rej2) => waiters.push({ resolve: res2, reject: rej2 }));
            },
          });
        });
        req.on('error', reject);
        req.end();
      });
    },
    async close() {
      for (const close of [...openStreams]) close();
      await server.close();
      if (!options.store) store.close();
    },
  };
}
