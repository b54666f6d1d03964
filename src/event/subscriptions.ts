// `events`: Kubernetes events about a job, its launcher Job and its pods (or a namespace's), as
// they are recorded and as they repeat.

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { memoisePayload, subscribeChanges } from '../graph/live.ts';
import type { HubEvent } from '../kube/hub.ts';
import type { EventObject } from '../kube/objects.ts';
import { toEventModel } from './model.ts';

const payloadOf = memoisePayload((event: HubEvent<EventObject>) => ({
  events: { type: event.type, cursor: event.cursor, event: event.object ? toEventModel(event.object) : null },
}));

export const eventSubscriptionResolvers: Resolvers = {
  Subscription: {
    events: {
      subscribe: (_parent, args, context) =>
        subscribeChanges(context, {
          hub: context.services.live.hubs.events,
          kind: 'events',
          args: { namespace: args.namespace, job: args.jobName, after: args.after },
          argumentNames: { namespace: 'namespace', job: 'jobName' },
          payloadOf,
        }),
    },
  },
};
