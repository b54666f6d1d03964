// One subscriber's buffer between a shared producer (a change hub, a log stream) and its
// consumer (graphql-ws's send loop, which pulls the next item once the previous frame has been
// handed to the socket). The producer never waits for a consumer: a push into a full queue ends
// that subscriber with an error, so one client that stops reading costs a bounded amount of
// memory and slows nobody else.

export interface SubscriberQueueOptions {
  /** Items held for a consumer that has not pulled them yet; one more ends the subscriber. Required. */
  capacity: number;
  /** The error a consumer that fell behind receives. */
  overflowError: () => Error;
  /** Called once when the queue closes for any reason, so the producer can detach. */
  onClose?: () => void;
}

type QueueState = 'open' | 'ending' | 'failed' | 'closed';

interface Waiter<T> {
  max: number;
  resolve: (items: T[] | undefined) => void;
  reject: (error: Error) => void;
}

/** Above this many consumed slots the backing array is compacted, so shifting stays O(1) amortised. */
const COMPACT_AFTER_ITEMS = 1024;

export class SubscriberQueue<T> {
  private items: T[] = [];
  private head = 0;
  /** Leading items that were preloaded and not yet consumed; they do not count against capacity. */
  private preloaded = 0;
  private state: QueueState = 'open';
  private failure: Error | undefined;
  private waiter: Waiter<T> | undefined;
  private flushScheduled = false;
  private readonly capacity: number;
  private readonly overflowError: () => Error;
  private onClose: (() => void) | undefined;

  constructor(options: SubscriberQueueOptions) {
    if (!(options.capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.capacity = options.capacity;
    this.overflowError = options.overflowError;
    this.onClose = options.onClose;
  }

  /** Items waiting for the consumer. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** False once the queue accepts no more items (ended, failed or left by its consumer). */
  get open(): boolean {
    return this.state === 'open';
  }

  /**
   * Adds items that are held elsewhere anyway (a replay from a shared history) without the
   * capacity check, so a client catching up after a reconnect is not taken for a slow one.
   * Call before the first push: preloaded items lead the queue.
   */
  preload(items: readonly T[]): void {
    if (this.state !== 'open' || items.length === 0) return;
    for (const item of items) this.items.push(item);
    this.preloaded += items.length;
    this.scheduleFlush();
  }

  /** Adds an item; returns false when the queue is closed or the item overflowed it (which fails it). */
  push(item: T): boolean {
    if (this.state !== 'open') return false;
    if (this.length - this.preloaded >= this.capacity) {
      this.fail(this.overflowError());
      return false;
    }
    this.items.push(item);
    this.scheduleFlush();
    return true;
  }

  /**
   * No more items: the consumer receives what is queued, then the end; with `error`, that error
   * instead of the end (nothing queued is dropped, unlike `fail`).
   */
  end(error?: Error): void {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.failure = error;
    this.detach();
    this.scheduleFlush();
  }

  /** Ends the subscriber now with `error`; queued items are dropped. */
  fail(error: Error): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'failed';
    this.failure = error;
    this.dropItems();
    this.detach();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  /** The consumer left (graphql-ws calls `return` on complete or disconnect). */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dropItems();
    this.detach();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(undefined);
  }

  /** One item per pull. */
  iterator(): AsyncIterableIterator<T> {
    const next = async (): Promise<IteratorResult<T>> => {
      const items = await this.take(1);
      const [item] = items ?? [];
      return items === undefined || item === undefined ? { done: true, value: undefined } : { done: false, value: item };
    };
    return this.wrap(next);
  }

  /** Everything queued (up to `maxItems`) per pull: a burst becomes one message. */
  batches(maxItems: number): AsyncIterableIterator<T[]> {
    const next = async (): Promise<IteratorResult<T[]>> => {
      const items = await this.take(maxItems);
      return items === undefined ? { done: true, value: undefined } : { done: false, value: items };
    };
    return this.wrap(next);
  }

  private wrap<R>(next: () => Promise<IteratorResult<R>>): AsyncIterableIterator<R> {
    const iterator: AsyncIterableIterator<R> = {
      next,
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
      throw: async (error: unknown) => {
        this.close();
        throw error;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Resolves to up to `max` items, or undefined at the end; rejects after a failure. */
  private take(max: number): Promise<T[] | undefined> {
    if (this.state === 'failed') return Promise.reject(this.failure ?? new Error('subscription failed'));
    if (this.length > 0) return Promise.resolve(this.shift(max));
    if (this.state === 'ending' && this.failure) return Promise.reject(this.failure);
    if (this.state !== 'open') return Promise.resolve(undefined);
    if (this.waiter) return Promise.reject(new Error('a subscriber queue has one consumer at a time'));
    return new Promise((resolve, reject) => {
      this.waiter = { max, resolve, reject };
    });
  }

  /**
   * Hands queued items to a waiting consumer after the current synchronous burst of pushes, so
   * lines parsed from one network chunk travel together.
   */
  private scheduleFlush(): void {
    if (!this.waiter || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      const waiter = this.waiter;
      if (!waiter) return;
      if (this.length > 0) {
        this.waiter = undefined;
        waiter.resolve(this.shift(waiter.max));
      } else if (this.state !== 'open') {
        this.waiter = undefined;
        if (this.state === 'ending' && this.failure) waiter.reject(this.failure);
        else waiter.resolve(undefined);
      }
    });
  }

  private shift(max: number): T[] {
    const end = Math.min(this.items.length, this.head + max);
    const out = this.items.slice(this.head, end);
    this.head = end;
    this.preloaded = Math.max(0, this.preloaded - out.length);
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > COMPACT_AFTER_ITEMS) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private dropItems(): void {
    this.items = [];
    this.head = 0;
    this.preloaded = 0;
  }

  private detach(): void {
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.();
  }
}
