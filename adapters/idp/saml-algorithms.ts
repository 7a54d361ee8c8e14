/**
 * Which XML-DSig algorithms a SAML signature may use, checked on the raw document before any
 * signature work. SHA-1 is disallowed for signatures by NIST SP 800-131A (collisions are practical),
 * so RSA-SHA1 signatures and SHA-1 reference digests are refused unless the provider opts in with
 * `allowSha1Signatures` (old IdPs). Anything outside the list below (HMAC, unknown URIs) is refused
 * outright: an IdP signs with its RSA key, never with a shared secret.
 */
import type { Element } from '@xmldom/xmldom';
import { samlReject } from './saml-errors.ts';
import { NS, attr, child, children, descendants } from './saml-xml.ts';

const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';

const SIGNATURE_METHODS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const DIGEST_METHODS = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512']);

/** Refuses any signature in `response` (the Response's own, the assertion's) made with a weak or unknown algorithm. */
export function checkSignatureAlgorithms(response: Element, allowSha1: boolean): void {
  for (const signature of descendants(response, NS.dsig, 'Signature')) {
    const signedInfo = child(signature, NS.dsig, 'SignedInfo');
    if (!signedInfo) continue; // node-saml refuses a signature without SignedInfo
    const methodEl = child(signedInfo, NS.dsig, 'SignatureMethod');
    check(methodEl ? attr(methodEl, 'Algorithm') : undefined, SIGNATURE_METHODS, RSA_SHA1, 'signature', allowSha1);
    for (const reference of children(signedInfo, NS.dsig, 'Reference')) {
      const digestEl = child(reference, NS.dsig, 'DigestMethod');
      check(digestEl ? attr(digestEl, 'Algorithm') : undefined, DIGEST_METHODS, SHA1, 'digest', allowSha1);
    }
  }
}

function check(algorithm: string | undefined, allowed: Set<string>, sha1: string, what: 'signature' | 'digest', allowSha1: boolean): void {
  if (algorithm !== undefined && allowed.has(algorithm)) return;
  if (algorithm === sha1) {
    if (allowSha1) return;
    throw samlReject(
      'weak_signature_algorithm',
      `The SAML ${what} uses SHA-1 (${algorithm}), refused per NIST SP 800-131A; configure the IdP for SHA-256, or set allowSha1Signatures: true for this provider`,
    );
  }
  throw samlReject('weak_signature_algorithm', `The SAML ${what} algorithm ${(algorithm ?? '(none)').slice(0, 120)} is not accepted (RSA-SHA256/512, SHA-256/512)`);
}
