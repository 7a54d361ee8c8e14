/**
 * Forged and tampered SAML responses: each is refused with ERR_INVALID_ASSERTION and its own
 * `details.reason`. Responses come from the demo IdP's `buildResponse`, signed at run time.
 */
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import type { Element } from '@xmldom/xmldom';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPairAndCert } from '../../../adapters/demo/certs.ts';
import { startSamlIdp } from '../../../adapters/demo/saml-idp.ts';
import type { BuildResponseOptions, DemoUser, SamlIdp } from '../../../adapters/demo/saml-idp.ts';
import { createSamlAdapter } from '../../../adapters/idp/saml.ts';
import { createMemorySamlCache } from '../../support/memory-saml-cache.ts';
import { ACS, BASE, IDP, SP, reasonOf, samlProvider, startLogin as startSamlLogin, type Login } from '../../support/saml-sp.ts';

const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const ALICE: DemoUser = { username: 'alice', email: 'alice@example.com', groups: ['developers', 'compliance-team'] };
const MIN = 60 * 1000;

let idp: SamlIdp;
beforeAll(async () => {
  idp = await startSamlIdp({ issuer: IDP, users: [ALICE] });
});
afterAll(async () => {
  await idp.close();
});

const startLogin = (over: Record<string, unknown> = {}) => startSamlLogin(idp, ALICE, over);

/** DOM surgery on a signed response (for wrapping attacks). */
function rewrite(fn: (root: Element) => void): (xml: string) => string {
  return (xml) => {
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    fn(doc.documentElement!);
    return new XMLSerializer().serializeToString(doc);
  };
}

function firstAssertion(root: Element): Element {
  const a = root.getElementsByTagNameNS(ASSERTION_NS, 'Assertion')[0];
  if (!a) throw new Error('no assertion');
  return a;
}

/** An unsigned copy of the signed assertion, re-targeted at evil@example.com. */
function evilCopy(signed: Element, id: string): Element {
  const evil = signed.cloneNode(true) as Element;
  evil.setAttribute('ID', id);
  const sig = evil.getElementsByTagNameNS(DSIG_NS, 'Signature')[0];
  if (sig) evil.removeChild(sig);
  const nameId = evil.getElementsByTagNameNS(ASSERTION_NS, 'NameID')[0];
  if (nameId) nameId.textContent = 'evil@example.com';
  return evil;
}

describe('SAML response checks', () => {
  let login: Login;
  beforeEach(async () => {
    login = await startLogin();
  });

  it('accepts the untouched response (baseline for every case below)', async () => {
    expect(await login.post()).toMatchObject({ subject: 'alice@example.com', returnTo: '/home' });
  });

  it('refuses an attribute altered after signing (bad signature)', async () => {
    const alterXml = (xml: string) => xml.replace('>developers<', '>admin<');
    expect(await reasonOf(login.post({ alterXml }))).toBe('invalid_signature');
  });

  it('refuses an unsigned assertion', async () => {
    expect(await reasonOf(login.post({ sign: 'none' }))).toBe('unsigned_assertion');
  });

  it('refuses a signed Response around an unsigned assertion when assertions must be signed', async () => {
    expect(await reasonOf(login.post({ sign: 'response' }))).toBe('unsigned_assertion');
  });

  it('refuses an assertion signed by an attacker key that ships its own cert in KeyInfo', async () => {
    expect(await reasonOf(login.post({ signingKey: generateKeyPairAndCert(IDP) }))).toBe('untrusted_signing_key');
  });

  it('refuses a wrong Audience', async () => {
    expect(await reasonOf(login.post({ audience: 'urn:some-other-sp' }))).toBe('audience_mismatch');
  });

  it('refuses a wrong Response Destination', async () => {
    expect(await reasonOf(login.post({ destination: 'https://other-sp.example/acs' }))).toBe('destination_mismatch');
  });

  it('accepts a Response without Destination (optional for signed assertions)', async () => {
    expect((await login.post({ destination: null })).subject).toBe('alice@example.com');
  });

  it('refuses a wrong SubjectConfirmationData Recipient', async () => {
    expect(await reasonOf(login.post({ recipient: 'https://other-sp.example/acs' }))).toBe('recipient_mismatch');
  });

  it('refuses a wrong Issuer', async () => {
    expect(await reasonOf(login.post({ issuer: 'urn:evil:idp' }))).toBe('issuer_mismatch');
  });

  it('refuses a wrong Response Issuer even when the assertion Issuer is right', async () => {
    expect(await reasonOf(login.post({ responseIssuer: 'urn:evil:idp' }))).toBe('issuer_mismatch');
  });

  it('refuses an expired assertion', async () => {
    const past = new Date(Date.now() - 10 * MIN);
    expect(await reasonOf(login.post({ issueInstant: new Date(Date.now() - 15 * MIN), notBefore: past, notOnOrAfter: new Date(Date.now() - 5 * MIN) }))).toBe('expired');
  });

  it('refuses an expired SubjectConfirmationData even while the Conditions are still valid', async () => {
    expect(await reasonOf(login.post({ confirmationNotOnOrAfter: new Date(Date.now() - MIN) }))).toBe('expired');
  });

  it('refuses an assertion whose NotBefore is in the future', async () => {
    expect(await reasonOf(login.post({ notBefore: new Date(Date.now() + 5 * MIN) }))).toBe('not_yet_valid');
  });

  it('accepts a NotBefore inside acceptedClockSkewMs', async () => {
    expect((await login.post({ notBefore: new Date(Date.now() + 2000) })).subject).toBe('alice@example.com');
  });

  it('refuses a replayed response (second complete with the same SAMLResponse)', async () => {
    const samlResponse = idp.buildResponse({ user: ALICE, acsUrl: ACS, spEntityId: SP, inResponseTo: login.requestId });
    await login.postRaw(samlResponse);
    expect(await reasonOf(login.postRaw(samlResponse))).toBe('assertion_replayed');
  });

  it('consumes the request ID once: a second, fresh assertion for the same request is refused', async () => {
    await login.post();
    expect(await reasonOf(login.post())).toBe('unknown_in_response_to');
  });

  it('refuses an InResponseTo we never issued', async () => {
    expect(await reasonOf(login.postUnbound({ inResponseTo: '_never-issued' }))).toBe('unknown_in_response_to');
  });

  it('refuses a response to another login than the one this browser started (RelayState binding)', async () => {
    expect(await reasonOf(login.post({ inResponseTo: '_never-issued' }))).toBe('relay_state_mismatch');
  });

  it('accepts a response to our request without the browser flow state (no returnTo then)', async () => {
    expect(await login.postUnbound()).toMatchObject({ subject: 'alice@example.com', returnTo: undefined });
  });

  it('refuses an unsigned Response InResponseTo that dresses up an unsolicited signed assertion', async () => {
    const forged = idp.buildResponse({ user: ALICE, acsUrl: ACS, spEntityId: SP, responseInResponseTo: login.requestId });
    expect(await reasonOf(login.postRaw(forged))).toBe('in_response_to_mismatch');
  });

  it('refuses two assertions', async () => {
    expect(await reasonOf(login.post({ extraAssertion: 'after' }))).toBe('multiple_assertions');
  });

  it('refuses a non-success status carrying an injected unsigned assertion', async () => {
    const o = { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder', statusMessage: 'login failed', sign: 'none' } as const;
    expect(await reasonOf(login.post(o))).toBe('status_not_success');
  });

  it('refuses a validly signed assertion under a non-success status', async () => {
    expect(await reasonOf(login.post({ statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }))).toBe('status_not_success');
  });

  it('refuses a non-success status without assertion, naming the status', async () => {
    const err = login.post({ statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester', omitAssertion: true });
    await expect(err).rejects.toThrow(/Requester/);
  });

  it('never reads a NameID truncated by comment injection', async () => {
    const alterXml = (xml: string) => xml.replace('>user@evil.com.example.com<', '>user@evil.com<!---->.example.com<');
    const result = await login.post({ nameId: 'user@evil.com.example.com', alterXml });
    expect(result.subject).toBe('user@evil.com.example.com');
    expect(result.raw.nameID).toBe('user@evil.com.example.com');
  });

  it('refuses signature wrapping: signed assertion moved into Extensions, evil unsigned one put first', async () => {
    const alterXml = rewrite((root) => {
      const signed = firstAssertion(root);
      const evil = evilCopy(signed, '_evil');
      root.insertBefore(evil, signed);
      const ext = root.ownerDocument!.createElementNS('urn:oasis:names:tc:SAML:2.0:protocol', 'samlp:Extensions');
      root.removeChild(signed);
      ext.appendChild(signed);
      root.insertBefore(ext, root.firstChild!.nextSibling);
    });
    expect(await reasonOf(login.post({ alterXml }))).toBe('signature_wrapping');
  });

  it('refuses signature wrapping: evil assertion with the signed ID put first, signed one after', async () => {
    const alterXml = rewrite((root) => {
      const signed = firstAssertion(root);
      root.insertBefore(evilCopy(signed, signed.getAttribute('ID') ?? ''), signed);
    });
    expect(await reasonOf(login.post({ alterXml }))).toBe('multiple_assertions');
  });

  it('refuses signature wrapping: signed assertion hidden inside the evil one', async () => {
    const alterXml = rewrite((root) => {
      const signed = firstAssertion(root);
      const evil = evilCopy(signed, '_evil');
      root.replaceChild(evil, signed);
      evil.appendChild(signed);
    });
    expect(await reasonOf(login.post({ alterXml }))).toBe('signature_wrapping');
  });

  it('refuses a signed assertion when the Response must be signed too', async () => {
    const strict = await startLogin({ wantAuthnResponseSigned: true });
    expect(await reasonOf(strict.post({ sign: 'assertion' }))).toBe('unsigned_response');
    expect((await strict.post({ sign: 'both' })).subject).toBe('alice@example.com');
  });

  it('refuses input that is not a SAML response, without leaking a library error', async () => {
    const post = (body: Record<string, unknown>, method = 'POST') => login.adapter.complete({ flow: login.flow, method, url: new URL(ACS), body });
    expect(await reasonOf(post({ SAMLResponse: 'x' }, 'GET'))).toBe('wrong_binding');
    expect(await reasonOf(post({}))).toBe('missing_saml_response');
    expect(await reasonOf(post({ SAMLResponse: '%%%not-base64%%%' }))).toBe('malformed_response');
    expect(await reasonOf(post({ SAMLResponse: Buffer.from('<a><b></a>').toString('base64') }))).toBe('malformed_response');
    const doctype = '<!DOCTYPE r [<!ENTITY x "y">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>';
    expect(await reasonOf(post({ SAMLResponse: Buffer.from(doctype).toString('base64') }))).toBe('malformed_response');
    expect(await reasonOf(post({ SAMLResponse: Buffer.from('<LogoutResponse/>').toString('base64') }))).toBe('not_a_response');
  });

  it('turns a broken signature structure into invalid_signature, never a raw library error', async () => {
    const alterXml = (xml: string) => xml.replace(/<ds:SignedInfo>[\s\S]*<\/ds:SignedInfo>/, '');
    expect(await reasonOf(login.post({ alterXml }))).toBe('invalid_signature');
  });

  it('never lets an attribute stand in for nameID or issuer', async () => {
    const { raw, subject } = await login.post({ attributes: { issuer: 'urn:evil:idp', nameID: 'evil@example.com' } });
    expect(subject).toBe('alice@example.com');
    expect(raw).toMatchObject({ issuer: IDP, nameID: 'alice@example.com' });
  });

  it('keeps request IDs for requestIdExpirationPeriodMs and assertion IDs until NotOnOrAfter + skew', async () => {
    const calls: Record<string, [string, string, number]> = {};
    const inner = createMemorySamlCache();
    const cache = {
      ...inner,
      saveRequestId: async (p: string, id: string, exp: number) => ((calls.save = [p, id, exp]), inner.saveRequestId(p, id, exp)),
      rememberAssertion: async (p: string, id: string, exp: number) => ((calls.remember = [p, id, exp]), inner.rememberAssertion(p, id, exp)),
    };
    const t0 = Date.now();
    const adapter = createSamlAdapter(samlProvider(idp, { requestIdExpirationPeriodMs: 600_000 }), { baseUrl: BASE, keyPath: 'providers[0]', cache, now: () => t0 });
    await adapter.begin({ flow: {}, returnTo: '/' });
    expect(calls.save?.[0]).toBe('corp-saml');
    expect(calls.save?.[2]).toBe(t0 + 600_000);
    const notOnOrAfter = new Date(Date.now() + 3 * MIN);
    const samlResponse = idp.buildResponse({ user: ALICE, acsUrl: ACS, spEntityId: SP, inResponseTo: calls.save?.[1], assertionId: '_a1', notOnOrAfter });
    await adapter.complete({ flow: {}, method: 'POST', url: new URL(ACS), body: { SAMLResponse: samlResponse } });
    expect(calls.remember).toEqual(['corp-saml', '_a1', notOnOrAfter.getTime() + 5000]);
  });

  it('gives each refusal above its own reason code', async () => {
    const fresh = async (o: Partial<BuildResponseOptions>) => reasonOf((await startLogin()).postUnbound(o));
    const reasons = await Promise.all([
      fresh({ alterXml: (x) => x.replace('>developers<', '>admin<') }),
      fresh({ sign: 'none' }),
      fresh({ signingKey: generateKeyPairAndCert('attacker') }),
      fresh({ audience: 'urn:x' }),
      fresh({ destination: 'https://x/acs' }),
      fresh({ recipient: 'https://x/acs' }),
      fresh({ issuer: 'urn:x' }),
      fresh({ notOnOrAfter: new Date(Date.now() - MIN), notBefore: new Date(Date.now() - 2 * MIN) }),
      fresh({ notBefore: new Date(Date.now() + 5 * MIN) }),
      fresh({ inResponseTo: '_nope' }),
      fresh({ extraAssertion: 'before' }),
      fresh({ statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder', sign: 'none' }),
    ]);
    expect(new Set(reasons).size).toBe(reasons.length);
  });
});
