// Small client-node helpers shared by the comparison tests: reading the Status of a refused
// call, and collecting a watch's events.

import { ApiException, Watch, type KubeConfig } from '@kubernetes/client-node';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface KubeStatus {
  kind: string;
  apiVersion: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
}

/** The Status a call was refused with; fails the test if the call succeeded. */
export async function refusal(call: Promise<unknown>): Promise<KubeStatus> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body: unknown = error.body;
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as KubeStatus;
    if (status.code !== error.code) throw new Error(`HTTP ${error.code} carried a Status with code ${status.code}`);
    return status;
  }
  throw new Error('the call succeeded; a refusal was expected');
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = Record<string, unknown>> {
  type: WatchEventType;
  object: T;
}

export interface CollectedWatch<T> {
  events: Array<WatchEvent<T>>;
  /** True when the server ended the stream (rather than the collector stopping at `until`). */
  endedByServer: boolean;
}

export interface CollectWatchOptions<T> {
  /** Query parameters beyond `watch=true`. */
  query: Record<string, string | number | boolean | undefined>;
  /** Stop once this returns true for the events so far; default: wait for the server to end it. */
  until?: (events: Array<WatchEvent<T>>) => boolean;
  /** Called once the watch is open (after the request was answered), e.g. to make changes. */
  whenOpen?: () => Promise<void>;
}

/** Runs one watch request and gathers its events. */
export async function collectWatch<T>(kubeConfig: KubeConfig, path: string, options: CollectWatchOptions<T>): Promise<CollectedWatch<T>> {
  const events: Array<WatchEvent<T>> = [];
  let finish: (value: CollectedWatch<T>) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<CollectedWatch<T>>((resolveWatch, rejectWatch) => {
    finish = resolveWatch;
    fail = rejectWatch;
  });
  let stoppedByUs = false;
  let controller: AbortController | undefined;
  controller = await new Watch(kubeConfig).watch(
    path,
    options.query,
    (type, object: T) => {
      events.push({ type: type as WatchEventType, object });
      if (options.until?.(events)) {
        stoppedByUs = true;
        controller?.abort();
        finish({ events, endedByServer: false });
      }
    },
    (error: unknown) => {
      if (stoppedByUs) return;
      if (error) fail(error);
      else finish({ events, endedByServer: true });
    },
  );
  if (stoppedByUs) controller.abort();
  if (options.whenOpen) await options.whenOpen();
  return finished;
}
