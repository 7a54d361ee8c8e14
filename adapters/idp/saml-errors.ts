/**
 * The one place SAML failures become GatehouseErrors: every rejection is ERR_INVALID_ASSERTION
 * with a human message and a stable `details.reason`, and no raw library error escapes.
 */
import { GatehouseError } from '../../plugin/errors.ts';
import type { Element } from '@xmldom/xmldom';
import { NS, children, descendants, text } from './saml-xml.ts';

/** Stable reason codes, for the audit log, metrics and tests. */
export type SamlRejectReason =
  | 'wrong_binding'
  | 'missing_saml_response'
  | 'malformed_response'
  | 'not_a_response'
  | 'status_not_success'
  | 'missing_assertion'
  | 'multiple_assertions'
  | 'signature_wrapping'
  | 'encrypted_assertion_unsupported'
  | 'weak_encryption_algorithm'
  | 'decryption_failed'
  | 'unsigned_assertion'
  | 'unsigned_response'
  | 'untrusted_signing_key'
  | 'invalid_signature'
  | 'weak_signature_algorithm'
  | 'malformed_assertion'
  | 'missing_conditions'
  | 'audience_mismatch'
  | 'expired'
  | 'not_yet_valid'
  | 'issuer_mismatch'
  | 'destination_mismatch'
  | 'recipient_mismatch'
  | 'missing_bearer_confirmation'
  | 'missing_name_id'
  | 'in_response_to_mismatch'
  | 'unknown_in_response_to'
  | 'idp_initiated_not_allowed'
  | 'relay_state_mismatch'
  | 'no_pending_login'
  | 'assertion_replayed'
  | 'invalid_logout_message'
  | 'invalid_response';

export function samlReject(reason: SamlRejectReason, message: string, cause?: unknown): GatehouseError {
  return new GatehouseError('ERR_INVALID_ASSERTION', message, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The base64 body of a PEM certificate, whitespace removed, for comparisons. */
export function certBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END)[^-]*-----/g, '').replace(/\s+/g, '');
}

/**
 * Says why a signature node-saml refused is bad: absent, made with a key we do not trust (its
 * KeyInfo carries a certificate that is none of ours: node-saml never trusts KeyInfo, and we
 * only read it here to word the error), or present but not matching (tampered content).
 */
export function classifySignature(target: Element, what: 'assertion' | 'response', trustedCerts: string[]): GatehouseError {
  const signatures = children(target, NS.dsig, 'Signature');
  if (signatures.length === 0) {
    return what === 'assertion'
      ? samlReject('unsigned_assertion', 'The SAML assertion is not signed, and a signed assertion is required')
      : samlReject('unsigned_response', 'The SAML response is not signed, and a signed response is required');
  }
  const sig = signatures[0];
  if (signatures.length === 1 && sig) {
    const trusted = new Set(trustedCerts.map(certBody));
    const offered = descendants(sig, NS.dsig, 'X509Certificate').map((c) => text(c).replace(/\s+/g, ''));
    if (offered.length > 0 && !offered.some((c) => trusted.has(c))) {
      return samlReject(
        'untrusted_signing_key',
        `The SAML ${what} is signed with a certificate that is not the configured IdP certificate (idpCert)`,
      );
    }
  }
  return samlReject('invalid_signature', `The SAML ${what} signature does not verify with the IdP certificate (content altered or wrong key)`);
}

interface TranslateContext {
  response: Element;
  assertion: Element | undefined;
  /** The response carried an EncryptedAssertion. */
  encrypted: boolean;
  trustedCerts: string[];
}

/**
 * An error of the decryption step (xml-encryption, OpenSSL, node-saml's check of the decrypted
 * content). The answer is the same whatever went wrong, so it cannot serve as a padding oracle.
 */
function isDecryptionFailure(err: unknown, message: string): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    (typeof code === 'string' && code.startsWith('ERR_OSSL')) ||
    /decrypt|unable to authenticate data|encryption algorithm|cant find encryption|EncryptedAssertion content|oaep|padding|invalid key length|invalid iv/i.test(message)
  );
}

/** Maps an error thrown by node-saml's validatePostResponseAsync to our reason codes. */
export function translateLibraryError(err: unknown, ctx: TranslateContext): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : '';
  const why = (reason: SamlRejectReason, human: string): GatehouseError => samlReject(reason, `${human} (${message})`, err);

  if (message === 'Invalid document signature') return classifySignature(ctx.response, 'response', ctx.trustedCerts);
  if (message === 'Invalid signature from encrypted assertion') {
    return samlReject('invalid_signature', 'The decrypted SAML assertion is not signed with the IdP certificate (unsigned, altered or another key)', err);
  }
  if (ctx.encrypted && isDecryptionFailure(err, message)) {
    return samlReject('decryption_failed', "The encrypted SAML assertion could not be decrypted with this provider's decryptionKey", err);
  }
  if (message === 'Invalid signature') {
    return ctx.assertion
      ? classifySignature(ctx.assertion, 'assertion', ctx.trustedCerts)
      : samlReject('invalid_signature', 'The SAML signature does not verify', err);
  }
  if (/multiple assertions/i.test(message)) return why('multiple_assertions', 'The SAML response holds more than one assertion');
  // node-saml's own wording, and xml-crypto's errors while loading a malformed ds:Signature.
  if (/signature|signedinfo|reference|canonicali[sz]|transform|digest|keyinfo|could not find/i.test(message)) {
    return why('invalid_signature', 'The SAML signature is not acceptable');
  }
  if (/not yet valid/i.test(message)) return why('not_yet_valid', 'The SAML assertion is not valid yet (NotBefore)');
  if (/expired/i.test(message)) return why('expired', 'The SAML assertion has expired (NotOnOrAfter)');
  if (/audience/i.test(message)) return why('audience_mismatch', 'The SAML assertion is not meant for this service provider (Audience)');
  if (name === 'SamlStatusError') return why('status_not_success', 'The IdP answered with an error status');
  if (/missing SAML assertion/i.test(message)) return why('missing_assertion', 'The SAML response carries no assertion');
  if (/Error parsing|multiple conditions/i.test(message)) return why('malformed_assertion', 'The SAML assertion is malformed');
  return why('invalid_response', 'The SAML response was refused');
}
