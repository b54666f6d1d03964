// Every setting of the gateway, from flags (first) and environment variables, validated with zod.
// Which cluster: `--kubeconfig`/KUBECONFIG if given, else the pod's service account when running
// in a pod, else an embedded cluster started in the data dir.

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/** The service account token file a pod has mounted (with KUBERNETES_SERVICE_HOST set). */
export const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type ClusterSource =
  | { kind: 'kubeconfig'; path: string }
  | { kind: 'in-cluster' }
  | { kind: 'embedded'; ephemeral: boolean; timeScale: number };

export interface GatewayConfig {
  /** HTTP port; default 4000 (`--port`, PORT). 0 picks a free port. */
  port: number;
  /** Listen address; default 127.0.0.1 (`--host`, MPIJOB_GATEWAY_HOST). */
  host: string;
  /** Where the embedded cluster keeps its kubeconfig and state; default `./.mpijob-gateway` (`--data-dir`, MPIJOB_GATEWAY_DATA_DIR). */
  dataDir: string;
  cluster: ClusterSource;
  /** Namespaces to watch and serve; default all (`--namespaces a,b`, MPIJOB_GATEWAY_NAMESPACES). */
  namespaces: 'all' | string[];
  /** pino level; default info (`--log-level`, LOG_LEVEL). */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export const USAGE = `Usage: npm start -- [options]

  --port <n>             HTTP port (env PORT, default 4000)
  --host <addr>          listen address (env MPIJOB_GATEWAY_HOST, default 127.0.0.1)
  --kubeconfig <path>    use this cluster (env KUBECONFIG); without it, and outside a pod,
                         an embedded cluster is started in the data dir
  --namespaces <a,b>     namespaces to watch (env MPIJOB_GATEWAY_NAMESPACES, default all)
  --data-dir <path>      embedded cluster data (env MPIJOB_GATEWAY_DATA_DIR, default ./.mpijob-gateway)
  --ephemeral            embedded cluster keeps no state on disk (env MPIJOB_GATEWAY_EPHEMERAL=true)
  --time-scale <x>       embedded cluster simulated time speed-up (env MPIJOB_GATEWAY_TIME_SCALE, default 1)
  --log-level <level>    fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL, default info)
  --help                 print this text
`;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(4000),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('./.mpijob-gateway'),
  kubeconfig: z.string().min(1).optional(),
  namespaces: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '' || text.trim() === '*') return 'all' as const;
      const names = [...new Set(text.split(',').map((n) => n.trim()).filter((n) => n !== ''))];
      for (const name of names) {
        if (name.length > 63 || !NAMESPACE_NAME.test(name)) {
          ctx.addIssue({ code: 'custom', message: `"${name}" is not a valid namespace name` });
        }
      }
      return names;
    }),
  ephemeral: z.union([z.boolean(), booleanText]).default(false),
  timeScale: z.coerce.number().positive().max(100_000).default(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const FLAG_TO_ENV: Record<keyof z.input<typeof schema>, string> = {
  port: 'PORT',
  host: 'MPIJOB_GATEWAY_HOST',
  dataDir: 'MPIJOB_GATEWAY_DATA_DIR',
  kubeconfig: 'KUBECONFIG',
  namespaces: 'MPIJOB_GATEWAY_NAMESPACES',
  ephemeral: 'MPIJOB_GATEWAY_EPHEMERAL',
  timeScale: 'MPIJOB_GATEWAY_TIME_SCALE',
  logLevel: 'LOG_LEVEL',
};

const FLAG_NAMES: Record<string, string> = {
  port: '--port',
  host: '--host',
  dataDir: '--data-dir',
  kubeconfig: '--kubeconfig',
  namespaces: '--namespaces',
  ephemeral: '--ephemeral',
  timeScale: '--time-scale',
  logLevel: '--log-level',
};

export interface LoadConfigOptions {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Whether a file exists; a parameter so tests need no service-account file. */
  fileExists?: (path: string) => boolean;
}

export type LoadedConfig = { help: true } | { help: false; config: GatewayConfig };

export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const fileExists = options.fileExists ?? existsSync;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...options.argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        kubeconfig: { type: 'string' },
        namespaces: { type: 'string' },
        ephemeral: { type: 'boolean' },
        'time-scale': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
  if (values['help'] === true) return { help: true };
  const env = options.env;
  const pick = (flag: string, key: keyof typeof FLAG_TO_ENV): string | boolean | undefined => {
    const fromFlag = values[flag];
    if (fromFlag !== undefined) return fromFlag;
    const fromEnv = env[FLAG_TO_ENV[key]];
    return fromEnv === '' ? undefined : fromEnv;
  };
  // KUBECONFIG may list several files (`a:b`); the first one is used.
  const kubeconfig = pick('kubeconfig', 'kubeconfig');
  const raw = {
    port: pick('port', 'port'),
    host: pick('host', 'host'),
    dataDir: pick('data-dir', 'dataDir'),
    kubeconfig: typeof kubeconfig === 'string' ? kubeconfig.split(':')[0] : undefined,
    namespaces: pick('namespaces', 'namespaces'),
    ephemeral: pick('ephemeral', 'ephemeral'),
    timeScale: pick('time-scale', 'timeScale'),
    logLevel: pick('log-level', 'logLevel'),
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '') as keyof typeof FLAG_TO_ENV;
      const where = FLAG_NAMES[key] ? `${FLAG_NAMES[key]} (env ${FLAG_TO_ENV[key]})` : key;
      return `  ${where}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  let cluster: ClusterSource;
  if (c.kubeconfig) {
    if (!fileExists(c.kubeconfig)) throw new ConfigError(`invalid configuration:\n  --kubeconfig (env KUBECONFIG): no file at ${c.kubeconfig}`);
    cluster = { kind: 'kubeconfig', path: c.kubeconfig };
  } else if (env['KUBERNETES_SERVICE_HOST'] && fileExists(SERVICE_ACCOUNT_TOKEN_PATH)) {
    cluster = { kind: 'in-cluster' };
  } else {
    cluster = { kind: 'embedded', ephemeral: c.ephemeral, timeScale: c.timeScale };
  }
  return {
    help: false,
    config: { port: c.port, host: c.host, dataDir: c.dataDir, cluster, namespaces: c.namespaces, logLevel: c.logLevel },
  };
}
