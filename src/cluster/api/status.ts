// metav1.Status errors with the reasons, codes and message formats of the real API server
// (k8s.io/apimachinery/pkg/api/errors). Every non-2xx answer the emulator gives is one of these.

import { qualifiedResource, type ResourceInfo } from './resources.ts';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export const STATUS_REASON = {
  notFound: 'NotFound',
  alreadyExists: 'AlreadyExists',
  conflict: 'Conflict',
  invalid: 'Invalid',
  forbidden: 'Forbidden',
  expired: 'Expired',
  gone: 'Gone',
  badRequest: 'BadRequest',
  unauthorized: 'Unauthorized',
  methodNotAllowed: 'MethodNotAllowed',
  notAcceptable: 'NotAcceptable',
  unsupportedMediaType: 'UnsupportedMediaType',
  requestEntityTooLarge: 'RequestEntityTooLarge',
  tooManyRequests: 'TooManyRequests',
  internalError: 'InternalError',
  timeout: 'Timeout',
} as const;

export class StatusError extends Error {
  readonly body: StatusBody;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.body = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      // A plain error (reason StatusReasonUnknown) is answered without the field.
      ...(reason ? { reason } : {}),
      ...(details && Object.keys(details).length > 0 ? { details: stripEmpty(details) } : {}),
      code,
    };
  }

  get code(): number {
    return this.body.code;
  }

  get reason(): string | undefined {
    return this.body.reason;
  }
}

function stripEmpty(details: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  for (const [key, value] of Object.entries(details) as Array<[keyof StatusDetails, unknown]>) {
    if (value !== undefined && value !== '') (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

type ResourceRef = Pick<ResourceInfo, 'group' | 'resource'>;

function resourceDetails(info: ResourceRef, name: string | undefined): StatusDetails {
  return { name, group: info.group || undefined, kind: info.resource };
}

export function notFound(info: ResourceRef, name: string): StatusError {
  return new StatusError(404, STATUS_REASON.notFound, `${qualifiedResource(info)} "${name}" not found`, resourceDetails(info, name));
}

/** The answer for a path no handler serves. */
export function pathNotFound(): StatusError {
  return new StatusError(404, STATUS_REASON.notFound, 'the server could not find the requested resource');
}

export function alreadyExists(info: ResourceRef, name: string): StatusError {
  return new StatusError(409, STATUS_REASON.alreadyExists, `${qualifiedResource(info)} "${name}" already exists`, resourceDetails(info, name));
}

export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

export function conflict(info: ResourceRef, name: string, detail: string = OPTIMISTIC_LOCK_MESSAGE): StatusError {
  return new StatusError(
    409,
    STATUS_REASON.conflict,
    `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": ${detail}`,
    resourceDetails(info, name),
  );
}

/** Cause reasons (field.ErrorType) as the real server names them. */
export const CAUSE = {
  required: 'FieldValueRequired',
  invalid: 'FieldValueInvalid',
  notSupported: 'FieldValueNotSupported',
  duplicate: 'FieldValueDuplicate',
  forbidden: 'FieldValueForbidden',
  tooLong: 'FieldValueTooLong',
  tooMany: 'FieldValueTooMany',
  typeInvalid: 'FieldValueTypeInvalid',
  notFound: 'FieldValueNotFound',
} as const;

/**
 * 422 Invalid. `kind` is the Kind (`MPIJob`), `group` its API group; the message reads
 * `MPIJob.kubeflow.org "pi" is invalid: <field>: <message>` (or a bracketed list for several).
 */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const joined = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return new StatusError(422, STATUS_REASON.invalid, `${qualifiedKind} "${name}" is invalid: ${joined}`, {
    name,
    group: group || undefined,
    kind,
    causes,
  });
}

export function forbidden(info: ResourceRef, name: string | undefined, why: string): StatusError {
  const subject = name ? `${qualifiedResource(info)} "${name}"` : qualifiedResource(info);
  return new StatusError(403, STATUS_REASON.forbidden, `${subject} is forbidden: ${why}`, resourceDetails(info, name));
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, STATUS_REASON.badRequest, message);
}

/** 410 Expired: a watch or continue token older than the retained history. */
export function expired(message: string): StatusError {
  return new StatusError(410, STATUS_REASON.expired, message);
}

export function methodNotAllowed(message = 'the server does not allow this method on the requested resource'): StatusError {
  return new StatusError(405, STATUS_REASON.methodNotAllowed, message);
}

/** The body media types the real server decodes for create and update. */
export const BODY_MEDIA_TYPES: readonly string[] = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** 415 for a body whose Content-Type is not among `accepted` (negotiation.NewUnsupportedMediaTypeError). */
export function unsupportedMediaType(accepted: readonly string[] = BODY_MEDIA_TYPES): StatusError {
  return new StatusError(415, STATUS_REASON.unsupportedMediaType, `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

/**
 * 415 as the real server's router answers a PATCH of a built-in kind whose Content-Type is no
 * patch type at all: the routing library's own text and an empty `details`.
 */
export function unsupportedMediaTypeByRoute(): StatusError {
  return withEmptyDetails(new StatusError(415, STATUS_REASON.unsupportedMediaType, '415: Unsupported Media Type'));
}

/**
 * 422 for a JSON patch that cannot be applied (a failing `test`, a missing path): the real
 * server answers with a generic message and keeps the library's reason to itself.
 */
export function patchNotApplicable(): StatusError {
  return withEmptyDetails(new StatusError(422, STATUS_REASON.invalid, 'the server rejected our request due to an error in our request'));
}

/** Some real answers carry `details: {}` rather than no details at all. */
function withEmptyDetails(error: StatusError): StatusError {
  error.body.details = {};
  return error;
}

/** Cause type of a server-side apply conflict. */
export const CAUSE_FIELD_MANAGER_CONFLICT = 'FieldManagerConflict';

/** 409 for a server-side apply that would change fields other managers own (errors.NewApplyConflict). */
export function applyConflict(message: string, causes: StatusCause[]): StatusError {
  return new StatusError(409, STATUS_REASON.conflict, message, { causes });
}

/** An error the real server answers with no reason at all (a plain Go error turned into a Status). */
export function unknownError(code: number, message: string): StatusError {
  return new StatusError(code, '', message);
}

export function requestEntityTooLarge(limitBytes: number): StatusError {
  return new StatusError(413, STATUS_REASON.requestEntityTooLarge, `the request body exceeds the limit of ${limitBytes} bytes`);
}

export function unauthorized(): StatusError {
  return new StatusError(401, STATUS_REASON.unauthorized, 'Unauthorized');
}

export function internalError(text: string): StatusError {
  return new StatusError(500, STATUS_REASON.internalError, `Internal error occurred: ${text}`, { causes: [{ message: text }] });
}

export function timeout(message: string, retryAfterSeconds?: number): StatusError {
  return new StatusError(504, STATUS_REASON.timeout, message, retryAfterSeconds ? { retryAfterSeconds } : undefined);
}

/** A Success Status as the real server answers an immediate delete: no code, no message. */
export type SuccessStatusBody = Omit<StatusBody, 'code' | 'status'> & { status: 'Success' };

export function successStatus(details: StatusDetails): SuccessStatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: stripEmpty(details) };
}
