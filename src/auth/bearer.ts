// `Authorization: Bearer <token>` (RFC 6750): the only way HTTP callers present credentials, and
// the form WebSocket clients put in `connectionParams.authorization`.

const BEARER_SCHEME = 'bearer';
/** RFC 6750 b64token characters; anything else cannot be a token we issued or accept. */
const TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Far above a JWT with many groups; bounds the work a crafted header can cause. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** The token of a Bearer credential, or undefined when the value is absent or not one. */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  const space = trimmed.indexOf(' ');
  if (space < 0 || trimmed.slice(0, space).toLowerCase() !== BEARER_SCHEME) return undefined;
  const token = trimmed.slice(space + 1).trim();
  if (token === '' || token.length > MAX_TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) return undefined;
  return token;
}
