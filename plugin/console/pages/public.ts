/**
 * Pages outside the console frame: the waiting room for pending users (also served by the auth
 * router at `/auth/waiting-room`), the sign-in chooser and the 403 page.
 */
import type { Request, Response } from 'express';
import type { GatehouseContext } from '../../context.ts';
import { isHttps } from '../../http/https.ts';
import type { NodeMiddleware } from '../headers.ts';
import { chooserProviders, type ProviderListing } from '../../login/home-realm.ts';
import { html } from '../html.ts';
import { barePage } from '../layout.ts';
import { inlinePage, inlinePageHeaders, sendInlinePage } from '../standalone.ts';
import { chooserBody } from './chooser.ts';

/** How often the waiting room looks again (a pending session may only reach this page). */
const WAITING_ROOM_REFRESH_S = 30;

/** The waiting room: the operator's message; reloads itself so an approval is noticed. */
export function renderWaitingRoom(message: string): string {
  // A pending session cannot fetch /admin/assets (it is confined to the waiting room), so the
  // stylesheet is inline and allowed by its hash.
  return inlinePage(
    'Waiting for approval',
    html`<h1>Waiting for approval</h1>
<p role="status" class="flash ok">${message}</p>
<h2>What happens next</h2>
<ol>
<li>An administrator has to approve your account (in the admin console, or with <code>gatehouse users approve</code>). Nothing is needed from you meanwhile.</li>
<li>Once you are approved, reload this page (it also checks by itself every ${WAITING_ROOM_REFRESH_S} seconds) and you are taken on, signed in as you are now.</li>
<li>Signed in with the wrong account? Sign out and sign in again with another one.</li>
</ol>
<form method="post" action="/auth/logout"><button type="submit" class="secondary">Sign out</button></form>`,
    { head: html`<meta http-equiv="refresh" content="${WAITING_ROOM_REFRESH_S}">` },
  );
}

const waitingRoomHeaders = new Map<boolean, NodeMiddleware>();

/** Sends the waiting room with the console's security headers (CSP allowing its inline style). */
export function sendWaitingRoom(req: Request, res: Response, ctx: GatehouseContext): void {
  const https = isHttps(ctx);
  let headers = waitingRoomHeaders.get(https);
  if (!headers) waitingRoomHeaders.set(https, (headers = inlinePageHeaders({ https })));
  sendInlinePage(headers, req, res, 200, renderWaitingRoom(ctx.config.waitingRoom.message));
}

/** The console's sign-in: the chooser of the listed providers, coming back to `returnTo` (a console path). */
export function renderSignIn(providers: Iterable<ProviderListing>, returnTo: string): string {
  return barePage(
    'Sign in',
    html`<h1>Sign in to the admin console</h1>
<p>The console is for instance admins.</p>
${chooserBody(chooserProviders(providers), { returnTo })}`,
  );
}

export function renderForbidden(who: string): string {
  return barePage(
    'Access denied',
    html`<h1>Access denied</h1>
<p role="alert">The admin console is for instance admins. You are signed in as <strong>${who}</strong>, who is not one.</p>
<p><a href="/">Back to the start page</a></p>
<form method="post" action="/auth/logout"><button type="submit" class="secondary">Sign out and use another account</button></form>`,
  );
}
