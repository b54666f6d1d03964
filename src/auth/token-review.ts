// The `kubernetes` strategy: users bring tokens the cluster issued (service account tokens,
// tokens of the cluster's own authenticators) and the gateway asks the API server with a
// TokenReview. Successful answers are reused for a short time, keyed by a digest of the token,
// so a burst of requests makes one review and no token sits in memory as a map key.

import { createHash } from 'node:crypto';
import type { TokenReviewer } from '../kube/reviews.ts';
import type { Authenticator } from './authenticator.ts';
import { withAuthenticatedGroup, type Identity } from './identity.ts';
import { TtlCache } from './ttl-cache.ts';

/** How long a successful review is trusted; a revoked token keeps working at most this long. */
export const TOKEN_REVIEW_CACHE_TTL_MS = 10_000;
export const TOKEN_REVIEW_CACHE_MAX_ENTRIES = 10_000;

export interface TokenReviewAuthenticatorOptions {
  reviewer: TokenReviewer;
  /** Audiences the token must be valid for; default none (the API server's own audiences). */
  audiences?: readonly string[];
  /** Default TOKEN_REVIEW_CACHE_TTL_MS. */
  cacheTtlMs?: number;
  /** Default TOKEN_REVIEW_CACHE_MAX_ENTRIES. */
  cacheMaxEntries?: number;
  /** Default Date.now. */
  now?: () => number;
}

export function createTokenReviewAuthenticator(options: TokenReviewAuthenticatorOptions): Authenticator {
  const cache = new TtlCache<Identity>({
    ttlMs: options.cacheTtlMs ?? TOKEN_REVIEW_CACHE_TTL_MS,
    maxEntries: options.cacheMaxEntries ?? TOKEN_REVIEW_CACHE_MAX_ENTRIES,
    ...(options.now ? { now: options.now } : {}),
  });
  const inFlight = new Map<string, Promise<Identity | undefined>>();
  return {
    strategy: 'kubernetes',
    async authenticate(token) {
      if (token === '') return undefined;
      const key = createHash('sha256').update(token, 'utf8').digest('base64');
      const cached = cache.get(key);
      if (cached) return cached;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = (async () => {
          const result = await options.reviewer.tokenReview(token, options.audiences);
          if (!result.authenticated || !result.user) return undefined;
          const identity = withAuthenticatedGroup({
            username: result.user.username,
            ...(result.user.uid ? { uid: result.user.uid } : {}),
            groups: result.user.groups,
          });
          cache.set(key, identity);
          return identity;
        })().finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
  };
}
