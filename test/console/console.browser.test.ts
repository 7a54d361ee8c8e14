/**
 * The admin console in a real browser (Debian's Chromium via playwright-core) against the
 * gateway on loopback with the demo OIDC provider: an admin signs in through the IdP's login
 * form, sets a provider to pending_approval, a second browser waits in the waiting room and is
 * approved, gets an override through "Manage groups", SCIM tokens are minted once and revoked,
 * a webhook is created with a preview and its delivery redelivered, the audit log and explain
 * render. With GATEHOUSE_SCREENSHOTS=1 (`npm run screenshots`) each page is saved to
 * docs/screenshots/ along the way; otherwise nothing in the tree is written.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../support/agent.ts';
import { DEFAULT_USERS, OIDC_ID, startHarness, type Harness } from '../support/harness.ts';
import { startReceiver, webhookSecret, type Receiver } from '../plugin/webhooks/support.ts';
import { CHROMIUM, SCREENSHOTS_ON, chromiumProblem, launchChromium, newContext, screenshot, screenshotsState, signInAtIdp, type PageProblems } from './browser.ts';

const PASSWORD = 'pw';
const WAITING_MESSAGE = 'Thanks for signing in! IT approves new accounts within a working day.';

// What docs/screenshots looks like before any test runs (file times and git status).
const screenshotsBefore = screenshotsState();

// A missing browser is a failed test with the fix in its message, never a skip.
it(`finds Debian's Chromium at ${CHROMIUM}`, () => {
  expect(chromiumProblem(), chromiumProblem() ?? '').toBeNull();
});

describe('admin console in Chromium (SQLite)', { timeout: 60_000 }, () => {
  let h: Harness;
  let browser: Browser;
  let receiver: Receiver;
  const secret = webhookSecret();
  const problems: PageProblems = { list: [] };
  let adminCtx: BrowserContext;
  let admin: Page;
  let userCtx: BrowserContext;
  let user: Page;
  const at = (path: string) => `${h.url}${path}`;
  const flash = (page: Page) => page.locator('.flash[role="status"], .flash[role="alert"]').first();

  beforeAll(async () => {
    // Fails (not skips) the whole file with a clear message when Chromium is missing.
    browser = await launchChromium();
    receiver = await startReceiver({ secrets: [secret] });
    h = await startHarness({
      db: 'sqlite',
      users: [
        ...DEFAULT_USERS,
        { username: 'root', email: 'root@example.com', givenName: 'Root', familyName: 'Operator', groups: [] },
        { username: 'newbie', email: 'newbie@example.com', givenName: 'Nina', familyName: 'Newbie', groups: [] },
      ],
      config: (c) => ({
        ...c,
        provisioning: { ...c.provisioning, instanceAdmins: ['root@example.com'] },
        allowlist: { enabled: true, entries: ['@example.com', '@example.org'], allowDbOverrides: true, message: 'Ask IT for access.' },
        scim: { enabled: true, basePath: '/scim/v2' },
        waitingRoom: { message: WAITING_MESSAGE },
        webhookDelivery: { timeoutMs: 2000, backoffBaseMs: 20, backoffMaxMs: 200, pollIntervalMs: 100, maxAttempts: 3 },
      }),
    });
    // A few people have signed in before (the users page has more than the admin to show).
    for (const name of ['alice', 'bob', 'carol']) await h.loginOidc(new Agent(), name);
    ({ context: adminCtx, page: admin } = await newContext(browser, problems, h.url));
    ({ context: userCtx, page: user } = await newContext(browser, problems, h.url));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await receiver?.close();
  });

  it('sends a visitor without a session to the sign-in chooser, and an admin in through the IdP login form', async () => {
    await admin.goto(at('/admin/users'));
    expect(new URL(admin.url()).pathname).toBe('/admin/sign-in');
    const link = admin.getByRole('link', { name: `Sign in with ${OIDC_ID}` });
    expect(await link.getAttribute('href')).toBe(`/auth/${OIDC_ID}/login?returnTo=%2Fadmin%2Fusers`);
    await screenshot(admin, 'sign-in');
    await link.click();
    await signInAtIdp(admin, 'root', PASSWORD);
    await admin.waitForURL(at('/admin/users'));
    await expect(admin.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('IdP users');
    await expect(admin.locator('.who').textContent()).resolves.toContain('root@example.com');
  });

  it('has a skip link first in the tab order that moves focus to the main region', async () => {
    await admin.keyboard.press('Tab');
    await expect(admin.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to main content');
    await admin.keyboard.press('Enter');
    await expect(admin.evaluate(() => document.activeElement?.id)).resolves.toBe('main');
  });

  it('sets a provider to pending_approval on the policies page', async () => {
    await admin.goto(at('/admin/policies'));
    await admin.getByLabel(`First-login policy for ${OIDC_ID}`).selectOption('pending_approval');
    await admin.getByRole('button', { name: `Save policy for ${OIDC_ID}` }).click();
    await admin.waitForURL(at('/admin/policies'));
    await expect(flash(admin).textContent()).resolves.toBe(`${OIDC_ID}: first-login policy is now pending_approval.`);
    await expect(admin.getByLabel(`First-login policy for ${OIDC_ID}`).inputValue()).resolves.toBe('pending_approval');
    await screenshot(admin, 'policies');
  });

  it('puts a new user in the waiting room, with the operator message, until an admin approves them', async () => {
    await user.goto(at(`/auth/${OIDC_ID}/login`));
    await signInAtIdp(user, 'newbie', PASSWORD);
    await user.waitForURL(at('/auth/waiting-room'));
    await expect(user.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Waiting for approval');
    await expect(user.getByRole('status').textContent()).resolves.toBe(WAITING_MESSAGE);
    // The inline stylesheet applied (allowed by its CSP hash): the banner is dark.
    await expect(user.locator('header.topbar').evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe('rgb(23, 32, 51)');
    await screenshot(user, 'waiting-room');
    await expect((await user.request.get(at('/auth/me'))).json()).resolves.toMatchObject({ user: { status: 'pending_approval' } });

    await admin.goto(at('/admin/waiting-room'));
    const row = admin.getByRole('row', { name: /newbie@example\.com/ });
    await expect(row.count()).resolves.toBe(1);
    await screenshot(admin, 'console-waiting-room');
    await row.getByRole('button', { name: /^Approve/ }).click();
    await admin.waitForURL(at('/admin/waiting-room'));
    await expect(flash(admin).textContent()).resolves.toBe('Approved newbie@example.com.');
    await expect(admin.getByRole('row', { name: /newbie@example\.com/ }).count()).resolves.toBe(0);

    await user.goto(at('/auth/waiting-room'));
    expect(new URL(user.url()).pathname).toBe('/');
    await expect(user.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Signed in');
    const me = await user.request.get(at('/auth/me'));
    expect(await me.json()).toMatchObject({ user: { email: 'newbie@example.com', status: 'active', instanceAdmin: false } });
  });

  it('shows a signed-in user who is not an instance admin a 403 page', async () => {
    const res = await user.goto(at('/admin'));
    expect(res?.status()).toBe(403);
    await expect(user.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Access denied');
  });

  it('adds an override through "Manage groups", which the user sees in /auth/me', async () => {
    await admin.goto(at('/admin/users'));
    await admin.getByLabel('Search').fill('newbie');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.waitForURL(/\/admin\/users\?q=newbie/);
    await admin.getByLabel('Status').selectOption('active');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.waitForURL(/status=active/);
    await admin.getByRole('link', { name: 'newbie@example.com' }).click();
    await admin.waitForURL(/\/admin\/users\/[^/?]+$/);
    const section = admin.locator('section[aria-labelledby="manage-groups"]');
    // The organization picker reloads the page with that org's roles and groups (script: on change).
    await section.getByRole('combobox', { name: /^Organization/ }).selectOption('home-lab');
    await admin.waitForURL(/org=home-lab/);
    await expect(section.getByLabel('Role in home-lab').locator('option').allTextContents()).resolves.toEqual(['— no role —', 'Admin', 'Member']);
    await section.getByRole('combobox', { name: /^Organization/ }).selectOption('acme-corp');
    await admin.waitForURL(/org=acme-corp/);
    await section.getByLabel('Role in acme-corp').selectOption('member');
    await section.getByLabel('Group in acme-corp').selectOption('developers');
    await section.getByRole('button', { name: 'Add override' }).click();
    await admin.waitForURL(/org=acme-corp/);
    await expect(flash(admin).textContent()).resolves.toBe('Added role member and group developers in acme-corp.');
    await expect(section.getByRole('row').filter({ hasText: 'developers' }).count()).resolves.toBe(1);
    await screenshot(admin, 'user-detail', '#manage-groups');

    const me = await (await user.request.get(at('/auth/me'))).json();
    expect(me.memberships).toEqual([{ organization: 'acme-corp', roles: ['member'], groups: ['developers'] }]);

    await admin.goto(at('/admin/users'));
    await screenshot(admin, 'users');
  });

  it('adds and removes allowlist entries', async () => {
    await admin.goto(at('/admin/allowlist'));
    for (const entry of ['@partner.example', 'jane@contractor.example']) {
      await admin.getByLabel('Email or @domain').fill(entry);
      await admin.getByRole('button', { name: 'Add entry' }).click();
      await admin.waitForURL(at('/admin/allowlist'));
      await expect(flash(admin).textContent()).resolves.toBe(`Added ${entry}.`);
    }
    await admin.getByRole('row', { name: /@partner\.example/ }).getByRole('button', { name: /^Remove/ }).click();
    await admin.waitForURL(at('/admin/allowlist'));
    await expect(flash(admin).textContent()).resolves.toBe('Entry removed.');
    await admin.getByLabel('Email or @domain').fill('not an email');
    await admin.getByRole('button', { name: 'Add entry' }).click();
    await admin.waitForURL(at('/admin/allowlist'));
    await expect(flash(admin).textContent()).resolves.toMatch(/^entry: an email address or @domain/);
    expect((await h.gateway.store.listAllowlist()).map((e) => e.entry)).toEqual(['jane@contractor.example']);
    await admin.goto(at('/admin/allowlist'));
    await screenshot(admin, 'allowlist');
  });

  it('mints a SCIM token shown once with a copy button, and revokes it: SCIM then answers 401', async () => {
    await admin.goto(at('/admin/scim-tokens'));
    await admin.getByLabel('Name').fill('okta-prod');
    await admin.getByRole('button', { name: 'Mint token' }).click();
    const token = (await admin.locator('#minted-token').textContent()) ?? '';
    expect(token).toMatch(/^gatehouse_scim_[0-9A-Za-z]{49}$/);
    const copy = admin.locator('button[data-copy-target="minted-token"]');
    await expect(copy.textContent()).resolves.toBe('Copy the token');
    await copy.click();
    // The clipboard write is asynchronous: wait for the button to say so.
    await expect.poll(() => copy.textContent(), { timeout: 5000 }).toBe('Copied');
    await expect(admin.evaluate(() => navigator.clipboard.readText())).resolves.toBe(token);
    await screenshot(admin, 'scim-tokens');

    const scim = () => fetch(at('/scim/v2/Users'), { headers: { authorization: `Bearer ${token}` } });
    expect((await scim()).status).toBe(200);
    await admin.goto(at('/admin/scim-tokens'));
    await expect(admin.locator('#minted-token').count()).resolves.toBe(0);
    await expect(admin.content()).resolves.not.toContain(token);
    await admin.getByRole('row', { name: /okta-prod/ }).getByRole('button', { name: /^Revoke/ }).click();
    await admin.waitForURL(at('/admin/scim-tokens'));
    await expect(flash(admin).textContent()).resolves.toBe('Revoked the SCIM token.');
    await expect(admin.getByRole('row', { name: /okta-prod/ }).textContent()).resolves.toContain('revoked');
    expect((await scim()).status).toBe(401);
  });

  it('creates a webhook with trigger, a directory event, optional fields and custom payload, previews it, and redelivers from the log', async () => {
    await admin.goto(at('/admin/policies'));
    await admin.getByLabel(`First-login policy for ${OIDC_ID}`).selectOption('allow');
    await admin.getByRole('button', { name: `Save policy for ${OIDC_ID}` }).click();
    await admin.waitForURL(at('/admin/policies'));

    await admin.goto(at('/admin/webhooks'));
    const form = admin.getByRole('form', { name: 'New webhook endpoint' });
    await form.getByLabel('Id (optional)').fill('provisioning-bot');
    await form.getByLabel('Webhook URL').fill(receiver.url);
    await form.getByLabel('Webhook secret (optional)').fill(secret);
    await form.getByLabel('Trigger type').selectOption('every_login');
    await form.getByRole('checkbox', { name: /^First name/ }).check();
    await form.getByRole('checkbox', { name: /^Last name/ }).check();
    await form.getByRole('checkbox', { name: /^User rejected/ }).check();
    await form.getByLabel('Key 1', { exact: true }).fill('team');
    await form.getByLabel('Value 1', { exact: true }).fill('platform');
    await form.getByRole('button', { name: 'Add a key/value pair' }).click();
    await form.getByLabel('Key 3', { exact: true }).fill('ticket-queue');
    await form.getByLabel('Value 3', { exact: true }).fill('IAM');
    await form.getByRole('checkbox', { name: /^Allow loopback/ }).check();
    await form.getByRole('button', { name: 'Preview example payload' }).click();
    const preview = admin.getByLabel('Example payload', { exact: true });
    const body = JSON.parse((await preview.textContent()) ?? '') as { type: string; data: { user: Record<string, unknown>; custom_payload: unknown } };
    expect(body.type).toBe('every_login');
    expect(body.data.user).toMatchObject({ first_name: 'Jane', last_name: 'Doe' });
    expect(body.data.custom_payload).toEqual({ team: 'platform', 'ticket-queue': 'IAM' });
    await screenshot(admin, 'webhooks', '#new-endpoint');

    // The preview kept what was typed; now save it.
    await admin.getByRole('form', { name: 'New webhook endpoint' }).getByRole('button', { name: 'Create endpoint' }).click();
    await expect(flash(admin).textContent()).resolves.toBe('Created endpoint provisioning-bot.');
    await expect(admin.locator('#webhook-secret').textContent()).resolves.toBe(secret);
    await expect(admin.getByRole('checkbox', { name: /^User rejected/ }).isChecked()).resolves.toBe(true);
    await expect(admin.getByRole('checkbox', { name: /^User deleted/ }).isChecked()).resolves.toBe(false);

    await h.loginOidc(new Agent(), 'alice');
    const [first] = await receiver.waitFor(1);
    expect(first?.verified).toMatchObject({ type: 'every_login', data: { user: { email: 'alice@example.com', first_name: 'Alice' }, custom_payload: { team: 'platform' } } });
    const endpoint = at('/admin/webhooks/provisioning-bot');
    const deliveredRows = async () => {
      for (let i = 0; i < 50; i++) {
        await admin.goto(endpoint);
        const n = await admin.locator('#deliveries ~ table tbody tr').filter({ hasText: 'delivered' }).count();
        if (n > 0) return n;
        await admin.waitForTimeout(100);
      }
      return 0;
    };
    expect(await deliveredRows()).toBe(1);
    await admin.locator('#deliveries ~ table tbody tr').first().getByRole('button', { name: /^Redeliver/ }).click();
    await expect(flash(admin).textContent()).resolves.toMatch(/^Delivery .+ queued again\.$/);
    await receiver.waitFor(2);
    expect(receiver.received[1]?.id).toBe(first?.id);
    expect(await deliveredRows()).toBe(1);
    await screenshot(admin, 'webhook-example', '#example-title');
    await screenshot(admin, 'webhook-deliveries', '#deliveries');
  });

  it('filters the audit log and shows who approved whom', async () => {
    await admin.goto(at('/admin/audit'));
    await screenshot(admin, 'audit');
    await admin.getByLabel('Action').fill('user.approve');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.waitForURL(/action=user\.approve/);
    const rows = admin.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    const rootUser = await h.gateway.store.findUserByEmail('root@example.com');
    await expect(rows.first().getByRole('link', { name: 'root@example.com' }).getAttribute('title')).resolves.toBe(`user:${rootUser?.id}`);
  });

  it('explains a login rule by rule, with the raw JSON', async () => {
    await admin.goto(at('/admin/explain'));
    await admin.getByLabel('Provider').selectOption(OIDC_ID);
    await admin.getByLabel(/^Claims/).fill(
      JSON.stringify({ sub: 'erin', email: 'erin@example.com', email_verified: true, groups: ['chainloop_acme-corp_org-admin', 'chainloop_acme-corp_developers', 'home-lab', 'admin', 'chainloop_nowhere_x'] }),
    );
    await admin.getByRole('button', { name: 'Explain' }).click();
    const trace = admin.locator('.trace');
    const pattern = trace.locator('section.mapper').filter({ has: admin.getByRole('heading', { name: /^Mapper groupsPattern/ }) });
    await expect(pattern.getByRole('row', { name: /acme-corp/ }).textContent()).resolves.toMatch(/yes.*admin.*developers/s);
    await expect(pattern.textContent()).resolves.toContain('chainloop_nowhere_x');
    const rules = trace.locator('section.mapper').filter({ has: admin.getByRole('heading', { name: /^Mapper rules/ }) });
    await expect(rules.getByRole('row', { name: /home-lab/ }).textContent()).resolves.toContain('Admin');
    const raw = JSON.parse((await admin.getByLabel('Raw explain output').textContent()) ?? '') as { provider: string; mappers: unknown[] };
    expect(raw.provider).toBe(OIDC_ID);
    expect(raw.mappers.length).toBeGreaterThan(0);
    await screenshot(admin, 'explain', '#outcome');

    await admin.getByLabel(/^Claims/).fill('{ not json');
    await admin.getByRole('button', { name: 'Explain' }).click();
    await expect(flash(admin).textContent()).resolves.toMatch(/^claims: not valid JSON/);
  });

  it('refuses a form post without the CSRF token, or with a wrong one (403), and changes nothing', async () => {
    const before = (await h.gateway.store.listAllowlist()).length;
    const none = await admin.request.post(at('/admin/allowlist'), { form: { entry: 'evil@example.com' }, maxRedirects: 0 });
    expect(none.status()).toBe(403);
    const wrong = await admin.request.post(at('/admin/allowlist'), { form: { entry: 'evil@example.com', _csrf: 'forged' }, maxRedirects: 0 });
    expect(wrong.status()).toBe(403);
    expect(await wrong.text()).toContain('CSRF');
    expect((await h.gateway.store.listAllowlist()).length).toBe(before);
  });

  it('serves every page with a strict CSP and no violation was reported', async () => {
    const res = await admin.goto(at('/admin/users'));
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res?.headers()['x-frame-options']).toBe('DENY');
    expect(problems.list).toEqual([]);
  });
});

describe('docs/screenshots', () => {
  it.runIf(!SCREENSHOTS_ON)('is left as it was: screenshots are written only with GATEHOUSE_SCREENSHOTS=1', () => {
    expect(screenshotsState()).toEqual(screenshotsBefore);
  });
});
