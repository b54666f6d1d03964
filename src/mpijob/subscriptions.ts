// `mpiJobChanged`: the MPIJob hub through the viewer's filter. The payload carries the job model;
// its fields resolve per event with fresh loaders (the WebSocket server builds a context per event).

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { memoisePayload, subscribeChanges } from '../graph/live.ts';
import type { HubEvent } from '../kube/hub.ts';
import type { MPIJobObject } from '../kube/objects.ts';
import { toMpiJobModel } from './model.ts';

const payloadOf = memoisePayload((event: HubEvent<MPIJobObject>) => ({
  mpiJobChanged: { type: event.type, cursor: event.cursor, job: event.object ? toMpiJobModel(event.object) : null },
}));

export const mpiJobSubscriptionResolvers: Resolvers = {
  Subscription: {
    mpiJobChanged: {
      subscribe: (_parent, args, context) =>
        subscribeChanges(context, {
          hub: context.services.live.hubs.mpiJobs,
          kind: 'mpijobs',
          args: { namespace: args.namespace, job: args.name, after: args.after },
          argumentNames: { namespace: 'namespace', job: 'name' },
          payloadOf,
        }),
    },
  },
};
