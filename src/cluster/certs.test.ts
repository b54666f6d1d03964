import { describe, expect, it } from 'vitest';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { createClusterTls } from './certs.ts';

function get(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('cluster TLS', () => {
  it('issues a serving certificate for loopback that verifies against the generated CA', async () => {
    const tls = await createClusterTls();
    const cert = new X509Certificate(tls.certPem);
    const ca = new X509Certificate(tls.caPem);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(ca.ca).toBe(true);
  });

  it('lets a client that trusts only the CA speak HTTPS to a server using the certificate', async () => {
    const tls = await createClusterTls();
    const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await get(`https://127.0.0.1:${port}/`, tls.caPem)).toBe('hello');
      expect(await get(`https://localhost:${port}/`, tls.caPem)).toBe('hello');
      const other = await createClusterTls();
      await expect(get(`https://127.0.0.1:${port}/`, other.caPem)).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});
