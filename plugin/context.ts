/**
 * Everything a request handler needs, resolved once at start. Routers and the provisioning
 * pipeline receive this object; nothing reads raw config after start.
 */
import type { Logger } from 'pino';
import type { ProviderConfig, ResolvedConfig } from './config/schema.ts';
import type { ClaimsNormalizer } from './login/claims.ts';
import type { DirectoryHook } from './directory-events.ts';
import type { Metrics } from './http/metrics.ts';
import type { IdpAdapter, RateLimiter, StoreOps, Store } from './ports.ts';
import type { Runtime } from './runtime/state.ts';
import type { Claims, Membership, UserRecord } from './types.ts';

export interface ProviderRuntime {
  config: ProviderConfig;
  /** Where it is defined: the config file (read-only at run time) or the database (admin API). */
  source: 'config' | 'database';
  adapter: IdpAdapter;
  normalize: ClaimsNormalizer;
}

/** Facts about a committed-to-be login, handed to hooks inside the login transaction. */
export interface LoginEvent {
  kind: 'login';
  user: UserRecord;
  claims: Claims;
  /** The user row was created by this login. */
  created: boolean;
  /** The user is waiting for approval. */
  pending: boolean;
  memberships: Membership[];
}

/**
 * Runs inside the login transaction (e.g. the webhook outbox writes its event here, so a
 * rolled-back login sends nothing).
 */
export type LoginHook = (tx: StoreOps, event: LoginEvent) => Promise<void>;

export interface GatehouseContext {
  config: ResolvedConfig;
  /**
   * Keys for what Gatehouse signs or encrypts itself (flow cookies, console CSRF tokens, the
   * gateway's session cookie): `server.sessionSecret` as a list (the first signs, all verify).
   */
  secrets: readonly string[];
  store: Store;
  /** Providers, organization catalog and mapping engines in force: read `runtime.current()` once per request. */
  runtime: Runtime;
  logger: Logger;
  metrics: Metrics;
  loginHooks: LoginHook[];
  /** Run inside the transaction of every directory change (SCIM, admin API, waiting room, logins). */
  directoryHooks: DirectoryHook[];
  /**
   * Library hook for Azure group overage: fetch the user's groups (e.g. from Microsoft Graph)
   * when the IdP said it did not send them. Return null when they cannot be had.
   */
  resolveGroups?: ((claims: Claims) => Promise<string[] | null>) | undefined;
  now: () => number;
  /** Per-client brute-force limits (config `rateLimits`); none: unlimited. */
  rateLimiter?: RateLimiter | undefined;
}
