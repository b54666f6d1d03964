// Authentication for GraphQL over WebSocket: the bearer credentials travel in `connection_init`'s
// payload (`connectionParams.authorization`, the same `Bearer <token>` as the HTTP header), and
// are checked again on every subscribe, so a token that expired or was revoked stops opening
// subscriptions. Browsers cannot set headers on a WebSocket, so the upgrade request's own
// `Authorization` header is only a fallback for non-browser clients.

import type { IncomingMessage } from 'node:http';
import { ERROR_CODE, GatewayError, UnauthenticatedError } from '../errors.ts';
import type { Viewer } from '../viewer/viewer.ts';
import type { RequestAuth } from './request-auth.ts';

/** The `connection_init` payload key holding the credentials. */
export const CONNECTION_PARAMS_AUTHORIZATION = 'authorization';

export interface WebSocketIdentity {
  viewer: Viewer;
  /** When the credentials stop being valid, if they say (OIDC `exp`). */
  expiresAtMs?: number;
}

/**
 * The subscription server's `authenticate` hook. Throws UNAUTHENTICATED (without HTTP details,
 * which mean nothing on a socket) for missing or invalid credentials; an unreachable
 * authenticator is thrown as it is (KUBERNETES_UNAVAILABLE).
 */
export function webSocketAuthenticator(auth: RequestAuth): (params: Readonly<Record<string, unknown>> | undefined, request: IncomingMessage) => Promise<WebSocketIdentity> {
  return async (params, request) => {
    const authorization = params?.[CONNECTION_PARAMS_AUTHORIZATION] ?? request.headers.authorization;
    try {
      const { identity, viewer } = await auth.authenticate(authorization);
      return { viewer, ...(identity.expiresAtMs !== undefined ? { expiresAtMs: identity.expiresAtMs } : {}) };
    } catch (error) {
      if (error instanceof GatewayError && error.code === ERROR_CODE.unauthenticated) throw new UnauthenticatedError(error.message);
      throw error;
    }
  };
}
