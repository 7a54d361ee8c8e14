/**
 * SAML attack suite through the whole gateway (real HTTP, real SAML IdP, every database kind).
 * Each response is built at run time by the demo IdP, signed with its key, then altered without
 * re-signing (or signed by a key we do not trust). Every case must end in a 401, one audit row
 * (`login` / `invalid_assertion` / its reason) and nothing else written: no user, identity,
 * membership or signed-in session, for the victim or anyone (see ./support.ts).
 *
 * The attacker ("mallory") has a real account at the IdP and aims at an existing admin
 * ("admin@example.com", member of home-lab as Admin). Two provider profiles are attacked:
 * - assertion-signed (the default: wantAssertionsSigned), the harness's own SAML provider;
 * - response-signed (wantAuthnResponseSigned, assertions unsigned), a second SAML provider on the
 *   same IdP, where the Response signature is the only one (XSW1/2 target it).
 *
 * The adapter's own suite (test/adapters/idp/saml.attacks.test.ts) pins each check in isolation;
 * this one proves that each refusal holds end to end and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairAndCert } from '../../adapters/demo/certs.ts';
import type { KeyPairAndCert } from '../../adapters/demo/certs.ts';
import type { BuildResponseOptions, DemoUser } from '../../adapters/demo/saml-idp.ts';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { SAML_ID, startHarness, type Harness, type HarnessUser } from '../support/harness.ts';
import { XSW_CASES, signatureStillVerifies, type XswVariant } from './fixtures/saml-wrapping.ts';
import { auditSince, before, expectRefused, samlLoginUpToAcs, snapshot, type Before } from './support.ts';

const RESPONSE_SIGNED_ID = 'corp-saml-signed-response';

interface Profile {
  name: 'assertion-signed' | 'response-signed';
  providerId: string;
  spEntityId: string;
  /** What the IdP signs for this provider. */
  sign: 'assertion' | 'response';
}
const ASSERTION_SIGNED: Profile = { name: 'assertion-signed', providerId: SAML_ID, spEntityId: 'urn:gatehouse:test-sp', sign: 'assertion' };
const RESPONSE_SIGNED: Profile = { name: 'response-signed', providerId: RESPONSE_SIGNED_ID, spEntityId: 'urn:gatehouse:test-sp-signed-response', sign: 'response' };
const PROFILES = [ASSERTION_SIGNED, RESPONSE_SIGNED];

const VICTIM: DemoUser = { username: 'admin', email: 'admin@example.com', groups: ['home-lab', 'admin'] };
const ATTACKER: DemoUser = { username: 'mallory', email: 'mallory@evil.test', groups: [] };
/** Identities an attack could write: the victim, and the demo IdP's built-in extra assertion. */
const WATCHED = [VICTIM.email, 'evil@example.com'];
const USERS: HarnessUser[] = [VICTIM, ATTACKER, { username: 'replayer', email: 'replayer@example.com', groups: [] }];

const RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';
const MIN = 60_000;

/** The reason code each wrapping variant is refused with (see the fixture for the structures). */
const XSW_REASON: Record<XswVariant, string> = {
  XSW1: 'signature_wrapping',
  XSW2: 'signature_wrapping',
  XSW3: 'multiple_assertions',
  XSW4: 'signature_wrapping',
  XSW5: 'multiple_assertions',
  XSW6: 'signature_wrapping',
  XSW7: 'signature_wrapping',
  XSW8: 'signature_wrapping',
};

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

describe.each(DB_KINDS)('SAML attack suite through the gateway on %s', (db) => {
  let h: Harness;
  let attackerKey: KeyPairAndCert;

  beforeAll(async () => {
    h = await startHarness({
      db,
      users: USERS,
      config: (base) => {
        const saml = base.providers?.find((p) => p.id === SAML_ID);
        if (saml?.type !== 'saml') throw new TypeError('the harness has no SAML provider');
        const responseSigned = { ...saml, id: RESPONSE_SIGNED_ID, issuer: RESPONSE_SIGNED.spEntityId, wantAssertionsSigned: false, wantAuthnResponseSigned: true };
        return { ...base, providers: [...(base.providers ?? []), responseSigned] };
      },
    });
    // Same common name as the IdP's certificate: only the key tells them apart.
    attackerKey = generateKeyPairAndCert(`Gatehouse demo IdP ${h.saml.issuer}`);
    // The victim exists, with an identity, memberships and a session of its own.
    expect((await h.loginSaml(new Agent(), VICTIM.username)).status).toBe(302);
    expect((await snapshot(h, WATCHED))[`memberships[${VICTIM.email}]`]).toBeGreaterThan(0);
  });
  afterAll(() => h?.close());

  /**
   * The attacker starts a login with `profile` in a fresh browser, signs in at the IdP as herself,
   * then posts a response of her own making to the ACS (answering her own AuthnRequest, with her
   * RelayState) instead of the IdP's.
   */
  async function attack(profile: Profile, build: Partial<BuildResponseOptions>) {
    const agent = new Agent();
    const b = await before(h, WATCHED);
    const { acs, fields, inResponseTo } = await samlLoginUpToAcs(h, agent, profile.providerId, ATTACKER.username);
    const SAMLResponse = h.saml.buildResponse({ user: ATTACKER, acsUrl: acs, spEntityId: profile.spEntityId, inResponseTo, sign: profile.sign, ...build });
    const res = await agent.postForm(acs, { ...fields, SAMLResponse });
    return { agent, res, b };
  }

  async function refused(profile: Profile, build: Partial<BuildResponseOptions>, reason: string, message?: RegExp) {
    const { agent, res, b } = await attack(profile, build);
    return expectRefused(h, res, b, { provider: profile.providerId, outcome: 'invalid_assertion', reason, browser: agent, ...(message ? { message } : {}) });
  }

  /** An unsigned assertion for the victim, as XML, to inject into another response. */
  function unsignedVictimAssertion(profile: Profile, acs: string): string {
    const xml = decode(h.saml.buildResponse({ user: VICTIM, acsUrl: acs, spEntityId: profile.spEntityId, sign: 'none' }));
    const m = /<saml:Assertion\b[\s\S]*<\/saml:Assertion>/.exec(xml);
    if (!m) throw new Error('no assertion in the built response');
    return m[0];
  }

  it.each(PROFILES)('control ($name): an untampered response for the attacker herself signs her in', async (profile) => {
    const agent = new Agent();
    const { acs, fields, inResponseTo } = await samlLoginUpToAcs(h, agent, profile.providerId, ATTACKER.username);
    const user: DemoUser = { username: `control-${profile.name}`, email: `control-${profile.name}@evil.test`, groups: [] };
    const SAMLResponse = h.saml.buildResponse({ user, acsUrl: acs, spEntityId: profile.spEntityId, inResponseTo, sign: profile.sign });
    const res = await agent.postForm(acs, { ...fields, SAMLResponse });
    expect(res.status).toBe(302);
    expect((await h.me(agent)).json()).toMatchObject({ user: { email: user.email } });
  });

  describe('signature wrapping (signed content moved, not re-signed, to speak for the victim)', () => {
    it.each(XSW_CASES.map((c) => [c.variant, c] as const))('%s is refused', async (variant, c) => {
      const profile = c.signed === 'response' ? RESPONSE_SIGNED : ASSERTION_SIGNED;
      let wrapped = '';
      const alterXml = (xml: string): string => (wrapped = c.transform(xml, VICTIM.email));
      await refused(profile, { alterXml }, XSW_REASON[variant]);
      // A genuine wrapping: the signature still verifies over the element it references, and
      // the document now names the victim. The refusal is the structure, not a broken digest.
      expect(signatureStillVerifies(wrapped, h.saml.certPem)).toBe(true);
      expect(wrapped).toContain(`>${VICTIM.email}<`);
    });
  });

  describe('comment injection (a comment splits a signed value; exclusive c14n drops comments, so the signature holds)', () => {
    // The attacker owns admin@example.com.evil.test at the IdP. A reader that stops at the first
    // text node would see admin@example.com, the victim. We read the whole value: she signs in,
    // as the full string, and the victim's account gets no identity, session or link.
    async function injected(build: (full: string) => Partial<BuildResponseOptions>, full: string, split: string) {
      const agent = new Agent();
      const b = await before(h, WATCHED);
      const { acs, fields, inResponseTo } = await samlLoginUpToAcs(h, agent, SAML_ID, ATTACKER.username);
      let altered = '';
      const alterXml = (xml: string): string => (altered = xml.replace(`>${full}<`, `>${split}<`));
      const SAMLResponse = h.saml.buildResponse({ user: { username: 'mallory', email: full, groups: [] }, acsUrl: acs, spEntityId: ASSERTION_SIGNED.spEntityId, inResponseTo, ...build(full), alterXml });
      const res = await agent.postForm(acs, { ...fields, SAMLResponse });
      expect(altered).toContain(split);
      return { agent, res, b };
    }

    async function expectSignedInAsFullString(agent: Agent, res: { status: number }, b: Before, full: string, subject: string) {
      expect(res.status).toBe(302);
      expect((await h.me(agent)).json()).toMatchObject({ user: { email: full } });
      // Exactly one new user with one identity and one session, the full string's; the victim's
      // user, identities, memberships and sessions as they were (WATCHED), so nothing was linked.
      const after = await snapshot(h, WATCHED);
      expect(after).toEqual({ ...b.counts, users: b.counts.users! + 1, identities: b.counts.identities! + 1, signedInSessions: b.counts.signedInSessions! + 1 });
      expect(await h.gateway.knex('gh_identities').where({ provider: SAML_ID, subject }).select('email')).toEqual([{ email: full }]);
      expect(await auditSince(h, b.auditId)).toEqual([expect.objectContaining({ action: 'login', outcome: 'created', provider: SAML_ID })]);
    }

    it('in NameID (admin@example.com<!---->.evil.test, NameID the only email source): signed in as the full string, never as the victim', async () => {
      const full = 'admin@example.com.evil.test';
      const { agent, res, b } = await injected(() => ({ nameId: full, attributes: { email: [] } }), full, 'admin@example.com<!---->.evil.test');
      await expectSignedInAsFullString(agent, res, b, full, full);
    });

    it('in the email attribute (admin@example.com<!---->.mail.evil.test): signed in as the full string, never linked to the victim', async () => {
      const full = 'admin@example.com.mail.evil.test';
      const { agent, res, b } = await injected(() => ({ nameId: 'mallory-opaque-id' }), full, 'admin@example.com<!---->.mail.evil.test');
      await expectSignedInAsFullString(agent, res, b, full, 'mallory-opaque-id');
    });
  });

  it.each(PROFILES)('response re-signed by an attacker key with its certificate in KeyInfo ($name)', async (profile) => {
    const sign = profile.sign === 'response' ? 'response' : 'both';
    await refused(profile, { user: VICTIM, signingKey: attackerKey, sign }, 'untrusted_signing_key');
  });

  it.each(PROFILES)('signed non-success response with an injected unsigned assertion ($name)', async (profile) => {
    let injectedXml = '';
    const alterXml = (xml: string): string => {
      const acs = /Destination="([^"]+)"/.exec(xml)?.[1] ?? '';
      return (injectedXml = xml.replace('</samlp:Status>', `</samlp:Status>${unsignedVictimAssertion(profile, acs)}`));
    };
    await refused(profile, { statusCode: RESPONDER, statusMessage: 'Authentication failed', omitAssertion: true, sign: 'response', alterXml }, 'status_not_success');
    expect(injectedXml).toContain(`>${VICTIM.email}<`);
  });

  it.each(PROFILES)('two assertions, the second an unsigned one for another user ($name)', async (profile) => {
    await refused(profile, { extraAssertion: 'after' }, 'multiple_assertions');
  });

  it('replay: the same response posted again, by the same browser and by a fresh one', async () => {
    const first = new Agent();
    const { acs, fields } = await samlLoginUpToAcs(h, first, SAML_ID, 'replayer');
    expect((await first.postForm(acs, fields)).status).toBe(302);

    const sameBrowser = await before(h, WATCHED);
    const again = await first.postForm(acs, fields);
    await expectRefused(h, again, sameBrowser, { provider: SAML_ID, outcome: 'invalid_assertion', reason: 'assertion_replayed' });
    // Still the replayer's own session, nothing more.
    expect((await h.me(first)).json()).toMatchObject({ user: { email: 'replayer@example.com' } });

    const fresh = new Agent();
    const freshBrowser = await before(h, WATCHED);
    const stolen = await fresh.postForm(acs, fields);
    await expectRefused(h, stolen, freshBrowser, { provider: SAML_ID, outcome: 'invalid_assertion', reason: 'assertion_replayed', browser: fresh });
  });

  // Assertions the IdP really issued, for the victim, but not for us or not for now: what a
  // malicious SP that received one, or a thief of an old one, would post.
  describe.each(PROFILES)('conditions ($name)', (profile) => {
    const now = Date.now();
    it.each<[string, Partial<BuildResponseOptions>, string, RegExp?]>([
      ['expired (NotOnOrAfter 30 min ago)', { issueInstant: new Date(now - 60 * MIN), notBefore: new Date(now - 60 * MIN), notOnOrAfter: new Date(now - 30 * MIN) }, 'expired'],
      ['NotBefore 10 min in the future', { notBefore: new Date(now + 10 * MIN) }, 'not_yet_valid'],
      ['wrong Audience (another SP)', { audience: 'urn:another-sp' }, 'audience_mismatch'],
      ['wrong Recipient (another SP’s ACS)', { recipient: 'https://another-sp.example/acs' }, 'recipient_mismatch'],
      ['wrong Destination (another SP’s ACS)', { destination: 'https://another-sp.example/acs' }, 'destination_mismatch'],
      ['wrong assertion Issuer (Response Issuer right)', { issuer: 'urn:evil:idp', responseIssuer: 'urn:test:saml-idp' }, 'issuer_mismatch', /assertion Issuer "urn:evil:idp"/],
      ['wrong Response Issuer (assertion Issuer right)', { responseIssuer: 'urn:evil:idp' }, 'issuer_mismatch', /response Issuer "urn:evil:idp"/],
    ])('%s', async (_name, build, reason, message) => {
      await refused(profile, { user: VICTIM, ...build }, reason, message);
    });
  });
});
