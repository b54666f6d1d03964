import { describe, expect, it } from 'vitest';
import { findResource, type ResourceInfo } from './resources.ts';
import { fieldValue, labelsMatch, objectFilter, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { StatusError } from './status.ts';
import type { KubeObject } from './types.ts';

function resource(group: string, version: string, name: string): ResourceInfo {
  const info = findResource(group, version, name);
  if (!info) throw new Error(`no resource ${name}`);
  return info;
}

const pods = resource('', 'v1', 'pods');
const events = resource('', 'v1', 'events');
const jobs = resource('batch', 'v1', 'jobs');
const mpijobs = resource('kubeflow.org', 'v2beta1', 'mpijobs');

function statusOf(fn: () => unknown): { code: number; message?: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof StatusError) return { code: error.code, message: error.body.message };
    throw error;
  }
  throw new Error('expected a StatusError');
}

const labels = { app: 'pi', role: 'worker', tier: '3' };

function matches(selector: string, on: Record<string, string> | undefined = labels): boolean {
  return labelsMatch(parseLabelSelector(selector), on);
}

describe('label selectors', () => {
  it('select everything when empty or absent', () => {
    expect(parseLabelSelector(undefined)).toEqual([]);
    expect(parseLabelSelector('  ')).toEqual([]);
    expect(matches('', undefined)).toBe(true);
  });

  it('support =, == and != with the real semantics for missing labels', () => {
    expect(matches('app=pi')).toBe(true);
    expect(matches('app==pi')).toBe(true);
    expect(matches('app=other')).toBe(false);
    expect(matches('app!=other')).toBe(true);
    expect(matches('missing!=x')).toBe(true);
    expect(matches('missing=x')).toBe(false);
  });

  it('support in, notin, existence and non-existence, ANDed by commas in any order', () => {
    expect(matches('role in (launcher, worker)')).toBe(true);
    expect(matches('role notin (launcher,worker)')).toBe(false);
    expect(matches('missing notin (a)')).toBe(true);
    expect(matches('app')).toBe(true);
    expect(matches('!app')).toBe(false);
    expect(matches('!missing,app=pi')).toBe(true);
    expect(matches('role in (worker),app=pi,!missing')).toBe(true);
    expect(matches('app=pi,role=launcher')).toBe(false);
  });

  it('support the numeric gt and lt operators', () => {
    expect(matches('tier>2')).toBe(true);
    expect(matches('tier<2')).toBe(false);
  });

  it('accept prefixed keys and an empty value', () => {
    expect(labelsMatch(parseLabelSelector('training.kubeflow.org/job-role=worker'), { 'training.kubeflow.org/job-role': 'worker' })).toBe(true);
    expect(labelsMatch(parseLabelSelector('a='), { a: '' })).toBe(true);
  });

  it('refuse malformed selectors with 400', () => {
    for (const bad of ['app in', 'app in ()', '=x', 'app=(x)', 'app=pi,,', 'app in (a b)', 'Bad Key=1', 'app=has space here']) {
      expect(statusOf(() => parseLabelSelector(bad)).code, bad).toBe(400);
    }
  });
});

describe('field selectors', () => {
  const pod: KubeObject = {
    metadata: { name: 'pi-launcher', namespace: 'team-a' },
    spec: { nodeName: 'node-1', restartPolicy: 'Never' },
    status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }] },
  };

  it('match metadata.name and metadata.namespace on every kind', () => {
    const filter = objectFilter(mpijobs, { fieldSelector: 'metadata.name=pi,metadata.namespace==team-a' });
    expect(filter.matches({ metadata: { name: 'pi', namespace: 'team-a' } })).toBe(true);
    expect(filter.matches({ metadata: { name: 'pi', namespace: 'team-b' } })).toBe(false);
  });

  it('match the kind specific fields with = and !=', () => {
    expect(objectFilter(pods, { fieldSelector: 'spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed' }).matches(pod)).toBe(true);
    expect(objectFilter(pods, { fieldSelector: 'status.phase!=Running' }).matches(pod)).toBe(false);
    expect(fieldValue(pods, pod, 'status.podIPs')).toBe('10.0.0.5');
    expect(fieldValue(pods, pod, 'spec.hostNetwork')).toBe('false');
  });

  it('read the fields the registries compute rather than copy', () => {
    expect(fieldValue(events, { metadata: {}, source: { component: 'kubelet' } }, 'source')).toBe('kubelet');
    expect(fieldValue(jobs, { metadata: {}, status: { succeeded: 1 } }, 'status.successful')).toBe('1');
    expect(fieldValue(jobs, { metadata: {} }, 'status.successful')).toBe('0');
  });

  it('accept the terms of an events selector in any order', () => {
    const event: KubeObject = { metadata: { name: 'e1', namespace: 'team-a' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'team-a', uid: 'u1' } };
    const a = objectFilter(events, { fieldSelector: 'involvedObject.namespace=team-a,involvedObject.uid=u1,involvedObject.name=p' });
    const b = objectFilter(events, { fieldSelector: 'involvedObject.name=p,involvedObject.uid=u1,involvedObject.namespace=team-a' });
    expect(a.matches(event)).toBe(true);
    expect(b.matches(event)).toBe(true);
  });

  it('refuse an unsupported field with 400 field label not supported', () => {
    expect(statusOf(() => parseFieldSelector('spec.nodeName=x', mpijobs))).toEqual({ code: 400, message: 'field label not supported: spec.nodeName' });
  });

  it('refuse a term without an operator with 400', () => {
    expect(statusOf(() => parseFieldSelector('metadata.name', pods)).code).toBe(400);
  });

  it('unescape values so that commas and equals signs can be selected', () => {
    const [requirement] = parseFieldSelector('metadata.name=a\\,b\\=c', pods);
    expect(requirement).toEqual({ field: 'metadata.name', operator: '=', value: 'a,b=c' });
  });
});
