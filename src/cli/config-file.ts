// Where `mpijob login` keeps the server, the token and the default namespace: a JSON file under
// the user's config directory, readable by the user only (mode 0600, directory 0700), because it
// holds a bearer token. MPIJOB_SERVER and MPIJOB_TOKEN override what it says.

import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Env var naming the config file itself (tests, several profiles). */
export const ENV_CONFIG_PATH = 'MPIJOB_CONFIG';
export const ENV_SERVER = 'MPIJOB_SERVER';
export const ENV_TOKEN = 'MPIJOB_TOKEN';

export const CONFIG_DIR_NAME = 'mpijob';
export const CONFIG_FILE_NAME = 'config.json';
export const CONFIG_FILE_MODE = 0o600;
export const CONFIG_DIR_MODE = 0o700;

export const DEFAULT_NAMESPACE = 'default';

export interface CliConfig {
  /** The gateway's GraphQL endpoint. */
  server?: string;
  token?: string;
  /** Namespace used when a command gets no `-n`. */
  namespace?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * `$MPIJOB_CONFIG`, else `<config dir>/mpijob/config.json` where the config dir is
 * `$XDG_CONFIG_HOME`, `%APPDATA%` on Windows, or `~/.config`.
 */
export function configPath(env: Env, platform: NodeJS.Platform = process.platform): string {
  const explicit = env[ENV_CONFIG_PATH];
  if (explicit) return explicit;
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg) return join(xdg, CONFIG_DIR_NAME, CONFIG_FILE_NAME);
  const appData = env['APPDATA'];
  if (platform === 'win32' && appData) return join(appData, CONFIG_DIR_NAME, CONFIG_FILE_NAME);
  const home = env['HOME'] || homedir();
  return join(home, '.config', CONFIG_DIR_NAME, CONFIG_FILE_NAME);
}

export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

function optionalText(value: unknown, key: string, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ConfigFileError(`${path}: "${key}" must be a string`);
  return value === '' ? undefined : value;
}

/** The saved config; empty when there is no file yet. */
export function readConfig(path: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigFileError(`${path} is not valid JSON; fix it or run \`mpijob login\` again`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigFileError(`${path} must hold a JSON object`);
  const record = parsed as Record<string, unknown>;
  const config: CliConfig = {};
  const server = optionalText(record['server'], 'server', path);
  const token = optionalText(record['token'], 'token', path);
  const namespace = optionalText(record['namespace'], 'namespace', path);
  if (server !== undefined) config.server = server;
  if (token !== undefined) config.token = token;
  if (namespace !== undefined) config.namespace = namespace;
  return config;
}

/**
 * Writes the config readable by the user only. The file is written beside the old one and
 * renamed over it, so a crash never leaves half a file, and it never exists with wider
 * permissions, not even for a moment.
 */
export function writeConfig(path: string, config: CliConfig): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: CONFIG_DIR_MODE });
  const temp = join(dir, `.${CONFIG_FILE_NAME}.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: CONFIG_FILE_MODE });
  // The mode given to writeFileSync is filtered by the umask; set it exactly.
  chmodSync(temp, CONFIG_FILE_MODE);
  renameSync(temp, path);
}

export interface Connection {
  server: string | undefined;
  token: string | undefined;
  namespace: string;
}

/** The environment wins over the file, the file over the defaults. */
export function resolveConnection(config: CliConfig, env: Env): Connection {
  return {
    server: env[ENV_SERVER] || config.server,
    token: env[ENV_TOKEN] || config.token,
    namespace: config.namespace || DEFAULT_NAMESPACE,
  };
}
