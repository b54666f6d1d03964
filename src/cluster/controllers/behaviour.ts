// How a simulated workload behaves, set by annotations on the MPIJob (the operator copies them
// onto the pods it creates) or on any pod. Every key has a default, so a manifest from the
// operator's examples, which carries none, runs for a minute of simulated time and succeeds.

export const SIM_ANNOTATION_PREFIX = 'sim.mpijob-gateway.dev/';

/** Simulated run time of the program, Go duration syntax (`90s`, `10m`, `1h30m`). */
export const ANNOTATION_DURATION = `${SIM_ANNOTATION_PREFIX}duration`;
/** `Succeeded` or `Failed`. */
export const ANNOTATION_OUTCOME = `${SIM_ANNOTATION_PREFIX}outcome`;
/** The MPI rank that fails; setting it implies outcome Failed. */
export const ANNOTATION_FAIL_RANK = `${SIM_ANNOTATION_PREFIX}fail-rank`;
/** How the failing rank fails: `Error` (exit 1), `OOMKilled` (137) or `Evicted` (its pod is evicted). */
export const ANNOTATION_FAIL_REASON = `${SIM_ANNOTATION_PREFIX}fail-reason`;
/** Simulated time from program start to the failure. */
export const ANNOTATION_FAIL_AFTER = `${SIM_ANNOTATION_PREFIX}fail-after`;
/** Simulated time between progress lines. */
export const ANNOTATION_LOG_INTERVAL = `${SIM_ANNOTATION_PREFIX}log-interval`;
/** Simulated time a container spends in ContainerCreating (image pull, mounts). */
export const ANNOTATION_START_DELAY = `${SIM_ANNOTATION_PREFIX}start-delay`;
/** What the launcher prints: `pi`, `training` or `generic`; inferred from image and command when absent. */
export const ANNOTATION_PROGRAM = `${SIM_ANNOTATION_PREFIX}program`;

export const DEFAULT_DURATION_MS = 60_000;
const DEFAULT_FAIL_AFTER_FRACTION = 0.6;
const MIN_DEFAULT_LOG_INTERVAL_MS = 2_000;
const MAX_DEFAULT_LOG_INTERVAL_MS = 30_000;
const DEFAULT_LOG_LINES_PER_RUN = 12;

export const OUTCOMES = ['Succeeded', 'Failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const FAIL_REASONS = ['Error', 'OOMKilled', 'Evicted'] as const;
export type FailReason = (typeof FAIL_REASONS)[number];

export const PROGRAMS = ['pi', 'training', 'generic'] as const;
export type ProgramKind = (typeof PROGRAMS)[number];

export interface Behaviour {
  durationMs: number;
  outcome: Outcome;
  /** Undefined: rank 0 fails when the outcome is Failed. */
  failRank: number | undefined;
  failReason: FailReason;
  failAfterMs: number;
  logIntervalMs: number;
  /** Undefined: a random few seconds. */
  startDelayMs: number | undefined;
  /** Undefined: inferred. */
  program: ProgramKind | undefined;
  /** Annotations that could not be parsed and were ignored, for a log line. */
  problems: string[];
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Go's time.ParseDuration syntax (`1h30m`, `1.5s`, `500ms`); a bare number counts as seconds.
 * Negative durations are refused. Returns milliseconds, or undefined when the text is invalid.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1_000;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < trimmed.length) {
    part.lastIndex = index;
    const match = part.exec(trimmed);
    if (!match) return undefined;
    const [whole, amount, unit] = match;
    const factor = unit === undefined ? undefined : UNIT_MS[unit];
    if (amount === undefined || factor === undefined) return undefined;
    total += Number(amount) * factor;
    index += whole.length;
  }
  return total;
}

/** `90s`, `10m`, `1h30m`: the compact form used in log lines. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
  if (m > 0) return `${m}m${s > 0 ? `${s}s` : ''}`;
  return `${s}s`;
}

function defaultLogInterval(durationMs: number): number {
  return Math.min(MAX_DEFAULT_LOG_INTERVAL_MS, Math.max(MIN_DEFAULT_LOG_INTERVAL_MS, durationMs / DEFAULT_LOG_LINES_PER_RUN));
}

function oneOf<T extends string>(values: readonly T[], text: string): T | undefined {
  const lower = text.trim().toLowerCase();
  return values.find((v) => v.toLowerCase() === lower);
}

/** Reads the behaviour annotations; anything missing or unparsable takes its default. */
export function parseBehaviour(annotations: Record<string, string> | undefined): Behaviour {
  const problems: string[] = [];
  const read = <T>(key: string, parse: (text: string) => T | undefined): T | undefined => {
    const text = annotations?.[key];
    if (text === undefined) return undefined;
    const value = parse(text);
    if (value === undefined) problems.push(`${key}: ${JSON.stringify(text)} is not valid`);
    return value;
  };

  const durationMs = read(ANNOTATION_DURATION, parseDuration) ?? DEFAULT_DURATION_MS;
  const failRank = read(ANNOTATION_FAIL_RANK, (t) => (/^\d+$/.test(t.trim()) ? Number(t.trim()) : undefined));
  const outcome = read(ANNOTATION_OUTCOME, (t) => oneOf(OUTCOMES, t)) ?? (failRank !== undefined ? 'Failed' : 'Succeeded');
  const failReason = read(ANNOTATION_FAIL_REASON, (t) => oneOf(FAIL_REASONS, t)) ?? 'Error';
  const failAfterMs = Math.min(
    durationMs,
    read(ANNOTATION_FAIL_AFTER, parseDuration) ?? Math.round(durationMs * DEFAULT_FAIL_AFTER_FRACTION),
  );
  const logIntervalMs = Math.max(100, read(ANNOTATION_LOG_INTERVAL, parseDuration) ?? defaultLogInterval(durationMs));
  const startDelayMs = read(ANNOTATION_START_DELAY, parseDuration);
  const program = read(ANNOTATION_PROGRAM, (t) => oneOf(PROGRAMS, t));

  return {
    durationMs,
    // A failing rank means a failing job, whatever the outcome annotation says.
    outcome: failRank !== undefined ? 'Failed' : outcome,
    failRank,
    failReason,
    failAfterMs,
    logIntervalMs,
    startDelayMs,
    program,
    problems,
  };
}

/** The behaviour annotations among `annotations`, to copy onto the objects a controller creates. */
export function behaviourAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (key.startsWith(SIM_ANNOTATION_PREFIX)) out[key] = value;
  }
  return out;
}
