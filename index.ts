/**
 * The package entry: `import { createGatehouse } from 'gatehouse'`.
 *
 * `createGatehouse(config)` takes the config file's object (validated as the file is: a bad key
 * fails with its path), opens the database (migrated, organizations seeded), and gives what a
 * host Express app mounts: a Passport strategy per provider, `serializeUser`/`deserializeUser`,
 * guards, and opt-in routers. Nothing is mounted unless the app asks for it. See docs/library.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import { createGatehouseFromConfig } from './adapters/backend.ts';
import { parseConfig } from './plugin/config/parse.ts';
import type { ConfigInput } from './plugin/config/schema.ts';
import type { DoneCallback } from './plugin/gatehouse.ts';
import type { GatehouseUser } from './plugin/http/current-user.ts';
import type { GatehouseStrategy } from './plugin/passport/strategy.ts';
import type { Claims } from './plugin/types.ts';

export { loadConfigFile } from './adapters/config/load.ts';
export { ConfigError, GatehouseError } from './plugin/errors.ts';
export type { GatehouseUser, OrganizationMembership } from './plugin/http/current-user.ts';
export type { LoginRefusalReason } from './plugin/login/pipeline.ts';
export type { GatehouseAuthenticateOptions, GatehouseLoginInfo, GatehouseLoginRefusal, GatehouseStrategy } from './plugin/passport/strategy.ts';
export type { Claims } from './plugin/types.ts';
export type { DoneCallback } from './plugin/gatehouse.ts';

/** The config file's object (docs/configuration.md). `server` and `sessions` may be left out in library mode. */
export type GatehouseConfig = ConfigInput;

/** Options of `createGatehouse` beyond the config object. */
export interface CreateGatehouseOptions {
  /** A pino logger (default: one at `log.level` that redacts secrets). */
  logger?: Logger | undefined;
  /**
   * Azure group overage: fetch the user's groups (e.g. from Microsoft Graph) when the IdP said it
   * did not send them. Return null when they cannot be had.
   */
  resolveGroups?: ((claims: Claims) => Promise<string[] | null>) | undefined;
}

/** A configured provider, for a sign-in page. */
export interface ProviderSummary {
  id: string;
  type: 'oidc' | 'saml';
  displayName: string;
}

/** What `createGatehouse` gives: one per app (and per database). */
export interface Gatehouse {
  /** The Passport strategy of a configured provider, named after its id. Throws a TypeError for an unknown id. */
  strategy(providerId: string): GatehouseStrategy;
  /** For `passport.serializeUser`: keeps only the user id in the session. */
  serializeUser(user: unknown, done: DoneCallback<string>): void;
  /** For `passport.deserializeUser`: the user as they are now; `false` (no user) once deprovisioned, rejected or deleted. */
  deserializeUser(id: unknown, done: DoneCallback<GatehouseUser | false>): void;
  /** 401 without a signed-in user, 403 while the user waits for approval. */
  requireUser(): RequestHandler;
  /** As `requireUser`, then 403 unless the user has `role` in `organization`. */
  requireRole(organization: string, role: string): RequestHandler;
  /** As `requireUser`, then 403 unless the user is in `group` of `organization`. */
  requireGroup(organization: string, group: string): RequestHandler;
  /** SCIM 2.0 at `scim.basePath` (mount with `app.use(gh.scim())`). Throws a TypeError when `scim.enabled` is false. */
  scim(): RequestHandler;
  /** The admin API (`/admin/api`) and console: mount with `app.use('/admin', gh.admin())`. */
  admin(): Router;
  /** Prometheus text of this instance's metrics: mount where you choose, behind your own access control. */
  metrics(): RequestHandler;
  /** `GET /auth/waiting-room` for users who wait for approval (mount at the app's root). */
  waitingRoom(): Router;
  /** `GET /auth/{provider}/metadata`: SAML SP metadata (mount at the app's root). */
  metadata(): Router;
  /** Everything, as the standalone gateway mounts it, with Gatehouse's own session cookie and `/auth/*` routes. */
  router(): Router;
  /** Answers a SCIM request without Express and returns true; false for any other URL (`http.createServer`). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The providers in force now (config file and run time), for a sign-in page. */
  providers(): ProviderSummary[];
  /** Stops background work and closes the database and Redis connections. */
  close(): Promise<void>;
}

/** Validates `config`, opens the database and builds Gatehouse. */
export async function createGatehouse(config: GatehouseConfig, options: CreateGatehouseOptions = {}): Promise<Gatehouse> {
  const resolved = parseConfig(config);
  const backend = await createGatehouseFromConfig(resolved, {
    logger: options.logger,
    ...(options.resolveGroups ? { extra: { resolveGroups: options.resolveGroups } } : {}),
  });
  const gh = backend.gatehouse;
  return {
    strategy: (id) => gh.strategy(id),
    serializeUser: gh.serializeUser,
    deserializeUser: gh.deserializeUser,
    requireUser: gh.requireUser,
    requireRole: gh.requireRole,
    requireGroup: gh.requireGroup,
    scim() {
      if (!resolved.scim.enabled) throw new TypeError('gh.scim(): scim.enabled is false in the config');
      return gh.scim();
    },
    admin: gh.admin,
    metrics: gh.metrics,
    waitingRoom: gh.waitingRoom,
    metadata: gh.metadata,
    router: () => gh.router,
    handle: gh.handle,
    providers: () =>
      [...gh.context.runtime.current().providers.values()].map(({ config: p }) => ({ id: p.id, type: p.type, displayName: p.displayName ?? p.id })),
    close: () => backend.close(),
  };
}
