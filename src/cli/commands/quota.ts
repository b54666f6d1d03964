// `mpijob quota`: each ResourceQuota of a namespace with what is used and what is left.

import { EXIT_OK, HELP_OPTION, NAMESPACE_OPTION, UsageError, flag, stringOption, type ParsedArgs } from '../args.ts';
import { outputFormat, type Command, type CommandContext } from '../context.ts';
import { renderTable } from '../format.ts';

const NAME = 'quota';
const OUTPUTS = ['table', 'json', 'yaml'] as const;

/** Usage at or above this share of a quota is shown in yellow, at 100% in red. */
const NEARLY_FULL_FRACTION = 0.8;

export const HELP = `Show ResourceQuotas: hard limits, usage and what is left.

Usage:
  mpijob quota [-n NS | -A] [-o table|json|yaml]

Options:
  -n, --namespace NS      namespace (default: from mpijob login, else "default")
  -A, --all-namespaces    every namespace you may list
  -o, --output FORMAT     table (default), json or yaml
  -h, --help              this help
`;

const OPTIONS = {
  ...HELP_OPTION,
  ...NAMESPACE_OPTION,
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
} as const;

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const { values } = args;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0] ?? ''}`, NAME);
  const format = outputFormat(NAME, stringOption(values, 'output'), OUTPUTS, 'table');
  const all = flag(values, 'all-namespaces');
  const namespaceFlag = stringOption(values, 'namespace');
  if (all && namespaceFlag) throw new UsageError('-n and -A cannot be combined', NAME);
  const namespaces = await ctx.client().quotas(all ? undefined : ctx.namespace(namespaceFlag), ctx.io.signal);
  if (format !== 'table') {
    ctx.printStructured(format, {
      items: namespaces.flatMap((n) => n.quotas.map((q) => ({ namespace: n.namespace, name: q.name, resources: q.resources }))),
    });
    return EXIT_OK;
  }
  const rows = namespaces.flatMap((n) =>
    n.quotas.flatMap((q) =>
      q.resources.map((r) => {
        const percent = `${Math.round(r.usedFraction * 100)}%`;
        const colour = r.usedFraction >= 1 ? 'red' : r.usedFraction >= NEARLY_FULL_FRACTION ? 'yellow' : undefined;
        return [n.namespace, q.name, r.name, r.used, r.hard, r.remaining, ctx.out.paint(percent, colour)];
      }),
    ),
  );
  if (rows.length === 0) {
    ctx.warn(all ? 'No ResourceQuotas in any namespace you may list.\n' : `No ResourceQuotas in namespace ${ctx.namespace(namespaceFlag)}.\n`);
    return EXIT_OK;
  }
  ctx.print(renderTable(['NAMESPACE', 'QUOTA', 'RESOURCE', 'USED', 'HARD', 'REMAINING', 'USE'], rows));
  return EXIT_OK;
}

export const quotaCommand: Command = { name: NAME, summary: 'show quotas: used, hard and remaining', help: HELP, options: OPTIONS, run };
