// OIDC offline: a key pair made in the test, tokens signed with it, and the issuer's discovery
// document and JWKS served from a loopback HTTP server on port 0.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcAuthenticator } from './oidc.ts';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'mpijob-gateway';
const NOW_S = 1_800_000_000;

let privateKey: CryptoKey;
let publicJwk: JWK;
let otherKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  otherKey = (await generateKeyPair('RS256')).privateKey;
});

function sign(claims: Record<string, unknown>, options: { key?: CryptoKey; issuer?: string; audience?: string; expiresAt?: number } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(NOW_S - 60)
    .setExpirationTime(options.expiresAt ?? NOW_S + 600)
    .sign(options.key ?? privateKey);
}

function local(extra: Partial<Parameters<typeof createOidcAuthenticator>[0]> = {}) {
  return createOidcAuthenticator({
    issuer: ISSUER,
    audiences: [AUDIENCE],
    keys: createLocalJWKSet({ keys: [publicJwk] }),
    now: () => new Date(NOW_S * 1000),
    ...extra,
  });
}

describe('the OIDC strategy with a local key set', () => {
  it('maps sub and groups, adds system:authenticated and reports the expiry', async () => {
    const identity = await local().authenticate(await sign({ sub: 'alice', groups: ['ml', 'team-a'] }));
    expect(identity).toEqual({ username: 'alice', groups: ['ml', 'team-a', 'system:authenticated'], expiresAtMs: (NOW_S + 600) * 1000 });
  });

  it('uses the configured claims and prefixes, and a groups claim that is one string', async () => {
    const auth = local({ usernameClaim: 'email', groupsClaim: 'roles', usernamePrefix: 'oidc:', groupsPrefix: 'oidc:' });
    const identity = await auth.authenticate(await sign({ sub: 'x', email: 'alice@example.com', email_verified: true, roles: 'editors' }));
    expect(identity).toMatchObject({ username: 'oidc:alice@example.com', groups: ['oidc:editors', 'system:authenticated'] });
  });

  it('refuses an email username the issuer marks unverified', async () => {
    expect(await local({ usernameClaim: 'email' }).authenticate(await sign({ email: 'eve@example.com', email_verified: false }))).toBeUndefined();
  });

  it('refuses expired tokens, other issuers, other audiences and other keys', async () => {
    const auth = local();
    expect(await auth.authenticate(await sign({ sub: 'a' }, { expiresAt: NOW_S - 60 }))).toBeUndefined();
    expect(await auth.authenticate(await sign({ sub: 'a' }, { issuer: 'https://evil.example' }))).toBeUndefined();
    expect(await auth.authenticate(await sign({ sub: 'a' }, { audience: 'someone-else' }))).toBeUndefined();
    expect(await auth.authenticate(await sign({ sub: 'a' }, { key: otherKey }))).toBeUndefined();
    expect(await auth.authenticate('not-a-jwt')).toBeUndefined();
  });

  it('refuses a token signed with a shared secret (HS256) and an unsigned one', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-of-enough-length!!');
    const hs = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(NOW_S + 600)
      .sign(secret);
    expect(await local().authenticate(hs)).toBeUndefined();
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 600 })).toString('base64url');
    expect(await local().authenticate(`${header}.${body}.`)).toBeUndefined();
  });

  it('refuses a token without a username or with groups that are not strings', async () => {
    expect(await local().authenticate(await sign({ groups: ['x'] }))).toBeUndefined();
    expect(await local().authenticate(await sign({ sub: 'a', groups: [1, 2] }))).toBeUndefined();
  });
});

describe('the OIDC strategy with discovery', () => {
  let server: Server;
  let issuer: string;
  let fetches = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      fetches += 1;
      if (req.url === '/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
      } else if (req.url === '/keys') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [publicJwk] }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('finds the keys through the discovery document and verifies tokens with them', async () => {
    const auth = createOidcAuthenticator({ issuer, audiences: [AUDIENCE], now: () => new Date(NOW_S * 1000) });
    const token = await sign({ sub: 'bob' }, { issuer });
    expect((await auth.authenticate(token))?.username).toBe('bob');
    const before = fetches;
    expect((await auth.authenticate(token))?.username).toBe('bob');
    expect(fetches, 'keys are cached between tokens').toBe(before);
  });

  it('refuses every token, and reports why, when the discovery document names another issuer', async () => {
    const errors: Error[] = [];
    const auth = createOidcAuthenticator({ issuer: `${issuer}/`, audiences: [AUDIENCE], now: () => new Date(NOW_S * 1000), onError: (e) => errors.push(e) });
    expect(await auth.authenticate(await sign({ sub: 'bob' }, { issuer: `${issuer}/` }))).toBeUndefined();
    expect(errors[0]?.message).toMatch(/names issuer/);
  });
});
