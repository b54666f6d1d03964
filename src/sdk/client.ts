// The TypeScript SDK of the MPIJob gateway (package export `mpijob-gateway/sdk`). It speaks only
// the gateway's GraphQL API, over HTTP and graphql-ws, so callers get the same authorization,
// quota checks, validation and audit as every other client. Operations are typed document nodes
// generated from src/sdk/operations/*.graphql; failures are GatewayErrors with the gateway's codes.

import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  AllQuotasDocument,
  CreateJobDocument,
  CreateJobFromManifestDocument,
  DeleteJobDocument,
  GetJobDocument,
  GetJobSummaryDocument,
  JobChangesDocument,
  JobLogsDocument,
  ListJobsDocument,
  NamespaceQuotaDocument,
  PreviewJobDocument,
  ResumeJobDocument,
  SuspendJobDocument,
  ViewerDocument,
  type ChangeType,
  type CreateMPIJobInput,
  type JobDetailFragment,
  type JobLogsSubscription,
  type JobSummaryFragment,
  type MPIJobOrder,
  type MPIJobPhase,
  type PreviewFieldsFragment,
  type ReplicaType,
  type UserErrorFieldsFragment,
  type ViewerQuery,
} from './__generated__/operations.ts';
import { CLIENT_ERROR_CODE, GATEWAY_ERROR_CODE, GatewayError, QuotaExceededError, errorFromUserErrors, type UserErrorEntry } from './errors.ts';
import { Transport, type TransportOptions } from './transport.ts';

export type {
  ChangeType,
  CreateMPIJobInput,
  LogStream,
  EventFieldsFragment as JobEvent,
  JobDetailFragment as JobDetail,
  JobSummaryFragment as Job,
  MPIJobOrder,
  MPIJobPhase,
  PodFieldsFragment as JobPod,
  PreviewFieldsFragment as JobPreview,
  ReplicaType,
  ResourcesInput,
} from './__generated__/operations.ts';
export {
  CLIENT_ERROR_CODE,
  GATEWAY_ERROR_CODE,
  GatewayError,
  QuotaExceededError,
  ValidationError,
  type ErrorCodeValue,
  type FieldProblem,
  type GraphQLErrorEntry,
  type QuotaShortfall,
} from './errors.ts';
export { DEFAULT_REQUEST_TIMEOUT_MS } from './transport.ts';

/** The caller as the gateway authenticated them. */
export type Viewer = ViewerQuery['viewer'];

/** Phases after which a job does not change any more. */
export const TERMINAL_PHASES: ReadonlySet<MPIJobPhase> = new Set<MPIJobPhase>(['SUCCEEDED', 'FAILED']);

/** Default pause between two status reads when `waitForCompletion` polls. */
export const DEFAULT_POLL_INTERVAL_MS = 2_000;

/**
 * While `waitForCompletion` listens to the job's changes it still reads the status this often:
 * a change made while the subscription was being set up (it has no acknowledgement) is then
 * seen at the latest one period later.
 */
export const SUBSCRIPTION_RECHECK_MS = 5_000;

/** Default number of times `watchJobs` reconnects (resuming from its last cursor) after a connection loss. */
export const DEFAULT_WATCH_RECONNECTS = 3;

/** Pause before `watchJobs` reconnects. */
const WATCH_RECONNECT_DELAY_MS = 500;

/** Codes of a first answer that mean the gateway offers no such subscription, so polling is the way. */
const NO_SUBSCRIPTION_CODES: ReadonlySet<string> = new Set(['GRAPHQL_VALIDATION_FAILED']);

/** The gateway's page size limit for `mpiJobs`. */
const MAX_PAGE_SIZE = 1000;

export type MpiJobClientOptions = TransportOptions;

export interface CreateJobOptions {
  /** Validate and check quotas without creating anything; default false. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface CreateFromManifestOptions extends CreateJobOptions {
  /** Namespace for a manifest that names none (must match when both do); default the manifest's. */
  namespace?: string;
}

export interface CreateJobResult {
  /** The created job, or with `dryRun` the job as it would be created. */
  job: JobSummaryFragment;
  dryRun: boolean;
  /** What the job takes of its namespace's quotas. */
  preview: PreviewFieldsFragment | null;
}

export interface ListJobsOptions {
  /** One namespace; default every namespace the caller may list. */
  namespace?: string;
  /** Only jobs in these phases; default all. */
  phases?: MPIJobPhase[];
  /** A Kubernetes label selector (`team=nlp,tier in (gpu)`); default none. */
  labelSelector?: string;
  /** Case-insensitive substring of name, namespace or queue; default none. */
  search?: string;
  /** Page size; default 100, at most 1000. Ignored with `all`. */
  first?: number;
  /** Cursor of the page to continue after; default the first page. */
  after?: string;
  /** Default newest first. */
  orderBy?: MPIJobOrder;
  /** Follow `hasNextPage` and return every matching job; default false (one page). */
  all?: boolean;
  signal?: AbortSignal;
}

export interface JobList {
  jobs: JobSummaryFragment[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface QuotaResourceUsage {
  name: string;
  hard: string;
  used: string;
  remaining: string;
  usedFraction: number;
}

export interface NamespaceQuotas {
  namespace: string;
  quotas: Array<{ name: string; resources: QuotaResourceUsage[] }>;
}

export interface WaitOptions {
  /** Give up after this long with a TIMEOUT GatewayError; default no limit. */
  timeoutMs?: number;
  /** Between two status reads when polling; default DEFAULT_POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
  /**
   * `auto` (default): listen to the job's changes over WebSocket, and poll when WebSockets are
   * unavailable (no implementation, the connection fails, or the gateway has no subscriptions);
   * `polling`: only poll.
   */
  mode?: 'auto' | 'polling';
  /** Told about every new state of the job seen while waiting (for progress output). */
  onUpdate?: (job: JobSummaryFragment) => void;
  signal?: AbortSignal;
}

export interface JobChange {
  /** ADDED, MODIFIED, DELETED, or RESYNC (changes may have been missed: refetch). */
  type: ChangeType;
  /** Pass as `after` to a later `watchJobs` to receive every change after this one. */
  cursor: string;
  /** The job as of the change (its last state for DELETED); null for RESYNC. */
  job: JobSummaryFragment | null;
}

export interface WatchJobsOptions {
  /** One namespace; default every namespace the caller may read. */
  namespace?: string;
  /** One job (with `namespace`). */
  name?: string;
  /** Resume after this cursor (replays what was missed, or RESYNC when it is too old). */
  after?: string;
  /** Reconnects, from the last cursor, after a lost connection; default DEFAULT_WATCH_RECONNECTS. */
  reconnects?: number;
  signal?: AbortSignal;
}

export type LogLine = JobLogsSubscription['jobLogs']['lines'][number];

export interface StreamLogsOptions {
  /** LAUNCHER or WORKER pods only; default both. */
  role?: ReplicaType;
  /** Only rank-tagged lines of these MPI ranks; default every line. */
  ranks?: number[];
  /** Container name; default each pod's main container. */
  container?: string;
  /** Start with the last N lines of each container; default all that are kept. */
  tailLines?: number;
  /** Start with the lines of the last N seconds; default all. */
  sinceSeconds?: number;
  /** Prefix each line's text with its timestamp; default false. */
  timestamps?: boolean;
  /** The previous run of each container; default false. */
  previous?: boolean;
  /** Keep streaming until the job has finished and its logs are drained; default true. */
  follow?: boolean;
  signal?: AbortSignal;
}

/** A timer that can be cancelled (so a race against it leaves nothing behind). */
function delay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

function throwUserErrors(errors: readonly UserErrorFieldsFragment[], preview?: PreviewFieldsFragment | null): void {
  if (errors.length === 0) return;
  const entries: UserErrorEntry[] = errors.map((e) => ({
    __typename: e.__typename,
    code: e.code,
    message: e.message,
    ...(e.__typename === 'FieldError' ? { path: e.path, field: e.field } : {}),
    ...(e.__typename === 'QuotaExceededError' ? { shortfall: e.shortfall } : {}),
  }));
  const error = errorFromUserErrors(entries);
  if (error instanceof QuotaExceededError && preview) error.preview = preview;
  throw error;
}

function notFound(namespace: string, name: string): GatewayError {
  return new GatewayError(GATEWAY_ERROR_CODE.notFound, `mpijobs.kubeflow.org "${name}" not found in namespace "${namespace}"`);
}

/** Resolves after `ms`, or rejects with ABORTED when `signal` aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new GatewayError(CLIENT_ERROR_CODE.aborted, 'the wait was aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new GatewayError(CLIENT_ERROR_CODE.aborted, 'the wait was aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A client of one gateway. Methods that act on a job take its namespace and name. Create one per
 * gateway and token; call `close()` when done so an open WebSocket does not keep the process alive.
 *
 * ```ts
 * const client = new MpiJobClient({ server: 'http://127.0.0.1:4000/graphql', token });
 * const { job } = await client.createJobFromManifest(yamlText);
 * const done = await client.waitForCompletion(job.namespace, job.name);
 * ```
 */
export class MpiJobClient {
  readonly transport: Transport;

  constructor(options: MpiJobClientOptions) {
    this.transport = new Transport(options);
  }

  /** The gateway's endpoint this client talks to. */
  get server(): string {
    return this.transport.url;
  }

  /** Runs any typed operation over HTTP (for selections the methods below do not make). */
  request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, signal?: AbortSignal): Promise<TResult> {
    return this.transport.request(document, variables, signal);
  }

  /** Runs any typed subscription over graphql-ws. */
  subscribe<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, signal?: AbortSignal): AsyncGenerator<TResult, void, undefined> {
    return this.transport.subscribe(document, variables, signal);
  }

  /**
   * Creates an MPIJob from typed input. Throws ValidationError (fields to fix) or
   * QuotaExceededError (shortfall, and the preview) when the gateway refuses it; nothing is
   * created then.
   */
  async createJob(input: CreateMPIJobInput, options: CreateJobOptions = {}): Promise<CreateJobResult> {
    const data = await this.request(CreateJobDocument, { input, dryRun: options.dryRun ?? false }, options.signal);
    const payload = data.createMPIJob;
    throwUserErrors(payload.errors, payload.preview);
    if (!payload.job) throw new GatewayError(CLIENT_ERROR_CODE.badResponse, 'the gateway returned neither a job nor errors');
    return { job: payload.job, dryRun: payload.dryRun, preview: payload.preview };
  }

  /** Creates an MPIJob from a `kubeflow.org/v2beta1` manifest in YAML or JSON, as written for `kubectl apply`. */
  async createJobFromManifest(manifest: string, options: CreateFromManifestOptions = {}): Promise<CreateJobResult> {
    const data = await this.request(
      CreateJobFromManifestDocument,
      { manifest, namespace: options.namespace ?? null, dryRun: options.dryRun ?? false },
      options.signal,
    );
    const payload = data.createMPIJobFromManifest;
    throwUserErrors(payload.errors, payload.preview);
    if (!payload.job) throw new GatewayError(CLIENT_ERROR_CODE.badResponse, 'the gateway returned neither a job nor errors');
    return { job: payload.job, dryRun: payload.dryRun, preview: payload.preview };
  }

  /** A job with its conditions, launcher and workers by rank, recent events and diagnosis. Throws NOT_FOUND. */
  async getJob(namespace: string, name: string, signal?: AbortSignal): Promise<JobDetailFragment> {
    const data = await this.request(GetJobDocument, { namespace, name }, signal);
    if (!data.mpiJob) throw notFound(namespace, name);
    return data.mpiJob;
  }

  /** A job's spec and status without pods and events (cheaper, for polling). Throws NOT_FOUND. */
  async getJobSummary(namespace: string, name: string, signal?: AbortSignal): Promise<JobSummaryFragment> {
    const data = await this.request(GetJobSummaryDocument, { namespace, name }, signal);
    if (!data.mpiJob) throw notFound(namespace, name);
    return data.mpiJob;
  }

  /** Jobs the caller may list, newest first unless `orderBy` says otherwise. */
  async listJobs(options: ListJobsOptions = {}): Promise<JobList> {
    const variables = {
      namespace: options.namespace ?? null,
      phase: options.phases && options.phases.length > 0 ? options.phases : null,
      labelSelector: options.labelSelector ?? null,
      search: options.search ?? null,
      orderBy: options.orderBy ?? null,
    };
    if (!options.all) {
      const data = await this.request(ListJobsDocument, { ...variables, first: options.first ?? null, after: options.after ?? null }, options.signal);
      const page = data.mpiJobs;
      return { jobs: page.nodes, totalCount: page.totalCount, hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor };
    }
    const jobs: JobSummaryFragment[] = [];
    let after = options.after ?? null;
    for (;;) {
      const data = await this.request(ListJobsDocument, { ...variables, first: MAX_PAGE_SIZE, after }, options.signal);
      const page = data.mpiJobs;
      jobs.push(...page.nodes);
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) {
        return { jobs, totalCount: page.totalCount, hasNextPage: false, endCursor: page.pageInfo.endCursor };
      }
      after = page.pageInfo.endCursor;
    }
  }

  /** Deletes a job (its pods go with it). Resolves to the deleted job's global id. */
  async deleteJob(namespace: string, name: string, signal?: AbortSignal): Promise<string> {
    const data = await this.request(DeleteJobDocument, { namespace, name }, signal);
    throwUserErrors(data.deleteMPIJob.errors);
    return data.deleteMPIJob.deletedId ?? '';
  }

  /** Suspends a job: its pods are deleted and it keeps its place. */
  async suspendJob(namespace: string, name: string, signal?: AbortSignal): Promise<JobSummaryFragment> {
    const data = await this.request(SuspendJobDocument, { namespace, name }, signal);
    throwUserErrors(data.suspendMPIJob.errors);
    if (!data.suspendMPIJob.job) throw notFound(namespace, name);
    return data.suspendMPIJob.job;
  }

  /** Resumes a suspended job. */
  async resumeJob(namespace: string, name: string, signal?: AbortSignal): Promise<JobSummaryFragment> {
    const data = await this.request(ResumeJobDocument, { namespace, name }, signal);
    throwUserErrors(data.resumeMPIJob.errors);
    if (!data.resumeMPIJob.job) throw notFound(namespace, name);
    return data.resumeMPIJob.job;
  }

  /**
   * What the job would request and how it fits its namespace's quotas, without creating it. Never
   * throws for a job that does not fit: `fits` and `shortfall` say so, `errors` lists input problems.
   */
  async previewJob(input: CreateMPIJobInput, signal?: AbortSignal): Promise<PreviewFieldsFragment> {
    const data = await this.request(PreviewJobDocument, { input }, signal);
    return data.previewMPIJob;
  }

  /** Who the gateway takes the caller for, and the namespaces where they may list jobs. */
  async viewer(signal?: AbortSignal): Promise<Viewer> {
    const data = await this.request(ViewerDocument, {}, signal);
    return data.viewer;
  }

  /** ResourceQuotas with hard, used and remaining amounts: of one namespace, or of every visible one. */
  async quotas(namespace?: string, signal?: AbortSignal): Promise<NamespaceQuotas[]> {
    if (namespace !== undefined) {
      const data = await this.request(NamespaceQuotaDocument, { namespace }, signal);
      if (!data.namespace) throw new GatewayError(GATEWAY_ERROR_CODE.notFound, `namespaces "${namespace}" not found`);
      return [{ namespace: data.namespace.name, quotas: data.namespace.resourceQuotas }];
    }
    const data = await this.request(AllQuotasDocument, {}, signal);
    return data.namespaces.nodes.map((n) => ({ namespace: n.name, quotas: n.resourceQuotas }));
  }

  /**
   * The job's changes (or a namespace's, or every visible job's) as they happen, in order. On a
   * lost connection it reconnects from the last cursor, so no change is skipped; a RESYNC says
   * changes may have been missed and the caller should refetch. Ends when `signal` aborts or the
   * loop breaks.
   */
  async *watchJobs(options: WatchJobsOptions = {}): AsyncGenerator<JobChange, void, undefined> {
    let after = options.after ?? null;
    let reconnects = options.reconnects ?? DEFAULT_WATCH_RECONNECTS;
    for (;;) {
      try {
        const variables = { namespace: options.namespace ?? null, name: options.name ?? null, after };
        for await (const data of this.subscribe(JobChangesDocument, variables, options.signal)) {
          const change = data.mpiJobChanged;
          after = change.cursor;
          yield { type: change.type, cursor: change.cursor, job: change.job };
        }
        return;
      } catch (error) {
        if (!(error instanceof GatewayError) || error.code !== CLIENT_ERROR_CODE.network || reconnects <= 0 || options.signal?.aborted) throw error;
        reconnects -= 1;
        await sleep(WATCH_RECONNECT_DELAY_MS, options.signal);
      }
    }
  }

  /**
   * A job's log lines, launcher and workers merged, each with its pod, role and MPI rank (parsed
   * from mpirun's rank tags). With `follow` (the default) it ends once the job has finished and
   * its logs are drained.
   */
  async *streamLogs(namespace: string, name: string, options: StreamLogsOptions = {}): AsyncGenerator<LogLine, void, undefined> {
    const variables = {
      namespace,
      name,
      role: options.role ?? null,
      ranks: options.ranks ?? null,
      container: options.container ?? null,
      tailLines: options.tailLines ?? null,
      sinceSeconds: options.sinceSeconds ?? null,
      timestamps: options.timestamps ?? false,
      previous: options.previous ?? false,
      follow: options.follow ?? true,
    };
    for await (const data of this.subscribe(JobLogsDocument, variables, options.signal)) {
      yield* data.jobLogs.lines;
    }
  }

  /**
   * Resolves with the job once it has SUCCEEDED or FAILED (check `phase`). Listens to the job's
   * changes over WebSocket, and polls every `pollIntervalMs` when WebSockets are unavailable.
   * Throws TIMEOUT after `timeoutMs`, NOT_FOUND if the job does not exist or is deleted.
   */
  async waitForCompletion(namespace: string, name: string, options: WaitOptions = {}): Promise<JobSummaryFragment> {
    const deadline = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    const signals = [options.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    let last: string | undefined;
    const seen = (job: JobSummaryFragment): boolean => {
      const state = stateKey(job);
      if (state !== last) {
        last = state;
        options.onUpdate?.(job);
      }
      return TERMINAL_PHASES.has(job.phase);
    };
    try {
      if ((options.mode ?? 'auto') === 'auto' && this.transport.webSocketsEnabled) {
        const done = await this.listenUntilDone(namespace, name, seen, signal);
        if (done) return done;
      }
      return await this.pollUntilDone(namespace, name, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, seen, signal);
    } catch (error) {
      if (deadline?.aborted && !options.signal?.aborted) {
        throw new GatewayError(CLIENT_ERROR_CODE.timeout, `job ${namespace}/${name} did not finish within ${formatMs(options.timeoutMs ?? 0)}`, { cause: error });
      }
      throw error;
    }
  }

  /** Undefined when subscriptions are not to be had here: the caller polls instead. */
  private async listenUntilDone(
    namespace: string,
    name: string,
    seen: (job: JobSummaryFragment) => boolean,
    signal: AbortSignal | undefined,
  ): Promise<JobSummaryFragment | undefined> {
    const stop = new AbortController();
    const stream = this.subscribe(JobChangesDocument, { namespace, name, after: null }, signal ? AbortSignal.any([signal, stop.signal]) : stop.signal);
    // The first next() opens the socket and sends the subscription.
    let pending = stream.next();
    pending.catch(() => undefined);
    let received = false;
    try {
      await Promise.race([this.transport.whenConnected(), pending]);
      for (;;) {
        const job = await this.getJobSummary(namespace, name, signal);
        if (seen(job)) return job;
        for (;;) {
          const recheck = delay(SUBSCRIPTION_RECHECK_MS);
          const outcome = await Promise.race([pending, recheck.promise.then(() => 'recheck' as const)]);
          recheck.cancel();
          if (outcome === 'recheck') break;
          if (outcome.done) {
            if (signal?.aborted) throw new GatewayError(CLIENT_ERROR_CODE.aborted, 'the wait was aborted');
            // The gateway ended the stream (a drain on shutdown): carry on by polling.
            return undefined;
          }
          received = true;
          pending = stream.next();
          pending.catch(() => undefined);
          const change = outcome.value.mpiJobChanged;
          if (change.type === 'DELETED') throw notFound(namespace, name);
          if (change.type === 'RESYNC' || !change.job) break;
          if (seen(change.job)) return change.job;
        }
      }
    } catch (error) {
      // A lost connection, or a gateway without this subscription, leaves polling to finish the wait.
      if (error instanceof GatewayError && !signal?.aborted && (error.code === CLIENT_ERROR_CODE.network || (!received && NO_SUBSCRIPTION_CODES.has(error.code)))) {
        return undefined;
      }
      throw error;
    } finally {
      stop.abort();
      await stream.return(undefined);
    }
  }

  private async pollUntilDone(
    namespace: string,
    name: string,
    pollIntervalMs: number,
    seen: (job: JobSummaryFragment) => boolean,
    signal: AbortSignal | undefined,
  ): Promise<JobSummaryFragment> {
    for (;;) {
      const job = await this.getJobSummary(namespace, name, signal);
      if (seen(job)) return job;
      await sleep(pollIntervalMs, signal);
    }
  }

  /** Closes the WebSocket connection, if subscriptions opened one. */
  close(): Promise<void> {
    return this.transport.close();
  }
}

/** What progress output cares about: phase and replica counts. */
function stateKey(job: JobSummaryFragment): string {
  return JSON.stringify([job.phase, job.status.replicaStatuses]);
}

function formatMs(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
