// Pods reach back to their job and to their own events.

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { eventSortKey } from '../event/model.ts';
import { paginate } from '../graph/connection.ts';
import { KIND_POD } from '../kube/labels.ts';
import { EVENT_PAGE } from '../event/loaders.ts';

export const workerResolvers: Resolvers = {
  Pod: {
    job: (pod, _args, context) => (pod.jobName ? context.loaders.mpiJobs.load(pod.namespace, pod.jobName) : null),
    events: async (pod, args, context) => {
      const events = await context.loaders.events.about([{ namespace: pod.namespace, kind: KIND_POD, name: pod.name, uid: pod.uid }]);
      return paginate(events, args, eventSortKey, { ...EVENT_PAGE, argumentPath: ['events'] });
    },
  },
};
