// `npm start` as users run it: a child process with an embedded cluster, the GraphQL URL and
// kubeconfig printed, serving queries, and a clean exit 0 on SIGTERM and SIGINT.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTokenFile } from '../../src/auth/token-file.ts';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

let child: ChildProcessWithoutNullStreams | undefined;
let dataDir: string | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string> = {}): { output: () => string; url: Promise<string>; exit: Promise<number | null> } {
  dataDir = mkdtempSync(join(tmpdir(), 'gateway-main-'));
  const proc = spawn(process.execPath, [MAIN, '--data-dir', dataDir, '--port', '0', '--log-level', 'error', ...args], {
    env: { ...process.env, KUBECONFIG: '', ...env },
  });
  child = proc;
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const match = /GraphQL:\s+(\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    proc.stdout.on('data', check);
    proc.on('exit', () => reject(new Error(`exited before serving:\n${output}`)));
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { output: () => output, url, exit };
}

describe('npm start', () => {
  it('starts an embedded cluster, prints the URL and kubeconfig, serves, and exits 0 on SIGTERM', async () => {
    const run = start(['--ephemeral', '--time-scale', '60']);
    const url = await run.url;
    expect(run.output()).toMatch(/Kubeconfig: .*kubeconfig \(embedded cluster\)/);
    expect((await fetch(url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
    for (;;) {
      if ((await fetch(url.replace(/\/graphql$/, '/readyz'))).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const query = JSON.stringify({ query: '{ namespaces { totalCount } }' });
    const anonymous = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query });
    expect(anonymous.status).toBe(401);
    const tokenFile = /Tokens:\s+(\S+)/.exec(run.output())?.[1] ?? '';
    expect(tokenFile).toBe(join(dataDir ?? '', 'tokens.csv'));
    const adminToken = parseTokenFile(readFileSync(tokenFile, 'utf8')).find((e) => e.identity.username === 'admin')?.token;
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: query });
    // The seed's team-a and team-b, and the four namespaces every kube-apiserver creates.
    expect(await response.json()).toEqual({ data: { namespaces: { totalCount: 6 } } });
    child?.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });

  it('exits 0 on SIGINT as well', async () => {
    const run = start(['--ephemeral']);
    await run.url;
    child?.kill('SIGINT');
    expect(await run.exit).toBe(0);
  });

  it('refuses an invalid setting with a message naming it, exit code 2', async () => {
    const run = start([], { MPIJOB_GATEWAY_TIME_SCALE: 'fast' });
    await expect(run.url).rejects.toThrow(/--time-scale \(env MPIJOB_GATEWAY_TIME_SCALE\)/);
    expect(await run.exit).toBe(2);
  });
});
