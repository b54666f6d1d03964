// Namespaces, their quotas and jobs, and the pre-submit preview of a job against the quotas.

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { paginate } from '../graph/connection.ts';
import { requireSynced } from '../graph/context.ts';
import { pageOfJobs, parseSelectorArgument } from '../mpijob/resolvers.ts';

/** Namespaces per page: `first` defaults to 100 and may be at most 1000. */
export const NAMESPACE_PAGE = { defaultFirst: 100, maxFirst: 1000 } as const;

export const quotaResolvers: Resolvers = {
  Query: {
    namespaces: (_parent, args, context) => {
      requireSynced(context);
      return paginate(context.loaders.quotas.list(), args, (n) => [n.name], { ...NAMESPACE_PAGE, argumentPath: ['namespaces'] });
    },
    namespace: (_parent, args, context) => {
      requireSynced(context);
      return context.loaders.quotas.namespace.load(args.name);
    },
    previewMPIJob: (_parent, args, context) => {
      requireSynced(context);
      return context.services.mpiJobs.preview(args.input, context.viewer);
    },
  },
  Namespace: {
    resourceQuotas: (namespace, _args, context) => context.loaders.quotas.quotasOf.load(namespace.name),
    mpiJobs: (namespace, args, context) =>
      pageOfJobs(
        context,
        {
          namespace: namespace.name,
          phases: args.phase,
          labelSelector: parseSelectorArgument(args.labelSelector, ['mpiJobs', 'labelSelector']),
          search: args.search,
          orderBy: args.orderBy,
        },
        args,
        ['mpiJobs'],
      ),
  },
};
