/**
 * SamlProviderConfig (what the user wrote) -> ResolvedSamlOptions (what the adapter trusts):
 * PEMs loaded from paths, certificates parsed once at start, the ACS URL fixed.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../../plugin/errors.ts';
import type { SamlProviderConfig } from '../../plugin/config/schema.ts';
import { ssoUrlOf, type IdpMetadata } from './saml-metadata.ts';

export interface ResolvedSamlOptions {
  providerId: string;
  /** The provider's `callbackUrl`, else `${baseUrl}/auth/${id}/callback`: HTTP-POST ACS, expected Destination and Recipient. */
  acsUrl: string;
  entryPoint: string;
  idpIssuer: string;
  /** Our SP entity ID, also the Audience we require. */
  spEntityId: string;
  /**
   * The configured IdP signing certificates, PEM (several during a key rollover). With
   * `metadataUrl` they are the fallback until the metadata is read, and may be none.
   */
  idpCerts: string[];
  privateKey: string | undefined;
  publicCert: string | undefined;
  /** Decrypts EncryptedAssertions; its certificate is published in the SP metadata. */
  decryptionKey: string | undefined;
  decryptionCert: string | undefined;
  /** The IdP's SingleLogoutService (default: entryPoint when we can sign); set: single logout is on. */
  logoutUrl: string | undefined;
  /** Our SLO endpoint, `${baseUrl}/auth/${id}/slo`. */
  sloUrl: string;
  wantAssertionsSigned: boolean;
  wantAuthnResponseSigned: boolean;
  acceptedClockSkewMs: number;
  requestIdExpirationPeriodMs: number;
  allowIdpInitiated: boolean;
  /** RSA-SHA1 signatures and SHA-1 digests accepted (old IdPs); refused otherwise. */
  allowSha1Signatures: boolean;
  /** NameIDPolicy Format we ask for; null asks for none (the IdP's default, the most portable). */
  identifierFormat: string | null;
}

export function acsUrlFor(baseUrl: string, providerId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/auth/${encodeURIComponent(providerId)}/callback`;
}

/**
 * Loads and checks a SAML provider's settings; config errors name `keyPath` (`providers[<index>]`).
 * `metadata` (the last good copy of `metadataUrl`, if any) gives entryPoint and idpIssuer left out.
 */
export function resolveSamlOptions(provider: SamlProviderConfig, baseUrl: string, keyPath: string, metadata: IdpMetadata | null = null): ResolvedSamlOptions {
  const at = (key: string): string => `${keyPath}.${key}`;
  const fromMetadata = (key: 'entryPoint' | 'idpIssuer', value: string | null | undefined): string => {
    if (value) return value;
    if (provider.metadataUrl === undefined) throw new ConfigError(at(key), 'required (or give metadataUrl to read it from the IdP metadata)');
    throw new ConfigError(at(key), metadata ? 'required: the IdP metadata does not give it' : 'required until the IdP metadata (metadataUrl) has been read');
  };
  const entryPoint = fromMetadata('entryPoint', provider.entryPoint ?? (metadata && ssoUrlOf(metadata)));
  const idpIssuer = fromMetadata('idpIssuer', provider.idpIssuer ?? metadata?.entityId);
  const certInputs = provider.idpCert === undefined ? [] : Array.isArray(provider.idpCert) ? provider.idpCert : [provider.idpCert];
  if (certInputs.length === 0 && !metadata?.signingCertificatePems.length) throw new ConfigError(at('idpCert'), 'at least one IdP certificate is required');
  const idpCerts = certInputs.map((c, i) => loadCertificate(c, at(Array.isArray(provider.idpCert) ? `idpCert[${i}]` : 'idpCert')));

  const privateKey = provider.privateKey === undefined ? undefined : loadPrivateKey(provider.privateKey, at('privateKey'));
  const publicCert = provider.publicCert === undefined ? undefined : loadCertificate(provider.publicCert, at('publicCert'));
  if ((privateKey === undefined) !== (publicCert === undefined)) {
    throw new ConfigError(at(privateKey === undefined ? 'privateKey' : 'publicCert'), 'privateKey and publicCert go together');
  }
  const decryptionKey = provider.decryptionKey === undefined ? undefined : loadPrivateKey(provider.decryptionKey, at('decryptionKey'));
  const decryptionCert = provider.decryptionCert === undefined ? undefined : loadCertificate(provider.decryptionCert, at('decryptionCert'));
  if ((decryptionKey === undefined) !== (decryptionCert === undefined)) {
    throw new ConfigError(at(decryptionKey === undefined ? 'decryptionKey' : 'decryptionCert'), 'decryptionKey and decryptionCert go together');
  }
  if (decryptionKey !== undefined && decryptionCert !== undefined && !samePublicKey(decryptionKey, decryptionCert)) {
    // The IdP would encrypt to a key we cannot decrypt with: every login would fail.
    throw new ConfigError(at('decryptionCert'), 'is not the certificate of decryptionKey');
  }
  if (provider.logoutUrl !== undefined && privateKey === undefined) {
    // Our LogoutRequests and LogoutResponses are signed: IdPs refuse unsigned ones, and so do we.
    throw new ConfigError(at('logoutUrl'), 'SAML single logout needs privateKey and publicCert (logout messages are signed)');
  }
  if (!provider.wantAssertionsSigned && !provider.wantAuthnResponseSigned) {
    // node-saml would still demand one signature; say so at start rather than at the first login.
    throw new ConfigError(at('wantAssertionsSigned'), 'at least one of wantAssertionsSigned and wantAuthnResponseSigned must be true');
  }
  return {
    providerId: provider.id,
    acsUrl: provider.callbackUrl ?? acsUrlFor(baseUrl, provider.id),
    entryPoint,
    idpIssuer,
    spEntityId: provider.issuer,
    idpCerts,
    privateKey,
    publicCert,
    decryptionKey,
    decryptionCert,
    // Contract section 2: the IdP's SLO endpoint defaults to entryPoint; without a key to sign
    // our logout messages, single logout stays off unless asked for (then the check above fails).
    logoutUrl: provider.logoutUrl ?? (privateKey !== undefined ? entryPoint : undefined),
    sloUrl: `${baseUrl.replace(/\/+$/, '')}/auth/${encodeURIComponent(provider.id)}/slo`,
    wantAssertionsSigned: provider.wantAssertionsSigned,
    wantAuthnResponseSigned: provider.wantAuthnResponseSigned,
    acceptedClockSkewMs: provider.acceptedClockSkewMs,
    requestIdExpirationPeriodMs: provider.requestIdExpirationPeriodMs,
    allowIdpInitiated: provider.allowIdpInitiated,
    allowSha1Signatures: provider.allowSha1Signatures,
    identifierFormat: provider.identifierFormat ?? null,
  };
}

/** A PEM as is, a path to a PEM file, or a bare base64 DER body (as IdP metadata shows it). */
function loadCertificate(value: string, path: string): string {
  const pem = loadPem(value, path, true);
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigError(path, 'is not a valid X.509 certificate');
  }
  return pem;
}

function samePublicKey(privateKeyPem: string, certPem: string): boolean {
  const der = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  return der(createPublicKey(privateKeyPem)).equals(der(new X509Certificate(certPem).publicKey));
}

function loadPrivateKey(value: string, path: string): string {
  const pem = loadPem(value, path, false);
  try {
    createPrivateKey(pem);
  } catch {
    throw new ConfigError(path, 'is not a valid private key');
  }
  return pem;
}

function loadPem(value: string, path: string, allowBareBase64: boolean): string {
  const v = value.trim();
  if (v.includes('-----BEGIN')) return v;
  if (existsSync(v)) {
    const content = readFileSync(v, 'utf8').trim();
    if (!content.includes('-----BEGIN')) throw new ConfigError(path, `file ${v} holds no PEM block`);
    return content;
  }
  const body = v.replace(/\s+/g, '');
  if (allowBareBase64 && body.length >= 64 && /^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    const lines = body.match(/.{1,64}/g) ?? [];
    return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----`;
  }
  throw new ConfigError(path, 'is neither a PEM nor the path of a readable PEM file');
}
