/**
 * The standalone gateway's start page (`GET /`): signed out, the sign-in chooser (email for
 * home-realm discovery, then the listed providers); signed in, who you are and your
 * memberships. The console's look and security headers.
 */
import type { RequestHandler } from 'express';
import { summarizeMemberships } from '../../http/current-user.ts';
import type { StoreOps } from '../../ports.ts';
import type { RequestUser } from '../../http/session.ts';
import { chooserProviders, type ProviderListing } from '../../login/home-realm.ts';
import { html } from '../html.ts';
import { inlinePage, inlinePageHeaders, sendInlinePage } from '../standalone.ts';
import { chooserBody } from './chooser.ts';

export interface LandingDeps {
  /** The providers as they are now (read per request). */
  providers: () => Iterable<ProviderListing>;
  store: Pick<StoreOps, 'getUser' | 'listMemberships'>;
  /** Served over https (HSTS, upgrade-insecure-requests). */
  https: boolean;
}

function signedOut(providers: Iterable<ProviderListing>): string {
  return inlinePage('Sign in', html`<h1>Gatehouse</h1><p>You are not signed in.</p>${chooserBody(chooserProviders(providers), { returnTo: '/' })}`);
}

async function signedIn(u: RequestUser, store: LandingDeps['store']): Promise<string> {
  const user = await store.getUser(u.id);
  const rows = summarizeMemberships(await store.listMemberships(u.id)).map(
    (m) => html`<tr><td>${m.organization}</td><td>${m.roles.join(', ')}</td><td>${m.groups.join(', ')}</td></tr>`,
  );
  const admin = u.instanceAdmin && u.status === 'active';
  return inlinePage(
    'Signed in',
    html`<h1>Signed in</h1>
<p>You are <strong>${user?.email ?? u.id}</strong> (${u.status}${u.instanceAdmin ? ', instance admin' : ''}) via ${u.provider ?? ''}.</p>
<table><caption class="sr-only">Your memberships</caption><thead><tr><th scope="col">Organization</th><th scope="col">Roles</th><th scope="col">Groups</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="3" class="muted">No memberships</td></tr>`}</tbody></table>
<p><a href="/auth/me">/auth/me</a>${admin ? html` · <a href="/admin">Admin console</a>` : ''}</p>
<form method="post" action="/auth/logout"><button type="submit" class="secondary">Sign out</button></form>`,
  );
}

/** The `GET /` handler of the standalone gateway. */
export function landingPage(deps: LandingDeps): RequestHandler {
  const headers = inlinePageHeaders({ https: deps.https });
  return async (req, res, next) => {
    try {
      const u = req.gatehouseUser;
      sendInlinePage(headers, req, res, 200, u ? await signedIn(u, deps.store) : signedOut(deps.providers()));
    } catch (e) {
      next(e);
    }
  };
}
