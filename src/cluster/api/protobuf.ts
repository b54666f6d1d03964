// Protobuf request bodies. `kubectl create <generator>` (namespace, configmap, secret, quota, job,
// service) sends its object as Kubernetes protobuf and has no JSON fallback, so the emulator must
// read that encoding: the `k8s\0` envelope (runtime.Unknown) and the few kinds those generators
// produce, turned into the JSON the rest of the server stores. Responses stay JSON, which every
// such request also accepts.
//
// Field numbers follow k8s.io/api and k8s.io/apimachinery `generated.proto`. kubectl writes every
// non-pointer field even when empty, so an empty string, a zero number or an empty message is
// read as "unset"; optional pointer fields (`backoffLimit`, `suspend`, ...) count when present.

import { badRequest, StatusError, STATUS_REASON } from './status.ts';
import type { KubeObject, ObjectMeta } from './types.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** `k8s\0`: the prefix that marks a Kubernetes protobuf envelope. */
const PROTOBUF_MAGIC = [0x6b, 0x38, 0x73, 0x00] as const;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

/** Deepest message nesting accepted; a guard against bodies built to exhaust the stack. */
const MAX_NESTING_DEPTH = 64;

// ---------------------------------------------------------------------------------------------
// Wire format

interface Field {
  number: number;
  wireType: number;
  /** Set for varint fields. */
  varint?: bigint;
  /** Set for length-delimited fields. */
  bytes?: Uint8Array;
}

function malformed(detail: string): StatusError {
  return badRequest(`unable to decode the protobuf request body: ${detail}`);
}

function readVarint(buf: Uint8Array, offset: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = offset; i < buf.length && i < offset + 10; i += 1) {
    const byte = buf[i] ?? 0;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value: BigInt.asUintN(64, value), next: i + 1 };
    shift += 7n;
  }
  throw malformed(`truncated or overlong varint at byte ${offset}`);
}

/** Splits one message into its fields, skipping the payload of groups and fixed-width fields. */
function parseMessage(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  const groups: number[] = [];
  while (offset < buf.length) {
    const key = readVarint(buf, offset);
    offset = key.next;
    const number = Number(key.value >> 3n);
    const wireType = Number(key.value & 7n);
    if (number === 0) throw malformed('field number 0');
    switch (wireType) {
      case WIRE_VARINT: {
        const v = readVarint(buf, offset);
        offset = v.next;
        if (groups.length === 0) fields.push({ number, wireType, varint: v.value });
        break;
      }
      case WIRE_FIXED64:
        offset += 8;
        break;
      case WIRE_FIXED32:
        offset += 4;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const length = readVarint(buf, offset);
        offset = length.next;
        const end = offset + Number(length.value);
        if (length.value > BigInt(buf.length) || end > buf.length) throw malformed(`field ${number} runs past the end of its message`);
        if (groups.length === 0) fields.push({ number, wireType, bytes: buf.subarray(offset, end) });
        offset = end;
        break;
      }
      case WIRE_START_GROUP:
        // Groups are obsolete and never sent by Kubernetes clients, but are skippable.
        groups.push(number);
        break;
      case WIRE_END_GROUP:
        if (groups.pop() !== number) throw malformed(`unbalanced group end for field ${number}`);
        break;
      default:
        throw malformed(`unknown wire type ${wireType} for field ${number}`);
    }
    if (offset > buf.length) throw malformed(`field ${number} runs past the end of its message`);
  }
  if (groups.length > 0) throw malformed('unterminated group');
  return fields;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Read access to one decoded message, by field number. The last occurrence of a field wins. */
class Message {
  readonly #fields: Field[];
  readonly #depth: number;

  constructor(bytes: Uint8Array, depth: number) {
    if (depth > MAX_NESTING_DEPTH) throw malformed('messages nested too deeply');
    this.#fields = parseMessage(bytes);
    this.#depth = depth;
  }

  #all(number: number, wireType: number): Field[] {
    const found = this.#fields.filter((f) => f.number === number);
    for (const f of found) {
      if (f.wireType !== wireType) throw malformed(`field ${number} has wire type ${f.wireType}, expected ${wireType}`);
    }
    return found;
  }

  #lastBytes(number: number): Uint8Array | undefined {
    return this.#all(number, WIRE_LENGTH_DELIMITED).at(-1)?.bytes;
  }

  has(number: number): boolean {
    return this.#fields.some((f) => f.number === number);
  }

  /** A string field; '' when absent. */
  string(number: number): string {
    const bytes = this.#lastBytes(number);
    return bytes ? decodeUtf8(bytes, number) : '';
  }

  strings(number: number): string[] {
    return this.#all(number, WIRE_LENGTH_DELIMITED).map((f) => decodeUtf8(f.bytes ?? new Uint8Array(), number));
  }

  bytes(number: number): Uint8Array | undefined {
    return this.#lastBytes(number);
  }

  /** A signed integer field (int32/int64, two's complement); 0 when absent. */
  int(number: number): number {
    const last = this.#all(number, WIRE_VARINT).at(-1)?.varint;
    return last === undefined ? 0 : Number(BigInt.asIntN(64, last));
  }

  bool(number: number): boolean {
    const last = this.#all(number, WIRE_VARINT).at(-1)?.varint;
    return last !== undefined && last !== 0n;
  }

  message(number: number): Message | undefined {
    const bytes = this.#lastBytes(number);
    return bytes ? new Message(bytes, this.#depth + 1) : undefined;
  }

  messages(number: number): Message[] {
    return this.#all(number, WIRE_LENGTH_DELIMITED).map((f) => new Message(f.bytes ?? new Uint8Array(), this.#depth + 1));
  }

  /** A map field: repeated entries {1 key, 2 value}, the value read by `readValue`. */
  map<T>(number: number, readValue: (entry: Message) => T): Record<string, T> {
    const out: Record<string, T> = {};
    for (const entry of this.messages(number)) out[entry.string(1)] = readValue(entry);
    return out;
  }
}

function decodeUtf8(bytes: Uint8Array, field: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw malformed(`field ${field} is not valid UTF-8`);
  }
}

// ---------------------------------------------------------------------------------------------
// Building JSON: set a key only when the value is not the zero value.

type Json = Record<string, unknown>;

function put(target: Json, key: string, value: unknown): void {
  if (value === undefined || value === '' || value === 0 || value === false) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return;
  target[key] = value;
}

/** For optional pointer fields, where presence (even of a zero) is the user's choice. */
function putIfPresent(target: Json, message: Message, number: number, key: string, read: (m: Message, n: number) => unknown): void {
  if (message.has(number)) target[key] = read(message, number);
}

const readInt = (m: Message, n: number): number => m.int(n);
const readBool = (m: Message, n: number): boolean => m.bool(n);
const readString = (m: Message, n: number): string => m.string(n);
const stringValue = (entry: Message): string => entry.string(2);
const base64Value = (entry: Message): string => Buffer.from(entry.bytes(2) ?? new Uint8Array()).toString('base64');
/** resource.Quantity: {1 string}. */
const quantityValue = (entry: Message): string => entry.message(2)?.string(1) ?? '';

// ---------------------------------------------------------------------------------------------
// apimachinery messages

/** metav1.Time {1 seconds, 2 nanos} as RFC 3339 with whole seconds; undefined for the zero time. */
function time(message: Message | undefined): string | undefined {
  if (!message) return undefined;
  const seconds = message.int(1);
  if (seconds === 0 && message.int(2) === 0) return undefined;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function ownerReference(m: Message): Json {
  const out: Json = {};
  put(out, 'apiVersion', m.string(5));
  put(out, 'kind', m.string(1));
  put(out, 'name', m.string(3));
  put(out, 'uid', m.string(4));
  putIfPresent(out, m, 6, 'controller', readBool);
  putIfPresent(out, m, 7, 'blockOwnerDeletion', readBool);
  return out;
}

function managedFieldsEntry(m: Message): Json {
  const out: Json = {};
  put(out, 'manager', m.string(1));
  put(out, 'operation', m.string(2));
  put(out, 'apiVersion', m.string(3));
  put(out, 'time', time(m.message(4)));
  put(out, 'fieldsType', m.string(6));
  const raw = m.message(7)?.bytes(1);
  if (raw && raw.length > 0) {
    try {
      put(out, 'fieldsV1', JSON.parse(decodeUtf8(raw, 7)) as unknown);
    } catch (error) {
      if (error instanceof StatusError) throw error;
      throw malformed('managedFields fieldsV1 is not JSON');
    }
  }
  put(out, 'subresource', m.string(8));
  return out;
}

function objectMeta(m: Message | undefined): ObjectMeta {
  const out: ObjectMeta = {};
  if (!m) return out;
  put(out, 'name', m.string(1));
  put(out, 'generateName', m.string(2));
  put(out, 'namespace', m.string(3));
  put(out, 'selfLink', m.string(4));
  put(out, 'uid', m.string(5));
  put(out, 'resourceVersion', m.string(6));
  put(out, 'generation', m.int(7));
  put(out, 'creationTimestamp', time(m.message(8)));
  put(out, 'deletionTimestamp', time(m.message(9)));
  putIfPresent(out, m, 10, 'deletionGracePeriodSeconds', readInt);
  put(out, 'labels', m.map(11, stringValue));
  put(out, 'annotations', m.map(12, stringValue));
  put(out, 'ownerReferences', m.messages(13).map(ownerReference));
  put(out, 'finalizers', m.strings(14));
  put(out, 'managedFields', m.messages(17).map(managedFieldsEntry));
  return out;
}

function labelSelector(m: Message | undefined): Json | undefined {
  if (!m) return undefined;
  const out: Json = {};
  put(out, 'matchLabels', m.map(1, stringValue));
  put(
    out,
    'matchExpressions',
    m.messages(2).map((e) => {
      const expr: Json = {};
      put(expr, 'key', e.string(1));
      put(expr, 'operator', e.string(2));
      put(expr, 'values', e.strings(3));
      return expr;
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// core/v1 and batch/v1 messages

function resourceRequirements(m: Message | undefined): Json | undefined {
  if (!m) return undefined;
  const out: Json = {};
  put(out, 'limits', m.map(1, quantityValue));
  put(out, 'requests', m.map(2, quantityValue));
  return out;
}

function container(m: Message): Json {
  const out: Json = {};
  put(out, 'name', m.string(1));
  put(out, 'image', m.string(2));
  put(out, 'command', m.strings(3));
  put(out, 'args', m.strings(4));
  put(out, 'workingDir', m.string(5));
  put(out, 'resources', resourceRequirements(m.message(8)));
  put(out, 'imagePullPolicy', m.string(14));
  return out;
}

function podSpec(m: Message | undefined): Json {
  const out: Json = {};
  if (!m) return out;
  put(out, 'initContainers', m.messages(20).map(container));
  put(out, 'containers', m.messages(2).map(container));
  put(out, 'restartPolicy', m.string(3));
  putIfPresent(out, m, 4, 'terminationGracePeriodSeconds', readInt);
  putIfPresent(out, m, 5, 'activeDeadlineSeconds', readInt);
  put(out, 'dnsPolicy', m.string(6));
  put(out, 'nodeSelector', m.map(7, stringValue));
  put(out, 'serviceAccountName', m.string(8));
  put(out, 'nodeName', m.string(10));
  put(out, 'hostname', m.string(16));
  put(out, 'subdomain', m.string(17));
  put(out, 'schedulerName', m.string(19));
  put(out, 'priorityClassName', m.string(24));
  return out;
}

function podTemplateSpec(m: Message | undefined): Json {
  return { metadata: objectMeta(m?.message(1)), spec: podSpec(m?.message(2)) };
}

/** An object's JSON without apiVersion and kind, which come from the envelope. */
type ObjectBody = Json & { metadata: ObjectMeta };
type BodyDecoder = (raw: Message) => ObjectBody;

function namespace(raw: Message): ObjectBody {
  const out: ObjectBody = { metadata: objectMeta(raw.message(1)) };
  const spec: Json = {};
  put(spec, 'finalizers', raw.message(2)?.strings(1));
  put(out, 'spec', spec);
  const status: Json = {};
  put(status, 'phase', raw.message(3)?.string(1));
  put(out, 'status', status);
  return out;
}

function configMap(raw: Message): ObjectBody {
  const out: ObjectBody = { metadata: objectMeta(raw.message(1)) };
  put(out, 'data', raw.map(2, stringValue));
  put(out, 'binaryData', raw.map(3, base64Value));
  putIfPresent(out, raw, 4, 'immutable', readBool);
  return out;
}

function secret(raw: Message): ObjectBody {
  const out: ObjectBody = { metadata: objectMeta(raw.message(1)) };
  put(out, 'data', raw.map(2, base64Value));
  put(out, 'type', raw.string(3));
  put(out, 'stringData', raw.map(4, stringValue));
  putIfPresent(out, raw, 5, 'immutable', readBool);
  return out;
}

function resourceQuota(raw: Message): ObjectBody {
  const out: ObjectBody = { metadata: objectMeta(raw.message(1)) };
  const specMessage = raw.message(2);
  const spec: Json = {};
  if (specMessage) {
    put(spec, 'hard', specMessage.map(1, quantityValue));
    put(spec, 'scopes', specMessage.strings(2));
    const scopeSelector = specMessage.message(3);
    if (scopeSelector) {
      put(spec, 'scopeSelector', {
        matchExpressions: scopeSelector.messages(1).map((e) => {
          const expr: Json = {};
          put(expr, 'scopeName', e.string(1));
          put(expr, 'operator', e.string(2));
          put(expr, 'values', e.strings(3));
          return expr;
        }),
      });
    }
  }
  put(out, 'spec', spec);
  const statusMessage = raw.message(3);
  const status: Json = {};
  if (statusMessage) {
    put(status, 'hard', statusMessage.map(1, quantityValue));
    put(status, 'used', statusMessage.map(2, quantityValue));
  }
  put(out, 'status', status);
  return out;
}

/** batch/v1 Job. Its status is not read: on create the server ignores it (status subresource). */
function job(raw: Message): ObjectBody {
  const out: ObjectBody = { metadata: objectMeta(raw.message(1)) };
  const m = raw.message(2);
  const spec: Json = {};
  if (m) {
    putIfPresent(spec, m, 1, 'parallelism', readInt);
    putIfPresent(spec, m, 2, 'completions', readInt);
    putIfPresent(spec, m, 3, 'activeDeadlineSeconds', readInt);
    put(spec, 'selector', labelSelector(m.message(4)));
    putIfPresent(spec, m, 5, 'manualSelector', readBool);
    spec['template'] = podTemplateSpec(m.message(6));
    putIfPresent(spec, m, 7, 'backoffLimit', readInt);
    putIfPresent(spec, m, 8, 'ttlSecondsAfterFinished', readInt);
    putIfPresent(spec, m, 9, 'completionMode', readString);
    putIfPresent(spec, m, 10, 'suspend', readBool);
  }
  put(out, 'spec', spec);
  return out;
}

/** intstr.IntOrString {1 type (0 int, 1 string), 2 intVal, 3 strVal}. */
function intOrString(m: Message | undefined): number | string | undefined {
  if (!m) return undefined;
  return m.int(1) === 1 ? m.string(3) : m.int(2);
}

function service(raw: Message): ObjectBody {
  const out: ObjectBody = { metadata: objectMeta(raw.message(1)) };
  const m = raw.message(2);
  const spec: Json = {};
  if (m) {
    put(
      spec,
      'ports',
      m.messages(1).map((p) => {
        const port: Json = {};
        put(port, 'name', p.string(1));
        put(port, 'protocol', p.string(2));
        put(port, 'port', p.int(3));
        put(port, 'targetPort', intOrString(p.message(4)));
        put(port, 'nodePort', p.int(5));
        putIfPresent(port, p, 6, 'appProtocol', readString);
        return port;
      }),
    );
    put(spec, 'selector', m.map(2, stringValue));
    put(spec, 'clusterIP', m.string(3));
    put(spec, 'type', m.string(4));
    put(spec, 'externalIPs', m.strings(5));
    put(spec, 'sessionAffinity', m.string(7));
    put(spec, 'externalName', m.string(10));
    put(spec, 'publishNotReadyAddresses', m.bool(13));
    put(spec, 'clusterIPs', m.strings(18));
  }
  put(out, 'spec', spec);
  return out;
}

/** Decoders by `apiVersion/kind`: the kinds `kubectl create <generator>` sends for our resources. */
const DECODERS: Record<string, BodyDecoder> = {
  'v1/Namespace': namespace,
  'v1/ConfigMap': configMap,
  'v1/Secret': secret,
  'v1/ResourceQuota': resourceQuota,
  'v1/Service': service,
  'batch/v1/Job': job,
};

function unsupportedKind(apiVersion: string, kind: string): StatusError {
  return new StatusError(
    415,
    STATUS_REASON.unsupportedMediaType,
    `the server cannot decode ${kind || 'an object without a kind'} (${apiVersion || 'no apiVersion'}) from ${PROTOBUF_CONTENT_TYPE}; send it as application/json`,
  );
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into the JSON object it encodes.
 * Throws a StatusError: 400 BadRequest for a malformed body, 415 UnsupportedMediaType for a kind
 * (or content encoding) this decoder does not know.
 */
export function decodeProtobufObject(body: Buffer): KubeObject {
  if (body.length < PROTOBUF_MAGIC.length || PROTOBUF_MAGIC.some((byte, i) => body[i] !== byte)) {
    throw malformed('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  const envelope = new Message(body.subarray(PROTOBUF_MAGIC.length), 0);
  const typeMeta = envelope.message(1);
  const apiVersion = typeMeta?.string(1) ?? '';
  const kind = typeMeta?.string(2) ?? '';
  const contentEncoding = envelope.string(3);
  if (contentEncoding !== '') {
    throw new StatusError(415, STATUS_REASON.unsupportedMediaType, `unsupported protobuf content encoding "${contentEncoding}"`);
  }
  const decode = DECODERS[`${apiVersion}/${kind}`];
  if (!decode) throw unsupportedKind(apiVersion, kind);
  const raw = new Message(envelope.bytes(2) ?? new Uint8Array(), 1);
  const { metadata, ...fields } = decode(raw);
  return { apiVersion, kind, metadata, ...fields };
}
