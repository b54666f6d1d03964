// A controller work queue keyed by object (`namespace/name`), as client-go's workqueue works: a
// key queued many times is reconciled once; a key is never reconciled twice at the same time (a
// change during a reconcile queues it again after); failures are retried with per-key
// exponential backoff; a reconcile may ask to be run again after a delay.

import { apiFailure, isConflict } from './client.ts';
import { TimerSet } from './clock.ts';
import type { Logger } from './logger.ts';

/** First retry delay after a failed reconcile; doubles per consecutive failure of the key. */
export const RECONCILE_RETRY_MIN_MS = 50;
/** The longest retry delay. */
export const RECONCILE_RETRY_MAX_MS = 30_000;
/**
 * A reconcile that lost an optimistic-concurrency race (409 Conflict: its cache was behind) is
 * simply run again soon, once the cache has caught up; it is not a failure worth a log line.
 */
export const CONFLICT_RETRY_MS = 20;
/** Keys reconciled at the same time. */
export const DEFAULT_CONCURRENCY = 4;

export interface ReconcileResult {
  /** Reconcile this key again after this many real milliseconds. */
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  name: string;
  reconcile: (key: string) => Promise<ReconcileResult | void>;
  logger: Logger;
  /** Default DEFAULT_CONCURRENCY. */
  concurrency?: number;
  /** Default RECONCILE_RETRY_MIN_MS. */
  retryMinMs?: number;
  /** Default RECONCILE_RETRY_MAX_MS. */
  retryMaxMs?: number;
}

export class WorkQueue {
  private readonly options: WorkQueueOptions;
  private readonly timers = new TimerSet();
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { dueMs: number; cancel: () => void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private started = false;
  private stopped = false;

  constructor(options: WorkQueueOptions) {
    this.options = options;
  }

  /** Keys added before start wait; start begins processing them. */
  start(): void {
    this.started = true;
    this.pump();
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(key);
    this.pump();
  }

  /** Adds the key after `delayMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const dueMs = Date.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.dueMs <= dueMs) return;
    existing?.cancel();
    const cancel = this.timers.after(delayMs, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { dueMs, cancel });
  }

  /** Stops processing, cancels delayed keys and waits for running reconciles to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.stop();
    this.delayed.clear();
    this.pending.length = 0;
    this.queued.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** True when nothing is queued, delayed or running. */
  get idle(): boolean {
    return this.pending.length === 0 && this.active.size === 0 && this.delayed.size === 0;
  }

  private pump(): void {
    if (!this.started || this.stopped) return;
    const concurrency = this.options.concurrency ?? DEFAULT_CONCURRENCY;
    while (this.active.size < concurrency && this.pending.length > 0) {
      const key = this.pending.shift();
      if (key === undefined) break;
      this.queued.delete(key);
      this.active.add(key);
      const run = this.process(key).finally(() => {
        this.inFlight.delete(run);
      });
      this.inFlight.add(run);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      const result = await this.options.reconcile(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (!this.stopped && isConflict(err)) {
        this.addAfter(key, CONFLICT_RETRY_MS);
      } else if (!this.stopped) {
        const count = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, count);
        const min = this.options.retryMinMs ?? RECONCILE_RETRY_MIN_MS;
        const max = this.options.retryMaxMs ?? RECONCILE_RETRY_MAX_MS;
        const delayMs = Math.min(max, min * 2 ** (count - 1));
        this.options.logger.warn(`${this.options.name}: reconcile ${key} failed (retry in ${delayMs} ms): ${apiFailure(err).message}`);
        this.addAfter(key, delayMs);
      }
    } finally {
      this.active.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
