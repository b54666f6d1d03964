// Per-request event reads, by the object they are about, newest first, filtered for the viewer.

import DataLoader from 'dataloader';
import type { ObjectCache } from '../kube/cache.ts';
import type { EventObject } from '../kube/objects.ts';
import { eventObjectKey, INDEX_EVENT_BY_OBJECT } from '../kube/watched.ts';
import type { Viewer } from '../viewer/viewer.ts';
import { compareNewestFirst, toEventModel, type EventModel } from './model.ts';

/** Events per page: `first` defaults to 100 and may be at most 1000. */
export const EVENT_PAGE = { defaultFirst: 100, maxFirst: 1000 } as const;

export interface ObjectRef {
  namespace: string;
  kind: string;
  name: string;
  /** When given, events about an earlier object of the same name are left out. */
  uid?: string;
}

export class EventLoaders {
  private readonly byObject: DataLoader<string, EventModel[]>;
  readonly byKey: DataLoader<string, EventModel | null>;

  constructor(cache: ObjectCache<EventObject>, viewer: Viewer) {
    this.byObject = new DataLoader(async (keys) =>
      keys.map((key) => {
        const namespace = key.slice(0, key.indexOf('/'));
        return viewer.canRead(namespace, 'events') ? cache.byIndex(INDEX_EVENT_BY_OBJECT, key).map(toEventModel) : [];
      }),
    );
    this.byKey = new DataLoader(async (keys) =>
      keys.map((key) => {
        const slash = key.indexOf('/');
        const namespace = key.slice(0, slash);
        if (!viewer.canRead(namespace, 'events')) return null;
        const object = cache.get(namespace, key.slice(slash + 1));
        return object ? toEventModel(object) : null;
      }),
    );
  }

  /** Events about any of `refs`, merged newest first. */
  async about(refs: readonly ObjectRef[]): Promise<EventModel[]> {
    const lists = await this.byObject.loadMany(refs.map((r) => eventObjectKey(r.namespace, r.kind, r.name)));
    const out: EventModel[] = [];
    lists.forEach((list, i) => {
      if (list instanceof Error) throw list;
      const uid = refs[i]?.uid;
      for (const event of list) if (!uid || !event.involvedObject.uid || event.involvedObject.uid === uid) out.push(event);
    });
    return out.sort(compareNewestFirst);
  }

  load(namespace: string, name: string): Promise<EventModel | null> {
    return this.byKey.load(`${namespace}/${name}`);
  }
}
