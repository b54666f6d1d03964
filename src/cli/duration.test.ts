import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it('reads Go durations and bare seconds', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('45')).toBe(45_000);
  });

  it('refuses text that is not a duration, including negative ones', () => {
    expect(parseDuration('ten minutes')).toBeUndefined();
    expect(parseDuration('-5s')).toBeUndefined();
    expect(parseDuration('5d')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});

describe('formatDurationMs', () => {
  it('keeps the two coarsest units', () => {
    expect(formatDurationMs(800)).toBe('800ms');
    expect(formatDurationMs(45_000)).toBe('45s');
    expect(formatDurationMs(200_000)).toBe('3m20s');
    expect(formatDurationMs(3_720_000)).toBe('1h2m');
    expect(formatDurationMs(90_000_000)).toBe('1d1h');
  });
});
