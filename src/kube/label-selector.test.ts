import { describe, expect, it } from 'vitest';
import { LabelSelectorError, matchesLabels, parseLabelSelector } from './label-selector.ts';

const labels = { app: 'pi', tier: 'gpu', 'kueue.x-k8s.io/queue-name': 'team-a' };

describe('label selectors', () => {
  it('matches equality, inequality and existence terms', () => {
    expect(matchesLabels(parseLabelSelector('app=pi'), labels)).toBe(true);
    expect(matchesLabels(parseLabelSelector('app==pi,tier=gpu'), labels)).toBe(true);
    expect(matchesLabels(parseLabelSelector('app!=pi'), labels)).toBe(false);
    expect(matchesLabels(parseLabelSelector('kueue.x-k8s.io/queue-name'), labels)).toBe(true);
    expect(matchesLabels(parseLabelSelector('!canary'), labels)).toBe(true);
    expect(matchesLabels(parseLabelSelector('!app'), labels)).toBe(false);
  });

  it('matches set-based terms, and notin matches objects without the label', () => {
    expect(matchesLabels(parseLabelSelector('tier in (cpu, gpu),app'), labels)).toBe(true);
    expect(matchesLabels(parseLabelSelector('tier notin (gpu)'), labels)).toBe(false);
    expect(matchesLabels(parseLabelSelector('zone notin (a)'), labels)).toBe(true);
    expect(matchesLabels(parseLabelSelector('zone in (a)'), labels)).toBe(false);
  });

  it('treats an empty selector as matching everything', () => {
    expect(parseLabelSelector('  ')).toEqual([]);
    expect(matchesLabels([], undefined)).toBe(true);
  });

  it('rejects malformed selectors with a message naming the problem', () => {
    expect(() => parseLabelSelector('tier in (a')).toThrow(LabelSelectorError);
    expect(() => parseLabelSelector('app=pi,')).toThrow(/empty requirement/);
    expect(() => parseLabelSelector('bad key=1')).toThrow(LabelSelectorError);
    expect(() => parseLabelSelector('app=no spaces')).toThrow(LabelSelectorError);
  });
});
