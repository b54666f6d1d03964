import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SharedObjectStore } from './cache.ts';
import { ChangeHub, InvalidCursorError, type HubEvent } from './hub.ts';
import type { KubeObject } from './objects.ts';

interface Thing extends KubeObject {
  spec?: { job?: string; n?: number };
}

class Overflow extends Error {}

function thing(namespace: string, name: string, n = 0, job = name): Thing {
  return { metadata: { namespace, name, resourceVersion: String(n) }, spec: { job, n } };
}

function setup(historySize = 100, epoch = 'e1') {
  const store = new SharedObjectStore<Thing>();
  const hub = new ChangeHub<Thing>({ kind: 'things', cache: store, jobOf: (t) => t.spec?.job, logger: pino({ level: 'silent' }), historySize, epoch });
  return { store, hub };
}

const subscribeOptions = { capacity: 100, overflowError: () => new Overflow('too slow') };

function drainNow<T>(queue: { length: number; iterator(): AsyncIterableIterator<T> }): Promise<T[]> {
  const n = queue.length;
  const it = queue.iterator();
  return Promise.all(Array.from({ length: n }, () => it.next().then((r) => r.value as T)));
}

const summary = (events: HubEvent<Thing>[]) => events.map((e) => `${e.type} ${e.object?.metadata.namespace ?? '-'}/${e.object?.metadata.name ?? '-'}`);

describe('ChangeHub', () => {
  it('delivers the changes of its scope, in order, with strictly increasing cursors', async () => {
    const { store, hub } = setup();
    const all = hub.subscribe({ scope: {}, ...subscribeOptions });
    const inA = hub.subscribe({ scope: { namespace: 'a' }, ...subscribeOptions });
    const oneJob = hub.subscribe({ scope: { namespace: 'a', job: 'x' }, ...subscribeOptions });
    store.upsert(thing('a', 'x', 1));
    store.upsert(thing('b', 'y', 1));
    store.upsert(thing('a', 'z', 1));
    store.upsert(thing('a', 'x', 2));
    store.remove(thing('a', 'x', 2));

    const allEvents = await drainNow(all);
    expect(summary(allEvents)).toEqual(['ADDED a/x', 'ADDED b/y', 'ADDED a/z', 'MODIFIED a/x', 'DELETED a/x']);
    expect(allEvents.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(allEvents.map((e) => e.cursor)).size).toBe(5);
    expect(summary(await drainNow(inA))).toEqual(['ADDED a/x', 'ADDED a/z', 'MODIFIED a/x', 'DELETED a/x']);
    expect(summary(await drainNow(oneJob))).toEqual(['ADDED a/x', 'MODIFIED a/x', 'DELETED a/x']);
  });

  it('leaves out objects the subscriber may not see', async () => {
    const { store, hub } = setup();
    const q = hub.subscribe({ scope: {}, accept: (t) => t.metadata.namespace !== 'secret', ...subscribeOptions });
    store.upsert(thing('secret', 's'));
    store.upsert(thing('open', 'o'));
    expect(summary(await drainNow(q))).toEqual(['ADDED open/o']);
  });

  it('replays every change after a cursor to a subscriber that reconnects', async () => {
    const { store, hub } = setup();
    const first = hub.subscribe({ scope: { namespace: 'a' }, ...subscribeOptions });
    store.upsert(thing('a', 'x', 1));
    const [seen] = await drainNow(first);
    first.close();
    store.upsert(thing('a', 'x', 2));
    store.upsert(thing('b', 'other', 1));
    store.upsert(thing('a', 'y', 1));
    const again = hub.subscribe({ scope: { namespace: 'a' }, after: seen?.cursor, ...subscribeOptions });
    store.upsert(thing('a', 'x', 3));
    const events = await drainNow(again);
    expect(events.map((e) => `${e.type} ${e.object?.metadata.name} ${e.object?.spec?.n}`)).toEqual(['MODIFIED x 2', 'ADDED y 1', 'MODIFIED x 3']);
  });

  it('answers a cursor older than the history with a RESYNC, then follows live', async () => {
    const { store, hub } = setup(3);
    const q = hub.subscribe({ scope: {}, ...subscribeOptions });
    store.upsert(thing('a', 'x', 1));
    const [old] = await drainNow(q);
    for (let n = 2; n <= 6; n++) store.upsert(thing('a', 'x', n));
    const again = hub.subscribe({ scope: {}, after: old?.cursor, ...subscribeOptions });
    store.upsert(thing('a', 'x', 7));
    const events = await drainNow(again);
    expect(events.map((e) => e.type)).toEqual(['RESYNC', 'MODIFIED']);
    expect(events[0]?.seq).toBe(6);
    // The RESYNC's cursor is the head at that time: resubscribing with it replays only what followed.
    const third = hub.subscribe({ scope: {}, after: events[0]?.cursor, ...subscribeOptions });
    expect((await drainNow(third)).map((e) => e.object?.spec?.n)).toEqual([7]);
  });

  it('answers a cursor from another process with a RESYNC and refuses a cursor of another kind', () => {
    const { hub } = setup(10, 'e1');
    const other = setup(10, 'e2');
    other.store.upsert(thing('a', 'x'));
    const q = hub.subscribe({ scope: {}, after: other.hub.headCursor, ...subscribeOptions });
    expect(q.length).toBe(1);
    const foreign = Buffer.from('pods:e1:1').toString('base64url');
    expect(() => hub.subscribe({ scope: {}, after: foreign, ...subscribeOptions })).toThrow(InvalidCursorError);
    expect(() => hub.subscribe({ scope: {}, after: 'not a cursor', ...subscribeOptions })).toThrow(InvalidCursorError);
  });

  it('sends a relist RESYNC to the subscribers of that namespace and keeps it in the history', async () => {
    const { store, hub } = setup();
    const inA = hub.subscribe({ scope: { namespace: 'a', job: 'x' }, ...subscribeOptions });
    const inB = hub.subscribe({ scope: { namespace: 'b' }, ...subscribeOptions });
    const all = hub.subscribe({ scope: {}, ...subscribeOptions });
    const start = hub.headCursor;
    hub.resync('a');
    store.upsert(thing('a', 'x', 1));
    expect((await drainNow(inA)).map((e) => e.type)).toEqual(['RESYNC', 'ADDED']);
    expect(inB.length).toBe(0);
    expect((await drainNow(all)).map((e) => e.type)).toEqual(['RESYNC', 'ADDED']);
    const replay = hub.subscribe({ scope: { namespace: 'a' }, after: start, ...subscribeOptions });
    expect((await drainNow(replay)).map((e) => e.type)).toEqual(['RESYNC', 'ADDED']);
  });

  it('ends a subscriber that falls behind without holding up the others', async () => {
    const { store, hub } = setup();
    const slow = hub.subscribe({ scope: {}, capacity: 2, overflowError: () => new Overflow('behind') });
    const fast = hub.subscribe({ scope: {}, ...subscribeOptions });
    for (let n = 1; n <= 5; n++) store.upsert(thing('a', `x${n}`));
    await expect(slow.iterator().next()).rejects.toThrow('behind');
    expect((await drainNow(fast)).length).toBe(5);
    expect(hub.stats()).toMatchObject({ subscribers: 1, overflows: 1 });
  });

  it('detaches a subscriber whose consumer returns, and ends the rest on stop', async () => {
    const { store, hub } = setup();
    const a = hub.subscribe({ scope: {}, ...subscribeOptions });
    const b = hub.subscribe({ scope: {}, ...subscribeOptions });
    await a.iterator().return?.();
    expect(hub.stats().subscribers).toBe(1);
    store.upsert(thing('a', 'x'));
    hub.stop();
    const rest: HubEvent<Thing>[] = [];
    for await (const event of b.iterator()) rest.push(event);
    expect(rest.length).toBe(1);
    store.upsert(thing('a', 'y'));
    expect(hub.stats().seq).toBe(1);
  });

  it('calls in-process listeners synchronously for their scope', () => {
    const { store, hub } = setup();
    const seen: string[] = [];
    const stop = hub.listen({ namespace: 'a', job: 'x' }, (e) => seen.push(`${e.type} ${e.object?.metadata.name}`));
    store.upsert(thing('a', 'x'));
    store.upsert(thing('a', 'x-worker-0', 0, 'x'));
    store.upsert(thing('a', 'y'));
    stop();
    store.upsert(thing('a', 'x', 2));
    expect(seen).toEqual(['ADDED x', 'ADDED x-worker-0']);
    expect(hub.stats().listeners).toBe(0);
  });
});
