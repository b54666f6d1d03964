// Who is asking. Authentication and RBAC (issue 5) will build real viewers; until then every
// request is the anonymous viewer, who may read every watched namespace. Reads from the shared
// caches already go through `canRead`, so RBAC only has to supply a different viewer.

export interface Viewer {
  /** Undefined while authentication is not configured. */
  username: string | undefined;
  groups: readonly string[];
  /** Whether this viewer may list and get MPIJobs, pods, events and quotas in `namespace`. */
  canRead(namespace: string): boolean;
}

export const ANONYMOUS_VIEWER: Viewer = {
  username: undefined,
  groups: [],
  canRead: () => true,
};
