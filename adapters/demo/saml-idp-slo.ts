/**
 * Single Logout for the test SAML IdP: the LogoutRequests it sends an SP (IdP-initiated, either
 * binding, signed unless a test forges one), and its SLO endpoint, which takes the SP's
 * LogoutRequest (HTTP-Redirect, its signature checked against the SP's certificate) and answers
 * with a signed LogoutResponse to the SP's SLO URL.
 */
import { createPublicKey, verify } from 'node:crypto';
import { inflateMessage, parseRedirectQuery } from '../idp/saml-redirect.ts';
import { NS, attr, child, is, parseXml, text } from '../idp/saml-xml.ts';
import type { KeyPairAndCert } from './certs.ts';
import { RSA_SHA256, SHA256, esc, newId, redirectUrl, signElement } from './saml-sign.ts';

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

export interface LogoutRequestOptions {
  /** The SP's SLO URL (Destination, and where the message goes). */
  destination: string;
  nameId: string;
  nameIdFormat?: string;
  sessionIndex?: string;
  id?: string;
  notOnOrAfter?: Date;
  binding?: 'redirect' | 'post';
  /** Default: signed with the IdP's key; null sends it unsigned; another key forges it. */
  signingKey?: KeyPairAndCert | null;
  relayState?: string;
}

/** The SP this IdP logs out (it must know the SP's key to check the SP's requests). */
export interface SloPeer {
  certPem: string;
  sloUrl: string;
}

export interface SloState {
  /** LogoutRequests received from the SP (NameID and SessionIndex), newest last. */
  received: { nameId: string; sessionIndex: string | undefined }[];
}

export function logoutRequest(o: LogoutRequestOptions, issuer: string, keys: KeyPairAndCert): { url: string } | { action: string; fields: Record<string, string> } {
  const id = o.id ?? newId();
  const xml =
    `<samlp:LogoutRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${esc(id)}" Version="2.0" IssueInstant="${new Date().toISOString()}"` +
    ` Destination="${esc(o.destination)}" NotOnOrAfter="${(o.notOnOrAfter ?? new Date(Date.now() + 5 * 60_000)).toISOString()}">` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
    `<saml:NameID${o.nameIdFormat ? ` Format="${esc(o.nameIdFormat)}"` : ''}>${esc(o.nameId)}</saml:NameID>` +
    (o.sessionIndex ? `<samlp:SessionIndex>${esc(o.sessionIndex)}</samlp:SessionIndex>` : '') +
    `</samlp:LogoutRequest>`;
  const key = o.signingKey === undefined ? keys : o.signingKey;
  if ((o.binding ?? 'redirect') === 'redirect') return { url: redirectUrl(o.destination, 'SAMLRequest', xml, key, o.relayState) };
  const signed = key ? signElement(xml, id, true, key, { signature: RSA_SHA256, digest: SHA256 }) : xml;
  return { action: o.destination, fields: { SAMLRequest: Buffer.from(signed, 'utf8').toString('base64'), ...(o.relayState ? { RelayState: o.relayState } : {}) } };
}

/**
 * `GET /slo?SAMLRequest=...`: checks the SP's signature (over the query as sent), records the
 * logout, and answers with a signed LogoutResponse redirect. Returns the URL to redirect to.
 */
export function answerSpLogout(rawQuery: string, peer: SloPeer, issuer: string, keys: KeyPairAndCert, state: SloState): string {
  const q = parseRedirectQuery(rawQuery);
  if (q.param !== 'SAMLRequest' || q.sigAlg !== RSA_SHA256 || !q.signature) throw new Error('not a LogoutRequest signed with RSA-SHA256');
  if (!verify('sha256', q.signed, createPublicKey(peer.certPem), q.signature)) throw new Error('the LogoutRequest signature does not verify with the SP certificate');
  const root = parseXml(inflateMessage(q.message, 256 * 1024)).documentElement;
  if (!root || !is(root, NS.protocol, 'LogoutRequest')) throw new Error('not a LogoutRequest');
  const nameId = child(root, NS.assertion, 'NameID');
  const index = child(root, NS.protocol, 'SessionIndex');
  state.received.push({ nameId: nameId ? text(nameId) : '', sessionIndex: index ? text(index) : undefined });
  const response =
    `<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${newId()}" Version="2.0" IssueInstant="${new Date().toISOString()}"` +
    ` Destination="${esc(peer.sloUrl)}" InResponseTo="${esc(attr(root, 'ID') ?? '')}">` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="${SUCCESS}"/></samlp:Status></samlp:LogoutResponse>`;
  return redirectUrl(peer.sloUrl, 'SAMLResponse', response, keys, q.relayState);
}
