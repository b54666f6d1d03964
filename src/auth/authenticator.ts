// The contract every authentication strategy meets: a bearer token in, an identity (or nothing)
// out. Strategies never see requests, so HTTP and WebSocket share them.

import type { Identity } from './identity.ts';

export const AUTH_STRATEGIES = ['token-file', 'kubernetes', 'oidc'] as const;
export type AuthStrategy = (typeof AUTH_STRATEGIES)[number];

export interface Authenticator {
  readonly strategy: AuthStrategy;
  /**
   * The identity behind `token`; undefined when the token is unknown, malformed or expired.
   * Throws KubernetesUnavailableError when the strategy's checker cannot be reached, so an
   * outage is not reported to the caller as bad credentials.
   */
  authenticate(token: string): Promise<Identity | undefined>;
}
