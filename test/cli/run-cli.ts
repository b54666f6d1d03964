// Runs the real `mpijob` bin (bin/mpijob.mjs) as a child process, with its own config directory,
// and collects its output. Asynchronous on purpose: the gateway under test serves from this very
// process, so a blocking spawn would deadlock.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO_ROOT, 'bin', 'mpijob.mjs');

/** A hang guard for one CLI call, not a performance assertion. */
const CLI_TIMEOUT_MS = 120_000;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliHome {
  /** XDG_CONFIG_HOME of the runs: config.json lands in `<dir>/mpijob/`. */
  dir: string;
  configPath: string;
  env: Record<string, string>;
  run(args: readonly string[], options?: { env?: Record<string, string>; input?: string }): Promise<CliResult>;
  start(args: readonly string[], options?: { env?: Record<string, string> }): RunningCli;
  remove(): void;
}

/** The environment of a user with no config and no colour preferences. */
function cleanEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('MPIJOB_') || key === 'NO_COLOR' || key === 'FORCE_COLOR' || key === 'XDG_CONFIG_HOME') continue;
    env[key] = value;
  }
  return { ...env, XDG_CONFIG_HOME: dir, HOME: dir };
}

export function cliHome(): CliHome {
  const dir = mkdtempSync(join(tmpdir(), 'mpijob-cli-'));
  const env = cleanEnv(dir);
  const spawnCli = (args: readonly string[], options: { env?: Record<string, string> } = {}): ChildProcessWithoutNullStreams =>
    spawn(process.execPath, [BIN, ...args], { env: { ...env, ...options.env }, cwd: REPO_ROOT });
  return {
    dir,
    configPath: join(dir, 'mpijob', 'config.json'),
    env,
    start: (args, options) => watchOutput(spawnCli(args, options)),
    run(args, options = {}) {
      return new Promise((resolvePromise, reject) => {
        const child = spawnCli(args, options);
        const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (status) => {
          clearTimeout(timer);
          resolvePromise({ status, stdout, stderr });
        });
        child.stdin.end(options.input ?? '');
      });
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running `mpijob` whose stdout is kept from the start, so no line can be missed. */
export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with all stdout so far once `pattern` matches it; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

export function watchOutput(child: ChildProcessWithoutNullStreams): RunningCli {
  let seen = '';
  let exited: number | null | undefined;
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    seen += chunk.toString();
    waiters.splice(0).forEach((wake) => wake());
  });
  const closed = new Promise<number | null>((resolvePromise) =>
    child.on('close', (status) => {
      exited = status;
      waiters.splice(0).forEach((wake) => wake());
      resolvePromise(status);
    }),
  );
  return {
    child,
    async waitFor(pattern) {
      for (;;) {
        if (pattern.test(seen)) return seen;
        if (exited !== undefined) throw new Error(`mpijob exited (${exited}) before printing ${pattern}: ${seen}`);
        await new Promise<void>((wake) => waiters.push(wake));
      }
    },
    stop(signal) {
      child.kill(signal);
      return closed;
    },
  };
}
