/**
 * `GET /auth/discover?email=&returnTo=`: home-realm discovery. The email's domain picks the
 * provider; the answer is the same for every address of a domain (no account enumeration).
 *
 * One match answers with a page that moves on to `/auth/{id}/login` by itself (meta refresh)
 * rather than a redirect: browsers apply the chooser's `form-action 'self'` to every redirect
 * after a form submission, and the provider's login redirects to the IdP's origin.
 */
import type { RequestHandler } from 'express';
import type { GatehouseContext } from '../context.ts';
import { badEmailPage, onwardPage, severalPage, unknownDomainPage, type DiscoveryPage } from '../console/pages/chooser.ts';
import { inlinePage, inlinePageHeaders, sendInlinePage } from '../console/standalone.ts';
import { chooserProviders, discoverProviders, emailDomainOf, type ProviderListing } from '../login/home-realm.ts';
import { isHttps } from './https.ts';
import { safeReturnTo } from './return-to.ts';

const MAX_EMAIL = 320;

/** The providers one can sign in with now (read per request: providers may change at run time). */
export function providerListings(ctx: GatehouseContext): ProviderListing[] {
  return [...ctx.runtime.current().providers.values()].filter((p) => p.config.enabled).map((p) => p.config);
}

function answer(ctx: GatehouseContext, rawEmail: unknown, returnTo: string): DiscoveryPage {
  const all = providerListings(ctx);
  const email = typeof rawEmail === 'string' ? rawEmail.trim() : '';
  const domain = emailDomainOf(email);
  if (domain === null || email.length > MAX_EMAIL || email.startsWith('@')) return badEmailPage(chooserProviders(all), returnTo, email.slice(0, MAX_EMAIL));
  const found = discoverProviders(all, email);
  switch (found.kind) {
    case 'one':
      return onwardPage(found.provider, returnTo, email);
    case 'several':
      // Two run-time providers saved at once on two instances can both claim a domain: the
      // user picks, rather than Gatehouse picking one for them.
      return severalPage(found.providers, domain, returnTo, email);
    case 'unknown':
      return unknownDomainPage(found.providers, domain, returnTo, email);
  }
}

export function discoveryHandler(ctx: GatehouseContext): RequestHandler {
  const headers = inlinePageHeaders({ https: isHttps(ctx) });
  return (req, res) => {
    const page = answer(ctx, req.query.email, safeReturnTo(req.query.returnTo));
    sendInlinePage(headers, req, res, page.status, inlinePage(page.title, page.body, page.head ? { head: page.head } : {}));
  };
}
