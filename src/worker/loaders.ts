// Per-request pod reads: the pods of a job from the cache's job index, filtered for the viewer.

import DataLoader from 'dataloader';
import type { ObjectCache } from '../kube/cache.ts';
import type { PodObject } from '../kube/objects.ts';
import { INDEX_POD_BY_JOB, podJobKey } from '../kube/watched.ts';
import type { Viewer } from '../viewer/viewer.ts';
import { compareByRank, toPodModel, type PodModel } from './model.ts';

/** Workers per page: all of them by default (up to 1000), at most 10,000. */
export const WORKER_PAGE = { defaultFirst: 1000, maxFirst: 10_000 } as const;

function split(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

export class PodLoaders {
  /** Launcher and workers of a job (`namespace/job`), workers by rank, launcher first. */
  readonly byJob: DataLoader<string, PodModel[]>;
  readonly byKey: DataLoader<string, PodModel | null>;

  constructor(cache: ObjectCache<PodObject>, viewer: Viewer) {
    this.byJob = new DataLoader(async (keys) =>
      keys.map((key) => {
        const [namespace] = split(key);
        if (!viewer.canRead(namespace)) return [];
        return cache
          .byIndex(INDEX_POD_BY_JOB, key)
          .map(toPodModel)
          .sort((a, b) => (a.role === b.role ? compareByRank(a, b) : a.role === 'LAUNCHER' ? -1 : 1));
      }),
    );
    this.byKey = new DataLoader(async (keys) =>
      keys.map((key) => {
        const [namespace, name] = split(key);
        if (!viewer.canRead(namespace)) return null;
        const object = cache.get(namespace, name);
        return object ? toPodModel(object) : null;
      }),
    );
  }

  ofJob(namespace: string, job: string): Promise<PodModel[]> {
    return this.byJob.load(podJobKey(namespace, job));
  }

  load(namespace: string, name: string): Promise<PodModel | null> {
    return this.byKey.load(`${namespace}/${name}`);
  }
}
