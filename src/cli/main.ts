// The `mpijob` command: picks the command, parses its options, runs it, and turns every failure
// into a message on stderr and an exit code. No stack traces: a user error is explained, and an
// unexpected one says so in one line (MPIJOB_DEBUG=1 shows the stack).

import { readFileSync } from 'node:fs';
import { GatewayError, QuotaExceededError, ValidationError } from '../sdk/client.ts';
import { withField } from '../sdk/errors.ts';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, flag, parseCommandArgs } from './args.ts';
import { ConfigFileError } from './config-file.ts';
import { CommandContext, type CliIo, type Command } from './context.ts';
import { createCommand, previewTable } from './commands/create.ts';
import { deleteCommand, resumeCommand, suspendCommand } from './commands/control.ts';
import { describeCommand } from './commands/describe.ts';
import { listCommand } from './commands/list.ts';
import { loginCommand } from './commands/login.ts';
import { logsCommand } from './commands/logs.ts';
import { quotaCommand } from './commands/quota.ts';
import { waitCommand } from './commands/wait.ts';
import { Painter, renderTable } from './format.ts';

export const COMMANDS: readonly Command[] = [
  loginCommand,
  createCommand,
  listCommand,
  describeCommand,
  logsCommand,
  waitCommand,
  suspendCommand,
  resumeCommand,
  deleteCommand,
  quotaCommand,
];

/** Prints the stack of unexpected errors when set to 1. */
export const ENV_DEBUG = 'MPIJOB_DEBUG';

export function cliVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = typeof pkg === 'object' && pkg !== null ? (pkg as Record<string, unknown>)['version'] : undefined;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `mpijob: submit, watch and control Kubeflow MPIJobs through the MPIJob gateway.

Usage:
  mpijob COMMAND [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`).join('\n')}
  ${'version'.padEnd(width)}   print the version

Start with: mpijob login --server http://127.0.0.1:4000/graphql --token TOKEN -n NAMESPACE
Every command takes --help. Exit codes: 0 ok, 1 failed, 2 wrong usage (wait: 2 timeout).
`;
}

function codeTag(code: string, painter: Painter): string {
  return painter.paint(`[${code}]`, 'grey');
}

/** What the user reads for a failure, ending in a newline. */
export function describeFailure(error: unknown, painter: Painter, debug: boolean): string {
  const prefix = painter.paint('error:', 'red');
  if (error instanceof UsageError) {
    const help = error.command ? `mpijob ${error.command} --help` : 'mpijob --help';
    return `${prefix} ${error.message}\nRun '${help}' for usage.\n`;
  }
  if (error instanceof ValidationError) {
    const lines = error.fields.map((f) => `  ${withField(f.field ?? (f.path.join('.') || null), f.message)}\n`).join('');
    const headline = error.fields.length > 0 ? 'the gateway refused the job as invalid' : error.message;
    return `${prefix} ${headline} ${codeTag(error.code, painter)}\n${lines}`;
  }
  if (error instanceof QuotaExceededError) {
    let text = `${prefix} ${error.message} ${codeTag(error.code, painter)}\n`;
    if (error.shortfall.length > 0) {
      text += renderTable(
        ['QUOTA', 'RESOURCE', 'REQUESTED', 'USED', 'HARD', 'SHORT BY'],
        error.shortfall.map((s) => [s.quota, s.resource, s.requested, s.used, s.hard, s.shortfall]),
      )
        .split('\n')
        .map((line) => (line === '' ? '' : `  ${line}`))
        .join('\n');
    } else if (error.preview) {
      text += previewTable(error.preview);
    }
    return text;
  }
  if (error instanceof GatewayError) return `${prefix} ${error.message} ${codeTag(error.code, painter)}\n`;
  if (error instanceof CliError || error instanceof ConfigFileError) return `${prefix} ${error.message}\n`;
  const message = error instanceof Error ? error.message : String(error);
  const stack = debug && error instanceof Error && error.stack ? `${error.stack}\n` : '';
  return `${prefix} unexpected failure: ${message}${debug ? '' : ` (set ${ENV_DEBUG}=1 for details)`}\n${stack}`;
}

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof CliError) return error.exitCode;
  return EXIT_FAILURE;
}

/** Runs one command line; resolves to the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let ctx: CommandContext | undefined;
  const fallbackPainter = new Painter(false);
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      const topic = first === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      io.stdout.write(topic ? topic.help : mainHelp());
      return first === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (first === 'version' || first === '--version') {
      io.stdout.write(`mpijob ${cliVersion()}\n`);
      return EXIT_OK;
    }
    const command = COMMANDS.find((c) => c.name === first);
    if (!command) throw new UsageError(`unknown command "${first}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const args = parseCommandArgs(command.name, rest, command.options);
    if (flag(args.values, 'help')) {
      io.stdout.write(command.help);
      return EXIT_OK;
    }
    ctx = new CommandContext(io);
    return await command.run(ctx, args);
  } catch (error) {
    io.stderr.write(describeFailure(error, ctx?.err ?? fallbackPainter, io.env[ENV_DEBUG] === '1'));
    return exitCodeOf(error);
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}
