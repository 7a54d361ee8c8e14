/**
 * Home-realm discovery over HTTP against the gateway: the email's domain picks the provider
 * (an organization-only SAML provider reached only that way), an unknown domain gets the normal
 * chooser, the answer never depends on whether the address has an account, and `returnTo` stays
 * same-origin all the way through the login.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../support/agent.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness } from '../support/harness.ts';
import { loginThroughOidc, loginThroughSaml } from '../support/idp-login.ts';

/** The URL a discovery page's meta refresh moves on to. */
function onward(page: string): string | null {
  const m = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(page);
  return m ? m[1]!.replace(/&amp;/g, '&') : null;
}
const loginLinks = (page: string) => [...page.matchAll(/href="(\/auth\/[^/"]+\/login[^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

describe('home-realm discovery (SQLite)', { timeout: 60_000 }, () => {
  let h: Harness;
  const discover = (agent: Agent, query: Record<string, string>) => agent.get(`${h.url}/auth/discover?${new URLSearchParams(query)}`);

  beforeAll(async () => {
    h = await startHarness({
      db: 'sqlite',
      users: [
        { username: 'alice', email: 'alice@example.com', groups: [] },
        { username: 'pat', email: 'pat@partner.test', groups: [] },
      ],
      config: (c) => ({
        ...c,
        providers: c.providers!.map((p) =>
          p.id === OIDC_ID ? { ...p, domains: ['example.com'] } : { ...p, domains: ['partner.test', 'partner-eu.test'], discoverableOnly: true, organization: 'home-lab', provisioning: { static: [{ organization: 'home-lab', role: 'Member' }] } },
        ),
      }),
    });
    // alice has an account; nobody@example.com never signed in.
    await h.loginOidc(new Agent(), 'alice');
  }, 60_000);
  afterAll(async () => h?.close());

  it('lists only the providers not kept for their domains on the start page, under an email field', async () => {
    const res = await new Agent().get(`${h.url}/`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('action="/auth/discover"');
    expect(loginLinks(res.text)).toEqual([`/auth/${OIDC_ID}/login`]);
  });

  it('sends an address of a claimed domain on to that provider, with the email as the OIDC login_hint', async () => {
    const agent = new Agent();
    const res = await discover(agent, { email: 'Alice@Example.COM' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self'");
    const next = onward(res.text);
    expect(next).toBe(`/auth/${OIDC_ID}/login?login_hint=Alice%40Example.COM`);
    const start = await agent.get(`${h.url}${next}`);
    expect(start.status).toBe(302);
    expect(new URL(start.location!).searchParams.get('login_hint')).toBe('Alice@Example.COM');
  });

  it('answers the same for an address with an account and one without (no enumeration)', async () => {
    const known = await discover(new Agent(), { email: 'alice@example.com' });
    const unknown = await discover(new Agent(), { email: 'nobody@example.com' });
    expect(unknown.status).toBe(known.status);
    expect(unknown.text.replaceAll('nobody', 'alice')).toBe(known.text);
  });

  it('sends the domain of an organization-only provider to it, and the login completes into its organization', async () => {
    const agent = new Agent();
    const res = await discover(agent, { email: 'pat@partner-eu.test', returnTo: '/orders?id=7' });
    const next = onward(res.text);
    expect(next).toBe(`/auth/${SAML_ID}/login?returnTo=%2Forders%3Fid%3D7&login_hint=pat%40partner-eu.test`);
    const done = await loginThroughSaml(agent, `${h.url}${next}`, 'pat');
    expect(done.status).toBe(302);
    expect(done.location).toBe(`${h.url}/orders?id=7`);
    const me = (await h.me(agent)).json<{ memberships: { organization: string; roles: string[] }[] }>();
    expect(me.memberships).toEqual([expect.objectContaining({ organization: 'home-lab', roles: ['Member'] })]);
  });

  it('shows the normal chooser, without the organization-only provider, for a domain nobody claims', async () => {
    const res = await discover(new Agent(), { email: 'someone@unknown.test', returnTo: '/orders' });
    expect(res.status).toBe(200);
    expect(onward(res.text)).toBeNull();
    expect(res.text).toContain('No identity provider is set up for <strong>unknown.test</strong>');
    expect(loginLinks(res.text)).toEqual([`/auth/${OIDC_ID}/login?returnTo=%2Forders`]);
  });

  it('drops a returnTo that leaves the origin, and the login lands on /', async () => {
    const agent = new Agent();
    const res = await discover(agent, { email: 'alice@example.com', returnTo: '//evil.test/steal' });
    const next = onward(res.text)!;
    expect(next).toBe(`/auth/${OIDC_ID}/login?login_hint=alice%40example.com`);
    const done = await loginThroughOidc(agent, `${h.url}${next}`, `${h.url}/auth/${OIDC_ID}/callback`, 'alice');
    expect(done.location).toBe(`${h.url}/`);
  });

  it('answers 400 naming the email field for an address without a domain, with the chooser again', async () => {
    for (const email of ['alice', '', '@example.com', `${'a'.repeat(320)}@example.com`]) {
      const res = await discover(new Agent(), { email });
      expect(res.status, email).toBe(400);
      expect(res.text).toContain('role="alert">email: enter your work email address');
      expect(loginLinks(res.text)).toEqual([`/auth/${OIDC_ID}/login`]);
    }
    const twice = await new Agent().get(`${h.url}/auth/discover?email=a@example.com&email=b@example.com`);
    expect(twice.status).toBe(400);
  });

  it('keeps the organization-only provider off the console sign-in too', async () => {
    const res = await new Agent().get(`${h.url}/admin/sign-in?returnTo=%2Fadmin%2Fusers`);
    expect(res.text).toContain('action="/auth/discover"');
    expect(res.text).toContain('name="returnTo" value="/admin/users"');
    expect(loginLinks(res.text)).toEqual([`/auth/${OIDC_ID}/login?returnTo=%2Fadmin%2Fusers`]);
  });
});
