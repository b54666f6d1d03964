// Kubernetes events as the graph sees them. Old-style (`firstTimestamp`/`lastTimestamp`/`count`)
// and new-style (`eventTime`/`series`) events are both read, since controllers write either.

import type { EventObject } from '../kube/objects.ts';
import { EVENT_TYPE_WARNING } from '../kube/labels.ts';
import { compareText, type ConnectionModel, type EdgeModel, type SortKey } from '../graph/connection.ts';
import { toGlobalId } from '../node/global-id.ts';

export type EventType = 'NORMAL' | 'WARNING';

export interface ObjectReferenceModel {
  kind: string | null;
  name: string | null;
  namespace: string | null;
  uid: string | null;
  fieldPath: string | null;
}

export interface EventModel {
  readonly typename: 'Event';
  object: EventObject;
  id: string;
  name: string;
  namespace: string;
  type: EventType;
  reason: string | null;
  message: string | null;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  source: string | null;
  involvedObject: ObjectReferenceModel;
  /** Milliseconds of lastSeen (or firstSeen, or creation), for ordering. */
  sortTimeMs: number;
}

export type EventConnectionModel = ConnectionModel<EventModel>;
export type EventEdgeModel = EdgeModel<EventModel>;

function build(object: EventObject): EventModel {
  const meta = object.metadata;
  const ref = object.involvedObject ?? {};
  const firstSeen = object.firstTimestamp ?? object.eventTime ?? meta.creationTimestamp ?? null;
  const lastSeen = object.lastTimestamp ?? object.series?.lastObservedTime ?? object.eventTime ?? firstSeen;
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? '';
  const sortTime = lastSeen ? Date.parse(lastSeen) : NaN;
  return {
    typename: 'Event',
    object,
    id: toGlobalId('Event', namespace, name),
    name,
    namespace,
    type: object.type === EVENT_TYPE_WARNING ? 'WARNING' : 'NORMAL',
    reason: object.reason ?? null,
    message: object.message ?? null,
    count: object.series?.count ?? object.count ?? 1,
    firstSeen,
    lastSeen,
    source: object.source?.component ?? object.reportingComponent ?? null,
    involvedObject: {
      kind: ref.kind ?? null,
      name: ref.name ?? null,
      namespace: ref.namespace ?? null,
      uid: ref.uid ?? null,
      fieldPath: ref.fieldPath ?? null,
    },
    sortTimeMs: Number.isNaN(sortTime) ? 0 : sortTime,
  };
}

const models = new WeakMap<EventObject, EventModel>();

export function toEventModel(object: EventObject): EventModel {
  let model = models.get(object);
  if (!model) {
    model = build(object);
    models.set(object, model);
  }
  return model;
}

/** Newest first; events in the same second keep a stable order by name. */
export function compareNewestFirst(a: EventModel, b: EventModel): number {
  return b.sortTimeMs - a.sortTimeMs || compareText(a.name, b.name);
}

/** Larger than any millisecond timestamp this century; inverts time so keys sort newest first. */
const TIME_CEILING_MS = 9_999_999_999_999;

/** A cursor key that sorts ascending in the same order as compareNewestFirst. */
export function eventSortKey(event: EventModel): SortKey {
  return [String(TIME_CEILING_MS - event.sortTimeMs).padStart(16, '0'), event.name];
}
