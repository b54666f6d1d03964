import { describe, expect, it } from 'vitest';
import { SubscriberQueue } from './subscriber-queue.ts';

class TooSlow extends Error {}

function queue<T>(capacity: number, onClose?: () => void): SubscriberQueue<T> {
  return new SubscriberQueue<T>({ capacity, overflowError: () => new TooSlow('too slow'), onClose });
}

describe('SubscriberQueue', () => {
  it('delivers items in the order they were pushed, then ends after draining', async () => {
    const q = queue<number>(10);
    q.push(1);
    q.push(2);
    q.end();
    const seen: number[] = [];
    for await (const item of q.iterator()) seen.push(item);
    expect(seen).toEqual([1, 2]);
  });

  it('ends with an error after draining, without dropping what was queued', async () => {
    const q = queue<number>(10);
    const waiting = q.iterator().next();
    q.end(new TooSlow('gone'));
    await expect(waiting).rejects.toThrow('gone');
    const r = queue<number>(10);
    r.push(1);
    r.end(new TooSlow('gone'));
    const items = r.iterator();
    await expect(items.next()).resolves.toEqual({ done: false, value: 1 });
    await expect(items.next()).rejects.toThrow('gone');
  });

  it('wakes a consumer that is already waiting', async () => {
    const q = queue<string>(10);
    const it = q.iterator();
    const pending = it.next();
    q.push('a');
    await expect(pending).resolves.toEqual({ done: false, value: 'a' });
  });

  it('coalesces a synchronous burst into one batch for a waiting consumer', async () => {
    const q = queue<number>(100);
    const batches = q.batches(50);
    const pending = batches.next();
    for (let i = 0; i < 5; i++) q.push(i);
    await expect(pending).resolves.toEqual({ done: false, value: [0, 1, 2, 3, 4] });
  });

  it('caps a batch at the requested size', async () => {
    const q = queue<number>(100);
    for (let i = 0; i < 7; i++) q.push(i);
    const batches = q.batches(3);
    expect((await batches.next()).value).toEqual([0, 1, 2]);
    expect((await batches.next()).value).toEqual([3, 4, 5]);
    expect((await batches.next()).value).toEqual([6]);
  });

  it('fails the consumer with the overflow error when a push finds it full, and detaches once', async () => {
    let closes = 0;
    const q = queue<number>(2, () => (closes += 1));
    expect(q.push(1)).toBe(true);
    expect(q.push(2)).toBe(true);
    expect(q.push(3)).toBe(false);
    expect(q.open).toBe(false);
    expect(q.length).toBe(0);
    await expect(q.iterator().next()).rejects.toBeInstanceOf(TooSlow);
    q.close();
    expect(closes).toBe(1);
  });

  it('rejects a consumer that is waiting when the queue fails', async () => {
    const q = queue<number>(2);
    const pending = q.iterator().next();
    q.fail(new TooSlow('gone'));
    await expect(pending).rejects.toThrow('gone');
  });

  it('closes and detaches the producer when the consumer returns', async () => {
    let closes = 0;
    const q = queue<number>(2, () => (closes += 1));
    const it = q.iterator();
    const pending = it.next();
    await it.return?.();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(q.push(1)).toBe(false);
    expect(closes).toBe(1);
  });

  it('does not count preloaded items against the capacity', async () => {
    const q = queue<number>(2);
    q.preload([1, 2, 3, 4, 5]);
    expect(q.push(6)).toBe(true);
    expect(q.push(7)).toBe(true);
    expect(q.push(8)).toBe(false);
    await expect(q.iterator().next()).rejects.toBeInstanceOf(TooSlow);
  });

  it('lets live items fill the capacity again once the preloaded ones are consumed', async () => {
    const q = queue<number>(2);
    q.preload([1, 2, 3]);
    const it = q.iterator();
    expect((await it.next()).value).toBe(1);
    expect((await it.next()).value).toBe(2);
    expect(q.push(4)).toBe(true);
    expect((await it.next()).value).toBe(3);
    expect(q.push(5)).toBe(true);
    expect(q.push(6)).toBe(false);
  });

  it('keeps order across many pushes and pulls', async () => {
    const q = queue<number>(5000);
    for (let i = 0; i < 3000; i++) q.push(i);
    const it = q.iterator();
    const seen: number[] = [];
    for (let i = 0; i < 1500; i++) seen.push((await it.next()).value as number);
    for (let i = 3000; i < 4000; i++) q.push(i);
    q.end();
    for await (const item of it) seen.push(item);
    expect(seen).toEqual(Array.from({ length: 4000 }, (_, i) => i));
  });
});
