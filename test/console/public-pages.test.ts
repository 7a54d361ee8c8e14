/**
 * The pages a new user sees first: the gateway's landing page and the demo IdPs' sign-in pages
 * carry the console's look and security headers, and every one of these servers answers
 * `/favicon.ico` with an image that browsers may cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, parseForm, type AgentResponse } from '../support/agent.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness } from '../support/harness.ts';

function expectPageHeaders(res: AgentResponse): void {
  expect(res.status).toBe(200);
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('referrer-policy')).toBe('same-origin');
  // The console's look: its stylesheet and frame.
  expect(res.text).toContain('class="topbar"');
  expect(res.text).toContain('<style>');
}

describe('landing page, demo IdP pages and favicon', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ db: 'sqlite' });
  });
  afterAll(() => h?.close());

  it('GET / signed out: the console look, sign-in links and the security headers', async () => {
    const res = await new Agent().get(`${h.url}/`, { accept: 'text/html' });
    expectPageHeaders(res);
    expect(res.text).toContain(`/auth/${OIDC_ID}/login`);
    expect(res.text).toContain(`/auth/${SAML_ID}/login`);
  });

  it('GET / signed in: who you are and your memberships, same headers', async () => {
    const a = new Agent();
    await h.loginOidc(a, 'alice');
    const res = await a.get(`${h.url}/`, { accept: 'text/html' });
    expectPageHeaders(res);
    expect(res.text).toContain('alice@example.com');
    expect(res.text).toContain('acme-corp');
    expect(res.text).toContain('action="/auth/logout"');
  });

  it('the demo OIDC provider\'s sign-in page has the look and the headers; its form may lead back to the gateway', async () => {
    const a = new Agent();
    const start = await a.get(`${h.url}/auth/${OIDC_ID}/login`);
    let res = await a.get(start.location!);
    for (let i = 0; i < 10 && res.location; i++) res = await a.get(res.location);
    expect(res.text).toContain('name="password"');
    expectPageHeaders(res);
    expect(res.headers.get('content-security-policy')).toMatch(new RegExp(`form-action 'self' ${h.url.replace(/[.]/g, '\\.')}`));
  });

  it('the demo SAML IdP\'s sign-in and auto-post pages have the look and the headers', async () => {
    const a = new Agent();
    const start = await a.get(`${h.url}/auth/${SAML_ID}/login`);
    const login = await a.get(start.location!);
    expect(login.text).toContain('name="username"');
    expectPageHeaders(login);
    const form = parseForm(login.text, login.url, (inner) => inner.includes('name="username"'));
    const posted = await a.postForm(form.action, { ...form.fields, username: 'carol', password: 'pw' });
    expectPageHeaders(posted);
    // The auto-post script is allowed by its hash, and the form may post to the gateway's ACS.
    expect(posted.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/);
    expect(posted.headers.get('content-security-policy')).toContain(`form-action 'self' ${h.url}`);
  });

  it.each(['gateway', 'oidc', 'saml'])('%s: /favicon.ico is an image with caching headers', async (which) => {
    const base = which === 'gateway' ? h.url : which === 'oidc' ? h.oidc.issuer : h.saml.url;
    const res = await fetch(`${base}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\//);
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    const again = await fetch(`${base}/favicon.ico`, { headers: { 'if-none-match': res.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
  });
});
