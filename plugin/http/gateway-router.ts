/**
 * Everything mounted, as the standalone gateway serves it: the stateless APIs (SCIM) first, then
 * Gatehouse's own session cookie and the per-request user check, `/auth/*`, `/healthz`,
 * `/metrics` and the admin surface under `/admin`, with one error handler at the end.
 */
import { type ErrorRequestHandler, type RequestHandler, Router } from 'express';
import session from 'express-session';
import type { GatehouseContext } from '../context.ts';
import { isGatehouseError } from '../errors.ts';
import { healthHandler, type HealthCheck } from './health.ts';
import { errorPage } from './pages.ts';
import { isHttps } from './https.ts';
import { sessionUser, wantsHtml } from './session.ts';
import { isDependencyDown, sendUnavailable } from './unavailable.ts';

/** The pieces the gateway's router mounts, built by the assembly. */
export interface GatewayRouterParts {
  /** The stateless APIs (SCIM) as one middleware: answers the URLs they own, passes the rest on. */
  apis: RequestHandler;
  sessionStore: session.Store;
  /** `/auth/*`, the SP metadata and the waiting room. */
  auth: Router[];
  metrics: RequestHandler;
  admin: Router;
  /** What `/healthz` checks (the database, Redis when sessions live there). */
  healthChecks: HealthCheck[];
}

/** The error handler of the gateway's routes: a GatehouseError's status and message, else 500 without details. */
export function gatewayErrorHandler(ctx: GatehouseContext): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    // A dependency that is down is a 503 with Retry-After, never a 500.
    if (isDependencyDown(err)) return sendUnavailable(ctx.logger, req, res, err);
    const status = isGatehouseError(err) ? err.status : (err as { status?: number }).status ?? 500;
    if (status >= 500) ctx.logger.error({ err, path: req.path }, 'request failed');
    const message = isGatehouseError(err) ? err.message : status < 500 ? 'Bad request' : 'Internal error';
    if (wantsHtml(req)) res.status(status).type('html').send(errorPage(status, message));
    else res.status(status).json({ error: isGatehouseError(err) ? err.code : 'ERR_INTERNAL', message });
  };
}

/** The gateway's whole router. */
export function createGatewayRouter(ctx: GatehouseContext, parts: GatewayRouterParts): Router {
  const { config } = ctx;
  const router = Router();
  router.use(parts.apis);
  // Before the session middleware: a probe carries no cookie and must not depend on the session store.
  router.get('/healthz', healthHandler(ctx.logger, parts.healthChecks));
  router.use(
    session({
      name: config.sessions.cookieName,
      secret: [...ctx.secrets],
      store: parts.sessionStore,
      resave: false,
      saveUninitialized: false,
      rolling: false,
      proxy: config.server.trustProxy !== false ? true : undefined,
      cookie: { httpOnly: true, sameSite: 'lax', secure: isHttps(ctx), maxAge: config.server.sessionMaxAgeMs, path: '/' },
    }),
  );
  router.use(sessionUser(ctx));
  for (const r of parts.auth) router.use(r);
  router.get('/metrics', parts.metrics);
  router.use('/admin', parts.admin);
  router.use(gatewayErrorHandler(ctx));
  return router;
}
