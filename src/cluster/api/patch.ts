// The four PATCH bodies the real server accepts: JSON Patch (RFC 6902, client-node's default),
// JSON merge patch (RFC 7386, kubectl on custom resources, label, annotate), strategic merge
// patch (kubectl apply on built-in kinds) and, approximated, server-side apply. Pure functions on
// JSON documents; the REST layer decides which one a request gets and what may change.

import { cloneJson, jsonEqual } from './json.ts';
import { badRequest, StatusError, STATUS_REASON } from './status.ts';
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

/** A patch that is well-formed but cannot be applied to this object: 422, as the real server answers. */
function cannotApply(message: string): StatusError {
  return new StatusError(422, STATUS_REASON.invalid, message);
}

// ---- RFC 6902 JSON Patch ----

type Container = Record<string, unknown> | unknown[];

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean, path: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw cannotApply(`invalid array index "${token}" in path "${path}"`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) throw cannotApply(`array index ${index} out of bounds in path "${path}"`);
  return index;
}

function child(container: Container, token: string, path: string): unknown {
  if (Array.isArray(container)) return container[arrayIndex(token, container.length, false, path)];
  if (!Object.hasOwn(container, token)) throw cannotApply(`doc is missing path: "${path}"`);
  return container[token];
}

/** The container that holds the pointer's last token, and that token. */
function resolveParent(document: unknown, path: string): { parent: Container; last: string } {
  const tokens = parsePointer(path);
  const last = tokens.pop();
  if (last === undefined) throw cannotApply('the root of the document has no parent');
  let current: unknown = document;
  for (const token of tokens) {
    if (!isRecord(current) && !Array.isArray(current)) throw cannotApply(`doc is missing path: "${path}"`);
    current = child(current, token, path);
  }
  if (!isRecord(current) && !Array.isArray(current)) throw cannotApply(`doc is missing path: "${path}"`);
  return { parent: current, last };
}

function getAt(document: unknown, path: string): unknown {
  let current = document;
  for (const token of parsePointer(path)) {
    if (!isRecord(current) && !Array.isArray(current)) throw cannotApply(`doc is missing path: "${path}"`);
    current = child(current, token, path);
  }
  return current;
}

function addAt(document: unknown, path: string, value: unknown): unknown {
  if (path === '') return value;
  const { parent, last } = resolveParent(document, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, path), 0, value);
  else parent[last] = value;
  return document;
}

function removeAt(document: unknown, path: string): { document: unknown; removed: unknown } {
  if (path === '') throw cannotApply('cannot remove the root of the document');
  const { parent, last } = resolveParent(document, path);
  if (Array.isArray(parent)) {
    const index = arrayIndex(last, parent.length, false, path);
    const [removed] = parent.splice(index, 1);
    return { document, removed };
  }
  if (!Object.hasOwn(parent, last)) throw cannotApply(`doc is missing path: "${path}"`);
  const removed = parent[last];
  delete parent[last];
  return { document, removed };
}

function stringField(op: Record<string, unknown>, key: string, index: number): string {
  const value = op[key];
  if (typeof value !== 'string') throw badRequest(`json patch operation ${index}: "${key}" must be a string`);
  return value;
}

/** Applies an RFC 6902 patch to a copy of the document. */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('json patch must be an array of operations');
  let result = cloneJson(document);
  patch.forEach((op: unknown, index) => {
    if (!isRecord(op)) throw badRequest(`json patch operation ${index} must be an object`);
    const kind = stringField(op, 'op', index);
    const path = stringField(op, 'path', index);
    const needValue = () => {
      if (!Object.hasOwn(op, 'value')) throw badRequest(`json patch operation ${index} (${kind}) is missing "value"`);
      return cloneJson(op.value);
    };
    switch (kind) {
      case 'add':
        result = addAt(result, path, needValue());
        break;
      case 'remove':
        result = removeAt(result, path).document;
        break;
      case 'replace': {
        const value = needValue();
        if (path === '') {
          result = value;
          break;
        }
        getAt(result, path);
        const { parent, last } = resolveParent(result, path);
        if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, false, path)] = value;
        else parent[last] = value;
        break;
      }
      case 'move': {
        const from = stringField(op, 'from', index);
        if (path !== from && path.startsWith(`${from}/`)) throw cannotApply(`cannot move "${from}" into its own child "${path}"`);
        const { document: without, removed } = removeAt(result, from);
        result = addAt(without, path, removed);
        break;
      }
      case 'copy': {
        const from = stringField(op, 'from', index);
        result = addAt(result, path, cloneJson(getAt(result, from)));
        break;
      }
      case 'test': {
        const expected = Object.hasOwn(op, 'value') ? op.value : undefined;
        if (!jsonEqual(getAt(result, path), expected)) throw cannotApply(`testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw badRequest(`json patch operation ${index}: unsupported op "${kind}"`);
    }
  });
  return result;
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
