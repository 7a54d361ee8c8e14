/**
 * Builds the Gatehouse middleware from resolved config and injected ports. The standalone
 * gateway and library users both come through here (see adapters/index.ts for the wiring
 * from a config file or object).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorRequestHandler, Router } from 'express';
import session from 'express-session';
import pino, { type Logger } from 'pino';
import type { ResolvedConfig } from './config/schema.ts';
import type { GatehouseContext, LoginHook, ProviderRuntime } from './context.ts';
import { isGatehouseError } from './errors.ts';
import { createAuthRouter } from './http/auth-router.ts';
import { healthHandler, type HealthCheck } from './http/health.ts';
import { createMetrics, type Metrics } from './http/metrics.ts';
import { errorPage } from './http/pages.ts';
import { sessionUser, wantsHtml } from './http/session.ts';
import { isDependencyDown, sendUnavailable } from './http/unavailable.ts';
import { createClaimsNormalizer } from './login/claims.ts';
import { catalogFrom, createMappingEngines } from './mapping/index.ts';
import type { IdpAdapter, Store } from './ports.ts';
import type { Claims } from './types.ts';

export interface GatehouseOptions {
  config: ResolvedConfig;
  store: Store;
  /** express-session store (database, Redis or memory), built by the adapters. */
  sessionStore: session.Store;
  /** One adapter per configured provider id. */
  idps: Map<string, IdpAdapter>;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
  loginHooks?: LoginHook[] | undefined;
  resolveGroups?: ((claims: Claims) => Promise<string[] | null>) | undefined;
  /** Extra routers mounted after the built-in ones (SCIM, admin API...), built from the context. */
  extensions?: ((ctx: GatehouseContext) => Router | Promise<Router>)[] | undefined;
  /**
   * Stateless APIs (SCIM) built from the context: plain node:http handlers that own a URL prefix,
   * answered before the session middleware (a bearer-token API has no use for a session).
   */
  apis?: ((ctx: GatehouseContext) => ApiHandler | Promise<ApiHandler>)[] | undefined;
  now?: (() => number) | undefined;
  /** Dependencies `/healthz` checks besides the database (Redis when sessions live there). */
  healthChecks?: HealthCheck[] | undefined;
}

/** A node:http handler for every URL it `owns`; usable as Express middleware too. */
export interface ApiHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  owns(url: string): boolean;
}

export interface Gatehouse {
  /** Mount this on the host app: the APIs, sessions, the user check, `/auth/*`, `/healthz`, `/metrics`, extensions. */
  router: Router;
  /**
   * Serves a request of a stateless API (SCIM) without any framework and returns true, or returns
   * false for everything else. The standalone gateway calls it before Express; `router` does the
   * same for apps that only mount the router.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  context: GatehouseContext;
}

/** Logger that never prints secrets, whatever a caller passes in. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.clientSecret',
        '*.secret',
        '*.sessionSecret',
        '*.token',
        '*.password',
        '*.privateKey',
        'SAMLResponse',
        '*.SAMLResponse',
        'code',
        '*.code_verifier',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export async function createGatehouse(opts: GatehouseOptions): Promise<Gatehouse> {
  const { config, store } = opts;
  const logger = opts.logger ?? createLogger(config.log.level);
  const metrics = opts.metrics ?? createMetrics();
  const catalog = catalogFrom(await store.listOrganizations());
  const engines = createMappingEngines(config, catalog);

  const providers = new Map<string, ProviderRuntime>();
  config.providers.forEach((p, i) => {
    const adapter = opts.idps.get(p.id);
    if (!adapter) throw new TypeError(`no IdP adapter for provider "${p.id}"`);
    providers.set(p.id, { config: p, adapter, normalize: createClaimsNormalizer(p, i) });
  });

  const ctx: GatehouseContext = {
    config,
    store,
    providers,
    catalog,
    engines,
    logger,
    metrics,
    loginHooks: opts.loginHooks ?? [],
    resolveGroups: opts.resolveGroups,
    now: opts.now ?? Date.now,
  };
  ctx.reloadCatalog = async () => {
    const fresh = catalogFrom(await store.listOrganizations());
    ctx.engines = createMappingEngines(config, fresh);
    ctx.catalog = fresh;
  };

  const secrets = Array.isArray(config.server.sessionSecret) ? config.server.sessionSecret : [config.server.sessionSecret];
  const secure = (config.server.baseUrl ?? '').startsWith('https://');
  const apis = await Promise.all((opts.apis ?? []).map((build) => build(ctx)));
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '/';
    const api = apis.find((a) => a.owns(url));
    if (!api) return false;
    api(req, res);
    return true;
  };
  const router = Router();
  router.use((req, res, next) => {
    const api = apis.find((a) => a.owns(req.url));
    if (api) api(req, res, next);
    else next();
  });
  // Before the session middleware: a probe carries no cookie and must not depend on the session store.
  router.get('/healthz', healthHandler(logger, [{ name: 'database', check: () => store.ping() }, ...(opts.healthChecks ?? [])]));
  router.use(
    session({
      name: config.sessions.cookieName,
      secret: secrets,
      store: opts.sessionStore,
      resave: false,
      saveUninitialized: false,
      rolling: false,
      proxy: config.server.trustProxy !== false ? true : undefined,
      cookie: { httpOnly: true, sameSite: 'lax', secure, maxAge: config.server.sessionMaxAgeMs, path: '/' },
    }),
  );
  router.use(sessionUser(ctx));
  router.use(createAuthRouter(ctx));
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  for (const ext of opts.extensions ?? []) router.use(await ext(ctx));

  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    if (isDependencyDown(err)) return sendUnavailable(logger, req, res, err);
    const status = isGatehouseError(err) ? err.status : (err as { status?: number }).status ?? 500;
    if (status >= 500) logger.error({ err, path: req.path }, 'request failed');
    const message = isGatehouseError(err) ? err.message : status < 500 ? 'Bad request' : 'Internal error';
    if (wantsHtml(req)) res.status(status).type('html').send(errorPage(status, message));
    else res.status(status).json({ error: isGatehouseError(err) ? err.code : 'ERR_INTERNAL', message });
  };
  router.use(onError);
  return { router, handle, context: ctx };
}
