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
import {
  applyUndeclaredFieldError,
  customResourceSchema,
  dropUnknownFields,
  FIELD_VALIDATION,
  goFormat,
  goJson,
  parseFieldValidation,
  strictBodyError,
  strictPatchError,
  unknownFieldWarnings,
  type FieldValidation,
  type WriteOptionsKind,
} from './field-validation.ts';
import { defaultPropagationPolicy, deleteNamespace, deleteObject, deletionComplete, finishDeletion, PROPAGATION_POLICIES, type PropagationPolicy } from './gc.ts';
import { cloneJson } from './json.ts';
import { openApiV3Document, openApiV3Root } from './openapi.ts';
import {
  builtInFieldType,
  managerName,
  recordApply,
  recordUpdate,
  schemaFieldType,
  withManagedFields,
  type FieldType,
  type ManagedFieldsEntry,
  type TrackingScope,
  type WriteTracking,
} from './managed-fields.ts';
import { acceptedPatchTypes, applyJsonPatch, applyMergePatch, applyStrategicMergePatch, patchTypeOf } from './patch.ts';
import { servePodLogs } from './pod-logs.ts';
import type { ReviewHandler } from './reviews.ts';
import { acceptsJson, decodeBody, mediaTypeOf, notAcceptable, parseYaml, readBody, sendJson, sendText, setWarnings } from './request.ts';
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
  successStatus,
  unsupportedMediaType,
  unknownError,
  unsupportedMediaTypeByRoute,
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
/**
 * Kinds whose registry answers an immediate DELETE with the deleted object (ReturnDeletedObject);
 * every other kind answers with a Success Status naming it.
 */
const KINDS_ANSWERING_DELETE_WITH_OBJECT = new Set(['/pods', '/services', '/resourcequotas']);
/** The warning a batch/v1 Job delete without a policy gets: its pods are kept. */
const JOB_ORPHAN_WARNING =
  'child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning';
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
  fieldValidation: FieldValidation;
  /** Who the write's fields are recorded under (managedFields). */
  manager: string;
  /** `Warning` headers for the answer. */
  warnings: string[];
  /** RFC 3339 time of the write, for managedFields. */
  now: string;
}

/** How a write's managedFields come about: tracked as an update, or already worked out by an apply. */
type FieldTracking = { kind: 'update' } | { kind: 'applied'; managedFields: ManagedFieldsEntry[] };
const TRACK_UPDATE: FieldTracking = { kind: 'update' };

/** What every verb handler needs to know about the request besides its route. */
interface RequestContext {
  query: URLSearchParams;
  user: UserInfo;
  userAgent: string | undefined;
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

/**
 * undefined when unset, otherwise the number. One that is not a number is refused as the real
 * server refuses it: 400 from a list, a 500 without reason from a watch (its storage layer
 * reports the parse error as is).
 */
function parseResourceVersion(text: string | null, verb: 'list' | 'watch'): number | undefined {
  if (text === null || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const problem = `resourceVersion: Invalid value: ${JSON.stringify(text)}: strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`;
  throw verb === 'list' ? badRequest(`invalid resource version: ${problem}`) : unknownError(500, problem);
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

  function fieldTypeOf(info: ResourceInfo): FieldType {
    const schema = customResourceSchema(info);
    return schema ? schemaFieldType(schema) : builtInFieldType();
  }

  function trackingScope(info: ResourceInfo, subresource: ResourceRoute['subresource']): TrackingScope {
    if (subresource === 'status') return 'status';
    return info.subresources.includes('status') && info.resource !== 'nodes' ? 'main-without-status' : 'main';
  }

  function tracking(info: ResourceInfo, subresource: ResourceRoute['subresource'], context: WriteContext): WriteTracking {
    return {
      manager: context.manager,
      apiVersion: groupVersion(info),
      ...(subresource === 'status' ? { subresource } : {}),
      scope: trackingScope(info, subresource),
      type: fieldTypeOf(info),
      now: context.now,
    };
  }

  /**
   * The decoder's part: unknown fields dropped (and warned about or refused as `fieldValidation`
   * says), a custom resource's schema defaults applied.
   */
  function decodeFields(info: ResourceInfo, object: KubeObject, context: WriteContext, strictError: (unknown: string[]) => StatusError): KubeObject {
    const decoded = dropUnknownFields(info, object);
    if (decoded.unknown.length > 0 && context.fieldValidation === FIELD_VALIDATION.strict) throw strictError(decoded.unknown);
    if (context.fieldValidation === FIELD_VALIDATION.warn) context.warnings.push(...unknownFieldWarnings(decoded.unknown));
    return decoded.object;
  }

  function createObject(route: ResourceRoute, body: unknown, context: WriteContext, fields: FieldTracking = TRACK_UPDATE): KubeObject {
    const { info } = route;
    let object = cloneJson(asObject(info, body));
    if (fields.kind === 'update') object = decodeFields(info, object, context, (unknown) => strictBodyError(info, unknown));
    placeInNamespace(info, object, route.namespace);
    for (const key of SERVER_OWNED_METADATA) delete object.metadata[key];
    resetStatusOnCreate(info, object);
    if (info.namespaced) requireNamespace(route.namespace ?? '');
    // Fields are owned as the client sent them: what mutating admission adds is nobody's.
    const managedFields = fields.kind === 'applied' ? fields.managedFields : recordUpdate(undefined, object, tracking(info, undefined, context));
    let admitted = admit('mutate', 'CREATE', { info }, withManagedFields(object, managedFields), undefined, context) ?? object;
    admitted = cloneJson(admitted);
    placeInNamespace(info, admitted, route.namespace);
    // The name is generated before validation, so that refusals (quota...) can name the object.
    const { name, generateName } = admitted.metadata;
    if (!name && generateName) admitted.metadata.name = store.generateName(info, admitted.metadata.namespace, generateName);
    validateObjectMeta(info, admitted, { checkName: true });
    admitted = withManagedFields(admitted, managedFields);
    admit('validate', 'CREATE', { info }, admitted, undefined, context);
    return store.create(info, admitted, { dryRun: context.dryRun });
  }

  /** The common path of PUT and PATCH, on the main resource or on /status. */
  function updateObject(
    route: ResourceRoute,
    old: KubeObject,
    candidateBody: unknown,
    context: WriteContext,
    fields: FieldTracking = TRACK_UPDATE,
  ): { object: KubeObject; code: number } {
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
    delete next.metadata.selfLink;
    // Fields are owned as the client sent them: what mutating admission adds is nobody's.
    const managedFields = fields.kind === 'applied' ? fields.managedFields : recordUpdate(old, next, tracking(info, route.subresource, context));
    next = withManagedFields(next, managedFields);
    const admissionRoute = { info, ...(route.subresource === 'status' ? { subresource: 'status' as const } : {}) };
    let admitted = admit('mutate', 'UPDATE', admissionRoute, next, old, context) ?? next;
    admitted = cloneJson(admitted);
    admitted.metadata.name = name;
    placeInNamespace(info, admitted, route.namespace);
    validateObjectMeta(info, admitted, { checkName: false });
    admitted = withManagedFields(admitted, managedFields);
    admit('validate', 'UPDATE', admissionRoute, admitted, old, context);
    const stored = store.update(info, admitted, { dryRun: context.dryRun });
    if (old.metadata.deletionTimestamp !== undefined && deletionComplete(stored) && !context.dryRun) {
      return { object: finishDeletion(store, info, stored), code: 200 };
    }
    return { object: stored, code: 200 };
  }

  // ---- verbs ----

  function listObjects(route: ResourceRoute, query: URLSearchParams, accept: string | undefined, res: ServerResponse): void {
    const { info } = route;
    const filter = objectFilter(info, { labelSelector: query.get('labelSelector') ?? undefined, fieldSelector: query.get('fieldSelector') ?? undefined });
    const rvText = query.get('resourceVersion');
    const requested = parseResourceVersion(rvText, 'list');
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
    const start = parseResourceVersion(query.get('resourceVersion'), 'watch');
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

  function writeContext(request: RequestContext, optionsKind: WriteOptionsKind | 'DeleteOptions', bodyDryRun: string[] = []): WriteContext {
    const { query } = request;
    return {
      user: request.user,
      dryRun: parseDryRun([...query.getAll('dryRun'), ...bodyDryRun]),
      fieldValidation: optionsKind === 'DeleteOptions' ? FIELD_VALIDATION.ignore : parseFieldValidation(query, optionsKind),
      manager: managerName(query.get('fieldManager'), request.userAgent),
      warnings: [],
      now: new Date(Math.floor(options.now() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  /** Server-side apply: the configuration is merged in and its fields owned (managedFields). */
  function applyObject(route: ResourceRoute, raw: string, query: URLSearchParams, context: WriteContext): { object: KubeObject; code: number } {
    const { info } = route;
    if (!query.get('fieldManager')) {
      throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: CAUSE.required, message: 'Required value: is required for apply patch', field: 'fieldManager' }]);
    }
    const config = asObject(info, parseYaml(raw));
    const undeclared = dropUnknownFields(info, config).unknown;
    if (undeclared.length > 0) throw applyUndeclaredFieldError(info, config, undeclared);
    const given = config.metadata.name;
    if (given !== undefined && given !== '' && given !== route.name) {
      throw badRequest(`the name of the object (${given}) does not match the name on the URL (${route.name ?? ''})`);
    }
    const force = parseQueryBool(query, 'force') ?? false;
    const old = store.get(info, route.namespace, route.name ?? '');
    if (!old && route.subresource) throw notFound(info, route.name ?? '');
    const applied = recordApply(old, config, { ...tracking(info, route.subresource, context), force });
    const fields: FieldTracking = { kind: 'applied', managedFields: applied.managedFields };
    if (!old) {
      const object = applied.object;
      object.metadata.name = route.name;
      return { object: createObject(route, object, context, fields), code: 201 };
    }
    return updateObject(route, old, applied.object, context, fields);
  }

  async function patchObject(req: IncomingMessage, route: ResourceRoute, request: RequestContext): Promise<{ object: KubeObject; code: number; context: WriteContext }> {
    const { info } = route;
    const contentType = req.headers['content-type'] ?? '';
    const patchType = patchTypeOf(mediaTypeOf(contentType));
    if (!patchType || (patchType === 'strategic' && info.custom)) {
      // Drain the body so the connection stays usable.
      req.resume();
      // Built-in kinds' routes only take patch types; custom resources' handler lists its own.
      throw info.custom ? unsupportedMediaType(acceptedPatchTypes(true)) : unsupportedMediaTypeByRoute();
    }
    const raw = (await readBody(req, options.maxBodyBytes)).toString('utf8');
    const context = writeContext(request, 'PatchOptions');
    if (patchType === 'apply') return { ...applyObject(route, raw, request.query, context), context };
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
    const decoded = decodeFields(info, patched as KubeObject, context, (unknown) =>
      strictPatchError(patchType === 'strategic' ? goFormat(patch) : goJson(patched), unknown),
    );
    return { ...updateObject(route, old, decoded, context), context };
  }

  interface DeleteSettings {
    /** undefined: the object's own or the kind's default policy. */
    policy: PropagationPolicy | undefined;
    /** `orphanDependents` as sent (deprecated, but it still decides 202 versus 200). */
    orphanDependents: boolean | undefined;
    gracePeriodSeconds: number | undefined;
    /** Whether the request carried DeleteOptions at all. */
    hasBody: boolean;
    context: WriteContext;
    preconditions: { uid?: string; resourceVersion?: string };
  }

  function optionalInteger(value: unknown, name: string): number | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(value)} is not an integer`);
    return number;
  }

  async function deleteSettings(req: IncomingMessage, request: RequestContext): Promise<DeleteSettings> {
    const { query } = request;
    const raw = await readBody(req, options.maxBodyBytes);
    const body = raw.length > 0 ? decodeBody(raw, req.headers['content-type']) : {};
    if (!isRecord(body)) throw badRequest('the body of a delete request must be a DeleteOptions object');
    const orphanText = typeof body.orphanDependents === 'boolean' ? String(body.orphanDependents) : query.get('orphanDependents');
    const orphanDependents = orphanText === null ? undefined : orphanText === 'true';
    const policyText = (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined) ?? query.get('propagationPolicy') ?? undefined;
    if (policyText !== undefined && !(PROPAGATION_POLICIES as readonly string[]).includes(policyText)) {
      throw invalid('DeleteOptions', 'meta.k8s.io', '', [
        { reason: CAUSE.notSupported, message: `Unsupported value: ${JSON.stringify(policyText)}: supported values: "Foreground", "Background", "Orphan"`, field: 'propagationPolicy' },
      ]);
    }
    const policy = (policyText as PropagationPolicy | undefined) ?? (orphanDependents === undefined ? undefined : orphanDependents ? 'Orphan' : 'Background');
    const bodyDryRun = Array.isArray(body.dryRun) ? body.dryRun.map(String) : [];
    const preconditions = isRecord(body.preconditions) ? body.preconditions : {};
    return {
      policy,
      orphanDependents,
      gracePeriodSeconds: optionalInteger(body.gracePeriodSeconds ?? query.get('gracePeriodSeconds'), 'gracePeriodSeconds'),
      hasBody: raw.length > 0,
      context: writeContext(request, 'DeleteOptions', bodyDryRun),
      preconditions: {
        ...(typeof preconditions.uid === 'string' ? { uid: preconditions.uid } : {}),
        ...(typeof preconditions.resourceVersion === 'string' ? { resourceVersion: preconditions.resourceVersion } : {}),
      },
    };
  }

  function deleteOne(info: ResourceInfo, object: KubeObject, settings: DeleteSettings): { object: KubeObject; removed: boolean } {
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
      return { object: deleteNamespace(store, object, { dryRun: settings.context.dryRun }), removed: false };
    }
    if (settings.policy === undefined && settings.hasBody && defaultPropagationPolicy(info) === 'Orphan' && (object.metadata.finalizers ?? []).length === 0) {
      settings.context.warnings.push(JOB_ORPHAN_WARNING);
    }
    return deleteObject(store, { info, object }, { policy: settings.policy, gracePeriodSeconds: settings.gracePeriodSeconds, dryRun: settings.context.dryRun });
  }

  /** A single DELETE's answer: the deleted object, or a Success Status for kinds whose registry does not return it. */
  function deleteAnswer(info: ResourceInfo, outcome: { object: KubeObject; removed: boolean }, settings: DeleteSettings): { body: unknown; code: number } {
    // Only the deprecated orphanDependents=false on a deletion still in progress is 202.
    const code = !outcome.removed && settings.orphanDependents === false ? 202 : 200;
    if (!outcome.removed || KINDS_ANSWERING_DELETE_WITH_OBJECT.has(`${info.group}/${info.resource}`) || (info.group === '' && info.resource === 'namespaces')) {
      return { body: outcome.object, code };
    }
    const { name, uid } = outcome.object.metadata;
    return { body: successStatus({ name, group: info.group || undefined, kind: info.resource, uid }), code };
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

  /**
   * Custom resources allow no unconditional update: a PUT must carry the resourceVersion it
   * read. The real server reports it on the plural resource, not the Kind.
   */
  function requireResourceVersionIfConditional(info: ResourceInfo, object: KubeObject, name: string): void {
    const version = object.metadata.resourceVersion;
    if (!info.custom || (version !== undefined && version !== '' && version !== '0')) return;
    throw invalid(info.resource, info.group, name, [
      { reason: CAUSE.invalid, message: 'Invalid value: 0: must be specified for an update', field: 'metadata.resourceVersion' },
    ]);
  }

  /** Sends a write's answer with the warnings the write collected. */
  function answer(res: ServerResponse, code: number, body: unknown, context: WriteContext): void {
    setWarnings(res, context.warnings);
    sendJson(res, code, body);
  }

  async function handleResource(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, request: RequestContext): Promise<void> {
    const { query, user } = request;
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
          const context = writeContext(request, 'CreateOptions');
          answer(res, 201, createObject(route, body, context), context);
          return;
        }
        case 'DELETE': {
          requireVerb(info, 'deletecollection');
          if (info.namespaced && route.namespace === undefined) throw methodNotAllowed();
          const settings = await deleteSettings(req, request);
          const filter = objectFilter(info, { labelSelector: query.get('labelSelector') ?? undefined, fieldSelector: query.get('fieldSelector') ?? undefined });
          const items: KubeObject[] = [];
          for (const object of store.list(info, route.namespace)) {
            if (!filter.matches(object) || !store.get(info, route.namespace, object.metadata.name ?? '')) continue;
            items.push(deleteOne(info, object, settings).object);
          }
          setWarnings(res, settings.context.warnings);
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
        const context = writeContext(request, 'UpdateOptions');
        const object = decodeFields(info, asObject(info, body), context, (unknown) => strictBodyError(info, unknown));
        const old = getOr404(route);
        requireResourceVersionIfConditional(info, object, route.name ?? '');
        const result = updateObject(route, old, object, context);
        answer(res, result.code, result.object, context);
        return;
      }
      case 'PATCH': {
        requireVerb(info, 'patch');
        const result = await patchObject(req, route, request);
        answer(res, result.code, result.object, result.context);
        return;
      }
      case 'DELETE': {
        if (route.subresource) throw methodNotAllowed();
        requireVerb(info, 'delete');
        const settings = await deleteSettings(req, request);
        const result = deleteAnswer(info, deleteOne(info, getOr404(route), settings), settings);
        answer(res, result.code, result.body, settings.context);
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
      await handleResource(req, res, route, { query: url.searchParams, user, userAgent: req.headers['user-agent'] });
    },
  };
}
