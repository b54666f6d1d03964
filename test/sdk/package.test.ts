// The package as users install it: `npm pack` (which compiles the clients into dist/), the
// tarball unpacked into another project's node_modules, where Node refuses to strip types, and
// then the `mpijob` bin, the `mpijob-gateway/sdk` export (its JavaScript and its declarations)
// and the README's TypeScript example, run from that project against a gateway.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToken } from '../utils/demo-token.ts';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';
import { testBackend } from '../utils/test-backend.ts';
import { readmeBlocks } from '../utils/readme.ts';
import { REPO_ROOT, type CliResult } from '../cli/run-cli.ts';

// kube-apiserver reads container logs from the pod's kubelet, and the simulated kubelet serves
// none: on the real backend there are no log lines to read, so the tests that read them run on
// the embedded cluster only.
const NO_KUBELET_TO_READ_LOGS_FROM = testBackend() === 'kube-apiserver';

const PACKAGE_NAME = 'mpijob-gateway';

let gw: TestGateway;
let work: string;
let project: string;
let installed: string;
let packedFiles: string[];

function run(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end();
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mpijob-package-'));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO_ROOT });
  expect(packed.status, packed.stderr).toBe(0);
  const [manifest] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = (manifest?.files ?? []).map((f) => f.path);

  // A project that installed the tarball: the package unpacked under node_modules, its
  // dependencies linked from this checkout's node_modules (no registry needed).
  project = join(work, 'project');
  installed = join(project, 'node_modules', PACKAGE_NAME);
  mkdirSync(installed, { recursive: true });
  const unpacked = await run('tar', ['-xzf', join(work, manifest?.filename ?? ''), '-C', installed, '--strip-components=1'], { cwd: work });
  expect(unpacked.status, unpacked.stderr).toBe(0);
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry.startsWith('.') || entry === PACKAGE_NAME) continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(project, 'node_modules', entry));
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));

  gw = await startTestGateway({ timeScale: 60 });
});

afterAll(async () => {
  await gw?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the bin, the compiled clients with declarations and the postinstall script, not the sources', () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['bin/mpijob.mjs', 'dist/cli/bin.js', 'dist/sdk/client.js', 'dist/sdk/client.d.ts', 'scripts/postinstall.mjs', 'package.json']));
    expect(packedFiles.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs: its postinstall has nothing to patch there and succeeds', async () => {
    const result = await run(process.execPath, ['scripts/postinstall.mjs'], { cwd: installed });
    expect(result.status, result.stderr).toBe(0);
  });

  it('runs the mpijob bin from node_modules, on the compiled JavaScript', async () => {
    expect(existsSync(join(installed, 'src'))).toBe(false);
    const help = await run(process.execPath, [join(installed, 'bin', 'mpijob.mjs'), '--help'], { cwd: project });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage:\n  mpijob COMMAND');
    const version = await run(process.execPath, [join(installed, 'bin', 'mpijob.mjs'), 'version'], { cwd: project });
    expect(version.stdout).toMatch(/^mpijob \d+\.\d+\.\d+\n$/);
  });

  it.skipIf(NO_KUBELET_TO_READ_LOGS_FROM)('runs and type-checks the README TypeScript example importing mpijob-gateway/sdk', async () => {
    const [example] = readmeBlocks('TypeScript SDK', 'ts');
    expect(example).toContain("from 'mpijob-gateway/sdk'");
    writeFileSync(join(project, 'example.ts'), example ?? '');
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2024', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['example.ts'] }),
    );
    const checked = await run(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);

    const env = { MPIJOB_SERVER: gw.url, MPIJOB_TOKEN: demoToken(gw.cluster.tokenFilePath, 'alice') };
    const result = await run(process.execPath, ['example.ts'], { cwd: project, env });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('hello-ts SUCCEEDED');
    expect(lines.slice(1).length).toBeGreaterThan(0);
    expect(lines.slice(1).every((l) => l.startsWith('rank 1: '))).toBe(true);
  });
});
