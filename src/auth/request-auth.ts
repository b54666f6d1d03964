// From credentials to a viewer, the same for an HTTP request and a WebSocket subscribe: the bearer
// token is authenticated by the configured strategy, then the viewer's readable namespaces are
// settled with SubjectAccessReviews (batched, mostly cached).

import { HeaderMap } from '@apollo/server';
import { ERROR_CODE, GatewayError } from '../errors.ts';
import type { Viewer } from '../viewer/viewer.ts';
import { createViewer, type Authorizer } from './access.ts';
import type { Authenticator } from './authenticator.ts';
import { bearerToken } from './bearer.ts';
import type { Identity } from './identity.ts';

const HTTP_UNAUTHORIZED = 401;
const WWW_AUTHENTICATE = 'www-authenticate';
/** RFC 6750: the scheme a client must use. */
const BEARER_CHALLENGE = 'Bearer realm="mpijob-gateway"';

export const MISSING_CREDENTIALS_MESSAGE = 'authentication required: send Authorization: Bearer <token>';
export const INVALID_CREDENTIALS_MESSAGE = 'the bearer token is invalid or has expired';

/** UNAUTHENTICATED, answered over HTTP with 401 and a Bearer challenge. */
export function unauthenticated(message: string): GatewayError {
  return new GatewayError(ERROR_CODE.unauthenticated, message, {
    http: { status: HTTP_UNAUTHORIZED, headers: new HeaderMap([[WWW_AUTHENTICATE, BEARER_CHALLENGE]]) },
  });
}

export interface RequestAuthOptions {
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** The namespaces the gateway currently watches and serves. */
  namespaces: () => readonly string[];
  /** Default Date.now. */
  now?: () => number;
}

export interface AuthenticatedViewer {
  identity: Identity;
  viewer: Viewer;
}

export class RequestAuth {
  private readonly options: RequestAuthOptions;
  private readonly now: () => number;

  constructor(options: RequestAuthOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** The identity behind an `Authorization` value; throws UNAUTHENTICATED (401) when there is none. */
  async identify(authorization: unknown): Promise<Identity> {
    if (authorization === undefined || authorization === null || authorization === '') throw unauthenticated(MISSING_CREDENTIALS_MESSAGE);
    const token = bearerToken(authorization);
    if (!token) throw unauthenticated(INVALID_CREDENTIALS_MESSAGE);
    const identity = await this.options.authenticator.authenticate(token);
    if (!identity || (identity.expiresAtMs !== undefined && identity.expiresAtMs <= this.now())) throw unauthenticated(INVALID_CREDENTIALS_MESSAGE);
    return identity;
  }

  /** A fresh viewer for one request (or one subscription): its own access loader, shared answers. */
  async viewerFor(identity: Identity): Promise<Viewer> {
    return createViewer({ access: this.options.authorizer.forRequest(identity), namespaces: this.options.namespaces() });
  }

  async authenticate(authorization: unknown): Promise<AuthenticatedViewer> {
    const identity = await this.identify(authorization);
    return { identity, viewer: await this.viewerFor(identity) };
  }
}
