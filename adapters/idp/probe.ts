/**
 * "Test connection" (plugin/admin/probe.ts): OIDC discovery fetched and checked against the
 * provider (issuer match, signing algorithm, endpoints, PKCE); SAML metadata read (entity ID,
 * SSO URL, signing certificates with their expiry) and the configured certificates' expiry;
 * both with the copy-ready values the IdP's admin needs from us.
 */
import type { OidcProviderConfig, SamlProviderConfig } from '../../plugin/config/schema.ts';
import type { ProbeCheck, ProbeOptions, ProbeReport, ProviderProbe, SamlMetadataReader } from '../../plugin/admin/probe.ts';
import { guardedGet } from './guarded-get.ts';
import { oidcRedirectUri } from './oidc.ts';
import { acsUrlFor } from './saml-options.ts';
import { certificateFacts, parseIdpMetadata, ssoUrlOf, type IdpMetadata } from './saml-metadata.ts';

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
const check = (name: string, ok: boolean, detail: string): ProbeCheck => ({ name, ok, detail });
const report = (checks: ProbeCheck[], found: Record<string, unknown>, sp: Record<string, string>): ProbeReport => ({ ok: checks.every((c) => c.ok), checks, found, sp });

async function probeOidc(p: OidcProviderConfig, baseUrl: string, opts: ProbeOptions): Promise<ProbeReport> {
  const sp = { redirectUri: p.callbackUrl ?? oidcRedirectUri(baseUrl, p.id) };
  const url = `${p.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let doc: Record<string, unknown>;
  try {
    const res = await guardedGet(url, opts.allowPrivateNetwork);
    if (res.status !== 200) return report([check('discovery', false, `${url} answered ${res.status}`)], {}, sp);
    doc = JSON.parse(res.body) as Record<string, unknown>;
  } catch (e) {
    return report([check('discovery', false, `${url}: ${why(e)}`)], {}, sp);
  }
  const algs = Array.isArray(doc.id_token_signing_alg_values_supported) ? (doc.id_token_signing_alg_values_supported as string[]) : ['RS256'];
  const pkce = Array.isArray(doc.code_challenge_methods_supported) ? (doc.code_challenge_methods_supported as string[]) : null;
  const missing = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'].filter((k) => typeof doc[k] !== 'string');
  const checks = [
    check('discovery', true, `fetched ${url}`),
    check('issuer', doc.issuer === p.issuer, doc.issuer === p.issuer ? 'matches' : `the IdP says "${String(doc.issuer)}", the provider says "${p.issuer}"`),
    check('algorithm', algs.includes(p.idTokenSignedResponseAlg), `ID tokens signed with ${p.idTokenSignedResponseAlg}; the IdP offers ${algs.join(', ')}`),
    check('endpoints', missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : 'authorization, token and JWKS endpoints published'),
    check('pkce', pkce === null || pkce.includes('S256'), pkce === null ? 'not advertised (assumed S256)' : `code challenge methods: ${pkce.join(', ')}`),
  ];
  const found = { issuer: doc.issuer, authorizationEndpoint: doc.authorization_endpoint, tokenEndpoint: doc.token_endpoint, jwksUri: doc.jwks_uri, algorithms: algs, scopesSupported: doc.scopes_supported ?? null };
  return report(checks, found, sp);
}

async function readMetadata(opts: ProbeOptions, now: number): Promise<{ metadata: IdpMetadata | null; checks: ProbeCheck[] }> {
  let xml = opts.metadataXml;
  const checks: ProbeCheck[] = [];
  if (xml === undefined && opts.metadataUrl !== undefined) {
    try {
      const res = await guardedGet(opts.metadataUrl, opts.allowPrivateNetwork);
      if (res.status !== 200) return { metadata: null, checks: [check('metadata', false, `${opts.metadataUrl} answered ${res.status}`)] };
      xml = res.body;
    } catch (e) {
      return { metadata: null, checks: [check('metadata', false, `${opts.metadataUrl}: ${why(e)}`)] };
    }
  }
  if (xml === undefined) return { metadata: null, checks };
  try {
    const metadata = parseIdpMetadata(xml, now);
    return { metadata, checks: [check('metadata', true, 'parsed')] };
  } catch (e) {
    return { metadata: null, checks: [check('metadata', false, `not IdP metadata: ${why(e)}`)] };
  }
}

async function probeSaml(p: SamlProviderConfig, baseUrl: string, opts: ProbeOptions, now: number): Promise<ProbeReport> {
  const root = baseUrl.replace(/\/+$/, '');
  const sp = { acsUrl: p.callbackUrl ?? acsUrlFor(baseUrl, p.id), spEntityId: p.issuer, spMetadataUrl: `${root}/auth/${encodeURIComponent(p.id)}/metadata` };
  // A provider saved from its metadata URL is tested against it unless the request gives another.
  const own = opts.metadataUrl === undefined && opts.metadataXml === undefined && p.metadataUrl !== undefined;
  const source = own ? { ...opts, metadataUrl: p.metadataUrl, allowPrivateNetwork: opts.allowPrivateNetwork || p.allowPrivateNetwork === true } : opts;
  const { metadata, checks } = await readMetadata(source, now);
  const certs = (p.idpCert === undefined ? [] : Array.isArray(p.idpCert) ? p.idpCert : [p.idpCert]).map((c, i) => {
    if (!c.includes('BEGIN CERTIFICATE')) return { name: `idpCert[${i}]`, facts: null, detail: 'a file path: read at start, not checked here' };
    try {
      return { name: `idpCert[${i}]`, facts: certificateFacts(c, now), detail: '' };
    } catch (e) {
      return { name: `idpCert[${i}]`, facts: null, detail: `not a certificate: ${why(e)}` };
    }
  });
  for (const c of certs) {
    if (c.facts) checks.push(check(c.name, !c.facts.expired, `${c.facts.subject}, valid until ${c.facts.notAfter}${c.facts.expired ? ' (EXPIRED)' : ''}`));
    else checks.push(check(c.name, c.detail.startsWith('a file path'), c.detail));
  }
  if (metadata) {
    // A field left out is read from the metadata (refreshed), so only its presence there is checked.
    const entityId = metadata.entityId ?? '';
    if (p.idpIssuer === undefined) checks.push(check('entityId', entityId !== '', `idpIssuer from the metadata: "${entityId}"`));
    else checks.push(check('entityId', entityId === p.idpIssuer, `the metadata says "${entityId}", idpIssuer is "${p.idpIssuer}"`));
    const ssoUrls = Object.values(metadata.ssoUrls);
    const entryOk = p.entryPoint === undefined ? ssoUrls.length > 0 : ssoUrls.includes(p.entryPoint);
    checks.push(check('entryPoint', entryOk, `SSO URLs in the metadata: ${ssoUrls.join(', ') || 'none'}`));
    const configured = new Set(certs.flatMap((c) => (c.facts ? [c.facts.fingerprint256] : [])));
    const published = metadata.signingCertificates.map((c) => c.fingerprint256);
    if (p.idpCert === undefined) checks.push(check('signingCertificate', published.length > 0, `${published.length} signing certificate(s) published, trusted as the metadata lists them`));
    else checks.push(check('signingCertificate', published.some((f) => configured.has(f)), `${published.length} signing certificate(s) published; ${configured.size === 0 ? 'none configured as PEM' : published.some((f) => configured.has(f)) ? 'one matches idpCert' : 'none matches idpCert'}`));
  }
  const found = metadata
    ? { entityId: metadata.entityId, ssoUrl: ssoUrlOf(metadata), ssoUrls: metadata.ssoUrls, signingCertificates: metadata.signingCertificates }
    : { configuredCertificates: certs.flatMap((c) => (c.facts ? [c.facts] : [])) };
  return report(checks, found, sp);
}

/** Reads the facts a SAML provider needs from its IdP's metadata URL (admin API, at save). */
export function createMetadataReader(now: () => number = Date.now): SamlMetadataReader {
  return async (url, allowPrivateNetwork) => {
    const res = await guardedGet(url, allowPrivateNetwork);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    const m = parseIdpMetadata(res.body, now());
    return { entityId: m.entityId, ssoUrl: ssoUrlOf(m), signingCertificates: m.signingCertificatePems };
  };
}

/** The probe over the gateway's public base URL. */
export function createProviderProbe(baseUrl: string, now: () => number = Date.now): ProviderProbe {
  return (provider, opts) => (provider.type === 'oidc' ? probeOidc(provider, baseUrl, opts) : probeSaml(provider, baseUrl, opts, now()));
}
