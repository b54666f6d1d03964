import { describe, expect, it } from 'vitest';
import type { ResourceQuotaObject } from '../kube/objects.ts';
import { podResources, scaleTotals, addTotals } from './pod-resources.ts';
import { evaluateQuotas, jobDemand, missingQuotaResources, shortfallMessage, toQuotaModel } from './model.ts';

const quota: ResourceQuotaObject = {
  metadata: { name: 'team-a-quota', namespace: 'team-a' },
  spec: { hard: { 'requests.cpu': '8', 'requests.memory': '16Gi', pods: '10', 'count/mpijobs.kubeflow.org': '5' } },
  status: {
    hard: { 'requests.cpu': '8', 'requests.memory': '16Gi', pods: '10', 'count/mpijobs.kubeflow.org': '5' },
    used: { 'requests.cpu': '6', 'requests.memory': '4Gi', pods: '4', 'count/mpijobs.kubeflow.org': '2' },
  },
};

const worker = podResources({ containers: [{ name: 'w', resources: { requests: { cpu: '1', memory: '2Gi' } } }] });
const launcher = podResources({ containers: [{ name: 'l', resources: { limits: { cpu: '500m', memory: '512Mi' } } }] });

describe('toQuotaModel', () => {
  it('lists every hard limit with its usage, remainder and fraction', () => {
    const model = toQuotaModel(quota);
    expect(model.resources.find((r) => r.name === 'requests.memory')).toEqual({
      name: 'requests.memory',
      hard: '16Gi',
      used: '4Gi',
      remaining: '12Gi',
      usedFraction: 0.25,
    });
    expect(model.resources.map((r) => r.name)).toEqual(['count/mpijobs.kubeflow.org', 'pods', 'requests.cpu', 'requests.memory']);
  });
});

describe('evaluateQuotas', () => {
  it('counts N workers plus the launcher, with requests defaulted from limits', () => {
    const totals = addTotals(scaleTotals(worker, 2), launcher);
    const demand = jobDemand(totals, 3);
    const { checks, shortfall } = evaluateQuotas([quota], demand);
    expect(checks.find((c) => c.resource === 'requests.cpu')).toMatchObject({ requested: '2500m', used: '6', after: '8500m', exceeded: true });
    expect(checks.find((c) => c.resource === 'pods')).toMatchObject({ requested: '3', after: '7', exceeded: false });
    expect(checks.find((c) => c.resource === 'count/mpijobs.kubeflow.org')).toMatchObject({ requested: '1', exceeded: false });
    expect(shortfall).toEqual([
      { quota: 'team-a-quota', resource: 'requests.cpu', requested: '2500m', used: '6', hard: '8', shortfall: '500m' },
    ]);
    expect(shortfallMessage(shortfall)).toBe(
      'exceeded quota: team-a-quota, requested: requests.cpu=2500m, used: requests.cpu=6, limited: requests.cpu=8',
    );
  });

  it('finds no shortfall for a job that fits', () => {
    const { shortfall, checks } = evaluateQuotas([quota], jobDemand(worker, 1));
    expect(shortfall).toEqual([]);
    expect(checks.every((c) => !c.exceeded)).toBe(true);
  });

  it('ignores scoped quotas it cannot evaluate', () => {
    const scoped: ResourceQuotaObject = { ...quota, spec: { ...quota.spec, scopes: ['BestEffort'] } };
    expect(evaluateQuotas([scoped], jobDemand(scaleTotals(worker, 100), 101)).checks).toEqual([]);
  });
});

describe('missingQuotaResources', () => {
  it('names quota resources a pod does not declare, which admission would refuse', () => {
    const limited: ResourceQuotaObject = { metadata: { name: 'q' }, status: { hard: { 'limits.cpu': '4', 'requests.memory': '1Gi', 'requests.nvidia.com/gpu': '4' } } };
    const templates = [
      { name: 'Worker', totals: worker },
      { name: 'Launcher', totals: launcher },
    ];
    expect(missingQuotaResources([limited], templates)).toEqual([
      { quota: 'q', resource: 'limits.cpu', template: 'Worker', list: 'limits', name: 'cpu' },
    ]);
    expect(missingQuotaResources([limited], [{ name: 'Launcher', totals: launcher }])).toEqual([]);
  });
});
