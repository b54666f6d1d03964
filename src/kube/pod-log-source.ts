// `GET .../pods/<pod>/log` as a stream of timestamped lines. client-node's Log helper drops the
// Status body of a refusal and never reports a stream that broke, and both matter here (a
// container that is still starting is retried, a broken follow is resumed), so the request is
// made with node:https and the KubeConfig's own TLS options and credentials. Every request is
// counted like the others.

import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeClient } from './client.ts';
import { KubeApiError, KubeUnreachableError, type StatusBody } from './errors.ts';
import { classifyRequest, NO_RESPONSE_CODE } from './request-metrics.ts';

export interface PodLogRequest {
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  /** Only the last N lines (before following). */
  tailLines?: number | undefined;
  /** RFC 3339; only lines at or after it (the API server reads it to the second). */
  sinceTime?: string | undefined;
  sinceSeconds?: number | undefined;
  /** The previous, terminated instance of the container. */
  previous?: boolean | undefined;
}

export interface RawLogLine {
  /** As the API server wrote it (RFC 3339 with nanoseconds). */
  timestamp: string;
  /** The same instant in milliseconds, for ordering and `sinceSeconds`. */
  timeMs: number;
  text: string;
}

/**
 * A log stream the API server had answered (200) ended without its normal end: the connection
 * dropped or the server cut it. Unlike a refusal or no answer at all, it is resumed.
 */
export class LogStreamBrokeOffError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogStreamBrokeOffError';
  }
}

export interface PodLogHandlers {
  /** The complete lines of one network chunk. */
  onLines(lines: RawLogLine[]): void;
  /** Called once: the stream ended (`undefined`: normally) or failed. Never after `abort()`. */
  onEnd(error: Error | undefined): void;
}

export interface PodLogHandle {
  abort(): void;
}

/** Where log streams come from; the gateway's is KubeLogSource, tests bring their own. */
export interface LogSource {
  open(request: PodLogRequest, handlers: PodLogHandlers): PodLogHandle;
}

/** A longer line is cut here: one runaway line must not hold unbounded memory. */
export const MAX_LOG_LINE_CHARS = 64 * 1024;
/** Bytes of an error answer kept for its Status message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Splits `<RFC 3339 timestamp> <text>`, as `timestamps=true` writes every line. */
function parseTimestampedLine(line: string): RawLogLine {
  const space = line.indexOf(' ');
  const stamp = space > 0 ? line.slice(0, space) : '';
  const timeMs = stamp === '' ? Number.NaN : Date.parse(stamp);
  if (Number.isNaN(timeMs)) return { timestamp: '', timeMs: Number.NaN, text: line };
  return { timestamp: stamp, timeMs, text: line.slice(space + 1) };
}

/** Cuts a chunked text stream into lines; a trailing partial line waits for the next chunk. */
class LineSplitter {
  private partial = '';

  push(chunk: string): string[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LOG_LINE_CHARS) {
      lines.push(this.partial.slice(0, MAX_LOG_LINE_CHARS));
      this.partial = '';
    }
    return lines.map((line) => (line.length > MAX_LOG_LINE_CHARS ? line.slice(0, MAX_LOG_LINE_CHARS) : line));
  }

  /** The last line when the stream ended without a newline. */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? [] : [rest];
  }
}

function podLogPath(request: PodLogRequest): string {
  const query = new URLSearchParams({ container: request.container, timestamps: 'true' });
  if (request.follow) query.set('follow', 'true');
  if (request.previous) query.set('previous', 'true');
  if (request.tailLines !== undefined) query.set('tailLines', String(request.tailLines));
  if (request.sinceTime !== undefined) query.set('sinceTime', request.sinceTime);
  else if (request.sinceSeconds !== undefined) query.set('sinceSeconds', String(request.sinceSeconds));
  return `/api/v1/namespaces/${encodeURIComponent(request.namespace)}/pods/${encodeURIComponent(request.pod)}/log?${query.toString()}`;
}

function parseStatus(text: string): StatusBody | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status' ? (body as StatusBody) : undefined;
  } catch {
    // A proxy's HTML error page carries no Status; the status code alone is mapped.
    return undefined;
  }
}

export class KubeLogSource implements LogSource {
  private readonly client: KubeClient;

  constructor(client: KubeClient) {
    this.client = client;
  }

  open(request: PodLogRequest, handlers: PodLogHandlers): PodLogHandle {
    const path = podLogPath(request);
    const url = new URL(`${this.client.serverUrl}${path}`);
    const target = classifyRequest('GET', url.toString());
    let finished = false;
    let req: ClientRequest | undefined;
    let answered = false;
    const finish = (error: Error | undefined): void => {
      if (finished) return;
      finished = true;
      handlers.onEnd(error);
    };
    const onResponse = (res: IncomingMessage): void => {
      answered = true;
      const status = res.statusCode ?? 0;
      this.client.counter.record(target, status);
      if (status !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < MAX_ERROR_BODY_BYTES) body += chunk;
        });
        res.on('end', () => finish(new KubeApiError(status, parseStatus(body), `GET ${path} answered ${status}`)));
        res.on('error', () => finish(new KubeApiError(status, undefined, `GET ${path} answered ${status}`)));
        return;
      }
      const splitter = new LineSplitter();
      const deliver = (lines: string[]): void => {
        if (finished || lines.length === 0) return;
        handlers.onLines(lines.map(parseTimestampedLine));
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => deliver(splitter.push(chunk)));
      res.on('end', () => {
        deliver(splitter.flush());
        finish(undefined);
      });
      res.on('error', (error) => finish(new LogStreamBrokeOffError(`GET ${path}: ${error.message}`, { cause: error })));
      // A connection that drops mid-stream emits close without end.
      res.on('close', () => finish(new LogStreamBrokeOffError(`GET ${path}: the log stream broke off`)));
    };
    const start = async (): Promise<void> => {
      const options: RequestOptions = {};
      await this.client.config.applyToHTTPSOptions(options);
      if (finished) return;
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      req = send(url, { ...options, method: 'GET', headers: { ...options.headers, Accept: '*/*' } }, onResponse);
      req.on('error', (error) => {
        if (!answered) this.client.counter.record(target, NO_RESPONSE_CODE);
        finish(answered ? new LogStreamBrokeOffError(`GET ${path}: ${error.message}`, { cause: error }) : new KubeUnreachableError(error.message, { cause: error }));
      });
      req.end();
    };
    start().catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
    return {
      abort: () => {
        finished = true;
        req?.destroy();
      },
    };
  }
}
