/**
 * What the test SAML IdP's messages share: enveloped XML signatures (xml-crypto, exclusive c14n),
 * HTTP-Redirect query signatures (SAML Bindings §3.4.4.1), IDs and XML escaping.
 */
import { randomBytes, sign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import type { KeyPairAndCert } from './certs.ts';

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

/** Enveloped signature over the element with this ID, placed after its Issuer as the schema wants. */
export function signElement(xml: string, id: string, hasIssuer: boolean, key: KeyPairAndCert, algs: { signature: string; digest: string }): string {
  const sig = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certPem,
    signatureAlgorithm: algs.signature,
    canonicalizationAlgorithm: EXC_C14N,
  });
  const target = `//*[@ID='${id}']`;
  sig.addReference({ xpath: target, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: algs.digest });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: hasIssuer ? { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' } : { reference: target, action: 'prepend' },
  });
  return sig.getSignedXml();
}


/**
 * An HTTP-Redirect binding URL: the message deflated and base64'd, the query signed with RSA-SHA256
 * over `SAMLRequest|SAMLResponse=...&RelayState=...&SigAlg=...` as sent; unsigned without a key.
 */
export function redirectUrl(target: string, param: 'SAMLRequest' | 'SAMLResponse', xml: string, key: KeyPairAndCert | null, relayState?: string): string {
  const parts = [`${param}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`];
  if (relayState !== undefined) parts.push(`RelayState=${encodeURIComponent(relayState)}`);
  if (key) {
    parts.push(`SigAlg=${encodeURIComponent(RSA_SHA256)}`);
    const signature = sign('sha256', Buffer.from(parts.join('&'), 'utf8'), key.privateKeyPem).toString('base64');
    parts.push(`Signature=${encodeURIComponent(signature)}`);
  }
  return `${target}${target.includes('?') ? '&' : '?'}${parts.join('&')}`;
}

export function newId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
