/**
 * The console's directory pages in Chromium against the gateway with the real OIDC provider and
 * SAML IdP on loopback: an admin creates an organization with roles and groups, pre-provisions a
 * user of an organization-only SAML provider under `reject`, who then finds that provider by
 * typing their email on the start page (home-realm discovery) and gets the roles; the admin
 * deactivates (the user's open session dies), reactivates, and deletes them behind a typed
 * confirmation. With GATEHOUSE_SCREENSHOTS=1 the pages are saved to docs/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIDC_ID, SAML_ID, startHarness, type Harness } from '../support/harness.ts';
import { launchChromium, newContext, screenshot, signInAtIdp, type PageProblems } from './browser.ts';

const PASSWORD = 'pw';

describe('directory pages and home-realm discovery in Chromium (SQLite)', { timeout: 60_000 }, () => {
  let h: Harness;
  let browser: Browser;
  const problems: PageProblems = { list: [] };
  let adminCtx: BrowserContext;
  let admin: Page;
  let userCtx: BrowserContext;
  let user: Page;
  let patPage = '';
  const at = (path: string) => `${h.url}${path}`;
  const flash = (page: Page) => page.locator('.flash[role="status"], .flash[role="alert"]').first();
  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

  /** On the start page: the email, then the IdP's form, back signed in (or refused). */
  async function signInByEmail(page: Page, email: string, username: string): Promise<void> {
    await page.goto(at('/'));
    await page.getByRole('textbox', { name: 'Work email' }).fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => !u.href.startsWith(h.url));
    await signInAtIdp(page, username, PASSWORD);
    await page.waitForURL((u) => u.href.startsWith(h.url) && !u.pathname.startsWith('/auth/discover'));
  }

  beforeAll(async () => {
    browser = await launchChromium();
    h = await startHarness({
      db: 'sqlite',
      users: [
        { username: 'root', email: 'root@example.com', givenName: 'Root', familyName: 'Operator', groups: [] },
        { username: 'pat', email: 'pat@globex.test', givenName: 'Pat', familyName: 'Partner', groups: [] },
      ],
      config: (c) => ({
        ...c,
        provisioning: { ...c.provisioning, instanceAdmins: ['root@example.com'] },
        providers: c.providers!.map((p) =>
          p.id === OIDC_ID
            ? { ...p, displayName: 'Example staff', domains: ['example.com'] }
            : { ...p, displayName: 'Globex SSO', domains: ['globex.test'], discoverableOnly: true, firstLoginPolicy: 'reject' as const },
        ),
      }),
    });
    ({ context: adminCtx, page: admin } = await newContext(browser, problems, h.url));
    ({ context: userCtx, page: user } = await newContext(browser, problems, h.url));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('sends an admin from the console sign-in through discovery by email to the OIDC provider and back to the console', async () => {
    await admin.goto(at('/admin/organizations'));
    expect(new URL(admin.url()).pathname).toBe('/admin/sign-in');
    // The organization-only provider is not listed.
    await expect(admin.getByRole('link', { name: /^Sign in with/ }).allTextContents()).resolves.toEqual(['Sign in with Example staff']);
    await admin.getByRole('textbox', { name: 'Work email' }).fill('root@example.com');
    await admin.getByRole('button', { name: 'Continue' }).click();
    await admin.waitForURL((u) => !u.href.startsWith(h.url));
    // The email went on as the OIDC login_hint.
    await signInAtIdp(admin, 'root', PASSWORD);
    await admin.waitForURL(at('/admin/organizations'));
    await expect(heading(admin)).resolves.toBe('Organizations');
  });

  it('creates an organization with roles and groups, and adds a group to it', async () => {
    await admin.getByLabel('Id', { exact: true }).fill('globex');
    await admin.getByLabel('Name', { exact: true }).fill('Globex Corporation');
    await admin.getByLabel('Roles', { exact: true }).fill('admin, member');
    await admin.getByLabel('Groups', { exact: true }).fill('auditors');
    await admin.getByRole('button', { name: 'Create organization' }).click();
    await admin.waitForURL(at('/admin/organizations'));
    await expect(flash(admin).textContent()).resolves.toBe('Created globex with roles admin, member.');
    await admin.getByLabel('New group in globex').fill('field-team');
    await admin.getByRole('button', { name: 'Add group to globex' }).click();
    await expect(flash(admin).textContent()).resolves.toBe('Added group field-team to globex.');
    const row = admin.getByRole('row', { name: /^globex/ });
    await expect(row.locator('td').nth(1).locator('code').allTextContents()).resolves.toEqual(['auditors', 'field-team']);
    // A duplicate is refused with the reason, nothing created.
    await admin.getByLabel('Id', { exact: true }).fill('globex');
    await admin.getByRole('button', { name: 'Create organization' }).click();
    await expect(flash(admin).textContent()).resolves.toBe('organization "globex" exists');
    await screenshot(admin, 'organizations');
  });

  it('refuses the unknown user of the organization-only provider under reject', async () => {
    await signInByEmail(user, 'pat@globex.test', 'pat');
    await expect(user.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Access denied');
  });

  it('pre-provisions that user with roles and a group, who then signs in through discovery and has them', async () => {
    await admin.getByRole('link', { name: 'Add a user to globex' }).click();
    await admin.waitForURL(at('/admin/users/new?org=globex'));
    await admin.getByLabel('Email').fill('pat@globex.test');
    await admin.getByLabel('Provider').selectOption(SAML_ID);
    await admin.getByRole('group', { name: 'Roles in globex' }).getByLabel('admin').check();
    await admin.getByRole('group', { name: 'Groups in globex' }).getByLabel('auditors').check();
    await screenshot(admin, 'user-new');
    await admin.getByRole('button', { name: 'Add user' }).click();
    await admin.waitForURL(/\/admin\/users\/[^/]+$/);
    patPage = admin.url();
    await expect(flash(admin).textContent()).resolves.toBe('Added pat@globex.test; they get in at their first sign-in.');

    await signInByEmail(user, 'pat@globex.test', 'pat');
    await user.waitForURL(at('/'));
    await expect(heading(user)).resolves.toBe('Signed in');
    const me = await (await user.request.get(at('/auth/me'))).json();
    expect(me).toMatchObject({ user: { email: 'pat@globex.test', status: 'active' }, memberships: [{ organization: 'globex', roles: ['admin'], groups: ['auditors'] }] });
  });

  it('deactivates the user: their open session ends at once; reactivating lets them in again', async () => {
    await admin.goto(patPage);
    await admin.getByRole('button', { name: 'Deactivate' }).click();
    await admin.waitForURL(patPage);
    await expect(flash(admin).textContent()).resolves.toBe('Deactivated pat@globex.test; their sessions ended.');
    await expect(admin.locator('dl.facts .badge').first().textContent()).resolves.toBe('deprovisioned');
    await screenshot(admin, 'user-account', '#account');
    expect((await user.request.get(at('/auth/me'))).status()).toBe(401);
    await user.reload();
    await expect(user.getByRole('textbox', { name: 'Work email' }).count()).resolves.toBe(1);

    await admin.getByRole('button', { name: 'Reactivate' }).click();
    await expect(flash(admin).textContent()).resolves.toBe('Reactivated pat@globex.test.');
    await signInByEmail(user, 'pat@globex.test', 'pat');
    await expect(heading(user)).resolves.toBe('Signed in');
  });

  it('deletes the user only after the email is typed, and the audit log keeps who did it', async () => {
    await admin.goto(patPage);
    await admin.getByRole('link', { name: 'Delete user…' }).click();
    await admin.waitForURL(`${patPage}/delete`);
    await admin.getByLabel(/to confirm/).fill('someone-else@globex.test');
    await admin.getByRole('button', { name: 'Delete user' }).click();
    await admin.waitForURL(`${patPage}/delete`);
    await expect(flash(admin).textContent()).resolves.toBe('confirm: type pat@globex.test to delete this user');
    await screenshot(admin, 'user-delete');
    await admin.getByLabel(/to confirm/).fill('pat@globex.test');
    await admin.getByRole('button', { name: 'Delete user' }).click();
    await admin.waitForURL(at('/admin/users'));
    await expect(flash(admin).textContent()).resolves.toBe('Deleted pat@globex.test.');
    expect((await admin.goto(patPage))?.status()).toBe(404);
    expect((await user.request.get(at('/auth/me'))).status()).toBe(401);
    await admin.goto(at('/admin/audit?action=user.delete'));
    await expect(admin.getByRole('row', { name: /user\.delete/ }).textContent()).resolves.toContain('root@example.com');
  });

  it('shows the start page with the email field, and no page reported a CSP violation or script error', async () => {
    const visitor = await newContext(browser, problems, h.url);
    await visitor.page.goto(at('/'));
    await expect(visitor.page.getByRole('link', { name: /^Sign in with/ }).allTextContents()).resolves.toEqual(['Sign in with Example staff']);
    await screenshot(visitor.page, 'home-realm');
    await visitor.context.close();
    expect(problems.list).toEqual([]);
  });
});
