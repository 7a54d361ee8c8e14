/**
 * `/auth/*` of the standalone gateway: home-realm discovery, login start, IdP callback (OIDC
 * redirect / SAML ACS), logout and `/auth/me`; the SP metadata and the waiting room are routers of their own, which a
 * library user mounts one by one.
 */
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { GatehouseContext, ProviderRuntime } from '../context.ts';
import { createLoginPipeline, type LoginFailed } from '../login/pipeline.ts';
import { summarizeMemberships } from './current-user.ts';
import { FlowCookie } from './flow-cookie.ts';
import { isHttps } from './https.ts';
import { sendTooManyRequests } from './rate-limit.ts';
import { safeReturnTo } from './return-to.ts';
import { sendWaitingRoom } from '../console/pages/public.ts';
import { DISCOVERY_PATH } from '../console/pages/chooser.ts';
import { discoveryHandler } from './discovery.ts';
import { errorPage } from './pages.ts';
import { setRetryAfter } from './unavailable.ts';
import { idpEndSessionUrl } from './idp-logout.ts';
import { WAITING_ROOM_PATH, wantsHtml } from './session.ts';

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((e: unknown) => (e ? reject(e) : resolve())));
}
function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((e: unknown) => (e ? reject(e) : resolve())));
}

/** The email typed on the chooser, passed on to the IdP as a hint; anything odd is dropped, never refused. */
function loginHint(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 320 && /^[^\s@]+@[^\s@]+$/.test(value) ? value : undefined;
}

export function createAuthRouter(ctx: GatehouseContext): Router {
  const router = Router();
  const flows = new FlowCookie({ secrets: ctx.secrets, secure: isHttps(ctx), now: ctx.now });
  const form = express.urlencoded({ extended: false, limit: '2mb' });

  const login = createLoginPipeline(ctx);
  const providerOf = (req: Request, res: Response): ProviderRuntime | null => {
    const p = login.provider(String(req.params.provider));
    if (!p) {
      res.status(404).type('text/plain').send('unknown provider');
      return null;
    }
    return p;
  };

  router.get(DISCOVERY_PATH, discoveryHandler(ctx));

  router.get('/auth/:provider/login', async (req, res, next) => {
    const p = providerOf(req, res);
    if (!p) return;
    try {
      // Other providers' (or tabs') pending logins in the same browser are kept.
      const flow = flows.read(req);
      const start = await login.begin(p, flow, safeReturnTo(req.query.returnTo), req, loginHint(req.query.login_hint));
      if (!start.ok) return sendTooManyRequests(req, res, start.retryAfterSeconds);
      flows.write(res, flow);
      res.redirect(302, start.url);
    } catch (e) {
      next(e);
    }
  });

  /** A failed login's answer: its status (503 with Retry-After for a dependency that is down) and message. */
  const sendFailure = (req: Request, res: Response, f: LoginFailed): void => {
    if (f.status === 503) setRetryAfter(res);
    if (wantsHtml(req)) res.status(f.status).type('html').send(errorPage(f.status, f.message));
    else res.status(f.status).json({ error: f.code, message: f.message });
  };

  const callback = async (req: Request, res: Response): Promise<void> => {
    const p = providerOf(req, res);
    if (!p) return;
    const flow = flows.read(req);
    const url = new URL(req.originalUrl, 'http://callback.invalid');
    const outcome = await login.complete(p, flow, { method: req.method, url, body: (req.body ?? {}) as Record<string, unknown> });
    // The adapter consumed what it used; keep the rest (another tab's pending login).
    flows.write(res, flow);
    if (!outcome.ok) return sendFailure(req, res, outcome);
    const { result } = outcome;
    try {
      // A fresh session id at login: no fixation.
      await regenerate(req);
      const idp = outcome.idpSession;
      // Only a provider that takes part in logouts needs the IdP session kept, and only such a
      // session pays the per-request check for an announced logout (session.ts).
      const { verifyLogoutToken, logoutChannel, endSessionUrl } = p.adapter;
      const logouts = Boolean(verifyLogoutToken ?? logoutChannel ?? endSessionUrl);
      req.session.gatehouse = {
        userId: result.user.id,
        provider: p.config.id,
        loginAt: ctx.now(),
        ...(logouts ? { idp: { subject: outcome.claims.subject, sid: idp?.sid, idTokenHint: idp?.idTokenHint, nameIdFormat: idp?.nameIdFormat } } : {}),
      };
      await save(req);
    } catch (e) {
      // Committed, but the sign-in never reached the browser: audited as `session_failed`.
      return sendFailure(req, res, await login.sessionFailed(outcome, e));
    }
    res.redirect(302, result.pending ? WAITING_ROOM_PATH : safeReturnTo(outcome.returnTo));
  };
  router.get('/auth/:provider/callback', callback);
  router.post('/auth/:provider/callback', form, callback);

  router.post('/auth/logout', async (req, res, next) => {
    const userId = req.gatehouseUser?.id;
    const signedIn = req.session.gatehouse;
    // RP-initiated logout: the IdP ends its own session too, when it offers that (docs/logout.md).
    let endSession: string | null = null;
    try {
      endSession = signedIn ? await idpEndSessionUrl(ctx, signedIn) : null;
    } catch (e) {
      ctx.logger.warn({ err: e, provider: signedIn?.provider }, 'the IdP end-session URL could not be built; logging out here only');
    }
    req.session.destroy((e: unknown) => {
      if (e) return next(e);
      res.clearCookie(ctx.config.sessions.cookieName, { path: '/' });
      if (userId) ctx.logger.info({ userId, idpLogout: endSession !== null }, 'logout');
      if (wantsHtml(req)) res.redirect(302, endSession ?? '/');
      else if (endSession) res.status(200).json({ endSessionUrl: endSession });
      else res.status(204).end();
    });
  });

  router.get('/auth/me', async (req, res, next) => {
    const u = req.gatehouseUser;
    if (!u) {
      res.status(401).json({ error: 'unauthenticated' });
      return;
    }
    try {
      const user = await ctx.store.getUser(u.id);
      if (!user) {
        res.status(401).json({ error: 'unauthenticated' });
        return;
      }
      const memberships = user.status === 'active' ? summarizeMemberships(await ctx.store.listMemberships(u.id)) : [];
      res.json({
        user: { id: user.id, email: user.email, status: user.status, instanceAdmin: user.instanceAdmin, name: user.displayName },
        memberships,
      });
    } catch (e) {
      next(e);
    }
  });

  return router;
}

/** `GET /auth/{provider}/metadata`: the SAML SP metadata of each SAML provider (404 for OIDC). */
export function createMetadataRouter(ctx: GatehouseContext): Router {
  const router = Router();
  router.get('/auth/:provider/metadata', (req, res) => {
    const p = ctx.runtime.current().providers.get(String(req.params.provider));
    if (!p) {
      res.status(404).type('text/plain').send('unknown provider');
      return;
    }
    if (!p.adapter.metadata) {
      res.status(404).type('text/plain').send('no metadata for this provider type');
      return;
    }
    res.type('application/samlmetadata+xml').send(p.adapter.metadata());
  });

  return router;
}

/** `GET /auth/waiting-room`: where a user waiting for approval is told what happens next. */
export function createWaitingRoomRouter(ctx: GatehouseContext): Router {
  const router = Router();
  router.get(WAITING_ROOM_PATH, (req, res) => {
    const u = req.gatehouseUser;
    if (u?.status === 'active') return res.redirect(302, '/');
    if (!u) {
      res.status(401).type('html').send(errorPage(401, 'You are not signed in.'));
      return;
    }
    // One layout with the admin console (plugin/console), with its security headers.
    sendWaitingRoom(req, res, ctx);
  });

  return router;
}
