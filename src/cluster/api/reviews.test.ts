import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../test/utils/memory-store.ts';
import type { UserInfo } from './admission.ts';
import { createClusterAuthorizer, type RbacAuthorizer } from './rbac.ts';
import { findResource, type ResourceInfo } from './resources.ts';
import {
  createReviewHandler,
  localSubjectAccessReview,
  selfSubjectAccessReview,
  selfSubjectReview,
  selfSubjectRulesReview,
  subjectAccessReview,
  tokenReview,
  type ReviewContext,
} from './reviews.ts';
import { StatusError } from './status.ts';
import { createTokenAuthenticator } from './tokens.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';
const alice: UserInfo = { username: 'alice', uid: 'uid-alice', groups: ['system:authenticated'] };

function statusOf(run: () => unknown): StatusError {
  try {
    run();
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('expected a StatusError');
}

function info(group: string, resource: string): ResourceInfo {
  const found = findResource(group, 'v1', resource);
  if (!found) throw new Error(`${resource} is not served`);
  return found;
}

const listMpiJobsIn = (namespace: string) => ({ namespace, verb: 'list', group: 'kubeflow.org', resource: 'mpijobs' });

describe('access reviews', () => {
  let store: MemoryStore;
  let authorizer: RbacAuthorizer;
  let context: ReviewContext;

  beforeEach(() => {
    store = new MemoryStore();
    authorizer = createClusterAuthorizer({ store });
    context = {
      authorizer,
      rules: authorizer,
      authenticate: createTokenAuthenticator({ tokens: [{ token: 'alice-token', user: { username: 'alice', uid: 'uid-alice', groups: ['team-a'] } }] }),
      now: () => Date.parse('2026-03-01T10:00:00.250Z'),
    };
    store.put({
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: 'kubeflow-mpijobs-view' },
      rules: [{ apiGroups: ['kubeflow.org'], resources: ['mpijobs', 'mpijobs/status'], verbs: ['get', 'list', 'watch'] }],
    });
    store.put({
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: 'alice-view', namespace: 'team-a' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeflow-mpijobs-view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }],
    });
    store.put({
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'team-a-health' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'health' },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'team-a' }],
    });
    store.put({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'health' }, rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] });
  });

  afterEach(() => {
    authorizer.close();
  });

  describe('SubjectAccessReview', () => {
    it('answers allowed with the RBAC reason, echoing the spec', () => {
      const body = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { resourceAttributes: listMpiJobsIn('team-a'), user: 'alice', groups: ['system:authenticated'], unknownField: 1 },
      };
      expect(subjectAccessReview(body, context)).toEqual({
        kind: 'SubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: {},
        spec: { resourceAttributes: listMpiJobsIn('team-a'), user: 'alice', groups: ['system:authenticated'] },
        status: { allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-view/team-a" of ClusterRole "kubeflow-mpijobs-view" to User "alice"' },
      });
    });

    it('answers allowed: false with no reason where nothing grants the request', () => {
      const review = subjectAccessReview({ spec: { resourceAttributes: listMpiJobsIn('team-b'), user: 'alice' } }, context);
      expect(review.status).toEqual({ allowed: false });
      const create = subjectAccessReview({ spec: { resourceAttributes: { ...listMpiJobsIn('team-a'), verb: 'create' }, user: 'alice' } }, context);
      expect(create.status).toEqual({ allowed: false });
    });

    it('checks exactly the groups given, without adding system:authenticated', () => {
      const path = { nonResourceAttributes: { path: '/healthz', verb: 'get' } };
      expect(subjectAccessReview({ spec: { ...path, user: 'alice' } }, context).status).toEqual({ allowed: false });
      expect(subjectAccessReview({ spec: { ...path, user: 'alice', groups: ['team-a'] } }, context).status).toMatchObject({ allowed: true });
      expect(subjectAccessReview({ spec: { ...path, groups: ['team-a'] } }, context).status).toMatchObject({ allowed: true });
    });

    it('ignores the version and honours subresources and names', () => {
      const status = { ...listMpiJobsIn('team-a'), verb: 'get', version: 'v2beta1', subresource: 'status', name: 'pi' };
      expect(subjectAccessReview({ spec: { resourceAttributes: status, user: 'alice' } }, context).status).toMatchObject({ allowed: true });
      const patch = { ...status, verb: 'patch' };
      expect(subjectAccessReview({ spec: { resourceAttributes: patch, user: 'alice' } }, context).status).toEqual({ allowed: false });
    });

    it('is 422 Invalid without a user or group, with both or neither kind of attributes, or with metadata, named as the real server names it', () => {
      const noSubject = statusOf(() => subjectAccessReview({ spec: { resourceAttributes: listMpiJobsIn('a') } }, context));
      expect(noSubject.code).toBe(422);
      expect(noSubject.body.message).toBe(
        '.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
      );
      expect(noSubject.body.details).toEqual({
        group: 'authorization.k8s.io',
        causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "": at least one of user or group must be specified', field: 'spec.user' }],
      });
      const neither = statusOf(() => subjectAccessReview({ spec: { user: 'alice' } }, context));
      expect(neither.body.message).toBe(
        '.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
      );
      const both = statusOf(() =>
        subjectAccessReview({ spec: { user: 'alice', resourceAttributes: listMpiJobsIn('a'), nonResourceAttributes: { path: '/x', verb: 'get' } } }, context),
      );
      expect(both.body.details?.causes).toEqual([
        { reason: 'FieldValueInvalid', message: 'Invalid value: {"Path":"/x","Verb":"get"}: cannot be specified in combination with resourceAttributes', field: 'spec.nonResourceAttributes' },
      ]);
      const named = statusOf(() => subjectAccessReview({ metadata: { name: 'x' }, spec: { user: 'alice', resourceAttributes: listMpiJobsIn('a') } }, context));
      expect(named.body.details?.causes?.map((c) => c.field)).toEqual(['metadata']);
    });

    it('accepts the empty metadata clients send', () => {
      const body = { metadata: { creationTimestamp: null, managedFields: [] }, spec: { user: 'alice', resourceAttributes: listMpiJobsIn('team-a') } };
      expect(subjectAccessReview(body, context).status).toMatchObject({ allowed: true });
    });

    it('validates selector attributes the way the real server does', () => {
      const spec = (fieldSelector: unknown) => ({ spec: { user: 'alice', resourceAttributes: { ...listMpiJobsIn('team-a'), fieldSelector } } });
      expect(subjectAccessReview(spec({ rawSelector: 'metadata.name=pi' }), context).spec).toMatchObject({
        resourceAttributes: { fieldSelector: { rawSelector: 'metadata.name=pi' } },
      });
      expect(statusOf(() => subjectAccessReview(spec({}), context)).body.message).toContain(
        'spec.resourceAttributes.fieldSelector.requirements: Required value: when spec.resourceAttributes.fieldSelector is specified, requirements or rawSelector is required',
      );
      expect(statusOf(() => subjectAccessReview(spec({ rawSelector: 'a=b', requirements: [{ key: 'a', operator: 'In', values: ['b'] }] }), context)).body.message).toContain(
        'spec.resourceAttributes.fieldSelector.rawSelector: Invalid value: "a=b": may not specified at the same time as requirements',
      );
    });

    it('is 400 for a body Go could not decode, and for the wrong kind', () => {
      const wrongType = statusOf(() => subjectAccessReview({ spec: { user: 'alice', resourceAttributes: { verb: 7 } } }, context));
      expect(wrongType.code).toBe(400);
      expect(wrongType.body.message).toBe(
        'SubjectAccessReview in version "v1" cannot be handled as a SubjectAccessReview: json: cannot unmarshal number into Go struct field ResourceAttributes.spec.resourceAttributes.verb of type string',
      );
      expect(statusOf(() => subjectAccessReview({ spec: 'x' }, context)).body.message).toContain('cannot unmarshal string into Go struct field SubjectAccessReview.spec of type v1.SubjectAccessReviewSpec');
      expect(statusOf(() => subjectAccessReview({ kind: 'TokenReview', spec: {} }, context)).body.message).toBe(
        'TokenReview in version "v1" cannot be handled as a SubjectAccessReview: no kind "TokenReview" is registered for version "authorization.k8s.io/v1" in scheme "pkg/runtime/scheme.go:110"',
      );
      expect(statusOf(() => subjectAccessReview([], context)).code).toBe(400);
    });
  });

  describe('SelfSubjectAccessReview', () => {
    it("answers for the caller, groups included, like kubectl auth can-i", () => {
      const body = { spec: { resourceAttributes: listMpiJobsIn('team-a') } };
      expect(selfSubjectAccessReview(body, alice, context)).toMatchObject({ kind: 'SelfSubjectAccessReview', status: { allowed: true } });
      expect(selfSubjectAccessReview(body, { username: 'bob', groups: ['system:authenticated'] }, context).status).toEqual({ allowed: false });
      const health = { spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } } };
      expect(selfSubjectAccessReview(health, { username: 'carol', groups: ['team-a'] }, context).status).toMatchObject({ allowed: true });
    });

    it('ignores a user or groups in the spec: they are not part of it', () => {
      const body = { spec: { resourceAttributes: listMpiJobsIn('team-a'), user: 'alice' } };
      const review = selfSubjectAccessReview(body, { username: 'bob', groups: [] }, context);
      expect(review.status).toEqual({ allowed: false });
      expect(review.spec).toEqual({ resourceAttributes: listMpiJobsIn('team-a') });
    });

    it('needs exactly one kind of attributes', () => {
      expect(statusOf(() => selfSubjectAccessReview({ spec: {} }, alice, context)).code).toBe(422);
    });
  });

  describe('LocalSubjectAccessReview', () => {
    it('answers within the namespace of the URL', () => {
      const review = localSubjectAccessReview({ spec: { resourceAttributes: listMpiJobsIn('team-a'), user: 'alice' } }, 'team-a', context);
      expect(review).toMatchObject({ kind: 'LocalSubjectAccessReview', metadata: { namespace: 'team-a' }, status: { allowed: true } });
    });

    it('refuses attributes in another namespace, non-resource attributes, and a foreign metadata namespace', () => {
      const other = statusOf(() => localSubjectAccessReview({ spec: { resourceAttributes: listMpiJobsIn('team-a'), user: 'alice' } }, 'team-b', context));
      expect(other.body.message).toBe(
        '.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "team-a": must match metadata.namespace',
      );
      const path = statusOf(() => localSubjectAccessReview({ spec: { nonResourceAttributes: { path: '/x', verb: 'get' }, user: 'alice' } }, 'team-a', context));
      expect(path.body.details?.causes?.map((c) => c.message)).toEqual(['Invalid value: {"Path":"/x","Verb":"get"}: disallowed on this kind of request']);
      const meta = statusOf(() => localSubjectAccessReview({ metadata: { namespace: 'team-b' }, spec: { resourceAttributes: listMpiJobsIn('team-a'), user: 'a' } }, 'team-a', context));
      expect(meta.body.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
    });
  });

  describe('SelfSubjectRulesReview', () => {
    it("lists the caller's resource and non-resource rules in a namespace", () => {
      const review = selfSubjectRulesReview({ spec: { namespace: 'team-a' } }, { username: 'alice', groups: ['team-a'] }, context);
      expect(review).toEqual({
        kind: 'SelfSubjectRulesReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: {},
        spec: {},
        status: {
          resourceRules: [{ verbs: ['get', 'list', 'watch'], apiGroups: ['kubeflow.org'], resources: ['mpijobs', 'mpijobs/status'] }],
          nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
          incomplete: false,
        },
      });
      expect(selfSubjectRulesReview({ spec: { namespace: 'team-b' } }, alice, context).status).toMatchObject({ resourceRules: [], nonResourceRules: [] });
    });

    it('reports a binding to a missing role as the evaluation error', () => {
      store.put({
        apiVersion: RBAC,
        kind: 'RoleBinding',
        metadata: { name: 'dangling', namespace: 'team-a' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gone' },
        subjects: [{ kind: 'User', name: 'alice' }],
      });
      expect(selfSubjectRulesReview({ spec: { namespace: 'team-a' } }, alice, context).status).toMatchObject({
        incomplete: false,
        evaluationError: 'role.rbac.authorization.k8s.io "gone" not found',
      });
    });

    it('is 400 without a namespace', () => {
      const error = statusOf(() => selfSubjectRulesReview({ spec: {} }, alice, context));
      expect([error.code, error.body.message]).toEqual([400, 'no namespace on request']);
    });
  });

  describe('TokenReview', () => {
    it('authenticates a known token with the API server audiences', () => {
      expect(tokenReview({ spec: { token: 'alice-token' } }, context)).toEqual({
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: {},
        spec: { token: 'alice-token' },
        status: {
          authenticated: true,
          user: { username: 'alice', uid: 'uid-alice', groups: ['team-a', 'system:authenticated'] },
          audiences: ['https://kubernetes.default.svc.cluster.local'],
        },
      });
    });

    it('answers an unknown token with an empty user, the error, and no authenticated field, as Go encodes false', () => {
      expect(tokenReview({ spec: { token: 'guess' } }, context).status).toEqual({ user: {}, error: 'invalid bearer token' });
    });

    it('does not authenticate a static token for an audience the API server is not', () => {
      expect(tokenReview({ spec: { token: 'alice-token', audiences: ['https://gateway.example'] } }, context).status).toEqual({ user: {}, error: 'invalid bearer token' });
      expect(tokenReview({ spec: { token: 'alice-token', audiences: ['https://gateway.example'] } }, { ...context, apiAudiences: ['https://gateway.example', 'x'] }).status).toMatchObject({
        authenticated: true,
        audiences: ['https://gateway.example'],
      });
    });

    it('is 400 without a token', () => {
      const error = statusOf(() => tokenReview({ spec: {} }, context));
      expect([error.code, error.body.message]).toEqual([400, 'token is required for TokenReview in authentication']);
    });
  });

  describe('SelfSubjectReview', () => {
    it('tells the caller who they are, like kubectl auth whoami', () => {
      expect(selfSubjectReview({}, alice, context)).toEqual({
        kind: 'SelfSubjectReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: '2026-03-01T10:00:00Z' },
        status: { userInfo: { username: 'alice', uid: 'uid-alice', groups: ['system:authenticated'] } },
      });
    });
  });

  describe('createReviewHandler', () => {
    it('serves every create-only kind and dispatches on it', () => {
      const handler = createReviewHandler(context);
      const virtualKinds = ['tokenreviews', 'selfsubjectreviews'].map((r) => info('authentication.k8s.io', r));
      virtualKinds.push(...['subjectaccessreviews', 'selfsubjectaccessreviews', 'localsubjectaccessreviews', 'selfsubjectrulesreviews'].map((r) => info('authorization.k8s.io', r)));
      for (const kind of virtualKinds) {
        expect(kind.virtual, kind.resource).toBe(true);
        expect(handler.serves(kind), kind.resource).toBe(true);
      }
      expect(handler.serves(info('rbac.authorization.k8s.io', 'roles'))).toBe(false);
      const local = handler.create({
        info: info('authorization.k8s.io', 'localsubjectaccessreviews'),
        namespace: 'team-a',
        body: { spec: { resourceAttributes: listMpiJobsIn('team-a'), user: 'alice' } },
        user: { username: 'nobody', groups: [] },
      });
      expect(local).toMatchObject({ kind: 'LocalSubjectAccessReview', status: { allowed: true } });
      const self = handler.create({ info: info('authentication.k8s.io', 'selfsubjectreviews'), namespace: undefined, body: {}, user: alice });
      expect(self).toMatchObject({ status: { userInfo: { username: 'alice' } } });
    });
  });
});
