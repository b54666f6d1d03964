// Per-request namespace and quota reads, filtered for the viewer.

import DataLoader from 'dataloader';
import type { ObjectCache } from '../kube/cache.ts';
import type { NamespaceObject, ResourceQuotaObject } from '../kube/objects.ts';
import { compareText } from '../graph/connection.ts';
import type { Viewer } from '../viewer/viewer.ts';
import { toNamespaceModel, toQuotaModel, type NamespaceModel, type QuotaModel } from './model.ts';

export class QuotaLoaders {
  private readonly namespaces: ObjectCache<NamespaceObject>;
  private readonly viewer: Viewer;
  readonly quotasOf: DataLoader<string, QuotaModel[]>;
  readonly namespace: DataLoader<string, NamespaceModel | null>;
  readonly quota: DataLoader<string, QuotaModel | null>;

  constructor(namespaces: ObjectCache<NamespaceObject>, quotas: ObjectCache<ResourceQuotaObject>, viewer: Viewer) {
    this.namespaces = namespaces;
    this.viewer = viewer;
    this.quotasOf = new DataLoader(async (keys) =>
      keys.map((ns) =>
        viewer.canRead(ns, 'resourcequotas')
          ? quotas
              .list(ns)
              .map(toQuotaModel)
              .sort((a, b) => compareText(a.name, b.name))
          : [],
      ),
    );
    this.namespace = new DataLoader(async (keys) =>
      keys.map((name) => {
        const object = viewer.canRead(name) ? namespaces.get(undefined, name) : undefined;
        return object ? toNamespaceModel(object) : null;
      }),
    );
    this.quota = new DataLoader(async (keys) =>
      keys.map((key) => {
        const slash = key.indexOf('/');
        const ns = key.slice(0, slash);
        const object = viewer.canRead(ns, 'resourcequotas') ? quotas.get(ns, key.slice(slash + 1)) : undefined;
        return object ? toQuotaModel(object) : null;
      }),
    );
  }

  /** Watched namespaces the viewer may read, by name. */
  list(): NamespaceModel[] {
    return this.namespaces
      .list()
      .filter((n) => this.viewer.canRead(n.metadata.name ?? ''))
      .map(toNamespaceModel)
      .sort((a, b) => compareText(a.name, b.name));
  }
}
