/** The shape of one optional feature (webhooks, admin API and console, SCIM): what it adds to Gatehouse. */
import type { Router } from 'express';
import type { GatehouseContext, LoginHook } from './context.ts';
import type { DirectoryHook } from './directory-events.ts';
import type { ApiHandler } from './http/api-handler.ts';

/** One optional feature's contributions, assembled by `featuresFor` (features.ts). */
export interface Feature {
  name: string;
  /** Routers of the JSON admin API, relative to `/admin/api`. */
  adminApi?: ((ctx: GatehouseContext) => Router | Promise<Router>)[];
  /** Routers of the admin console, relative to `/admin`. */
  console?: ((ctx: GatehouseContext) => Router | Promise<Router>)[];
  /** Stateless APIs answered before sessions and before Express in the gateway (see `ApiHandler`). */
  apis?: ((ctx: GatehouseContext) => ApiHandler | Promise<ApiHandler>)[];
  loginHooks?: LoginHook[];
  directoryHooks?: DirectoryHook[];
  /** Starts background work once the context exists; returns a stop function. */
  start?: (ctx: GatehouseContext) => (() => Promise<void>) | Promise<() => Promise<void>>;
}
