// The API server emulator's HTTPS listener: bearer-token authentication, the REST handler, and
// the guarantee that any failure becomes a JSON Status answer (never a crash, never an HTML
// page). close() ends open watches and log follows first, so shutdown never hangs on them.

import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LogStore } from '../logstore.ts';
import type { AdmissionPlugin, UserInfo } from './admission.ts';
import {
  ALL_UNAUTHENTICATED_GROUP,
  ANONYMOUS_USERNAME,
  authorize,
  DECISION,
  requestAttributes,
  type Authorizer,
} from './authorization.ts';
import { impersonate } from './impersonation.ts';
import { DEFAULT_MAX_BODY_BYTES, sendStatus } from './request.ts';
import { createRestHandler, PUBLIC_PATHS } from './rest.ts';
import type { ReviewHandler } from './reviews.ts';
import { badRequest, internalError, StatusError, unauthorized } from './status.ts';
import type { Store } from './storage.ts';
import { BOOKMARK_INTERVAL_MS, WATCH_KEEPALIVE_INTERVAL_MS } from './watch.ts';

/** Where unexpected errors are reported; a pino logger fits. */
export interface ApiServerLog {
  error(details: object, message: string): void;
}

export interface ApiServerOptions {
  /** Listen address; default '127.0.0.1'. */
  host: string;
  /** 0 = any free port. */
  port: number;
  /** PEM serving key and certificate. */
  tls: { key: string; cert: string };
  store: Store;
  logs: LogStore;
  /** Run in order on every write: all mutating phases, then all validating ones. */
  admission: AdmissionPlugin[];
  /** Bearer token -> user; undefined -> 401 Unauthorized. */
  authenticate(token: string): UserInfo | undefined;
  /**
   * Decides every authenticated request (after impersonation) and every impersonation; a refusal
   * is the real server's 403. Default: everything is allowed (impersonation included).
   */
  authorizer?: Authorizer;
  /** Answers POSTs to the virtual review kinds (`ResourceInfo.virtual`); default none (404). */
  reviews?: ReviewHandler;
  /** Largest request body; default 3 MiB (`DEFAULT_MAX_BODY_BYTES`). */
  maxBodyBytes?: number;
  /** Bookmark period of watches that allow bookmarks; default `BOOKMARK_INTERVAL_MS` (10 s). */
  bookmarkIntervalMs?: number;
  /** Idle period after which a watch gets a bare newline; default `WATCH_KEEPALIVE_INTERVAL_MS` (10 s). */
  keepAliveIntervalMs?: number;
  /** Clock for ages in Tables and log `sinceSeconds`; default `Date.now`. */
  now?: () => number;
  /** Default: one line per error on stderr. */
  log?: ApiServerLog;
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const stderrLog: ApiServerLog = {
  error(details, message) {
    process.stderr.write(`${message} ${JSON.stringify(details)}\n`);
  },
};

/** The authorizer of a server configured without one. */
const ALLOW_ALL: Authorizer = { authorize: () => ({ decision: DECISION.allow, reason: '' }) };

const ANONYMOUS: UserInfo = { username: ANONYMOUS_USERNAME, groups: [ALL_UNAUTHENTICATED_GROUP] };

function describeError(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { error: error.message, stack: error.stack } : { error: String(error) };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.log ?? stderrLog;
  const streams = new Set<() => void>();
  const register = (end: () => void) => {
    streams.add(end);
    return () => {
      streams.delete(end);
    };
  };
  const rest = createRestHandler({
    store: options.store,
    logs: options.logs,
    admission: options.admission,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? BOOKMARK_INTERVAL_MS,
    keepAliveIntervalMs: options.keepAliveIntervalMs ?? WATCH_KEEPALIVE_INTERVAL_MS,
    now: options.now ?? Date.now,
    register,
    ...(options.reviews ? { reviews: options.reviews } : {}),
  });
  const authorizer = options.authorizer ?? ALLOW_ALL;

  // A deleted pod's logs go with it, as on a real node; followers of them see their stream end.
  const stopForgettingLogs = options.store.subscribe((event) => {
    if (event.type === 'DELETED' && event.info.group === '' && event.info.resource === 'pods' && event.object.metadata.uid) options.logs.forgetPod(event.object.metadata.uid);
  });

  function authenticate(req: IncomingMessage): UserInfo {
    const header = req.headers.authorization;
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    const user = token ? options.authenticate(token) : undefined;
    if (!user) throw unauthorized();
    return user;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'https://apiserver.invalid');
      } catch {
        throw badRequest('malformed request URL');
      }
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      if (PUBLIC_PATHS.has(path)) {
        await rest.handle(req, res, url, ANONYMOUS);
        return;
      }
      const requestor = authenticate(req);
      // As the real filter chain: authentication, then impersonation, then authorization.
      const { user } = impersonate({ headers: req.headersDistinct, requestor, authorizer, requestUri: req.url ?? '' });
      authorize(authorizer, requestAttributes({ method: req.method ?? 'GET', url }, user));
      await rest.handle(req, res, url, user);
    } catch (error) {
      const status = error instanceof StatusError ? error : undefined;
      if (!status) log.error({ method: req.method, url: req.url, ...describeError(error) }, 'api server request failed');
      if (res.headersSent) {
        // A stream that already started cannot carry a Status any more; end it.
        if (!res.writableEnded) res.end();
        return;
      }
      sendStatus(res, status ?? internalError(error instanceof Error ? error.message : String(error)));
    }
  }

  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    void handle(req, res);
  });
  // Malformed HTTP never reaches the handler: answer it with a Status too, then hang up.
  server.on('clientError', (error: Error, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(badRequest(`malformed HTTP request: ${error.message}`).body);
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  const host = options.host || '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `https://${urlHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        stopForgettingLogs();
        for (const end of [...streams]) end();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
