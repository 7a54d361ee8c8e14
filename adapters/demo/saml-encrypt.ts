/**
 * The test IdP's side of XML Encryption 1.1 for SAML: an assertion encrypted to the SP's
 * certificate as an IdP sends it (EncryptedData with the content key in KeyInfo/EncryptedKey).
 * Weak variants (RSA 1.5 key transport) exist so the tests can show they are refused.
 */
import { X509Certificate, constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';

export type DataAlgorithm = 'aes256-gcm' | 'aes128-gcm' | 'aes256-cbc' | 'aes128-cbc';
export type KeyTransport = 'rsa-oaep-mgf1p' | 'rsa-1_5';

export interface EncryptOptions {
  /** The SP's encryption certificate (PEM). */
  certPem: string;
  /** Default AES-256-GCM. */
  data?: DataAlgorithm;
  /** Default RSA-OAEP (MGF1, SHA-1 digest, the SAML profile's usual pair). */
  keyTransport?: KeyTransport;
}

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const XENC11 = 'http://www.w3.org/2009/xmlenc11#';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

const DATA: Record<DataAlgorithm, { uri: string; cipher: string; keyBytes: number; ivBytes: number; gcm: boolean }> = {
  'aes256-gcm': { uri: `${XENC11}aes256-gcm`, cipher: 'aes-256-gcm', keyBytes: 32, ivBytes: 12, gcm: true },
  'aes128-gcm': { uri: `${XENC11}aes128-gcm`, cipher: 'aes-128-gcm', keyBytes: 16, ivBytes: 12, gcm: true },
  'aes256-cbc': { uri: `${XENC}aes256-cbc`, cipher: 'aes-256-cbc', keyBytes: 32, ivBytes: 16, gcm: false },
  'aes128-cbc': { uri: `${XENC}aes128-cbc`, cipher: 'aes-128-cbc', keyBytes: 16, ivBytes: 16, gcm: false },
};

/** `<saml:EncryptedAssertion>` holding `assertionXml` (a standalone element with its namespaces). */
export function encryptAssertion(assertionXml: string, o: EncryptOptions): string {
  const data = DATA[o.data ?? 'aes256-gcm'];
  const transport = o.keyTransport ?? 'rsa-oaep-mgf1p';
  const key = randomBytes(data.keyBytes);
  const iv = randomBytes(data.ivBytes);
  const cipher = createCipheriv(data.cipher, key, iv);
  const body = Buffer.concat([cipher.update(assertionXml, 'utf8'), cipher.final()]);
  // XML Encryption 1.1: the CipherValue is the IV, the ciphertext and (GCM) the 128-bit tag.
  const cipherValue = Buffer.concat([iv, body, data.gcm ? (cipher as ReturnType<typeof createCipheriv> & { getAuthTag(): Buffer }).getAuthTag() : Buffer.alloc(0)]);
  const publicKey = new X509Certificate(o.certPem).publicKey;
  const wrapped =
    transport === 'rsa-oaep-mgf1p'
      ? publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key)
      : publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
  const keyMethod =
    transport === 'rsa-oaep-mgf1p'
      ? `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="${DSIG}sha1"/></xenc:EncryptionMethod>`
      : `<xenc:EncryptionMethod Algorithm="${XENC}rsa-1_5"/>`;
  return (
    `<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` +
    `<xenc:EncryptedData xmlns:xenc="${XENC}" Type="${XENC}Element">` +
    `<xenc:EncryptionMethod Algorithm="${data.uri}"/>` +
    `<ds:KeyInfo xmlns:ds="${DSIG}"><xenc:EncryptedKey>${keyMethod}` +
    `<xenc:CipherData><xenc:CipherValue>${wrapped.toString('base64')}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${cipherValue.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    `</xenc:EncryptedData></saml:EncryptedAssertion>`
  );
}

/** Replaces the assertion with this ID in a Response document by its encrypted form. */
export function encryptAssertionIn(responseXml: string, assertionId: string, o: EncryptOptions): string {
  const start = responseXml.indexOf(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${assertionId}"`);
  if (start === -1) throw new TypeError(`no assertion ${assertionId} to encrypt`);
  const close = '</saml:Assertion>';
  const end = responseXml.indexOf(close, start) + close.length;
  return responseXml.slice(0, start) + encryptAssertion(responseXml.slice(start, end), o) + responseXml.slice(end);
}
