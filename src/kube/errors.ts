// Kubernetes failures mapped onto the gateway's closed error set, once, here at the edge:
// 404 NOT_FOUND, 409 CONFLICT, 422 BAD_USER_INPUT with its causes, a quota 403 QUOTA_EXCEEDED
// with the shortfall per resource, other 403 FORBIDDEN, and no answer at all (or a 5xx)
// KUBERNETES_UNAVAILABLE.

import {
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  GatewayError,
  KubernetesUnavailableError,
  NotFoundError,
  QuotaExceededError,
  type QuotaShortfallDetail,
} from '../errors.ts';
import { formatQuantity, isValidQuantity, parseQuantity, quantity, subtract, type Quantity } from '../quota/quantity.ts';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; group?: string; causes?: StatusCause[] };
}

/** A Kubernetes API answer other than 2xx, with its Status body when it had one. */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly status: StatusBody | undefined;

  constructor(statusCode: number, status: StatusBody | undefined, fallback: string) {
    super(status?.message ?? fallback);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.status = status;
  }

  get reason(): string | undefined {
    return this.status?.reason;
  }
}

/** The request never got an answer: connection refused, TLS failure, timeout. */
export class KubeUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeUnreachableError';
  }
}

const QUOTA_MESSAGE = /exceeded quota: ([^,]+), requested: (\S+), used: (\S+), limited: (\S+)/g;

function parseKeyValues(list: string): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  // The last list of the message may end with punctuation from the surrounding sentence.
  for (const pair of list.replace(/[,;.]+$/, '').split(',')) {
    const eq = pair.indexOf('=');
    const amount = pair.slice(eq + 1);
    // A malformed amount only loses its shortfall entry; the message still reaches the user.
    if (eq > 0 && isValidQuantity(amount)) out.set(pair.slice(0, eq), parseQuantity(amount));
  }
  return out;
}

/**
 * The shortfall per resource from quota admission's message
 * (`exceeded quota: q, requested: a=1,b=2, used: ..., limited: ...`).
 */
export function parseQuotaMessage(message: string): QuotaShortfallDetail[] {
  const out: QuotaShortfallDetail[] = [];
  for (const match of message.matchAll(QUOTA_MESSAGE)) {
    const [, quota = '', requestedText = '', usedText = '', limitedText = ''] = match;
    const requested = parseKeyValues(requestedText);
    const used = parseKeyValues(usedText);
    const limited = parseKeyValues(limitedText);
    for (const [resource, hard] of limited) {
      const req = requested.get(resource) ?? quantity(0n, hard.format);
      const current = used.get(resource) ?? quantity(0n, hard.format);
      const over = subtract({ nano: req.nano + current.nano, format: hard.format }, hard);
      out.push({
        quota,
        resource,
        requested: formatQuantity({ nano: req.nano, format: hard.format }),
        used: formatQuantity({ nano: current.nano, format: hard.format }),
        hard: formatQuantity(hard),
        shortfall: formatQuantity(over.nano > 0n ? over : quantity(0n, hard.format)),
      });
    }
  }
  return out;
}

function isQuotaRefusal(error: KubeApiError): boolean {
  return error.statusCode === 403 && /exceeded quota/.test(error.message);
}

/** Maps anything a Kubernetes call threw onto the gateway's error set; unknown errors pass through to be masked. */
export function mapKubeError(error: unknown): unknown {
  if (error instanceof GatewayError) return error;
  if (error instanceof KubeUnreachableError) return new KubernetesUnavailableError(`the Kubernetes API is unreachable: ${error.message}`);
  if (!(error instanceof KubeApiError)) return error;
  const message = error.message;
  switch (error.statusCode) {
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(message);
    case 400:
    case 422: {
      const causes = error.status?.details?.causes ?? [];
      return new BadUserInputError(
        message,
        causes.map((c) => ({ path: [], ...(c.field ? { field: c.field } : {}), message: c.message ?? message })),
      );
    }
    case 403:
      return isQuotaRefusal(error) ? new QuotaExceededError(message, parseQuotaMessage(message)) : new ForbiddenError(message);
    default:
      // 401 (the gateway's own credentials), 429, 5xx: the cluster cannot serve us right now.
      return new KubernetesUnavailableError(`the Kubernetes API answered ${error.statusCode}: ${message}`);
  }
}
