import { describe, expect, it } from 'vitest';
import { ageSince, humanDuration } from './duration.ts';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const YEAR_MS = 365 * DAY_MS;

describe('humanDuration', () => {
  it.each([
    // < -1 s is invalid; -1 s ... 0 counts as now (truncation toward zero, as in Go)
    [-2 * SECOND_MS, '<invalid>'],
    [-1999, '0s'],
    [-1 * SECOND_MS, '0s'],
    [-1, '0s'],
    [0, '0s'],
    [999, '0s'],
    // seconds below 2 minutes
    [SECOND_MS, '1s'],
    [95 * SECOND_MS, '95s'],
    [2 * MINUTE_MS - 1, '119s'],
    // minutes and seconds below 10 minutes
    [2 * MINUTE_MS, '2m'],
    [2 * MINUTE_MS + SECOND_MS, '2m1s'],
    [4 * MINUTE_MS + 5 * SECOND_MS, '4m5s'],
    [10 * MINUTE_MS - 1, '9m59s'],
    // whole minutes below 3 hours
    [10 * MINUTE_MS, '10m'],
    [10 * MINUTE_MS + 59 * SECOND_MS, '10m'],
    [60 * MINUTE_MS, '60m'],
    [3 * HOUR_MS - 1, '179m'],
    // hours and minutes below 8 hours
    [3 * HOUR_MS, '3h'],
    [3 * HOUR_MS + 12 * MINUTE_MS, '3h12m'],
    [8 * HOUR_MS - 1, '7h59m'],
    // whole hours below 48 hours
    [8 * HOUR_MS, '8h'],
    [8 * HOUR_MS + 59 * MINUTE_MS, '8h'],
    [48 * HOUR_MS - 1, '47h'],
    // days and hours below 8 days
    [48 * HOUR_MS, '2d'],
    [2 * DAY_MS + 5 * HOUR_MS, '2d5h'],
    [8 * DAY_MS - 1, '7d23h'],
    // whole days below 2 years
    [8 * DAY_MS, '8d'],
    [8 * DAY_MS + 23 * HOUR_MS, '8d'],
    [2 * YEAR_MS - 1, '729d'],
    // years and days below 8 years
    [2 * YEAR_MS, '2y'],
    [2 * YEAR_MS + 10 * DAY_MS, '2y10d'],
    [8 * YEAR_MS - 1, '7y364d'],
    // whole years after that
    [8 * YEAR_MS, '8y'],
    [8 * YEAR_MS + 100 * DAY_MS, '8y'],
    [30 * YEAR_MS, '30y'],
  ])('renders %d ms as %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });
});

describe('ageSince', () => {
  const nowMs = Date.parse('2026-11-28T12:00:00Z');

  it('renders the time elapsed since an RFC 3339 timestamp', () => {
    expect(ageSince('2026-11-28T11:55:00Z', nowMs)).toBe('5m');
  });

  it('renders a missing or unparseable timestamp as <unknown>, like a zero time', () => {
    expect(ageSince(undefined, nowMs)).toBe('<unknown>');
    expect(ageSince('', nowMs)).toBe('<unknown>');
    expect(ageSince('yesterday', nowMs)).toBe('<unknown>');
  });
});
