// `--namespaces`: the gateway watches and serves only the listed namespaces, with one informer
// per namespace and kind, and refuses to create jobs elsewhere.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ timeScale: 60, namespaces: ['team-b'] });
});

afterAll(async () => {
  await gw?.stop();
});

describe('a gateway watching one namespace', () => {
  it('lists only that namespace and its jobs', async () => {
    const result = await gw.graphql<{ namespaces: { nodes: Array<{ name: string }> }; mpiJobs: { nodes: Array<{ namespace: string; name: string }> }; other: unknown }>(
      '{ namespaces { nodes { name } } mpiJobs { nodes { namespace name } } other: mpiJob(namespace: "team-a", name: "pi") { name } }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.namespaces.nodes).toEqual([{ name: 'team-b' }]);
    expect(result.data?.mpiJobs.nodes.map((j) => j.name).sort()).toEqual(['llm-pretrain', 'tensorflow-benchmarks']);
    expect(result.data?.other).toBeNull();
  });

  it('runs one informer per watched namespace and kind', () => {
    const informers = gw.gateway.informers.statuses().map((s) => `${s.resource}/${s.namespace}`);
    expect(informers.sort()).toEqual(['events/team-b', 'mpijobs/team-b', 'namespaces/team-b', 'pods/team-b', 'resourcequotas/team-b']);
  });

  it('refuses to create a job in a namespace it does not serve', async () => {
    const result = await gw.graphql<{ createMPIJob: { job: unknown; errors: Array<{ code: string; path: string[] }> } }>(
      `mutation { createMPIJob(input: { name: "x", namespace: "team-a", image: "i", workers: 1 }) { job { name } errors { code ... on FieldError { path } } } }`,
    );
    expect(result.data?.createMPIJob).toEqual({ job: null, errors: [{ code: 'BAD_USER_INPUT', path: ['input', 'namespace'] }] });
  });
});
