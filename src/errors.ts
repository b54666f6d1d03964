// The closed set of error codes a client can see in `extensions.code`, one class per code.
// Anything else that reaches `formatError` is an internal failure: it is logged and masked.

import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export const ERROR_CODE = {
  unauthenticated: 'UNAUTHENTICATED',
  forbidden: 'FORBIDDEN',
  notFound: 'NOT_FOUND',
  badUserInput: 'BAD_USER_INPUT',
  quotaExceeded: 'QUOTA_EXCEEDED',
  conflict: 'CONFLICT',
  kubernetesUnavailable: 'KUBERNETES_UNAVAILABLE',
  /** A live subscription that could not keep up with its updates was ended. */
  slowConsumer: 'SLOW_CONSUMER',
  /** A WebSocket connection (or user) asked for more subscriptions than the gateway allows. */
  tooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  internal: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ERROR_CODE)[keyof typeof ERROR_CODE];

/**
 * Codes Apollo Server attaches to request-level failures (a query that does not parse or
 * validate, a malformed request). They describe the client's request, so they pass unmasked.
 */
export const PROTOCOL_ERROR_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

const PUBLIC_CODES: ReadonlySet<string> = new Set<string>(Object.values(ERROR_CODE));

export class GatewayError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.code = code;
  }
}

export class UnauthenticatedError extends GatewayError {
  constructor(message = 'authentication required') {
    super(ERROR_CODE.unauthenticated, message);
  }
}

export class ForbiddenError extends GatewayError {
  constructor(message: string) {
    super(ERROR_CODE.forbidden, message);
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string) {
    super(ERROR_CODE.notFound, message);
  }
}

export interface InputErrorDetail {
  /** Path in the GraphQL arguments (`["input", "workers"]`). */
  path: string[];
  /** Kubernetes field path when the error maps onto the object (`spec.mpiReplicaSpecs[Worker].replicas`). */
  field?: string;
  message: string;
}

export class BadUserInputError extends GatewayError {
  constructor(message: string, details: InputErrorDetail[] = []) {
    super(ERROR_CODE.badUserInput, message, details.length > 0 ? { fieldErrors: details } : {});
  }
}

export interface QuotaShortfallDetail {
  quota: string;
  resource: string;
  requested: string;
  used: string;
  hard: string;
  shortfall: string;
}

export class QuotaExceededError extends GatewayError {
  readonly shortfall: QuotaShortfallDetail[];

  constructor(message: string, shortfall: QuotaShortfallDetail[]) {
    super(ERROR_CODE.quotaExceeded, message, { shortfall });
    this.shortfall = shortfall;
  }
}

export class ConflictError extends GatewayError {
  constructor(message: string) {
    super(ERROR_CODE.conflict, message);
  }
}

/** Where a log read failed (`jobLogs`): which container of which pod the cluster could not serve. */
export interface LogSourceDetail {
  pod: string;
  container: string;
}

export class KubernetesUnavailableError extends GatewayError {
  constructor(message: string, log?: LogSourceDetail) {
    super(ERROR_CODE.kubernetesUnavailable, message, log ? { pod: log.pod, container: log.container } : {});
  }
}

export class SlowConsumerError extends GatewayError {
  constructor(message: string) {
    super(ERROR_CODE.slowConsumer, message);
  }
}

export class TooManySubscriptionsError extends GatewayError {
  constructor(message: string) {
    super(ERROR_CODE.tooManySubscriptions, message);
  }
}

export const MASKED_MESSAGE = 'Internal server error';

export interface MaskOptions {
  /** Told about every error that gets masked, with the original error. */
  onMasked: (error: unknown) => void;
}

/**
 * Apollo's `formatError`: errors with a public code keep their message and extensions, the rest
 * become a bare INTERNAL_SERVER_ERROR so stack traces and Kubernetes internals never leak.
 */
export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  original: unknown,
  options: MaskOptions,
): GraphQLFormattedError {
  const code = formatted.extensions?.['code'];
  if (typeof code === 'string' && code !== ERROR_CODE.internal && (PUBLIC_CODES.has(code) || PROTOCOL_ERROR_CODES.has(code))) {
    // Apollo adds a stacktrace outside production; it is not part of the contract.
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  options.onMasked(original);
  return {
    message: MASKED_MESSAGE,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ERROR_CODE.internal },
  };
}
