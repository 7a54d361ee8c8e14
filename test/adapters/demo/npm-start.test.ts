/**
 * `npm start` serves the demo: a person (here, a script) signs in through the built-in OIDC
 * provider and the built-in SAML IdP, and `/auth/me` shows the user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, parseForm } from '../../support/agent.ts';
import { freePort } from '../../support/ports.ts';
import { startDemoProcess, type DemoProcess } from '../../support/demo-process.ts';

describe('npm start (demo gateway)', () => {
  let demo: DemoProcess;
  let url: string;

  beforeAll(async () => {
    demo = await startDemoProcess([], { GATEHOUSE_PORT: String(await freePort()) });
    url = demo.url;
  }, 60_000);

  afterAll(() => demo?.stop());

  it('prints the URL and serves a landing page with both sign-in links', async () => {
    const res = await new Agent().get(`${url}/`, { accept: 'text/html' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('/auth/demo-oidc/login');
    expect(res.text).toContain('/auth/demo-saml/login');
  });

  it('a scripted login through the demo OIDC provider ends in a session whose /auth/me shows the user', async () => {
    const a = new Agent();
    let res = await a.get(`${url}/auth/demo-oidc/login`);
    for (let i = 0; i < 10 && res.location; i++) res = await a.get(res.location);
    const form = parseForm(res.text, res.url, (inner) => inner.includes('name="password"'));
    res = await a.postForm(form.action, { ...form.fields, username: 'alice', password: 'alice' });
    for (let i = 0; i < 10 && res.location && !res.location.startsWith(`${url}/`); i++) res = await a.get(res.location);
    if (res.location?.includes('/callback')) res = await a.get(res.location);
    const me = await a.get(`${url}/auth/me`, { accept: 'application/json' });
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({
      user: { email: 'alice@example.com', status: 'active' },
      memberships: expect.arrayContaining([
        { organization: 'acme-corp', roles: ['admin'], groups: ['compliance-team', 'developers', 'development-team'] },
        { organization: 'home-lab', roles: ['Admin'], groups: [] },
      ]),
    });
    const landing = await a.get(`${url}/`, { accept: 'text/html' });
    expect(landing.text).toContain('alice@example.com');
  });

  it('a scripted login through the demo SAML IdP ends in a session whose /auth/me shows the user', async () => {
    const a = new Agent();
    const start = await a.get(`${url}/auth/demo-saml/login`);
    const page = await a.get(start.location!);
    const form = parseForm(page.text, page.url, (inner) => inner.includes('name="username"'));
    const posted = await a.postForm(form.action, { ...form.fields, username: 'carol', password: 'carol' });
    const auto = parseForm(posted.text, posted.url, (inner) => inner.includes('SAMLResponse'));
    const acs = await a.postForm(auto.action, auto.fields);
    expect(acs.status).toBe(302);
    const me = await a.get(`${url}/auth/me`, { accept: 'application/json' });
    expect(me.json()).toMatchObject({
      user: { email: 'carol@example.com', status: 'active' },
      memberships: expect.arrayContaining([{ organization: 'home-lab', roles: ['Member'], groups: [] }]),
    });
  });
});
