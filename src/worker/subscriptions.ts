// `podChanged`: the launcher and worker pods of a job (or of a namespace) as they move.

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { memoisePayload, subscribeChanges } from '../graph/live.ts';
import type { HubEvent } from '../kube/hub.ts';
import type { PodObject } from '../kube/objects.ts';
import { toPodModel } from './model.ts';

const payloadOf = memoisePayload((event: HubEvent<PodObject>) => ({
  podChanged: { type: event.type, cursor: event.cursor, pod: event.object ? toPodModel(event.object) : null },
}));

export const workerSubscriptionResolvers: Resolvers = {
  Subscription: {
    podChanged: {
      // Pods are read under the job's permission (viewer kind `mpijobs`), as the queries do.
      subscribe: (_parent, args, context) =>
        subscribeChanges(context, {
          hub: context.services.live.hubs.pods,
          kind: 'mpijobs',
          args: { namespace: args.namespace, job: args.jobName, after: args.after },
          argumentNames: { namespace: 'namespace', job: 'jobName' },
          payloadOf,
        }),
    },
  },
};
