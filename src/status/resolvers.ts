// `gatewayStatus` as a query and as a subscription. Watches of namespaces the viewer may not
// read are left out; cluster-wide watches are shown to everyone.

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { GraphContext } from '../graph/context.ts';
import { mapIterator, memoisePayload } from '../graph/live.ts';
import type { StatusTick } from './feed.ts';
import { gatewayStatusModel, type GatewayStatusModel } from './model.ts';

function currentStatus(context: GraphContext): GatewayStatusModel {
  const { live } = context.services;
  return gatewayStatusModel(live.watches.statuses(), live.hubs, context.nowMs);
}

const payloadOf = memoisePayload((tick: StatusTick) => ({ gatewayStatus: tick.status }));

export const statusResolvers: Resolvers = {
  Query: {
    // Answers before the caches have synced too: saying so is its purpose.
    gatewayStatus: (_parent, _args, context) => currentStatus(context),
  },
  Subscription: {
    gatewayStatus: {
      subscribe: (_parent, _args, context) => mapIterator(context.services.live.status.subscribe().iterator(), payloadOf),
    },
  },
  GatewayStatus: {
    watches: (status, _args, context) => status.allWatches.filter((watch) => watch.namespace === null || context.viewer.canRead(watch.namespace)),
  },
};
