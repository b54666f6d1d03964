// Starts a throwaway embedded cluster for a test file: a temp data dir, objects in memory,
// simulated time sped up, and helpers to run the real kubectl against it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/cluster/cluster.ts';

export interface TestCluster extends EmbeddedCluster {
  dataDir: string;
  /**
   * Runs kubectl against this cluster; never throws, the caller checks `status`. Asynchronous
   * on purpose: the cluster serves from this very process, so a blocking spawn would deadlock.
   */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** Starts a long-running kubectl (logs -f, get -w); the caller reads and kills it. */
  kubectlStream(args: string[]): ChildProcessWithoutNullStreams;
  cleanup(): Promise<void>;
}

export interface KubectlResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A hang guard for one kubectl call, not a performance assertion. */
const KUBECTL_TIMEOUT_MS = 60_000;

export interface TestClusterOptions {
  /** Default 60: a 60 s simulated job takes one second. */
  timeScale?: number;
  /** Default true. */
  seed?: boolean;
  /** Changes kept for watch resumption; default the cluster's (`DEFAULT_HISTORY_LIMIT`). */
  historyLimit?: number;
}

export function kubectlAvailable(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
}

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mpijob-cluster-'));
  const cluster = await startEmbeddedCluster({
    dataDir,
    ephemeral: true,
    timeScale: options.timeScale ?? 60,
    seed: options.seed ?? true,
    ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
  });
  // A private discovery cache per cluster: kubectl keeps it for hours, keyed by host:port.
  const env = { ...process.env, KUBECONFIG: cluster.kubeconfigPath, KUBECACHEDIR: join(dataDir, 'kube-cache'), HOME: dataDir };
  return {
    ...cluster,
    dataDir,
    kubectl(args, input) {
      return new Promise((resolve, reject) => {
        const child = spawn('kubectl', args, { env, timeout: KUBECTL_TIMEOUT_MS });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout, stderr }));
        child.stdin.end(input ?? '');
      });
    },
    kubectlStream(args) {
      return spawn('kubectl', args, { env });
    },
    async cleanup() {
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
