/**
 * The one sign-in chooser (the gateway's start page, the console's sign-in, home-realm
 * discovery): an email field that finds the provider by domain (`GET /auth/discover`), then a
 * link per provider on the chooser. Links and the discovery form are same-origin, so the pages
 * keep the console's `form-action 'self'`.
 */
import { html, type Html, type Part } from '../html.ts';

export const DISCOVERY_PATH = '/auth/discover';

export interface ChooserProvider {
  id: string;
  displayName?: string | undefined;
  type: string;
}

/** `/auth/{id}/login` with the way back and, for the IdP's login form, the email typed here. */
export function loginUrl(providerId: string, returnTo: string, loginHint?: string): string {
  const q = new URLSearchParams();
  if (returnTo !== '/') q.set('returnTo', returnTo);
  if (loginHint) q.set('login_hint', loginHint);
  const s = q.toString();
  return `/auth/${encodeURIComponent(providerId)}/login${s ? `?${s}` : ''}`;
}

export function providerLinks(providers: readonly ChooserProvider[], returnTo: string, loginHint?: string): Html {
  const links = providers.map(
    (p) =>
      html`<li><a class="button" href="${loginUrl(p.id, returnTo, loginHint)}">Sign in with ${p.displayName ?? p.id}</a> <span class="muted">(${p.type.toUpperCase()})</span></li>`,
  );
  return links.length ? html`<ul class="stack">${links}</ul>` : html`<p class="muted">No identity provider is listed here.</p>`;
}

/** The email form: its answer depends on the domain only. */
export function discoveryForm(returnTo: string, email = '', error?: string): Html {
  return html`<form method="get" action="${DISCOVERY_PATH}" class="inline" aria-label="Sign in with your work email">
${returnTo !== '/' ? html`<input type="hidden" name="returnTo" value="${returnTo}">` : ''}
<label>Work email <input type="email" name="email" value="${email}" required maxlength="320" size="30" autocomplete="username" placeholder="jane@example.com"${error ? html` aria-invalid="true" aria-describedby="email-error"` : ''}></label>
<button type="submit">Continue</button>
</form>
${error ? html`<p id="email-error" class="flash error" role="alert">${error}</p>` : ''}`;
}

export interface ChooserOptions {
  returnTo: string;
  email?: string | undefined;
  error?: string | undefined;
  /** A line above the provider list (e.g. no provider serves the domain typed). */
  note?: Part;
}

/** The email form, then the list of providers. */
export function chooserBody(providers: readonly ChooserProvider[], opts: ChooserOptions): Html {
  return html`${discoveryForm(opts.returnTo, opts.email, opts.error)}
${opts.note ? html`<p role="status">${opts.note}</p>` : html`<p>Or choose your identity provider:</p>`}
${providerLinks(providers, opts.returnTo)}`;
}

/** A page of the discovery answer: status, title, body and extra head markup. */
export interface DiscoveryPage {
  status: number;
  title: string;
  body: Html;
  head?: Html;
}

/** The email could not be read: the chooser again, with the reason on the field. */
export function badEmailPage(providers: readonly ChooserProvider[], returnTo: string, email: string): DiscoveryPage {
  const error = 'email: enter your work email address, such as jane@example.com';
  return { status: 400, title: 'Sign in', body: html`<h1>Sign in</h1>${chooserBody(providers, { returnTo, email, error })}` };
}

/** One provider serves the domain: on to its login at once, with a link for browsers that wait. */
export function onwardPage(p: ChooserProvider, returnTo: string, email: string): DiscoveryPage {
  const next = loginUrl(p.id, returnTo, email);
  const name = p.displayName ?? p.id;
  return {
    status: 200,
    title: 'Continuing to sign in',
    body: html`<h1>Signing in with ${name}</h1>
<p role="status">Taking you to your organization's sign-in page…</p>
<p><a class="button" href="${next}">Continue to ${name}</a></p>`,
    head: html`<meta http-equiv="refresh" content="0;url=${next}">`,
  };
}

export function severalPage(providers: readonly ChooserProvider[], domain: string, returnTo: string, email: string): DiscoveryPage {
  return {
    status: 200,
    title: 'Choose your sign-in',
    body: html`<h1>Choose your sign-in</h1><p>Several identity providers serve <strong>${domain}</strong>:</p>${providerLinks(providers, returnTo, email)}`,
  };
}

/** No provider claims the domain: the normal chooser, saying so. */
export function unknownDomainPage(providers: readonly ChooserProvider[], domain: string, returnTo: string, email: string): DiscoveryPage {
  const note = html`No identity provider is set up for <strong>${domain}</strong>. Choose yours:`;
  return { status: 200, title: 'Sign in', body: html`<h1>Sign in</h1>${chooserBody(providers, { returnTo, email, note })}` };
}
