// OpenAPI v3: `/openapi/v3` (the root, one hashed URL per group-version) and one document per
// group-version. kubectl needs these before `apply`, `create -f` and `replace -f`: it looks for
// a PATCH operation tagged with the object's GVK and, when that operation lists the
// `fieldValidation` query parameter, sends `fieldValidation=Strict` instead of validating on the
// client (which would need protobuf `/openapi/v2`). `kubectl explain` reads the schemas. Paths
// and operations are derived from RESOURCES; schemas come from openapi-schemas.ts.

import { createHash } from 'node:crypto';
import {
  API_VERSION_DESCRIPTION,
  COMPONENT_REF_PREFIX,
  described,
  KIND_DESCRIPTION,
  KIND_SCHEMAS,
  LIST_METADATA_DESCRIPTION,
  METADATA_DESCRIPTION,
  ref,
  SCHEMA_PREFIX,
  SHARED_SCHEMAS,
  str,
  type KindSchema,
  type Schema,
} from './openapi-schemas.ts';
import { groupVersion, RESOURCES, type ResourceInfo, type Verb } from './resources.ts';

const OPENAPI_VERSION = '3.0.0';
const DOCUMENT_INFO = { title: 'Kubernetes', version: 'v1.32.0' };
const OPENAPI_V3_PATH = '/openapi/v3';

const GVK_EXTENSION = 'x-kubernetes-group-version-kind';
const ACTION_EXTENSION = 'x-kubernetes-action';

const JSON_MEDIA_TYPE = 'application/json';
const WATCH_STREAM_MEDIA_TYPE = 'application/json;stream=watch';
const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
const APPLY_PATCH = 'application/apply-patch+yaml';

const STATUS_SCHEMA = `${SCHEMA_PREFIX.meta}Status`;
const DELETE_OPTIONS_SCHEMA = `${SCHEMA_PREFIX.meta}DeleteOptions`;
const PATCH_SCHEMA = `${SCHEMA_PREFIX.meta}Patch`;
const OBJECT_META_SCHEMA = `${SCHEMA_PREFIX.meta}ObjectMeta`;
const LIST_META_SCHEMA = `${SCHEMA_PREFIX.meta}ListMeta`;

// ---------------------------------------------------------------------------------------------
// Names

/** `api/v1` for the core group, `apis/<group>/<version>` otherwise: the key in the v3 root. */
function documentKey(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group === '' ? `api/${info.version}` : `apis/${info.group}/${info.version}`;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `core_v1`, `batch_v1`, `kubeflowOrg_v2beta1`: the operation tag of a group-version. */
function tag(info: ResourceInfo): string {
  if (info.group === '') return `core_${info.version}`;
  const [first = '', ...rest] = info.group.split('.');
  return `${first}${rest.map(capitalize).join('')}_${info.version}`;
}

/** `CoreV1`, `BatchV1`, `KubeflowOrgV2beta1`: the group-version part of operation ids. */
function operationGroupVersion(info: ResourceInfo): string {
  const group = info.group === '' ? 'Core' : info.group.split('.').map(capitalize).join('');
  return `${group}${capitalize(info.version)}`;
}

/** Component name of a kind, as the real server names it (`io.k8s.api.core.v1.Pod`). */
function kindSchemaName(info: ResourceInfo, kind: string = info.kind): string {
  if (info.custom) return `${info.group.split('.').reverse().join('.')}.${info.version}.${kind}`;
  if (info.group === '') return `${SCHEMA_PREFIX.core}${kind}`;
  return `io.k8s.api.${info.group}.${info.version}.${kind}`;
}

function gvk(info: ResourceInfo, kind: string = info.kind): { group: string; version: string; kind: string } {
  // `group` is present even when empty: kubectl compares all three keys of this map.
  return { group: info.group, version: info.version, kind };
}

// ---------------------------------------------------------------------------------------------
// Parameters

function queryParameter(name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string'): Schema {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

function pathParameter(name: string, description: string): Schema {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } };
}

const PRETTY = queryParameter('pretty', "If 'true', then the output is pretty printed.");
const DRY_RUN = queryParameter(
  'dryRun',
  'When present, indicates that modifications should not be persisted. The only valid value is "All": process every stage of the request without storing anything.',
);
const FIELD_MANAGER = queryParameter(
  'fieldManager',
  'A name associated with the actor or entity that is making these changes, at most 128 printable characters. Required for apply patches.',
);
const FIELD_VALIDATION = queryParameter(
  'fieldValidation',
  'How the server handles unknown or duplicate fields in the request body: Ignore drops them, Warn (the default) keeps going and returns a warning for each, Strict fails the request with BadRequest.',
);
const FORCE = queryParameter(
  'force',
  'Force "apply" requests: re-acquire conflicting fields owned by other field managers. Must be unset for non-apply patches.',
  'boolean',
);
const LIST_PARAMETERS: Schema[] = [
  queryParameter('allowWatchBookmarks', 'Requests watch events of type BOOKMARK. Ignored when watch is not set.', 'boolean'),
  queryParameter(
    'continue',
    'The continue token of a previous paged list: the server returns the next page, at the same resourceVersion. An expired token answers 410 Gone.',
  ),
  queryParameter('fieldSelector', 'A selector to restrict the list of returned objects by their fields, e.g. metadata.name=pi. Defaults to everything.'),
  queryParameter('labelSelector', 'A selector to restrict the list of returned objects by their labels, e.g. training.kubeflow.org/job-name=pi. Defaults to everything.'),
  queryParameter('limit', 'The maximum number of items to return; more are available through the continue token.', 'integer'),
  queryParameter('resourceVersion', 'Sets a constraint on what resource versions a request may be served from; see resourceVersionMatch.'),
  queryParameter('resourceVersionMatch', 'How resourceVersion is applied to list calls: NotOlderThan or Exact.'),
  queryParameter('sendInitialEvents', 'With watch=true, start the stream with synthetic ADDED events for the current state, then a bookmark.', 'boolean'),
  queryParameter('timeoutSeconds', 'Timeout for the list/watch call, regardless of activity.', 'integer'),
  queryParameter('watch', 'Watch for changes to the described resources and return them as a stream of add, update and remove notifications.', 'boolean'),
];
const DELETE_PARAMETERS: Schema[] = [
  DRY_RUN,
  queryParameter('gracePeriodSeconds', 'The duration in seconds before the object should be deleted. Zero means delete immediately.', 'integer'),
  queryParameter('propagationPolicy', 'Whether and how garbage collection is performed: Orphan, Background or Foreground.'),
];
const LOG_PARAMETERS: Schema[] = [
  queryParameter('container', 'The container for which to stream logs. Defaults to the only container if there is one.'),
  queryParameter('follow', 'Follow the log stream of the pod until the container stops.', 'boolean'),
  queryParameter('insecureSkipTLSVerifyBackend', 'Skip verifying the kubelet serving certificate; ignored by the embedded cluster.', 'boolean'),
  queryParameter('limitBytes', 'The number of bytes to read from the server before terminating the log output.', 'integer'),
  queryParameter('previous', 'Return the logs of the previous, terminated instance of the container.', 'boolean'),
  queryParameter('sinceSeconds', 'Only return logs newer than this many seconds. Mutually exclusive with sinceTime.', 'integer'),
  queryParameter('sinceTime', 'Only return logs at or after this RFC 3339 time. Mutually exclusive with sinceSeconds.'),
  queryParameter('stream', 'Which container log stream to return: All, Stdout or Stderr.'),
  queryParameter('tailLines', 'The number of lines from the end of the logs to show.', 'integer'),
  queryParameter('timestamps', 'Prefix every line of log output with an RFC 3339 timestamp.', 'boolean'),
];

// ---------------------------------------------------------------------------------------------
// Operations

function jsonContent(schemaName: string, mediaTypes: string[] = [JSON_MEDIA_TYPE]): Record<string, Schema> {
  return Object.fromEntries(mediaTypes.map((type) => [type, { schema: ref(schemaName) }]));
}

function okResponse(schemaName: string, codes: number[] = [200], mediaTypes?: string[]): Record<string, Schema> {
  const responses: Record<string, Schema> = {};
  const descriptions: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted' };
  for (const code of codes) responses[String(code)] = { description: descriptions[code] ?? 'OK', content: jsonContent(schemaName, mediaTypes) };
  responses['401'] = { description: 'Unauthorized' };
  return responses;
}

interface OperationOptions {
  /** The verb in the operation id (`list`, `create`, `read`, `replace`, `patch`, `delete`, `deletecollection`). */
  idVerb: string;
  action: string;
  /** Appended to the kind in the operation id: `Status`, `Log`, `ForAllNamespaces`. */
  idSuffix?: string;
  namespaced: boolean;
  description: string;
  parameters: Schema[];
  requestBody?: Schema;
  responses: Record<string, Schema>;
}

function operation(info: ResourceInfo, options: OperationOptions): Schema {
  const idVerb = options.idVerb === 'deletecollection' ? 'deleteCollection' : options.idVerb;
  const scope = options.namespaced ? 'Namespaced' : '';
  return {
    tags: [tag(info)],
    description: options.description,
    operationId: `${idVerb}${operationGroupVersion(info)}${scope}${info.kind}${options.idSuffix ?? ''}`,
    parameters: options.parameters,
    ...(options.requestBody ? { requestBody: options.requestBody } : {}),
    responses: options.responses,
    [ACTION_EXTENSION]: options.action,
    [GVK_EXTENSION]: gvk(info),
  };
}

/** Patch types the REST layer accepts for this kind; custom resources refuse strategic merge. */
function patchMediaTypes(info: ResourceInfo): string[] {
  return info.custom ? [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH];
}

function patchOperation(info: ResourceInfo, namespaced: boolean, subject: string, idSuffix?: string): Schema {
  return operation(info, {
    idVerb: 'patch',
    action: 'patch',
    ...(idSuffix ? { idSuffix } : {}),
    namespaced,
    description: `partially update ${subject}`,
    // Every PATCH lists fieldValidation: kubectl checks only the first GVK-tagged PATCH it meets.
    parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
    requestBody: { content: jsonContent(PATCH_SCHEMA, patchMediaTypes(info)), required: true },
    responses: okResponse(kindSchemaName(info), [200, 201]),
  });
}

function writeBody(info: ResourceInfo): Schema {
  return { content: jsonContent(kindSchemaName(info)), required: true };
}

/** The path items of one resource: collection, object, and subresources. */
function resourcePaths(info: ResourceInfo): Record<string, Schema> {
  const base = `/${documentKey(info)}`;
  const has = (verb: Verb): boolean => info.verbs.includes(verb);
  const kind = info.kind;
  const kindSchema = kindSchemaName(info);
  const listSchema = kindSchemaName(info, info.listKind);
  const nsParameter = pathParameter('namespace', 'object name and auth scope, such as for teams and projects');
  const nameParameter = pathParameter('name', `name of the ${kind}`);
  const scopeParameters = info.namespaced ? [nsParameter] : [];
  const collection = info.namespaced ? `${base}/namespaces/{namespace}/${info.resource}` : `${base}/${info.resource}`;
  const item = `${collection}/{name}`;
  const paths: Record<string, Schema> = {};

  if (info.namespaced && has('list')) {
    paths[`${base}/${info.resource}`] = {
      get: operation(info, {
        idVerb: 'list',
        action: 'list',
        idSuffix: 'ForAllNamespaces',
        namespaced: false,
        description: `list or watch objects of kind ${kind} in every namespace`,
        parameters: LIST_PARAMETERS,
        responses: okResponse(listSchema, [200], [JSON_MEDIA_TYPE, WATCH_STREAM_MEDIA_TYPE]),
      }),
      parameters: [PRETTY],
    };
  }

  const collectionItem: Schema = { parameters: [...scopeParameters, PRETTY] };
  if (has('list')) {
    collectionItem['get'] = operation(info, {
      idVerb: 'list',
      action: 'list',
      namespaced: info.namespaced,
      description: `list or watch objects of kind ${kind}`,
      parameters: LIST_PARAMETERS,
      responses: okResponse(listSchema, [200], [JSON_MEDIA_TYPE, WATCH_STREAM_MEDIA_TYPE]),
    });
  }
  if (has('create')) {
    collectionItem['post'] = operation(info, {
      idVerb: 'create',
      action: 'post',
      namespaced: info.namespaced,
      description: `create ${article(kind)} ${kind}`,
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: writeBody(info),
      responses: okResponse(kindSchema, [200, 201, 202]),
    });
  }
  if (has('deletecollection')) {
    collectionItem['delete'] = operation(info, {
      idVerb: 'deletecollection',
      action: 'deletecollection',
      namespaced: info.namespaced,
      description: `delete collection of ${kind}`,
      parameters: [...DELETE_PARAMETERS, ...LIST_PARAMETERS.filter((p) => p['name'] !== 'watch' && p['name'] !== 'allowWatchBookmarks')],
      requestBody: { content: jsonContent(DELETE_OPTIONS_SCHEMA) },
      responses: okResponse(STATUS_SCHEMA),
    });
  }
  paths[collection] = collectionItem;

  const itemPath: Schema = { parameters: [nameParameter, ...scopeParameters, PRETTY] };
  if (has('get')) {
    itemPath['get'] = operation(info, {
      idVerb: 'read',
      action: 'get',
      namespaced: info.namespaced,
      description: `read the specified ${kind}`,
      parameters: [],
      responses: okResponse(kindSchema),
    });
  }
  if (has('update')) {
    itemPath['put'] = operation(info, {
      idVerb: 'replace',
      action: 'put',
      namespaced: info.namespaced,
      description: `replace the specified ${kind}`,
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: writeBody(info),
      responses: okResponse(kindSchema, [200, 201]),
    });
  }
  if (has('patch')) itemPath['patch'] = patchOperation(info, info.namespaced, `the specified ${kind}`);
  if (has('delete')) {
    itemPath['delete'] = operation(info, {
      idVerb: 'delete',
      action: 'delete',
      namespaced: info.namespaced,
      description: `delete ${article(kind)} ${kind}`,
      parameters: DELETE_PARAMETERS,
      requestBody: { content: jsonContent(DELETE_OPTIONS_SCHEMA) },
      responses: okResponse(kindSchema, [200, 202]),
    });
  }
  paths[item] = itemPath;

  for (const sub of info.subresources) {
    const subPath: Schema = { parameters: [nameParameter, ...scopeParameters, PRETTY] };
    if (sub === 'status') {
      subPath['get'] = operation(info, {
        idVerb: 'read',
        action: 'get',
        idSuffix: 'Status',
        namespaced: info.namespaced,
        description: `read status of the specified ${kind}`,
        parameters: [],
        responses: okResponse(kindSchema),
      });
      subPath['put'] = operation(info, {
        idVerb: 'replace',
        action: 'put',
        idSuffix: 'Status',
        namespaced: info.namespaced,
        description: `replace status of the specified ${kind}`,
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
        requestBody: writeBody(info),
        responses: okResponse(kindSchema, [200, 201]),
      });
      subPath['patch'] = patchOperation(info, info.namespaced, `status of the specified ${kind}`, 'Status');
    } else {
      subPath['get'] = operation(info, {
        idVerb: 'read',
        action: 'get',
        idSuffix: 'Log',
        namespaced: info.namespaced,
        description: `read log of the specified ${kind}`,
        parameters: LOG_PARAMETERS,
        responses: {
          '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } },
          '401': { description: 'Unauthorized' },
        },
      });
    }
    paths[`${item}/${sub}`] = subPath;
  }
  return paths;
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

// ---------------------------------------------------------------------------------------------
// Schemas

function kindComponent(info: ResourceInfo): Schema {
  const body: KindSchema = KIND_SCHEMAS[`${info.group}/${info.kind}`] ?? {
    description: `${info.kind} (${groupVersion(info)}).`,
    properties: {
      spec: { type: 'object', description: 'Desired state.', 'x-kubernetes-preserve-unknown-fields': true },
      status: { type: 'object', description: 'Observed state.', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
  return {
    type: 'object',
    description: body.description,
    properties: {
      apiVersion: str(API_VERSION_DESCRIPTION),
      kind: str(KIND_DESCRIPTION),
      metadata: described(OBJECT_META_SCHEMA, METADATA_DESCRIPTION, { default: {} }),
      ...body.properties,
    },
    ...(body.required ? { required: body.required } : {}),
    [GVK_EXTENSION]: [gvk(info)],
  };
}

function listComponent(info: ResourceInfo): Schema {
  return {
    type: 'object',
    description: `${info.listKind} is a list of ${info.kind} objects.`,
    required: ['items'],
    properties: {
      apiVersion: str(API_VERSION_DESCRIPTION),
      items: { type: 'array', description: `List of ${info.resource}.`, items: { allOf: [ref(kindSchemaName(info))], default: {} } },
      kind: str(KIND_DESCRIPTION),
      metadata: described(LIST_META_SCHEMA, LIST_METADATA_DESCRIPTION, { default: {} }),
    },
    [GVK_EXTENSION]: [gvk(info, info.listKind)],
  };
}

/** Names of every component referenced from `value`, transitively through SHARED_SCHEMAS. */
function referencedComponents(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) referencedComponents(v, found);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string' && v.startsWith(COMPONENT_REF_PREFIX)) {
      const name = v.slice(COMPONENT_REF_PREFIX.length);
      if (!found.has(name)) {
        found.add(name);
        referencedComponents(SHARED_SCHEMAS[name], found);
      }
    } else {
      referencedComponents(v, found);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Documents

interface BuiltDocument {
  document: object;
  hash: string;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function buildDocument(infos: ResourceInfo[]): BuiltDocument {
  const paths: Record<string, Schema> = {};
  const kindComponents: Record<string, Schema> = {};
  for (const info of infos) {
    Object.assign(paths, resourcePaths(info));
    kindComponents[kindSchemaName(info)] = kindComponent(info);
    kindComponents[kindSchemaName(info, info.listKind)] = listComponent(info);
  }
  const names = new Set<string>();
  referencedComponents(paths, names);
  referencedComponents(kindComponents, names);
  const schemas: Record<string, Schema> = {};
  for (const name of [...names, ...Object.keys(kindComponents)].sort()) {
    const schema = kindComponents[name] ?? SHARED_SCHEMAS[name];
    if (schema) schemas[name] = schema;
  }
  const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const document = { openapi: OPENAPI_VERSION, info: DOCUMENT_INFO, paths: sortedPaths, components: { schemas } };
  // The hash is the document's content digest, so any change to it gives clients a new URL and
  // defeats kubectl's HTTP cache of the old one (the real server does the same with SHA-512).
  const hash = createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
  return { document: deepFreeze(document), hash };
}

let built: Map<string, BuiltDocument> | undefined;

/** Documents by key (`api/v1`, `apis/batch/v1`, ...), built once: RESOURCES does not change. */
function documents(): Map<string, BuiltDocument> {
  if (built) return built;
  const byKey = new Map<string, ResourceInfo[]>();
  for (const info of RESOURCES) {
    const key = documentKey(info);
    byKey.set(key, [...(byKey.get(key) ?? []), info]);
  }
  built = new Map([...byKey].map(([key, infos]) => [key, buildDocument(infos)]));
  return built;
}

function normalizeKey(path: string): string {
  return path.replace(/^\/+/, '').replace(/^openapi\/v3\/+/, '').replace(/\/+$/, '');
}

/** `GET /openapi/v3`: every group-version document with its content-hashed URL. */
export function openApiV3Root(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, { hash }] of documents()) {
    paths[key] = { serverRelativeURL: `${OPENAPI_V3_PATH}/${key}?hash=${hash}` };
  }
  return { paths };
}

/**
 * `GET /openapi/v3/<path>` for `api/v1`, `apis/batch/v1` or `apis/kubeflow.org/v2beta1`
 * (a leading `/` or `/openapi/v3/` is tolerated); undefined for any other path. The returned
 * object is shared and frozen.
 */
export function openApiV3Document(path: string): object | undefined {
  return documents().get(normalizeKey(path))?.document;
}

/** The current content hash of a document, for answering `?hash=` URLs as cacheable. */
export function openApiV3Hash(path: string): string | undefined {
  return documents().get(normalizeKey(path))?.hash;
}
