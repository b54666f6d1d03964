// `viewer`: who is calling and what RBAC lets them do. `namespaces` comes from the answers the
// request already holds; `can` asks through the request's batched, cached access loader.

import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { ACCESS_VERBS, RESOURCE_GROUPS } from '../auth/access.ts';
import { BadUserInputError } from '../errors.ts';
import { compareText } from '../graph/connection.ts';
import { namespaceNameProblem } from '../http/hardening.ts';

const SUBRESOURCE_SEPARATOR = '/';
/** The subresources a caller may ask about: the one the gateway serves. */
const SUBRESOURCES: ReadonlySet<string> = new Set(['pods/log']);

export const viewerResolvers: Resolvers = {
  Query: {
    viewer: (_parent, _args, context) => context.viewer,
  },
  Viewer: {
    username: (viewer) => viewer.username ?? '',
    groups: (viewer) => [...viewer.groups],
    namespaces: (viewer, _args, context) =>
      context.services.caches.namespaces
        .list()
        .map((n) => n.metadata.name ?? '')
        .filter((name) => context.services.scope.includes(name) && viewer.canRead(name))
        .sort(compareText),
    can: (viewer, args) => {
      if (!ACCESS_VERBS.has(args.verb)) {
        throw new BadUserInputError(`verb: Unsupported value: "${args.verb.slice(0, 40)}": supported values: ${[...ACCESS_VERBS].join(', ')}`, [
          { path: ['can', 'verb'], message: 'unsupported verb' },
        ]);
      }
      const slash = args.resource.indexOf(SUBRESOURCE_SEPARATOR);
      const resource = slash < 0 ? args.resource : args.resource.slice(0, slash);
      const group = RESOURCE_GROUPS[resource];
      if (group === undefined || (slash >= 0 && !SUBRESOURCES.has(args.resource))) {
        const supported = [...Object.keys(RESOURCE_GROUPS), ...SUBRESOURCES].join(', ');
        throw new BadUserInputError(`resource: Unsupported value: "${args.resource.slice(0, 60)}": supported values: ${supported}`, [
          { path: ['can', 'resource'], message: 'unsupported resource' },
        ]);
      }
      const namespace = args.namespace ?? '';
      const problem = namespace === '' ? undefined : namespaceNameProblem(namespace);
      if (problem) throw new BadUserInputError(`namespace: ${problem}`, [{ path: ['can', 'namespace'], message: problem }]);
      return viewer.can({
        verb: args.verb,
        group,
        resource,
        namespace,
        ...(slash >= 0 ? { subresource: args.resource.slice(slash + 1) } : {}),
      });
    },
  },
};
