/**
 * The admin console over plain HTTP on every database: who gets in (redirect, 403), CSRF on
 * every form, PRG with a flash message, the same audit entries as the admin API, security
 * headers (strict CSP, also on the waiting room), assets and their cache headers, escaping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, decodeEntities, type AgentResponse } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { DEFAULT_USERS, OIDC_ID, startHarness, type Harness } from '../support/harness.ts';

const HTML = { accept: 'text/html' };
const csrfOf = (res: AgentResponse): string => decodeEntities(/name="_csrf" value="([^"]+)"/.exec(res.text)?.[1] ?? '');

describe.each(DB_KINDS)('admin console over HTTP on %s', (kind) => {
  let h: Harness;
  const admin = new Agent();
  const plain = new Agent();
  const at = (path: string) => `${h.url}${path}`;

  beforeAll(async () => {
    h = await startHarness({
      db: kind,
      users: [
        ...DEFAULT_USERS,
        { username: 'root', email: 'root@example.com', groups: [] },
        { username: 'mallory', email: 'mallory@example.com', givenName: '<img src=x onerror=alert(1)>', familyName: '"quoted"', groups: [] },
        { username: 'pending', email: 'pending@example.com', groups: [] },
      ],
      config: (c) => ({ ...c, provisioning: { ...c.provisioning, instanceAdmins: ['root@example.com'] } }),
    });
    await h.loginOidc(admin, 'root');
    await h.loginOidc(plain, 'mallory');
  });
  afterAll(() => h.close());

  it('redirects a visitor without a session to the sign-in chooser, which links to each provider with a console returnTo', async () => {
    const res = await new Agent().get(at('/admin/users?q=x'), HTML);
    expect(res.status).toBe(302);
    expect(res.location).toBe(at('/admin/sign-in?returnTo=%2Fadmin%2Fusers%3Fq%3Dx'));
    const chooser = await new Agent().get(res.location!, HTML);
    expect(chooser.status).toBe(200);
    expect(chooser.text).toContain(`href="/auth/${OIDC_ID}/login?returnTo=%2Fadmin%2Fusers%3Fq%3Dx"`);
    expect(chooser.text).toContain('href="/auth/corp-saml/login?returnTo=%2Fadmin%2Fusers%3Fq%3Dx"');
    // Only console paths come back: no open redirect through returnTo.
    for (const evil of ['https://evil.example/', '//evil.example/admin', '/auth/me']) {
      const page = await new Agent().get(at(`/admin/sign-in?returnTo=${encodeURIComponent(evil)}`), HTML);
      expect(page.text).toContain(`href="/auth/${OIDC_ID}/login?returnTo=%2Fadmin"`);
    }
    expect((await new Agent().postForm(at('/admin/allowlist'), { entry: 'x@example.com' })).status).toBe(401);
  });

  it('logs the admin in through the chooser link and comes back to the console page', async () => {
    const agent = new Agent();
    const back = await h.loginOidc(agent, 'root', { returnTo: '/admin/audit' });
    expect(back.location).toBe(at('/admin/audit'));
    expect((await agent.get(at('/admin/audit'), HTML)).status).toBe(200);
  });

  it('answers 403 to a signed-in user who is not an instance admin, for pages and forms', async () => {
    const page = await plain.get(at('/admin/users'), HTML);
    expect(page.status).toBe(403);
    expect(page.text).toContain('Access denied');
    expect(page.text).toContain('mallory@example.com');
    const form = await plain.postForm(at('/admin/allowlist'), { entry: 'x@example.com', _csrf: 'whatever' });
    expect(form.status).toBe(403);
  });

  it('renders every page for an admin with a strict CSP and no inline script or style', async () => {
    const mallory = await h.gateway.store.findUserByEmail('mallory@example.com');
    for (const path of ['/admin/waiting-room', '/admin/users', `/admin/users/${mallory!.id}`, `/admin/users/${mallory!.id}/delete`, '/admin/users/new', '/admin/users/new?org=acme-corp', '/admin/organizations', '/admin/providers', `/admin/providers/${OIDC_ID}`, `/admin/providers/${OIDC_ID}/provisioning`, '/admin/providers/new', '/admin/providers/new?type=saml', '/admin/policies', '/admin/allowlist', '/admin/scim-tokens', '/admin/admin-tokens', '/admin/webhooks', '/admin/audit', '/admin/explain']) {
      const res = await admin.get(at(path), HTML);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toMatch(/style-src 'self'(;|$)/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).toMatch(/form-action 'self'/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.text).not.toMatch(/<script>|<script [^>]*>[^<]|<style>|<[^>]+\sstyle=|<[^>]+\son[a-z]+=/i);
      expect(res.text).toContain('<a class="skip" href="#main">');
      expect(res.text).toContain('<nav class="sidenav" aria-label="Console sections">');
    }
    expect((await admin.get(at('/admin/nothing-here'), HTML)).status).toBe(404);
  });

  it('escapes what users control (names from the IdP)', async () => {
    const res = await admin.get(at('/admin/users'), HTML);
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;');
    expect(res.text).not.toContain('<img src=x');
  });

  it('serves the stylesheet and script with their content types and a year of cache on the versioned URL', async () => {
    const page = await admin.get(at('/admin/users'), HTML);
    const css = /href="(\/admin\/assets\/console\.css\?v=[^"]+)"/.exec(page.text)?.[1];
    const js = /src="(\/admin\/assets\/console\.js\?v=[^"]+)"/.exec(page.text)?.[1];
    expect(css && js).toBeTruthy();
    const cssRes = await new Agent().get(at(css!));
    expect(cssRes.status).toBe(200);
    expect(cssRes.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(cssRes.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const jsRes = await new Agent().get(at(js!));
    expect(jsRes.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = jsRes.headers.get('etag')!;
    expect((await new Agent().get(at(js!), { 'if-none-match': etag })).status).toBe(304);
    expect((await new Agent().get(at('/admin/assets/console.js'))).headers.get('cache-control')).toBe('no-cache');
    expect((await new Agent().get(at('/admin/assets/..%2F..%2Frouter.ts'))).status).toBe(404);
    expect((await new Agent().get(at('/admin/assets/nope.js'))).status).toBe(404);
  });

  it('refuses a POST without the CSRF token, with a wrong one, or with another session\'s (403), and writes nothing', async () => {
    const other = new Agent();
    await h.loginOidc(other, 'root');
    const othersToken = csrfOf(await other.get(at('/admin/allowlist'), HTML));
    const mine = csrfOf(await admin.get(at('/admin/allowlist'), HTML));
    expect(mine).not.toBe('');
    expect(othersToken).not.toBe(mine);
    for (const _csrf of [undefined, '', 'forged', othersToken]) {
      const res = await admin.postForm(at('/admin/allowlist'), { entry: 'csrf@example.com', ...(_csrf === undefined ? {} : { _csrf }) });
      expect(res.status).toBe(403);
      expect(res.text).toContain('CSRF');
    }
    // JSON is not a way around it either.
    expect((await admin.request(at('/admin/allowlist'), { json: { entry: 'csrf@example.com' } })).status).toBe(403);
    expect((await h.gateway.store.listAllowlist()).map((e) => e.entry)).not.toContain('csrf@example.com');
  });

  it('approves through a form: 303 back to the page, a flash message once, and the audit entry names the admin', async () => {
    await h.gateway.store.setSetting(`provider:${OIDC_ID}:firstLoginPolicy`, 'pending_approval');
    const waiting = new Agent();
    const login = await h.loginOidc(waiting, 'pending');
    expect(login.location).toBe(at('/auth/waiting-room'));
    const room = await waiting.get(at('/auth/waiting-room'), HTML);
    expect(room.text).toContain('Waiting for approval');
    const csp = room.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toMatch(/frame-ancestors 'none'/);
    await h.gateway.store.setSetting(`provider:${OIDC_ID}:firstLoginPolicy`, 'allow');

    const user = await h.gateway.store.findUserByEmail('pending@example.com');
    const page = await admin.get(at('/admin/waiting-room'), HTML);
    expect(page.text).toContain('pending@example.com');
    const res = await admin.postForm(at(`/admin/users/${user!.id}/approve`), { _csrf: csrfOf(page), back: 'waiting' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(at('/admin/waiting-room'));
    const after = await admin.get(res.location!, HTML);
    expect(after.text).toContain('Approved pending@example.com.');
    expect(after.text).not.toContain('<td><a href="/admin/users/');
    expect((await admin.get(at('/admin/waiting-room'), HTML)).text).not.toContain('Approved pending@example.com.');
    expect((await h.me(waiting)).json()).toMatchObject({ user: { status: 'active' } });

    const root = await h.gateway.store.findUserByEmail('root@example.com');
    const { entries } = await h.gateway.store.listAudit({ action: 'user.approve', user: user!.id, limit: 5 });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: `user:${root!.id}`, outcome: 'active' });
  });

  it('sends a refused change back with the reason (bad input is validated by the admin API schemas)', async () => {
    const page = await admin.get(at('/admin/allowlist'), HTML);
    const res = await admin.postForm(at('/admin/allowlist'), { _csrf: csrfOf(page), entry: 'not an email' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(at('/admin/allowlist'));
    expect((await admin.get(res.location!, HTML)).text).toContain('entry: an email address or @domain');
    const unknown = await admin.postForm(at('/admin/providers/nope/policy'), { _csrf: csrfOf(page), firstLoginPolicy: 'allow' });
    expect(unknown.status).toBe(303);
    expect((await admin.get(unknown.location!, HTML)).text).toContain('unknown provider');
  });
});
