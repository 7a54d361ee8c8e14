/**
 * Debian's Chromium driven by playwright-core, for the console's browser tests. No browser is
 * downloaded: the tests need /usr/bin/chromium (`apt-get install chromium`; .ci/run does it) and
 * fail, not skip, without it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.GATEHOUSE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
export const VIEWPORT = { width: 1200, height: 800 };
/** Screenshots are written only on request (`npm run screenshots`), so `npm test` leaves the tree clean. */
export const SCREENSHOTS_ON = process.env.GATEHOUSE_SCREENSHOTS === '1';

/** Each file's modification time and size, and `git status --porcelain` of the folder. */
export function screenshotsState(): { files: Record<string, string>; gitStatus: string } {
  const files: Record<string, string> = {};
  if (existsSync(SCREENSHOTS_DIR)) {
    for (const name of readdirSync(SCREENSHOTS_DIR).sort()) {
      const st = statSync(`${SCREENSHOTS_DIR}${name}`);
      files[name] = `${st.mtimeMs}:${st.size}`;
    }
  }
  const gitStatus = execFileSync('git', ['status', '--porcelain', SCREENSHOTS_DIR], { cwd: SCREENSHOTS_DIR, encoding: 'utf8' });
  return { files, gitStatus };
}

/** Why the browser tests cannot run here, or null. */
export function chromiumProblem(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `Chromium is missing at ${CHROMIUM}: the admin console's browser tests need Debian's Chromium. ` +
        'Install it with `apt-get update && apt-get install -y chromium` (.ci/run does this before npm test).';
}

export async function launchChromium(): Promise<Browser> {
  const problem = chromiumProblem();
  if (problem) throw new Error(problem);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Problems pages reported: CSP violations and script errors. The tests expect none. */
export interface PageProblems {
  list: string[];
}

/** A context with its own cookie jar; dialogs (confirmations) are accepted. */
export async function newContext(browser: Browser, problems: PageProblems, origin: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  page.on('console', (m) => {
    // Failed loads (a 403 page, say) are expected; policy violations are not.
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.list.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.list.push(`script error on ${page.url()}: ${e.message}`));
  return { context, page };
}

/** On the demo OIDC provider's login page: the username/password form. */
export async function signInAtIdp(page: Page, username: string, password: string): Promise<void> {
  const form = page.locator('form').filter({ has: page.locator('input[name="password"]') });
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="password"]').fill(password);
  await form.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * Writes docs/screenshots/NAME.png of the viewport, scrolled so that `scrollTo` is at the top;
 * does nothing unless GATEHOUSE_SCREENSHOTS=1.
 */
export async function screenshot(page: Page, name: string, scrollTo?: string): Promise<void> {
  if (!SCREENSHOTS_ON) return;
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  if (scrollTo) await page.locator(scrollTo).first().evaluate((el) => el.scrollIntoView({ block: 'start' }));
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SCREENSHOTS_DIR}${name}.png`, type: 'png' });
}
