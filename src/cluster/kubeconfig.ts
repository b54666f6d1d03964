// The kubeconfig the embedded cluster hands to the gateway and to kubectl: the CA inline, the
// HTTPS URL, a cluster-admin bearer token. Nothing else in the gateway learns it is an emulator.

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export const EMBEDDED_CONTEXT_NAME = 'mpijob-gateway-embedded';
export const EMBEDDED_USER_NAME = 'embedded-admin';

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  token: string;
  /** Default namespace of the context; default `default`. */
  namespace?: string;
}

export function renderKubeconfig(options: KubeconfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: EMBEDDED_CONTEXT_NAME,
        cluster: {
          server: options.server,
          'certificate-authority-data': Buffer.from(options.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name: EMBEDDED_USER_NAME, user: { token: options.token } }],
    contexts: [
      {
        name: EMBEDDED_CONTEXT_NAME,
        context: { cluster: EMBEDDED_CONTEXT_NAME, user: EMBEDDED_USER_NAME, namespace: options.namespace ?? 'default' },
      },
    ],
    'current-context': EMBEDDED_CONTEXT_NAME,
  });
}

/** Writes a file readable only by its owner, atomically, so a reader never sees half of it. */
export function writePrivateFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  renameSync(temporary, path);
}
