/**
 * SAML adapter against the real demo IdP on loopback: the browser round trip, IdP-initiated
 * logins, options (response signing, certificate rollover, PEM paths) and SP metadata.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairAndCert } from '../../../adapters/demo/certs.ts';
import { startSamlIdp } from '../../../adapters/demo/saml-idp.ts';
import type { DemoUser, SamlIdp } from '../../../adapters/demo/saml-idp.ts';
import { createSamlAdapter } from '../../../adapters/idp/saml.ts';
import { providerSchema } from '../../../plugin/config/schema.ts';
import type { SamlProviderConfig } from '../../../plugin/config/schema.ts';
import { GatehouseError } from '../../../plugin/errors.ts';
import type { FlowState, IdpAdapter } from '../../../plugin/ports.ts';
import { Agent, parseForm } from '../../support/agent.ts';
import { createMemorySamlCache } from '../../support/memory-saml-cache.ts';

const BASE = 'http://127.0.0.1:3999';
const SP = 'urn:gatehouse:sp';
const IDP = 'urn:example:idp';
const ACS = `${BASE}/auth/corp-saml/callback`;
const USERS: DemoUser[] = [
  { username: 'alice', email: 'alice@example.com', givenName: 'Alice', familyName: 'Liddell', groups: ['developers', 'compliance-team'] },
  { username: 'bob', password: 'hunter2', email: 'bob@example.com', groups: ['admin'] },
  { username: 'carol', email: 'carol@example.com', givenName: 'Carol', familyName: 'Danvers', groups: ['6f1e-guid', 'b2c4-guid'], attributeStyle: 'azure' },
];

let idp: SamlIdp;
beforeAll(async () => {
  idp = await startSamlIdp({ issuer: IDP, users: USERS });
});
afterAll(async () => {
  await idp.close();
});

function provider(over: Record<string, unknown> = {}): SamlProviderConfig {
  const p = providerSchema.parse({ id: 'corp-saml', type: 'saml', entryPoint: idp.entryPoint, idpIssuer: IDP, idpCert: idp.certPem, issuer: SP, ...over });
  if (p.type !== 'saml') throw new TypeError('not saml');
  return p;
}

async function rejection(p: Promise<unknown>): Promise<GatehouseError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatehouseError);
    return e as GatehouseError;
  }
  throw new Error('expected a rejection');
}

/** begin -> IdP login page -> submit the user form -> the auto-post form's fields. */
async function browserLogin(adapter: IdpAdapter, flow: FlowState, username: string, password = 'x') {
  const agent = new Agent();
  const url = await adapter.begin({ flow, returnTo: '/dashboard?tab=1' });
  const login = await agent.get(url);
  expect(login.status).toBe(200);
  const form = parseForm(login.text, url);
  const posted = await agent.postForm(form.action, { ...form.fields, username, password });
  expect(posted.status).toBe(200);
  const auto = parseForm(posted.text, form.action);
  expect(auto.method).toBe('POST');
  return { url, auto };
}

describe('SAML SP-initiated login through the demo IdP', () => {
  it('returns the NameID, the attributes (multi-valued as arrays) and the returnTo', async () => {
    const adapter = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const flow: FlowState = {};
    const { url, auto } = await browserLogin(adapter, flow, 'alice');
    expect(new URL(url).origin + new URL(url).pathname).toBe(idp.entryPoint);
    expect(auto.action).toBe(ACS);
    expect(auto.fields.RelayState).toBe(new URL(url).searchParams.get('RelayState'));

    const result = await adapter.complete({ flow, method: 'POST', url: new URL(auto.action), body: auto.fields });
    expect(result.subject).toBe('alice@example.com');
    expect(result.returnTo).toBe('/dashboard?tab=1');
    expect(result.raw).toMatchObject({
      email: 'alice@example.com',
      givenName: 'Alice',
      familyName: 'Liddell',
      groups: ['developers', 'compliance-team'],
      nameID: 'alice@example.com',
      nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      issuer: IDP,
    });
    expect(typeof result.raw.sessionIndex).toBe('string');
  });

  it('sends an AuthnRequest naming our ACS and entity ID, with an opaque RelayState', async () => {
    const adapter = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const url = new URL(await adapter.begin({ flow: {}, returnTo: '/secret/path' }));
    const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    expect(xml).toContain(`AssertionConsumerServiceURL="${ACS}"`);
    expect(xml).toContain(`>${SP}</saml:Issuer>`);
    expect(url.searchParams.get('RelayState')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(url.toString()).not.toContain('secret');
  });

  it('accepts the response on another instance sharing only the cache (no process memory)', async () => {
    const cache = createMemorySamlCache();
    const a = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache });
    const b = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache });
    const flow: FlowState = {};
    const { auto } = await browserLogin(a, flow, 'alice');
    const result = await b.complete({ flow, method: 'POST', url: new URL(ACS), body: auto.fields });
    expect(result.subject).toBe('alice@example.com');
  });

  it('still logs in when the browser flow state did not survive (no returnTo then)', async () => {
    const adapter = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const { auto } = await browserLogin(adapter, {}, 'alice');
    const result = await adapter.complete({ flow: {}, method: 'POST', url: new URL(ACS), body: auto.fields });
    expect(result.subject).toBe('alice@example.com');
    expect(result.returnTo).toBeUndefined();
  });

  it('refuses a response posted into a browser flow that started a different login (login CSRF)', async () => {
    const adapter = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const victim: FlowState = {};
    await adapter.begin({ flow: victim, returnTo: '/' });
    const victimRelay = Object.keys(victim['saml:corp-saml'] as object)[0] ?? '';
    const { auto } = await browserLogin(adapter, {}, 'bob', 'hunter2');
    const err = await rejection(adapter.complete({ flow: victim, method: 'POST', url: new URL(ACS), body: { ...auto.fields, RelayState: victimRelay } }));
    expect(err.details?.reason).toBe('relay_state_mismatch');
  });

  it('checks the demo password and re-renders the form on a wrong one', async () => {
    const adapter = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const agent = new Agent();
    const url = await adapter.begin({ flow: {}, returnTo: '/' });
    const form = parseForm((await agent.get(url)).text, url);
    const wrong = await agent.postForm(form.action, { ...form.fields, username: 'bob', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('wrong password');
  });

  it('passes the Azure AD / ADFS claim URIs through as attribute names', async () => {
    const adapter = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const flow: FlowState = {};
    const { auto } = await browserLogin(adapter, flow, 'carol');
    const { raw } = await adapter.complete({ flow, method: 'POST', url: new URL(ACS), body: auto.fields });
    expect(raw).toMatchObject({
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'carol@example.com',
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': 'Carol',
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': 'Danvers',
      'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': ['6f1e-guid', 'b2c4-guid'],
    });
  });
});

describe('SAML IdP-initiated responses', () => {
  const unsolicited = () => idp.buildResponse({ user: USERS[0]!, acsUrl: ACS, spEntityId: SP });

  it('are refused by default', async () => {
    const adapter = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const err = await rejection(adapter.complete({ flow: {}, method: 'POST', url: new URL(ACS), body: { SAMLResponse: unsolicited() } }));
    expect(err.code).toBe('ERR_INVALID_ASSERTION');
    expect(err.status).toBe(401);
    expect(err.details?.reason).toBe('idp_initiated_not_allowed');
  });

  it('are accepted with allowIdpInitiated, once, and a RelayState never becomes a returnTo', async () => {
    const adapter = createSamlAdapter(provider({ allowIdpInitiated: true }), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const body = { SAMLResponse: unsolicited(), RelayState: 'https://evil.example/' };
    const result = await adapter.complete({ flow: {}, method: 'POST', url: new URL(ACS), body });
    expect(result.subject).toBe('alice@example.com');
    expect(result.returnTo).toBeUndefined();
    const err = await rejection(adapter.complete({ flow: {}, method: 'POST', url: new URL(ACS), body }));
    expect(err.details?.reason).toBe('assertion_replayed');
  });
});

describe('SAML adapter options', () => {
  it('with wantAuthnResponseSigned takes a signed Response whose assertion is not signed itself', async () => {
    const adapter = createSamlAdapter(provider({ wantAuthnResponseSigned: true, wantAssertionsSigned: false }), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const flow: FlowState = {};
    const url = new URL(await adapter.begin({ flow, returnTo: '/x' }));
    const id = /ID="([^"]+)"/.exec(inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString())?.[1];
    const SAMLResponse = idp.buildResponse({ user: USERS[0]!, acsUrl: ACS, spEntityId: SP, inResponseTo: id, sign: 'response' });
    const result = await adapter.complete({ flow, method: 'POST', url: new URL(ACS), body: { SAMLResponse, RelayState: url.searchParams.get('RelayState') ?? '' } });
    expect(result).toMatchObject({ subject: 'alice@example.com', returnTo: '/x' });
  });

  it('trusts every certificate of an idpCert list (key rollover)', async () => {
    const old = generateKeyPairAndCert('old idp key');
    const adapter = createSamlAdapter(provider({ idpCert: [old.certPem, idp.certPem] }), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const flow: FlowState = {};
    const { auto } = await browserLogin(adapter, flow, 'alice');
    expect((await adapter.complete({ flow, method: 'POST', url: new URL(ACS), body: auto.fields })).subject).toBe('alice@example.com');
  });

  it('reads idpCert from a PEM file path, and fails fast on a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-saml-'));
    try {
      const path = join(dir, 'idp.pem');
      writeFileSync(path, idp.certPem);
      expect(() => createSamlAdapter(provider({ idpCert: path }), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() })).not.toThrow();
      expect(() => createSamlAdapter(provider({ idpCert: join(dir, 'missing.pem') }), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() })).toThrow(
        /providers\[0\]\.idpCert/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves SP metadata with entity ID, ACS, WantAssertionsSigned and our signing cert', () => {
    const plain = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() }).metadata?.() ?? '';
    expect(plain).toContain(`entityID="${SP}"`);
    expect(plain).toContain(`Location="${ACS}"`);
    expect(plain).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(plain).toContain('WantAssertionsSigned="true"');
    expect(plain).not.toContain('X509Certificate');

    const sp = generateKeyPairAndCert(SP);
    const signing = createSamlAdapter(provider({ privateKey: sp.privateKeyPem, publicCert: sp.certPem }), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const body = sp.certPem.replace(/-----[^-]+-----|\s+/g, '').slice(0, 64);
    expect(signing.metadata?.()).toContain(body);
  });

  it('signs the AuthnRequest redirect when it has a key', async () => {
    const sp = generateKeyPairAndCert(SP);
    const adapter = createSamlAdapter(provider({ privateKey: sp.privateKeyPem, publicCert: sp.certPem }), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const url = new URL(await adapter.begin({ flow: {}, returnTo: '/' }));
    expect(url.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(url.searchParams.get('Signature')).toBeTruthy();
  });
});

describe('single logout endpoint default (contract section 2: logoutUrl defaults to entryPoint)', () => {
  it('is the entry point when we have a key to sign logout messages, and off without one', () => {
    const sp = generateKeyPairAndCert('slo default');
    const withKey = createSamlAdapter(provider({ privateKey: sp.privateKeyPem, publicCert: sp.certPem }), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    expect(withKey.logoutChannel).toBeDefined();
    expect(withKey.endSessionUrl).toBeDefined();
    expect(withKey.metadata?.()).toContain(`SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${BASE}/auth/corp-saml/slo"`);
    const withoutKey = createSamlAdapter(provider(), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    expect(withoutKey.logoutChannel).toBeUndefined();
    expect(withoutKey.metadata?.()).not.toContain('SingleLogoutService');
  });
});
