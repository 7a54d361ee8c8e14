/**
 * SAML login CSRF on an https deployment behind a TLS-terminating proxy: the flow cookie is
 * SameSite=None, so it rides along on the IdP's cross-site POST, and a response that is not the
 * answer to one of this browser's pending logins must be refused (docs/security.md, docs/saml.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, parseForm, type AgentResponse } from '../support/agent.ts';
import { SAML_ID, startHarness, type Harness } from '../support/harness.ts';

const PUBLIC = 'https://gatehouse.test';
/** What the TLS-terminating proxy adds to every request it forwards. */
const PROXIED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gatehouse.test' };

describe('SAML login CSRF (https behind a proxy)', () => {
  let h: Harness;
  const local = (u: string) => u.replace(PUBLIC, h.url);

  beforeAll(async () => {
    h = await startHarness({
      db: 'sqlite',
      config: (c) => ({
        ...c,
        server: { ...c.server!, baseUrl: PUBLIC, trustProxy: true },
        providers: c.providers!.map((p) => (p.id === SAML_ID ? { ...p, allowIdpInitiated: true } : p)),
      }),
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A browser going through the proxy: public URLs are sent to the gateway with the proxy's headers. */
  const viaProxy = (agent: Agent, url: string, form?: Record<string, string>): Promise<AgentResponse> =>
    agent.request(local(url), form ? { method: 'POST', body: new URLSearchParams(form), headers: PROXIED } : { headers: PROXIED });

  /** SP-initiated login up to the IdP's auto-post page: what the browser would POST to the ACS. */
  async function responseFor(agent: Agent, username: string): Promise<{ acs: string; fields: Record<string, string> }> {
    const start = await viaProxy(agent, `${PUBLIC}/auth/${SAML_ID}/login`);
    expect(start.status).toBe(302);
    expect(start.headers.getSetCookie().join('\n')).toMatch(/gatehouse\.flow=.*SameSite=None/i);
    const page = await agent.get(start.location!);
    const form = parseForm(page.text, page.url, (inner) => inner.includes('name="username"'));
    const posted = await agent.postForm(form.action, { ...form.fields, username, password: 'pw' });
    const auto = parseForm(posted.text, posted.url, (inner) => inner.includes('SAMLResponse'));
    return { acs: auto.action, fields: auto.fields };
  }

  /** The victim's browser with a login pending (flow cookie set), never finished. */
  async function victimWithPendingLogin(): Promise<Agent> {
    const victim = new Agent();
    const start = await viaProxy(victim, `${PUBLIC}/auth/${SAML_ID}/login`);
    expect(start.status).toBe(302);
    expect(victim.cookieHeader(h.url)).toContain('gatehouse.flow=');
    return victim;
  }

  async function lastLoginAudit(): Promise<{ outcome: string; details: Record<string, unknown> }> {
    const row = await h.gateway.knex('gh_audit').where({ action: 'login', provider: SAML_ID }).orderBy('id', 'desc').first();
    return { outcome: row.outcome, details: JSON.parse(row.details) };
  }

  it.each([
    ['an unknown RelayState', (f: Record<string, string>) => ({ SAMLResponse: f.SAMLResponse!, RelayState: 'attacker-chosen' })],
    ['no RelayState', (f: Record<string, string>) => ({ SAMLResponse: f.SAMLResponse! })],
    ['the RelayState of the attacker’s own login', (f: Record<string, string>) => f],
  ])("the attacker's response posted into a victim's pending login with %s is refused", async (_, forge) => {
    const attacker = new Agent();
    const { acs, fields } = await responseFor(attacker, 'dave');
    const victim = await victimWithPendingLogin();

    const res = await viaProxy(victim, acs, forge(fields));
    expect(res.status).toBe(401);
    expect((await h.me(victim)).status).toBe(401);
    expect(await lastLoginAudit()).toMatchObject({ outcome: 'invalid_assertion', details: { reason: 'relay_state_mismatch' } });

    // Nothing was consumed: the attacker can still finish their own login in their own browser.
    expect((await viaProxy(attacker, acs, fields)).status).toBe(302);
  });

  it("the attacker's response posted into a browser with no login pending (no flow cookie) is refused on https", async () => {
    const attacker = new Agent();
    for (const forge of [(f: Record<string, string>) => f, (f: Record<string, string>) => ({ SAMLResponse: f.SAMLResponse! })]) {
      const { acs, fields } = await responseFor(attacker, 'dave');
      const victim = new Agent();
      const res = await viaProxy(victim, acs, forge(fields));
      expect(res.status).toBe(401);
      expect((await h.me(victim)).status).toBe(401);
      expect(await lastLoginAudit()).toMatchObject({ outcome: 'invalid_assertion', details: { reason: 'no_pending_login' } });
      // Nothing was consumed: the attacker can still finish their own login in their own browser.
      expect((await viaProxy(attacker, acs, fields)).status).toBe(302);
    }
  });

  it("a victim's own login still succeeds and lands on its returnTo", async () => {
    const victim = new Agent();
    const start = await viaProxy(victim, `${PUBLIC}/auth/${SAML_ID}/login?returnTo=${encodeURIComponent('/after')}`);
    const page = await victim.get(start.location!);
    const form = parseForm(page.text, page.url, (inner) => inner.includes('name="username"'));
    const posted = await victim.postForm(form.action, { ...form.fields, username: 'alice', password: 'pw' });
    const auto = parseForm(posted.text, posted.url, (inner) => inner.includes('SAMLResponse'));
    const res = await viaProxy(victim, auto.action, auto.fields);
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${h.url}/after`);
    expect((await h.me(victim)).json()).toMatchObject({ user: { email: 'alice@example.com' } });
  });

  it('two pending logins in one browser (two tabs): each answer is taken under its own RelayState', async () => {
    const browser = new Agent();
    const first = await responseFor(browser, 'alice');
    const second = await responseFor(browser, 'alice');
    expect((await viaProxy(browser, second.acs, second.fields)).status).toBe(302);
    expect((await viaProxy(browser, first.acs, first.fields)).status).toBe(302);
  });

  it('IdP-initiated (allowIdpInitiated): accepted as documented, its RelayState ignored, even with a flow cookie', async () => {
    const browser = await victimWithPendingLogin();
    const acs = `${PUBLIC}/auth/${SAML_ID}/callback`;
    const unsolicited = h.saml.buildResponse({
      user: { username: 'bob', email: 'bob@example.org', groups: [] },
      acsUrl: acs,
      spEntityId: 'urn:gatehouse:test-sp',
    });
    const res = await viaProxy(browser, acs, { SAMLResponse: unsolicited, RelayState: '//evil.example/' });
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${h.url}/`);
    expect((await h.me(browser)).json()).toMatchObject({ user: { email: 'bob@example.org' } });
  });
});
