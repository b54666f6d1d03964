// Thin wrappers over the `go` command for the control-plane build: run it, and read go.mod
// files through `go mod edit -json` so that no go.mod is parsed by hand here.

import { spawn, spawnSync } from 'node:child_process';

export interface GoModRequire {
  Path: string;
  Version: string;
}

export interface GoModReplace {
  Old: { Path: string; Version?: string };
  New: { Path: string; Version?: string };
}

export interface GoModJson {
  Module: { Path: string };
  Go?: string;
  Require: GoModRequire[] | null;
  Replace: GoModReplace[] | null;
}

export interface GoModuleDownload {
  Path: string;
  Version: string;
  /** The module's own go.mod, in the module cache. */
  GoMod: string;
  /** The `.info` file: `{"Version", "Time"}`, Time being the tagged commit's time. */
  Info: string;
  Error?: string;
}

export interface GoRunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Run under `nice -n <value>`; default no nice (0). */
  niceness?: number;
}

/** Runs `go` synchronously and returns its stdout; throws with stderr when it fails. */
export function goOutput(args: string[], options: GoRunOptions): string {
  const result = spawnSync('go', args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`go ${args.join(' ')} failed (exit ${result.status ?? result.signal}) in ${options.cwd}:\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Runs `go` with its output passed through (builds take minutes; the person waiting should see
 * progress), resolving when it succeeds.
 */
export function goRun(args: string[], options: GoRunOptions): Promise<void> {
  const niceness = options.niceness ?? 0;
  const [command, commandArgs] = niceness === 0 ? ['go', args] : ['nice', ['-n', String(niceness), 'go', ...args]];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, commandArgs, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`go ${args.join(' ')} failed (exit ${code ?? signal}) in ${options.cwd}`));
    });
  });
}

export function readGoMod(goModPath: string, cwd: string): GoModJson {
  return JSON.parse(goOutput(['mod', 'edit', '-json', goModPath], { cwd })) as GoModJson;
}

export function requiredVersion(goMod: GoModJson, modulePath: string): string {
  const found = goMod.Require?.find((entry) => entry.Path === modulePath);
  if (!found) throw new Error(`${goMod.Module.Path} does not require ${modulePath}`);
  return found.Version;
}

export function downloadModule(modulePath: string, version: string, cwd: string): GoModuleDownload {
  const info = JSON.parse(goOutput(['mod', 'download', '-json', `${modulePath}@${version}`], { cwd })) as GoModuleDownload;
  if (info.Error) throw new Error(`go mod download ${modulePath}@${version}: ${info.Error}`);
  return info;
}

export function goVersion(): string {
  return goOutput(['env', 'GOVERSION'], { cwd: process.cwd() }).trim();
}
