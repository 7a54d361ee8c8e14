/**
 * SHA-1 in SAML signatures (NIST SP 800-131A: disallowed for signature generation): a response
 * signed with RSA-SHA1, or whose reference digest is SHA-1, is refused by default (401, one audit
 * row, nothing written) and accepted only by a provider that opts in with `allowSha1Signatures`.
 * The responses are real ones, signed at run time by the harness's SAML IdP with its own key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResponseOptions, DemoUser } from '../../adapters/demo/saml-idp.ts';
import { Agent } from '../support/agent.ts';
import { SAML_ID, startHarness, type Harness } from '../support/harness.ts';
import { before, expectRefused, samlLoginUpToAcs } from './support.ts';

const LEGACY_ID = 'legacy-saml';
const LEGACY_SP = 'urn:gatehouse:test-sp-legacy';
const USER: DemoUser = { username: 'old-idp-user', email: 'old-idp-user@example.com', groups: [] };

const SHA1_VARIANTS: [string, Partial<BuildResponseOptions>][] = [
  ['an RSA-SHA1 signature', { signatureAlgorithm: 'rsa-sha1' }],
  ['a SHA-1 reference digest', { digestAlgorithm: 'sha1' }],
  ['RSA-SHA1 over a SHA-1 digest', { signatureAlgorithm: 'rsa-sha1', digestAlgorithm: 'sha1' }],
  ['Response and assertion both signed with RSA-SHA1', { sign: 'both', signatureAlgorithm: 'rsa-sha1', digestAlgorithm: 'sha1' }],
];

describe('SHA-1 SAML signatures', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      db: 'sqlite',
      users: [USER],
      config: (base) => {
        const saml = base.providers?.find((p) => p.id === SAML_ID);
        if (saml?.type !== 'saml') throw new TypeError('the harness has no SAML provider');
        const legacy = { ...saml, id: LEGACY_ID, issuer: LEGACY_SP, allowSha1Signatures: true };
        return { ...base, providers: [...(base.providers ?? []), legacy] };
      },
    });
  });
  afterAll(() => h?.close());

  async function post(providerId: string, spEntityId: string, build: Partial<BuildResponseOptions>) {
    const agent = new Agent();
    const b = await before(h, [USER.email]);
    const { acs, fields, inResponseTo } = await samlLoginUpToAcs(h, agent, providerId, USER.username);
    const SAMLResponse = h.saml.buildResponse({ user: USER, acsUrl: acs, spEntityId, inResponseTo, ...build });
    return { agent, b, res: await agent.postForm(acs, { ...fields, SAMLResponse }) };
  }

  it('control: an RSA-SHA256 response is accepted by the default provider', async () => {
    const { res } = await post(SAML_ID, 'urn:gatehouse:test-sp', {});
    expect(res.status).toBe(302);
  });

  it.each(SHA1_VARIANTS)('%s is refused by default', async (_, build) => {
    const { agent, b, res } = await post(SAML_ID, 'urn:gatehouse:test-sp', build);
    const row = await expectRefused(h, res, b, { provider: SAML_ID, outcome: 'invalid_assertion', reason: 'weak_signature_algorithm', browser: agent });
    expect(row.reason).toMatch(/SHA-1.*allowSha1Signatures/);
  });

  it.each(SHA1_VARIANTS)('%s is accepted with allowSha1Signatures: true', async (_, build) => {
    const { agent, res } = await post(LEGACY_ID, LEGACY_SP, build);
    expect(res.status).toBe(302);
    expect((await h.me(agent)).json()).toMatchObject({ user: { email: USER.email } });
  });
});
