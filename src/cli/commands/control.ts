// `mpijob delete|suspend|resume NAME`: one mutation each, answered with one line.

import { EXIT_OK, HELP_OPTION, NAMESPACE_OPTION, jobName, stringOption, type ParsedArgs } from '../args.ts';
import type { Command, CommandContext } from '../context.ts';

const OPTIONS = { ...HELP_OPTION, ...NAMESPACE_OPTION } as const;

function help(verb: string, description: string): string {
  return `${description}

Usage:
  mpijob ${verb} NAME [-n NS]

Options:
  -n, --namespace NS   namespace (default: from mpijob login, else "default")
  -h, --help           this help
`;
}

function control(name: 'delete' | 'suspend' | 'resume', summary: string, description: string, past: string): Command {
  return {
    name,
    summary,
    help: help(name, description),
    options: OPTIONS,
    async run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
      const job = jobName(name, args.positionals);
      const namespace = ctx.namespace(stringOption(args.values, 'namespace'));
      const client = ctx.client();
      if (name === 'delete') await client.deleteJob(namespace, job, ctx.io.signal);
      else if (name === 'suspend') await client.suspendJob(namespace, job, ctx.io.signal);
      else await client.resumeJob(namespace, job, ctx.io.signal);
      ctx.print(`mpijob ${namespace}/${job} ${past}\n`);
      return EXIT_OK;
    },
  };
}

export const deleteCommand = control('delete', 'delete a job and its pods', 'Delete a job; its launcher and worker pods go with it.', 'deleted');
export const suspendCommand = control('suspend', 'suspend a job (its pods are removed)', 'Suspend a job: its pods are deleted and it waits to be resumed.', 'suspended');
export const resumeCommand = control('resume', 'resume a suspended job', 'Resume a suspended job.', 'resumed');
