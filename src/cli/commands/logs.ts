// `mpijob logs NAME`: the launcher's and workers' output merged, each line prefixed by its MPI
// rank (or its pod, for lines no rank tag claims) unless a single rank was asked for. `-f`
// follows until the job finishes.

import type { LogLine, ReplicaType } from '../../sdk/client.ts';
import { EXIT_OK, HELP_OPTION, NAMESPACE_OPTION, UsageError, flag, integerOption, jobName, listOption, stringOption, type ParsedArgs } from '../args.ts';
import type { Command, CommandContext } from '../context.ts';
import { parseDuration } from '../duration.ts';
import type { Colour, Painter } from '../format.ts';

const NAME = 'logs';

const ROLES: Readonly<Record<string, ReplicaType>> = { launcher: 'LAUNCHER', worker: 'WORKER' };

/** Prefix colours, by rank, so interleaved ranks are told apart at a glance. */
const RANK_COLOURS: readonly Colour[] = ['cyan', 'green', 'yellow', 'blue'];

export const HELP = `Print a job's logs: the launcher and the workers merged, lines prefixed by MPI rank.

Usage:
  mpijob logs NAME [-n NS] [-f] [--rank 0,3] [--role launcher|worker] [--tail N] [--timestamps]

Ranks come from the tags mpirun puts on each rank's output in the launcher's log
(OpenMPI [1,<rank>]<stdout>:). Lines no tag claims (mpirun itself, worker pods) are prefixed
with their pod. With exactly one --rank the prefix is left out.

Options:
  -n, --namespace NS   namespace (default: from mpijob login, else "default")
  -f, --follow         keep printing new lines until the job finishes (Ctrl-C to stop)
      --rank R[,R]     only lines of these ranks (repeatable)
      --role ROLE      only the launcher's or only the workers' pods
      --tail N         start with the last N lines of each container
      --since DUR      start with the lines of the last DUR (5m, 1h)
      --timestamps     prefix each line with its timestamp
  -c, --container C    container (default: each pod's main container)
  -p, --previous       the previous run of each container
  -h, --help           this help
`;

const OPTIONS = {
  ...HELP_OPTION,
  ...NAMESPACE_OPTION,
  follow: { type: 'boolean', short: 'f' },
  rank: { type: 'string', multiple: true },
  role: { type: 'string' },
  tail: { type: 'string' },
  since: { type: 'string' },
  timestamps: { type: 'boolean' },
  container: { type: 'string', short: 'c' },
  previous: { type: 'boolean', short: 'p' },
} as const;

function parseRanks(words: readonly string[]): number[] {
  return words.map((word) => {
    if (!/^\d+$/.test(word)) throw new UsageError(`--rank takes rank numbers such as 0,3, not "${word}"`, NAME);
    return Number(word);
  });
}

/** `[rank 3] `, or `[launcher] ` / `[<pod>] ` for lines without a rank; empty when not wanted. */
export function linePrefix(line: LogLine, painter: Painter, wanted: boolean): string {
  if (!wanted) return '';
  if (line.rank !== null) return `${painter.paint(`[rank ${line.rank}]`, RANK_COLOURS[line.rank % RANK_COLOURS.length])} `;
  return `${painter.paint(`[${line.role === 'LAUNCHER' ? 'launcher' : line.pod}]`, 'grey')} `;
}

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const { values } = args;
  const name = jobName(NAME, args.positionals);
  const namespace = ctx.namespace(stringOption(values, 'namespace'));
  const ranks = parseRanks(listOption(values, 'rank'));
  const roleWord = stringOption(values, 'role');
  const role = roleWord === undefined ? undefined : ROLES[roleWord.toLowerCase()];
  if (roleWord !== undefined && role === undefined) throw new UsageError(`--role must be launcher or worker, not "${roleWord}"`, NAME);
  const sinceText = stringOption(values, 'since');
  const sinceMs = sinceText === undefined ? undefined : parseDuration(sinceText);
  if (sinceText !== undefined && sinceMs === undefined) throw new UsageError(`--since takes a duration such as 5m, not "${sinceText}"`, NAME);
  const tailLines = integerOption(NAME, values, 'tail', 0);
  const container = stringOption(values, 'container');
  const prefixed = ranks.length !== 1;
  const lines = ctx.client().streamLogs(namespace, name, {
    follow: flag(values, 'follow'),
    timestamps: flag(values, 'timestamps'),
    previous: flag(values, 'previous'),
    ...(ranks.length > 0 ? { ranks } : {}),
    ...(role ? { role } : {}),
    ...(tailLines === undefined ? {} : { tailLines }),
    ...(sinceMs === undefined ? {} : { sinceSeconds: Math.ceil(sinceMs / 1000) }),
    ...(container ? { container } : {}),
    signal: ctx.io.signal,
  });
  for await (const line of lines) ctx.print(`${linePrefix(line, ctx.out, prefixed)}${line.text}\n`);
  return EXIT_OK;
}

export const logsCommand: Command = { name: NAME, summary: "print a job's logs by rank (-f to follow)", help: HELP, options: OPTIONS, run };
