import { describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { GatewayError } from './errors.ts';
import { Transport, errorFromWebSocket, webSocketUrl } from './transport.ts';

const QUERY = parse('{ __typename }');

function answering(status: number, body: string, contentType: string): typeof fetch {
  return async () => new Response(body, { status, headers: { 'content-type': contentType } });
}

describe('Transport.request', () => {
  it('sends the bearer token and a GraphQL-over-HTTP request', async () => {
    let seen: { url: string; init: RequestInit | undefined } | undefined;
    const fetchSpy: typeof fetch = async (url, init) => {
      seen = { url: String(url), init };
      return new Response('{"data":{"__typename":"Query"}}', { headers: { 'content-type': 'application/json' } });
    };
    const transport = new Transport({ server: 'http://gw.test/graphql', token: 's3cret', fetch: fetchSpy });
    expect(await transport.request(QUERY, {})).toEqual({ __typename: 'Query' });
    const headers = seen?.init?.headers as Record<string, string>;
    expect(seen?.url).toBe('http://gw.test/graphql');
    expect(seen?.init?.method).toBe('POST');
    expect(headers['authorization']).toBe('Bearer s3cret');
    expect(headers['content-type']).toBe('application/json');
    expect(JSON.parse(String(seen?.init?.body))).toEqual({ query: '{\n  __typename\n}', variables: {} });
  });

  it('turns a page that is not GraphQL into BAD_RESPONSE with the status', async () => {
    const transport = new Transport({ server: 'http://gw.test/graphql', fetch: answering(502, '<html>Bad gateway</html>', 'text/html') });
    const error = await transport.request(QUERY, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'BAD_RESPONSE', httpStatus: 502 });
    expect((error as Error).message).toMatch(/answered HTTP 502 \(text\/html\), not a GraphQL response/);
  });

  it('turns GraphQL errors into a GatewayError with the first code', async () => {
    const body = JSON.stringify({ errors: [{ message: 'authentication required', extensions: { code: 'UNAUTHENTICATED' } }] });
    const transport = new Transport({ server: 'http://gw.test/graphql', fetch: answering(401, body, 'application/json') });
    const error = await transport.request(QUERY, {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', httpStatus: 401, message: 'authentication required' });
  });

  it('refuses a server that is not an http(s) URL', () => {
    expect(() => new Transport({ server: 'gw:4000' })).toThrow(/not an http\(s\) URL|not a URL/);
  });
});

describe('WebSocket helpers', () => {
  it('maps http(s) to ws(s)', () => {
    expect(webSocketUrl('http://127.0.0.1:4000/graphql')).toBe('ws://127.0.0.1:4000/graphql');
    expect(webSocketUrl('https://gw.example/graphql')).toBe('wss://gw.example/graphql');
  });

  it('explains graphql-ws close codes and GraphQL errors', () => {
    expect(errorFromWebSocket({ code: 4403, reason: 'Forbidden' }, 'ws://x')).toMatchObject({ code: 'FORBIDDEN', message: 'the gateway refused the WebSocket connection (4403: Forbidden)' });
    expect(errorFromWebSocket({ code: 1006, reason: '' }, 'ws://x').code).toBe('NETWORK_ERROR');
    expect(errorFromWebSocket([{ message: 'gone', extensions: { code: 'NOT_FOUND' } }], 'ws://x').code).toBe('NOT_FOUND');
    expect(errorFromWebSocket(new Error('ECONNREFUSED'), 'ws://x')).toMatchObject({ code: 'NETWORK_ERROR', message: 'cannot open a WebSocket to ws://x: ECONNREFUSED' });
  });
});
