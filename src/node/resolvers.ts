// Relay `node(id)`: any object with a global id can be fetched again, from the same caches.

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { requireSynced } from '../graph/context.ts';
import { fromGlobalId } from './global-id.ts';

export const nodeResolvers: Resolvers = {
  Query: {
    node: (_parent, args, context) => {
      requireSynced(context);
      const id = fromGlobalId(args.id);
      if (!id) return null;
      const { loaders } = context;
      switch (id.type) {
        case 'MPIJob':
          return loaders.mpiJobs.load(id.namespace, id.name);
        case 'Pod':
          return loaders.pods.load(id.namespace, id.name);
        case 'Event':
          return loaders.events.load(id.namespace, id.name);
        case 'Namespace':
          return loaders.quotas.namespace.load(id.name);
        case 'ResourceQuota':
          return loaders.quotas.quota.load(`${id.namespace}/${id.name}`);
      }
    },
  },
  Node: {
    __resolveType: (node) => node.typename,
  },
};
