// The garbage collector's second duty, for the objects the simulated controllers make: delete
// those whose controlling MPIJob or Job no longer exists. Deleting an owner removes its
// dependents there and then, but a controller acting on a cache that is a moment behind can
// still create a pod for an owner that was just deleted; kube-controller-manager's collector
// removes such strays later, and so does this sweep.

import { MPIJOB_API_VERSION, MPIJOB_KIND, apiFailure, deleteIgnoringNotFound, type KindClient } from './client.ts';
import type { ControllerContext, RunningController } from './context.ts';
import { TimerSet } from './clock.ts';
import type { Informer } from './informer.ts';
import type { KubeObject } from './objects.ts';
import { controllerOf } from './objects.ts';

/** How often dependents are checked (real time). */
export const ORPHAN_SWEEP_INTERVAL_MS = 2_000;
/** An object must stay ownerless this long before it goes, so a cache catching up can clear it. */
export const ORPHAN_GRACE_MS = 3_000;

interface Dependents {
  resource: string;
  list: () => KubeObject[];
  remove: (namespace: string, name: string) => Promise<void>;
}

function dependents<T extends KubeObject>(resource: string, informer: Informer<T>, kind: KindClient<T>): Dependents {
  return {
    resource,
    list: () => informer.list(),
    remove: (namespace, name) => deleteIgnoringNotFound(() => kind.delete(namespace, name, { propagationPolicy: 'Background' })),
  };
}

export class OrphanSweeper implements RunningController {
  private readonly ctx: ControllerContext;
  private readonly timers = new TimerSet();
  /** `kind/namespace/name/uid` -> real time it was first seen without its owner. */
  private readonly suspects = new Map<string, number>();
  private sweeping: Promise<void> | undefined;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  start(): void {
    const tick = () => {
      this.sweeping = this.sweep()
        .catch((err: unknown) => this.ctx.logger.warn(`orphan sweep failed: ${apiFailure(err).message}`))
        .finally(() => {
          this.sweeping = undefined;
          this.timers.after(ORPHAN_SWEEP_INTERVAL_MS, tick);
        });
    };
    this.timers.after(ORPHAN_SWEEP_INTERVAL_MS, tick);
  }

  async stop(): Promise<void> {
    this.timers.stop();
    await this.sweeping;
  }

  private ownerExists(obj: KubeObject): boolean | undefined {
    const ref = controllerOf(obj);
    if (!ref) return undefined;
    const namespace = obj.metadata.namespace ?? '';
    let owner: KubeObject | undefined;
    if (ref.kind === MPIJOB_KIND && ref.apiVersion === MPIJOB_API_VERSION) owner = this.ctx.informers.mpiJobs.get(namespace, ref.name);
    else if (ref.kind === 'Job' && ref.apiVersion === 'batch/v1') owner = this.ctx.informers.jobs.get(namespace, ref.name);
    else return undefined;
    return owner !== undefined && owner.metadata.uid === ref.uid;
  }

  private async sweep(): Promise<void> {
    const { informers, client } = this.ctx;
    const groups = [
      dependents('pods', informers.pods, client.pods),
      dependents('jobs', informers.jobs, client.jobs),
      dependents('configmaps', informers.configMaps, client.configMaps),
      dependents('services', informers.services, client.services),
      dependents('secrets', informers.secrets, client.secrets),
    ];
    const now = this.ctx.clock.now();
    const stillSuspect = new Set<string>();
    for (const { resource, list, remove } of groups) {
      for (const obj of list()) {
        if (this.ownerExists(obj) !== false) continue;
        const key = `${resource}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}/${obj.metadata.uid ?? ''}`;
        stillSuspect.add(key);
        const since = this.suspects.get(key) ?? now;
        this.suspects.set(key, since);
        if (now - since < ORPHAN_GRACE_MS) continue;
        this.ctx.logger.info(`deleting ${resource} ${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}: its owner is gone`);
        await remove(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
        this.suspects.delete(key);
      }
    }
    for (const key of [...this.suspects.keys()]) if (!stillSuspect.has(key)) this.suspects.delete(key);
  }
}

export function startOrphanSweeper(ctx: ControllerContext): RunningController {
  const sweeper = new OrphanSweeper(ctx);
  sweeper.start();
  return sweeper;
}
