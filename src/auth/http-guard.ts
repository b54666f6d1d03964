// Authentication for GraphQL over HTTP, as an express handler in front of the body parser: a
// request without valid credentials is answered 401 before its body is read or any GraphQL work
// is done. What it learned (who, and the request id) is kept per request for the context.

import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ERROR_CODE, GatewayError } from '../errors.ts';
import type { Identity } from './identity.ts';
import type { RequestAuth } from './request-auth.ts';

/** Echoed on every GraphQL response, and in the audit record, so the two can be matched. */
export const REQUEST_ID_HEADER = 'x-request-id';

const HTTP_UNAUTHORIZED = 401;
const HTTP_UNAVAILABLE = 503;
const WWW_AUTHENTICATE = 'www-authenticate';

export interface AuthenticatedRequest {
  identity: Identity;
  requestId: string;
}

function httpOf(error: GatewayError): { status: number; headers: Iterable<[string, string]> } {
  const http = error.extensions['http'] as { status?: number; headers?: Iterable<[string, string]> } | undefined;
  return {
    status: http?.status ?? (error.code === ERROR_CODE.unauthenticated ? HTTP_UNAUTHORIZED : HTTP_UNAVAILABLE),
    headers: http?.headers ?? [],
  };
}

function refuse(res: Response, error: GatewayError): void {
  const { status, headers } = httpOf(error);
  for (const [name, value] of headers) if (name === WWW_AUTHENTICATE) res.setHeader(name, value);
  res.status(status).json({ errors: [{ message: error.message, extensions: { code: error.code } }] });
}

export class HttpAuthGuard {
  private readonly auth: RequestAuth;
  private readonly requests = new WeakMap<Request, AuthenticatedRequest>();

  constructor(auth: RequestAuth) {
    this.auth = auth;
  }

  /** The express handler; failures other than credentials and an unreachable checker go to express's error handling. */
  readonly handler: RequestHandler = (req, res, next) => {
    const requestId = randomUUID();
    res.setHeader(REQUEST_ID_HEADER, requestId);
    this.auth.identify(req.headers.authorization).then(
      (identity) => {
        this.requests.set(req, { identity, requestId });
        next();
      },
      (error: unknown) => {
        if (error instanceof GatewayError && (error.code === ERROR_CODE.unauthenticated || error.code === ERROR_CODE.kubernetesUnavailable)) refuse(res, error);
        else next(error);
      },
    );
  };

  /** What the handler learned about `req`; undefined when it did not run or refused. */
  of(req: Request): AuthenticatedRequest | undefined {
    return this.requests.get(req);
  }
}
