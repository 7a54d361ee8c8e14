/**
 * `/admin`: the admin console, server-rendered pages over the admin API's own operations.
 *
 * Order of the checks on every request: security headers (helmet, strict CSP) -> assets (public)
 * -> sign-in chooser (public) -> who is asking (no session: redirect to the chooser; not an
 * active instance admin: 403 page) -> form body + CSRF token on every POST -> the page or the
 * form handler, which redirects with a flash message (PRG).
 */
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AdminDeps } from '../admin/router.ts';
import type { GatehouseContext } from '../context.ts';
import { isGatehouseError } from '../errors.ts';
import { providerListings } from '../http/discovery.ts';
import { safeReturnTo } from '../http/return-to.ts';
import { isDependencyDown, sendUnavailable } from '../http/unavailable.ts';
import { createConsoleApi, sessionActor } from './api.ts';
import { ASSETS_PATH, serveAssets } from './assets.ts';
import { createCsrf } from './csrf.ts';
import { field, type ActionFn, type Env, type PageFn } from './env.ts';
import { securityHeaders } from './headers.ts';
import { html } from './html.ts';
import { barePage, consolePage, queryString, type Flash, type NavKey, type View } from './layout.ts';
import * as access from './pages/access.ts';
import { auditPage } from './pages/audit.ts';
import { explainAction, explainFormPage } from './pages/explain.ts';
import { isHttps } from '../http/https.ts';
import { renderForbidden, renderSignIn } from './pages/public.ts';
import * as orgs from './pages/organizations.ts';
import * as providerForm from './pages/provider-form.ts';
import * as provisioning from './pages/provider-provisioning.ts';
import * as providers from './pages/providers.ts';
import * as lifecycle from './pages/user-lifecycle.ts';
import { createUserAction, newUserPage } from './pages/user-new.ts';
import * as users from './pages/users.ts';
import * as webhooks from './pages/webhooks.ts';

export const CONSOLE_BASE = '/admin';
const SIGN_IN_PATH = `${CONSOLE_BASE}/sign-in`;

declare module 'express-session' {
  interface SessionData {
    /** The console's one-shot message after a redirect (never a secret). */
    consoleFlash?: Flash;
  }
}

export type ConsoleDeps = AdminDeps;

/** A console path to come back to after sign-in (anything else: the console's start). */
function consoleReturnTo(value: unknown): string {
  const path = safeReturnTo(value);
  return path === CONSOLE_BASE || path.startsWith(`${CONSOLE_BASE}/`) ? path : CONSOLE_BASE;
}

export function createConsoleRouter(ctx: GatehouseContext, deps: ConsoleDeps = {}): Router {
  const api = createConsoleApi(ctx, deps);
  const csrf = createCsrf(ctx.secrets);
  const hidden = new Set<NavKey>(deps.webhooks ? [] : ['webhooks']);
  const form = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 500 });

  const c = Router();
  c.use(securityHeaders({ https: isHttps(ctx) }));
  c.use(ASSETS_PATH.slice(CONSOLE_BASE.length), serveAssets());

  c.get('/sign-in', (req, res) => {
    const u = req.gatehouseUser;
    if (u?.status === 'active' && u.instanceAdmin) return res.redirect(302, consoleReturnTo(req.query.returnTo));
    res.type('html').send(renderSignIn(providerListings(ctx), consoleReturnTo(req.query.returnTo)));
  });

  // Who is asking: the console is for active instance admins only.
  c.use(async (req, res, next) => {
    const u = req.gatehouseUser;
    if (!u) {
      if (req.method === 'GET') return res.redirect(302, `${SIGN_IN_PATH}?returnTo=${encodeURIComponent(req.originalUrl)}`);
      return res.status(401).type('html').send(barePage('Sign in', html`<h1>Not signed in</h1><p><a href="${SIGN_IN_PATH}">Sign in</a> to use the admin console.</p>`));
    }
    if (u.status !== 'active' || !u.instanceAdmin) {
      try {
        const user = await ctx.store.getUser(u.id);
        return res.status(403).type('html').send(renderForbidden(user?.email ?? u.id));
      } catch (e) {
        return next(e);
      }
    }
    next();
  });
  // Every unsafe method needs the form's CSRF token (verify lets GET/HEAD/OPTIONS through).
  c.use(form, csrf.verify);

  async function envFor(req: Request, res: Response): Promise<Env> {
    const u = req.gatehouseUser!;
    const actor = sessionActor(u.id);
    const admin = await ctx.store.getUser(u.id);
    let flash: Flash | null = null;
    if (req.session.consoleFlash) {
      flash = req.session.consoleFlash;
      delete req.session.consoleFlash;
    }
    const view: View = { csrf: csrf.tokenFor(req), admin: { id: u.id, email: admin?.email ?? null }, flash, hidden };
    return {
      req,
      res,
      ctx,
      view,
      call: (method, path, input) => api.call(req, res, actor, method, path, input),
      has: (method, path) => api.has(method, path),
    };
  }

  const page =
    (fn: PageFn): RequestHandler =>
    async (req, res, next) => {
      try {
        res.type('html').send(await fn(await envFor(req, res)));
      } catch (e) {
        next(e);
      }
    };

  /** A form handler; a refused operation (bad input, conflict) goes back to `back` with the reason. */
  const action =
    (fn: ActionFn, back: (req: Request) => string): RequestHandler =>
    async (req, res, next) => {
      try {
        const env = await envFor(req, res);
        let result;
        try {
          result = await fn(env);
        } catch (e) {
          if (!isGatehouseError(e) || e.status >= 500) throw e;
          req.session.consoleFlash = { kind: 'error', text: e.message };
          return res.redirect(303, back(req));
        }
        if ('render' in result) return res.type('html').send(result.render);
        if (result.flash) req.session.consoleFlash = { kind: 'ok', text: result.flash };
        res.redirect(303, result.redirect);
      } catch (e) {
        next(e);
      }
    };

  const userBack = (req: Request) => (field(req, 'back') === 'waiting' ? '/admin/waiting-room' : `/admin/users/${encodeURIComponent(String(req.params.id))}`);
  const to = (path: string) => () => path;

  c.get('/', (_req, res) => res.redirect(302, `${CONSOLE_BASE}/waiting-room`));
  c.get('/waiting-room', page(users.waitingRoomPage));
  c.get('/users', page(users.usersPage));
  c.get('/users/new', page(newUserPage));
  c.post('/users/new', action(createUserAction, (req) => `/admin/users/new${queryString({ org: field(req, 'organization') })}`));
  c.get('/users/:id', page(users.userDetailPage));
  c.post('/users/:id/deactivate', action(lifecycle.deactivateAction, userBack));
  c.post('/users/:id/reactivate', action(lifecycle.reactivateAction, userBack));
  c.get('/users/:id/delete', page(lifecycle.deleteConfirmPage));
  c.post('/users/:id/delete', action(lifecycle.deleteAction, (req) => `${userBack(req)}/delete`));
  c.post('/users/:id/approve', action(users.approveAction, userBack));
  c.post('/users/:id/reject', action(users.rejectAction, userBack));
  c.post('/users/:id/overrides', action(users.addOverrideAction, (req) => `${userBack(req)}?org=${encodeURIComponent(field(req, 'organization') ?? '')}#manage-groups`));
  c.post('/users/:id/overrides/:overrideId/delete', action(users.removeOverrideAction, (req) => `${userBack(req)}#manage-groups`));

  c.get('/organizations', page(orgs.organizationsPage));
  c.post('/organizations', action(orgs.createOrganizationAction, to('/admin/organizations')));
  c.post('/organizations/:id/roles', action(orgs.addNameAction('role'), to('/admin/organizations')));
  c.post('/organizations/:id/groups', action(orgs.addNameAction('group'), to('/admin/organizations')));

  const provider = (suffix = '') => (req: Request) => `/admin/providers/${encodeURIComponent(String(req.params.id))}${suffix}`;
  c.get('/providers', page(providers.providersPage));
  c.get('/providers/new', page(providerForm.newProviderPage));
  c.post('/providers/new', action(providerForm.createProviderAction, (req) => `/admin/providers/new${queryString({ type: req.query.type === 'saml' ? 'saml' : 'oidc' })}`));
  c.get('/providers/:id', page(providers.providerDetailPage));
  c.get('/providers/:id/edit', page(providerForm.editProviderPage));
  c.post('/providers/:id/edit', action(providerForm.updateProviderAction, provider()));
  c.get('/providers/:id/provisioning', page(provisioning.provisioningPage));
  c.post('/providers/:id/provisioning', action(provisioning.saveProvisioningAction, provider('/provisioning')));
  c.post('/providers/:id/provisioning/try', action(provisioning.tryProvisioningAction, provider('/provisioning')));
  c.post('/providers/:id/test', action(providers.testProviderAction, provider()));
  c.get('/providers/:id/delete', page(providers.deleteConfirmPage));
  c.post('/providers/:id/delete', action(providers.deleteProviderAction, provider()));

  c.get('/policies', page(access.policiesPage));
  c.post('/providers/:id/policy', action(access.setPolicyAction, access.policyBack));
  c.get('/allowlist', page(access.allowlistPage));
  c.post('/allowlist', action(access.addAllowlistAction, to('/admin/allowlist')));
  c.post('/allowlist/:id/delete', action(access.removeAllowlistAction, to('/admin/allowlist')));
  for (const k of Object.values(access.TOKEN_KINDS)) {
    c.get(k.base, page(access.tokensPageFor(k.kind)));
    c.post(k.base, action(access.mintTokenAction(k.kind), to(`/admin${k.base}`)));
    c.post(`${k.base}/:id/revoke`, action(access.revokeTokenAction(k.kind), to(`/admin${k.base}`)));
  }

  if (deps.webhooks) {
    const hook = (req: Request) => `/admin/webhooks/${encodeURIComponent(String(req.params.id))}`;
    c.get('/webhooks', page(webhooks.webhooksPage));
    c.post('/webhooks', action(webhooks.createWebhookAction, to('/admin/webhooks')));
    c.get('/webhooks/:id', page(webhooks.webhookPage));
    c.post('/webhooks/:id', action(webhooks.updateWebhookAction, hook));
    c.post('/webhooks/:id/enabled', action(webhooks.toggleWebhookAction, hook));
    c.post('/webhooks/:id/rotate-secret', action(webhooks.rotateSecretAction, hook));
    c.post('/webhooks/:id/delete', action(webhooks.deleteWebhookAction, hook));
    c.get('/webhooks/:id/deliveries/:deliveryId', page(webhooks.deliveryPage));
    c.post('/webhooks/:id/deliveries/:deliveryId/redeliver', action(webhooks.redeliverAction, (req) => `${hook(req)}#deliveries`));
  }

  c.get('/audit', page(auditPage));
  c.get('/explain', page(explainFormPage));
  c.post('/explain', action(explainAction, to('/admin/explain')));

  // Unknown console paths and failures render inside the console frame.
  c.use(async (req, res, next) => {
    try {
      const env = await envFor(req, res);
      res.status(404).type('html').send(consolePage(env.view, { title: 'Not found' }, html`<p>No console page at <code>${req.originalUrl}</code>.</p>`));
    } catch (e) {
      next(e);
    }
  });
  c.use(async (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (isDependencyDown(err)) return sendUnavailable(ctx.logger, req, res, err);
    const status = isGatehouseError(err) ? err.status : ((err as { status?: number }).status ?? 500);
    if (status >= 500) ctx.logger.error({ err, path: req.path }, 'admin console request failed');
    const message = isGatehouseError(err) ? err.message : status < 500 ? 'Bad request' : 'Internal error';
    const title = status === 403 ? 'Forbidden' : status === 404 ? 'Not found' : 'Error';
    res.status(status).type('html').send(barePage(title, html`<h1>${title}</h1><p role="alert">${message}</p><p><a href="${CONSOLE_BASE}">Back to the console</a></p>`));
  });

  const router = Router();
  // The JSON admin API lives under /admin/api with its own auth; the console leaves it alone.
  router.use((req, res, next) => (req.path === '/api' || req.path.startsWith('/api/') ? next('router') : c(req, res, next)));
  return router;
}
