// The gateway's connection to Kubernetes: a KubeConfig (from a kubeconfig file or the pod's
// service account), raw JSON requests through client-node's HTTP library, and watches through
// client-node's Watch. Every request is counted. Objects stay raw JSON (client-node's typed
// APIs would turn timestamps into Dates in lists but not in watch events).

import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
  Watch,
} from '@kubernetes/client-node';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { KubeApiError, KubeUnreachableError, type StatusBody } from './errors.ts';
import { classifyRequest, KubeRequestCounter, NO_RESPONSE_CODE } from './request-metrics.ts';

export type KubeSource = { kind: 'kubeconfig'; path: string; context?: string } | { kind: 'in-cluster' };

/** Upper bound for one non-watch request; a hung API server must not hang a mutation. */
export const REQUEST_TIMEOUT_MS = 30_000;

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * client-node builds a new connection pool (undici Agent) for every request. One shared pool per
 * client keeps TLS sessions alive across requests and can be closed on shutdown.
 */
class PooledKubeConfig extends KubeConfig {
  private pool: Dispatcher | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    if (!this.pool) this.pool = fresh;
    else if (fresh !== this.pool) await fresh.close();
    context.setDispatcher(this.pool);
  }

  async closePool(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.destroy();
  }
}

export function loadKubeConfig(source: KubeSource): PooledKubeConfig {
  const kc = new PooledKubeConfig();
  if (source.kind === 'in-cluster') kc.loadFromCluster();
  else {
    kc.loadFromFile(source.path);
    if (source.context) kc.setCurrentContext(source.context);
  }
  return kc;
}

export interface Impersonation {
  user: string;
  groups: string[];
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API path with its query string: `/apis/kubeflow.org/v2beta1/namespaces/a/mpijobs?dryRun=All`. */
  path: string;
  body?: unknown;
  /** Defaults to `application/json`; patches name their patch type. */
  contentType?: string;
  /** Send the request as this user (Kubernetes impersonation headers). */
  impersonate?: Impersonation;
}

const IMPERSONATE_USER = 'Impersonate-User';
const IMPERSONATE_GROUP = 'Impersonate-Group';

/** Watch that counts its requests: a 200 when the stream opened, the status or `error` otherwise. */
class CountingWatch extends Watch {
  private readonly counter: KubeRequestCounter;

  constructor(config: KubeConfig, counter: KubeRequestCounter) {
    super(config);
    this.counter = counter;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const target = classifyRequest('GET', `${path}?watch=true`);
    let failure: unknown;
    let settled = false;
    const controller = await super.watch(path, queryParams, callback, (err: unknown) => {
      if (!settled) failure = err;
      done(err);
    });
    settled = true;
    const statusCode = (failure as { statusCode?: unknown } | undefined)?.statusCode;
    this.counter.record(target, failure === undefined ? 200 : typeof statusCode === 'number' ? statusCode : NO_RESPONSE_CODE);
    return controller;
  }
}

export class KubeClient {
  readonly config: PooledKubeConfig;
  readonly counter: KubeRequestCounter;
  readonly watcher: Watch;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly server: string;

  constructor(options: { config: PooledKubeConfig; counter?: KubeRequestCounter }) {
    this.config = options.config;
    this.counter = options.counter ?? new KubeRequestCounter();
    this.watcher = new CountingWatch(this.config, this.counter);
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  get serverUrl(): string {
    return this.server;
  }

  /** Sends one request; resolves to the parsed JSON body, throws KubeApiError or KubeUnreachableError. */
  async request<T>(request: KubeRequest): Promise<T> {
    const url = `${this.server}${request.path}`;
    const target = classifyRequest(request.method, url);
    let status: number;
    let text: string;
    try {
      ({ status, text } = request.impersonate ? await this.sendImpersonated(url, request, request.impersonate) : await this.send(url, request));
    } catch (error) {
      this.counter.record(target, NO_RESPONSE_CODE);
      throw new KubeUnreachableError(error instanceof Error ? error.message : String(error), { cause: error });
    }
    this.counter.record(target, status);
    const body = parseJson(text);
    if (status < 200 || status >= 300) {
      const statusBody = isStatus(body) ? body : undefined;
      throw new KubeApiError(status, statusBody, `${request.method} ${request.path} answered ${status}`);
    }
    return body as T;
  }

  private async send(url: string, request: KubeRequest): Promise<{ status: number; text: string }> {
    const context = new RequestContext(url, HttpMethod[request.method]);
    await this.config.applySecurityAuthentication(context);
    context.setHeaderParam('Accept', 'application/json');
    if (request.body !== undefined) {
      context.setHeaderParam('Content-Type', request.contentType ?? 'application/json');
      context.setBody(JSON.stringify(request.body));
    }
    context.setSignal(AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    const response = await this.http.send(context).toPromise();
    return { status: response.httpStatusCode, text: await response.body.text() };
  }

  /**
   * A request made as someone else. The API server reads one group per `Impersonate-Group` line
   * (a comma-joined line is one group named "a,b"), and fetch merges repeated header names into
   * one line, so these go through node:http(s), which sends an array value as separate lines.
   */
  private async sendImpersonated(url: string, request: KubeRequest, impersonate: Impersonation): Promise<{ status: number; text: string }> {
    const options: RequestOptions = { method: request.method, headers: {} };
    await this.config.applyToHTTPSOptions(options);
    const headers: OutgoingHttpHeaders = {
      ...(options.headers as OutgoingHttpHeaders | undefined),
      Accept: 'application/json',
      [IMPERSONATE_USER]: impersonate.user,
      ...(impersonate.groups.length > 0 ? { [IMPERSONATE_GROUP]: [...impersonate.groups] } : {}),
    };
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    if (body !== undefined) {
      headers['Content-Type'] = request.contentType ?? 'application/json';
      // Node sends DELETE bodies unframed unless told their length.
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(url, { ...options, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  async close(): Promise<void> {
    await this.config.closePool();
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // A non-JSON body (an HTML error page from a proxy) carries nothing we can map.
    return undefined;
  }
}

function isStatus(value: unknown): value is StatusBody {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}
