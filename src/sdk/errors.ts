// Errors of the SDK. Every failure a caller can see is a GatewayError carrying a code: the
// gateway's own `extensions.code` (or a mutation's UserError code), or one of the client-side
// codes below when no answer came back. Subclasses carry the details a caller acts on: the
// fields to fix, the quota shortfall.

import type { PreviewFieldsFragment } from './__generated__/operations.ts';

/** Codes the gateway sends in `extensions.code` and in mutation `errors`. */
export const GATEWAY_ERROR_CODE = {
  unauthenticated: 'UNAUTHENTICATED',
  forbidden: 'FORBIDDEN',
  notFound: 'NOT_FOUND',
  badUserInput: 'BAD_USER_INPUT',
  quotaExceeded: 'QUOTA_EXCEEDED',
  conflict: 'CONFLICT',
  kubernetesUnavailable: 'KUBERNETES_UNAVAILABLE',
  internal: 'INTERNAL_SERVER_ERROR',
} as const;

/** Codes for failures found on the client side, when the gateway gave no usable answer. */
export const CLIENT_ERROR_CODE = {
  /** The gateway could not be reached, or the connection broke. */
  network: 'NETWORK_ERROR',
  /** The answer was not a GraphQL response (a proxy's HTML page, an empty body). */
  badResponse: 'BAD_RESPONSE',
  /** A request or a wait took longer than allowed. */
  timeout: 'TIMEOUT',
  /** The caller aborted through its AbortSignal. */
  aborted: 'ABORTED',
} as const;

export type KnownErrorCode =
  | (typeof GATEWAY_ERROR_CODE)[keyof typeof GATEWAY_ERROR_CODE]
  | (typeof CLIENT_ERROR_CODE)[keyof typeof CLIENT_ERROR_CODE];

/**
 * A known code, or any other code the gateway sends (request-level codes such as
 * `GRAPHQL_VALIDATION_FAILED` pass through unchanged).
 */
export type ErrorCodeValue = KnownErrorCode | (string & {});

/** One entry of a GraphQL response's `errors`, as received. */
export interface GraphQLErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/** An input field to fix: `path` in the GraphQL arguments, `field` in the Kubernetes object. */
export interface FieldProblem {
  message: string;
  path: string[];
  field: string | null;
}

/** A resource the job needs more of than its namespace's quota has left. */
export interface QuotaShortfall {
  quota: string;
  resource: string;
  requested: string;
  used: string;
  hard: string;
  shortfall: string;
}

export interface GatewayErrorOptions {
  /** The GraphQL errors (or mutation user errors) behind this error; default none. */
  errors?: readonly GraphQLErrorEntry[];
  /** The HTTP status, when the answer came over HTTP; default undefined. */
  httpStatus?: number;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCodeValue;
  readonly errors: readonly GraphQLErrorEntry[];
  readonly httpStatus: number | undefined;

  constructor(code: ErrorCodeValue, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.errors = options.errors ?? [];
    this.httpStatus = options.httpStatus;
  }
}

/** The input was refused (`BAD_USER_INPUT`): `fields` says which fields and why. */
export class ValidationError extends GatewayError {
  readonly fields: readonly FieldProblem[];

  constructor(message: string, fields: readonly FieldProblem[], options: GatewayErrorOptions = {}) {
    super(GATEWAY_ERROR_CODE.badUserInput, message, options);
    this.name = 'ValidationError';
    this.fields = fields;
  }
}

/** The job would exceed a ResourceQuota (`QUOTA_EXCEEDED`); nothing was created. */
export class QuotaExceededError extends GatewayError {
  readonly shortfall: readonly QuotaShortfall[];
  /** For a refused create: what the job would have requested against each quota. */
  preview: PreviewFieldsFragment | null = null;

  constructor(message: string, shortfall: readonly QuotaShortfall[], options: GatewayErrorOptions = {}) {
    super(GATEWAY_ERROR_CODE.quotaExceeded, message, options);
    this.name = 'QuotaExceededError';
    this.shortfall = shortfall;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function fieldProblems(value: unknown): FieldProblem[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((entry) => ({
    message: text(entry['message']) ?? '',
    path: Array.isArray(entry['path']) ? entry['path'].filter((p): p is string => typeof p === 'string') : [],
    field: text(entry['field']),
  }));
}

function shortfalls(value: unknown): QuotaShortfall[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((entry) => ({
    quota: text(entry['quota']) ?? '',
    resource: text(entry['resource']) ?? '',
    requested: text(entry['requested']) ?? '',
    used: text(entry['used']) ?? '',
    hard: text(entry['hard']) ?? '',
    shortfall: text(entry['shortfall']) ?? '',
  }));
}

/** `field: message`, unless the message names its field already (Kubernetes' messages do). */
export function withField(field: string | null | undefined, message: string): string {
  return field && !message.startsWith(field) ? `${field}: ${message}` : message;
}

/** Several problems read as one sentence each, first the one that names the code. */
function joinMessages(messages: readonly string[]): string {
  const unique = [...new Set(messages.filter((m) => m !== ''))];
  if (unique.length <= 1) return unique[0] ?? 'the gateway refused the request';
  return unique.join('; ');
}

/**
 * The error for a GraphQL response that carried `errors`. The first error's code decides the
 * class; field problems and shortfalls are gathered from every error with that code.
 */
export function errorFromGraphQL(errors: readonly GraphQLErrorEntry[], httpStatus?: number): GatewayError {
  const first = errors[0];
  const code = text(first?.extensions?.['code']) ?? GATEWAY_ERROR_CODE.internal;
  const same = errors.filter((e) => (text(e.extensions?.['code']) ?? GATEWAY_ERROR_CODE.internal) === code);
  const message = joinMessages(same.map((e) => e.message));
  const options: GatewayErrorOptions = { errors, ...(httpStatus === undefined ? {} : { httpStatus }) };
  if (code === GATEWAY_ERROR_CODE.badUserInput) {
    return new ValidationError(message, same.flatMap((e) => fieldProblems(e.extensions?.['fieldErrors'])), options);
  }
  if (code === GATEWAY_ERROR_CODE.quotaExceeded) {
    return new QuotaExceededError(message, same.flatMap((e) => shortfalls(e.extensions?.['shortfall'])), options);
  }
  return new GatewayError(code, message, options);
}

/** A mutation's `errors` entry as the SDK's operations select it. */
export interface UserErrorEntry {
  __typename: string;
  code: string;
  message: string;
  path?: readonly string[];
  field?: string | null;
  shortfall?: ReadonlyArray<QuotaShortfall>;
}

/**
 * The error for a mutation whose payload came back with `errors`: a quota refusal wins (it is
 * the one thing input changes cannot fix by editing a field), then the first error's code.
 */
export function errorFromUserErrors(userErrors: readonly UserErrorEntry[]): GatewayError {
  const entries: GraphQLErrorEntry[] = userErrors.map((e) => ({ message: e.message, extensions: { code: e.code } }));
  const quota = userErrors.find((e) => e.code === GATEWAY_ERROR_CODE.quotaExceeded);
  if (quota) {
    return new QuotaExceededError(quota.message, userErrors.flatMap((e) => e.shortfall ?? []), { errors: entries });
  }
  const code = userErrors[0]?.code ?? GATEWAY_ERROR_CODE.badUserInput;
  const same = userErrors.filter((e) => e.code === code);
  const fields = same.map((e) => ({ message: e.message, path: [...(e.path ?? [])], field: e.field ?? null }));
  const message = joinMessages(same.map((e) => withField(e.field, e.message)));
  if (code === GATEWAY_ERROR_CODE.badUserInput) return new ValidationError(message, fields, { errors: entries });
  return new GatewayError(code, message, { errors: entries });
}
