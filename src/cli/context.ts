// What a command runs with: its streams and environment (injected, so tests run commands in
// process), the saved config, the connection it resolves to, and a client made on first use.

import { readFileSync } from 'node:fs';
import type { ParseArgsOptionsConfig } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { MpiJobClient } from '../sdk/client.ts';
import { CliError, UsageError, type ParsedArgs } from './args.ts';
import { configPath, readConfig, resolveConnection, type CliConfig, type Connection, type Env } from './config-file.ts';
import { Painter, colourEnabled } from './format.ts';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Env;
  /** Reads a file named on the command line; `-` is standard input. */
  readFile(path: string): Promise<string>;
  now(): number;
  /** Aborted when the user interrupts (Ctrl-C): streams and waits end cleanly. */
  signal: AbortSignal;
  /** Sent as the client's User-Agent. */
  userAgent: string;
}

export class CommandContext {
  readonly io: CliIo;
  readonly configPath: string;
  readonly config: CliConfig;
  readonly connection: Connection;
  /** For stdout. */
  readonly out: Painter;
  /** For stderr. */
  readonly err: Painter;
  private made: MpiJobClient | undefined;

  constructor(io: CliIo) {
    this.io = io;
    this.configPath = configPath(io.env);
    this.config = readConfig(this.configPath);
    this.connection = resolveConnection(this.config, io.env);
    this.out = new Painter(colourEnabled(io.stdout, io.env));
    this.err = new Painter(colourEnabled(io.stderr, io.env));
  }

  /** The namespace of a command: `-n`, else the config file's, else `default`. */
  namespace(fromFlag: string | undefined): string {
    return fromFlag || this.connection.namespace;
  }

  client(): MpiJobClient {
    if (this.made) return this.made;
    const server = this.connection.server;
    if (!server) {
      throw new CliError('no gateway configured: run `mpijob login --server URL --token TOKEN`, or set MPIJOB_SERVER (and MPIJOB_TOKEN)');
    }
    this.made = new MpiJobClient({ server, token: this.connection.token, userAgent: this.io.userAgent });
    return this.made;
  }

  async close(): Promise<void> {
    await this.made?.close();
  }

  print(text: string): void {
    this.io.stdout.write(text);
  }

  warn(text: string): void {
    this.io.stderr.write(text);
  }

  /** `-o json` or `-o yaml` of a record; two-space JSON ending in a newline. */
  printStructured(format: StructuredFormat, value: unknown): void {
    this.print(format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : toYaml(value));
  }
}

export type StructuredFormat = 'json' | 'yaml';

/** The `-o` value of a command, checked against the formats it offers. */
export function outputFormat<T extends string>(command: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`-o must be one of ${allowed.join(', ')}, not "${value}"`, command);
}

/** The io of a real process. */
export function processIo(signal: AbortSignal, userAgent: string): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    async readFile(path) {
      if (path === '-') {
        const chunks: Buffer[] = [];
        for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
        return Buffer.concat(chunks).toString('utf8');
      }
      return readFileSync(path, 'utf8');
    },
    now: Date.now,
    signal,
    userAgent,
  };
}

export interface Command {
  name: string;
  /** One line for `mpijob --help`. */
  summary: string;
  /** The whole `mpijob <name> --help` text. */
  help: string;
  options: ParseArgsOptionsConfig;
  run(ctx: CommandContext, args: ParsedArgs): Promise<number>;
}
