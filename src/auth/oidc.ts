// The `oidc` strategy: the bearer token is a JWT from an OpenID Connect issuer, verified with
// `jose` against the issuer's signing keys (JWKS): signature, issuer, audience, expiry and
// not-before. The username and groups come from configurable claims, as kube-apiserver's
// `--oidc-*` flags do it. Keys are fetched from the `jwks_uri` of the issuer's discovery document
// (or a given URL) and cached by jose; tests hand in a local key set.

import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Authenticator } from './authenticator.ts';
import { withAuthenticatedGroup, type Identity } from './identity.ts';

/** Where an issuer publishes its configuration (OpenID Connect Discovery 1.0). */
export const OIDC_DISCOVERY_PATH = '/.well-known/openid-configuration';
/** Signature algorithms accepted by default: asymmetric only, so a shared secret can never sign. */
export const DEFAULT_OIDC_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256', 'EdDSA'];
/** Skew allowed between the issuer's clock and ours when checking exp and nbf. */
export const OIDC_CLOCK_TOLERANCE_SECONDS = 10;
/** Bound on one discovery or key fetch. */
export const OIDC_FETCH_TIMEOUT_MS = 5_000;

const EMAIL_CLAIM = 'email';
const EMAIL_VERIFIED_CLAIM = 'email_verified';

export interface OidcAuthenticatorOptions {
  /** The `iss` every token must carry; also where discovery starts. */
  issuer: string;
  /** Accepted `aud` values (the client id); at least one. */
  audiences: readonly string[];
  /** Default `sub`. */
  usernameClaim?: string;
  /** Default `groups`; a string or an array of strings in the token. */
  groupsClaim?: string;
  /** Prepended to every username (to keep OIDC users apart from others); default none. */
  usernamePrefix?: string;
  /** Prepended to every group; default none. */
  groupsPrefix?: string;
  /** Default: the `jwks_uri` of the issuer's discovery document. */
  jwksUrl?: string;
  /** A fixed key set (tests, air-gapped installs); replaces any fetching. Default none. */
  keys?: JWTVerifyGetKey;
  /** Default DEFAULT_OIDC_ALGORITHMS. */
  algorithms?: readonly string[];
  /** Default OIDC_CLOCK_TOLERANCE_SECONDS. */
  clockToleranceSeconds?: number;
  /** Default `() => new Date()`. */
  now?: () => Date;
  /** Told why a token was refused when it is not the caller's fault (issuer unreachable, bad keys). Default nothing. */
  onError?: (error: Error) => void;
}

interface DiscoveryDocument {
  issuer?: unknown;
  jwks_uri?: unknown;
}

async function discoverJwksUrl(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}${OIDC_DISCOVERY_PATH}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(OIDC_FETCH_TIMEOUT_MS), redirect: 'error' });
  if (!response.ok) throw new Error(`OIDC discovery at ${url} answered ${response.status}`);
  const document = (await response.json()) as DiscoveryDocument;
  // OpenID Connect Discovery 4.3: the document must name exactly the issuer it was fetched for.
  if (document.issuer !== issuer) throw new Error(`OIDC discovery at ${url} names issuer ${String(document.issuer)}, not ${issuer}`);
  if (typeof document.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
  return document.jwks_uri;
}

function claimText(payload: JWTPayload, claim: string): string | undefined {
  const value = payload[claim];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function claimGroups(payload: JWTPayload, claim: string): string[] | undefined {
  const value = payload[claim];
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value;
  return undefined;
}

/** Token problems that are the caller's (expired, wrong audience, bad signature) rather than ours. */
function isCallerError(error: unknown): boolean {
  return (
    error instanceof joseErrors.JWTExpired ||
    error instanceof joseErrors.JWTClaimValidationFailed ||
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWSInvalid ||
    error instanceof joseErrors.JWTInvalid ||
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  );
}

export function createOidcAuthenticator(options: OidcAuthenticatorOptions): Authenticator {
  if (options.audiences.length === 0) throw new Error('OIDC needs at least one audience (client id)');
  const usernameClaim = options.usernameClaim ?? 'sub';
  const groupsClaim = options.groupsClaim ?? 'groups';
  const usernamePrefix = options.usernamePrefix ?? '';
  const groupsPrefix = options.groupsPrefix ?? '';
  const now = options.now ?? (() => new Date());
  let keys: Promise<JWTVerifyGetKey> | undefined = options.keys ? Promise.resolve(options.keys) : undefined;

  const keySet = (): Promise<JWTVerifyGetKey> => {
    keys ??= (async () => {
      const url = options.jwksUrl ?? (await discoverJwksUrl(options.issuer));
      return createRemoteJWKSet(new URL(url), { timeoutDuration: OIDC_FETCH_TIMEOUT_MS });
    })().catch((error: unknown) => {
      // Retry discovery on the next token rather than failing forever.
      keys = undefined;
      throw error;
    });
    return keys;
  };

  return {
    strategy: 'oidc',
    async authenticate(token) {
      if (token === '' || token.split('.').length !== 3) return undefined;
      let payload: JWTPayload;
      try {
        const result = await jwtVerify(token, await keySet(), {
          issuer: options.issuer,
          audience: [...options.audiences],
          algorithms: [...(options.algorithms ?? DEFAULT_OIDC_ALGORITHMS)],
          clockTolerance: options.clockToleranceSeconds ?? OIDC_CLOCK_TOLERANCE_SECONDS,
          currentDate: now(),
          requiredClaims: ['exp'],
        });
        payload = result.payload;
      } catch (error) {
        if (!isCallerError(error)) options.onError?.(error instanceof Error ? error : new Error(String(error)));
        return undefined;
      }
      const name = claimText(payload, usernameClaim);
      if (!name) return undefined;
      // As kube-apiserver: an email username only counts when the issuer has not said it is unverified.
      if (usernameClaim === EMAIL_CLAIM && payload[EMAIL_VERIFIED_CLAIM] === false) return undefined;
      const groups = claimGroups(payload, groupsClaim);
      if (!groups) return undefined;
      const identity: Identity = {
        username: `${usernamePrefix}${name}`,
        groups: groups.map((g) => `${groupsPrefix}${g}`),
        ...(typeof payload.exp === 'number' ? { expiresAtMs: payload.exp * 1000 } : {}),
      };
      return withAuthenticatedGroup(identity);
    },
  };
}
