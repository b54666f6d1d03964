import { describe, expect, it } from 'vitest';
import type { AccessReviewer, AccessReviewSubject, ResourceAttributes } from '../kube/reviews.ts';
import { Authorizer, createViewer } from './access.ts';
import type { Identity } from './identity.ts';

const ALICE: Identity = { username: 'alice', groups: ['team-a', 'system:authenticated'] };

/** RBAC as a table: `user verb group/resource namespace` lines; '' namespace means cluster-wide. */
function fakeReviewer(grants: string[]): AccessReviewer & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async accessReview(subject: AccessReviewSubject, a: ResourceAttributes) {
      const line = `${subject.user} ${a.verb} ${a.group}/${a.resource}${a.subresource ? `/${a.subresource}` : ''} ${a.namespace}`;
      asked.push(line);
      return grants.includes(line) || grants.includes(`${subject.user} ${a.verb} ${a.group}/${a.resource} `);
    },
  };
}

const listJobs = (namespace: string): ResourceAttributes => ({ verb: 'list', group: 'kubeflow.org', resource: 'mpijobs', namespace });

describe('the authorizer', () => {
  it('asks one SubjectAccessReview per distinct question in a request, however often it is asked', async () => {
    const reviewer = fakeReviewer(['alice list kubeflow.org/mpijobs team-a']);
    const access = new Authorizer({ reviewer }).forRequest(ALICE);
    const answers = await Promise.all([access.can(listJobs('team-a')), access.can(listJobs('team-a')), access.can(listJobs('team-b'))]);
    expect(answers).toEqual([true, true, false]);
    expect(reviewer.asked).toEqual(['alice list kubeflow.org/mpijobs team-a', 'alice list kubeflow.org/mpijobs team-b']);
  });

  it('shares answers between requests until they expire, denials sooner than grants', async () => {
    let clock = 0;
    const reviewer = fakeReviewer(['alice list kubeflow.org/mpijobs team-a']);
    const authorizer = new Authorizer({ reviewer, ttlMs: 1000, deniedTtlMs: 100, now: () => clock });
    await authorizer.forRequest(ALICE).can(listJobs('team-a'));
    await authorizer.forRequest(ALICE).can(listJobs('team-b'));
    await authorizer.forRequest(ALICE).can(listJobs('team-a'));
    await authorizer.forRequest(ALICE).can(listJobs('team-b'));
    expect(reviewer.asked).toHaveLength(2);
    clock = 500;
    await authorizer.forRequest(ALICE).can(listJobs('team-a'));
    await authorizer.forRequest(ALICE).can(listJobs('team-b'));
    expect(reviewer.asked.slice(2), 'only the denial expired').toEqual(['alice list kubeflow.org/mpijobs team-b']);
    clock = 2000;
    await authorizer.forRequest(ALICE).can(listJobs('team-a'));
    expect(reviewer.asked).toHaveLength(4);
  });

  it('keeps answers of different users and groups apart', async () => {
    const reviewer = fakeReviewer(['alice list kubeflow.org/mpijobs team-a']);
    const authorizer = new Authorizer({ reviewer });
    expect(await authorizer.forRequest(ALICE).can(listJobs('team-a'))).toBe(true);
    expect(await authorizer.forRequest({ username: 'bob', groups: ALICE.groups }).can(listJobs('team-a'))).toBe(false);
    expect(await authorizer.forRequest({ username: 'alice', groups: ['system:authenticated'] }).can(listJobs('team-a'))).toBe(true);
    expect(reviewer.asked).toHaveLength(3);
  });

  it('bounds the shared cache', async () => {
    const reviewer = fakeReviewer([]);
    const authorizer = new Authorizer({ reviewer, maxEntries: 2 });
    for (const ns of ['a', 'b', 'c', 'a']) await authorizer.forRequest(ALICE).can(listJobs(ns));
    expect(reviewer.asked, 'a was evicted by c').toHaveLength(4);
  });

  it('sends at most maxInFlight reviews at once, and all of them in the end', async () => {
    let running = 0;
    let peak = 0;
    const reviewer: AccessReviewer = {
      async accessReview() {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        return true;
      },
    };
    const access = new Authorizer({ reviewer, maxInFlight: 3 }).forRequest(ALICE);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => access.can(listJobs(`ns-${i}`))));
    expect(answers.every(Boolean)).toBe(true);
    expect(peak).toBe(3);
  });

  it('joins concurrent identical reviews of different requests into one', async () => {
    const reviewer = fakeReviewer([]);
    const authorizer = new Authorizer({ reviewer });
    await Promise.all([authorizer.forRequest(ALICE).can(listJobs('x')), authorizer.forRequest(ALICE).can(listJobs('x'))]);
    expect(reviewer.asked).toHaveLength(1);
  });
});

describe('the viewer built from RBAC answers', () => {
  it('reads per kind in the namespaces RBAC allows, and everywhere when allowed cluster-wide', async () => {
    const reviewer = fakeReviewer([
      'alice list kubeflow.org/mpijobs team-a',
      'alice list /events team-a',
      'alice get /resourcequotas ',
    ]);
    const access = new Authorizer({ reviewer }).forRequest(ALICE);
    const viewer = await createViewer({ access, namespaces: ['team-a', 'team-b'] });
    expect(viewer.canRead('team-a')).toBe(true);
    expect(viewer.canRead('team-b')).toBe(false);
    expect(viewer.canRead('team-a', 'events')).toBe(true);
    expect(viewer.canRead('team-b', 'events')).toBe(false);
    expect(viewer.canRead('team-b', 'resourcequotas')).toBe(true);
    expect(viewer.canRead('elsewhere', 'resourcequotas'), 'only watched namespaces').toBe(false);
    expect(viewer.impersonation).toEqual({ user: 'alice', groups: ['team-a'] });
    expect(await viewer.can({ verb: 'create', group: 'kubeflow.org', resource: 'mpijobs', namespace: 'team-a' })).toBe(false);
  });
});
