/**
 * Throw-away key pairs and self-signed X.509 certificates for the demo IdPs and the tests.
 * Made at run time, kept in memory only: nothing key-like is ever written to the repository.
 *
 * The RSA key comes from Node's native crypto (fast); node-forge only builds and signs the
 * certificate, since Node has no API to issue one.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPairAndCert {
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  privateKeyPem: string;
  /** X.509 certificate PEM, self-signed, RSA-SHA256. */
  certPem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A fresh 2048-bit RSA key and a self-signed certificate for `commonName`, valid from one day ago
 * (tolerates clock skew) for `validDays` days.
 */
export function generateKeyPairAndCert(commonName: string, validDays = 365): KeyPairAndCert {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive serial number: the first hex digit below 8 keeps the DER integer positive.
  cert.serialNumber = '1' + randomBytes(15).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - DAY_MS);
  cert.validity.notAfter = new Date(now + validDays * DAY_MS);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { privateKeyPem: privateKey, certPem: forge.pki.certificateToPem(cert) };
}
