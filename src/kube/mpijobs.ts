// MPIJob writes: the thin adapter between the mutation service and the Kubernetes API.
// Errors are mapped here, once, onto the gateway's error set.

import type { Impersonation, KubeClient } from './client.ts';
import { mapKubeError } from './errors.ts';
import { MPIJOB_GROUP, MPIJOB_PLURAL, MPIJOB_VERSION } from './labels.ts';
import type { MPIJobObject } from './objects.ts';

const MERGE_PATCH = 'application/merge-patch+json';
const DRY_RUN_ALL = 'All';
/** The field manager the gateway's writes are recorded under in managedFields. */
export const FIELD_MANAGER = 'mpijob-gateway';

export interface WriteOptions {
  dryRun?: boolean;
  /** Issue 5: writes made as the user. */
  impersonate?: Impersonation;
}

export interface MpiJobWriter {
  create(manifest: MPIJobObject, options?: WriteOptions): Promise<MPIJobObject>;
  delete(namespace: string, name: string, options?: WriteOptions): Promise<void>;
  setSuspended(namespace: string, name: string, suspend: boolean, options?: WriteOptions): Promise<MPIJobObject>;
}

function collection(namespace: string): string {
  return `/apis/${MPIJOB_GROUP}/${MPIJOB_VERSION}/namespaces/${encodeURIComponent(namespace)}/${MPIJOB_PLURAL}`;
}

function query(options: WriteOptions | undefined, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ fieldManager: FIELD_MANAGER, ...extra });
  if (options?.dryRun) params.set('dryRun', DRY_RUN_ALL);
  return params.toString();
}

async function mapped<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw mapKubeError(error);
  }
}

export class KubeMpiJobWriter implements MpiJobWriter {
  private readonly client: KubeClient;

  constructor(client: KubeClient) {
    this.client = client;
  }

  create(manifest: MPIJobObject, options?: WriteOptions): Promise<MPIJobObject> {
    const namespace = manifest.metadata.namespace ?? '';
    return mapped(
      this.client.request<MPIJobObject>({
        method: 'POST',
        path: `${collection(namespace)}?${query(options)}`,
        body: manifest,
        ...(options?.impersonate ? { impersonate: options.impersonate } : {}),
      }),
    );
  }

  async delete(namespace: string, name: string, options?: WriteOptions): Promise<void> {
    const params = new URLSearchParams();
    if (options?.dryRun) params.set('dryRun', DRY_RUN_ALL);
    const suffix = params.size > 0 ? `?${params.toString()}` : '';
    await mapped(
      this.client.request<unknown>({
        method: 'DELETE',
        path: `${collection(namespace)}/${encodeURIComponent(name)}${suffix}`,
        // Background: the job goes now; the garbage collector removes its pods and services.
        body: { propagationPolicy: 'Background' },
        ...(options?.impersonate ? { impersonate: options.impersonate } : {}),
      }),
    );
  }

  setSuspended(namespace: string, name: string, suspend: boolean, options?: WriteOptions): Promise<MPIJobObject> {
    return mapped(
      this.client.request<MPIJobObject>({
        method: 'PATCH',
        path: `${collection(namespace)}/${encodeURIComponent(name)}?${query(options)}`,
        contentType: MERGE_PATCH,
        body: { spec: { runPolicy: { suspend } } },
        ...(options?.impersonate ? { impersonate: options.impersonate } : {}),
      }),
    );
  }
}
