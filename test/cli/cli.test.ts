// The `mpijob` command end to end: the real bin as a child process against a gateway on an
// embedded cluster (time 60x), configured by `mpijob login` in a private config directory.

import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToken } from '../utils/demo-token.ts';
import { startTestGateway, type TestGateway } from '../utils/gateway.ts';
import { testBackend } from '../utils/test-backend.ts';
import { piManifest } from '../sdk/manifests.ts';
import { cliHome, type CliHome } from './run-cli.ts';

// kube-apiserver reads container logs from the pod's kubelet, and the simulated kubelet serves
// none: on the real backend there are no log lines to read, so the tests that read them run on
// the embedded cluster only.
const NO_KUBELET_TO_READ_LOGS_FROM = testBackend() === 'kube-apiserver';

const COMMANDS = ['login', 'create', 'list', 'describe', 'logs', 'wait', 'suspend', 'resume', 'delete', 'quota'];
const ANSI_ESCAPE = '\u001b[';

let gw: TestGateway;
let home: CliHome;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway({ timeScale: 60 });
  token = demoToken(gw.cluster.tokenFilePath, 'admin');
  home = cliHome();
});

afterAll(async () => {
  home?.remove();
  await gw?.stop();
});

function manifestFile(name: string, options: Parameters<typeof piManifest>[0]): string {
  const path = join(home.dir, `${name}.yaml`);
  writeFileSync(path, piManifest(options));
  return path;
}

function expectNoStackTrace(text: string): void {
  expect(text).not.toMatch(/\n\s+at /);
}

describe('without a gateway configured', () => {
  it('prints help for every command, with exit code 0', async () => {
    const main = await home.run(['--help']);
    expect(main.status).toBe(0);
    for (const command of COMMANDS) expect(main.stdout).toContain(command);
    for (const command of COMMANDS) {
      const result = await home.run([command, '--help']);
      expect(result.status, command).toBe(0);
      expect(result.stdout, command).toContain(`mpijob ${command}`);
      expect(result.stdout, command).toContain('Usage:');
    }
  });

  it('says how to log in, with exit code 1 and no stack trace', async () => {
    const result = await home.run(['list']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: no gateway configured: run `mpijob login --server URL --token TOKEN`/);
    expectNoStackTrace(result.stderr);
  });

  it('refuses a token the gateway does not accept at login, and saves nothing', async () => {
    const result = await home.run(['login', '--server', gw.url, '--token', 'not-a-token']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: .* \[UNAUTHENTICATED\]\n$/);
    const list = await home.run(['list']);
    expect(list.stderr).toContain('no gateway configured');
  });

  it('refuses wrong usage with exit code 2 and a pointer to the help', async () => {
    const unknown = await home.run(['launch']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "launch"');
    const option = await home.run(['list', '--colour']);
    expect(option.status).toBe(2);
    expect(option.stderr).toBe("error: unknown option --colour\nRun 'mpijob list --help' for usage.\n");
    const missing = await home.run(['wait']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('a job name is required');
  });
});

describe('logged in', () => {
  beforeAll(async () => {
    const login = await home.run(['login', '--server', gw.url, '--token', '-', '-n', 'team-a'], { input: `${token}\n` });
    expect(login.stderr).toBe('');
    expect(login.status).toBe(0);
    expect(login.stdout).toBe(`Logged in to ${gw.url} as admin (namespace team-a); saved to ${home.configPath}\n`);
  });

  it('keeps the server, token and namespace in a config file only its owner can read', async () => {
    expect(statSync(home.configPath).mode & 0o777).toBe(0o600);
    const list = await home.run(['list', '-o', 'json']);
    expect(list.status).toBe(0);
    const names = (JSON.parse(list.stdout) as { items: Array<{ namespace: string }> }).items.map((j) => j.namespace);
    expect(new Set(names)).toEqual(new Set(['team-a']));
  });

  it('lets MPIJOB_SERVER override the config file', async () => {
    const result = await home.run(['list'], { env: { MPIJOB_SERVER: 'http://127.0.0.1:9/graphql' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot reach the gateway at http:\/\/127\.0\.0\.1:9\/graphql: .* \[NETWORK_ERROR\]\n$/);
  });

  it.skipIf(NO_KUBELET_TO_READ_LOGS_FROM)('runs a job from a manifest: create, wait, list, describe, logs by rank, delete', async () => {
    const created = await home.run(['create', '-f', manifestFile('cli-pi', { name: 'cli-pi' })]);
    expect(created).toMatchObject({ status: 0, stdout: 'mpijob team-a/cli-pi created\n' });

    const waited = await home.run(['wait', 'cli-pi', '--timeout', '2m']);
    expect(waited.status).toBe(0);
    expect(waited.stdout).toBe('mpijob team-a/cli-pi SUCCEEDED\n');
    expect(waited.stderr).toContain('team-a/cli-pi: SUCCEEDED');

    const listed = await home.run(['list', '-o', 'json']);
    const record = (JSON.parse(listed.stdout) as { items: Array<Record<string, unknown>> }).items.find((j) => j['name'] === 'cli-pi');
    expect(record).toMatchObject({ namespace: 'team-a', phase: 'SUCCEEDED', image: 'mpioperator/mpi-pi:openmpi', workers: { replicas: 2 }, launcher: { replicas: 1 } });
    expect(record?.['command']).toEqual(['mpirun', '-n', '2', '/home/mpiuser/pi']);

    const table = await home.run(['list', '--phase', 'succeeded']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PHASE\s+WORKERS\s+QUEUE\s+AGE$/);
    const phaseColumn = lines[0]?.indexOf('PHASE');
    for (const line of lines.slice(1)) expect(line.indexOf('SUCCEEDED'), line).toBe(phaseColumn);
    expect(lines.some((l) => l.startsWith('cli-pi '))).toBe(true);
    expect(table.stdout).not.toContain(ANSI_ESCAPE);

    const described = await home.run(['describe', 'cli-pi']);
    expect(described.status).toBe(0);
    expect(described.stdout).toMatch(/^Name:\s+cli-pi$/m);
    expect(described.stdout).toMatch(/^Pods:\n\s+ROLE\s+RANK\s+NAME/m);
    expect(described.stdout).toMatch(/^\s+launcher\s+-\s+cli-pi-launcher-\S+\s+SUCCEEDED/m);
    expect(described.stdout).toMatch(/^\s+worker\s+0\s+cli-pi-worker-0\s/m);
    expect(described.stdout).toMatch(/^\s+worker\s+1\s+cli-pi-worker-1\s/m);
    expect(described.stdout).toMatch(/^Events \(\d+ of \d+, newest first\):$/m);
    expect(described.stdout).toMatch(/^Diagnosis: SUCCEEDED$/m);

    const all = await home.run(['logs', 'cli-pi']);
    expect(all.status).toBe(0);
    expect(all.stdout).toMatch(/^\[rank 0\] /m);
    expect(all.stdout).toMatch(/^\[rank 1\] /m);
    const rank1 = await home.run(['logs', 'cli-pi', '--rank', '1']);
    expect(rank1.status).toBe(0);
    expect(rank1.stdout.length).toBeGreaterThan(0);
    expect(rank1.stdout).not.toMatch(/^\[/m);
    const rankLines = all.stdout.split('\n').filter((l) => l.startsWith('[rank 1] ')).map((l) => l.slice('[rank 1] '.length));
    expect(rank1.stdout.trimEnd().split('\n')).toEqual(rankLines);

    const deleted = await home.run(['delete', 'cli-pi']);
    expect(deleted).toMatchObject({ status: 0, stdout: 'mpijob team-a/cli-pi deleted\n' });
    const gone = await home.run(['describe', 'cli-pi']);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toBe('error: mpijobs.kubeflow.org "cli-pi" not found in namespace "team-a" [NOT_FOUND]\n');
  });

  it('shows a quota refusal with the shortfall per resource', async () => {
    const result = await home.run(['create', 'cli-huge', '--image', 'mpioperator/mpi-pi:openmpi', '--workers', '8', '--cpu', '8', '--memory', '1Gi']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: exceeded quota: team-a-quota, requested: requests\.cpu=\d+.* \[QUOTA_EXCEEDED\]$/m);
    expect(result.stderr).toMatch(/^\s+QUOTA\s+RESOURCE\s+REQUESTED\s+USED\s+HARD\s+SHORT BY$/m);
    expect(result.stderr).toMatch(/^\s+team-a-quota\s+requests\.cpu\s/m);
    expectNoStackTrace(result.stderr);
  });

  it('shows a validation error with the field to fix', async () => {
    const result = await home.run(['create', '-f', manifestFile('bad', { name: 'Bad_Name' })]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: the gateway refused the job as invalid \[BAD_USER_INPUT\]\n\s+metadata\.name: .*DNS-1035/);
    expectNoStackTrace(result.stderr);
  });

  it('previews the quota with --dry-run and creates nothing', async () => {
    const result = await home.run(['create', 'cli-dry', '--image', 'mpioperator/mpi-pi:openmpi', '--workers', '2', '--cpu', '500m', '--memory', '512Mi', '--dry-run', '--', 'mpirun', '-n', '2', '/home/mpiuser/pi']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^mpijob team-a\/cli-dry is valid and would run 3 pods \(dry run, nothing created\)$/m);
    expect(result.stdout).toMatch(/^team-a-quota\s+requests\.cpu\s+1500m\s+\S+\s+\S+\s+32\s+yes$/m);
    const described = await home.run(['describe', 'cli-dry']);
    expect(described.status).toBe(1);
  });

  it('exits 1 from wait for a failed job and says which rank failed', async () => {
    await home.run(['create', '-f', manifestFile('cli-fail', { name: 'cli-fail', annotations: { 'sim.mpijob-gateway.dev/fail-rank': '1', 'sim.mpijob-gateway.dev/fail-reason': 'OOMKilled' } })]);
    const result = await home.run(['wait', 'cli-fail']);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('mpijob team-a/cli-fail FAILED\n');
    expect(result.stderr).toMatch(/rank 1 .*OOMKilled/);
  });

  it('exits 2 from wait when the timeout passes first', async () => {
    await home.run(['create', '-f', manifestFile('cli-slow', { name: 'cli-slow', duration: '10h' })]);
    const result = await home.run(['wait', 'cli-slow', '--timeout', '1s']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/timed out after 1s: team-a\/cli-slow has not finished\n$/);
    const suspended = await home.run(['suspend', 'cli-slow']);
    expect(suspended.stdout).toBe('mpijob team-a/cli-slow suspended\n');
    const resumed = await home.run(['resume', 'cli-slow']);
    expect(resumed.stdout).toBe('mpijob team-a/cli-slow resumed\n');
    await home.run(['delete', 'cli-slow']);
  });

  it('creates from flags with the command after --, in the namespace given by -n', async () => {
    const result = await home.run(['create', 'cli-flags', '-n', 'team-b', '--image', 'mpioperator/mpi-pi:openmpi', '--workers', '1', '--cpu', '1', '--memory', '1Gi', '--queue', 'team-b-queue', '--annotation', 'sim.mpijob-gateway.dev/duration=30s', '-o', 'json', '--', 'mpirun', '-n', '1', '/home/mpiuser/pi']);
    expect(result.status).toBe(0);
    const created = JSON.parse(result.stdout) as { dryRun: boolean; job: Record<string, unknown> };
    expect(created.dryRun).toBe(false);
    expect(created.job).toMatchObject({ namespace: 'team-b', name: 'cli-flags', queue: 'team-b-queue', command: ['mpirun', '-n', '1', '/home/mpiuser/pi'] });
    const all = await home.run(['list', '-A', '-o', 'name']);
    expect(all.stdout).toContain('team-b/cli-flags\n');
  });

  it('shows the namespace quota, colours only when asked on a pipe', async () => {
    const plain = await home.run(['quota']);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/^NAMESPACE\s+QUOTA\s+RESOURCE\s+USED\s+HARD\s+REMAINING\s+USE$/m);
    expect(plain.stdout).toMatch(/^team-a\s+team-a-quota\s+requests\.cpu\s+\S+\s+32\s/m);
    expect(plain.stdout).not.toContain(ANSI_ESCAPE);
    const coloured = await home.run(['list', '-A'], { env: { FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain(ANSI_ESCAPE);
    const declined = await home.run(['list', '-A'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(declined.stdout).not.toContain(ANSI_ESCAPE);
  });

  it.skipIf(NO_KUBELET_TO_READ_LOGS_FROM)('follows a running job with logs -f and list --watch until it finishes', async () => {
    const watch = home.start(['list', '--watch']);
    await watch.waitFor(/^NAME\s+PHASE/m);
    await home.run(['create', '-f', manifestFile('cli-live', { name: 'cli-live', duration: '120s' })]);
    const followed = await home.run(['logs', 'cli-live', '-f', '--role', 'launcher']);
    expect(followed.status).toBe(0);
    expect(followed.stdout).toMatch(/^\[rank 0\] /m);
    const seen = await watch.waitFor(/^cli-live\s+SUCCEEDED/m);
    expect(seen).toMatch(/^cli-live\s+(PENDING|CREATED|RUNNING)/m);
    expect(await watch.stop('SIGINT')).toBe(130);
  });
});
