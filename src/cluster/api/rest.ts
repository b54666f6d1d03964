// Routing and the verb handlers of the API server emulator: /api/v1/... and /apis/<g>/<v>/...,
// namespaced and cluster-scoped, get/list/watch/create/update/patch/delete/deletecollection, the
// status and log subresources, plus discovery, OpenAPI, version and health. Every failure is a
// StatusError; the server turns it into a JSON Status answer.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogStore } from '../logstore.ts';
import type { AdmissionOperation, AdmissionPlugin, UserInfo } from './admission.ts';
import {
  aggregatedDiscovery,
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  apiResourceList,
  legacyApiGroupList,
  legacyApiVersions,
  versionInfo,
  wantsAggregatedDiscovery,
} from './discovery.ts';
import { deleteNamespace, deleteObject, finishDeletion, PROPAGATION_POLICIES, type PropagationPolicy } from './gc.ts';
import { cloneJson } from './json.ts';
import { openApiV3Document, openApiV3Root } from './openapi.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, patchTypeOf } from './patch.ts';
import { servePodLogs } from './pod-logs.ts';
import type { ReviewHandler } from './reviews.ts';
import { acceptsJson, decodeBody, mediaTypeOf, notAcceptable, parseYaml, readBody, sendJson, sendText } from './request.ts';
import { findResource, groupVersion, type ResourceInfo } from './resources.ts';
import { objectFilter, type ObjectFilter } from './selectors.ts';
import {
  badRequest,
  CAUSE,
  conflict,
  expired,
  invalid,
  methodNotAllowed,
  notFound,
  pathNotFound,
  StatusError,
  STATUS_REASON,
  unsupportedMediaType,
  type StatusCause,
} from './status.ts';
import type { Store } from './storage.ts';
import { toTable, wantsTable } from './tables.ts';
import { isRecord, type KubeObject } from './types.ts';
import { validateObjectMeta } from './validation.ts';
import { serveWatch, type StreamRegistry } from './watch.ts';

export interface RestHandlerOptions {
  store: Store;
  logs: LogStore;
  admission: readonly AdmissionPlugin[];
  maxBodyBytes: number;
  bookmarkIntervalMs: number;
  keepAliveIntervalMs: number;
  now: () => number;
  register: StreamRegistry;
  /** Answers the virtual review kinds; without it they are not served (404). */
  reviews?: ReviewHandler;
}

export interface RestHandler {
  /** Serves one request; throws StatusError (or anything else, which becomes a 500). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, user: UserInfo): Promise<void>;
}

/** Paths anyone may read without credentials (the real server's system:public-info-viewer role). */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/livez', '/readyz', '/version']);

const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);
const DRY_RUN_ALL = 'All';
const FIELD_VALIDATION_VALUES = new Set(['', 'Ignore', 'Warn', 'Strict']);
const RESOURCE_VERSION_MATCH = { notOlderThan: 'NotOlderThan', exact: 'Exact' } as const;

interface ResourceRoute {
  info: ResourceInfo;
  /** Set for namespaced resources addressed inside a namespace. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: 'status' | 'log' | undefined;
}

interface WriteContext {
  user: UserInfo;
  dryRun: boolean;
}

interface ContinueToken {
  rv: number;
  namespace: string;
  name: string;
}

// ---- small parsers ----

function parseDryRun(values: string[]): boolean {
  for (const value of values) {
    if (value !== DRY_RUN_ALL) throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(value)}: supported values: "All"`);
  }
  return values.length > 0;
}

/** Strict, Warn and Ignore are accepted; unknown or duplicate fields are not reported (stored as sent). */
function checkFieldValidation(query: URLSearchParams): void {
  const value = query.get('fieldValidation');
  if (value !== null && !FIELD_VALIDATION_VALUES.has(value)) throw badRequest(`invalid fieldValidation directive: ${value}`);
}

function parseQueryBool(query: URLSearchParams, name: string): boolean | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw badRequest(`invalid value for ${name}: ${JSON.stringify(text)} is not a boolean`);
}

function parseQueryInt(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(text)} is not an integer`);
  return Number(text);
}

/** undefined when unset, otherwise the number; 400 when it is not one of ours. */
function parseResourceVersion(text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw badRequest(`invalid resource version: ${JSON.stringify(text)}`);
  return Number(text);
}

function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return new StatusError(504, STATUS_REASON.timeout, `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

function listOptionsInvalid(field: string, message: string): StatusError {
  return invalid('ListOptions', 'meta.k8s.io', '', [{ reason: CAUSE.forbidden, message: `Forbidden: ${message}`, field }]);
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (isRecord(value) && typeof value.rv === 'number' && typeof value.namespace === 'string' && typeof value.name === 'string') {
      return { rv: value.rv, namespace: value.namespace, name: value.name };
    }
  } catch {
    // Falls through to the 400 below: any undecodable token is the client's error.
  }
  throw badRequest('continue key is not valid: the token was not issued by this server');
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function afterToken(object: KubeObject, token: ContinueToken): boolean {
  const ns = compareKeys(object.metadata.namespace ?? '', token.namespace);
  return ns > 0 || (ns === 0 && compareKeys(object.metadata.name ?? '', token.name) > 0);
}

// ---- object preparation ----

/** Fields the server owns; whatever a client sends for them is dropped. */
const SERVER_OWNED_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields', 'generation'];

function checkTypeMeta(info: ResourceInfo, body: Record<string, unknown>): void {
  const expectedVersion = groupVersion(info);
  if (body.apiVersion !== undefined && body.apiVersion !== expectedVersion) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expectedVersion})`);
  }
  if (body.kind !== undefined && body.kind !== info.kind) {
    throw badRequest(`${String(body.kind)} in version "${String(body.apiVersion ?? expectedVersion)}" cannot be handled as a ${info.kind}: the kind in the data does not match the expected kind`);
  }
}

function asObject(info: ResourceInfo, body: unknown): KubeObject {
  if (!isRecord(body)) throw badRequest(`the body of the request must be a ${info.kind} object`);
  checkTypeMeta(info, body);
  const metadata = body.metadata ?? {};
  if (!isRecord(metadata)) throw badRequest(`${info.kind} in version "${groupVersion(info)}" cannot be handled as a ${info.kind}: metadata must be an object`);
  return { ...body, metadata };
}

/** Resolves the object's namespace against the URL's. */
function placeInNamespace(info: ResourceInfo, object: KubeObject, urlNamespace: string | undefined): void {
  if (!info.namespaced) {
    delete object.metadata.namespace;
    return;
  }
  const given = object.metadata.namespace;
  if (given === undefined || given === '') object.metadata.namespace = urlNamespace;
  else if (given !== urlNamespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
}

/**
 * What create does with `.status` for kinds that have a status subresource (PrepareForCreate):
 * it is the controllers' to write. Nodes keep theirs (the node registry allows it).
 */
function resetStatusOnCreate(info: ResourceInfo, object: KubeObject): void {
  if (!info.subresources.includes('status') || info.resource === 'nodes') return;
  if (info.custom) delete object.status;
  else if (info.resource === 'pods') object.status = { phase: 'Pending' };
  else if (info.resource === 'namespaces') object.status = { phase: 'Active' };
  else object.status = {};
}

function withoutTypeMeta(object: KubeObject): KubeObject {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = object;
  return rest as KubeObject;
}

// ---- the handler ----

export function createRestHandler(options: RestHandlerOptions): RestHandler {
  const { store } = options;
  const namespacesInfo = findResource('', 'v1', 'namespaces');
  const podsInfo = findResource('', 'v1', 'pods');
  if (!namespacesInfo || !podsInfo) throw new Error('namespaces and pods must be served');

  function admit(
    phase: 'mutate' | 'validate',
    operation: AdmissionOperation,
    route: { info: ResourceInfo; subresource?: 'status' },
    object: KubeObject | undefined,
    oldObject: KubeObject | undefined,
    context: WriteContext,
  ): KubeObject | undefined {
    let current = object;
    for (const plugin of options.admission) {
      const request = {
        operation,
        info: route.info,
        ...(route.subresource ? { subresource: route.subresource } : {}),
        namespace: route.info.namespaced ? (current ?? oldObject)?.metadata.namespace : undefined,
        name: (current ?? oldObject)?.metadata.name ?? '',
        object: current,
        oldObject,
        dryRun: context.dryRun,
        user: context.user,
      };
      if (phase === 'mutate') current = plugin.mutate?.(request, store) ?? current;
      else plugin.validate?.(request, store);
    }
    return current;
  }

  function requireNamespace(namespace: string): void {
    const found = store.get(namespacesInfo as ResourceInfo, undefined, namespace);
    if (!found) throw notFound(namespacesInfo as ResourceInfo, namespace);
    if (found.metadata.deletionTimestamp !== undefined) {
      throw new StatusError(403, STATUS_REASON.forbidden, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  function getOr404(route: ResourceRoute): KubeObject {
    const name = route.name ?? '';
    const object = store.get(route.info, route.namespace, name);
    if (!object) throw notFound(route.info, name);
    return object;
  }

  function createObject(route: ResourceRoute, body: unknown, context: WriteContext): KubeObject {
    const { info } = route;
    const object = cloneJson(asObject(info, body));
    placeInNamespace(info, object, route.namespace);
    for (const key of SERVER_OWNED_METADATA) delete object.metadata[key];
    resetStatusOnCreate(info, object);
    if (info.namespaced) requireNamespace(route.namespace ?? '');
    let admitted = admit('mutate', 'CREATE', { info }, object, undefined, context) ?? object;
    admitted = cloneJson(admitted);
    placeInNamespace(info, admitted, route.namespace);
    validateObjectMeta(info, admitted, { checkName: true });
    admit('validate', 'CREATE', { info }, admitted, undefined, context);
    return store.create(info, admitted, { dryRun: context.dryRun });
  }

  /** The common path of PUT and PATCH, on the main resource or on /status. */
  function updateObject(route: ResourceRoute, old: KubeObject, candidateBody: unknown, context: WriteContext): { object: KubeObject; code: number } {
    const { info } = route;
    const name = route.name ?? '';
    const candidate = cloneJson(asObject(info, candidateBody));
    const given = candidate.metadata.name;
    if (given === undefined || given === '') candidate.metadata.name = name;
    else if (given !== name) throw badRequest(`the name of the object (${given}) does not match the name on the URL (${name})`);
    placeInNamespace(info, candidate, route.namespace);
    const wantedVersion = candidate.metadata.resourceVersion;
    if (wantedVersion !== undefined && wantedVersion !== '' && wantedVersion !== old.metadata.resourceVersion) throw conflict(info, name);
    const wantedUid = candidate.metadata.uid;
    if (wantedUid !== undefined && wantedUid !== '' && wantedUid !== old.metadata.uid) {
      throw conflict(info, name, `Precondition failed: UID in precondition: ${wantedUid}, UID in object meta: ${old.metadata.uid ?? ''}`);
    }
    let next: KubeObject;
    if (route.subresource === 'status') {
      next = cloneJson(old);
      if (candidate.status === undefined) delete next.status;
      else next.status = candidate.status;
    } else {
      next = candidate;
      if (info.subresources.includes('status')) {
        if (old.status === undefined) delete next.status;
        else next.status = cloneJson(old.status);
      }
    }
    delete next.metadata.managedFields;
    delete next.metadata.selfLink;
    const admissionRoute = { info, ...(route.subresource === 'status' ? { subresource: 'status' as const } : {}) };
    let admitted = admit('mutate', 'UPDATE', admissionRoute, next, old, context) ?? next;
    admitted = cloneJson(admitted);
    admitted.metadata.name = name;
    placeInNamespace(info, admitted, route.namespace);
    validateObjectMeta(info, admitted, { checkName: false });
    admit('validate', 'UPDATE', admissionRoute, admitted, old, context);
    const stored = store.update(info, admitted, { dryRun: context.dryRun });
    const finalizersGone = (stored.metadata.finalizers ?? []).length === 0;
    if (old.metadata.deletionTimestamp !== undefined && finalizersGone && !context.dryRun) {
      return { object: finishDeletion(store, info, stored), code: 200 };
    }
    return { object: stored, code: 200 };
  }

  // ---- verbs ----

  function listObjects(route: ResourceRoute, query: URLSearchParams, accept: string | undefined, res: ServerResponse): void {
    const { info } = route;
    const filter = objectFilter(info, { labelSelector: query.get('labelSelector') ?? undefined, fieldSelector: query.get('fieldSelector') ?? undefined });
    const rvText = query.get('resourceVersion');
    const requested = parseResourceVersion(rvText);
    const match = query.get('resourceVersionMatch') ?? '';
    const continueText = query.get('continue') ?? '';
    const limitValue = parseQueryInt(query, 'limit');
    const limit = limitValue !== undefined && limitValue > 0 ? limitValue : undefined;
    if (query.get('sendInitialEvents') !== null) throw listOptionsInvalid('sendInitialEvents', 'sendInitialEvents is forbidden for list');
    if (match !== '') {
      if (match !== RESOURCE_VERSION_MATCH.notOlderThan && match !== RESOURCE_VERSION_MATCH.exact) {
        throw invalid('ListOptions', 'meta.k8s.io', '', [
          { reason: CAUSE.notSupported, message: `Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`, field: 'resourceVersionMatch' },
        ]);
      }
      if (requested === undefined) throw listOptionsInvalid('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (continueText !== '') throw listOptionsInvalid('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
      if (match === RESOURCE_VERSION_MATCH.exact && requested === 0) {
        throw listOptionsInvalid('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
      }
    }
    const current = store.currentResourceVersion();
    if (requested !== undefined && requested > current) throw tooLargeResourceVersion(requested, current);

    let listVersion = current;
    let objects: KubeObject[];
    let start: ContinueToken | undefined;
    if (continueText !== '') {
      if (requested !== undefined && requested !== 0) throw badRequest('specifying resource version is not allowed when using continue');
      start = decodeContinue(continueText);
      const snapshot = store.listAt(info, route.namespace, start.rv);
      if (!snapshot) {
        throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      listVersion = start.rv;
      objects = snapshot;
    } else if (requested !== undefined && requested !== 0 && (match === RESOURCE_VERSION_MATCH.exact || (match === '' && limit !== undefined))) {
      const snapshot = store.listAt(info, route.namespace, requested);
      if (!snapshot) throw expired(`too old resource version: ${requested} (${store.oldestResumableResourceVersion() + 1})`);
      listVersion = requested;
      objects = snapshot;
    } else {
      objects = store.list(info, route.namespace);
    }

    const candidates = start ? objects.filter((object) => afterToken(object, start)) : objects;
    const items: KubeObject[] = [];
    let next: ContinueToken | undefined;
    let remaining = 0;
    for (const object of candidates) {
      if (!filter.matches(object)) continue;
      if (limit !== undefined && items.length >= limit) {
        const last = items[items.length - 1];
        next ??= { rv: listVersion, namespace: last?.metadata.namespace ?? '', name: last?.metadata.name ?? '' };
        remaining += 1;
        if (!filter.everything) break;
        continue;
      }
      items.push(object);
    }
    const metadata = {
      resourceVersion: String(listVersion),
      ...(next ? { continue: encodeContinue(next) } : {}),
      // The real server reports the count only when it is exact, i.e. without selectors.
      ...(next && filter.everything ? { remainingItemCount: remaining } : {}),
    };
    if (wantsTable(accept)) {
      sendJson(res, 200, toTable(info, items, metadata, options.now()));
      return;
    }
    sendJson(res, 200, {
      kind: info.listKind,
      apiVersion: groupVersion(info),
      metadata,
      items: info.custom ? items : items.map(withoutTypeMeta),
    });
  }

  function watchObjects(route: ResourceRoute, query: URLSearchParams, accept: string | undefined, res: ServerResponse): void {
    const { info } = route;
    const filter: ObjectFilter = objectFilter(info, {
      labelSelector: query.get('labelSelector') ?? undefined,
      fieldSelector: query.get('fieldSelector') ?? undefined,
    });
    const start = parseResourceVersion(query.get('resourceVersion'));
    const sendInitialEvents = parseQueryBool(query, 'sendInitialEvents');
    const allowBookmarks = parseQueryBool(query, 'allowWatchBookmarks') ?? false;
    const match = query.get('resourceVersionMatch') ?? '';
    if (sendInitialEvents !== undefined) {
      if (match !== RESOURCE_VERSION_MATCH.notOlderThan) {
        throw listOptionsInvalid('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
      }
      if (sendInitialEvents && !allowBookmarks) {
        throw listOptionsInvalid('allowWatchBookmarks', 'sendInitialEvents requires setting allowWatchBookmarks to true');
      }
    } else if (match !== '') {
      throw listOptionsInvalid('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    }
    const timeoutSeconds = parseQueryInt(query, 'timeoutSeconds');
    const current = store.currentResourceVersion();
    if (start !== undefined && start > current) throw tooLargeResourceVersion(start, current);
    serveWatch(
      res,
      store,
      {
        info,
        namespace: route.namespace,
        filter,
        // "Not older than N" with initial events is served from the current state.
        startResourceVersion: sendInitialEvents === true ? undefined : start,
        sendInitialEvents,
        allowBookmarks,
        timeoutSeconds,
        table: wantsTable(accept),
      },
      { bookmarkIntervalMs: options.bookmarkIntervalMs, keepAliveIntervalMs: options.keepAliveIntervalMs, now: options.now },
      options.register,
    );
  }

  async function readObjectBody(req: IncomingMessage): Promise<unknown> {
    const body = await readBody(req, options.maxBodyBytes);
    return decodeBody(body, req.headers['content-type']);
  }

  function writeContext(query: URLSearchParams, user: UserInfo, bodyDryRun: string[] = []): WriteContext {
    checkFieldValidation(query);
    return { user, dryRun: parseDryRun([...query.getAll('dryRun'), ...bodyDryRun]) };
  }

  async function patchObject(req: IncomingMessage, route: ResourceRoute, query: URLSearchParams, user: UserInfo): Promise<{ object: KubeObject; code: number }> {
    const { info } = route;
    const contentType = req.headers['content-type'] ?? '';
    const patchType = patchTypeOf(mediaTypeOf(contentType));
    if (!patchType || (patchType === 'strategic' && info.custom)) {
      // Drain the body so the connection stays usable.
      req.resume();
      throw unsupportedMediaType(contentType);
    }
    const raw = (await readBody(req, options.maxBodyBytes)).toString('utf8');
    const context = writeContext(query, user);
    if (patchType === 'apply') {
      if (!query.get('fieldManager')) {
        throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: CAUSE.required, message: 'Required value: is required for apply patch', field: 'fieldManager' }]);
      }
      const applied = asObject(info, parseYaml(raw));
      const old = store.get(info, route.namespace, route.name ?? '');
      if (!old) {
        if (route.subresource) throw notFound(info, route.name ?? '');
        const object = cloneJson(applied);
        const given = object.metadata.name;
        if (given !== undefined && given !== '' && given !== route.name) {
          throw badRequest(`the name of the object (${given}) does not match the name on the URL (${route.name ?? ''})`);
        }
        object.metadata.name = route.name;
        return { object: createObject(route, object, context), code: 201 };
      }
      // Server-side apply without field ownership: the applied configuration is merged into the
      // live object (no conflicts, nothing removed that the manifest merely omits).
      const merged = info.custom ? applyMergePatch(old, applied) : applyStrategicMergePatch(old as Record<string, unknown>, applied);
      return updateObject(route, old, merged, context);
    }
    const old = getOr404(route);
    let patch: unknown;
    try {
      patch = JSON.parse(raw);
    } catch (error) {
      throw badRequest(`error decoding patch: ${error instanceof Error ? error.message : String(error)}`);
    }
    const base = cloneJson(old) as Record<string, unknown>;
    const patched =
      patchType === 'json' ? applyJsonPatch(base, patch) : patchType === 'merge' ? applyMergePatch(base, patch) : applyStrategicMergePatch(base, patch);
    if (!isRecord(patched) || !isRecord(patched.metadata)) {
      throw new StatusError(422, STATUS_REASON.invalid, `the patched ${info.kind} is not an object with metadata`);
    }
    return updateObject(route, old, patched, context);
  }

  interface DeleteSettings {
    policy: PropagationPolicy;
    context: WriteContext;
    preconditions: { uid?: string; resourceVersion?: string };
  }

  async function deleteSettings(req: IncomingMessage, query: URLSearchParams, user: UserInfo): Promise<DeleteSettings> {
    const raw = await readBody(req, options.maxBodyBytes);
    const body = raw.length > 0 ? decodeBody(raw, req.headers['content-type']) : {};
    if (!isRecord(body)) throw badRequest('the body of a delete request must be a DeleteOptions object');
    const orphan = body.orphanDependents === true || query.get('orphanDependents') === 'true';
    const policyText = (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined) ?? query.get('propagationPolicy') ?? (orphan ? 'Orphan' : 'Background');
    if (!(PROPAGATION_POLICIES as readonly string[]).includes(policyText)) {
      throw invalid('DeleteOptions', 'meta.k8s.io', '', [
        { reason: CAUSE.notSupported, message: `Unsupported value: ${JSON.stringify(policyText)}: supported values: "Foreground", "Background", "Orphan"`, field: 'propagationPolicy' },
      ]);
    }
    const bodyDryRun = Array.isArray(body.dryRun) ? body.dryRun.map(String) : [];
    const preconditions = isRecord(body.preconditions) ? body.preconditions : {};
    return {
      policy: policyText as PropagationPolicy,
      context: writeContext(query, user, bodyDryRun),
      preconditions: {
        ...(typeof preconditions.uid === 'string' ? { uid: preconditions.uid } : {}),
        ...(typeof preconditions.resourceVersion === 'string' ? { resourceVersion: preconditions.resourceVersion } : {}),
      },
    };
  }

  function deleteOne(info: ResourceInfo, object: KubeObject, settings: DeleteSettings): { object: KubeObject; code: number } {
    const name = object.metadata.name ?? '';
    const { uid, resourceVersion } = settings.preconditions;
    if (uid !== undefined && uid !== object.metadata.uid) {
      throw conflict(info, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${object.metadata.uid ?? ''}`);
    }
    if (resourceVersion !== undefined && resourceVersion !== object.metadata.resourceVersion) {
      throw conflict(info, name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${object.metadata.resourceVersion ?? ''}`);
    }
    admit('validate', 'DELETE', { info }, undefined, object, settings.context);
    if (info.resource === 'namespaces' && info.group === '') {
      return { object: deleteNamespace(store, object, { dryRun: settings.context.dryRun }), code: 200 };
    }
    const outcome = deleteObject(store, { info, object }, { policy: settings.policy, dryRun: settings.context.dryRun });
    // 202 Accepted: finalizers keep the object until its controllers are done with it.
    return { object: outcome.object, code: outcome.removed ? 200 : 202 };
  }

  // ---- routing ----

  function resolveResource(group: string, version: string, rest: string[]): ResourceRoute {
    let info: ResourceInfo | undefined;
    let namespace: string | undefined;
    let tail: string[];
    const nested = rest[0] === 'namespaces' && rest.length >= 3 ? findResource(group, version, rest[2] ?? '') : undefined;
    if (nested?.namespaced) {
      info = nested;
      namespace = rest[1];
      tail = rest.slice(3);
    } else {
      info = findResource(group, version, rest[0] ?? '');
      tail = rest.slice(1);
      // A namespaced kind outside a namespace is only a collection (list/watch across namespaces).
      if (info?.namespaced && tail.length > 0) info = undefined;
    }
    if (!info || tail.length > 2) throw pathNotFound();
    const [name, subresource] = tail;
    if (subresource !== undefined && !(info.subresources as readonly string[]).includes(subresource)) throw pathNotFound();
    if (name === '') throw pathNotFound();
    return { info, namespace, name, subresource: subresource as ResourceRoute['subresource'] };
  }

  function requireVerb(info: ResourceInfo, verb: ResourceInfo['verbs'][number]): void {
    if (!info.verbs.includes(verb)) throw methodNotAllowed();
  }

  async function handleResource(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, query: URLSearchParams, user: UserInfo): Promise<void> {
    const method = req.method ?? 'GET';
    const accept = req.headers.accept;
    const { info } = route;
    if (route.subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed();
      requireVerb(info, 'get');
      servePodLogs(res, options.logs, getOr404(route), query, { now: options.now, register: options.register });
      return;
    }
    if (!acceptsJson(accept)) throw notAcceptable();

    if (route.name === undefined) {
      const watch = parseQueryBool(query, 'watch') ?? false;
      switch (method) {
        case 'GET':
          requireVerb(info, watch ? 'watch' : 'list');
          if (watch) watchObjects(route, query, accept, res);
          else listObjects(route, query, accept, res);
          return;
        case 'POST': {
          requireVerb(info, 'create');
          if (info.namespaced && route.namespace === undefined) throw methodNotAllowed();
          if (info.virtual) {
            // Evaluated, never stored: no admission, no namespace check, nothing to dry-run.
            if (!options.reviews?.serves(info)) throw pathNotFound();
            const body = await readObjectBody(req);
            sendJson(res, 201, options.reviews.create({ info, namespace: route.namespace, body, user }));
            return;
          }
          const body = await readObjectBody(req);
          const context = writeContext(query, user);
          sendJson(res, 201, createObject(route, body, context));
          return;
        }
        case 'DELETE': {
          requireVerb(info, 'deletecollection');
          if (info.namespaced && route.namespace === undefined) throw methodNotAllowed();
          const settings = await deleteSettings(req, query, user);
          const filter = objectFilter(info, { labelSelector: query.get('labelSelector') ?? undefined, fieldSelector: query.get('fieldSelector') ?? undefined });
          const items: KubeObject[] = [];
          for (const object of store.list(info, route.namespace)) {
            if (!filter.matches(object) || !store.get(info, route.namespace, object.metadata.name ?? '')) continue;
            items.push(deleteOne(info, object, settings).object);
          }
          sendJson(res, 200, {
            kind: info.listKind,
            apiVersion: groupVersion(info),
            metadata: { resourceVersion: String(store.currentResourceVersion()) },
            items: info.custom ? items : items.map(withoutTypeMeta),
          });
          return;
        }
        default:
          throw methodNotAllowed();
      }
    }

    switch (method) {
      case 'GET': {
        requireVerb(info, 'get');
        const object = getOr404(route);
        if (wantsTable(accept)) sendJson(res, 200, toTable(info, [object], { resourceVersion: object.metadata.resourceVersion ?? '' }, options.now()));
        else sendJson(res, 200, object);
        return;
      }
      case 'PUT': {
        requireVerb(info, 'update');
        const body = await readObjectBody(req);
        const context = writeContext(query, user);
        const result = updateObject(route, getOr404(route), body, context);
        sendJson(res, result.code, result.object);
        return;
      }
      case 'PATCH': {
        requireVerb(info, 'patch');
        const result = await patchObject(req, route, query, user);
        sendJson(res, result.code, result.object);
        return;
      }
      case 'DELETE': {
        if (route.subresource) throw methodNotAllowed();
        requireVerb(info, 'delete');
        const settings = await deleteSettings(req, query, user);
        const result = deleteOne(info, getOr404(route), settings);
        sendJson(res, result.code, result.object);
        return;
      }
      default:
        throw methodNotAllowed();
    }
  }

  function handleDiscovery(req: IncomingMessage, res: ServerResponse, segments: string[]): boolean {
    const accept = req.headers.accept;
    const [root, group, version] = segments;
    if (root === 'api' && segments.length === 1) {
      if (wantsAggregatedDiscovery(accept)) sendJson(res, 200, aggregatedDiscovery('api'), AGGREGATED_DISCOVERY_CONTENT_TYPE);
      else sendJson(res, 200, legacyApiVersions(req.headers.host ?? ''));
      return true;
    }
    if (root === 'apis' && segments.length === 1) {
      if (wantsAggregatedDiscovery(accept)) sendJson(res, 200, aggregatedDiscovery('apis'), AGGREGATED_DISCOVERY_CONTENT_TYPE);
      else sendJson(res, 200, legacyApiGroupList());
      return true;
    }
    if (root === 'apis' && segments.length === 2 && group !== undefined) {
      const list = legacyApiGroupList() as { groups?: Array<Record<string, unknown>> };
      const found = list.groups?.find((entry) => entry.name === group);
      if (!found) throw pathNotFound();
      sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...found });
      return true;
    }
    const resourceList =
      root === 'api' && segments.length === 2 && group !== undefined
        ? apiResourceList('', group)
        : root === 'apis' && segments.length === 3 && group !== undefined && version !== undefined
          ? apiResourceList(group, version)
          : null;
    if (resourceList === null) return false;
    if (resourceList === undefined) throw pathNotFound();
    sendJson(res, 200, resourceList);
    return true;
  }

  return {
    async handle(req, res, url, user) {
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      const method = req.method ?? 'GET';
      if (HEALTH_PATHS.has(path)) {
        if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
        sendText(res, 200, 'ok');
        return;
      }
      let segments: string[];
      try {
        segments = path.split('/').filter((part) => part !== '').map(decodeURIComponent);
      } catch {
        throw badRequest(`malformed path: ${path}`);
      }
      const [root] = segments;
      if (path === '/version') {
        if (method !== 'GET') throw methodNotAllowed();
        sendJson(res, 200, versionInfo());
        return;
      }
      if (root === 'openapi' && segments[1] === 'v3') {
        if (method !== 'GET') throw methodNotAllowed();
        const document = segments.length === 2 ? openApiV3Root() : openApiV3Document(segments.slice(2).join('/'));
        if (!document) throw pathNotFound();
        sendJson(res, 200, document);
        return;
      }
      if (root !== 'api' && root !== 'apis') throw pathNotFound();
      if (segments.length <= 3 && (root === 'apis' || segments.length <= 2)) {
        if (method !== 'GET') throw methodNotAllowed();
        if (handleDiscovery(req, res, segments)) return;
      }
      let group: string;
      let version: string;
      let rest: string[];
      if (root === 'api') {
        if (segments[1] !== 'v1') throw pathNotFound();
        group = '';
        version = 'v1';
        rest = segments.slice(2);
      } else {
        group = segments[1] ?? '';
        version = segments[2] ?? '';
        rest = segments.slice(3);
      }
      const route = resolveResource(group, version, rest);
      await handleResource(req, res, route, url.searchParams, user);
    },
  };
}
