/**
 * The console's Identity providers pages in Chromium against the gateway: an admin creates an
 * OIDC provider against a fresh oidc-provider started here and a SAML provider from a fresh SAML
 * IdP's metadata URL, tests both connections (the IdP's values shown), sets a mapping-builder rule
 * on one and a raw expression on the other (a typo first: its position shown next to the field,
 * nothing saved), tries the rule on pasted claims; then two users sign in through both at once,
 * without a restart, and get exactly what the rules say. The config file's providers stay
 * read-only. With GATEHOUSE_SCREENSHOTS=1 the pages are saved to docs/screenshots/.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcIdp, type DemoOidcIdp } from '../../adapters/demo/oidc-idp.ts';
import { startSamlIdp, type SamlIdp } from '../../adapters/demo/saml-idp.ts';
import { Agent } from '../support/agent.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness } from '../support/harness.ts';
import { IDP_PASSWORD } from '../support/idp-login.ts';
import { launchChromium, newContext, screenshot, signInAtIdp, type PageProblems } from './browser.ts';

const RT_OIDC = 'rt-oidc';
const RT_SAML = 'rt-saml';
const CLIENT_SECRET = `rt-secret-${randomBytes(6).toString('hex')}`;
const ENGINEERS_GUID = '6f1e2c4a-engineers';
const TYPO = "contains(groups, 'lab-owners') && 'Admin' || 'Member";
const EXPRESSION = "contains(groups, 'lab-owners') && 'Admin' || 'Member'";

describe('identity providers pages in Chromium (SQLite)', { timeout: 90_000 }, () => {
  let h: Harness;
  let oidc: DemoOidcIdp;
  let saml: SamlIdp;
  let browser: Browser;
  const problems: PageProblems = { list: [] };
  let admin: Page;
  const contexts: BrowserContext[] = [];
  const at = (path: string) => `${h.url}${path}`;
  const flash = (page: Page) => page.locator('.flash[role="status"], .flash[role="alert"]').first();
  const group = (page: Page, name: string) => page.getByRole('group', { name, exact: true });
  /** The provider as the admin API has it (the admin's session is an instance admin's). */
  const storedProvider = async (id: string): Promise<Record<string, unknown>> => (await admin.request.get(at(`/admin/api/providers/${id}`))).json();

  beforeAll(async () => {
    browser = await launchChromium();
    h = await startHarness({
      db: 'sqlite',
      users: [{ username: 'root', email: 'root@example.com', groups: [] }],
      config: (c) => ({ ...c, secrets: { encryptionKey: randomBytes(32).toString('base64') }, provisioning: { ...c.provisioning, instanceAdmins: ['root@example.com'] } }),
    });
    oidc = await startOidcIdp({
      clients: [{ clientId: 'rt-client', clientSecret: CLIENT_SECRET, redirectUris: [`${h.url}/auth/${RT_OIDC}/callback`] }],
      users: [{ username: 'erin', password: IDP_PASSWORD, email: 'erin@example.com', emailVerified: true, groups: [ENGINEERS_GUID, 'home-lab'] }],
      alwaysPromptLogin: true,
    });
    saml = await startSamlIdp({ issuer: 'urn:test:rt-saml-idp', users: [{ username: 'sam', email: 'sam@example.net', groups: ['home-lab', 'lab-owners'] }] });
    const c = await newContext(browser, problems, h.url);
    contexts.push(c.context);
    admin = c.page;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await oidc?.close();
    await saml?.close();
  });

  it('lists the config file providers read-only, with only the policy toggle', async () => {
    await admin.goto(at('/admin/providers'));
    await admin.getByRole('link', { name: /^Sign in with/ }).first().click();
    await signInAtIdp(admin, 'root', IDP_PASSWORD);
    await admin.waitForURL(at('/admin/providers'));
    const row = admin.getByRole('row', { name: new RegExp(`^${OIDC_ID}`) });
    await expect(row.getByText('defined in the config file').count()).resolves.toBe(1);
    await expect(row.getByRole('combobox', { name: `First-login policy for ${OIDC_ID}` }).count()).resolves.toBe(1);
    await admin.getByRole('link', { name: SAML_ID, exact: true }).click();
    await expect(admin.getByText('Defined in the config file: read-only here but for the first-login policy.').count()).resolves.toBe(1);
    await expect(admin.getByRole('link', { name: 'Edit' }).count()).resolves.toBe(0);
    await expect(admin.getByRole('link', { name: 'Delete' }).count()).resolves.toBe(0);
  });

  it('creates an OIDC provider; the secret is write-only; test connection shows the checks and the redirect URI', async () => {
    await admin.goto(at('/admin/providers'));
    await admin.getByRole('link', { name: 'New OIDC provider' }).click();
    await admin.getByLabel('Provider id').fill(RT_OIDC);
    await admin.getByLabel('Issuer URL').fill(oidc.issuer);
    await admin.getByLabel('Client ID').fill('rt-client');
    await admin.getByLabel('Client secret').fill(CLIENT_SECRET);
    await admin.getByLabel('Scopes').fill('openid email profile groups');
    await admin.getByLabel('Display name').fill('Runtime OIDC');
    await screenshot(admin, 'provider-new');
    await admin.getByRole('button', { name: 'Create provider' }).click();
    await admin.waitForURL(at(`/admin/providers/${RT_OIDC}`));
    await expect(flash(admin).textContent()).resolves.toBe(`Created ${RT_OIDC}; give the IdP the values below.`);
    await expect(admin.locator('dl.facts').first().getByText('set', { exact: true }).count()).resolves.toBe(1);
    expect(await admin.content()).not.toContain(CLIENT_SECRET);
    expect(await storedProvider(RT_OIDC)).toMatchObject({ clientSecret: { set: true }, source: 'database' });

    await admin.getByLabel('The IdP is on a private network').check();
    await admin.getByRole('button', { name: 'Test connection' }).click();
    await expect(admin.getByRole('heading', { name: 'Test connection: all checks passed' }).count()).resolves.toBe(1);
    await expect(admin.locator('#sp-redirectUri').textContent()).resolves.toBe(`${h.url}/auth/${RT_OIDC}/callback`);
    await screenshot(admin, 'provider-test', '#test-result');

    // The edit form never shows the secret; saving without one keeps it.
    await admin.goto(at(`/admin/providers/${RT_OIDC}/edit`));
    await expect(admin.getByLabel('Client secret').inputValue()).resolves.toBe('');
    await admin.getByRole('button', { name: 'Save provider' }).click();
    await expect(flash(admin).textContent()).resolves.toBe(`Saved ${RT_OIDC}.`);
  });

  it('creates a SAML provider from the IdP metadata URL and shows the ACS URL, SP entity ID and metadata URL', async () => {
    await admin.goto(at('/admin/providers/new?type=saml'));
    await admin.getByLabel('Provider id').fill(RT_SAML);
    await admin.getByLabel('SP entity ID').fill('urn:gatehouse:rt-saml');
    await admin.getByLabel('IdP metadata URL').fill(saml.metadataUrl);
    await admin.getByLabel('The metadata URL is on a private network').check();
    await admin.getByLabel('Trust the IdP\'s email').check();
    await admin.getByRole('button', { name: 'Create provider' }).click();
    await admin.waitForURL(at(`/admin/providers/${RT_SAML}`));
    // Read from the metadata at save.
    await expect(admin.locator('dl.facts').first().getByText(saml.entryPoint).count()).resolves.toBe(1);
    await admin.getByRole('button', { name: 'Test connection' }).click();
    await expect(admin.getByRole('heading', { name: 'Test connection: all checks passed' }).count()).resolves.toBe(1);
    await expect(admin.locator('#sp-acsUrl').textContent()).resolves.toBe(`${h.url}/auth/${RT_SAML}/callback`);
    await expect(admin.locator('#sp-spEntityId').textContent()).resolves.toBe('urn:gatehouse:rt-saml');
    await expect(admin.locator('#sp-spMetadataUrl').textContent()).resolves.toBe(`${h.url}/auth/${RT_SAML}/metadata`);
  });

  it('sets a mapping-builder rule and tries it on pasted claims', async () => {
    await admin.goto(at(`/admin/providers/${RT_OIDC}/provisioning`));
    await admin.getByLabel('Use this provider\'s own provisioning settings').check();
    const acme = group(admin, 'Policy for acme-corp');
    await acme.getByLabel('Use its own policy').check();
    await acme.getByRole('radio', { name: 'Mapping builder' }).check();
    await acme.getByLabel('Claim').fill('groups');
    await acme.getByLabel('IdP value 1', { exact: true }).fill(ENGINEERS_GUID);
    await acme.getByLabel('Role 1', { exact: true }).selectOption('admin');
    await screenshot(admin, 'provider-provisioning', 'fieldset[aria-label="Policy for acme-corp"]');
    await admin.getByRole('button', { name: 'Save Auto Provisioning' }).click();
    await expect(flash(admin).textContent()).resolves.toBe(`Saved Auto Provisioning of ${RT_OIDC}.`);
    await expect(group(admin, 'Policy for acme-corp').getByLabel('IdP value 1', { exact: true }).inputValue()).resolves.toBe(ENGINEERS_GUID);

    await admin.getByLabel('Claims (JSON').fill(JSON.stringify({ sub: 'x', email: 'x@example.com', email_verified: true, groups: [ENGINEERS_GUID] }));
    await admin.getByRole('button', { name: 'Try it' }).click();
    await expect(admin.getByRole('table', { name: 'Membership changes' }).textContent()).resolves.toContain('acme-corp:role:admin (sso)');
    await screenshot(admin, 'provider-try-it', '#outcome');
  });

  it('shows a raw expression typo next to its field with the position, and saves nothing; the fix saves', async () => {
    await admin.goto(at(`/admin/providers/${RT_SAML}/provisioning`));
    await admin.getByLabel('Use this provider\'s own provisioning settings').check();
    const lab = group(admin, 'Policy for home-lab');
    await lab.getByLabel('Use its own policy').check();
    await lab.getByRole('radio', { name: 'Expression' }).check();
    await lab.getByLabel('Role expression').fill(TYPO);
    await admin.getByRole('button', { name: 'Save Auto Provisioning' }).click();
    const error = group(admin, 'Policy for home-lab').locator('.field-error');
    await expect(error.textContent()).resolves.toMatch(/^provisioning\.rules\.organizations\.home-lab\.roles\.expression: .*position \d+/);
    await expect(group(admin, 'Policy for home-lab').getByLabel('Role expression').getAttribute('aria-invalid')).resolves.toBe('true');
    // What was typed is kept for the fix; nothing was stored.
    await expect(group(admin, 'Policy for home-lab').getByLabel('Role expression').inputValue()).resolves.toBe(TYPO);
    await screenshot(admin, 'provider-expression-error', 'fieldset[aria-label="Policy for home-lab"]');
    expect((await storedProvider(RT_SAML)).provisioning).toBeUndefined();

    await group(admin, 'Policy for home-lab').getByLabel('Role expression').fill(EXPRESSION);
    await admin.getByRole('button', { name: 'Save Auto Provisioning' }).click();
    await expect(flash(admin).textContent()).resolves.toBe(`Saved Auto Provisioning of ${RT_SAML}.`);
    expect(await storedProvider(RT_SAML)).toMatchObject({ provisioning: { rules: { organizations: { 'home-lab': { roles: { expression: EXPRESSION } } } } } });
    await expect(group(admin, 'Policy for home-lab').getByLabel('Role expression').inputValue()).resolves.toBe(EXPRESSION);
  });

  it('signs two users in through both new providers at once, without a restart; their memberships follow the rules', async () => {
    const signIn = async (provider: string, username: string) => {
      const { context, page } = await newContext(browser, problems, h.url);
      contexts.push(context);
      await page.goto(at(`/auth/${provider}/login`));
      await signInAtIdp(page, username, IDP_PASSWORD);
      await page.waitForURL(at('/'));
      return (await page.request.get(at('/auth/me'))).json();
    };
    const [erin, sam] = await Promise.all([signIn(RT_OIDC, 'erin'), signIn(RT_SAML, 'sam')]);
    // erin: the mapping builder's GUID -> admin in acme-corp; the provider's own block copied the global home-lab rule.
    expect(erin).toMatchObject({ user: { email: 'erin@example.com', status: 'active' } });
    expect(erin.memberships).toEqual([
      { organization: 'acme-corp', roles: ['admin'], groups: [] },
      { organization: 'home-lab', roles: ['Member'], groups: [] },
    ]);
    // sam: the raw expression gives Admin for lab-owners (the global rule would give Member).
    expect(sam.memberships).toEqual([{ organization: 'home-lab', roles: ['Admin'], groups: [] }]);
  });

  it('deletes a run-time provider behind a confirmation; its logins are refused', async () => {
    await admin.goto(at('/admin/providers'));
    await screenshot(admin, 'providers');
    await admin.getByRole('link', { name: 'Runtime OIDC' }).click();
    await admin.getByRole('link', { name: 'Delete' }).click();
    await screenshot(admin, 'provider-delete');
    await admin.getByRole('button', { name: `Delete provider ${RT_OIDC}` }).click();
    await admin.waitForURL(at('/admin/providers'));
    await expect(flash(admin).textContent()).resolves.toBe(`Deleted ${RT_OIDC}.`);
    await expect(admin.getByRole('link', { name: 'Runtime OIDC' }).count()).resolves.toBe(0);
    expect((await new Agent().get(at(`/auth/${RT_OIDC}/login`))).status).toBe(404);
    expect(problems.list).toEqual([]);
  });
});
