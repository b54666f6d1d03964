// `mpijob login`: checks the server and token against the gateway, then saves them (and the
// default namespace) in the config file, mode 0600.

import { MpiJobClient } from '../../sdk/client.ts';
import { EXIT_OK, HELP_OPTION, NAMESPACE_OPTION, UsageError, flag, stringOption, type ParsedArgs } from '../args.ts';
import { writeConfig, type CliConfig } from '../config-file.ts';
import type { Command, CommandContext } from '../context.ts';

const NAME = 'login';

export const HELP = `Save the gateway's address and your token for the other commands.

Usage:
  mpijob login --server URL [--token TOKEN | --token -] [-n NS] [--no-verify]

The config file is $XDG_CONFIG_HOME/mpijob/config.json (else ~/.config/mpijob/config.json, or
%APPDATA%\\mpijob\\config.json on Windows; MPIJOB_CONFIG names another), readable by you only.
MPIJOB_SERVER and MPIJOB_TOKEN override what it holds.

Options:
      --server URL     the gateway's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql
      --token TOKEN    bearer token; - reads it from stdin (keeps it out of shell history)
  -n, --namespace NS   default namespace for commands without -n
      --no-verify      save without asking the gateway whether the token works
  -h, --help           this help
`;

const OPTIONS = {
  ...HELP_OPTION,
  ...NAMESPACE_OPTION,
  server: { type: 'string' },
  token: { type: 'string' },
  'no-verify': { type: 'boolean' },
} as const;

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const { values } = args;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0] ?? ''}`, NAME);
  const server = stringOption(values, 'server') ?? ctx.config.server;
  if (!server) throw new UsageError('--server is required', NAME);
  let token = stringOption(values, 'token');
  if (token === '-') token = (await ctx.io.readFile('-')).trim();
  const namespace = stringOption(values, 'namespace');
  const config: CliConfig = {
    server,
    ...(token ? { token } : ctx.config.token && server === ctx.config.server ? { token: ctx.config.token } : {}),
    ...(namespace ? { namespace } : ctx.config.namespace ? { namespace: ctx.config.namespace } : {}),
  };
  let who = '';
  if (!flag(values, 'no-verify')) {
    const client = new MpiJobClient({ server, token: config.token, userAgent: ctx.io.userAgent });
    try {
      // The gateway authenticates every request: an answer proves the token works.
      const viewer = await client.viewer(ctx.io.signal);
      who = ` as ${viewer.username}`;
      if (config.namespace && !viewer.namespaces.includes(config.namespace)) {
        ctx.warn(`warning: ${viewer.username} may not list jobs in namespace ${config.namespace} (visible: ${viewer.namespaces.join(', ') || 'none'})\n`);
      }
    } finally {
      await client.close();
    }
  }
  writeConfig(ctx.configPath, config);
  ctx.print(`Logged in to ${server}${who}${config.namespace ? ` (namespace ${config.namespace})` : ''}; saved to ${ctx.configPath}\n`);
  return EXIT_OK;
}

export const loginCommand: Command = { name: NAME, summary: 'save the gateway address, token and default namespace', help: HELP, options: OPTIONS, run };
