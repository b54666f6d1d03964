// `gatewayStatus`: how fresh the gateway's data is, per watch, from the informers' own status
// and the change hubs' latest cursors, read at one instant.

import type { InformerState, InformerStatus } from '../kube/informers.ts';
import type { ClusterHubs } from '../kube/hubs.ts';

export type WatchState = 'LIVE' | 'STARTING' | 'RECONNECTING' | 'STOPPED';

const WATCH_STATES: Record<InformerState, WatchState> = {
  synced: 'LIVE',
  starting: 'STARTING',
  backoff: 'RECONNECTING',
  stopped: 'STOPPED',
};

export interface WatchStatusModel {
  resource: string;
  namespace: string | null;
  state: WatchState;
  synced: boolean;
  lastEventAt: string | null;
  relists: number;
  restarts: number;
  lastError: string | null;
  objects: number;
}

export interface GatewayStatusModel {
  live: boolean;
  /** Every watch; the `watches` field shows each viewer only the ones it may see. */
  allWatches: WatchStatusModel[];
  cursors: { mpiJobs: string; pods: string; events: string };
  checkedAt: string;
}

export function toWatchStatusModel(status: InformerStatus): WatchStatusModel {
  return {
    resource: status.resource,
    namespace: status.namespace === '' ? null : status.namespace,
    state: WATCH_STATES[status.state],
    synced: status.synced,
    lastEventAt: status.lastEventAtMs === undefined ? null : new Date(status.lastEventAtMs).toISOString(),
    relists: Math.max(0, status.lists - 1),
    restarts: status.restarts,
    lastError: status.lastError ?? null,
    objects: status.objects,
  };
}

export function gatewayStatusModel(statuses: readonly InformerStatus[], hubs: ClusterHubs, nowMs: number): GatewayStatusModel {
  const allWatches = statuses.map(toWatchStatusModel);
  return {
    live: allWatches.every((w) => w.state === 'LIVE'),
    allWatches,
    cursors: { mpiJobs: hubs.mpiJobs.headCursor, pods: hubs.pods.headCursor, events: hubs.events.headCursor },
    checkedAt: new Date(nowMs).toISOString(),
  };
}
