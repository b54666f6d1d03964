// Unknown fields in request bodies, as the real server's decoder meets them: it drops every field
// the kind does not declare and, depending on the `fieldValidation` query parameter, says nothing
// (Ignore), answers with one `Warning` header per field (Warn, the default since 1.27), or refuses
// the request (Strict). Custom resources are checked against their CRD's structural schema;
// built-in kinds at the levels the emulator knows completely: the top-level fields of each kind
// and ObjectMeta (their nested specs are stored as sent).

import { MPIJOB_SCHEMA, normalizeWithSchema, type SchemaNode } from './admission/schema.ts';
import type { ResourceInfo } from './resources.ts';
import { badRequest, CAUSE, invalid, StatusError, unknownError } from './status.ts';
import { isRecord, type KubeObject } from './types.ts';

export const FIELD_VALIDATION = { ignore: 'Ignore', warn: 'Warn', strict: 'Strict' } as const;
export type FieldValidation = (typeof FIELD_VALIDATION)[keyof typeof FIELD_VALIDATION];

/** The write options kinds whose `fieldValidation` a bad value is reported on. */
export type WriteOptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions';

const FIELD_VALIDATION_QUERY = 'fieldValidation';
/** The values the real server lists in its refusal, in its order ('' is the default). */
const SUPPORTED_FIELD_VALIDATION = ['', FIELD_VALIDATION.ignore, FIELD_VALIDATION.strict, FIELD_VALIDATION.warn];
const META_GROUP = 'meta.k8s.io';

/** ObjectMeta's fields (k8s.io/apimachinery/pkg/apis/meta/v1), all a client may send. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const TYPE_META_FIELDS = ['apiVersion', 'kind', 'metadata'];
const SPEC_AND_STATUS = ['spec', 'status'];

/** The top-level fields of each built-in kind (k8s.io/api), keyed by `group/resource`. */
const BUILT_IN_TOP_LEVEL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  '/namespaces': SPEC_AND_STATUS,
  '/nodes': SPEC_AND_STATUS,
  '/pods': SPEC_AND_STATUS,
  '/services': SPEC_AND_STATUS,
  '/resourcequotas': SPEC_AND_STATUS,
  'batch/jobs': SPEC_AND_STATUS,
  '/configmaps': ['data', 'binaryData', 'immutable'],
  '/secrets': ['data', 'stringData', 'type', 'immutable'],
  '/events': [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'series',
    'action',
    'related',
    'reportingComponent',
    'reportingInstance',
  ],
  'rbac.authorization.k8s.io/clusterroles': ['rules', 'aggregationRule'],
  'rbac.authorization.k8s.io/roles': ['rules'],
  'rbac.authorization.k8s.io/clusterrolebindings': ['subjects', 'roleRef'],
  'rbac.authorization.k8s.io/rolebindings': ['subjects', 'roleRef'],
};

/** The structural schema of a custom resource; undefined for built-in kinds. */
export function customResourceSchema(info: ResourceInfo): SchemaNode | undefined {
  return info.custom && info.group === 'kubeflow.org' && info.resource === 'mpijobs' ? MPIJOB_SCHEMA : undefined;
}

/** The `fieldValidation` query parameter; absent or empty is Warn. Anything else is 422 on the options kind. */
export function parseFieldValidation(query: URLSearchParams, optionsKind: WriteOptionsKind): FieldValidation {
  const value = query.get(FIELD_VALIDATION_QUERY) ?? '';
  if (value === '') return FIELD_VALIDATION.warn;
  if ((Object.values(FIELD_VALIDATION) as string[]).includes(value)) return value as FieldValidation;
  const supported = SUPPORTED_FIELD_VALIDATION.map((v) => JSON.stringify(v)).join(', ');
  throw invalid(optionsKind, META_GROUP, '', [
    { reason: CAUSE.notSupported, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported}`, field: FIELD_VALIDATION_QUERY },
  ]);
}

export interface DecodedFields {
  /** The body without its unknown fields (and, for custom resources, with the schema's defaults). */
  object: KubeObject;
  /** Paths of the dropped fields (`spec.bogus`, `metadata.foo`), in the order the real server reports them. */
  unknown: string[];
}

function metadataUnknown(metadata: unknown): string[] {
  if (!isRecord(metadata)) return [];
  return Object.keys(metadata)
    .filter((key) => !OBJECT_META_FIELDS.has(key))
    .map((key) => `metadata.${key}`);
}

function withoutUnknownMetadata(object: KubeObject): KubeObject {
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object.metadata)) if (OBJECT_META_FIELDS.has(key)) metadata[key] = value;
  return { ...object, metadata };
}

/**
 * A body as the real server's decoder hands it on, and the unknown fields it dropped. Custom
 * resources: normalized by the schema (pruned, defaulted), paths sorted (the CRD decoder sorts
 * them). Built-in kinds: paths in the order they appear in the body (Go's strict JSON decoder
 * reports them as it reads).
 */
export function dropUnknownFields(info: ResourceInfo, object: KubeObject): DecodedFields {
  const schema = customResourceSchema(info);
  if (schema) {
    // The custom resource decoder prunes, drops disallowed nulls and applies the schema's defaults.
    const normalized = normalizeWithSchema(schema, object);
    const unknown = [...normalized.unknownFields, ...metadataUnknown(object.metadata)].sort();
    return { object: withoutUnknownMetadata(normalized.object), unknown };
  }
  const known = BUILT_IN_TOP_LEVEL_FIELDS[`${info.group}/${info.resource}`];
  if (!known) return { object, unknown: metadataUnknown(object.metadata) };
  const unknown: string[] = [];
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (key === 'metadata') unknown.push(...metadataUnknown(value));
    if (TYPE_META_FIELDS.includes(key) || known.includes(key)) kept[key] = value;
    else unknown.push(key);
  }
  return { object: withoutUnknownMetadata(kept as KubeObject), unknown };
}

function strictDecodingError(unknown: readonly string[]): string {
  return `strict decoding error: ${unknown.map((path) => `unknown field ${JSON.stringify(path)}`).join(', ')}`;
}

/** The warning texts for unknown fields (Warn). */
export function unknownFieldWarnings(unknown: readonly string[]): string[] {
  return unknown.map((path) => `unknown field ${JSON.stringify(path)}`);
}

/** 400 for a create or update body with unknown fields under Strict. */
export function strictBodyError(info: ResourceInfo, unknown: readonly string[]): StatusError {
  return badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${strictDecodingError(unknown)}`);
}

/**
 * 422 for a patch whose result has unknown fields under Strict. The real server quotes the
 * object it could not decode: the patched object as Go re-encodes it (keys sorted) for JSON and
 * merge patches, the patch itself in Go's map notation for strategic merge patches.
 */
export function strictPatchError(quoted: string, unknown: readonly string[]): StatusError {
  return invalid('', '', '', [
    { reason: CAUSE.invalid, message: `Invalid value: ${JSON.stringify(quoted)}: ${strictDecodingError(unknown)}`, field: 'patch' },
  ]);
}

/** 500 for a server-side apply configuration with a field the kind does not declare. */
export function applyUndeclaredFieldError(info: ResourceInfo, config: KubeObject, unknown: readonly string[]): StatusError {
  const gvk = `${info.group}/${info.version}, Kind=${info.kind}`;
  const where = `${config.metadata.namespace ?? ''}/${config.metadata.name ?? ''}; ${gvk}`;
  return unknownError(500, `failed to create typed patch object (${where}): .${unknown[0] ?? ''}: field not declared in schema`);
}

/** JSON as Go's encoding/json writes a decoded document: keys sorted, HTML characters escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}

/** A decoded JSON value as Go's `%v` prints it (`map[a:1 b:[x y]]`). */
export function goFormat(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (isRecord(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((key) => `${key}:${goFormat(value[key])}`)
      .join(' ')}]`;
  }
  return typeof value === 'number' ? goFloat(value) : String(value);
}

/** Go prints a decoded JSON number (a float64) with `%v`: shortest digits, exponent form outside 1e-4..1e21 by its own rule. */
function goFloat(value: number): string {
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  // fmt's %v switches to %e when the exponent is below -4 or at least 6 digits' worth.
  if (exponent < -4 || exponent >= 6) return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return String(value);
}
