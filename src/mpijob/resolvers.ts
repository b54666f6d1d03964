// The MPIJob part of the graph: queries, mutations and the fields that reach other objects.
// Thin: arguments are checked here, reads go through loaders, writes through MpiJobService.

import type { MPIJobResolvers, MutationResolvers, QueryResolvers, Resolvers } from '../__generated__/resolvers-types.ts';
import { BadUserInputError } from '../errors.ts';
import { EVENT_PAGE } from '../event/loaders.ts';
import { eventSortKey } from '../event/model.ts';
import { paginate } from '../graph/connection.ts';
import { requireSynced, type GraphContext } from '../graph/context.ts';
import { KIND_JOB, KIND_POD, MPIJOB_KIND } from '../kube/labels.ts';
import type { WriteOptions } from '../kube/mpijobs.ts';
import { LabelSelectorError, parseLabelSelector, type Requirement } from '../kube/label-selector.ts';
import { WORKER_PAGE } from '../worker/loaders.ts';
import { podSortKey, type PodModel } from '../worker/model.ts';
import { diagnose } from './diagnosis.ts';
import { DEFAULT_ORDER, jobKeyComparator, jobSortKey, type MpiJobFilter } from './loaders.ts';
import { durationSeconds, type MpiJobModel } from './model.ts';

/** Jobs per page: `first` defaults to 100 and may be at most 1000. */
export const MPIJOB_PAGE = { defaultFirst: 100, maxFirst: 1000 } as const;

/** Suffix of the batch Job the operator creates for the launcher. */
const LAUNCHER_JOB_SUFFIX = '-launcher';

export function parseSelectorArgument(selector: string | null | undefined, path: string[]): Requirement[] | undefined {
  if (selector == null) return undefined;
  try {
    return parseLabelSelector(selector);
  } catch (error) {
    if (error instanceof LabelSelectorError) throw new BadUserInputError(`labelSelector: ${error.message}`, [{ path, message: error.message }]);
    throw error;
  }
}

/** Lists and pages jobs for `Query.mpiJobs` and `Namespace.mpiJobs`. */
export function pageOfJobs(
  context: GraphContext,
  filter: MpiJobFilter,
  page: { first?: number | null; after?: string | null },
  argumentPath: string[],
) {
  const order = filter.orderBy ?? DEFAULT_ORDER;
  const jobs = context.loaders.mpiJobs.list(filter);
  return paginate(jobs, page, (job) => jobSortKey(job, order.field), { ...MPIJOB_PAGE, argumentPath }, jobKeyComparator(order.direction));
}

async function podsOf(job: MpiJobModel, context: GraphContext): Promise<PodModel[]> {
  return context.loaders.pods.ofJob(job.namespace, job.name);
}

async function eventsOf(job: MpiJobModel, context: GraphContext) {
  const pods = await podsOf(job, context);
  return context.loaders.events.about([
    { namespace: job.namespace, kind: MPIJOB_KIND, name: job.name, uid: job.uid },
    { namespace: job.namespace, kind: KIND_JOB, name: `${job.name}${LAUNCHER_JOB_SUFFIX}` },
    ...pods.map((p) => ({ namespace: p.namespace, kind: KIND_POD, name: p.name, uid: p.uid })),
  ]);
}

const Query: QueryResolvers = {
  mpiJob: (_parent, args, context) => {
    requireSynced(context);
    return context.loaders.mpiJobs.load(args.namespace, args.name);
  },
  mpiJobs: (_parent, args, context) => {
    requireSynced(context);
    return pageOfJobs(
      context,
      {
        namespace: args.namespace,
        phases: args.phase,
        labelSelector: parseSelectorArgument(args.labelSelector, ['mpiJobs', 'labelSelector']),
        search: args.search,
        orderBy: args.orderBy,
      },
      args,
      ['mpiJobs'],
    );
  },
};

/** Writes go to Kubernetes as the caller, so the API server applies RBAC and quota to them too. */
function asViewer(context: GraphContext): WriteOptions {
  const impersonate = context.viewer.impersonation;
  return impersonate ? { impersonate } : {};
}

const Mutation: MutationResolvers = {
  createMPIJob: (_parent, args, context) => {
    requireSynced(context);
    return context.services.mpiJobs.createTyped(args.input, args.dryRun ?? false, context.viewer, asViewer(context));
  },
  createMPIJobFromManifest: (_parent, args, context) => {
    requireSynced(context);
    return context.services.mpiJobs.createFromManifest(args.manifest, args.namespace, args.dryRun ?? false, context.viewer, asViewer(context));
  },
  deleteMPIJob: (_parent, args, context) => {
    requireSynced(context);
    return context.services.mpiJobs.delete(args.namespace, args.name, context.viewer, asViewer(context));
  },
  suspendMPIJob: (_parent, args, context) => {
    requireSynced(context);
    return context.services.mpiJobs.setSuspended(args.namespace, args.name, true, context.viewer, asViewer(context));
  },
  resumeMPIJob: (_parent, args, context) => {
    requireSynced(context);
    return context.services.mpiJobs.setSuspended(args.namespace, args.name, false, context.viewer, asViewer(context));
  },
};

const MPIJob: MPIJobResolvers = {
  launcher: async (job, _args, context) => {
    const launchers = (await podsOf(job, context)).filter((p) => p.role === 'LAUNCHER');
    // The launcher Job may have made several pods (retries); the newest is the one that matters.
    return launchers.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '')).at(0) ?? null;
  },
  workers: async (job, args, context) => {
    const workers = (await podsOf(job, context)).filter((p) => p.role === 'WORKER');
    return paginate(workers, args, podSortKey, { ...WORKER_PAGE, argumentPath: ['workers'] });
  },
  events: async (job, args, context) => paginate(await eventsOf(job, context), args, eventSortKey, { ...EVENT_PAGE, argumentPath: ['events'] }),
  diagnosis: async (job, _args, context) => {
    const [pods, events] = await Promise.all([podsOf(job, context), eventsOf(job, context)]);
    return diagnose({ job, pods, events, nowMs: context.nowMs });
  },
};

export const mpiJobResolvers: Resolvers = {
  Query,
  Mutation,
  MPIJob,
  MPIJobStatus: {
    durationSeconds: (status, _args, context) => durationSeconds(status, context.nowMs),
  },
  UserError: {
    __resolveType: (error) => error.typename,
  },
};
