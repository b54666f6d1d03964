// Label and field selectors with the real server's grammar (k8s.io/apimachinery labels and fields
// packages). Lists, watches and deletecollection filter through them; a malformed selector or an
// unsupported field is a 400 BadRequest, as on a real cluster.

import type { ResourceInfo } from './resources.ts';
import { badRequest } from './status.ts';
import { isRecord, type KubeObject } from './types.ts';

export type LabelOperator = 'in' | 'notin' | 'exists' | 'doesnotexist' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type FieldOperator = '=' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  value: string;
}

export interface ObjectFilter {
  /** True when no selector was given: everything matches. */
  readonly everything: boolean;
  matches(object: KubeObject): boolean;
}

// ---- label selectors ----

const LABEL_SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);

type TokenKind = 'identifier' | '!' | '=' | '==' | '!=' | 'in' | 'notin' | '(' | ')' | ',' | '>' | '<' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

function lexLabelSelector(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (isSpace(ch)) {
      i += 1;
      continue;
    }
    if (LABEL_SPECIAL.has(ch)) {
      const two = text.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ kind: two, text: two });
        i += 2;
      } else {
        tokens.push({ kind: ch as TokenKind, text: ch });
        i += 1;
      }
      continue;
    }
    let end = i;
    while (end < text.length && !isSpace(text[end] ?? '') && !LABEL_SPECIAL.has(text[end] ?? '')) end += 1;
    const word = text.slice(i, end);
    tokens.push({ kind: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'identifier', text: word });
    i = end;
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_LABEL_NAME_LENGTH = 63;
const MAX_LABEL_VALUE_LENGTH = 63;
const MAX_PREFIX_LENGTH = 253;

/** Why a label key is not a qualified name, or undefined when it is one. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > MAX_PREFIX_LENGTH || !DNS_SUBDOMAIN.test(prefix))) {
    return 'prefix part must be a lowercase RFC 1123 subdomain';
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > MAX_LABEL_NAME_LENGTH) return `name part must be no more than ${MAX_LABEL_NAME_LENGTH} characters`;
  if (!QUALIFIED_NAME_PART.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** Why a label value is invalid, or undefined when it is valid. */
export function labelValueError(value: string): string | undefined {
  if (value.length > MAX_LABEL_VALUE_LENGTH) return `must be no more than ${MAX_LABEL_VALUE_LENGTH} characters`;
  if (!LABEL_VALUE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

class LabelParser {
  private position = 0;
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  private peek(): Token {
    return this.tokens[this.position] ?? { kind: 'end', text: '' };
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position += 1;
    return token;
  }

  private static describe(token: Token): string {
    return token.kind === 'end' ? 'end of string' : `'${token.text}'`;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    if (this.peek().kind === 'end') return requirements;
    for (;;) {
      requirements.push(this.requirement());
      const token = this.next();
      if (token.kind === 'end') return requirements;
      if (token.kind !== ',') throw badRequest(`found ${LabelParser.describe(token)}, expected: ',' or 'end of string'`);
    }
  }

  private requirement(): LabelRequirement {
    let token = this.next();
    if (token.kind === '!') {
      token = this.next();
      if (token.kind !== 'identifier') throw badRequest(`found ${LabelParser.describe(token)}, expected: identifier after '!'`);
      checkKey(token.text);
      return { key: token.text, operator: 'doesnotexist', values: [] };
    }
    if (token.kind !== 'identifier') throw badRequest(`found ${LabelParser.describe(token)}, expected: !, identifier, or 'end of string'`);
    const key = token.text;
    checkKey(key);
    const op = this.peek();
    if (op.kind === ',' || op.kind === 'end') return { key, operator: 'exists', values: [] };
    this.next();
    switch (op.kind) {
      case '=':
      case '==':
        return { key, operator: 'in', values: [this.singleValue()] };
      case '!=':
        return { key, operator: 'notin', values: [this.singleValue()] };
      case 'in':
      case 'notin':
        return { key, operator: op.kind, values: this.valueSet() };
      case '>':
      case '<': {
        const value = this.singleValue();
        if (!/^-?\d+$/.test(value)) {
          throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
        }
        return { key, operator: op.kind === '>' ? 'gt' : 'lt', values: [value] };
      }
      default:
        throw badRequest(`found ${LabelParser.describe(op)}, expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private singleValue(): string {
    const token = this.peek();
    // `key=` selects the empty value.
    if (token.kind === ',' || token.kind === 'end') return '';
    if (token.kind !== 'identifier') throw badRequest(`found ${LabelParser.describe(token)}, expected: identifier`);
    this.next();
    checkValue(token.text);
    return token.text;
  }

  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') throw badRequest(`found ${LabelParser.describe(open)}, expected: '('`);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const token = this.next();
      if (token.kind === ')') {
        if (expectValue && values.length > 0) values.push('');
        break;
      }
      if (token.kind === ',') {
        if (expectValue) values.push('');
        expectValue = true;
        continue;
      }
      if (token.kind === 'identifier' && expectValue) {
        checkValue(token.text);
        values.push(token.text);
        expectValue = false;
        continue;
      }
      throw badRequest(`found ${LabelParser.describe(token)}, expected: ',', ')' or identifier`);
    }
    if (values.length === 0) {
      throw badRequest(`unable to parse requirement: values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
    }
    return values;
  }
}

function checkKey(key: string): void {
  const error = labelKeyError(key);
  if (error) throw badRequest(`unable to parse requirement: key: Invalid value: "${key}": ${error}`);
}

function checkValue(value: string): void {
  const error = labelValueError(value);
  if (error) throw badRequest(`unable to parse requirement: values[0][${value}]: Invalid value: "${value}": ${error}`);
}

/** Parses a label selector; an empty or absent one selects everything. Throws 400 when malformed. */
export function parseLabelSelector(text: string | undefined): LabelRequirement[] {
  if (text === undefined || text.trim() === '') return [];
  return new LabelParser(lexLabelSelector(text)).parse();
}

export function labelsMatch(requirements: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  return requirements.every((r) => {
    const present = labels !== undefined && Object.hasOwn(labels, r.key);
    const value = present ? labels[r.key] : undefined;
    switch (r.operator) {
      case 'exists':
        return present;
      case 'doesnotexist':
        return !present;
      case 'in':
        return present && r.values.includes(value ?? '');
      case 'notin':
        return !present || !r.values.includes(value ?? '');
      case 'gt':
      case 'lt': {
        if (!present || !/^-?\d+$/.test(value ?? '')) return false;
        const have = Number(value);
        const want = Number(r.values[0]);
        return r.operator === 'gt' ? have > want : have < want;
      }
    }
    return false;
  });
}

// ---- field selectors ----

/**
 * Fields whose value is not simply the object's value at that dotted path, as the real
 * registries compute them (a Job's `status.successful` is `status.succeeded`; unset booleans
 * and counts read as their zero values).
 */
const FIELD_READERS: Readonly<Record<string, { path: string; zero?: string }>> = {
  'events/source': { path: 'source.component' },
  'jobs/status.successful': { path: 'status.succeeded', zero: '0' },
  'pods/spec.hostNetwork': { path: 'spec.hostNetwork', zero: 'false' },
  'nodes/spec.unschedulable': { path: 'spec.unschedulable', zero: 'false' },
};

const ALWAYS_SELECTABLE = ['metadata.name', 'metadata.namespace'];

function valueAtPath(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (!isRecord(current)) return undefined;
    current = current[part];
  }
  return current;
}

function fieldText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // status.podIPs is a list of {ip}: the registry indexes the addresses joined with commas.
  if (Array.isArray(value)) return value.map((item) => (isRecord(item) ? String(item.ip ?? '') : String(item))).join(',');
  return JSON.stringify(value);
}

export function fieldValue(info: ResourceInfo, object: KubeObject, field: string): string {
  const reader = FIELD_READERS[`${info.resource}/${field}`];
  const text = fieldText(valueAtPath(object, reader?.path ?? field));
  return text ?? reader?.zero ?? '';
}

/** Splits on an unescaped separator, keeping escapes for the next stage. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] ?? '';
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + (text[i + 1] ?? '');
      i += 1;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

const ESCAPABLE = new Set(['\\', ',', '=', '!']);

function unescapeFieldValue(text: string, term: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] ?? '';
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined || !ESCAPABLE.has(next)) throw badRequest(`invalid field selector: invalid escape sequence in '${term}'`);
    out += next;
    i += 1;
  }
  return out;
}

/** The leftmost operator wins; at one position `!=` and `==` are tried before `=`, as upstream. */
function splitTerm(term: string): { field: string; operator: FieldOperator; rawValue: string } | undefined {
  for (let i = 0; i < term.length; i += 1) {
    if (term[i] === '\\') {
      i += 1;
      continue;
    }
    for (const [token, operator] of [['!=', '!='], ['==', '='], ['=', '=']] as const) {
      if (term.startsWith(token, i)) return { field: term.slice(0, i), operator, rawValue: term.slice(i + token.length) };
    }
  }
  return undefined;
}

/** Parses a field selector for a kind; throws 400 when malformed or when a field is not selectable. */
export function parseFieldSelector(text: string | undefined, info: ResourceInfo): FieldRequirement[] {
  if (text === undefined || text.trim() === '') return [];
  const supported = new Set([...ALWAYS_SELECTABLE, ...info.fieldSelectors]);
  return splitUnescaped(text, ',').map((term) => {
    const parts = splitTerm(term);
    if (!parts) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = parts.field.trim();
    if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, operator: parts.operator, value: unescapeFieldValue(parts.rawValue, term) };
  });
}

export function fieldsMatch(info: ResourceInfo, requirements: readonly FieldRequirement[], object: KubeObject): boolean {
  return requirements.every((r) => (fieldValue(info, object, r.field) === r.value) === (r.operator === '='));
}

export interface SelectorOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Both selectors of a request as one predicate (parsed once). Throws 400 when either is invalid. */
export function objectFilter(info: ResourceInfo, options: SelectorOptions): ObjectFilter {
  const labels = parseLabelSelector(options.labelSelector);
  const fields = parseFieldSelector(options.fieldSelector, info);
  return {
    everything: labels.length === 0 && fields.length === 0,
    matches: (object) => labelsMatch(labels, object.metadata.labels) && fieldsMatch(info, fields, object),
  };
}
