// Configuration of the authentication strategy, and the authenticator it makes.

import type { JWTVerifyGetKey } from 'jose';
import type { TokenReviewer } from '../kube/reviews.ts';
import type { Authenticator } from './authenticator.ts';
import { createOidcAuthenticator } from './oidc.ts';
import { createTokenFileAuthenticator } from './token-file.ts';
import { createTokenReviewAuthenticator } from './token-review.ts';

export type AuthOptions =
  | {
      strategy: 'token-file';
      /** A Kubernetes static token file (`token,user,uid,"group1,group2"`). */
      tokenFile: string;
    }
  | {
      strategy: 'kubernetes';
      /** Audiences the token must be valid for; default none (the API server's own). */
      audiences?: readonly string[];
    }
  | {
      strategy: 'oidc';
      issuer: string;
      /** Accepted `aud` values (the client id). */
      audiences: readonly string[];
      /** Default `sub`. */
      usernameClaim?: string;
      /** Default `groups`. */
      groupsClaim?: string;
      /** Default none. */
      usernamePrefix?: string;
      /** Default none. */
      groupsPrefix?: string;
      /** Default: the issuer's discovery document's `jwks_uri`. */
      jwksUrl?: string;
      /** A fixed key set instead of fetching one (tests). Default none. */
      keys?: JWTVerifyGetKey;
    };

export interface AuthenticatorDependencies {
  /** The cluster's TokenReview, for the `kubernetes` strategy. */
  tokenReviewer: TokenReviewer;
  /** Told about failures that are not the caller's (an unreadable token file, an unreachable issuer). */
  onError: (error: Error, message: string) => void;
}

export function createAuthenticator(options: AuthOptions, dependencies: AuthenticatorDependencies): Authenticator {
  switch (options.strategy) {
    case 'token-file':
      return createTokenFileAuthenticator({
        path: options.tokenFile,
        onReloadError: (error) => dependencies.onError(error, 'the token file cannot be read; every token is refused until it can'),
      });
    case 'kubernetes':
      return createTokenReviewAuthenticator({ reviewer: dependencies.tokenReviewer, ...(options.audiences ? { audiences: options.audiences } : {}) });
    case 'oidc':
      return createOidcAuthenticator({
        issuer: options.issuer,
        audiences: options.audiences,
        ...(options.usernameClaim ? { usernameClaim: options.usernameClaim } : {}),
        ...(options.groupsClaim ? { groupsClaim: options.groupsClaim } : {}),
        ...(options.usernamePrefix ? { usernamePrefix: options.usernamePrefix } : {}),
        ...(options.groupsPrefix ? { groupsPrefix: options.groupsPrefix } : {}),
        ...(options.jwksUrl ? { jwksUrl: options.jwksUrl } : {}),
        ...(options.keys ? { keys: options.keys } : {}),
        onError: (error) => dependencies.onError(error, 'an OIDC token could not be checked against the issuer'),
      });
  }
}
