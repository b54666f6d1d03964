// Builds the real control plane (etcd, kube-apiserver, kube-controller-manager) from the pinned
// Go modules under test/k8s/go/, as static binaries that report their real versions, into a
// cache outside the work tree. A build takes tens of minutes on two cores, so the binaries are
// reused for as long as what would be built is unchanged: the cache key hashes the go.mod and
// go.sum files, etcd's main.go, the Go version and the exact build commands.
//
//   node test/k8s/build.ts           # build unless cached; prints the binaries' directory
//   node test/k8s/build.ts --force   # build even if cached

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { downloadModule, goRun, goVersion, readGoMod, requiredVersion } from './go-tool.ts';

const GO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'go');
const KUBE_MODULE_DIR = join(GO_DIR, 'kube');
const ETCD_MODULE_DIR = join(GO_DIR, 'etcd');
const KUBERNETES_MODULE = 'k8s.io/kubernetes';
const ETCD_SERVER_MODULE = 'go.etcd.io/etcd/server/v3';
/** Both copies of the version variables: `/version` reads component-base, clients read client-go. */
const KUBE_VERSION_PACKAGES = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'];
const ETCD_VERSION_PACKAGE = 'go.etcd.io/etcd/api/v3/version';
/**
 * What Kubernetes' own version script records for a build from an exported source tree rather
 * than a git checkout, which is what a module archive is.
 */
const SOURCE_ARCHIVE_TREE_STATE = 'archive';
/** Where the record of a finished build is kept, beside the binaries. */
const BUILD_RECORD_FILE = 'build.json';

export const BINARY_NAMES = { etcd: 'etcd', kubeApiserver: 'kube-apiserver', kubeControllerManager: 'kube-controller-manager' } as const;

export interface ControlPlaneBinaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  /** `v1.34.4`: what the binaries report in `/version`. */
  kubernetesVersion: string;
  etcdVersion: string;
}

export interface BuildOptions {
  /** Default `${XDG_CACHE_HOME:-~/.cache}/mpijob-gateway/k8s`; one subdirectory per cache key. */
  cacheRoot?: string;
  /** Build even when the cache has the binaries; default false. */
  force?: boolean;
  /** `nice` level of the compiler, so a build does not starve tests sharing the cores; default 19. */
  niceness?: number;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
}

export interface BuildRecord {
  key: string;
  goVersion: string;
  kubernetesVersion: string;
  etcdVersion: string;
  /** Wall-clock seconds of each step, for the README's build budget. */
  seconds: { download: number; kube: number; etcd: number; total: number };
  builtAt: string;
}

interface BuildStep {
  name: 'kube' | 'etcd';
  cwd: string;
  args: string[];
}

export function defaultCacheRoot(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'mpijob-gateway', 'k8s');
}

function tagTime(modulePath: string, version: string, cwd: string): string {
  const info = JSON.parse(readFileSync(downloadModule(modulePath, version, cwd).Info, 'utf8')) as { Time?: string };
  // The tag's commit time, not the wall clock: the same pins give the same binaries and key.
  return (info.Time ?? '1970-01-01T00:00:00Z').replace(/\.\d+Z$/, 'Z');
}

export function kubeVersionLdflags(version: string, buildDate: string): string[] {
  const match = /^v(\d+)\.(\d+)\./.exec(version);
  if (!match?.[1] || !match[2]) throw new Error(`unexpected Kubernetes version ${version}`);
  const values: Record<string, string> = {
    gitVersion: version,
    gitMajor: match[1],
    gitMinor: match[2],
    // The module proxy serves no commit id for a tag; an empty commit is honest, a made-up one is not.
    gitCommit: '',
    gitTreeState: SOURCE_ARCHIVE_TREE_STATE,
    buildDate,
  };
  return KUBE_VERSION_PACKAGES.flatMap((pkg) => Object.entries(values).map(([name, value]) => `-X ${pkg}.${name}=${value}`));
}

function buildPlan(outDir: string): { steps: BuildStep[]; kubernetesVersion: string; etcdVersion: string } {
  const kubeGoMod = readGoMod(join(KUBE_MODULE_DIR, 'go.mod'), KUBE_MODULE_DIR);
  const etcdGoMod = readGoMod(join(ETCD_MODULE_DIR, 'go.mod'), ETCD_MODULE_DIR);
  const kubernetesVersion = requiredVersion(kubeGoMod, KUBERNETES_MODULE);
  const etcdVersion = requiredVersion(etcdGoMod, ETCD_SERVER_MODULE);
  const kubeLdflags = ['-s', '-w', ...kubeVersionLdflags(kubernetesVersion, tagTime(KUBERNETES_MODULE, kubernetesVersion, KUBE_MODULE_DIR))];
  // etcd takes its version from a constant in its api module; only the commit is a build variable.
  const etcdLdflags = ['-s', '-w', `-X ${ETCD_VERSION_PACKAGE}.GitSHA=`];
  return {
    kubernetesVersion,
    etcdVersion,
    steps: [
      {
        name: 'kube',
        cwd: KUBE_MODULE_DIR,
        args: [
          'build', '-trimpath', '-ldflags', kubeLdflags.join(' '), '-o', `${outDir}/`,
          `${KUBERNETES_MODULE}/cmd/kube-apiserver`, `${KUBERNETES_MODULE}/cmd/kube-controller-manager`,
        ],
      },
      { name: 'etcd', cwd: ETCD_MODULE_DIR, args: ['build', '-trimpath', '-ldflags', etcdLdflags.join(' '), '-o', join(outDir, BINARY_NAMES.etcd), '.'] },
    ],
  };
}

/** The cache key: everything that decides what the build produces, and nothing else. */
export function cacheKey(): string {
  const hash = createHash('sha256');
  for (const file of ['kube/go.mod', 'kube/go.sum', 'etcd/go.mod', 'etcd/go.sum', 'etcd/main.go']) {
    hash.update(file).update('\0').update(readFileSync(join(GO_DIR, file))).update('\0');
  }
  hash.update(goVersion()).update('\0');
  // The plan with a placeholder output dir, so the commands (flags, ldflags) are in the key.
  hash.update(JSON.stringify(buildPlan('OUT').steps.map((step) => step.args)));
  return hash.digest('hex').slice(0, 16);
}

function binariesIn(dir: string, record: Pick<BuildRecord, 'kubernetesVersion' | 'etcdVersion'>): ControlPlaneBinaries {
  return {
    dir,
    etcd: join(dir, BINARY_NAMES.etcd),
    kubeApiserver: join(dir, BINARY_NAMES.kubeApiserver),
    kubeControllerManager: join(dir, BINARY_NAMES.kubeControllerManager),
    kubernetesVersion: record.kubernetesVersion,
    etcdVersion: record.etcdVersion,
  };
}

/** The cached binaries for the current pins, or undefined when they have not been built. */
export function cachedControlPlaneBinaries(options: Pick<BuildOptions, 'cacheRoot'> = {}): ControlPlaneBinaries | undefined {
  const dir = join(options.cacheRoot ?? defaultCacheRoot(), cacheKey());
  const recordPath = join(dir, BUILD_RECORD_FILE);
  if (!existsSync(recordPath)) return undefined;
  const binaries = binariesIn(dir, JSON.parse(readFileSync(recordPath, 'utf8')) as BuildRecord);
  return [binaries.etcd, binaries.kubeApiserver, binaries.kubeControllerManager].every((path) => existsSync(path)) ? binaries : undefined;
}

function secondsSince(startMs: number): number {
  return Math.round((Date.now() - startMs) / 1000);
}

/** Returns the binaries for the current pins, building them first if the cache has none. */
export async function ensureControlPlaneBinaries(options: BuildOptions = {}): Promise<ControlPlaneBinaries> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  if (!options.force) {
    const cached = cachedControlPlaneBinaries({ cacheRoot });
    if (cached) return cached;
  }
  const key = cacheKey();
  const finalDir = join(cacheRoot, key);
  // Built beside the final place and renamed into it, so a reader never sees half a cache entry
  // and two concurrent builds cannot interleave their files.
  const workDir = join(cacheRoot, `.building-${key}-${randomBytes(4).toString('hex')}`);
  mkdirSync(workDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly -buildvcs=false' };
  const niceness = options.niceness ?? 19;
  const started = Date.now();
  try {
    const plan = buildPlan(workDir);
    log(`building kube-apiserver, kube-controller-manager ${plan.kubernetesVersion} and etcd v${plan.etcdVersion.replace(/^v/, '')} into ${finalDir}`);
    const downloadStarted = Date.now();
    for (const step of plan.steps) await goRun(['mod', 'download'], { cwd: step.cwd, env, niceness });
    const download = secondsSince(downloadStarted);
    log(`modules downloaded in ${download} s`);
    const stepSeconds: Record<BuildStep['name'], number> = { kube: 0, etcd: 0 };
    for (const step of plan.steps) {
      const stepStarted = Date.now();
      await goRun(step.args, { cwd: step.cwd, env, niceness });
      stepSeconds[step.name] = secondsSince(stepStarted);
      log(`${step.name} built in ${stepSeconds[step.name]} s`);
    }
    const record: BuildRecord = {
      key,
      goVersion: goVersion(),
      kubernetesVersion: plan.kubernetesVersion,
      etcdVersion: plan.etcdVersion,
      seconds: { download, ...stepSeconds, total: secondsSince(started) },
      builtAt: new Date().toISOString(),
    };
    writeFileSync(join(workDir, BUILD_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(workDir, finalDir);
    log(`control plane built in ${record.seconds.total} s`);
    return binariesIn(finalDir, record);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { force: { type: 'boolean', default: false } } });
  const binaries = await ensureControlPlaneBinaries({ force: values.force });
  process.stdout.write(`${binaries.dir}\n`);
}
