import { describe, expect, it } from 'vitest';
import { SILENT_LOGGER } from './logger.ts';
import { WorkQueue } from './queue.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 1));
}

describe('WorkQueue', () => {
  it('reconciles a key added many times before start only once', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue({ name: 't', logger: SILENT_LOGGER, reconcile: async (key) => void seen.push(key) });
    queue.add('a/x');
    queue.add('a/x');
    queue.add('a/y');
    queue.start();
    await until(() => queue.idle);
    expect(seen).toEqual(['a/x', 'a/y']);
    await queue.stop();
  });

  it('never runs the same key twice at once and runs it again when it changed meanwhile', async () => {
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const queue = new WorkQueue({
      name: 't',
      logger: SILENT_LOGGER,
      reconcile: async () => {
        running++;
        runs++;
        maxRunning = Math.max(maxRunning, running);
        if (runs === 1) await gate.promise;
        running--;
      },
    });
    queue.start();
    queue.add('k');
    await until(() => runs === 1);
    queue.add('k');
    queue.add('k');
    gate.resolve();
    await until(() => queue.idle && runs === 2);
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
    await queue.stop();
  });

  it('retries a failing key until it succeeds', async () => {
    let attempts = 0;
    const queue = new WorkQueue({
      name: 't',
      logger: SILENT_LOGGER,
      retryMinMs: 1,
      reconcile: async () => {
        attempts++;
        if (attempts < 3) throw new Error('not yet');
      },
    });
    queue.start();
    queue.add('k');
    await until(() => attempts === 3 && queue.idle);
    expect(attempts).toBe(3);
    await queue.stop();
  });

  it('runs a key again when the reconcile asks for a requeue', async () => {
    let runs = 0;
    const queue = new WorkQueue({
      name: 't',
      logger: SILENT_LOGGER,
      reconcile: async () => {
        runs++;
        return runs < 2 ? { requeueAfterMs: 5 } : undefined;
      },
    });
    queue.start();
    queue.add('k');
    await until(() => runs === 2 && queue.idle);
    expect(runs).toBe(2);
    await queue.stop();
  });

  it('drops delayed keys on stop so nothing runs afterwards', async () => {
    let runs = 0;
    const queue = new WorkQueue({ name: 't', logger: SILENT_LOGGER, reconcile: async () => void runs++ });
    queue.start();
    queue.addAfter('k', 20);
    await queue.stop();
    await new Promise((r) => setTimeout(r, 40));
    expect(runs).toBe(0);
  });
});
