/**
 * The OIDC adapter against a real OpenID Provider (oidc-provider) on 127.0.0.1: the browser's
 * round trip is driven by Agent through the demo IdP's login page, and stops at the redirect
 * to our callback (no gateway needed).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOidcAdapter, oidcFlowKey, type OidcAdapterDeps } from '../../../adapters/idp/oidc.ts';
import { startOidcIdp, type DemoOidcIdp, type DemoUser } from '../../../adapters/demo/oidc-idp.ts';
import { providerSchema, type OidcProviderConfig } from '../../../plugin/config/schema.ts';
import { ConfigError, GatehouseError } from '../../../plugin/errors.ts';
import type { FlowState, IdpAdapter } from '../../../plugin/ports.ts';
import { Agent, parseForm } from '../../support/agent.ts';

const BASE = 'http://127.0.0.1:3999';
const callbackOf = (id: string) => `${BASE}/auth/${id}/callback`;

const alice: DemoUser = {
  username: 'alice',
  password: 'alice-pw',
  email: 'Alice@Example.com',
  name: 'Alice Liddell',
  givenName: 'Alice',
  familyName: 'Liddell',
  groups: ['developers', 'chainloop_acme-corp_org-admin'],
};
const kc: DemoUser = {
  username: 'kc',
  email: 'kc@example.com',
  groups: [],
  extraClaims: { realm_access: { roles: ['admin', 'offline_access'] } },
};
const overage: DemoUser = {
  username: 'overage',
  email: 'big@example.com',
  groups: ['ignored'],
  extraClaims: { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.example/v1.0/users/x/getMemberObjects' } } },
};

let idp: DemoOidcIdp;

beforeAll(async () => {
  idp = await startOidcIdp({
    clients: [
      { clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [callbackOf('corp'), callbackOf('corp-b'), `${BASE}/sso/corp/return`] },
      { clientId: 'public-spa', redirectUris: [callbackOf('public')] },
      { clientId: 'ec-client', clientSecret: 'ec-secret', redirectUris: [callbackOf('ec')], idTokenSignedResponseAlg: 'ES256' },
    ],
    users: [alice, kc, overage],
  });
});
afterAll(() => idp.close());

function oidcConfig(input: Record<string, unknown>): OidcProviderConfig {
  const parsed = providerSchema.parse({
    id: 'corp',
    type: 'oidc',
    issuer: idp.issuer,
    clientId: 'gatehouse',
    clientSecret: 'gatehouse-secret',
    scopes: ['openid', 'email', 'profile', 'groups'],
    ...input,
  });
  if (parsed.type !== 'oidc') throw new TypeError('not oidc');
  return parsed;
}

function adapter(input: Record<string, unknown> = {}, deps: Partial<OidcAdapterDeps> = {}): IdpAdapter {
  return createOidcAdapter(oidcConfig(input), { baseUrl: BASE, keyPath: 'providers[0]', ...deps });
}

/** Browser part: authorization URL -> IdP login page -> form post -> redirects, up to our callback. */
async function signIn(agent: Agent, authUrl: string, user: { username: string; password?: string }): Promise<URL> {
  const toCallback = (r: { location: string | null }) => r.location?.startsWith(`${BASE}/`) ?? false;
  const first = await agent.follow(authUrl, { stopWhen: toCallback });
  const loginPage = first.at(-1);
  if (!loginPage || loginPage.status !== 200) throw new Error(`expected the login page, got ${loginPage?.status}`);
  const form = parseForm(loginPage.text, loginPage.url);
  form.fields.username = user.username;
  form.fields.password = user.password ?? '';
  const posted = await agent.postForm(form.action, form.fields);
  if (!posted.location) throw new Error(`login refused: ${posted.status} ${posted.text.slice(0, 200)}`);
  const rest = await agent.follow(posted.location, { stopWhen: toCallback });
  const last = rest.at(-1);
  if (!last?.location || !toCallback(last)) throw new Error(`no redirect to the callback: ${last?.status} ${last?.text.slice(0, 200)}`);
  return new URL(last.location);
}

async function loginToCallback(a: IdpAdapter, flow: FlowState, user = alice, returnTo = '/'): Promise<URL> {
  return signIn(new Agent(), await a.begin({ flow, returnTo }), user);
}

const complete = (a: IdpAdapter, flow: FlowState, url: URL) => a.complete({ flow, method: 'GET', url, body: {} });

async function expectFailure(p: Promise<unknown>, code: string, reason: string): Promise<GatehouseError> {
  const err = await p.then(
    () => expect.fail('expected a GatehouseError'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatehouseError);
  const ge = err as GatehouseError;
  expect({ code: ge.code, reason: ge.details?.reason }).toEqual({ code, reason });
  expect(ge.status).toBe(code === 'ERR_CONFIG_INVALID' ? 500 : 401);
  return ge;
}

describe('OIDC adapter: callbackUrl', () => {
  it("sends the provider's callbackUrl as redirect_uri and completes a login there", async () => {
    const a = adapter({ callbackUrl: `${BASE}/sso/corp/return` });
    const flow: FlowState = {};
    const start = new URL(await a.begin({ flow, returnTo: '/' }));
    expect(start.searchParams.get('redirect_uri')).toBe(`${BASE}/sso/corp/return`);
    const back = await signIn(new Agent(), start.href, alice);
    expect(back.pathname).toBe('/sso/corp/return');
    expect((await complete(a, flow, back)).subject).toBe('alice');
  });
});

describe('OIDC adapter: successful sign-in', () => {
  it('returns sub, ID token claims merged with userinfo (email, profile, groups) and the returnTo', async () => {
    let idToken = '';
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith('/token')) idToken = ((await res.clone().json()) as { id_token: string }).id_token;
      return res;
    };
    const a = adapter({}, { customFetch: recording });
    const flow: FlowState = {};
    const authUrl = new URL(await a.begin({ flow, returnTo: '/orgs/acme?tab=1' }));
    expect(authUrl.origin).toBe(idp.issuer);
    expect(Object.fromEntries(authUrl.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'gatehouse',
      redirect_uri: callbackOf('corp'),
      scope: 'openid email profile groups',
      code_challenge_method: 'S256',
    });
    const callback = await signIn(new Agent(), authUrl.href, alice);
    const result = await complete(a, flow, callback);
    expect(result.subject).toBe('alice');
    expect(result.returnTo).toBe('/orgs/acme?tab=1');
    expect(result.raw).toMatchObject({
      iss: idp.issuer,
      aud: 'gatehouse',
      sub: 'alice',
      email: 'Alice@Example.com',
      email_verified: true,
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      groups: ['developers', 'chainloop_acme-corp_org-admin'],
    });
    // The profile claims came from userinfo: the ID token itself carries none of them.
    const idTokenClaims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(idTokenClaims).toMatchObject({ sub: 'alice', aud: 'gatehouse' });
    expect(idTokenClaims.email).toBeUndefined();
    expect(idTokenClaims.groups).toBeUndefined();
    expect(flow[oidcFlowKey('corp')]).toBeUndefined();
  });

  it('sees a user’s new groups at the next sign-in', async () => {
    const a = adapter();
    idp.setUserGroups('kc', ['before']);
    let flow: FlowState = {};
    expect((await complete(a, flow, await loginToCallback(a, flow, kc))).raw.groups).toEqual(['before']);
    idp.setUserGroups('kc', ['after', 'more']);
    flow = {};
    expect((await complete(a, flow, await loginToCallback(a, flow, kc))).raw.groups).toEqual(['after', 'more']);
  });

  it('passes vendor claims through: Keycloak realm_access.roles, Azure groups overage pointers', async () => {
    const a = adapter();
    let flow: FlowState = {};
    const keycloak = await complete(a, flow, await loginToCallback(a, flow, kc));
    expect(keycloak.raw.realm_access).toEqual({ roles: ['admin', 'offline_access'] });
    flow = {};
    const azure = await complete(a, flow, await loginToCallback(a, flow, overage));
    expect(azure.raw.groups).toBeUndefined();
    expect(azure.raw._claim_names).toEqual({ groups: 'src1' });
    expect(azure.raw._claim_sources).toEqual({ src1: { endpoint: 'https://graph.example/v1.0/users/x/getMemberObjects' } });
  });

  it('keeps two providers and two tabs apart in one browser flow', async () => {
    const corp = adapter();
    const corpB = adapter({ id: 'corp-b' });
    const flow: FlowState = {};
    const tab1 = await loginToCallback(corp, flow, alice, '/one');
    const other = await loginToCallback(corpB, flow, alice, '/b');
    const tab2 = await loginToCallback(corp, flow, alice, '/two');
    expect((await complete(corp, flow, tab2)).returnTo).toBe('/two');
    expect((await complete(corpB, flow, other)).returnTo).toBe('/b');
    expect((await complete(corp, flow, tab1)).returnTo).toBe('/one');
    expect(Object.keys(flow)).toEqual([]);
  });

  it('signs in a public client (PKCE, no secret) and an ES256-pinned client', async () => {
    let flow: FlowState = {};
    const pub = adapter({ id: 'public', clientId: 'public-spa', clientSecret: undefined });
    expect((await complete(pub, flow, await loginToCallback(pub, flow))).subject).toBe('alice');
    flow = {};
    const ec = adapter({ id: 'ec', clientId: 'ec-client', clientSecret: 'ec-secret', idTokenSignedResponseAlg: 'ES256' });
    expect((await complete(ec, flow, await loginToCallback(ec, flow))).subject).toBe('alice');
  });
});

describe('demo OIDC IdP login page', () => {
  /** Posts the page's n-th form (0: username + password, then the one-click user list). */
  async function postNthForm(agent: Agent, authUrl: string, n: number, fields: Record<string, string> = {}) {
    const page = (await agent.follow(authUrl)).at(-1)!;
    const html = [...page.text.matchAll(/<form\b[\s\S]*?<\/form>/gi)].map((m) => m[0])[n] ?? '';
    const form = parseForm(html, page.url);
    return agent.postForm(form.action, { ...form.fields, ...fields });
  }

  it('signs a demo user in with one click, and refuses a wrong password', async () => {
    const a = adapter();
    const flow: FlowState = {};
    const agent = new Agent();
    const picked = await postNthForm(agent, await a.begin({ flow, returnTo: '/' }), 1);
    expect(picked.status).toBe(303);
    const hops = await agent.follow(picked.location!, { stopWhen: (r) => r.location?.startsWith(BASE) ?? false });
    expect((await complete(a, flow, new URL(hops.at(-1)!.location!))).subject).toBe('alice');

    const wrong = await postNthForm(new Agent(), await a.begin({ flow: {}, returnTo: '/' }), 0, { username: 'alice', password: 'nope' });
    expect(wrong.status).toBe(200);
    expect(wrong.text).toContain('wrong password');
  });

  it('with userPicker "passwordless", refuses a one-click sign-in of a user who has a password', async () => {
    const strict = await startOidcIdp({
      clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [callbackOf('corp')] }],
      users: [alice],
      userPicker: 'passwordless',
    });
    try {
      const a = adapter({ issuer: strict.issuer });
      const agent = new Agent();
      const authUrl = await a.begin({ flow: {}, returnTo: '/' });
      const page = (await agent.follow(authUrl)).at(-1)!;
      expect(page.text).not.toContain('name="pick"');
      const form = parseForm(page.text, page.url);
      const res = await agent.postForm(form.action, { username: 'alice', pick: '1' });
      expect(res.status).toBe(200);
      expect(res.text).toContain('wrong password');
    } finally {
      await strict.close();
    }
  });
});

describe('OIDC adapter: state and flow', () => {
  it('refuses a tampered state', async () => {
    const a = adapter();
    const flow: FlowState = {};
    const callback = await loginToCallback(a, flow);
    callback.searchParams.set('state', 'attacker-chosen');
    await expectFailure(complete(a, flow, callback), 'ERR_STATE_MISMATCH', 'state_mismatch');
  });

  it('refuses a callback without state', async () => {
    const a = adapter();
    const flow: FlowState = {};
    const callback = await loginToCallback(a, flow);
    callback.searchParams.delete('state');
    await expectFailure(complete(a, flow, callback), 'ERR_STATE_MISMATCH', 'state_missing');
  });

  it('refuses a code carried to another browser (no flow there)', async () => {
    const a = adapter();
    const callback = await loginToCallback(a, {});
    await expectFailure(complete(a, {}, callback), 'ERR_STATE_MISMATCH', 'flow_state_missing');
  });

  it('refuses an ID token whose nonce is not the one this flow sent', async () => {
    const a = adapter();
    const flow: FlowState = {};
    const callback = await loginToCallback(a, flow);
    const pending = flow[oidcFlowKey('corp')] as Record<string, { nonce: string }>;
    for (const p of Object.values(pending)) p.nonce = 'another-nonce';
    await expectFailure(complete(a, flow, callback), 'ERR_INVALID_ASSERTION', 'nonce_mismatch');
  });

  it('uses a flow once, and the IdP refuses the same code twice (callback replay)', async () => {
    const a = adapter();
    const flow: FlowState = {};
    const callback = await loginToCallback(a, flow);
    const snapshot = structuredClone(flow);
    await complete(a, flow, callback);
    await expectFailure(complete(a, flow, callback), 'ERR_STATE_MISMATCH', 'flow_state_missing');
    const ge = await expectFailure(complete(a, snapshot, callback), 'ERR_INVALID_ASSERTION', 'authorization_code_rejected');
    expect(ge.details?.error).toBe('invalid_grant');
  });

  it('refuses a callback whose RFC 9207 iss parameter names another issuer (mix-up)', async () => {
    const a = adapter();
    const flow: FlowState = {};
    const callback = await loginToCallback(a, flow);
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
    callback.searchParams.set('iss', 'http://127.0.0.1:1');
    await expectFailure(complete(a, flow, callback), 'ERR_INVALID_ASSERTION', 'response_issuer_mismatch');
  });

  it('refuses a callback without code, and a callback that is not a GET', async () => {
    const a = adapter();
    let flow: FlowState = {};
    const callback = await loginToCallback(a, flow);
    callback.searchParams.delete('code');
    await expectFailure(complete(a, flow, callback), 'ERR_INVALID_ASSERTION', 'code_missing');
    flow = {};
    const url = await loginToCallback(a, flow);
    await expectFailure(a.complete({ flow, method: 'POST', url, body: {} }), 'ERR_INVALID_ASSERTION', 'unexpected_method');
  });

  it('refuses a flow older than flowMaxAgeMs', async () => {
    let clock = Date.now();
    const a = adapter({}, { now: () => clock, flowMaxAgeMs: 60_000 });
    const flow: FlowState = {};
    const callback = await loginToCallback(a, flow);
    clock += 61_000;
    await expectFailure(complete(a, flow, callback), 'ERR_STATE_MISMATCH', 'flow_state_expired');
  });

  it('reports an error answer of the IdP (user cancels) as 401 idp_error', async () => {
    const a = adapter();
    const flow: FlowState = {};
    const agent = new Agent();
    const page = (await agent.follow(await a.begin({ flow, returnTo: '/' }))).at(-1)!;
    const cancel = parseForm(page.text, page.url).action.replace(/\/login$/, '/abort');
    const hops = await agent.follow((await agent.postForm(cancel, {})).location!, { stopWhen: (r) => r.location?.startsWith(BASE) ?? false });
    const callback = new URL(hops.at(-1)!.location!);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const ge = await expectFailure(complete(a, flow, callback), 'ERR_INVALID_ASSERTION', 'idp_error');
    expect(ge.details?.error).toBe('access_denied');
    expect(flow[oidcFlowKey('corp')]).toBeUndefined();
  });
});

describe('OIDC adapter: configuration and discovery', () => {
  it('refuses unsigned or symmetric ID token algorithms and plain-http remote issuers at start', () => {
    expect(() => adapter({ idTokenSignedResponseAlg: 'none' })).toThrow(ConfigError);
    expect(() => adapter({ idTokenSignedResponseAlg: 'HS256' })).toThrow(/idTokenSignedResponseAlg/);
    expect(() => adapter({ issuer: 'http://idp.example.com' })).toThrow(/providers\[0\]\.issuer/);
    expect(() => adapter({ issuer: 'http://idp.example.com', allowInsecureRequests: true })).not.toThrow();
    expect(() => adapter({ allowInsecureRequests: false })).toThrow(/must be https/);
  });

  it('discovers lazily and tries again after a failed discovery', async () => {
    let calls = 0;
    let down = true;
    const customFetch: typeof fetch = async (input, init) => {
      calls++;
      if (down) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const a = adapter({}, { customFetch });
    expect(calls).toBe(0);
    const ge = await expectFailure(a.begin({ flow: {}, returnTo: '/' }), 'ERR_CONFIG_INVALID', 'discovery_failed');
    expect(ge.message).toContain('discovery');
    down = false;
    await expect(a.begin({ flow: {}, returnTo: '/' })).resolves.toMatch(/^http:\/\/127\.0\.0\.1/);
    const afterSuccess = calls;
    await a.begin({ flow: {}, returnTo: '/' });
    expect(calls).toBe(afterSuccess);
  });
});

describe('IdP signing key rollover', () => {
  it('keeps logging in when the IdP replaces its signing keys (new kid), with no config change and the same adapter', async () => {
    const { freePort } = await import('../../support/ports.ts');
    const port = await freePort();
    const clients = [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [callbackOf('corp')] }];
    let rolling = await startOidcIdp({ port, clients, users: [alice] });
    try {
      const a = createOidcAdapter(oidcConfig({ issuer: rolling.issuer }), { baseUrl: BASE, keyPath: 'providers[0]' });
      // A connection of its own each time: the pooled one to the stopped IdP is gone.
      const { request } = await import('node:http');
      const kidOf = () =>
        new Promise<string[]>((resolve, reject) => {
          request(`${rolling.issuer}/jwks`, { agent: false }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve((JSON.parse(body) as { keys: { kid: string }[] }).keys.map((k) => k.kid)));
          })
            .on('error', reject)
            .end();
        });
      const before = await kidOf();
      let flow: FlowState = {};
      expect((await complete(a, flow, await loginToCallback(a, flow))).subject).toBeTruthy();
      // The same issuer comes back with new keys: the old kid is gone from its JWKS. A JWKS held
      // over 60 s is fetched again on an unknown kid (sooner, an unknown kid is refused: a token
      // with made-up kids must not make us fetch the JWKS on every request).
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 61_000);
      await rolling.close();
      rolling = await startOidcIdp({ port, clients, users: [alice] });
      const after = await kidOf();
      expect(after.some((k) => before.includes(k))).toBe(false);
      flow = {};
      const again = await complete(a, flow, await loginToCallback(a, flow));
      expect(again.raw.email).toBe('Alice@Example.com');
    } finally {
      vi.useRealTimers();
      await rolling.close();
    }
  });
});
