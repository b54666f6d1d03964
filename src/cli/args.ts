// Command-line parsing on node:util's parseArgs: strict (an unknown option is a usage error,
// never ignored), with the words after `--` kept apart so `mpijob create ... -- mpirun -n 4 x`
// passes its command through untouched.

import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** Exit codes: 0 success, 1 failure (the gateway refused, a job failed), 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A command used wrongly: the message, then a pointer to the command's help. */
export class UsageError extends Error {
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** A failure the CLI itself explains (no gateway configured, an unreadable file ...). */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = EXIT_FAILURE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface ParsedArgs {
  values: OptionValues;
  positionals: string[];
  /** Words after a `--`, verbatim. */
  rest: string[];
}

/** Options every command takes. */
export const HELP_OPTION: ParseArgsOptionsConfig = { help: { type: 'boolean', short: 'h' } };
export const NAMESPACE_OPTION: ParseArgsOptionsConfig = { namespace: { type: 'string', short: 'n' } };

function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-{1,2}[^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    const name = option.replace(/ <value>$/, '').split(', ').pop() ?? option;
    if (message.includes('argument missing')) return `option ${option.replace(/ <value>$/, '')} needs a value`;
    if (message.includes('ambiguous')) return `option ${name} needs a value; to give one that starts with "-", write ${name}=VALUE`;
    return `option ${name} does not take a value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`.trim();
  return message;
}

export function parseCommandArgs(command: string, argv: readonly string[], options: ParseArgsOptionsConfig): ParsedArgs {
  const terminator = argv.indexOf('--');
  const own = terminator >= 0 ? argv.slice(0, terminator) : [...argv];
  const rest = terminator >= 0 ? argv.slice(terminator + 1) : [];
  try {
    const { values, positionals } = parseArgs({ args: own, options, strict: true, allowPositionals: true });
    return { values: values as OptionValues, positionals, rest };
  } catch (error) {
    throw new UsageError(describeParseError(error), command);
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) {
    const last = value[value.length - 1];
    return typeof last === 'string' ? last : undefined;
  }
  return typeof value === 'string' ? value : undefined;
}

export function stringsOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** A whole number option, with its bounds checked; undefined when absent. */
export function integerOption(command: string, values: OptionValues, name: string, min: number): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`--${name} must be a whole number, not "${text}"`, command);
  const value = Number(text);
  if (value < min) throw new UsageError(`--${name} must be at least ${min}`, command);
  return value;
}

/** `a,b , c` and repeated flags alike: `--rank 0,3 --rank 5`. */
export function listOption(values: OptionValues, name: string): string[] {
  return stringsOption(values, name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** `key=value` pairs from repeated flags (`--label team=nlp`). */
export function keyValues(command: string, values: OptionValues, name: string): Array<{ key: string; value: string }> {
  return stringsOption(values, name).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--${name} takes KEY=VALUE, not "${pair}"`, command);
    return { key: pair.slice(0, at), value: pair.slice(at + 1) };
  });
}

/** Exactly one positional: the job's name. */
export function jobName(command: string, positionals: readonly string[]): string {
  if (positionals.length === 0) throw new UsageError('a job name is required', command);
  if (positionals.length > 1) throw new UsageError(`one job name expected, got ${positionals.length}: ${positionals.join(' ')}`, command);
  return positionals[0] ?? '';
}
