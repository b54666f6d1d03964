// `mpijob list`: jobs of one namespace or all, as a table, or as JSON/YAML records for scripts;
// `--watch` keeps the table current from the gateway's subscription.

import type { Job, MPIJobPhase } from '../../sdk/client.ts';
import { EXIT_OK, HELP_OPTION, NAMESPACE_OPTION, UsageError, flag, listOption, stringOption, type ParsedArgs } from '../args.ts';
import { outputFormat, type Command, type CommandContext } from '../context.ts';
import { renderTable } from '../format.ts';
import { jobRows } from '../job-table.ts';
import { jobRecord } from '../records.ts';
import { watchList } from './watch-list.ts';

const NAME = 'list';

const OUTPUTS = ['table', 'wide', 'json', 'yaml', 'name'] as const;
type ListFormat = (typeof OUTPUTS)[number];

export const PHASES: readonly MPIJobPhase[] = ['PENDING', 'CREATED', 'RUNNING', 'SUSPENDED', 'SUCCEEDED', 'FAILED', 'RESTARTING'];

export const HELP = `List jobs.

Usage:
  mpijob list [-n NS | -A] [--phase P[,P]] [-l SELECTOR] [-o table|wide|json|yaml|name] [--watch]

Options:
  -n, --namespace NS      namespace (default: from mpijob login, else "default")
  -A, --all-namespaces    every namespace you may list
      --phase P[,P]       only these phases: ${PHASES.map((p) => p.toLowerCase()).join(', ')}
  -l, --selector SEL      Kubernetes label selector (team=nlp,tier in (gpu))
  -o, --output FORMAT     table (default), wide, json, yaml or name
  -w, --watch             keep printing changes as they happen (Ctrl-C to stop)
  -h, --help              this help

-o json prints {"items": [...]}, one record per job with the fields namespace, name, phase,
queue, createdAt, startTime, completionTime, durationSeconds, image, command, slotsPerWorker,
suspended, launcher and workers ({replicas, active, succeeded, failed}) and labels.
`;

const OPTIONS = {
  ...HELP_OPTION,
  ...NAMESPACE_OPTION,
  'all-namespaces': { type: 'boolean', short: 'A' },
  phase: { type: 'string', multiple: true },
  selector: { type: 'string', short: 'l' },
  output: { type: 'string', short: 'o' },
  watch: { type: 'boolean', short: 'w' },
} as const;

export function parsePhases(command: string, words: readonly string[]): MPIJobPhase[] {
  return words.map((word) => {
    const phase = PHASES.find((p) => p === word.toUpperCase());
    if (!phase) throw new UsageError(`unknown phase "${word}": use ${PHASES.map((p) => p.toLowerCase()).join(', ')}`, command);
    return phase;
  });
}

function printJobs(ctx: CommandContext, jobs: readonly Job[], format: ListFormat, allNamespaces: boolean, scope: string): void {
  if (format === 'json' || format === 'yaml') {
    ctx.printStructured(format, { items: jobs.map(jobRecord) });
    return;
  }
  if (format === 'name') {
    for (const job of jobs) ctx.print(`${job.namespace}/${job.name}\n`);
    return;
  }
  if (jobs.length === 0) {
    ctx.warn(`No jobs found in ${scope}.\n`);
    return;
  }
  const { headers, rows } = jobRows(jobs, { allNamespaces, wide: format === 'wide', now: ctx.io.now(), painter: ctx.out });
  ctx.print(renderTable(headers, rows));
}

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const { values } = args;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0] ?? ''}: list takes options only`, NAME);
  const format = outputFormat(NAME, stringOption(values, 'output'), OUTPUTS, 'table');
  const allNamespaces = flag(values, 'all-namespaces');
  const namespaceFlag = stringOption(values, 'namespace');
  if (allNamespaces && namespaceFlag) throw new UsageError('-n and -A cannot be combined', NAME);
  const namespace = allNamespaces ? undefined : ctx.namespace(namespaceFlag);
  const phases = parsePhases(NAME, listOption(values, 'phase'));
  const labelSelector = stringOption(values, 'selector');
  const filter = {
    ...(namespace === undefined ? {} : { namespace }),
    ...(phases.length > 0 ? { phases } : {}),
    ...(labelSelector ? { labelSelector } : {}),
  };
  const scope = namespace === undefined ? 'any namespace' : `namespace ${namespace}`;
  const list = await ctx.client().listJobs({ ...filter, all: true, signal: ctx.io.signal });
  if (!flag(values, 'watch')) {
    printJobs(ctx, list.jobs, format, allNamespaces, scope);
    return EXIT_OK;
  }
  return watchList(ctx, { filter, initial: list.jobs, format, allNamespaces, scope });
}

export const listCommand: Command = { name: NAME, summary: 'list jobs (-o json for scripts, --watch to follow)', help: HELP, options: OPTIONS, run };
