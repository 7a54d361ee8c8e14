/**
 * The test SAML IdP's metadata document: its entity ID, its HTTP-Redirect SSO endpoint and the
 * signing certificates it lists (one, or old and new during a key rollover).
 */
import { NS } from '../idp/saml-xml.ts';
import { esc } from './saml-sign.ts';

/** Metadata listing `certPems` as signing keys, in the order given. */
export function idpMetadata(entityId: string, ssoUrl: string, certPems: string[]): string {
  const keyDescriptors = certPems.map((pem) => {
    const cert = pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
    return `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  });
  return (
    `<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${esc(entityId)}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${NS.protocol}">` +
    keyDescriptors.join('') +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(ssoUrl)}"/>` +
    `</md:IDPSSODescriptor></md:EntityDescriptor>\n`
  );
}
