// `jobLogs`: a job's launcher and worker logs over the shared per-container streams.

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { BadUserInputError, NotFoundError, type InputErrorDetail } from '../errors.ts';
import { requireSynced } from '../graph/context.ts';
import { mapIterator, slowConsumerError } from '../graph/live.ts';
import { MPIJOB_GROUP, MPIJOB_PLURAL } from '../kube/labels.ts';
import { followJobLogs } from './job-logs.ts';

export const logSubscriptionResolvers: Resolvers = {
  Subscription: {
    jobLogs: {
      subscribe: async (_parent, args, context) => {
        requireSynced(context);
        const { services, viewer } = context;
        const problems: InputErrorDetail[] = [];
        if (args.tailLines != null && args.tailLines < 0) problems.push({ path: ['tailLines'], message: 'must be 0 or more' });
        if (args.sinceSeconds != null && args.sinceSeconds < 1) problems.push({ path: ['sinceSeconds'], message: 'must be 1 or more' });
        if (args.ranks?.some((rank) => rank < 0)) problems.push({ path: ['ranks'], message: 'ranks are 0 or more' });
        if (problems.length > 0) throw new BadUserInputError(`jobLogs: ${problems.map((p) => `${p.path.join('.')} ${p.message}`).join('; ')}`, problems);
        const job =
          services.scope.includes(args.namespace) && viewer.canRead(args.namespace, 'mpijobs') ? services.caches.mpiJobs.get(args.namespace, args.name) : undefined;
        // An unreadable job is reported like a missing one, as the mpiJob query does.
        if (!job) throw new NotFoundError(`${MPIJOB_PLURAL}.${MPIJOB_GROUP} "${args.name}" not found`);
        const { live } = services;
        const capacity = live.limits.logQueueLines;
        const lines = await followJobLogs(
          { streams: live.logs, mpiJobs: services.caches.mpiJobs, pods: services.caches.pods, jobHub: live.hubs.mpiJobs, podHub: live.hubs.pods },
          {
            namespace: args.namespace,
            name: args.name,
            role: args.role ?? null,
            ranks: args.ranks ? new Set(args.ranks) : null,
            container: args.container ?? null,
            tailLines: args.tailLines ?? null,
            sinceMs: args.sinceSeconds != null ? services.now() - args.sinceSeconds * 1000 : null,
            timestamps: args.timestamps,
            previous: args.previous,
            follow: args.follow,
          },
          job,
          { capacity, overflowError: () => slowConsumerError('log lines', capacity) },
        );
        return mapIterator(lines, (batch) => ({ jobLogs: { lines: batch } }));
      },
    },
  },
};
