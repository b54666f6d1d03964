// `npm run cluster -- --data-dir DIR [--port P] [--host H] [--ephemeral] [--time-scale N]`:
// the embedded cluster alone, for kubectl or for a gateway started elsewhere with --kubeconfig.

import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startEmbeddedCluster } from './cluster.ts';

const USAGE = `Usage: npm run cluster -- [options]

  --data-dir DIR     where the kubeconfig and state are kept (default ./.mpijob-gateway)
  --host HOST        listen address (default 127.0.0.1)
  --port PORT        listen port (default 6443; 0 = any free port)
  --ephemeral        keep objects in memory only (the kubeconfig is still written)
  --time-scale N     simulated time runs N times faster (default 1)
  --no-seed          do not create the demo namespaces and jobs on first start
  -h, --help         this text`;

export const DEFAULT_CLUSTER_PORT = 6443;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseNumber(name: string, text: string | undefined, fallback: number, check: (n: number) => boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || !check(value)) fail(`--${name} must be a valid number, got "${text}"`);
  return value;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'data-dir': { type: 'string', default: './.mpijob-gateway' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        ephemeral: { type: 'boolean', default: false },
        'time-scale': { type: 'string' },
        'no-seed': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = parseNumber('port', values.port, DEFAULT_CLUSTER_PORT, (n) => Number.isInteger(n) && n >= 0 && n <= 65_535);
  const timeScale = parseNumber('time-scale', values['time-scale'], 1, (n) => n > 0);
  const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info' });

  const cluster = await startEmbeddedCluster({
    dataDir: values['data-dir'],
    host: values.host,
    port,
    ephemeral: values.ephemeral,
    timeScale,
    seed: !values['no-seed'],
    logger,
  });
  process.stdout.write(
    `Embedded cluster: ${cluster.url}\nKubeconfig:       ${cluster.kubeconfigPath}\n` +
      `Try:              kubectl --kubeconfig ${cluster.kubeconfigPath} get mpijobs -A\n`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping embedded cluster');
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
