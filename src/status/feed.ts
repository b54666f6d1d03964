// When `gatewayStatus` subscribers hear again: at once when a watch changes state or relists,
// and on a slow beat while changes arrive (so `lastEventAt` moves), never when nothing changed.
// One listener and one timer for every subscriber.

import type { WatchStatusSource } from '../graph/live.ts';
import { SubscriberQueue } from '../kube/subscriber-queue.ts';
import type { GatewayStatusModel } from './model.ts';

/** How often `lastEventAt` is refreshed for subscribers while changes arrive. */
export const STATUS_REFRESH_MS = 5_000;
/** Status updates held for a subscriber that is behind (each one supersedes the last anyway). */
export const STATUS_QUEUE_CAPACITY = 16;

/** One moment worth telling subscribers about; the same object for all of them. */
export interface StatusTick {
  status: GatewayStatusModel;
}

export interface StatusFeedOptions {
  watches: WatchStatusSource;
  /** The status at an instant. */
  status: (nowMs: number) => GatewayStatusModel;
  /** Default STATUS_REFRESH_MS. */
  refreshMs?: number;
  /** Default Date.now. */
  now?: () => number;
  overflowError: () => Error;
}

export class StatusFeed {
  private readonly options: StatusFeedOptions;
  private readonly now: () => number;
  private readonly subscribers = new Set<SubscriberQueue<StatusTick>>();
  private unsubscribeWatches: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private lastEventSeenMs = 0;

  constructor(options: StatusFeedOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** A queue that starts with the status now. */
  subscribe(): SubscriberQueue<StatusTick> {
    const queue: SubscriberQueue<StatusTick> = new SubscriberQueue<StatusTick>({
      capacity: STATUS_QUEUE_CAPACITY,
      overflowError: this.options.overflowError,
      onClose: () => {
        this.subscribers.delete(queue);
        if (this.subscribers.size === 0) this.idle();
      },
    });
    queue.push({ status: this.options.status(this.now()) });
    this.subscribers.add(queue);
    if (this.subscribers.size === 1) this.activate();
    return queue;
  }

  stop(): void {
    for (const queue of [...this.subscribers]) queue.end();
    this.idle();
  }

  private activate(): void {
    this.lastEventSeenMs = this.latestEventMs();
    this.unsubscribeWatches = this.options.watches.onEvent(() => this.schedule());
    const refreshMs = this.options.refreshMs ?? STATUS_REFRESH_MS;
    this.timer = setInterval(() => {
      if (this.latestEventMs() !== this.lastEventSeenMs) this.schedule();
    }, refreshMs);
    this.timer.unref();
  }

  private idle(): void {
    this.unsubscribeWatches?.();
    this.unsubscribeWatches = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private latestEventMs(): number {
    let latest = 0;
    for (const status of this.options.watches.statuses()) latest = Math.max(latest, status.lastEventAtMs ?? 0);
    return latest;
  }

  /** Several informers changing together make one update. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.lastEventSeenMs = this.latestEventMs();
      const tick: StatusTick = { status: this.options.status(this.now()) };
      for (const queue of [...this.subscribers]) queue.push(tick);
    });
  }
}
