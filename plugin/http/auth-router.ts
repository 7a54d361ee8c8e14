/**
 * `/auth/*`: login start, IdP callback (OIDC redirect / SAML ACS), SP metadata, logout,
 * waiting room and `/auth/me`.
 */
import express, { type Request, type Response, Router } from 'express';
import type { GatehouseContext, ProviderRuntime } from '../context.ts';
import { provisionLogin } from '../provisioning/login.ts';
import type { Claims, Membership } from '../types.ts';
import { FlowCookie } from './flow-cookie.ts';
import { sendWaitingRoom } from '../console/pages/public.ts';
import { classifyLoginFailure, type CommittedLogin } from './login-failure.ts';
import { errorPage } from './pages.ts';
import { noteDependencyDown, setRetryAfter } from './unavailable.ts';
import { WAITING_ROOM_PATH, wantsHtml } from './session.ts';

/** Only same-origin relative paths; anything else falls back to `/`. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f]/.test(value)) return '/';
  return value;
}

/** Groups membership rows per organization for `/auth/me`. */
export function summarizeMemberships(rows: Membership[]): { organization: string; roles: string[]; groups: string[] }[] {
  const byOrg = new Map<string, { roles: Set<string>; groups: Set<string> }>();
  for (const m of rows) {
    let e = byOrg.get(m.organization);
    if (!e) byOrg.set(m.organization, (e = { roles: new Set(), groups: new Set() }));
    (m.kind === 'role' ? e.roles : e.groups).add(m.name);
  }
  return [...byOrg].map(([organization, e]) => ({ organization, roles: [...e.roles].sort(), groups: [...e.groups].sort() }));
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((e: unknown) => (e ? reject(e) : resolve())));
}
function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((e: unknown) => (e ? reject(e) : resolve())));
}

export function createAuthRouter(ctx: GatehouseContext): Router {
  const router = Router();
  const secrets = Array.isArray(ctx.config.server.sessionSecret) ? ctx.config.server.sessionSecret : [ctx.config.server.sessionSecret];
  const flows = new FlowCookie({ secrets, secure: (ctx.config.server.baseUrl ?? '').startsWith('https://') });
  const form = express.urlencoded({ extended: false, limit: '2mb' });

  const providerOf = (req: Request, res: Response): ProviderRuntime | null => {
    const p = ctx.providers.get(String(req.params.provider));
    if (!p) {
      res.status(404).type('text/plain').send('unknown provider');
      return null;
    }
    return p;
  };

  router.get('/auth/:provider/login', async (req, res, next) => {
    const p = providerOf(req, res);
    if (!p) return;
    try {
      // Other providers' (or tabs') pending logins in the same browser are kept.
      const flow = flows.read(req);
      const url = await p.adapter.begin({ flow, returnTo: safeReturnTo(req.query.returnTo) });
      flows.write(res, flow);
      res.redirect(302, url);
    } catch (e) {
      next(e);
    }
  });

  const callback = async (req: Request, res: Response): Promise<void> => {
    const p = providerOf(req, res);
    if (!p) return;
    const started = process.hrtime.bigint();
    let claims: Claims | null = null;
    let outcome = 'error';
    let committed: CommittedLogin | null = null;
    const flow = flows.read(req);
    try {
      const url = new URL(req.originalUrl, 'http://callback.invalid');
      const body = (req.body ?? {}) as Record<string, unknown>;
      let assertion: Awaited<ReturnType<typeof p.adapter.complete>>;
      try {
        assertion = await p.adapter.complete({ flow, method: req.method, url, body });
      } finally {
        // The adapter consumed what it used; keep the rest (another tab's pending login).
        flows.write(res, flow);
      }
      claims = p.normalize(assertion);
      const result = await provisionLogin(ctx, claims);
      outcome = result.pending ? 'pending' : result.created ? 'created' : 'success';
      // Committed from here on: a failure below is `session_failed` (see login-failure.ts).
      committed = { userId: result.user.id, outcome };
      // A fresh session id at login: no fixation.
      await regenerate(req);
      req.session.gatehouse = { userId: result.user.id, provider: p.config.id, loginAt: ctx.now() };
      await save(req);
      ctx.logger.info({ provider: p.config.id, userId: result.user.id, outcome }, 'login');
      res.redirect(302, result.pending ? WAITING_ROOM_PATH : safeReturnTo(assertion.returnTo));
    } catch (e) {
      const f = classifyLoginFailure(e, committed);
      outcome = f.outcome;
      if (f.status === 503) noteDependencyDown(ctx.logger, e);
      if (f.refused) ctx.logger.warn({ provider: p.config.id, code: f.code, reason: f.details.reason }, 'login refused');
      else if (f.status === 503) ctx.logger.warn({ provider: p.config.id, outcome, userId: f.userId }, 'login failed: dependency unavailable');
      else ctx.logger.error({ err: e, provider: p.config.id, outcome }, 'login failed unexpectedly');
      await ctx.store
        .audit({
          action: 'login',
          outcome,
          actor: `idp:${p.config.id}`,
          provider: p.config.id,
          subject: claims?.subject ?? null,
          userId: f.userId,
          reason: f.reason,
          details: { code: f.code, ...f.details, ...(claims?.email ? { email: claims.email } : {}) },
        })
        .catch((auditErr: unknown) => ctx.logger.error({ err: auditErr }, 'audit write failed'));
      if (f.status === 503) setRetryAfter(res);
      if (wantsHtml(req)) res.status(f.status).type('html').send(errorPage(f.status, f.message));
      else res.status(f.status).json({ error: f.code, message: f.message });
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      ctx.metrics.logins.inc({ provider: p.config.id, outcome });
      ctx.metrics.loginDuration.observe({ provider: p.config.id, outcome }, seconds);
    }
  };
  router.get('/auth/:provider/callback', callback);
  router.post('/auth/:provider/callback', form, callback);

  router.get('/auth/:provider/metadata', (req, res) => {
    const p = providerOf(req, res);
    if (!p) return;
    if (!p.adapter.metadata) {
      res.status(404).type('text/plain').send('no metadata for this provider type');
      return;
    }
    res.type('application/samlmetadata+xml').send(p.adapter.metadata());
  });

  router.post('/auth/logout', (req, res, next) => {
    const userId = req.gatehouseUser?.id;
    req.session.destroy((e: unknown) => {
      if (e) return next(e);
      res.clearCookie(ctx.config.sessions.cookieName, { path: '/' });
      if (userId) ctx.logger.info({ userId }, 'logout');
      if (wantsHtml(req)) res.redirect(302, '/');
      else res.status(204).end();
    });
  });

  router.get(WAITING_ROOM_PATH, (req, res, next) => {
    const u = req.gatehouseUser;
    if (u?.status === 'active') return res.redirect(302, '/');
    if (!u) {
      res.status(401).type('html').send(errorPage(401, 'You are not signed in.'));
      return;
    }
    // One layout with the admin console (plugin/console), with its security headers.
    sendWaitingRoom(req, res, ctx, next);
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
