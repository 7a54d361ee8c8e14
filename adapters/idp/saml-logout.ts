/**
 * SAML 2.0 Single Logout, SP side (SAML Profiles §4.4; Bindings §3.4 HTTP-Redirect, §3.5 HTTP-POST):
 * every LogoutRequest and LogoutResponse the IdP sends is read and checked here before anything
 * acts on it. A signature is required in both bindings: over the query string exactly as sent for
 * HTTP-Redirect (node-saml would accept an unsigned one), an enveloped signature on the root
 * element for HTTP-POST (node-saml's check). Then Issuer, Destination, the validity window.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { SAML } from '@node-saml/passport-saml';
import type { Element } from '@xmldom/xmldom';
import { samlReject } from './saml-errors.ts';
import { inflateMessage, parseRedirectQuery, type RedirectQuery } from './saml-redirect.ts';
import { NS, STATUS_SUCCESS, attr, child, is, parseXml, text } from './saml-xml.ts';

export type SloMessage =
  | { kind: 'request'; id: string; nameId: string; nameIdFormat: string | undefined; sessionIndex: string | undefined; relayState: string | undefined }
  | { kind: 'response'; inResponseTo: string | undefined; status: string; relayState: string | undefined };

export interface SloExpectations {
  idpIssuer: string;
  idpCerts: string[];
  /** Our SLO endpoint: the Destination we require when one is given. */
  sloUrl: string;
  allowSha1: boolean;
  skewMs: number;
  nowMs: number;
}

const SIG_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
/** An inflated message larger than this is refused (a deflate bomb costs us nothing). */
const MAX_INFLATED = 256 * 1024;
const MAX_ENCODED = 64 * 1024;

const reject = (message: string, cause?: unknown) => samlReject('invalid_logout_message', message, cause);

/** HTTP-Redirect binding: the signed query string, then the deflated message. */
export function readRedirect(rawQuery: string, e: SloExpectations): SloMessage {
  if (rawQuery.length > MAX_ENCODED) throw reject('The logout message is too large');
  let q: RedirectQuery;
  try {
    q = parseRedirectQuery(rawQuery);
  } catch (err) {
    throw reject(`The logout message cannot be read (${(err as Error).message})`, err);
  }
  if (!q.sigAlg || !q.signature) throw reject('The logout message is not signed, and a signature is required');
  const hash = SIG_ALGS[q.sigAlg] ?? (q.sigAlg === RSA_SHA1 && e.allowSha1 ? 'sha1' : undefined);
  if (!hash) throw samlReject('weak_signature_algorithm', `The logout message is signed with ${q.sigAlg.slice(0, 120)}; accepted: RSA-SHA256/512`);
  const { signature } = q;
  if (!e.idpCerts.some((cert) => verify(hash, q.signed, createPublicKey(cert), signature))) {
    throw samlReject('invalid_signature', 'The logout message signature does not verify with the IdP certificate');
  }
  let xml: string;
  try {
    xml = inflateMessage(q.message, MAX_INFLATED);
  } catch (err) {
    throw reject('The logout message cannot be inflated', err);
  }
  return check(rootOf(xml), q.relayState, e);
}

/** HTTP-POST binding: node-saml checks the enveloped signature on the root element first. */
export async function readPost(saml: SAML, body: Record<string, unknown>, e: SloExpectations): Promise<SloMessage> {
  const request = typeof body.SAMLRequest === 'string' ? body.SAMLRequest : undefined;
  const response = typeof body.SAMLResponse === 'string' ? body.SAMLResponse : undefined;
  const encoded = request ?? response;
  if (!encoded || encoded.length > MAX_ENCODED) throw reject('The POST carries no SAMLRequest or SAMLResponse (or too large a one)');
  const xml = Buffer.from(encoded, 'base64').toString('utf8');
  const root = rootOf(xml);
  try {
    if (request) await saml.validatePostRequestAsync({ SAMLRequest: request });
    else await saml.validatePostResponseAsync({ SAMLResponse: encoded });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (/signature/i.test(why)) throw samlReject('invalid_signature', 'The logout message signature is missing or does not verify with the IdP certificate', err);
    throw reject(`The logout message was refused (${why.slice(0, 160)})`, err);
  }
  return check(root, typeof body.RelayState === 'string' ? body.RelayState : undefined, e);
}

function rootOf(xml: string): Element {
  try {
    const root = parseXml(xml).documentElement;
    if (root) return root;
  } catch (err) {
    throw reject('The logout message is not well-formed XML', err);
  }
  throw reject('The logout message is empty');
}

function check(root: Element, relayState: string | undefined, e: SloExpectations): SloMessage {
  const issuerEl = child(root, NS.assertion, 'Issuer');
  const issuer = issuerEl ? text(issuerEl).trim() : undefined;
  if (issuer !== e.idpIssuer) throw samlReject('issuer_mismatch', `The logout message Issuer "${(issuer ?? '').slice(0, 200)}" is not the configured idpIssuer`);
  const destination = attr(root, 'Destination');
  if (destination !== undefined && destination !== e.sloUrl) {
    throw samlReject('destination_mismatch', `The logout message Destination "${destination.slice(0, 200)}" is not our SLO URL ${e.sloUrl}`);
  }
  if (is(root, NS.protocol, 'LogoutRequest')) {
    const id = attr(root, 'ID');
    if (!id) throw reject('The LogoutRequest has no ID');
    const notOnOrAfter = attr(root, 'NotOnOrAfter');
    if (notOnOrAfter !== undefined && !(Date.parse(notOnOrAfter) + e.skewMs > e.nowMs)) throw samlReject('expired', 'The LogoutRequest has expired (NotOnOrAfter)');
    const nameIdEl = child(root, NS.assertion, 'NameID');
    const nameId = nameIdEl ? text(nameIdEl).trim() : '';
    if (!nameIdEl || nameId === '') throw samlReject('missing_name_id', 'The LogoutRequest names no user (NameID)');
    const indexEl = child(root, NS.protocol, 'SessionIndex');
    const sessionIndex = indexEl ? text(indexEl).trim() || undefined : undefined;
    return { kind: 'request', id, nameId, nameIdFormat: attr(nameIdEl, 'Format'), sessionIndex, relayState };
  }
  if (is(root, NS.protocol, 'LogoutResponse')) {
    const status = child(root, NS.protocol, 'Status');
    const code = status ? child(status, NS.protocol, 'StatusCode') : undefined;
    return { kind: 'response', inResponseTo: attr(root, 'InResponseTo'), status: (code && attr(code, 'Value')) ?? 'none', relayState };
  }
  throw reject('Not a SAML LogoutRequest or LogoutResponse');
}

export const isSuccess = (status: string) => status === STATUS_SUCCESS;
