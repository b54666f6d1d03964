// Every setting of the gateway, from flags (first) and environment variables, validated with zod.
// Which cluster: `--kubeconfig`/KUBECONFIG if given, else the pod's service account when running
// in a pod, else an embedded cluster started in the data dir.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AUDIT_FILE } from './audit/sink.ts';
import { AUTH_STRATEGIES } from './auth/authenticator.ts';

/** The service account token file a pod has mounted (with KUBERNETES_SERVICE_HOST set). */
export const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type ClusterSource =
  | { kind: 'kubeconfig'; path: string }
  | { kind: 'in-cluster' }
  | { kind: 'embedded'; ephemeral: boolean; timeScale: number };

/**
 * Who may call the gateway. `token-file` without a file means the embedded cluster's demo token
 * file (`<data-dir>/tokens.csv`); main.ts fills it in once the cluster has written it.
 */
export type AuthConfig =
  | { strategy: 'token-file'; tokenFile: string | undefined }
  | { strategy: 'kubernetes'; audiences: string[] }
  | {
      strategy: 'oidc';
      issuer: string;
      audiences: string[];
      usernameClaim: string;
      groupsClaim: string;
      usernamePrefix: string;
      groupsPrefix: string;
      jwksUrl: string | undefined;
    };

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
  /** Default: `token-file` with the embedded cluster's demo tokens, `kubernetes` (TokenReview) with any other cluster (`--auth`, MPIJOB_GATEWAY_AUTH). */
  auth: AuthConfig;
  /** Production mode: introspection off, no schema hints in errors; default on in a pod, off elsewhere (`--production`, MPIJOB_GATEWAY_PRODUCTION, or NODE_ENV=production). */
  production: boolean;
  /** The append-only audit file; default `<data-dir>/audit.log` (`--audit-log`, MPIJOB_GATEWAY_AUDIT_LOG). */
  auditLog: string;
  /** Browser origins (besides the gateway's own) allowed to open WebSockets; default none (`--allowed-origins`, MPIJOB_GATEWAY_ALLOWED_ORIGINS). */
  allowedOrigins: string[];
  /** Open WebSocket connections per user; default 20 (`--max-connections-per-user`, MPIJOB_GATEWAY_MAX_CONNECTIONS_PER_USER). */
  maxConnectionsPerUser: number;
  /** Active subscriptions per user; default 100 (`--max-subscriptions-per-user`, MPIJOB_GATEWAY_MAX_SUBSCRIPTIONS_PER_USER). */
  maxSubscriptionsPerUser: number;
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

 Identity and hardening
  --auth <strategy>      token-file | kubernetes | oidc (env MPIJOB_GATEWAY_AUTH; default token-file
                         with the embedded cluster's <data-dir>/tokens.csv, kubernetes otherwise)
  --token-file <path>    static tokens, Kubernetes token file format (env MPIJOB_GATEWAY_TOKEN_FILE)
  --token-audiences <a,b>  audiences for TokenReview (env MPIJOB_GATEWAY_TOKEN_AUDIENCES, default none)
  --oidc-issuer-url <url>  OIDC issuer; https, or http on loopback (env MPIJOB_GATEWAY_OIDC_ISSUER_URL)
  --oidc-client-id <a,b>   accepted token audiences (env MPIJOB_GATEWAY_OIDC_CLIENT_ID)
  --oidc-username-claim <c>  (env MPIJOB_GATEWAY_OIDC_USERNAME_CLAIM, default sub)
  --oidc-groups-claim <c>    (env MPIJOB_GATEWAY_OIDC_GROUPS_CLAIM, default groups)
  --oidc-username-prefix <p> (env MPIJOB_GATEWAY_OIDC_USERNAME_PREFIX, default none)
  --oidc-groups-prefix <p>   (env MPIJOB_GATEWAY_OIDC_GROUPS_PREFIX, default none)
  --oidc-jwks-url <url>    signing keys (env MPIJOB_GATEWAY_OIDC_JWKS_URL, default from discovery)
  --production           introspection off, no schema hints (env MPIJOB_GATEWAY_PRODUCTION or
                         NODE_ENV=production; default on in a pod, off elsewhere)
  --audit-log <path>     append-only audit file (env MPIJOB_GATEWAY_AUDIT_LOG, default <data-dir>/audit.log)
  --allowed-origins <a,b>  browser origins allowed to open WebSockets (env MPIJOB_GATEWAY_ALLOWED_ORIGINS)
  --max-connections-per-user <n>    (env MPIJOB_GATEWAY_MAX_CONNECTIONS_PER_USER, default 20)
  --max-subscriptions-per-user <n>  (env MPIJOB_GATEWAY_MAX_SUBSCRIPTIONS_PER_USER, default 100)
  --help                 print this text
`;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A comma-separated list, trimmed, without empty or repeated entries. */
function list(text: string | undefined): string[] {
  if (text === undefined) return [];
  return [...new Set(text.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An issuer is trusted for the keys it serves: plain HTTP only where nobody can be in the middle. */
function issuerUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'not https';
}

function originProblem(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.origin === text ? undefined : 'not an origin';
  } catch {
    return 'not a URL';
  }
}

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
  auth: z.enum(AUTH_STRATEGIES).optional(),
  tokenFile: z.string().min(1).optional(),
  tokenAudiences: z.string().optional().transform(list),
  oidcIssuerUrl: z
    .string()
    .optional()
    .refine((url) => url === undefined || issuerUrlProblem(url) === undefined, { message: 'must be an https URL (http only on loopback)' }),
  oidcClientId: z.string().optional().transform(list),
  oidcUsernameClaim: z.string().min(1).default('sub'),
  oidcGroupsClaim: z.string().min(1).default('groups'),
  oidcUsernamePrefix: z.string().default(''),
  oidcGroupsPrefix: z.string().default(''),
  oidcJwksUrl: z.url().optional(),
  production: z.union([z.boolean(), booleanText]).optional(),
  auditLog: z.string().min(1).optional(),
  allowedOrigins: z
    .string()
    .optional()
    .transform(list)
    .refine((origins) => origins.every((o) => originProblem(o) === undefined), { message: 'each origin must be scheme://host[:port], such as https://dashboard.example.com' }),
  maxConnectionsPerUser: z.coerce.number().int().min(1).max(100_000).default(20),
  maxSubscriptionsPerUser: z.coerce.number().int().min(1).max(1_000_000).default(100),
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
  auth: 'MPIJOB_GATEWAY_AUTH',
  tokenFile: 'MPIJOB_GATEWAY_TOKEN_FILE',
  tokenAudiences: 'MPIJOB_GATEWAY_TOKEN_AUDIENCES',
  oidcIssuerUrl: 'MPIJOB_GATEWAY_OIDC_ISSUER_URL',
  oidcClientId: 'MPIJOB_GATEWAY_OIDC_CLIENT_ID',
  oidcUsernameClaim: 'MPIJOB_GATEWAY_OIDC_USERNAME_CLAIM',
  oidcGroupsClaim: 'MPIJOB_GATEWAY_OIDC_GROUPS_CLAIM',
  oidcUsernamePrefix: 'MPIJOB_GATEWAY_OIDC_USERNAME_PREFIX',
  oidcGroupsPrefix: 'MPIJOB_GATEWAY_OIDC_GROUPS_PREFIX',
  oidcJwksUrl: 'MPIJOB_GATEWAY_OIDC_JWKS_URL',
  production: 'MPIJOB_GATEWAY_PRODUCTION',
  auditLog: 'MPIJOB_GATEWAY_AUDIT_LOG',
  allowedOrigins: 'MPIJOB_GATEWAY_ALLOWED_ORIGINS',
  maxConnectionsPerUser: 'MPIJOB_GATEWAY_MAX_CONNECTIONS_PER_USER',
  maxSubscriptionsPerUser: 'MPIJOB_GATEWAY_MAX_SUBSCRIPTIONS_PER_USER',
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
  auth: '--auth',
  tokenFile: '--token-file',
  tokenAudiences: '--token-audiences',
  oidcIssuerUrl: '--oidc-issuer-url',
  oidcClientId: '--oidc-client-id',
  oidcUsernameClaim: '--oidc-username-claim',
  oidcGroupsClaim: '--oidc-groups-claim',
  oidcUsernamePrefix: '--oidc-username-prefix',
  oidcGroupsPrefix: '--oidc-groups-prefix',
  oidcJwksUrl: '--oidc-jwks-url',
  production: '--production',
  auditLog: '--audit-log',
  allowedOrigins: '--allowed-origins',
  maxConnectionsPerUser: '--max-connections-per-user',
  maxSubscriptionsPerUser: '--max-subscriptions-per-user',
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
        auth: { type: 'string' },
        'token-file': { type: 'string' },
        'token-audiences': { type: 'string' },
        'oidc-issuer-url': { type: 'string' },
        'oidc-client-id': { type: 'string' },
        'oidc-username-claim': { type: 'string' },
        'oidc-groups-claim': { type: 'string' },
        'oidc-username-prefix': { type: 'string' },
        'oidc-groups-prefix': { type: 'string' },
        'oidc-jwks-url': { type: 'string' },
        production: { type: 'boolean' },
        'audit-log': { type: 'string' },
        'allowed-origins': { type: 'string' },
        'max-connections-per-user': { type: 'string' },
        'max-subscriptions-per-user': { type: 'string' },
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
    auth: pick('auth', 'auth'),
    tokenFile: pick('token-file', 'tokenFile'),
    tokenAudiences: pick('token-audiences', 'tokenAudiences'),
    oidcIssuerUrl: pick('oidc-issuer-url', 'oidcIssuerUrl'),
    oidcClientId: pick('oidc-client-id', 'oidcClientId'),
    oidcUsernameClaim: pick('oidc-username-claim', 'oidcUsernameClaim'),
    oidcGroupsClaim: pick('oidc-groups-claim', 'oidcGroupsClaim'),
    oidcUsernamePrefix: pick('oidc-username-prefix', 'oidcUsernamePrefix'),
    oidcGroupsPrefix: pick('oidc-groups-prefix', 'oidcGroupsPrefix'),
    oidcJwksUrl: pick('oidc-jwks-url', 'oidcJwksUrl'),
    production: pick('production', 'production') ?? (env['NODE_ENV'] === 'production' ? true : undefined),
    auditLog: pick('audit-log', 'auditLog'),
    allowedOrigins: pick('allowed-origins', 'allowedOrigins'),
    maxConnectionsPerUser: pick('max-connections-per-user', 'maxConnectionsPerUser'),
    maxSubscriptionsPerUser: pick('max-subscriptions-per-user', 'maxSubscriptionsPerUser'),
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
    config: {
      port: c.port,
      host: c.host,
      dataDir: c.dataDir,
      cluster,
      namespaces: c.namespaces,
      logLevel: c.logLevel,
      auth: authConfig(c, cluster, fileExists),
      // A gateway running in a pod is a deployment; elsewhere it is someone's workstation.
      production: c.production ?? cluster.kind === 'in-cluster',
      auditLog: c.auditLog ?? join(c.dataDir, AUDIT_FILE),
      allowedOrigins: c.allowedOrigins,
      maxConnectionsPerUser: c.maxConnectionsPerUser,
      maxSubscriptionsPerUser: c.maxSubscriptionsPerUser,
    },
  };
}

function invalid(flag: keyof typeof FLAG_TO_ENV, message: string): ConfigError {
  return new ConfigError(`invalid configuration:\n  ${FLAG_NAMES[flag]} (env ${FLAG_TO_ENV[flag]}): ${message}`);
}

function authConfig(c: z.output<typeof schema>, cluster: ClusterSource, fileExists: (path: string) => boolean): AuthConfig {
  const strategy = c.auth ?? (cluster.kind === 'embedded' || c.tokenFile ? 'token-file' : 'kubernetes');
  switch (strategy) {
    case 'token-file':
      if (!c.tokenFile && cluster.kind !== 'embedded') throw invalid('tokenFile', 'the token-file strategy needs a file outside the embedded cluster');
      if (c.tokenFile && !fileExists(c.tokenFile)) throw invalid('tokenFile', `no file at ${c.tokenFile}`);
      return { strategy, tokenFile: c.tokenFile };
    case 'kubernetes':
      return { strategy, audiences: c.tokenAudiences };
    case 'oidc':
      if (!c.oidcIssuerUrl) throw invalid('oidcIssuerUrl', 'the oidc strategy needs an issuer');
      if (c.oidcClientId.length === 0) throw invalid('oidcClientId', 'the oidc strategy needs at least one client id (audience)');
      return {
        strategy,
        issuer: c.oidcIssuerUrl,
        audiences: c.oidcClientId,
        usernameClaim: c.oidcUsernameClaim,
        groupsClaim: c.oidcGroupsClaim,
        usernamePrefix: c.oidcUsernamePrefix,
        groupsPrefix: c.oidcGroupsPrefix,
        jwksUrl: c.oidcJwksUrl,
      };
  }
}
