// `npm start`: configuration -> (embedded cluster when no cluster is configured) -> gateway ->
// clean shutdown on SIGINT/SIGTERM. The only gateway file that knows the emulator exists.

import { resolve } from 'node:path';
import { pino } from 'pino';
import { startEmbeddedCluster, type EmbeddedCluster } from './cluster/cluster.ts';
import { ConfigError, loadConfig, USAGE } from './config.ts';
import { startGateway, type Gateway } from './gateway.ts';
import type { AuthOptions } from './auth/strategies.ts';
import type { KubeSource } from './kube/client.ts';

/** Exit code for a configuration the gateway cannot run with. */
const EXIT_USAGE = 2;

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (loaded.help) {
    process.stdout.write(USAGE);
    return;
  }
  const { config } = loaded;
  const logger = pino({ level: config.logLevel });

  // Handlers go in before anything starts, so a signal during start-up also shuts down cleanly.
  let cluster: EmbeddedCluster | undefined;
  let gateway: Gateway | undefined;
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    await gateway?.stop();
    await cluster?.stop();
  };
  const shutdown = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopAll().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  let kube: KubeSource;
  if (config.cluster.kind === 'embedded') {
    cluster = await startEmbeddedCluster({
      dataDir: resolve(config.dataDir),
      ephemeral: config.cluster.ephemeral,
      timeScale: config.cluster.timeScale,
      logger: logger.child({ component: 'cluster' }),
    });
    kube = { kind: 'kubeconfig', path: cluster.kubeconfigPath };
  } else {
    kube = config.cluster;
  }
  // A signal that arrived while the cluster started has already stopped it.
  if (stopping) return;

  let auth: AuthOptions;
  if (config.auth.strategy === 'token-file') {
    const tokenFile = config.auth.tokenFile ?? cluster?.tokenFilePath;
    // loadConfig refuses a token-file strategy without a file unless the cluster is embedded.
    if (!tokenFile) throw new Error('the token-file strategy has no token file');
    auth = { strategy: 'token-file', tokenFile };
  } else {
    auth = config.auth;
  }

  gateway = await startGateway({
    kube,
    namespaces: config.namespaces,
    host: config.host,
    port: config.port,
    logger,
    auth,
    audit: { file: resolve(config.auditLog), stream: process.stdout },
    production: config.production,
    allowedOrigins: config.allowedOrigins,
    subscriptions: { maxConnectionsPerUser: config.maxConnectionsPerUser, maxSubscriptionsPerUser: config.maxSubscriptionsPerUser },
  });
  if (stopping) {
    await gateway.stop();
    return;
  }
  process.stdout.write(
    `GraphQL:    ${gateway.url}\n` +
      (kube.kind === 'kubeconfig' ? `Kubeconfig: ${kube.path}${cluster ? ' (embedded cluster)' : ''}\n` : 'Kubeconfig: in-cluster service account\n') +
      (auth.strategy === 'token-file'
        ? `Tokens:     ${auth.tokenFile}${cluster && auth.tokenFile === cluster.tokenFilePath ? ' (demo users admin, alice, bob; send Authorization: Bearer <token>)' : ''}\n`
        : `Auth:       ${auth.strategy === 'oidc' ? `OIDC tokens from ${auth.issuer}` : 'Kubernetes tokens (TokenReview)'}\n`) +
      `Audit log:  ${resolve(config.auditLog)}\n`,
  );
  gateway.synced.then(
    () => logger.info('watch caches synced; ready'),
    (error: unknown) => logger.error({ err: error }, 'watch caches failed to sync'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
