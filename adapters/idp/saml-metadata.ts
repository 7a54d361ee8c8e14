/**
 * Reads what a SAML IdP's metadata says of itself: entity ID, SSO URLs by binding, and the
 * signing certificates with their validity, for "test connection".
 */
import { X509Certificate } from 'node:crypto';
import { attr, children, descendants, NS, parseXml, text } from './saml-xml.ts';

export interface CertificateFacts {
  subject: string;
  notBefore: string;
  notAfter: string;
  expired: boolean;
  fingerprint256: string;
}

export interface IdpMetadata {
  entityId: string | null;
  /** Binding URI -> Location. */
  ssoUrls: Record<string, string>;
  signingCertificates: CertificateFacts[];
  /** The same certificates as PEM, for `idpCert`. */
  signingCertificatePems: string[];
}

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** Where AuthnRequests go: the HTTP-Redirect SingleSignOnService, else the first one listed. */
export function ssoUrlOf(m: IdpMetadata): string | null {
  return m.ssoUrls[REDIRECT] ?? Object.values(m.ssoUrls)[0] ?? null;
}

function toPem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}

export function certificateFacts(pemOrBase64: string, now: number): CertificateFacts {
  const body = pemOrBase64.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const cert = new X509Certificate(Buffer.from(body, 'base64'));
  return {
    subject: cert.subject,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    expired: Date.parse(cert.validTo) < now,
    fingerprint256: cert.fingerprint256,
  };
}

export function parseIdpMetadata(xml: string, now: number): IdpMetadata {
  const doc = parseXml(xml);
  const root = doc.documentElement!;
  const entity = root.localName === 'EntityDescriptor' ? root : descendants(root, NS.metadata, 'EntityDescriptor')[0];
  if (!entity || entity.namespaceURI !== NS.metadata) throw new Error('no md:EntityDescriptor');
  const idp = children(entity, NS.metadata, 'IDPSSODescriptor')[0];
  if (!idp) throw new Error('no md:IDPSSODescriptor: not an identity provider');
  const ssoUrls: Record<string, string> = {};
  for (const sso of children(idp, NS.metadata, 'SingleSignOnService')) {
    const binding = attr(sso, 'Binding');
    const location = attr(sso, 'Location');
    if (binding && location) ssoUrls[binding] = location;
  }
  const certs = children(idp, NS.metadata, 'KeyDescriptor')
    .filter((k) => (attr(k, 'use') ?? 'signing') === 'signing')
    .flatMap((k) => descendants(k, NS.dsig, 'X509Certificate'))
    .map((c) => text(c));
  return {
    entityId: attr(entity, 'entityID') ?? null,
    ssoUrls,
    signingCertificates: certs.map((c) => certificateFacts(c, now)),
    signingCertificatePems: certs.map(toPem),
  };
}
