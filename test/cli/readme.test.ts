// The README's command-line tour, run as written: each command of the "## Command line" shell
// block, in order, against a gateway on an embedded cluster. The only changes are the ones a
// test needs: its own gateway (so the `npm start` line is skipped), its URL instead of port
// 4000, and its data directory instead of .mpijob-gateway/.

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';
import { testBackend } from '../utils/test-backend.ts';
import { readmeBlocks } from '../utils/readme.ts';
import { cliHome, REPO_ROOT, type CliHome, type CliResult } from './run-cli.ts';

const README_URL = 'http://127.0.0.1:4000/graphql';
const README_DATA_DIR = '.mpijob-gateway/';

let gw: TestGateway;
let home: CliHome;

beforeAll(async () => {
  gw = await startTestGateway({ timeScale: 60 });
  home = cliHome();
});

afterAll(async () => {
  home?.remove();
  await gw?.stop();
});

function bash(command: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: REPO_ROOT, env: home.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end();
  });
}

describe('the README command-line tour', () => {
  it('runs as written, each command doing what its comment says', async () => {
    const [tour] = readmeBlocks('Command line', 'sh');
    expect(tour).toBeDefined();
    const commands = (tour ?? '')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('npm start'))
      .map((line) => line.replaceAll(README_URL, gw.url).replaceAll(README_DATA_DIR, `${gw.cluster.dataDir}/`));
    expect(commands.length).toBeGreaterThanOrEqual(10);
    const results = new Map<string, CliResult>();
    for (const command of commands) {
      const result = await bash(command);
      const verb = / mpijob (\w+(?: \S+)?)/.exec(command)?.[1] ?? command;
      results.set(verb, result);
      // kube-apiserver reads container logs from the pod's kubelet and the simulated kubelet
      // serves none, so on the real backend the tour's `logs` must fail, and say why.
      const logsWithoutKubelet = testBackend() === 'kube-apiserver' && command.includes(' logs ');
      const refused = command.includes('create huge') || logsWithoutKubelet;
      expect(result.status, `${command}\n${result.stderr}`).toBe(refused ? 1 : 0);
    }
    expect(results.get('login --server')?.stdout).toMatch(/^Logged in to .* \(namespace team-a\)/);
    expect(results.get('list')?.stdout).toMatch(/^bert-finetune\s+FAILED/m);
    expect(results.get('describe bert-finetune')?.stdout).toMatch(/worker rank 1 .*OOMKilled/);
    expect(results.get('quota')?.stdout).toMatch(/^team-a\s+team-a-quota\s+requests\.cpu/m);
    expect(results.get('wait hello')?.stdout).toBe('mpijob team-a/hello SUCCEEDED\n');
    if (testBackend() === 'kube-apiserver') {
      expect(results.get('logs hello')?.stderr).toMatch(/cannot be read.*\[KUBERNETES_UNAVAILABLE\]/);
    } else {
      expect(results.get('logs hello')?.stdout.length).toBeGreaterThan(0);
    }
    expect(results.get('create huge')?.stderr).toMatch(/^error: exceeded quota: team-a-quota.*\[QUOTA_EXCEEDED\]$/m);
    expect(results.get('delete hello')?.stdout).toBe('mpijob team-a/hello deleted\n');
  });
});
