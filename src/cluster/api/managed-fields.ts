// Field ownership as the real server keeps it in `metadata.managedFields` (structured-merge-diff):
// every write records which fields its manager set. An update (create, PUT, or any patch but
// apply) takes the fields it changed from whoever owned them; a server-side apply owns exactly the
// fields of its configuration, is refused with a 409 when it would change a field another manager
// owns (unless forced), and removes the fields it owned before and no longer configures once
// nobody else owns them. Which lists merge by key, which are sets and which are atomic comes from
// the CRD schema for custom resources and from the built-in kinds' list markers otherwise.

import type { SchemaNode } from './admission/schema.ts';
import { cloneJson, jsonEqual } from './json.ts';
import { applyConflict, CAUSE_FIELD_MANAGER_CONFLICT, type StatusCause, type StatusError } from './status.ts';
import { isRecord, type KubeObject } from './types.ts';

export const MANAGED_FIELDS_OPERATION = { apply: 'Apply', update: 'Update' } as const;
export type ManagedFieldsOperation = (typeof MANAGED_FIELDS_OPERATION)[keyof typeof MANAGED_FIELDS_OPERATION];
export const FIELDS_TYPE_V1 = 'FieldsV1';
/** The manager of a write that names none and sends no User-Agent. */
export const UNKNOWN_MANAGER = 'unknown';

/** FieldsV1: one key per path element (`f:name`, `k:{"name":"c"}`, `v:"x"`); `.` marks the node itself as owned. */
export type FieldsV1 = { [element: string]: FieldsV1 };

export interface ManagedFieldsEntry {
  manager: string;
  operation: ManagedFieldsOperation;
  apiVersion: string;
  /** When the manager last changed the object; absent after an apply that changed nothing. */
  time?: string;
  fieldsType: typeof FIELDS_TYPE_V1;
  fieldsV1: FieldsV1;
  subresource?: string;
}

const SELF = '.';
const FIELD_PREFIX = 'f:';
const KEY_PREFIX = 'k:';
const VALUE_PREFIX = 'v:';

/**
 * Fields nobody owns: type meta and what the server sets (structured-merge-diff's stripped
 * metadata, plus the deletion marks the server sets outside any write).
 */
const UNTRACKED_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'selfLink',
  'managedFields',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** The manager a write is recorded under: `fieldManager`, else the User-Agent's product (`kubectl`). */
export function managerName(fieldManager: string | null | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const product = (userAgent ?? '').split('/')[0] ?? '';
  return product === '' ? UNKNOWN_MANAGER : product;
}

// ---- the shape of an object, as far as ownership is concerned ----

type ListType = 'atomic' | 'map' | 'set';

/** How ownership works at one node of an object. */
export interface FieldType {
  /** `map` objects (free keys) own each element as a whole as well; `struct` fields only the leaves. */
  readonly objectKind: 'struct' | 'map';
  readonly listType: ListType;
  /** The key fields of a `map` list; may depend on what the items look like. */
  listKeys(items: readonly unknown[]): readonly string[];
  field(name: string): FieldType;
  item(): FieldType;
}

/** List markers (`listType=map` keys, `listType=set`) of the built-in kinds' fields, by field name. */
const BUILT_IN_LIST_KEYS: Readonly<Record<string, readonly string[]>> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  env: ['name'],
  imagePullSecrets: ['name'],
  resourceClaims: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  conditions: ['type'],
  ownerReferences: ['uid'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
};
const BUILT_IN_SET_LISTS = new Set(['finalizers']);
const PORTS_FIELD = 'ports';

/** Built-in kinds (and ObjectMeta everywhere): structs throughout, lists as k8s.io/api marks them. */
export function builtInFieldType(fieldName?: string): FieldType {
  const keyed = fieldName === PORTS_FIELD || (fieldName !== undefined && Object.hasOwn(BUILT_IN_LIST_KEYS, fieldName));
  return {
    objectKind: 'struct',
    listType: keyed ? 'map' : fieldName !== undefined && BUILT_IN_SET_LISTS.has(fieldName) ? 'set' : 'atomic',
    listKeys(items) {
      if (fieldName !== PORTS_FIELD) return fieldName === undefined ? [] : (BUILT_IN_LIST_KEYS[fieldName] ?? []);
      // Container ports are keyed by containerPort, Service ports by port (both with protocol).
      return items.some((item) => isRecord(item) && Object.hasOwn(item, 'containerPort')) ? ['containerPort', 'protocol'] : ['port', 'protocol'];
    },
    field: (name) => builtInFieldType(name),
    item: () => builtInFieldType(),
  };
}

/** A custom resource: its CRD schema below the root, ObjectMeta's markers for `metadata`. */
export function schemaFieldType(schema: SchemaNode): FieldType {
  const root = fromSchema(schema);
  return { ...root, field: (name) => (name === 'metadata' ? builtInFieldType(name) : root.field(name)) };
}

function fromSchema(node: SchemaNode | undefined): FieldType {
  const additional = node?.additionalProperties;
  return {
    objectKind: node?.properties === undefined && additional !== undefined && additional !== false ? 'map' : 'struct',
    listType: node?.listType ?? 'atomic',
    listKeys: () => node?.listMapKeys ?? [],
    field: (name) => fromSchema(node?.properties?.[name] ?? (typeof additional === 'object' ? additional : undefined)),
    item: () => fromSchema(node?.items),
  };
}

// ---- field sets ----

type Path = readonly string[];

function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** A set of owned paths. */
export class FieldSet {
  private readonly paths = new Map<string, Path>();

  static of(paths: Iterable<Path>): FieldSet {
    const set = new FieldSet();
    for (const path of paths) set.add(path);
    return set;
  }

  static fromFieldsV1(tree: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: unknown, prefix: Path): void => {
      if (!isRecord(node)) return;
      const children = Object.keys(node).filter((key) => key !== SELF);
      if (prefix.length > 0 && (children.length === 0 || Object.hasOwn(node, SELF))) set.add(prefix);
      for (const key of children) walk(node[key], [...prefix, key]);
    };
    walk(tree, []);
    return set;
  }

  add(path: Path): void {
    if (path.length > 0) this.paths.set(JSON.stringify(path), path);
  }

  has(path: Path): boolean {
    return this.paths.has(JSON.stringify(path));
  }

  get size(): number {
    return this.paths.size;
  }

  /** The paths in the order structured-merge-diff lists them. */
  list(): Path[] {
    return [...this.paths.values()].sort(comparePaths);
  }

  union(other: FieldSet): FieldSet {
    return FieldSet.of([...this.paths.values(), ...other.paths.values()]);
  }

  difference(other: FieldSet): FieldSet {
    return FieldSet.of([...this.paths.values()].filter((path) => !other.has(path)));
  }

  intersection(other: FieldSet): FieldSet {
    return FieldSet.of([...this.paths.values()].filter((path) => other.has(path)));
  }

  /** Whether this set holds `path` or anything below it. */
  coversBelow(path: Path): boolean {
    return [...this.paths.values()].some((owned) => owned.length >= path.length && path.every((element, i) => owned[i] === element));
  }

  toFieldsV1(): FieldsV1 {
    const root: FieldsV1 = {};
    const owned = new Set<FieldsV1>();
    for (const path of this.list()) {
      let node = root;
      for (const element of path) {
        const next: FieldsV1 = node[element] ?? {};
        node[element] = next;
        node = next;
      }
      owned.add(node);
    }
    // `.` only where an owned node also has owned children; a bare leaf is `{}`.
    const render = (node: FieldsV1): FieldsV1 => {
      const out: FieldsV1 = {};
      const keys = Object.keys(node).sort();
      if (owned.has(node) && keys.length > 0) out[SELF] = {};
      for (const key of keys) out[key] = render(node[key] ?? {});
      return out;
    };
    return render(root);
  }
}

/** `.data.k`, `.spec.containers[name="main"].image`: how conflict messages name a path. */
export function pathString(path: Path): string {
  return path
    .map((element) => {
      if (element.startsWith(FIELD_PREFIX)) return `.${element.slice(FIELD_PREFIX.length)}`;
      if (element.startsWith(VALUE_PREFIX)) return `[=${element.slice(VALUE_PREFIX.length)}]`;
      if (element.startsWith(KEY_PREFIX)) {
        const key: unknown = JSON.parse(element.slice(KEY_PREFIX.length));
        const parts = isRecord(key) ? Object.entries(key).map(([name, value]) => `${name}=${JSON.stringify(value)}`) : [];
        return `[${parts.join(',')}]`;
      }
      return `[${element}]`;
    })
    .join('');
}

function fieldElement(name: string): string {
  return `${FIELD_PREFIX}${name}`;
}

/** The path element of a keyed list item; undefined when the item lacks every key field. */
function keyElement(item: unknown, keys: readonly string[]): string | undefined {
  if (!isRecord(item) || keys.length === 0) return undefined;
  const key: Record<string, unknown> = {};
  for (const name of [...keys].sort()) if (item[name] !== undefined && item[name] !== null) key[name] = item[name];
  return Object.keys(key).length === 0 ? undefined : `${KEY_PREFIX}${JSON.stringify(key)}`;
}

function valueElement(value: unknown): string {
  return `${VALUE_PREFIX}${JSON.stringify(value)}`;
}

/** A list's effective type: a keyed list whose items cannot all be keyed is owned as a whole. */
function effectiveListType(type: FieldType, items: readonly unknown[]): ListType {
  if (type.listType === 'map') {
    const keys = type.listKeys(items);
    return items.every((item) => keyElement(item, keys) !== undefined) ? 'map' : 'atomic';
  }
  if (type.listType === 'set') return items.every((item) => !isRecord(item) && !Array.isArray(item)) ? 'set' : 'atomic';
  return 'atomic';
}

function keyedItems(items: readonly unknown[], type: FieldType): Map<string, unknown> {
  const keys = type.listKeys(items);
  const out = new Map<string, unknown>();
  for (const item of items) {
    const element = keyElement(item, keys);
    if (element !== undefined) out.set(element, item);
  }
  return out;
}

/** Every path of a value: the node itself and everything in it (what an update adds or removes). */
function addSubtree(value: unknown, type: FieldType, path: Path, set: FieldSet): void {
  set.add(path);
  if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) addSubtree(child, type.field(key), [...path, fieldElement(key)], set);
  } else if (Array.isArray(value)) {
    const listType = effectiveListType(type, value);
    if (listType === 'set') for (const item of value) set.add([...path, valueElement(item)]);
    else if (listType === 'map') for (const [element, item] of keyedItems(value, type)) addSubtree(item, type.item(), [...path, element], set);
  }
}

/** The fields an apply configuration sets: its leaves, keyed list items, set values, map elements. */
function configuredFields(value: unknown, type: FieldType, path: Path, set: FieldSet, ownedAsWhole: boolean): void {
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0 || ownedAsWhole) set.add(path);
    for (const [key, child] of entries) configuredFields(child, type.field(key), [...path, fieldElement(key)], set, type.objectKind === 'map');
    return;
  }
  if (Array.isArray(value)) {
    const listType = effectiveListType(type, value);
    if (listType === 'set') for (const item of value) set.add([...path, valueElement(item)]);
    else if (listType === 'map') for (const [element, item] of keyedItems(value, type)) configuredFields(item, type.item(), [...path, element], set, true);
    else set.add(path);
    return;
  }
  set.add(path);
}

interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

function compareValues(before: unknown, after: unknown, type: FieldType, path: Path, out: Comparison): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) return addSubtree(after, type, path, out.added);
  if (after === undefined) return addSubtree(before, type, path, out.removed);
  if (isRecord(before) && isRecord(after)) {
    for (const [key, value] of Object.entries(after)) compareValues(before[key], value, type.field(key), [...path, fieldElement(key)], out);
    for (const [key, value] of Object.entries(before)) {
      if (!Object.hasOwn(after, key)) addSubtree(value, type.field(key), [...path, fieldElement(key)], out.removed);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const listType = effectiveListType(type, [...before, ...after]);
    if (listType === 'set') {
      for (const item of after) if (!before.some((old) => jsonEqual(old, item))) out.added.add([...path, valueElement(item)]);
      for (const item of before) if (!after.some((now) => jsonEqual(now, item))) out.removed.add([...path, valueElement(item)]);
      return;
    }
    if (listType === 'map') {
      const old = keyedItems(before, type);
      const now = keyedItems(after, type);
      for (const [element, item] of now) compareValues(old.get(element), item, type.item(), [...path, element], out);
      for (const [element, item] of old) if (!now.has(element)) addSubtree(item, type.item(), [...path, element], out.removed);
      return;
    }
  }
  if (!jsonEqual(before, after)) out.modified.add(path);
}

function compare(before: Record<string, unknown>, after: Record<string, unknown>, type: FieldType): Comparison {
  const out: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  // Every object has metadata: it is never added or removed as a whole, only its fields are.
  compareValues({ metadata: {}, ...before }, { metadata: {}, ...after }, type, [], out);
  return out;
}

/** The part of an object whose fields have owners. */
function trackedPart(object: KubeObject | undefined, scope: TrackingScope): Record<string, unknown> {
  if (!object) return {};
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = object;
  const meta: Record<string, unknown> = { ...metadata };
  for (const key of UNTRACKED_METADATA) delete meta[key];
  if (scope === 'status') return rest.status !== undefined ? { status: rest.status } : {};
  if (scope === 'main-without-status') delete rest.status;
  return Object.keys(meta).length > 0 ? { ...rest, metadata: meta } : rest;
}

/**
 * What a write may own: everything (`main`), everything but `.status` (`main-without-status`:
 * the main resource of a kind with a status subresource, where status changes are dropped), or
 * only `.status` (a write to the status subresource).
 */
export type TrackingScope = 'main' | 'main-without-status' | 'status';

// ---- managers ----

interface Manager {
  entry: Omit<ManagedFieldsEntry, 'fieldsV1'>;
  fields: FieldSet;
}

/** structured-merge-diff's manager identity: appliers are one manager whatever apiVersion they use. */
function managerKey(entry: Pick<ManagedFieldsEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([entry.manager, entry.operation, entry.operation === MANAGED_FIELDS_OPERATION.apply ? '' : entry.apiVersion, entry.subresource ?? '']);
}

function readManagers(object: KubeObject | undefined): Map<string, Manager> {
  const out = new Map<string, Manager>();
  const entries = object?.metadata.managedFields;
  if (!Array.isArray(entries)) return out;
  for (const raw of entries) {
    if (!isRecord(raw) || typeof raw.manager !== 'string' || (raw.operation !== 'Apply' && raw.operation !== 'Update')) continue;
    const entry: Omit<ManagedFieldsEntry, 'fieldsV1'> = {
      manager: raw.manager,
      operation: raw.operation,
      apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : '',
      ...(typeof raw.time === 'string' ? { time: raw.time } : {}),
      fieldsType: FIELDS_TYPE_V1,
      ...(typeof raw.subresource === 'string' && raw.subresource !== '' ? { subresource: raw.subresource } : {}),
    };
    out.set(managerKey(entry), { entry, fields: FieldSet.fromFieldsV1(raw.fieldsV1) });
  }
  return out;
}

/** The real server's order: appliers first, then by time, manager, apiVersion, subresource. */
function compareEntries(a: ManagedFieldsEntry, b: ManagedFieldsEntry): number {
  if (a.operation !== b.operation) return a.operation < b.operation ? -1 : 1;
  const seconds = (entry: ManagedFieldsEntry) => (entry.time ? Math.floor(Date.parse(entry.time) / 1000) : 0);
  if (seconds(a) !== seconds(b)) return seconds(a) - seconds(b);
  for (const key of ['manager', 'apiVersion', 'subresource'] as const) {
    const x = a[key] ?? '';
    const y = b[key] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function writeManagers(managers: Map<string, Manager>): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const { entry, fields } of managers.values()) {
    if (fields.size === 0) continue;
    out.push({ ...entry, fieldsV1: fields.toFieldsV1() });
  }
  return out.sort(compareEntries);
}

/** Stores the entries on the object (none: the field is absent, as on the real server). */
export function withManagedFields(object: KubeObject, entries: readonly ManagedFieldsEntry[]): KubeObject {
  const copy = { ...object, metadata: { ...object.metadata } };
  if (entries.length > 0) copy.metadata.managedFields = cloneJson(entries);
  else delete copy.metadata.managedFields;
  return copy;
}

export interface WriteTracking {
  manager: string;
  /** The apiVersion the write was made in (`v1`, `kubeflow.org/v2beta1`). */
  apiVersion: string;
  /** `status` for writes to the status subresource. */
  subresource?: string;
  scope: TrackingScope;
  type: FieldType;
  /** RFC 3339 time of the write. */
  now: string;
}

/**
 * The managedFields after an update (create, PUT, merge/JSON/strategic patch) from `before`
 * (undefined for a create) to `after`: the manager takes every field it added or changed from
 * whoever owned it, and fields that are gone are nobody's any more.
 */
export function recordUpdate(before: KubeObject | undefined, after: KubeObject, tracking: WriteTracking): ManagedFieldsEntry[] {
  const managers = readManagers(before);
  const changes = compare(trackedPart(before, tracking.scope), trackedPart(after, tracking.scope), tracking.type);
  const taken = changes.added.union(changes.modified);
  for (const manager of managers.values()) manager.fields = manager.fields.difference(taken).difference(changes.removed);
  const identity = {
    manager: tracking.manager,
    operation: MANAGED_FIELDS_OPERATION.update,
    apiVersion: tracking.apiVersion,
    ...(tracking.subresource ? { subresource: tracking.subresource } : {}),
  };
  const key = managerKey(identity);
  const previous = managers.get(key);
  if (taken.size > 0) {
    managers.set(key, { entry: { ...identity, time: tracking.now, fieldsType: FIELDS_TYPE_V1 }, fields: (previous?.fields ?? new FieldSet()).union(taken) });
  }
  return writeManagers(managers);
}

// ---- server-side apply ----

/** Merges an apply configuration into the live object: maps by key, keyed lists by item, sets by value. */
function mergeApplied(live: unknown, config: unknown, type: FieldType): unknown {
  if (isRecord(config)) {
    const out: Record<string, unknown> = isRecord(live) ? cloneJson(live) : {};
    for (const [key, value] of Object.entries(config)) {
      if (value === null) delete out[key];
      else out[key] = mergeApplied(out[key], value, type.field(key));
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live)) {
    const listType = effectiveListType(type, [...live, ...config]);
    if (listType === 'set') return [...cloneJson(live), ...config.filter((item) => !live.some((old) => jsonEqual(old, item)))];
    if (listType === 'map') {
      const configured = keyedItems(config, type);
      const keys = type.listKeys([...live, ...config]);
      const merged = live.map((item) => {
        const element = keyElement(item, keys);
        const update = element === undefined ? undefined : configured.get(element);
        if (element !== undefined) configured.delete(element);
        return update === undefined ? cloneJson(item) : mergeApplied(item, update, type.item());
      });
      return [...merged, ...[...configured.values()].map((item) => cloneJson(item))];
    }
  }
  return cloneJson(config);
}

/** Removes one owned path from an object (in place). */
function removePath(root: Record<string, unknown>, path: Path, type: FieldType): void {
  let node: unknown = root;
  let nodeType = type;
  for (let i = 0; i < path.length; i += 1) {
    const element = path[i] ?? '';
    const last = i === path.length - 1;
    if (element.startsWith(FIELD_PREFIX) && isRecord(node)) {
      const name = element.slice(FIELD_PREFIX.length);
      if (last) {
        delete node[name];
        return;
      }
      node = node[name];
      nodeType = nodeType.field(name);
    } else if (Array.isArray(node) && element.startsWith(VALUE_PREFIX)) {
      const value: unknown = JSON.parse(element.slice(VALUE_PREFIX.length));
      const index = node.findIndex((item) => jsonEqual(item, value));
      if (index >= 0 && last) node.splice(index, 1);
      return;
    } else if (Array.isArray(node) && element.startsWith(KEY_PREFIX)) {
      const keys = nodeType.listKeys(node);
      const index = node.findIndex((item) => keyElement(item, keys) === element);
      if (index < 0) return;
      if (last) {
        node.splice(index, 1);
        return;
      }
      node = node[index];
      nodeType = nodeType.item();
    } else {
      return;
    }
  }
}

export interface ApplyTracking extends WriteTracking {
  /** Take conflicting fields from their owners instead of refusing (`force=true`). */
  force: boolean;
}

export interface ApplyResult {
  object: KubeObject;
  managedFields: ManagedFieldsEntry[];
}

function printManager(entry: ManagedFieldsEntry | Omit<ManagedFieldsEntry, 'fieldsV1'>): string {
  let text = JSON.stringify(entry.manager);
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === MANAGED_FIELDS_OPERATION.update) text += ` using ${entry.apiVersion}`;
  return text;
}

function conflictError(conflicts: Array<{ manager: string; paths: Path[] }>): StatusError {
  const all = conflicts.flatMap(({ manager, paths }) => paths.map((path) => ({ manager, path: pathString(path) })));
  const causes: StatusCause[] = all.map(({ manager, path }) => ({ reason: CAUSE_FIELD_MANAGER_CONFLICT, message: `conflict with ${manager}`, field: path }));
  const first = all[0];
  if (all.length === 1 && first) return applyConflict(`Apply failed with 1 conflict: conflict with ${first.manager}: ${first.path}`, causes);
  const lines: string[] = [];
  for (const { manager, paths } of conflicts) {
    lines.push(`conflicts with ${manager}:`);
    for (const path of paths) lines.push(`- ${pathString(path)}`);
  }
  return applyConflict(`Apply failed with ${all.length} conflicts: ${lines.join('\n')}`, causes);
}

/**
 * A server-side apply of `config` to `live` (undefined: the object is created). Returns the
 * object to store and its managedFields; throws the 409 conflict unless forced.
 */
export function recordApply(live: KubeObject | undefined, config: KubeObject, tracking: ApplyTracking): ApplyResult {
  const managers = readManagers(live);
  const identity = { manager: tracking.manager, operation: MANAGED_FIELDS_OPERATION.apply, apiVersion: tracking.apiVersion };
  const key = managerKey({ ...identity, subresource: tracking.subresource });
  const previous = managers.get(key);
  managers.delete(key);

  const configured = new FieldSet();
  configuredFields(trackedPart(config, tracking.scope), tracking.type, [], configured, false);
  const base: Record<string, unknown> = live ? cloneJson(live) : { metadata: {} };
  const { managedFields: _ignored, ...configMetadata } = config.metadata;
  const applied: Record<string, unknown> = { ...config, metadata: configMetadata };
  if (tracking.scope === 'main-without-status') delete applied.status;
  const merged = mergeApplied(base, applied, tracking.type) as KubeObject;

  const changes = compare(trackedPart(live, tracking.scope), trackedPart(merged, tracking.scope), tracking.type);
  const changed = changes.added.union(changes.modified);
  const conflicts: Array<{ manager: string; paths: Path[] }> = [];
  for (const manager of [...managers.values()].sort((a, b) => (printManager(a.entry) < printManager(b.entry) ? -1 : 1))) {
    const overlap = manager.fields.intersection(changed);
    if (overlap.size === 0) continue;
    conflicts.push({ manager: printManager(manager.entry), paths: overlap.list() });
    if (tracking.force) manager.fields = manager.fields.difference(overlap);
  }
  if (conflicts.length > 0 && !tracking.force) throw conflictError(conflicts);

  // Fields this applier configured before and no longer does go, unless someone else owns them.
  const others = [...managers.values()].reduce((all, manager) => all.union(manager.fields), new FieldSet());
  const dropped = (previous?.fields ?? new FieldSet()).difference(configured);
  for (const path of dropped.list().reverse()) {
    if (!others.coversBelow(path)) removePath(merged, path, tracking.type);
  }

  const removed = compare(trackedPart(live, tracking.scope), trackedPart(merged, tracking.scope), tracking.type).removed;
  for (const manager of managers.values()) manager.fields = manager.fields.difference(removed);
  const changedObject = !jsonEqual(trackedPart(live, tracking.scope), trackedPart(merged, tracking.scope));
  const time = changedObject ? tracking.now : previous?.entry.time;
  managers.set(key, {
    entry: { ...identity, ...(time ? { time } : {}), fieldsType: FIELDS_TYPE_V1, ...(tracking.subresource ? { subresource: tracking.subresource } : {}) },
    fields: configured,
  });
  return { object: merged, managedFields: writeManagers(managers) };
}
