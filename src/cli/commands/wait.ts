// `mpijob wait NAME`: blocks until the job finishes. Exit 0 when it succeeded, 1 when it failed
// (with the diagnosis), 2 when the timeout passed first, so scripts can branch on it.

import { CLIENT_ERROR_CODE, GatewayError, type Job } from '../../sdk/client.ts';
import { EXIT_FAILURE, EXIT_OK, HELP_OPTION, NAMESPACE_OPTION, UsageError, jobName, stringOption, type ParsedArgs } from '../args.ts';
import type { Command, CommandContext } from '../context.ts';
import { parseDuration, formatDurationMs } from '../duration.ts';
import { phaseColour } from '../format.ts';
import { Progress } from '../progress.ts';
import { jobRecord } from '../records.ts';

const NAME = 'wait';

/** `wait` exit code when the timeout passes before the job finishes. */
export const EXIT_WAIT_TIMEOUT = 2;

export const HELP = `Wait until a job finishes.

Usage:
  mpijob wait NAME [-n NS] [--timeout 10m]

Exit codes: 0 the job succeeded, 1 it failed (the diagnosis is printed), 2 the timeout passed.
Progress goes to stderr: a spinner on a terminal, one line per change otherwise.

Options:
  -n, --namespace NS   namespace (default: from mpijob login, else "default")
      --timeout DUR    give up after this long (90s, 10m, 1h; default: no limit)
  -h, --help           this help
`;

const OPTIONS = { ...HELP_OPTION, ...NAMESPACE_OPTION, timeout: { type: 'string' } } as const;

function progressText(job: Job): string {
  const workers = jobRecord(job).workers;
  return `${job.namespace}/${job.name}: ${job.phase} (workers active ${workers.active}/${workers.replicas}, succeeded ${workers.succeeded}, failed ${workers.failed})`;
}

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const name = jobName(NAME, args.positionals);
  const namespace = ctx.namespace(stringOption(args.values, 'namespace'));
  const timeoutText = stringOption(args.values, 'timeout');
  const timeoutMs = timeoutText === undefined ? undefined : parseDuration(timeoutText);
  if (timeoutText !== undefined && timeoutMs === undefined) throw new UsageError(`--timeout takes a duration such as 90s or 10m, not "${timeoutText}"`, NAME);
  const client = ctx.client();
  const progress = new Progress(ctx.io.stderr);
  let job: Job;
  try {
    job = await client.waitForCompletion(namespace, name, {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      signal: ctx.io.signal,
      onUpdate: (current) => progress.update(progressText(current)),
    });
  } catch (error) {
    progress.stop();
    if (error instanceof GatewayError && error.code === CLIENT_ERROR_CODE.timeout) {
      ctx.warn(`timed out after ${formatDurationMs(timeoutMs ?? 0)}: ${namespace}/${name} has not finished\n`);
      return EXIT_WAIT_TIMEOUT;
    }
    throw error;
  }
  progress.stop();
  const phase = ctx.out.paint(job.phase, phaseColour(job.phase));
  ctx.print(`mpijob ${namespace}/${name} ${phase}\n`);
  if (job.phase === 'SUCCEEDED') return EXIT_OK;
  const detail = await client.getJob(namespace, name, ctx.io.signal).catch(() => undefined);
  if (detail) ctx.warn(`${detail.diagnosis.summary}\n`);
  return EXIT_FAILURE;
}

export const waitCommand: Command = { name: NAME, summary: 'wait for a job to finish (exit 0 ok, 1 failed, 2 timeout)', help: HELP, options: OPTIONS, run };
