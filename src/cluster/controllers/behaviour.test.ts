import { describe, expect, it } from 'vitest';
import {
  ANNOTATION_DURATION,
  ANNOTATION_FAIL_AFTER,
  ANNOTATION_FAIL_RANK,
  ANNOTATION_FAIL_REASON,
  ANNOTATION_LOG_INTERVAL,
  ANNOTATION_OUTCOME,
  ANNOTATION_PROGRAM,
  DEFAULT_DURATION_MS,
  behaviourAnnotations,
  formatDuration,
  parseBehaviour,
  parseDuration,
} from './behaviour.ts';

describe('parseDuration', () => {
  it('reads Go duration syntax in every unit', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('250ms')).toBe(250);
  });

  it('counts a bare number as seconds', () => {
    expect(parseDuration('45')).toBe(45_000);
  });

  it('refuses text that is not a duration', () => {
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('10 minutes')).toBeUndefined();
    expect(parseDuration('-5s')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('prints compact hours, minutes and seconds', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(95_000)).toBe('1m35s');
    expect(formatDuration(4_000)).toBe('4s');
  });
});

describe('parseBehaviour', () => {
  it('gives a job without annotations a one-minute successful run', () => {
    const b = parseBehaviour(undefined);
    expect(b.durationMs).toBe(DEFAULT_DURATION_MS);
    expect(b.outcome).toBe('Succeeded');
    expect(b.failRank).toBeUndefined();
    expect(b.logIntervalMs).toBe(5_000);
    expect(b.problems).toEqual([]);
  });

  it('reads every annotation', () => {
    const b = parseBehaviour({
      [ANNOTATION_DURATION]: '10m',
      [ANNOTATION_OUTCOME]: 'failed',
      [ANNOTATION_FAIL_RANK]: '3',
      [ANNOTATION_FAIL_REASON]: 'OOMKilled',
      [ANNOTATION_FAIL_AFTER]: '2m',
      [ANNOTATION_LOG_INTERVAL]: '15s',
      [ANNOTATION_PROGRAM]: 'pi',
    });
    expect(b).toMatchObject({
      durationMs: 600_000,
      outcome: 'Failed',
      failRank: 3,
      failReason: 'OOMKilled',
      failAfterMs: 120_000,
      logIntervalMs: 15_000,
      program: 'pi',
    });
  });

  it('makes a job with a failing rank fail even when the outcome says otherwise', () => {
    const b = parseBehaviour({ [ANNOTATION_FAIL_RANK]: '1', [ANNOTATION_OUTCOME]: 'Succeeded' });
    expect(b.outcome).toBe('Failed');
  });

  it('fails by default at 60% of the run and never after its end', () => {
    expect(parseBehaviour({ [ANNOTATION_DURATION]: '100s', [ANNOTATION_OUTCOME]: 'Failed' }).failAfterMs).toBe(60_000);
    expect(parseBehaviour({ [ANNOTATION_DURATION]: '100s', [ANNOTATION_FAIL_AFTER]: '5m' }).failAfterMs).toBe(100_000);
  });

  it('ignores unparsable values, keeps the defaults and reports them', () => {
    const b = parseBehaviour({ [ANNOTATION_DURATION]: 'forever', [ANNOTATION_FAIL_REASON]: 'Segfault' });
    expect(b.durationMs).toBe(DEFAULT_DURATION_MS);
    expect(b.failReason).toBe('Error');
    expect(b.problems).toHaveLength(2);
    expect(b.problems[0]).toContain(ANNOTATION_DURATION);
  });
});

describe('behaviourAnnotations', () => {
  it('keeps only the simulation keys', () => {
    expect(behaviourAnnotations({ [ANNOTATION_DURATION]: '1m', 'kubectl.kubernetes.io/last-applied-configuration': '{}' })).toEqual({
      [ANNOTATION_DURATION]: '1m',
    });
  });
});
