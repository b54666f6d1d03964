// Age and duration strings as the API server renders them into Table cells (apimachinery's
// HumanDuration). kubectl prints these cells verbatim, so the breakpoints and the truncation
// toward zero must match the real server's, or ages jump differently from a real cluster's.

const MS_PER_SECOND = 1000;
const SECONDS_PER_MINUTE = 60;
const MINUTES_PER_HOUR = 60;
const HOURS_PER_DAY = 24;
const DAYS_PER_YEAR = 365;

/** The cell for a timestamp that is not set (Go's zero time). */
export const UNKNOWN_AGE = '<unknown>';

/** Renders an elapsed duration the way `kubectl get` shows ages (`95s`, `4m5s`, `3h12m`, `2d5h`). */
export function humanDuration(ms: number): string {
  // Integer division that truncates toward zero, as Go's does on durations.
  const seconds = Math.trunc(ms / MS_PER_SECOND);
  // Up to a second in the future counts as "now": clocks of writers and readers drift.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 2 * SECONDS_PER_MINUTE) return `${seconds}s`;

  const minutes = Math.trunc(seconds / SECONDS_PER_MINUTE);
  if (minutes < 10) {
    const s = seconds % SECONDS_PER_MINUTE;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 3 * MINUTES_PER_HOUR) return `${minutes}m`;

  const hours = Math.trunc(minutes / MINUTES_PER_HOUR);
  if (hours < 8) {
    const m = minutes % MINUTES_PER_HOUR;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 2 * HOURS_PER_DAY) return `${hours}h`;

  const days = Math.trunc(hours / HOURS_PER_DAY);
  if (hours < 8 * HOURS_PER_DAY) {
    const h = hours % HOURS_PER_DAY;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (days < 2 * DAYS_PER_YEAR) return `${days}d`;

  const years = Math.trunc(days / DAYS_PER_YEAR);
  if (years < 8) {
    const d = days % DAYS_PER_YEAR;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/**
 * The age of an RFC 3339 timestamp at `nowMs`, or `<unknown>` when it is missing or unparseable
 * (the server's rendering of a zero time).
 */
export function ageSince(timestamp: unknown, nowMs: number): string {
  if (typeof timestamp !== 'string' || timestamp === '') return UNKNOWN_AGE;
  const thenMs = Date.parse(timestamp);
  if (Number.isNaN(thenMs)) return UNKNOWN_AGE;
  return humanDuration(nowMs - thenMs);
}
