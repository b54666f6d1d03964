// A small OpenAPI v3 structural-schema engine for custom resources, doing what the real API
// server does with a CRD's `openAPIV3Schema` on every write: drop nulls the schema does not allow,
// prune unknown fields, apply defaults, then validate (types, enums, required, bounds, patterns).
// Causes carry the real server's paths (`spec.mpiReplicaSpecs.Worker.replicas`, `containers[0]`)
// and wording. Only the keywords the project's CRDs use are supported; loading a schema with any
// other keyword fails, so the emulator never silently ignores a rule a real server would enforce.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { StatusCause } from '../status.ts';
import { isRecord, type JsonValue, type KubeObject } from '../types.ts';
import {
  childPath,
  indexPath,
  invalidCause,
  notSupportedCause,
  requiredCause,
  typeInvalidCause,
} from './field.ts';

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface SchemaNode {
  readonly type?: SchemaType;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  /** A schema for every other key, or `true` to keep them unvalidated. */
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
  readonly required?: readonly string[];
  readonly enum?: readonly JsonValue[];
  readonly default?: JsonValue;
  readonly minimum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly maximum?: number;
  readonly exclusiveMaximum?: boolean;
  readonly pattern?: string;
  readonly nullable?: boolean;
  readonly intOrString?: boolean;
  readonly preserveUnknownFields?: boolean;
  /** `x-kubernetes-list-type`: how server-side apply merges and owns a list (default atomic). */
  readonly listType?: 'atomic' | 'map' | 'set';
  /** `x-kubernetes-list-map-keys` of a `map` list. */
  readonly listMapKeys?: readonly string[];
}

export interface NormalizeResult {
  /** A new object: nulls dropped, unknown fields pruned, defaults applied. */
  object: KubeObject;
  /** Paths of the pruned fields (`spec.foo`), for `fieldValidation=Strict|Warn`. */
  unknownFields: string[];
}

const SCHEMA_TYPES: readonly SchemaType[] = ['object', 'array', 'string', 'integer', 'number', 'boolean'];

/** Keywords that only document; they impose nothing on a write. */
const DESCRIPTIVE_KEYWORDS = new Set(['description', 'title', 'example', 'x-kubernetes-map-type']);
const LIST_TYPES = ['atomic', 'map', 'set'] as const;

/** Root fields every object has; `metadata` is ObjectMeta's business, not the CRD schema's. */
const ROOT_PASSTHROUGH_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

const MPIJOB_VERSION = 'v2beta1';

/** The project's MPIJob CRD, the one deployed to real clusters. */
export const MPIJOB_CRD_PATH = path.resolve(import.meta.dirname, '../../../../deploy/crds/kubeflow.org_mpijobs.yaml');

function fail(where: string, problem: string): never {
  throw new Error(`invalid structural schema at ${where || '<root>'}: ${problem}`);
}

function readSchemaNode(raw: unknown, where: string): SchemaNode {
  if (!isRecord(raw)) fail(where, 'not an object');
  const node: {
    -readonly [K in keyof SchemaNode]: SchemaNode[K];
  } = {};
  for (const [keyword, value] of Object.entries(raw)) {
    switch (keyword) {
      case 'type':
        if (!SCHEMA_TYPES.includes(value as SchemaType)) fail(where, `unsupported type ${JSON.stringify(value)}`);
        node.type = value as SchemaType;
        break;
      case 'format':
      case 'pattern':
        if (typeof value !== 'string') fail(where, `${keyword} must be a string`);
        node[keyword] = value;
        if (keyword === 'pattern') new RegExp(value);
        break;
      case 'properties': {
        if (!isRecord(value)) fail(where, 'properties must be an object');
        const properties: Record<string, SchemaNode> = {};
        for (const [name, child] of Object.entries(value)) properties[name] = readSchemaNode(child, childPath(where, name));
        node.properties = properties;
        break;
      }
      case 'additionalProperties':
        node.additionalProperties = typeof value === 'boolean' ? value : readSchemaNode(value, `${where}[*]`);
        break;
      case 'items':
        node.items = readSchemaNode(value, `${where}[]`);
        break;
      case 'required':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(where, 'required must list names');
        node.required = value;
        break;
      case 'enum':
        if (!Array.isArray(value)) fail(where, 'enum must be a list');
        node.enum = value as JsonValue[];
        break;
      case 'default':
        node.default = value as JsonValue;
        break;
      case 'minimum':
      case 'maximum':
        if (typeof value !== 'number') fail(where, `${keyword} must be a number`);
        node[keyword] = value;
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
      case 'nullable':
        if (typeof value !== 'boolean') fail(where, `${keyword} must be a boolean`);
        node[keyword] = value;
        break;
      case 'x-kubernetes-int-or-string':
        node.intOrString = value === true;
        break;
      case 'x-kubernetes-preserve-unknown-fields':
        node.preserveUnknownFields = value === true;
        break;
      case 'x-kubernetes-list-type':
        if (!LIST_TYPES.includes(value as (typeof LIST_TYPES)[number])) fail(where, `unsupported list type ${JSON.stringify(value)}`);
        node.listType = value as (typeof LIST_TYPES)[number];
        break;
      case 'x-kubernetes-list-map-keys':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(where, 'list map keys must be names');
        node.listMapKeys = value;
        break;
      case 'anyOf':
        // The one anyOf a structural schema may carry: the int-or-string pair, checked below.
        if (!Array.isArray(value)) fail(where, 'anyOf must be a list');
        break;
      default:
        if (!DESCRIPTIVE_KEYWORDS.has(keyword)) fail(where, `unsupported keyword ${keyword}`);
    }
  }
  if (raw.anyOf !== undefined && !node.intOrString) fail(where, 'anyOf is only supported with x-kubernetes-int-or-string');
  if (!node.type && !node.intOrString && !node.preserveUnknownFields) fail(where, 'type is required');
  if (node.properties && node.additionalProperties !== undefined) {
    fail(where, 'properties and additionalProperties are mutually exclusive');
  }
  if (node.type === 'array' && !node.items) fail(where, 'arrays must specify items');
  if (node.default !== undefined) {
    const causes: StatusCause[] = [];
    validateValue(node.default, node, where, causes, false);
    const first = causes[0];
    if (first) fail(where, `default does not validate: ${first.message}`);
  }
  return node;
}

/** Reads the `openAPIV3Schema` of one version of a CustomResourceDefinition YAML file. */
export function readCrdSchema(crdPath: string, version: string): SchemaNode {
  const crd: unknown = parseYaml(readFileSync(crdPath, 'utf8'));
  const versions = isRecord(crd) && isRecord(crd.spec) ? crd.spec.versions : undefined;
  const entry = Array.isArray(versions) ? versions.find((v) => isRecord(v) && v.name === version) : undefined;
  const schema = isRecord(entry) && isRecord(entry.schema) ? entry.schema.openAPIV3Schema : undefined;
  if (schema === undefined) throw new Error(`${crdPath}: no openAPIV3Schema for version ${version}`);
  return readSchemaNode(schema, '');
}

function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

function schemaForKey(node: SchemaNode, key: string): SchemaNode | 'keep' | 'prune' {
  const property = node.properties?.[key];
  if (property) return property;
  const additional = node.additionalProperties;
  if (typeof additional === 'object') return additional;
  if (additional === true || node.preserveUnknownFields) return 'keep';
  return 'prune';
}

function normalizeValue(value: unknown, node: SchemaNode, where: string, unknownFields: string[]): unknown {
  if (node.intOrString) return value;
  if (Array.isArray(value)) {
    const items = node.items;
    if (node.type !== 'array' || !items) return cloneJson(value);
    return value.map((item, index) => normalizeValue(item, items, indexPath(where, index), unknownFields));
  }
  if (!isRecord(value) || (node.type !== undefined && node.type !== 'object')) return cloneJson(value);
  return normalizeObject(value, node, where, unknownFields, false);
}

function normalizeObject(
  value: Record<string, unknown>,
  node: SchemaNode,
  where: string,
  unknownFields: string[],
  isRoot: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childWhere = childPath(where, key);
    if (isRoot && key === 'metadata') {
      out[key] = cloneJson(child);
      continue;
    }
    const schema = schemaForKey(node, key);
    if (schema === 'prune') {
      if (isRoot && ROOT_PASSTHROUGH_FIELDS.has(key)) out[key] = cloneJson(child);
      else unknownFields.push(childWhere);
      continue;
    }
    if (schema === 'keep') {
      out[key] = cloneJson(child);
      continue;
    }
    // A null the schema does not allow is dropped, not refused (a default then fills the gap).
    if (child === null && !schema.nullable) continue;
    out[key] = normalizeValue(child, schema, childWhere, unknownFields);
  }
  for (const [key, property] of Object.entries(node.properties ?? {})) {
    if (property.default === undefined || key in out) continue;
    out[key] = normalizeValue(cloneJson(property.default), property, childPath(where, key), unknownFields);
  }
  return out;
}

/** Drops disallowed nulls, prunes unknown fields and applies defaults, as the real server stores a custom resource. */
export function normalizeWithSchema(schema: SchemaNode, object: KubeObject): NormalizeResult {
  const unknownFields: string[] = [];
  const normalized = normalizeObject(object, schema, '', unknownFields, true);
  const metadata = isRecord(normalized.metadata) ? normalized.metadata : {};
  return { object: { ...normalized, metadata }, unknownFields };
}

type JsonTypeName = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';

function jsonTypeOf(value: unknown): JsonTypeName {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  return 'object';
}

function typeMatches(expected: SchemaType, actual: JsonTypeName): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

const RFC3339_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function formatMatches(format: string | undefined, value: string): boolean {
  if (format === 'date-time') return RFC3339_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
  return true;
}

function typeError(where: string, expected: string, actual: string): StatusCause {
  return typeInvalidCause(where, actual, `${where} in body must be of type ${expected}: ${JSON.stringify(actual)}`);
}

function validateValue(value: unknown, node: SchemaNode, where: string, causes: StatusCause[], isRoot: boolean): void {
  const actual = jsonTypeOf(value);
  if (actual === 'null') {
    if (!node.nullable && node.type) causes.push(typeError(where, node.type, 'null'));
    return;
  }
  if (node.intOrString) {
    if (actual !== 'integer' && actual !== 'string') causes.push(typeError(where, 'integer,string', actual));
    else validateScalar(value, node, where, causes);
    return;
  }
  if (node.type && !typeMatches(node.type, actual)) {
    causes.push(typeError(where, node.type, actual));
    return;
  }
  if (typeof value === 'string' && !formatMatches(node.format, value)) {
    causes.push(typeInvalidCause(where, value, `${where} in body must be of type ${node.format}: ${JSON.stringify(value)}`));
    return;
  }
  validateScalar(value, node, where, causes);
  if (Array.isArray(value)) {
    const items = node.items;
    if (items) value.forEach((item, index) => validateValue(item, items, indexPath(where, index), causes, false));
    return;
  }
  if (!isRecord(value)) return;
  for (const name of node.required ?? []) {
    if (!(name in value) || value[name] === undefined) causes.push(requiredCause(childPath(where, name)));
  }
  for (const [key, child] of Object.entries(value)) {
    if (isRoot && key === 'metadata') continue;
    const schema = schemaForKey(node, key);
    if (typeof schema === 'object') validateValue(child, schema, childPath(where, key), causes, false);
  }
}

function validateScalar(value: unknown, node: SchemaNode, where: string, causes: StatusCause[]): void {
  if (node.enum && !node.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    const supported = node.enum.map((allowed) => (typeof allowed === 'string' ? allowed : JSON.stringify(allowed)));
    causes.push(notSupportedCause(where, value, supported));
  }
  if (typeof value === 'number') {
    const { minimum, maximum } = node;
    if (minimum !== undefined && (node.exclusiveMinimum ? value <= minimum : value < minimum)) {
      const relation = node.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      causes.push(invalidCause(where, value, `${where} in body should be ${relation} ${minimum}`));
    }
    if (maximum !== undefined && (node.exclusiveMaximum ? value >= maximum : value > maximum)) {
      const relation = node.exclusiveMaximum ? 'less than' : 'less than or equal to';
      causes.push(invalidCause(where, value, `${where} in body should be ${relation} ${maximum}`));
    }
  }
  if (typeof value === 'string' && node.pattern !== undefined && !new RegExp(node.pattern).test(value)) {
    causes.push(invalidCause(where, value, `${where} in body should match '${node.pattern}'`));
  }
}

/** Every way the object breaks the schema, as 422 causes (empty when it conforms). */
export function validateWithSchema(schema: SchemaNode, object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  validateValue(object, schema, '', causes, true);
  return causes;
}

/** The MPIJob schema, read once from the project's CRD (declared last: reading it uses the code above). */
export const MPIJOB_SCHEMA: SchemaNode = readCrdSchema(MPIJOB_CRD_PATH, MPIJOB_VERSION);
