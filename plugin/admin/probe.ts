/**
 * "Test connection" for a provider: what the IdP publishes, checked against the provider's
 * settings, and the values the IdP's admin needs from us. The fetching and parsing live in
 * adapters/idp/probe.ts (network, XML); the plugin gets it as this port.
 */
import type { ProviderConfig } from '../config/schema.ts';

export interface ProbeCheck {
  /** e.g. `discovery`, `issuer`, `algorithm`, `metadata`, `entityId`, `certificate[0]`. */
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProbeReport {
  /** Every check passed. */
  ok: boolean;
  checks: ProbeCheck[];
  /** What the IdP publishes (OIDC discovery fields, SAML entity ID, SSO URL, certificates with expiry). */
  found: Record<string, unknown>;
  /** Copy-ready values for the IdP's admin: redirect URI / ACS URL, SP entity ID, SP metadata URL. */
  sp: Record<string, string>;
}

export interface ProbeOptions {
  /** SAML: the IdP's metadata, fetched from here... */
  metadataUrl?: string | undefined;
  /** ...or given as is. */
  metadataXml?: string | undefined;
  /** Loopback, private and link-local targets are refused unless true (as for webhooks). */
  allowPrivateNetwork: boolean;
}

export type ProviderProbe = (provider: ProviderConfig, options: ProbeOptions) => Promise<ProbeReport>;

/** What a SAML provider needs from its IdP's metadata (certificates as PEM). */
export interface SamlIdpFacts {
  entityId: string | null;
  /** The HTTP-Redirect SingleSignOnService (else the first one). */
  ssoUrl: string | null;
  signingCertificates: string[];
}

/** Fetches and reads IdP metadata under the private-network guard; throws an Error saying why not. */
export type SamlMetadataReader = (url: string, allowPrivateNetwork: boolean) => Promise<SamlIdpFacts>;
