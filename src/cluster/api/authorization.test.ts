import { describe, expect, it } from 'vitest';
import type { UserInfo } from './admission.ts';
import {
  authorize,
  DECISION,
  forbiddenError,
  forbiddenMessage,
  pathSegmentNameErrors,
  privilegedGroupsAuthorizer,
  requestAttributes,
  unionAuthorizer,
  type AuthorizationAttributes,
  type Authorizer,
} from './authorization.ts';
import { StatusError } from './status.ts';

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };

function attributes(method: string, url: string): AuthorizationAttributes {
  return requestAttributes({ method, url: new URL(url, 'https://127.0.0.1:6443') }, alice);
}

function resource(method: string, url: string): Omit<AuthorizationAttributes & { resourceRequest: true }, 'user'> {
  const found = attributes(method, url);
  if (!found.resourceRequest) throw new Error(`${url} is not a resource request`);
  const { user: _user, ...rest } = found;
  return rest;
}

describe('requestAttributes', () => {
  it('reads group, version, resource, namespace, name and subresource from the path', () => {
    expect(resource('GET', '/apis/kubeflow.org/v2beta1/namespaces/team-a/mpijobs/pi')).toEqual({
      resourceRequest: true,
      verb: 'get',
      apiGroup: 'kubeflow.org',
      apiVersion: 'v2beta1',
      resource: 'mpijobs',
      subresource: '',
      namespace: 'team-a',
      name: 'pi',
    });
    expect(resource('GET', '/api/v1/namespaces/team-a/pods/pi-launcher/log?follow=true')).toMatchObject({
      verb: 'get',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      subresource: 'log',
      namespace: 'team-a',
      name: 'pi-launcher',
    });
  });

  it('derives the verb from the method: list, watch, create, update, patch, delete, deletecollection', () => {
    const collection = '/apis/kubeflow.org/v2beta1/namespaces/team-a/mpijobs';
    const item = `${collection}/pi`;
    expect(resource('GET', collection).verb).toBe('list');
    expect(resource('GET', `${collection}?watch=true`).verb).toBe('watch');
    expect(resource('GET', `${collection}?watch=1`).verb).toBe('watch');
    expect(resource('GET', `${collection}?watch=false`).verb).toBe('list');
    expect(resource('GET', `${collection}?watch=yes`).verb).toBe('watch');
    expect(resource('HEAD', item).verb).toBe('get');
    expect(resource('POST', collection).verb).toBe('create');
    expect(resource('PUT', item).verb).toBe('update');
    expect(resource('PATCH', `${item}/status`)).toMatchObject({ verb: 'patch', subresource: 'status' });
    expect(resource('DELETE', item).verb).toBe('delete');
    expect(resource('DELETE', collection).verb).toBe('deletecollection');
    expect(resource('OPTIONS', item).verb).toBe('');
  });

  it('treats lists across namespaces and cluster-scoped kinds as cluster scope', () => {
    expect(resource('GET', '/apis/kubeflow.org/v2beta1/mpijobs')).toMatchObject({ verb: 'list', resource: 'mpijobs', namespace: '' });
    expect(resource('GET', '/api/v1/nodes/node-1')).toMatchObject({ verb: 'get', resource: 'nodes', namespace: '', name: 'node-1' });
    expect(resource('GET', '/api/v1/namespaces')).toMatchObject({ verb: 'list', resource: 'namespaces', namespace: '', name: '' });
  });

  it('places a namespace itself inside its own namespace, and its status and finalize under it', () => {
    expect(resource('GET', '/api/v1/namespaces/team-a')).toMatchObject({ resource: 'namespaces', namespace: 'team-a', name: 'team-a', subresource: '' });
    expect(resource('PUT', '/api/v1/namespaces/team-a/status')).toMatchObject({ resource: 'namespaces', namespace: 'team-a', name: 'team-a', subresource: 'status' });
    expect(resource('PUT', '/api/v1/namespaces/team-a/finalize')).toMatchObject({ verb: 'update', subresource: 'finalize' });
  });

  it('takes the name a list is pinned to by fieldSelector=metadata.name', () => {
    expect(resource('GET', '/api/v1/namespaces/team-a/pods?fieldSelector=metadata.name%3Dpi-launcher&watch=true')).toMatchObject({
      verb: 'watch',
      name: 'pi-launcher',
    });
    expect(resource('GET', '/api/v1/namespaces/team-a/pods?fieldSelector=status.phase%3DRunning,metadata.name%3D%3Dp')).toMatchObject({ verb: 'list', name: 'p' });
    expect(resource('GET', '/api/v1/namespaces/team-a/pods?fieldSelector=metadata.name!%3Dp').name).toBe('');
    expect(resource('GET', '/api/v1/namespaces/team-a/pods?fieldSelector=metadata.name%3D..').name).toBe('');
  });

  it('reads the legacy /watch/ path form as a watch', () => {
    expect(resource('GET', '/api/v1/watch/namespaces/team-a/pods')).toMatchObject({ verb: 'watch', resource: 'pods', namespace: 'team-a' });
  });

  it('makes discovery, health, version and OpenAPI paths non-resource requests with the method as verb', () => {
    for (const url of ['/api', '/api/v1', '/apis', '/apis/kubeflow.org', '/apis/kubeflow.org/v2beta1', '/healthz', '/version', '/openapi/v3/apis/batch/v1']) {
      const found = attributes('GET', url);
      expect(found, url).toMatchObject({ resourceRequest: false, verb: 'get' });
    }
    expect(attributes('POST', '/healthz')).toMatchObject({ resourceRequest: false, verb: 'post', path: '/healthz' });
    expect(attributes('GET', '/metrics/')).toMatchObject({ path: '/metrics/' });
  });

  it('carries the user it was given', () => {
    expect(attributes('GET', '/api/v1/pods').user).toBe(alice);
  });
});

describe('pathSegmentNameErrors', () => {
  it('refuses . and .. and names with / or %', () => {
    expect(pathSegmentNameErrors('system:masters')).toEqual([]);
    expect(pathSegmentNameErrors('..')).toEqual(["may not be '..'"]);
    expect(pathSegmentNameErrors('a/b%')).toEqual(["may not contain '/'", "may not contain '%'"]);
  });
});

describe('the Forbidden answer', () => {
  it('reads like the real server for a namespaced list without a name', () => {
    const error = forbiddenError(attributes('GET', '/apis/kubeflow.org/v2beta1/namespaces/team-b/mpijobs'));
    expect(error).toBeInstanceOf(StatusError);
    expect(error.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'mpijobs.kubeflow.org is forbidden: User "alice" cannot list resource "mpijobs" in API group "kubeflow.org" in the namespace "team-b"',
      reason: 'Forbidden',
      details: { group: 'kubeflow.org', kind: 'mpijobs' },
      code: 403,
    });
  });

  it('names the object and the subresource, and leaves the core group out of details', () => {
    const error = forbiddenError(attributes('GET', '/api/v1/namespaces/team-a/pods/pi-launcher/log'));
    expect(error.body.message).toBe('pods "pi-launcher" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "team-a"');
    expect(error.body.details).toEqual({ name: 'pi-launcher', kind: 'pods' });
  });

  it('says "at the cluster scope" without a namespace and appends the authorizer reason', () => {
    const error = forbiddenError(attributes('GET', '/apis/kubeflow.org/v2beta1/mpijobs'), 'RBAC: clusterrole.rbac.authorization.k8s.io "x" not found');
    expect(error.body.message).toBe(
      'mpijobs.kubeflow.org is forbidden: User "alice" cannot list resource "mpijobs" in API group "kubeflow.org" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "x" not found',
    );
  });

  it('uses the path form for non-resource requests, with no details', () => {
    const error = forbiddenError(attributes('GET', '/metrics'));
    expect(error.body.message).toBe('forbidden: User "alice" cannot get path "/metrics"');
    expect(error.body.details).toBeUndefined();
  });

  it('escapes what could read as HTML in names', () => {
    const attrs = requestAttributes({ method: 'GET', url: new URL('https://h/apis/g/v1/namespaces/ns/things/%3Cb%3E') }, { username: 'a&b', groups: [] });
    expect(forbiddenMessage(attrs)).toBe('User "a&b" cannot get resource "things" in API group "g" in the namespace "ns"');
    expect(forbiddenError(attrs).body.message).toBe('things.g "<b>" is forbidden: User "a&amp;b" cannot get resource "things" in API group "g" in the namespace "ns"');
  });
});

describe('composing authorizers', () => {
  const fixed = (decision: (typeof DECISION)[keyof typeof DECISION], reason: string): Authorizer => ({ authorize: () => ({ decision, reason }) });
  const request = attributes('GET', '/api/v1/namespaces/a/pods');

  it('lets the first authorizer with an opinion decide', () => {
    expect(unionAuthorizer([fixed(DECISION.noOpinion, ''), fixed(DECISION.allow, 'yes'), fixed(DECISION.deny, 'no')]).authorize(request)).toEqual({
      decision: DECISION.allow,
      reason: 'yes',
    });
    expect(unionAuthorizer([fixed(DECISION.deny, 'no'), fixed(DECISION.allow, 'yes')]).authorize(request).decision).toBe(DECISION.deny);
  });

  it('joins the reasons of authorizers without an opinion', () => {
    expect(unionAuthorizer([fixed(DECISION.noOpinion, 'a'), fixed(DECISION.noOpinion, ''), fixed(DECISION.noOpinion, 'b')]).authorize(request)).toEqual({
      decision: DECISION.noOpinion,
      reason: 'a\nb',
    });
  });

  it('allows members of a privileged group and nobody else', () => {
    const masters = privilegedGroupsAuthorizer();
    expect(masters.authorize({ ...request, user: { username: 'root', groups: ['system:masters'] } }).decision).toBe(DECISION.allow);
    expect(masters.authorize(request).decision).toBe(DECISION.noOpinion);
  });

  it('throws the Forbidden answer with the reason unless allowed', () => {
    expect(() => authorize(fixed(DECISION.allow, ''), request)).not.toThrow();
    expect(() => authorize(fixed(DECISION.noOpinion, 'RBAC: why'), request)).toThrow(
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "a": RBAC: why',
    );
    expect(() => authorize(fixed(DECISION.deny, ''), request)).toThrow(StatusError);
  });
});
