// The admission chain's contract. The REST layer builds an AdmissionRequest for every write and
// runs the mutating plugins (in order), then the validating ones, before anything is stored;
// plugins refuse by throwing a StatusError (422 Invalid, 403 Forbidden, ...).

import type { ResourceInfo } from './resources.ts';
import type { KubeObject } from './types.ts';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

export interface AdmissionRequest {
  operation: AdmissionOperation;
  info: ResourceInfo;
  /** Set for writes to a subresource (`status`); admission of the main resource skips these. */
  subresource?: 'status';
  namespace: string | undefined;
  name: string;
  /** The object to be stored (CREATE, UPDATE); undefined for DELETE. */
  object: KubeObject | undefined;
  /** The stored object (UPDATE, DELETE); undefined for CREATE. */
  oldObject: KubeObject | undefined;
  dryRun: boolean;
  user: UserInfo;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreChange {
  type: WatchEventType;
  info: ResourceInfo;
  object: KubeObject;
}

/** What admission plugins and in-server controllers may do with the store. */
export interface InternalStore {
  list(info: ResourceInfo, namespace?: string): KubeObject[];
  get(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Called after every committed change, in commit order. Returns the unsubscribe function. */
  onChange(listener: (change: StoreChange) => void): () => void;
  /** Replaces `.status` with no admission; new resourceVersion; emits MODIFIED. No-op if absent. */
  writeStatus(info: ResourceInfo, namespace: string | undefined, name: string, status: unknown): void;
}

export interface AdmissionPlugin {
  readonly name: string;
  /** Mutating phase: return the object to store instead (defaulting, dropped nulls). */
  mutate?(request: AdmissionRequest, store: InternalStore): KubeObject | undefined;
  /** Validating phase: throw a StatusError to refuse. */
  validate?(request: AdmissionRequest, store: InternalStore): void;
}
