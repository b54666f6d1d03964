// The four PATCH bodies the real server accepts: JSON Patch (RFC 6902, client-node's default),
// JSON merge patch (RFC 7386, kubectl on custom resources, label, annotate), strategic merge
// patch (kubectl apply on built-in kinds) and, approximated, server-side apply. Pure functions on
// JSON documents; the REST layer decides which one a request gets and what may change.

import { cloneJson, jsonEqual } from './json.ts';
import { badRequest, patchNotApplicable } from './status.ts';
import { isRecord } from './types.ts';

export const PATCH_CONTENT_TYPE = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export type PatchType = keyof typeof PATCH_CONTENT_TYPE;

export function patchTypeOf(contentType: string): PatchType | undefined {
  const entry = Object.entries(PATCH_CONTENT_TYPE).find(([, media]) => media === contentType);
  return entry?.[0] as PatchType | undefined;
}

/**
 * The patch types a kind accepts, in the order the real server lists them in a 415: custom
 * resources have no strategic merge patch.
 */
export function acceptedPatchTypes(custom: boolean): string[] {
  return [
    PATCH_CONTENT_TYPE.json,
    PATCH_CONTENT_TYPE.merge,
    ...(custom ? [] : [PATCH_CONTENT_TYPE.strategic]),
    PATCH_CONTENT_TYPE.apply,
  ];
}

// ---- RFC 6902 JSON Patch ----
//
// The real server applies JSON patches with evanphx/json-patch v4, whose quirks clients meet:
// a `replace` of a missing object key adds it, a missing `value` is null, and every failure to
// apply (a failing `test`, a missing path, an unknown op) is one generic 422 that hides why.

type Container = Record<string, unknown> | unknown[];

/** Thrown inside this module for any operation that cannot be applied; see patchNotApplicable. */
class NotApplicable extends Error {}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new NotApplicable(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new NotApplicable(`invalid array index "${token}"`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) throw new NotApplicable(`array index ${index} out of bounds`);
  return index;
}

function child(container: Container, token: string): unknown {
  if (Array.isArray(container)) return container[arrayIndex(token, container.length, false)];
  if (!Object.hasOwn(container, token)) throw new NotApplicable(`missing key "${token}"`);
  return container[token];
}

/** The container that holds the pointer's last token, and that token. */
function resolveParent(document: unknown, path: string): { parent: Container; last: string } {
  const tokens = parsePointer(path);
  const last = tokens.pop();
  if (last === undefined) throw new NotApplicable('the root of the document has no parent');
  let current: unknown = document;
  for (const token of tokens) {
    if (!isRecord(current) && !Array.isArray(current)) throw new NotApplicable(`missing path "${path}"`);
    current = child(current, token);
  }
  if (!isRecord(current) && !Array.isArray(current)) throw new NotApplicable(`missing path "${path}"`);
  return { parent: current, last };
}

function getAt(document: unknown, path: string): unknown {
  let current = document;
  for (const token of parsePointer(path)) {
    if (!isRecord(current) && !Array.isArray(current)) throw new NotApplicable(`missing path "${path}"`);
    current = child(current, token);
  }
  return current;
}

function addAt(document: unknown, path: string, value: unknown): unknown {
  if (path === '') return value;
  const { parent, last } = resolveParent(document, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else parent[last] = value;
  return document;
}

function removeAt(document: unknown, path: string): { document: unknown; removed: unknown } {
  if (path === '') throw new NotApplicable('cannot remove the root of the document');
  const { parent, last } = resolveParent(document, path);
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(last, parent.length, false), 1);
    return { document, removed };
  }
  if (!Object.hasOwn(parent, last)) throw new NotApplicable(`missing key "${last}"`);
  const removed = parent[last];
  delete parent[last];
  return { document, removed };
}

function stringField(op: Record<string, unknown>, key: string): string {
  const value = op[key];
  if (typeof value !== 'string') throw new NotApplicable(`"${key}" must be a string`);
  return value;
}

function applyOperation(document: unknown, op: Record<string, unknown>): unknown {
  const kind = op.op;
  const path = stringField(op, 'path');
  const value = cloneJson(op.value ?? null);
  switch (kind) {
    case 'add':
      return addAt(document, path, value);
    case 'remove':
      return removeAt(document, path).document;
    case 'replace': {
      if (path === '') return value;
      const { parent, last } = resolveParent(document, path);
      if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, false)] = value;
      else parent[last] = value;
      return document;
    }
    case 'move': {
      const from = stringField(op, 'from');
      if (path !== from && path.startsWith(`${from}/`)) throw new NotApplicable(`cannot move "${from}" into its own child "${path}"`);
      const { document: without, removed } = removeAt(document, from);
      return addAt(without, path, removed);
    }
    case 'copy':
      return addAt(document, path, cloneJson(getAt(document, stringField(op, 'from'))));
    case 'test':
      if (!jsonEqual(getAt(document, path), op.value ?? null)) throw new NotApplicable(`test of ${path} failed`);
      return document;
    default:
      throw new NotApplicable(`unsupported op ${JSON.stringify(kind)}`);
  }
}

/**
 * Applies an RFC 6902 patch to a copy of the document. A body that is not a list of operations
 * is a 400 (the patch cannot be decoded); an operation that cannot be applied is the generic 422.
 */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw badRequest(`error decoding patch: json: cannot unmarshal ${goJsonTypeName(patch)} into Go value of type []handlers.jsonPatchOp`);
  }
  let result = cloneJson(document);
  for (const op of patch) {
    if (!isRecord(op)) throw badRequest(`error decoding patch: json: cannot unmarshal ${goJsonTypeName(op)} into Go value of type handlers.jsonPatchOp`);
  }
  try {
    for (const op of patch as Array<Record<string, unknown>>) result = applyOperation(result, op);
  } catch (error) {
    if (error instanceof NotApplicable) throw patchNotApplicable();
    throw error;
  }
  return result;
}

/** encoding/json's name for a JSON value's type in "cannot unmarshal X" messages. */
function goJsonTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'object';
  return typeof value === 'boolean' ? 'bool' : typeof value;
}

// ---- RFC 7386 JSON merge patch ----

/** Applies an RFC 7386 merge patch; the result shares nothing with the inputs. */
export function applyMergePatch(document: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return cloneJson(patch);
  const result: Record<string, unknown> = isRecord(document) ? cloneJson(document) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

// ---- strategic merge patch ----

const DIRECTIVE_PATCH = '$patch';
const DIRECTIVE_RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList/';

/**
 * Merge keys of the list fields of the served built-in kinds (`patchMergeKey` in k8s.io/api).
 * A list that is not here is atomic: the patch replaces it.
 */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  resourceClaims: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  addresses: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};

/** Lists of scalars with strategy `merge`: the patch adds its values to the live ones. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyOf(field: string, live: unknown[], patch: unknown[]): string | undefined {
  // Container ports merge on containerPort, Service ports on port: tell them apart by content.
  if (field === 'ports') {
    const sample = [...patch, ...live].find(isRecord);
    return sample && Object.hasOwn(sample, 'containerPort') ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

/** Removes SMP directives from a value that is inserted as a whole. */
function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.filter((item) => !(isRecord(item) && item[DIRECTIVE_PATCH] !== undefined && Object.keys(item).length === 1)).map(stripDirectives);
  }
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) continue;
    if (item === null) continue;
    out[key] = stripDirectives(item);
  }
  return out;
}

function mergeList(field: string, live: unknown[], patch: unknown[]): unknown[] {
  if (patch.some((item) => isRecord(item) && item[DIRECTIVE_PATCH] === 'replace')) {
    return patch.filter((item) => !(isRecord(item) && item[DIRECTIVE_PATCH] === 'replace')).map(stripDirectives);
  }
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every((item) => !isRecord(item))) {
    const out = cloneJson(live);
    for (const item of patch) if (!out.some((existing) => jsonEqual(existing, item))) out.push(cloneJson(item));
    return out;
  }
  const key = mergeKeyOf(field, live, patch);
  if (!key || !patch.every(isRecord)) return patch.map(stripDirectives);
  const out = cloneJson(live);
  for (const item of patch) {
    if (!isRecord(item)) continue;
    const position = out.findIndex((existing) => isRecord(existing) && jsonEqual(existing[key], item[key]));
    if (item[DIRECTIVE_PATCH] === 'delete') {
      if (position >= 0) out.splice(position, 1);
      continue;
    }
    const existing = position >= 0 ? out[position] : undefined;
    if (isRecord(existing)) out[position] = mergeMap(existing, item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function mergeMap(live: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const directive = patch[DIRECTIVE_PATCH];
  if (directive === 'replace') return stripDirectives(patch) as Record<string, unknown>;
  if (directive !== undefined && directive !== 'merge' && directive !== 'delete') {
    throw badRequest(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
  }
  const out = cloneJson(live);
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE_PATCH || key === DIRECTIVE_RETAIN_KEYS) continue;
    // The order hint only reorders lists; membership is what the rest of the patch says.
    if (key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST_PREFIX.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(value)) out[field] = current.filter((item) => !value.some((gone) => jsonEqual(gone, item)));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = out[key];
    if (isRecord(value)) {
      if (value[DIRECTIVE_PATCH] === 'delete') delete out[key];
      else out[key] = mergeMap(isRecord(current) ? current : {}, value);
    } else if (Array.isArray(value)) {
      out[key] = mergeList(key, Array.isArray(current) ? current : [], value);
    } else {
      out[key] = value;
    }
  }
  const retain = patch[DIRECTIVE_RETAIN_KEYS];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  }
  return out;
}

/**
 * Applies a strategic merge patch to a built-in kind: maps merge, lists with a merge key merge
 * element by element, `$patch: replace|delete` and `$deleteFromPrimitiveList` are honoured,
 * `$setElementOrder` is accepted and ignored (element order is not reproduced).
 */
export function applyStrategicMergePatch(document: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  if (!isRecord(patch)) throw badRequest('strategic merge patch must be a JSON object');
  return mergeMap(document, patch);
}
