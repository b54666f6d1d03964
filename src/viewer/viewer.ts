// Who is asking, as the graph sees it. Authentication and RBAC (src/auth/) build a viewer per
// request; every read from the shared caches goes through `canRead`, writes carry its
// impersonation, and `can` answers access questions (SubjectAccessReview, batched and cached).
// ANONYMOUS_VIEWER is for in-process callers only (unit tests, tools): the HTTP and WebSocket
// servers never hand it to a request.

import type { Impersonation } from '../kube/client.ts';
import type { ResourceAttributes } from '../kube/reviews.ts';

/** The kinds whose shared caches are filtered per namespace: the verb checked is `list` (`get` for quotas). */
export type ReadableKind = 'mpijobs' | 'events' | 'resourcequotas';

export interface Viewer {
  /** Undefined only for ANONYMOUS_VIEWER. */
  username: string | undefined;
  groups: readonly string[];
  /**
   * Whether this viewer may read `kind` (default `mpijobs`, which also covers the job's pods) in
   * `namespace`. Synchronous: the answers were fetched when the request started.
   */
  canRead(namespace: string, kind?: ReadableKind): boolean;
  /** Whether the viewer may do this (any verb and resource); the same question RBAC answers. */
  can(attributes: ResourceAttributes): Promise<boolean>;
  /** Who writes are made as; undefined means the gateway's own identity (ANONYMOUS_VIEWER only). */
  impersonation: Impersonation | undefined;
}

export const ANONYMOUS_VIEWER: Viewer = {
  username: undefined,
  groups: [],
  canRead: () => true,
  can: async () => true,
  impersonation: undefined,
};
