/**
 * Assembles Gatehouse from a resolved config and the ports the adapters built (store, IdP
 * adapters, feature stores, session store): the context, the login pipeline, the features
 * (webhooks, admin API and console, SCIM), and the pieces a host application mounts one by one
 * (Passport strategies, guards, opt-in routers) or all at once (`router`, the standalone
 * gateway's).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RequestHandler, Router } from 'express';
import type session from 'express-session';
import type { Logger } from 'pino';
import type { ResolvedConfig } from './config/schema.ts';
import type { GatehouseContext, LoginHook } from './context.ts';
import type { Feature } from './feature.ts';
import { featuresFor, type FeaturePorts } from './features.ts';
import type { ApiHandler } from './http/api-handler.ts';
import { createAuthRouter, createMetadataRouter, createWaitingRoomRouter } from './http/auth-router.ts';
import { loadGatehouseUser, passportUserBridge, type GatehouseUser } from './http/current-user.ts';
import { FlowCookie } from './http/flow-cookie.ts';
import type { HealthCheck } from './http/health.ts';
import { createGatewayRouter, gatewayErrorHandler } from './http/gateway-router.ts';
import { createIdpLogoutRouter } from './http/idp-logout.ts';
import { createGuards, type Guards } from './http/guards.ts';
import { isHttps } from './http/https.ts';
import { createMetrics, type Metrics } from './http/metrics.ts';
import { asUnavailable } from './http/unavailable.ts';
import { createLoginPipeline } from './login/pipeline.ts';
import { createLogger } from './logger.ts';
import { GatehouseStrategy } from './passport/strategy.ts';
import type { RateLimiter, Store } from './ports.ts';
import type { IdpFactory, ProviderStore } from './runtime/ports.ts';
import type { SecretBox } from './runtime/secret-box.ts';
import { createRuntime } from './runtime/state.ts';
import type { Claims } from './types.ts';

/** The resolved config and the ports the adapters built, for `assembleGatehouse`. */
export interface GatehouseOptions {
  config: ResolvedConfig;
  /** Keys Gatehouse signs and encrypts its own cookies and tokens with (first signs, all verify). */
  secrets: readonly string[];
  store: Store;
  /** express-session store (database, Redis or memory) of the gateway's own sessions (`router`). */
  sessionStore: session.Store;
  /** Builds the IdP adapter of a provider (config file or database). */
  idpFactory: IdpFactory;
  /** Providers managed at run time (absent: the config file's alone). */
  providerStore?: ProviderStore | undefined;
  /** Seals and opens the secrets of run-time providers (`secrets.encryptionKey`). */
  secretBox: SecretBox;
  /** Stores of the features (webhooks, SCIM, catalog). */
  features: FeaturePorts;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
  loginHooks?: LoginHook[] | undefined;
  resolveGroups?: ((claims: Claims) => Promise<string[] | null>) | undefined;
  now?: (() => number) | undefined;
  /** Per-client budgets for unauthenticated surfaces (login starts, bearer tokens). */
  rateLimiter?: RateLimiter | undefined;
  /** Dependencies `/healthz` checks besides the database (Redis when sessions live there). */
  healthChecks?: HealthCheck[] | undefined;
  /** false: start no background work (webhook dispatcher, endpoint sync), for a one-shot command. */
  background?: boolean | undefined;
}

/** Passport's callback shape for `serializeUser` / `deserializeUser`. */
export type DoneCallback<T> = (err: unknown, value?: T) => void;

/** Gatehouse assembled: the library's pieces plus what the gateway mounts (`router`, `handle`). */
export interface Gatehouse extends Guards {
  context: GatehouseContext;
  /** The Passport strategy of a provider (config file or run time), named after it. Throws for an id unknown now. */
  strategy(providerId: string): GatehouseStrategy;
  /** For `passport.serializeUser`: keeps the user id in the session. */
  serializeUser(user: unknown, done: DoneCallback<string>): void;
  /** For `passport.deserializeUser`: the user as they are now; `false` once deprovisioned, rejected or deleted. */
  deserializeUser(id: unknown, done: DoneCallback<GatehouseUser | false>): void;
  /** SCIM 2.0 at `scim.basePath` as middleware; passes on every URL it does not own (all of them when SCIM is off). */
  scim(): RequestHandler;
  /** The admin API (`/api`) and console, to mount at `/admin`. */
  admin(): Router;
  /** Prometheus text of this instance's metrics. */
  metrics(): RequestHandler;
  /** `GET /auth/waiting-room` for users who wait for approval. */
  waitingRoom(): Router;
  /** `GET /auth/{provider}/metadata`: SAML SP metadata. */
  metadata(): Router;
  /** Everything, as the standalone gateway mounts it (sessions, `/auth/*`, SCIM, admin, `/healthz`, `/metrics`). */
  router: Router;
  /** Answers a SCIM request without Express and returns true; false for any other URL. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Stops background work (webhook dispatcher, SCIM audit batching). */
  stop(): Promise<void>;
}

/** Builds Gatehouse over its ports and starts the features' background work. */
export async function assembleGatehouse(opts: GatehouseOptions): Promise<Gatehouse> {
  const { config, store } = opts;
  if (opts.secrets.length === 0) throw new TypeError('Gatehouse needs at least one secret');
  const logger = opts.logger ?? createLogger(config.log.level);
  const metrics = opts.metrics ?? createMetrics();
  const features = featuresFor(config, { ...opts.features, ...(opts.providerStore ? { providers: { store: opts.providerStore, box: opts.secretBox } } : {}) });
  const runtime = await createRuntime({ config, store, providers: opts.providerStore, box: opts.secretBox, idpFactory: opts.idpFactory, logger });

  const ctx: GatehouseContext = {
    config,
    secrets: opts.secrets,
    store,
    runtime,
    logger,
    metrics,
    loginHooks: [...features.flatMap((f) => f.loginHooks ?? []), ...(opts.loginHooks ?? [])],
    directoryHooks: features.flatMap((f) => f.directoryHooks ?? []),
    resolveGroups: opts.resolveGroups,
    now: opts.now ?? Date.now,
    rateLimiter: opts.rateLimiter,
  };
  const build = <T>(pick: (f: Feature) => ((c: GatehouseContext) => T | Promise<T>)[] | undefined): Promise<T[]> =>
    Promise.all(features.flatMap((f) => pick(f) ?? []).map((make) => make(ctx)));
  const apis = await build((f) => f.apis);
  const admin = Router();
  admin.use(passportUserBridge());
  for (const r of await build((f) => f.adminApi)) admin.use('/api', r);
  for (const r of await build((f) => f.console)) admin.use(r);
  admin.use(gatewayErrorHandler(ctx));

  const metricsHandler: RequestHandler = (_req, res, next) => {
    metrics.registry.metrics().then((text) => res.type(metrics.registry.contentType).send(text), next);
  };
  const scim: RequestHandler = (req, res, next) => {
    const owner = apis.find((a) => a.owns(req.url));
    if (owner) owner(req, res, next);
    else next();
  };
  const waitingRoom = Router().use(passportUserBridge(), createWaitingRoomRouter(ctx));
  const metadata = createMetadataRouter(ctx);
  const router = createGatewayRouter(ctx, {
    apis: scim,
    sessionStore: opts.sessionStore,
    auth: [createAuthRouter(ctx), createIdpLogoutRouter(ctx), metadata, waitingRoom],
    metrics: metricsHandler,
    admin,
    healthChecks: [{ name: 'database', check: () => store.ping() }, ...(opts.healthChecks ?? [])],
  });

  const login = createLoginPipeline(ctx);
  // Library strategies may run on any route of the host app: their flow cookie covers the whole site.
  const flows = new FlowCookie({ secrets: ctx.secrets, secure: isHttps(ctx), path: '/', now: ctx.now });
  const strategies = new Map<string, GatehouseStrategy>();

  const stops: (() => Promise<void>)[] = [];
  if (opts.background !== false) for (const f of features) if (f.start) stops.push(await f.start(ctx));

  return {
    context: ctx,
    ...createGuards(ctx),
    strategy(providerId) {
      const providers = runtime.current().providers;
      if (!providers.has(providerId)) throw new TypeError(`no provider "${providerId}" (providers: ${[...providers.keys()].join(', ') || 'none'})`);
      let s = strategies.get(providerId);
      if (!s) {
        s = new GatehouseStrategy({ providerId, login, ctx, flows });
        strategies.set(providerId, s);
      }
      return s;
    },
    serializeUser(user, done) {
      const id = (user as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') return done(new TypeError('serializeUser: not a Gatehouse user (no string id)'));
      done(null, id);
    },
    deserializeUser(id, done) {
      if (typeof id !== 'string') return done(null, false);
      loadGatehouseUser(store, id).then((u) => done(null, u ?? false), (e: unknown) => done(asUnavailable(e)));
    },
    scim: () => scim,
    admin: () => admin,
    metrics: () => metricsHandler,
    waitingRoom: () => waitingRoom,
    metadata: () => metadata,
    router,
    handle(req, res) {
      const api = apis.find((a) => a.owns(req.url ?? '/'));
      if (!api) return false;
      api(req, res);
      return true;
    },
    async stop() {
      for (const stop of stops.reverse()) await stop().catch((e: unknown) => logger.warn({ err: e }, 'feature stop failed'));
    },
  };
}

