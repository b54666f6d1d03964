// The embedded cluster's TLS: a CA made on first start and a serving certificate for loopback
// signed by it. HTTPS is not decoration here: over plain HTTP kubectl sends no credentials at
// all, and client-node refuses http:// servers unless TLS checks are switched off.

// @peculiar/x509 resolves its services through tsyringe, which needs the metadata polyfill.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** ECDSA P-256: kubectl (Go) and Node both accept it, and keys are made in milliseconds. */
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Long enough that a developer's data dir does not go stale; it is a loopback-only CA. */
export const CA_VALIDITY_DAYS = 3650;
export const SERVING_CERT_VALIDITY_DAYS = 825;
const DAY_MS = 86_400_000;

export interface ClusterTls {
  caPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
}

export interface ClusterTlsOptions {
  /** DNS names and IP addresses the serving certificate is valid for. Default: loopback names. */
  hosts?: string[];
}

const DEFAULT_HOSTS = ['127.0.0.1', '::1', 'localhost'];

function serialNumber(): string {
  // Positive (top bit clear) random serial, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign']);
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

export async function createCertificateAuthority(commonName = 'mpijob-gateway-embedded-ca'): Promise<{ caPem: string; caKeyPem: string }> {
  const keys = await generateKeys();
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY_MS),
    keys,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { caPem: ca.toString('pem'), caKeyPem: await exportKeyPem(keys.privateKey) };
}

export async function issueServingCertificate(
  ca: { caPem: string; caKeyPem: string },
  hosts: string[] = DEFAULT_HOSTS,
): Promise<{ certPem: string; keyPem: string }> {
  const caCert = new x509.X509Certificate(ca.caPem);
  const caKey = await importKeyPem(ca.caKeyPem);
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: 'CN=kube-apiserver',
    issuer: caCert.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + SERVING_CERT_VALIDITY_DAYS * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((host) => (isIpAddress(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host })),
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/** A fresh CA and a serving certificate signed by it (tests, ephemeral clusters). */
export async function createClusterTls(options: ClusterTlsOptions = {}): Promise<ClusterTls> {
  const ca = await createCertificateAuthority();
  const serving = await issueServingCertificate(ca, options.hosts ?? DEFAULT_HOSTS);
  return { ...ca, ...serving };
}
