/**
 * The checks node-saml leaves to us (see docs/saml.md), in two steps:
 *
 * 1. `inspectResponse`, on the raw document before any signature work: shape only (one Response,
 *    exactly one Assertion or EncryptedAssertion and it is a direct child, Success status, the
 *    encryption algorithms). It can only refuse.
 * 2. `checkSignedAssertion`, on the assertion re-parsed from the canonical bytes node-saml's
 *    signature check returned: Issuer, Recipient, validity window, Audience, NameID, InResponseTo.
 *    Identity is read from there and only from there, so a wrapped or commented copy elsewhere in
 *    the document can never be what we read.
 */
import type { Document, Element } from '@xmldom/xmldom';
import { checkEncryptedAssertion } from './saml-encryption.ts';
import { samlReject } from './saml-errors.ts';
import { CM_BEARER, NS, STATUS_SUCCESS, attr, child, children, descendants, is, text } from './saml-xml.ts';

/** What the raw (possibly unsigned) Response element says; only used to refuse. */
export interface ResponseShape {
  response: Element;
  /** The plaintext assertion; undefined when it is encrypted (read only after decryption). */
  assertion: Element | undefined;
  encryptedAssertion: Element | undefined;
  destination: string | undefined;
  issuer: string | undefined;
  inResponseTo: string | undefined;
}

export function inspectResponse(doc: Document, opts: { decrypts: boolean }): ResponseShape {
  const response = doc.documentElement;
  if (!response || !is(response, NS.protocol, 'Response')) {
    throw samlReject('not_a_response', 'The SAMLResponse is not a SAML 2.0 protocol Response');
  }
  const all = descendants(response, NS.assertion, 'Assertion');
  if (all.some((a) => a.parentNode !== response)) {
    // A legitimate Response carries its assertion as a direct child; one anywhere else (in
    // Extensions, in another assertion, in a ds:Object) is the signature-wrapping pattern.
    throw samlReject('signature_wrapping', 'The SAML response holds an assertion outside its expected place (signature wrapping)');
  }
  const encrypted = descendants(response, NS.assertion, 'EncryptedAssertion');
  if (encrypted.length > 0 && !opts.decrypts) {
    throw samlReject(
      'encrypted_assertion_unsupported',
      'The SAML assertion is encrypted and this provider has no decryptionKey: set decryptionKey and decryptionCert (docs/saml.md), or ask the IdP not to encrypt',
    );
  }
  if (encrypted.some((a) => a.parentNode !== response)) {
    throw samlReject('signature_wrapping', 'The SAML response holds an encrypted assertion outside its expected place (signature wrapping)');
  }
  checkStatus(response);
  const count = all.length + encrypted.length;
  if (count > 1) throw samlReject('multiple_assertions', `The SAML response holds ${count} assertions; exactly one is accepted`);
  const assertion = all[0];
  if (encrypted[0]) checkEncryptedAssertion(encrypted[0]);
  else if (!assertion) throw samlReject('missing_assertion', 'The SAML response carries no assertion');
  else if (children(assertion, NS.assertion, 'Conditions').length !== 1) {
    // Checked again on the signed copy; here it spares node-saml a TypeError on a missing one.
    throw samlReject('missing_conditions', 'The SAML assertion must carry exactly one Conditions element');
  }
  const issuerEl = child(response, NS.assertion, 'Issuer');
  return {
    response,
    assertion,
    encryptedAssertion: encrypted[0],
    destination: attr(response, 'Destination'),
    issuer: issuerEl ? text(issuerEl).trim() : undefined,
    inResponseTo: attr(response, 'InResponseTo'),
  };
}

function checkStatus(response: Element): void {
  const status = child(response, NS.protocol, 'Status');
  const code = status ? child(status, NS.protocol, 'StatusCode') : undefined;
  const value = code ? attr(code, 'Value') : undefined;
  if (value === STATUS_SUCCESS) return;
  const sub = code ? child(code, NS.protocol, 'StatusCode') : undefined;
  const subValue = sub ? attr(sub, 'Value') : undefined;
  const msgEl = status ? child(status, NS.protocol, 'StatusMessage') : undefined;
  const msg = msgEl ? text(msgEl).slice(0, 200) : undefined;
  const parts = [value ?? 'no status code', subValue, msg].filter((p): p is string => Boolean(p));
  throw samlReject('status_not_success', `The IdP answered with a non-success status: ${parts.join(' / ')}`);
}

export interface Expectations {
  acsUrl: string;
  idpIssuer: string;
  audience: string;
  skewMs: number;
  nowMs: number;
  /** The Response signature was verified (wantAuthnResponseSigned), so its InResponseTo is trusted. */
  responseSigned: boolean;
}

export interface AssertionFacts {
  id: string;
  issuer: string;
  nameId: string;
  nameIdFormat: string | undefined;
  sessionIndex: string | undefined;
  /** The signed InResponseTo; undefined for an IdP-initiated (unsolicited) response. */
  inResponseTo: string | undefined;
  /** Until when this assertion could still be accepted (for the replay cache). */
  expiresAtMs: number;
  attributes: Record<string, string | string[]>;
}

const XS_DATETIME_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function time(el: Element, name: string): number | undefined {
  const v = attr(el, name);
  if (v === undefined) return undefined;
  const ms = XS_DATETIME_UTC.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms)) throw samlReject('malformed_assertion', `${el.localName} ${name} is not a UTC xs:dateTime: ${v.slice(0, 40)}`);
  return ms;
}

function validityWindow(el: Element, e: Expectations, what: string): number | undefined {
  const notBefore = time(el, 'NotBefore');
  const notOnOrAfter = time(el, 'NotOnOrAfter');
  if (notBefore !== undefined && e.nowMs + e.skewMs < notBefore) {
    throw samlReject('not_yet_valid', `The SAML ${what} is not valid before ${new Date(notBefore).toISOString()}`);
  }
  if (notOnOrAfter !== undefined && e.nowMs - e.skewMs >= notOnOrAfter) {
    throw samlReject('expired', `The SAML ${what} expired at ${new Date(notOnOrAfter).toISOString()}`);
  }
  return notOnOrAfter;
}

export function checkSignedAssertion(assertion: Element, shape: ResponseShape, e: Expectations): AssertionFacts {
  const id = attr(assertion, 'ID');
  if (!id) throw samlReject('malformed_assertion', 'The SAML assertion has no ID');

  const issuerEl = child(assertion, NS.assertion, 'Issuer');
  const issuer = issuerEl ? text(issuerEl).trim() : '';
  if (issuer !== e.idpIssuer) {
    throw samlReject('issuer_mismatch', `The SAML assertion Issuer "${issuer.slice(0, 200)}" is not the configured idpIssuer "${e.idpIssuer}"`);
  }
  if (shape.issuer !== undefined && shape.issuer !== e.idpIssuer) {
    throw samlReject('issuer_mismatch', `The SAML response Issuer "${shape.issuer.slice(0, 200)}" is not the configured idpIssuer "${e.idpIssuer}"`);
  }
  if (shape.destination !== undefined && shape.destination !== e.acsUrl) {
    throw samlReject('destination_mismatch', `The SAML response Destination "${shape.destination.slice(0, 200)}" is not our ACS URL ${e.acsUrl}`);
  }

  const conditions = children(assertion, NS.assertion, 'Conditions');
  const cond = conditions[0];
  if (!cond || conditions.length > 1) throw samlReject('missing_conditions', 'The SAML assertion must carry exactly one Conditions element');
  const conditionsEnd = validityWindow(cond, e, 'assertion (Conditions)');
  const restrictions = children(cond, NS.assertion, 'AudienceRestriction');
  if (restrictions.length === 0) throw samlReject('audience_mismatch', 'The SAML assertion has no AudienceRestriction');
  for (const r of restrictions) {
    const audiences = children(r, NS.assertion, 'Audience').map((a) => text(a).trim());
    if (!audiences.includes(e.audience)) {
      throw samlReject('audience_mismatch', `The SAML assertion Audience ${JSON.stringify(audiences).slice(0, 200)} does not name our entity ID ${e.audience}`);
    }
  }

  const subject = child(assertion, NS.assertion, 'Subject');
  const nameIds = subject ? children(subject, NS.assertion, 'NameID') : [];
  const nameIdEl = nameIds[0];
  const nameId = nameIdEl ? text(nameIdEl) : '';
  if (!nameIdEl || nameIds.length > 1 || nameId === '') throw samlReject('missing_name_id', 'The SAML assertion Subject must carry exactly one non-empty NameID');

  const confirmation = bearerConfirmation(subject, e);
  const inResponseTo = resolveInResponseTo(attr(confirmation.data, 'InResponseTo'), shape, e);

  const authn = child(assertion, NS.assertion, 'AuthnStatement');
  return {
    id,
    issuer,
    nameId,
    nameIdFormat: attr(nameIdEl, 'Format'),
    sessionIndex: authn ? attr(authn, 'SessionIndex') : undefined,
    inResponseTo,
    expiresAtMs: Math.max(conditionsEnd ?? 0, confirmation.notOnOrAfter) + e.skewMs,
    attributes: readAttributes(assertion),
  };
}

/**
 * The Web SSO profile's bearer SubjectConfirmation: its SubjectConfirmationData must name our ACS
 * as Recipient and bound the delivery window with NotOnOrAfter. The first one that satisfies
 * wins; when none does, the first one's failure is the reason.
 */
function bearerConfirmation(subject: Element | undefined, e: Expectations): { data: Element; notOnOrAfter: number } {
  const bearers = subject
    ? children(subject, NS.assertion, 'SubjectConfirmation').filter((c) => attr(c, 'Method') === CM_BEARER)
    : [];
  if (bearers.length === 0) throw samlReject('missing_bearer_confirmation', 'The SAML assertion has no bearer SubjectConfirmation');
  let firstFailure: unknown;
  for (const c of bearers) {
    try {
      const data = child(c, NS.assertion, 'SubjectConfirmationData');
      if (!data) throw samlReject('missing_bearer_confirmation', 'The bearer SubjectConfirmation has no SubjectConfirmationData');
      const recipient = attr(data, 'Recipient');
      if (recipient !== e.acsUrl) {
        throw samlReject('recipient_mismatch', `The SubjectConfirmationData Recipient "${(recipient ?? '(none)').slice(0, 200)}" is not our ACS URL ${e.acsUrl}`);
      }
      const notOnOrAfter = validityWindow(data, e, 'subject confirmation');
      if (notOnOrAfter === undefined) throw samlReject('malformed_assertion', 'The SubjectConfirmationData has no NotOnOrAfter');
      return { data, notOnOrAfter };
    } catch (err) {
      firstFailure ??= err;
    }
  }
  throw firstFailure;
}

/**
 * The InResponseTo we trust comes from the signed SubjectConfirmationData (or from the Response
 * when its signature was verified). An unsigned Response InResponseTo that disagrees, or that
 * dresses an unsolicited assertion up as a solicited one, is refused.
 */
function resolveInResponseTo(signed: string | undefined, shape: ResponseShape, e: Expectations): string | undefined {
  const fromResponse = shape.inResponseTo;
  const trusted = signed ?? (e.responseSigned ? fromResponse : undefined);
  if (fromResponse !== undefined && fromResponse !== trusted) {
    throw samlReject('in_response_to_mismatch', 'The Response InResponseTo does not match the signed SubjectConfirmationData InResponseTo');
  }
  return trusted;
}

/** Attributes by Name: one value -> string, several -> array. Values are the full text (no comment tricks). */
function readAttributes(assertion: Element): Record<string, string | string[]> {
  const values = new Map<string, string[]>();
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const a of children(statement, NS.assertion, 'Attribute')) {
      const name = attr(a, 'Name');
      if (!name) continue;
      const list = values.get(name) ?? [];
      for (const v of children(a, NS.assertion, 'AttributeValue')) list.push(text(v));
      values.set(name, list);
    }
  }
  const out: [string, string | string[]][] = [];
  for (const [name, list] of values) {
    if (list.length === 1 && list[0] !== undefined) out.push([name, list[0]]);
    else if (list.length > 1) out.push([name, list]);
  }
  return Object.fromEntries(out);
}
