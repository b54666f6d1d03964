// Who a request comes from, once a strategy has checked its credentials. The same shape for every
// strategy, so authorization, impersonation and audit do not care how the caller proved it.

/** The group Kubernetes puts every authenticated user in; RBAC bindings rely on it. */
export const ALL_AUTHENTICATED_GROUP = 'system:authenticated';

export interface Identity {
  username: string;
  uid?: string;
  /** As the strategy reported them, always including ALL_AUTHENTICATED_GROUP. */
  groups: readonly string[];
  /** When the credential stops being valid (OIDC `exp`); undefined when it has no end. */
  expiresAtMs?: number;
}

/** The identity with ALL_AUTHENTICATED_GROUP added when missing, as the API server's authenticator chain does. */
export function withAuthenticatedGroup(identity: Identity): Identity {
  if (identity.groups.includes(ALL_AUTHENTICATED_GROUP)) return identity;
  return { ...identity, groups: [...identity.groups, ALL_AUTHENTICATED_GROUP] };
}
