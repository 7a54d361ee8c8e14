/**
 * OIDC attack suite through the whole gateway (real HTTP, a real oidc-provider, every database
 * kind). The gateway's transport to the IdP (`oidcFetch`) lets a case swap the ID token the token
 * endpoint returns for a forged one; a second real OpenID Provider, configured as a second
 * provider of the gateway with the same client_id, supplies genuine tokens and codes for the
 * mix-up cases. Every case must end in a 401, one audit row (`login`, `invalid_state` or
 * `invalid_assertion`, its reason) and nothing else written (see ./support.ts).
 *
 * The attacker ("mallory") has real accounts at both IdPs and aims at an existing admin
 * ("admin", admin@example.com, home-lab Admin). The adapter's own suite
 * (test/adapters/idp/oidc.forged-id-token.test.ts) pins each ID token check in isolation; this
 * one proves each refusal end to end and adds the browser-level attacks (state, code injection,
 * mix-up, replay).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOidcIdp, type DemoOidcIdp } from '../../adapters/demo/oidc-idp.ts';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { OIDC_ID, startHarness, type Harness, type HarnessUser } from '../support/harness.ts';
import { decodeClaims, hs256WithPublicKey, nowSeconds, unsignedToken, withoutAzp, type Claims } from './fixtures/id-token-forgeries.ts';
import { before, expectRefused, freePort, oidcLoginUpToCallback, snapshot, type Refusal } from './support.ts';

const OTHER_ID = 'other-oidc';
const OTHER_PASSWORD = 'other-pw';
const VICTIM: HarnessUser = { username: 'admin', email: 'admin@example.com', groups: ['home-lab', 'admin'] };
/** The demo IdP's subject is the username. */
const VICTIM_SUB = VICTIM.username;
const ATTACKER: HarnessUser = { username: 'mallory', email: 'mallory@evil.test', groups: [] };
const USERS: HarnessUser[] = [VICTIM, ATTACKER, { username: 'replayer', email: 'replayer@example.com', groups: [] }];
const WATCHED = [VICTIM.email];

/** Rewrites the ID token of the next token responses (corp-oidc only); undefined leaves it alone. */
let forgeIdToken: ((claims: Claims) => string) | undefined;

/**
 * The gateway's transport to corp-oidc's IdP. Its discovery document is made sloppy (it
 * advertises `none` and `HS256`), so only our pinned `idTokenSignedResponseAlg` stands between
 * those tokens and a login; token responses get the current forgery.
 */
const transport: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const url = input instanceof Request ? input.url : String(input);
  if (url.endsWith('/.well-known/openid-configuration')) {
    const metadata = (await res.json()) as Claims;
    metadata.id_token_signing_alg_values_supported = ['none', 'HS256', 'RS256'];
    return Response.json(metadata, { status: res.status });
  }
  if (!forgeIdToken || !url.endsWith('/token')) return res;
  const body = (await res.json()) as Claims;
  if (typeof body.id_token === 'string') body.id_token = forgeIdToken(decodeClaims(body.id_token));
  return Response.json(body, { status: res.status });
};

describe.each(DB_KINDS)('OIDC attack suite through the gateway on %s', (db) => {
  let h: Harness;
  /** The second, equally trusted OpenID Provider (provider `other-oidc`). */
  let other: DemoOidcIdp;

  beforeAll(async () => {
    // The second IdP's issuer must be in the config before the gateway starts, and its client's
    // redirect URI needs the gateway's port: reserve its port now, start it once the gateway is up
    // (the gateway discovers an OIDC provider at its first login, not at start).
    const otherPort = await freePort();
    h = await startHarness({
      db,
      users: USERS,
      oidcFetch: transport,
      config: (base) => ({
        ...base,
        providers: [
          ...(base.providers ?? []),
          { id: OTHER_ID, type: 'oidc', issuer: `http://127.0.0.1:${otherPort}`, clientId: 'gatehouse', clientSecret: 'other-secret', scopes: ['openid', 'email', 'profile', 'groups'], firstLoginPolicy: 'allow' },
        ],
      }),
    });
    other = await startOidcIdp({
      port: otherPort,
      clients: [{ clientId: 'gatehouse', clientSecret: 'other-secret', redirectUris: [`${h.url}/auth/${OTHER_ID}/callback`] }],
      users: [
        { username: 'mallory', password: OTHER_PASSWORD, email: 'mallory@other-idp.test', groups: ['admin'] },
        { username: 'carl', password: OTHER_PASSWORD, email: 'carl@other-idp.test', groups: [] },
      ],
    });
    // The victim exists, with an identity, memberships and a session of its own.
    expect((await h.loginOidc(new Agent(), VICTIM.username)).status).toBe(302);
    expect((await snapshot(h, WATCHED))[`memberships[${VICTIM.email}]`]).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await h?.close();
    await other?.close();
  });
  beforeEach(() => {
    forgeIdToken = undefined;
  });

  const assertionRefused = (reason: string, browser?: Agent): Refusal => ({ provider: OIDC_ID, outcome: 'invalid_assertion', reason, ...(browser ? { browser } : {}) });
  const stateRefused = (reason: string, browser?: Agent): Refusal => ({ provider: OIDC_ID, outcome: 'invalid_state', reason, ...(browser ? { browser } : {}) });

  /** The `state` a started login sent to the IdP (read from the redirect, as the IdP sees it). */
  async function startLogin(agent: Agent): Promise<string> {
    const start = await agent.get(`${h.url}/auth/${OIDC_ID}/login`);
    const state = start.location ? new URL(start.location).searchParams.get('state') : null;
    if (!state) throw new Error(`login start answered ${start.status} without a state`);
    return state;
  }

  describe('controls', () => {
    it('the transport re-signing the genuine ID token with the IdP key changes nothing: the attacker signs in as herself', async () => {
      forgeIdToken = (claims) => h.oidc.signIdToken({ ...claims, iat: nowSeconds() });
      const agent = new Agent();
      expect((await h.loginOidc(agent, ATTACKER.username)).status).toBe(302);
      expect((await h.me(agent)).json()).toMatchObject({ user: { email: ATTACKER.email } });
    });

    it('the second provider is live and trusted: a real sign-in there works', async () => {
      const agent = new Agent();
      const callback = await oidcLoginUpToCallback(h, agent, OTHER_ID, 'carl', OTHER_PASSWORD);
      expect((await agent.get(callback)).status).toBe(302);
      expect((await h.me(agent)).json()).toMatchObject({ user: { email: 'carl@other-idp.test' } });
    });
  });

  describe('state', () => {
    it('state tampered (one character changed)', async () => {
      const agent = new Agent();
      const b = await before(h, WATCHED);
      const callback = new URL(await h.oidcCallbackUrl(agent, ATTACKER.username));
      const state = callback.searchParams.get('state') ?? '';
      callback.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
      await expectRefused(h, await agent.get(callback.href), b, stateRefused('state_mismatch', agent));
    });

    it('state missing', async () => {
      const agent = new Agent();
      const b = await before(h, WATCHED);
      const callback = new URL(await h.oidcCallbackUrl(agent, ATTACKER.username));
      callback.searchParams.delete('state');
      await expectRefused(h, await agent.get(callback.href), b, stateRefused('state_missing', agent));
    });
  });

  describe('a code moved to another browser (login CSRF, code injection)', () => {
    it("the attacker's whole callback URL opened in a browser that started no login", async () => {
      const victimBrowser = new Agent();
      const b = await before(h, WATCHED);
      const callback = await h.oidcCallbackUrl(new Agent(), ATTACKER.username);
      await expectRefused(h, await victimBrowser.get(callback), b, stateRefused('flow_state_missing', victimBrowser));
    });

    it("the attacker's whole callback URL opened in a browser that has a login of its own pending", async () => {
      const victimBrowser = new Agent();
      await startLogin(victimBrowser);
      const b = await before(h, WATCHED);
      const callback = await h.oidcCallbackUrl(new Agent(), ATTACKER.username);
      await expectRefused(h, await victimBrowser.get(callback), b, stateRefused('state_mismatch', victimBrowser));
    });

    it("the attacker's code injected into the victim's own callback (valid state): PKCE makes the IdP refuse it", async () => {
      const victimBrowser = new Agent();
      const b = await before(h, WATCHED);
      const attackers = new URL(await h.oidcCallbackUrl(new Agent(), ATTACKER.username));
      const victims = new URL(await h.oidcCallbackUrl(victimBrowser, VICTIM.username));
      victims.searchParams.set('code', attackers.searchParams.get('code') ?? '');
      await expectRefused(h, await victimBrowser.get(victims.href), b, assertionRefused('authorization_code_rejected', victimBrowser));
    });
  });

  describe('issuer mix-up between the two providers (same client_id at both)', () => {
    it("the token endpoint answers with the other provider's ID token (signed by its key, for the victim, with our nonce)", async () => {
      forgeIdToken = (claims) => other.signIdToken({ ...claims, iss: other.issuer, sub: VICTIM_SUB });
      const agent = new Agent();
      const b = await before(h, WATCHED);
      await expectRefused(h, await h.loginOidc(agent, ATTACKER.username), b, assertionRefused('issuer_mismatch', agent));
    });

    // Only the signature check against this provider's JWKS stops these two: every claim is right.
    it("an ID token signed by the other provider's key that claims our issuer (its own kid)", async () => {
      forgeIdToken = (claims) => other.signIdToken({ ...claims, sub: VICTIM_SUB });
      const agent = new Agent();
      const b = await before(h, WATCHED);
      await expectRefused(h, await h.loginOidc(agent, ATTACKER.username), b, assertionRefused('id_token_key_not_found', agent));
    });

    it("the same with our IdP's kid in the header", async () => {
      forgeIdToken = (claims) => {
        const ourKid = (JSON.parse(Buffer.from(h.oidc.signIdToken(claims).split('.')[0] ?? '', 'base64url').toString()) as Claims).kid;
        return other.signIdToken({ ...claims, sub: VICTIM_SUB }, { header: { kid: ourKid } });
      };
      const agent = new Agent();
      const b = await before(h, WATCHED);
      await expectRefused(h, await h.loginOidc(agent, ATTACKER.username), b, assertionRefused('id_token_signature_invalid', agent));
    });

    /** A real code of the other provider, for the attacker, and the `iss` it came with. */
    async function otherProvidersCode(): Promise<{ code: string; iss: string | null; callback: string }> {
      const callback = await oidcLoginUpToCallback(h, new Agent(), OTHER_ID, 'mallory', OTHER_PASSWORD);
      const u = new URL(callback);
      return { code: u.searchParams.get('code') ?? '', iss: u.searchParams.get('iss'), callback };
    }

    it("the other provider's code and iss delivered to this provider's callback with the victim's state", async () => {
      const victimBrowser = new Agent();
      const b = await before(h, WATCHED);
      const state = await startLogin(victimBrowser);
      const { code, iss } = await otherProvidersCode();
      expect(iss).toBe(other.issuer);
      const forged = `${h.url}/auth/${OIDC_ID}/callback?${new URLSearchParams({ code, state, iss: iss ?? '' })}`;
      await expectRefused(h, await victimBrowser.get(forged), b, assertionRefused('response_issuer_mismatch', victimBrowser));
    });

    it("the same with the other provider's iss stripped: our IdP promises iss (RFC 9207), so its absence is refused", async () => {
      const victimBrowser = new Agent();
      const b = await before(h, WATCHED);
      const state = await startLogin(victimBrowser);
      const { code } = await otherProvidersCode();
      const forged = `${h.url}/auth/${OIDC_ID}/callback?${new URLSearchParams({ code, state })}`;
      await expectRefused(h, await victimBrowser.get(forged), b, assertionRefused('response_issuer_missing', victimBrowser));
    });

    it("the other provider's whole callback opened on this provider's callback path", async () => {
      const agent = new Agent();
      const b = await before(h, WATCHED);
      const callback = await oidcLoginUpToCallback(h, agent, OTHER_ID, 'mallory', OTHER_PASSWORD);
      const moved = callback.replace(`/auth/${OTHER_ID}/callback`, `/auth/${OIDC_ID}/callback`);
      await expectRefused(h, await agent.get(moved), b, stateRefused('flow_state_missing', agent));
    });
  });

  describe('forged ID tokens for the victim (the IdP answers for the attacker; the transport swaps the token)', () => {
    it.each<[string, (claims: Claims, h: Harness) => string, string]>([
      ['alg none', (c) => unsignedToken({ ...c, sub: VICTIM_SUB }), 'id_token_unsigned'],
      ['alg "None" (case variant of none)', (c) => unsignedToken({ ...c, sub: VICTIM_SUB }, 'None'), 'id_token_alg_not_allowed'],
      ['HS256 keyed with the IdP RSA public key (algorithm confusion)', (c, hh) => hs256WithPublicKey({ ...c, sub: VICTIM_SUB }, hh.oidc.rsaPublicKey), 'id_token_alg_not_allowed'],
      ['wrong aud (signed by the IdP for another client)', (c, hh) => hh.oidc.signIdToken({ ...c, sub: VICTIM_SUB, aud: 'another-client' }), 'audience_mismatch'],
      ['several audiences without azp', (c, hh) => hh.oidc.signIdToken({ ...withoutAzp(c), sub: VICTIM_SUB, aud: ['gatehouse', 'another-client'] }), 'azp_missing'],
      ['expired (exp 2 min ago, beyond the 30 s tolerance)', (c, hh) => hh.oidc.signIdToken({ ...c, sub: VICTIM_SUB, iat: nowSeconds() - 600, exp: nowSeconds() - 120 }), 'id_token_expired'],
      ['wrong nonce (a token of another sign-in)', (c, hh) => hh.oidc.signIdToken({ ...c, sub: VICTIM_SUB, nonce: 'nonce-of-another-sign-in' }), 'nonce_mismatch'],
    ])('%s', async (_name, forge, reason) => {
      forgeIdToken = (claims) => forge(claims, h);
      const agent = new Agent();
      const b = await before(h, WATCHED);
      await expectRefused(h, await h.loginOidc(agent, ATTACKER.username), b, assertionRefused(reason, agent));
    });
  });

  it('callback replay: the same callback URL again, in the same browser and in a fresh one', async () => {
    const agent = new Agent();
    const callback = await h.oidcCallbackUrl(agent, 'replayer');
    expect((await agent.get(callback)).status).toBe(302);

    const sameBrowser = await before(h, WATCHED);
    await expectRefused(h, await agent.get(callback), sameBrowser, stateRefused('flow_state_missing'));
    // Still the replayer's own session, nothing more.
    expect((await h.me(agent)).json()).toMatchObject({ user: { email: 'replayer@example.com' } });

    const fresh = new Agent();
    const freshBrowser = await before(h, WATCHED);
    await expectRefused(h, await fresh.get(callback), freshBrowser, stateRefused('flow_state_missing', fresh));
  });
});
