// Starts the embedded cluster: the API server emulator on loopback HTTPS, the admission chain,
// the in-server quota status controller, the simulated controllers (which reach the API server
// through client-node, as they would any cluster) and, on first start, the seed data.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { createCertificateAuthority, issueServingCertificate } from './certs.ts';
import { renderKubeconfig, writePrivateFile } from './kubeconfig.ts';
import { LogStore } from './logstore.ts';
import { DEFAULT_HISTORY_LIMIT, openStore } from './api/storage.ts';
import { startApiServer } from './api/server.ts';
import type { UserInfo } from './api/admission.ts';
import { jobStatusAdmission } from './api/admission/job-status.ts';
import { mpiJobAdmission } from './api/admission/mpijob.ts';
import { quotaAdmission, startQuotaStatusController } from './api/admission/quota.ts';
import { rbacAdmission } from './api/admission/rbac.ts';
import { startGarbageCollector } from './api/gc.ts';
import { createClusterAuthorizer } from './api/rbac.ts';
import { createReviewHandler } from './api/reviews.ts';
import { createTokenAuthenticator, parseTokenFile, renderTokenFile } from './api/tokens.ts';
import { bootstrapRbacObjects, demoRbacObjects, ensureObjects, generateDemoTokens, mpiOperatorRbacObjects } from './rbac-seed.ts';
import { startControllers } from './controllers/manager.ts';
import { ensureSystemNamespaces, seedCluster } from './seed.ts';

export interface EmbeddedClusterOptions {
  /** Where the kubeconfig, the PKI and (unless ephemeral) the state live. Required. */
  dataDir: string;
  /** Listen address; default 127.0.0.1 (loopback only: the token is cluster-admin). */
  host?: string;
  /** Listen port; default 0 (any free port; the kubeconfig says which). */
  port?: number;
  /** Keep objects in memory only; default false (state in `<dataDir>/cluster.db`). */
  ephemeral?: boolean;
  /** Simulated time runs this many times faster; default 1. */
  timeScale?: number;
  /** Create the seed namespaces, quotas and jobs on first start; default true. */
  seed?: boolean;
  /**
   * How many changes the API server keeps for watches and continue tokens to resume from; older
   * resourceVersions are answered 410 Expired. Default `DEFAULT_HISTORY_LIMIT` (5,000).
   */
  historyLimit?: number;
  logger?: Logger;
}

export interface EmbeddedCluster {
  url: string;
  kubeconfigPath: string;
  /** The static token file with the demo users' tokens. */
  tokenFilePath: string;
  /** A client configuration with cluster-admin rights, for in-process callers. */
  kubeConfig: KubeConfig;
  stop(): Promise<void>;
}

export const KUBECONFIG_FILE = 'kubeconfig';
/**
 * The API server's static token file (Kubernetes format `token,user,uid,"groups"`), made on
 * first start with random tokens for the demo users admin, alice and bob.
 */
export const TOKEN_FILE = 'tokens.csv';
export const STATE_FILE = 'cluster.db';
const PKI_DIR = 'pki';
const ADMIN_USER: UserInfo = { username: 'embedded-admin', groups: ['system:masters', 'system:authenticated'] };

interface Pki {
  caPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
  adminToken: string;
}

/**
 * The CA, serving certificate and admin token are made once per data dir and reused, so a
 * kubeconfig copied elsewhere (and kubectl's discovery cache) stays valid across restarts.
 */
async function loadOrCreatePki(dataDir: string): Promise<Pki> {
  const dir = join(dataDir, PKI_DIR);
  const files = { caPem: 'ca.crt', caKeyPem: 'ca.key', certPem: 'apiserver.crt', keyPem: 'apiserver.key', adminToken: 'admin.token' } as const;
  if (Object.values(files).every((name) => existsSync(join(dir, name)))) {
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    return {
      caPem: read(files.caPem),
      caKeyPem: read(files.caKeyPem),
      certPem: read(files.certPem),
      keyPem: read(files.keyPem),
      adminToken: read(files.adminToken).trim(),
    };
  }
  const ca = await createCertificateAuthority();
  const serving = await issueServingCertificate(ca);
  const pki: Pki = { ...ca, ...serving, adminToken: randomBytes(32).toString('base64url') };
  for (const [key, name] of Object.entries(files) as Array<[keyof Pki, string]>) {
    writePrivateFile(join(dir, name), pki[key]);
  }
  return pki;
}

export async function startEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const statePath = options.ephemeral ? undefined : join(dataDir, STATE_FILE);
  const firstStart = statePath === undefined || !existsSync(statePath);
  const pki = await loadOrCreatePki(dataDir);

  const tokenFilePath = join(dataDir, TOKEN_FILE);
  if (!existsSync(tokenFilePath)) writePrivateFile(tokenFilePath, renderTokenFile(generateDemoTokens()));
  const authenticate = createTokenAuthenticator({
    tokens: parseTokenFile(readFileSync(tokenFilePath, 'utf8'), { path: tokenFilePath }),
    extra: [{ token: pki.adminToken, user: ADMIN_USER }],
  });

  const store = openStore({ path: statePath, historyLimit: options.historyLimit ?? DEFAULT_HISTORY_LIMIT });
  // The roles every API server bootstraps, on every start, so an old data dir gets new ones.
  ensureObjects(store, [...bootstrapRbacObjects(), ...mpiOperatorRbacObjects()]);
  if (firstStart && options.seed !== false) ensureObjects(store, demoRbacObjects());
  const authorizer = createClusterAuthorizer({ store });
  const logs = new LogStore();
  const stopQuotaStatus = startQuotaStatusController(store);
  const stopGarbageCollector = startGarbageCollector(store, { timeScale: options.timeScale ?? 1 });
  const server = await startApiServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    tls: { key: pki.keyPem, cert: pki.certPem },
    store,
    logs,
    admission: [rbacAdmission({ authorizer, rules: authorizer }), mpiJobAdmission, jobStatusAdmission, quotaAdmission],
    authenticate,
    authorizer,
    reviews: createReviewHandler({ authorizer, rules: authorizer, authenticate }),
  });

  const kubeconfigPath = join(dataDir, KUBECONFIG_FILE);
  const kubeconfigText = renderKubeconfig({ server: server.url, caPem: pki.caPem, token: pki.adminToken });
  writePrivateFile(kubeconfigPath, kubeconfigText);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfigText);

  const controllers = await startControllers({
    kubeConfig,
    logs,
    timeScale: options.timeScale ?? 1,
    logger: options.logger,
  });
  await ensureSystemNamespaces(kubeConfig);
  if (firstStart && options.seed !== false) await seedCluster(kubeConfig);
  options.logger?.info({ url: server.url, kubeconfig: kubeconfigPath, ephemeral: Boolean(options.ephemeral) }, 'embedded cluster started');

  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    kubeconfigPath,
    tokenFilePath,
    kubeConfig,
    stop() {
      stopped ??= (async () => {
        await controllers.stop();
        await server.close();
        stopQuotaStatus();
        stopGarbageCollector();
        authorizer.close();
        store.close();
      })();
      return stopped;
    },
  };
}
