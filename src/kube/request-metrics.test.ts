import { describe, expect, it } from 'vitest';
import { classifyRequest, KubeRequestCounter } from './request-metrics.ts';

describe('classifyRequest', () => {
  it('reads verb and resource the way the API server does', () => {
    expect(classifyRequest('GET', 'https://k:6443/api/v1/pods?labelSelector=x')).toEqual({ verb: 'list', resource: 'pods' });
    expect(classifyRequest('GET', '/api/v1/namespaces/a/pods?watch=true&resourceVersion=5')).toEqual({ verb: 'watch', resource: 'pods' });
    expect(classifyRequest('GET', '/api/v1/namespaces/a/pods/p/log')).toEqual({ verb: 'get', resource: 'pods/log' });
    expect(classifyRequest('GET', '/api/v1/namespaces/a')).toEqual({ verb: 'get', resource: 'namespaces' });
    expect(classifyRequest('GET', '/api/v1/namespaces')).toEqual({ verb: 'list', resource: 'namespaces' });
    expect(classifyRequest('POST', '/apis/kubeflow.org/v2beta1/namespaces/a/mpijobs?dryRun=All')).toEqual({ verb: 'create', resource: 'mpijobs' });
    expect(classifyRequest('PATCH', '/apis/kubeflow.org/v2beta1/namespaces/a/mpijobs/pi')).toEqual({ verb: 'patch', resource: 'mpijobs' });
    expect(classifyRequest('DELETE', '/apis/kubeflow.org/v2beta1/namespaces/a/mpijobs/pi')).toEqual({ verb: 'delete', resource: 'mpijobs' });
    expect(classifyRequest('GET', '/version')).toEqual({ verb: 'other', resource: 'other' });
  });
});

describe('KubeRequestCounter', () => {
  it('counts by verb, resource and code', () => {
    const counter = new KubeRequestCounter();
    counter.record({ verb: 'list', resource: 'pods' }, 200);
    counter.record({ verb: 'list', resource: 'pods' }, 200);
    counter.record({ verb: 'create', resource: 'mpijobs' }, 'error');
    expect(counter.samples()).toEqual([
      { verb: 'list', resource: 'pods', code: '200', count: 2 },
      { verb: 'create', resource: 'mpijobs', code: 'error', count: 1 },
    ]);
    expect(counter.total((s) => s.verb === 'list')).toBe(2);
  });
});
