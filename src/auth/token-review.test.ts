import { describe, expect, it } from 'vitest';
import { KubernetesUnavailableError } from '../errors.ts';
import type { TokenReviewer } from '../kube/reviews.ts';
import { createTokenReviewAuthenticator } from './token-review.ts';

function reviewer(users: Record<string, { username: string; groups: string[] }>): TokenReviewer & { calls: number; audiences: unknown[] } {
  const fake = {
    calls: 0,
    audiences: [] as unknown[],
    async tokenReview(token: string, audiences?: readonly string[]) {
      fake.calls += 1;
      fake.audiences.push(audiences);
      const user = users[token];
      return { authenticated: user !== undefined, user, audiences: undefined };
    },
  };
  return fake;
}

describe('the kubernetes (TokenReview) strategy', () => {
  it('maps the reviewed user, adds system:authenticated, and passes the configured audiences', async () => {
    const fake = reviewer({ t1: { username: 'system:serviceaccount:team-a:ci', groups: ['system:serviceaccounts'] } });
    const auth = createTokenReviewAuthenticator({ reviewer: fake, audiences: ['gateway'] });
    expect(await auth.authenticate('t1')).toEqual({
      username: 'system:serviceaccount:team-a:ci',
      groups: ['system:serviceaccounts', 'system:authenticated'],
    });
    expect(await auth.authenticate('nope')).toBeUndefined();
    expect(fake.audiences[0]).toEqual(['gateway']);
  });

  it('reuses a successful review until it expires, and never caches a refusal', async () => {
    let clock = 0;
    const fake = reviewer({ t1: { username: 'alice', groups: [] } });
    const auth = createTokenReviewAuthenticator({ reviewer: fake, cacheTtlMs: 1000, now: () => clock });
    await auth.authenticate('t1');
    await auth.authenticate('t1');
    await auth.authenticate('bad');
    await auth.authenticate('bad');
    expect(fake.calls).toBe(3);
    clock = 1500;
    await auth.authenticate('t1');
    expect(fake.calls).toBe(4);
  });

  it('lets an unreachable API server surface as such, not as bad credentials', async () => {
    const auth = createTokenReviewAuthenticator({
      reviewer: {
        tokenReview: async () => {
          throw new KubernetesUnavailableError('the Kubernetes API is unreachable');
        },
      },
    });
    await expect(auth.authenticate('t1')).rejects.toBeInstanceOf(KubernetesUnavailableError);
  });
});
