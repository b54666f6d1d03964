// Starts a real Kubernetes control plane on loopback from the binaries build.ts made: etcd, then
// kube-apiserver (its own CA and serving certificate, service-account signing keys, RBAC, the
// default admission chain, a static token file for the test users), the project's CRDs, then
// kube-controller-manager for the controllers the API semantics lean on, and optionally the
// project's simulated controllers. Everything is stopped again, also when startup fails, and
// every child is in its own process group and dies with the process that started it.
//
//   node test/k8s/control-plane.ts [--simulated-controllers [--time-scale 60]]
//                                      # start, print the admin kubeconfig path, run until ^C

import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { createCertificateAuthority, issueServingCertificate } from '../../src/cluster/certs.ts';
import { writePrivateFile } from '../../src/cluster/kubeconfig.ts';
import type { ControlPlaneBinaries } from './build.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CRD_DIR = join(REPO_ROOT, 'deploy', 'crds');

/**
 * Test identities in the static token file. `admin` is in system:masters; the others have no
 * grants of their own. `alice`, `bob` and `demoAdmin` (user name `admin`) are also the gateway's
 * demo users: the same file is the gateway's `token-file`, and the demo RBAC
 * (src/cluster/rbac-seed.ts, applied by the gateway harness) grants them what the embedded
 * cluster grants them. `demoAdmin` is cluster-admin by a binding, not by its group, as in the
 * embedded cluster, so the gateway sees exactly the groups it sees there.
 */
export const TEST_USERS = {
  admin: { username: 'k8s-admin', groups: ['system:masters'] },
  alice: { username: 'alice', groups: [] },
  bob: { username: 'bob', groups: [] },
  demoAdmin: { username: 'admin', groups: [] },
} as const satisfies Record<string, { username: string; groups: string[] }>;
export type TestUser = keyof typeof TEST_USERS;

/**
 * The kube-controller-manager controllers run against the real server. Garbage collection
 * (cascading deletion), namespace deletion, ResourceQuota status (quota admission refuses
 * everything in a namespace whose quota has no status yet) and the default ServiceAccount (the
 * ServiceAccount admission plugin refuses pods until it exists). The job, pod-GC and node
 * lifecycle controllers are left out: the project's simulated controllers play the Job
 * controller and the kubelet, and kcm would fight them (node lifecycle would evict pods of
 * simulated nodes that post no leases).
 */
export const CONTROLLER_MANAGER_CONTROLLERS = [
  'garbage-collector-controller',
  'namespace-controller',
  'resourcequota-controller',
  'serviceaccount-controller',
  'root-ca-certificate-publisher-controller',
] as const;

/** Cluster IPs are only allocated, never routed: nothing listens on them here. */
const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const LOOPBACK = '127.0.0.1';
const ETCD_MEMBER_NAME = 'default';
const CONDITION_ESTABLISHED = 'Established';
const DEFAULT_SERVICE_ACCOUNT = 'default';
const DEFAULT_NAMESPACE = 'default';
const CONTEXT_NAME = 'mpijob-gateway-k8s';

/** Hang guard for each startup wait; the components are normally up in seconds. */
const STARTUP_WAIT_MAX_MS = 180_000;
const STARTUP_POLL_MS = 200;
/** SIGTERM, then this long for a clean exit, then SIGKILL. */
const STOP_GRACE_MS = 10_000;
/** A port picked free can be taken by someone else before the component binds it: retry. */
const START_ATTEMPTS = 3;
const LOG_TAIL_LINES = 40;
const SIMULATED_CONTROLLERS_LOG = 'simulated-controllers.log';

export interface ControlPlaneOptions {
  binaries: ControlPlaneBinaries;
  /** Where etcd data, PKI, kubeconfigs and component logs go. Default: a new temp dir, removed by stop(). */
  dataDir?: string;
  /** CRD manifests to install and wait for; default every `*.yaml` in deploy/crds/. */
  crdFiles?: string[];
  /** Run kube-controller-manager (see CONTROLLER_MANAGER_CONTROLLERS); default true. */
  controllerManager?: boolean;
  /** Start the project's simulated controllers against the server; default false. */
  simulatedControllers?: false | { timeScale: number };
  /** Progress lines; default none. */
  log?: (line: string) => void;
}

export interface ControlPlane {
  url: string;
  caPem: string;
  /** The `gitVersion` the server reports, e.g. `v1.34.4`. */
  kubernetesVersion: string;
  dataDir: string;
  /** Component logs: `etcd.log`, `kube-apiserver.log`, `kube-controller-manager.log`, `simulated-controllers.log`. */
  logDir: string;
  /** The admin's (system:masters) kubeconfig. */
  kubeconfigPath: string;
  /** The server's `--token-auth-file` (every TEST_USERS entry), readable by the gateway's `token-file` strategy. */
  tokenFilePath: string;
  kubeConfig: KubeConfig;
  tokenFor(user: TestUser): string;
  kubeconfigPathFor(user: TestUser): string;
  kubeConfigFor(user: TestUser): KubeConfig;
  stop(): Promise<void>;
}

interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logPath: string;
  /** Set once the process has exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<void>;
}

/** Children still running, killed synchronously if this process exits without stopping them. */
const running = new Set<ManagedProcess>();
let exitHookInstalled = false;

function killGroup(managed: ManagedProcess, signal: NodeJS.Signals): void {
  const pid = managed.child.pid;
  if (pid === undefined || managed.exit) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the group is already gone, which is what was wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const managed of running) killGroup(managed, 'SIGKILL');
  });
}

/** setpriv makes the kernel kill a child when its parent dies, even by SIGKILL: no orphans. */
const PDEATHSIG_WRAPPER = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

function startProcess(name: string, binary: string, args: string[], logDir: string): ManagedProcess {
  installExitHook();
  const logPath = join(logDir, `${name}.log`);
  const logFd = openSync(logPath, 'a');
  const [command, commandArgs] = PDEATHSIG_WRAPPER ? [PDEATHSIG_WRAPPER, ['--pdeathsig', 'SIGKILL', '--', binary, ...args]] : [binary, args];
  // detached: a process group of its own, so stop() reaches anything the component starts.
  const child = spawn(command, commandArgs, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const managed: ManagedProcess = { name, child, logPath, exit: undefined, exited: Promise.resolve() };
  managed.exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      managed.exit = { code, signal };
      running.delete(managed);
      resolveExit();
    });
    child.once('error', (error) => {
      managed.exit = { code: null, signal: null };
      running.delete(managed);
      // The spawn itself failed (missing binary); the log says nothing, so write it into the error path.
      process.stderr.write(`${name}: ${error.message}\n`);
      resolveExit();
    });
  });
  running.add(managed);
  return managed;
}

async function stopProcess(managed: ManagedProcess): Promise<void> {
  killGroup(managed, 'SIGTERM');
  const graceExpired = Symbol('grace expired');
  const outcome = await Promise.race([managed.exited, sleep(STOP_GRACE_MS, graceExpired)]);
  if (outcome === graceExpired) {
    killGroup(managed, 'SIGKILL');
    await managed.exited;
  }
}

function logTail(managed: ManagedProcess): string {
  if (!existsSync(managed.logPath)) return '';
  return readFileSync(managed.logPath, 'utf8').split('\n').slice(-LOG_TAIL_LINES).join('\n');
}

class ComponentExitedError extends Error {
  readonly portTaken: boolean;
  constructor(managed: ManagedProcess) {
    const tail = logTail(managed);
    super(`${managed.name} exited (${managed.exit?.code ?? managed.exit?.signal}) during startup; last lines of ${managed.logPath}:\n${tail}`);
    this.portTaken = /address already in use/i.test(tail);
  }
}

/** Polls `probe` until it returns a value; fails at once if a component it depends on exits. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, watched: ManagedProcess[]): Promise<T> {
  const deadline = Date.now() + STARTUP_WAIT_MAX_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    for (const managed of watched) if (managed.exit) throw new ComponentExitedError(managed);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(STARTUP_POLL_MS);
  }
  throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

interface HttpAnswer {
  status: number;
  body: string;
}

interface HttpCallOptions {
  method?: 'GET' | 'POST';
  caPem?: string;
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
}

function httpCall(url: string, options: HttpCallOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolveAnswer, reject) => {
    const parsed = new URL(url);
    const requestFn = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const req = requestFn(parsed, { method: options.method ?? 'GET', ca: options.caPem, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.once('error', reject);
    req.end(payload);
  });
}

function renderKubeconfigFor(server: string, caPem: string, user: TestUser, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: TEST_USERS[user].username, user: { token } }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: TEST_USERS[user].username, namespace: DEFAULT_NAMESPACE } }],
    'current-context': CONTEXT_NAME,
  });
}

/** `token,user,uid,"group1,group2"`: the --token-auth-file format. */
function renderTokenFile(tokens: Record<TestUser, string>): string {
  return (Object.keys(TEST_USERS) as TestUser[])
    .map((user) => {
      const { username, groups } = TEST_USERS[user];
      const line = `${tokens[user]},${username},${username}`;
      return groups.length > 0 ? `${line},"${groups.join(',')}"` : line;
    })
    .join('\n')
    .concat('\n');
}

function readCrds(files: string[]): V1CustomResourceDefinition[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((document) => document.toJS() as V1CustomResourceDefinition | null)
      .filter((crd): crd is V1CustomResourceDefinition => crd?.kind === 'CustomResourceDefinition'),
  );
}

function defaultCrdFiles(): string[] {
  if (!existsSync(DEFAULT_CRD_DIR)) return [];
  return readdirSync(DEFAULT_CRD_DIR)
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .sort()
    .map((name) => join(DEFAULT_CRD_DIR, name));
}

interface Pki {
  caPem: string;
  certPath: string;
  keyPath: string;
  caPath: string;
  caKeyPath: string;
  serviceAccountPublicKeyPath: string;
  serviceAccountPrivateKeyPath: string;
  tokenFilePath: string;
  tokens: Record<TestUser, string>;
}

async function writePki(dir: string): Promise<Pki> {
  const ca = await createCertificateAuthority('mpijob-gateway-k8s-test-ca');
  const serving = await issueServingCertificate(ca, [LOOPBACK, '::1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc']);
  const serviceAccountKeys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const tokens = Object.fromEntries((Object.keys(TEST_USERS) as TestUser[]).map((user) => [user, randomBytes(24).toString('base64url')])) as Record<TestUser, string>;
  const pki: Pki = {
    caPem: ca.caPem,
    caPath: join(dir, 'ca.crt'),
    caKeyPath: join(dir, 'ca.key'),
    certPath: join(dir, 'apiserver.crt'),
    keyPath: join(dir, 'apiserver.key'),
    serviceAccountPublicKeyPath: join(dir, 'sa.pub'),
    serviceAccountPrivateKeyPath: join(dir, 'sa.key'),
    tokenFilePath: join(dir, 'tokens.csv'),
    tokens,
  };
  writePrivateFile(pki.caPath, ca.caPem);
  writePrivateFile(pki.caKeyPath, ca.caKeyPem);
  writePrivateFile(pki.certPath, serving.certPem);
  writePrivateFile(pki.keyPath, serving.keyPem);
  writePrivateFile(pki.serviceAccountPublicKeyPath, serviceAccountKeys.publicKey);
  writePrivateFile(pki.serviceAccountPrivateKeyPath, serviceAccountKeys.privateKey);
  writePrivateFile(pki.tokenFilePath, renderTokenFile(tokens));
  return pki;
}

function etcdArgs(dataDir: string, clientPort: number, peerPort: number): string[] {
  const clientUrl = `http://${LOOPBACK}:${clientPort}`;
  const peerUrl = `http://${LOOPBACK}:${peerPort}`;
  return [
    `--name=${ETCD_MEMBER_NAME}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${ETCD_MEMBER_NAME}=${peerUrl}`,
    '--initial-cluster-state=new',
    // Test data: durability across power loss buys nothing and costs fsyncs on shared disks.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

function apiserverArgs(pki: Pki, etcdClientPort: number, securePort: number, certDir: string): string[] {
  return [
    `--etcd-servers=http://${LOOPBACK}:${etcdClientPort}`,
    `--bind-address=${LOOPBACK}`,
    `--advertise-address=${LOOPBACK}`,
    `--secure-port=${securePort}`,
    `--cert-dir=${certDir}`,
    `--tls-cert-file=${pki.certPath}`,
    `--tls-private-key-file=${pki.keyPath}`,
    `--token-auth-file=${pki.tokenFilePath}`,
    '--authorization-mode=Node,RBAC',
    // Left at the release's default plugin set (NamespaceLifecycle, LimitRanger, ServiceAccount,
    // Priority, PodSecurity, ResourceQuota, ...): that chain is what the emulator must match.
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.serviceAccountPublicKeyPath}`,
    `--service-account-signing-key-file=${pki.serviceAccountPrivateKeyPath}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--profiling=false',
  ];
}

function controllerManagerArgs(pki: Pki, kubeconfigPath: string): string[] {
  return [
    `--kubeconfig=${kubeconfigPath}`,
    `--controllers=${CONTROLLER_MANAGER_CONTROLLERS.join(',')}`,
    '--leader-elect=false',
    // No serving endpoint: nothing scrapes it, and it would need its own port and delegated auth.
    '--secure-port=0',
    `--root-ca-file=${pki.caPath}`,
    '--use-service-account-credentials=false',
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--profiling=false',
  ];
}

function isEstablished(crd: V1CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((condition) => condition.type === CONDITION_ESTABLISHED && condition.status === 'True');
}

/**
 * The project's simulated MPI operator, Job controller, scheduler and kubelet, reaching this
 * server through client-node as they reach the emulator. Loaded only when asked for, so the
 * control plane starts without them.
 */
async function startSimulatedControllers(kubeConfig: KubeConfig, timeScale: number, logPath: string): Promise<() => Promise<void>> {
  const [{ startControllers }, { LogStore }] = await Promise.all([
    import('../../src/cluster/controllers/manager.ts'),
    import('../../src/cluster/logstore.ts'),
  ]);
  // Their log goes beside the components' logs: when a job stalls on the real server, the
  // refused write is in there.
  const line = (level: string) => (msg: string, ...args: unknown[]): void =>
    appendFileSync(logPath, `${new Date().toISOString()} ${level} ${[msg, ...args.map((arg) => (arg instanceof Error ? arg.message : JSON.stringify(arg)))].join(' ')}\n`);
  const logger = { info: line('INFO'), warn: line('WARN'), error: line('ERROR') };
  const controllers = await startControllers({ kubeConfig, logs: new LogStore(), timeScale, logger });
  return () => controllers.stop();
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const log = options.log ?? (() => undefined);
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), 'mpijob-k8s-'));
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const crdFiles = options.crdFiles ?? defaultCrdFiles();
  const crds = readCrds(crdFiles);
  if (crds.length === 0) throw new Error(`no CustomResourceDefinition found in ${crdFiles.join(', ') || DEFAULT_CRD_DIR}`);

  const processes: ManagedProcess[] = [];
  let stopSimulated: (() => Promise<void>) | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      try {
        await stopSimulated?.();
      } finally {
        // Reverse start order: clients of the API server go before it, and it before etcd.
        for (const managed of [...processes].reverse()) await stopProcess(managed);
        if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    })();
    return stopped;
  };

  try {
    const pki = await writePki(join(dataDir, 'pki'));
    const { url, apiserver } = await startEtcdAndApiserver(options.binaries, pki, dataDir, logDir, processes, log);

    const kubeconfigPaths = Object.fromEntries(
      (Object.keys(TEST_USERS) as TestUser[]).map((user) => {
        const path = join(dataDir, `kubeconfig-${user}`);
        writePrivateFile(path, renderKubeconfigFor(url, pki.caPem, user, pki.tokens[user]));
        return [user, path];
      }),
    ) as Record<TestUser, string>;
    const kubeConfigFor = (user: TestUser): KubeConfig => {
      const config = new KubeConfig();
      config.loadFromFile(kubeconfigPaths[user]);
      return config;
    };
    const kubeConfig = kubeConfigFor('admin');

    const version = JSON.parse((await httpCall(`${url}/version`, { caPem: pki.caPem, token: pki.tokens.admin })).body) as { gitVersion: string };
    log(`kube-apiserver ${version.gitVersion} ready at ${url}`);

    const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
    for (const crd of crds) {
      // Posted as the manifest's own JSON, as kubectl would: client-node's typed create
      // serializes through its model, which silently drops JSONSchemaProps keys such as `enum`,
      // `default` and `x-kubernetes-preserve-unknown-fields` given in a plain object.
      const answer = await httpCall(`${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', caPem: pki.caPem, token: pki.tokens.admin, body: crd });
      if (answer.status !== 201) throw new Error(`creating CRD ${crd.metadata?.name}: HTTP ${answer.status} ${answer.body}`);
    }
    for (const crd of crds) {
      const name = crd.metadata?.name ?? '';
      await waitFor(`CRD ${name} to be Established`, async () => (isEstablished(await extensions.readCustomResourceDefinition({ name })) ? true : undefined), [apiserver]);
    }
    log(`CRDs established: ${crds.map((crd) => crd.metadata?.name).join(', ')}`);

    if (options.controllerManager !== false) {
      // Started after the CRDs exist so that garbage collection and quota see them at once
      // rather than at their next discovery resync.
      const kcm = startProcess('kube-controller-manager', options.binaries.kubeControllerManager, controllerManagerArgs(pki, kubeconfigPaths.admin), logDir);
      processes.push(kcm);
      const core = kubeConfig.makeApiClient(CoreV1Api);
      // The default ServiceAccount appearing shows that kcm's controllers are running.
      await waitFor(
        'kube-controller-manager to create the default ServiceAccount',
        async () => ((await core.readNamespacedServiceAccount({ name: DEFAULT_SERVICE_ACCOUNT, namespace: DEFAULT_NAMESPACE })) ? true : undefined),
        [apiserver, kcm],
      );
      log('kube-controller-manager running');
    }

    if (options.simulatedControllers) {
      stopSimulated = await startSimulatedControllers(kubeConfig, options.simulatedControllers.timeScale, join(logDir, SIMULATED_CONTROLLERS_LOG));
      log('simulated controllers running');
    }

    return {
      url,
      caPem: pki.caPem,
      kubernetesVersion: version.gitVersion,
      dataDir,
      logDir,
      kubeconfigPath: kubeconfigPaths.admin,
      tokenFilePath: pki.tokenFilePath,
      kubeConfig,
      tokenFor: (user) => pki.tokens[user],
      kubeconfigPathFor: (user) => kubeconfigPaths[user],
      kubeConfigFor,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startEtcdAndApiserver(
  binaries: ControlPlaneBinaries,
  pki: Pki,
  dataDir: string,
  logDir: string,
  processes: ManagedProcess[],
  log: (line: string) => void,
): Promise<{ url: string; apiserver: ManagedProcess }> {
  for (let attempt = 1; ; attempt += 1) {
    const [etcdClientPort, etcdPeerPort, securePort] = [await freePort(), await freePort(), await freePort()];
    const etcdDataDir = join(dataDir, `etcd-${attempt}`);
    const etcd = startProcess('etcd', binaries.etcd, etcdArgs(etcdDataDir, etcdClientPort, etcdPeerPort), logDir);
    processes.push(etcd);
    try {
      await waitFor('etcd to be healthy', async () => ((await httpCall(`http://${LOOPBACK}:${etcdClientPort}/health`)).status === 200 ? true : undefined), [etcd]);
      log(`etcd ready on ${LOOPBACK}:${etcdClientPort}`);
      const apiserver = startProcess('kube-apiserver', binaries.kubeApiserver, apiserverArgs(pki, etcdClientPort, securePort, join(dataDir, 'apiserver-certs')), logDir);
      processes.push(apiserver);
      const url = `https://${LOOPBACK}:${securePort}`;
      await waitFor(
        'kube-apiserver /readyz',
        async () => ((await httpCall(`${url}/readyz`, { caPem: pki.caPem, token: pki.tokens.admin })).status === 200 ? true : undefined),
        [etcd, apiserver],
      );
      return { url, apiserver };
    } catch (error) {
      if (!(error instanceof ComponentExitedError && error.portTaken) || attempt >= START_ATTEMPTS) throw error;
      log(`a port was taken during startup (attempt ${attempt}); retrying with new ports`);
      for (const managed of processes.splice(0).reverse()) await stopProcess(managed);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { ensureControlPlaneBinaries } = await import('./build.ts');
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const { values } = parseArgs({ options: { 'simulated-controllers': { type: 'boolean', default: false }, 'time-scale': { type: 'string', default: '1' } } });
  const controlPlane = await startControlPlane({
    binaries: await ensureControlPlaneBinaries({ log }),
    log,
    simulatedControllers: values['simulated-controllers'] ? { timeScale: Number(values['time-scale']) } : false,
  });
  process.stdout.write(`KUBECONFIG=${controlPlane.kubeconfigPath}\n`);
  const shutdown = (): void => {
    // stop() is idempotent: a repeated signal waits for the same stop.
    controlPlane.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: npx forwards the signal it gets, and a second SIGTERM must not kill this
  // process halfway through stop().
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
