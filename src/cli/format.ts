// Terminal output: aligned tables, colour only where it helps (a terminal that did not opt out),
// and times as people read them.

import { formatDurationMs } from './duration.ts';

export const ANSI = {
  reset: '\u001b[0m',
  bold: '\u001b[1m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  blue: '\u001b[34m',
  cyan: '\u001b[36m',
  grey: '\u001b[90m',
} as const;

export type Colour = Exclude<keyof typeof ANSI, 'reset'>;

/** Space between table columns, as kubectl prints them. */
const COLUMN_GAP = '   ';
const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

/**
 * Colour when the stream is a terminal, unless NO_COLOR is set (https://no-color.org) or TERM
 * is `dumb`; FORCE_COLOR (anything but `0`) turns it on for pipes.
 */
export function colourEnabled(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env['NO_COLOR']) return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0';
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

export class Painter {
  readonly enabled: boolean;

  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  paint(text: string, colour: Colour | undefined): string {
    if (!this.enabled || colour === undefined || text === '') return text;
    return `${ANSI[colour]}${text}${ANSI.reset}`;
  }
}

/** Colours of job and pod phases: green done, red failed, blue running, yellow waiting. */
export function phaseColour(phase: string): Colour | undefined {
  switch (phase) {
    case 'SUCCEEDED':
      return 'green';
    case 'FAILED':
      return 'red';
    case 'RUNNING':
      return 'blue';
    case 'PENDING':
    case 'CREATED':
    case 'RESTARTING':
      return 'yellow';
    case 'SUSPENDED':
      return 'grey';
    default:
      return undefined;
  }
}

export function visibleLength(text: string): number {
  return text.replace(ANSI_PATTERN, '').length;
}

/**
 * Rows under upper-case headers, each column as wide as its widest cell (colour codes do not
 * count), columns three spaces apart, no trailing spaces.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, column) => Math.max(visibleLength(h), ...rows.map((row) => visibleLength(row[column] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell))))
      .join(COLUMN_GAP)
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** `key: value` lines with the values aligned, for `describe`. */
export function renderFields(fields: ReadonlyArray<readonly [string, string]>, indent = ''): string {
  const width = Math.max(0, ...fields.map(([key]) => key.length + 1));
  return fields.map(([key, value]) => `${indent}${`${key}:`.padEnd(width)}  ${value}\n`).join('');
}

/** Time since an RFC 3339 timestamp (`5m`, `2d3h`), `<unknown>` without one. */
export function age(timestamp: string | null | undefined, now: number): string {
  if (!timestamp) return '<unknown>';
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return '<unknown>';
  const elapsedMs = now - at;
  // Ages are whole seconds, as kubectl prints them.
  return elapsedMs < 1_000 ? '0s' : formatDurationMs(elapsedMs);
}

export function seconds(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : formatDurationMs(value * 1_000);
}

/** A shell-like rendering of a command line: words with spaces or quotes get single quotes. */
export function shellWords(words: readonly string[]): string {
  return words.map((w) => (w === '' || /[\s'"\\$`]/.test(w) ? `'${w.replace(/'/g, `'\\''`)}'` : w)).join(' ');
}
