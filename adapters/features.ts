/**
 * Optional features (SCIM, webhooks, admin API) plug into the gateway here: each contributes
 * routers built from the context, login hooks that run inside the login transaction, and
 * background workers. A new feature is one module plus one line in `featuresFor`.
 */
import type { Router } from 'express';
import type { ResolvedConfig } from '../plugin/config/schema.ts';
import type { ApiHandler } from '../plugin/gatehouse.ts';
import type { GatehouseContext, LoginHook } from '../plugin/context.ts';
import { adminFeature } from './admin/feature.ts';
import { consoleFeature } from './console/feature.ts';
import type { KnexStore } from './store/knex-store.ts';
import { webhooksFeature } from './webhooks/feature.ts';
import { scimFeature } from './scim/feature.ts';

export interface Feature {
  name: string;
  routers?: ((ctx: GatehouseContext) => Router | Promise<Router>)[];
  /** Stateless APIs answered before sessions and before Express in the gateway (see `ApiHandler`). */
  apis?: ((ctx: GatehouseContext) => ApiHandler | Promise<ApiHandler>)[];
  loginHooks?: LoginHook[];
  /** Starts background work once the context exists; returns a stop function. */
  start?: (ctx: GatehouseContext) => (() => Promise<void>) | Promise<() => Promise<void>>;
}

export function featuresFor(config: ResolvedConfig, store: KnexStore): Feature[] {
  const features: Feature[] = [];
  // One line per feature, e.g.: features.push(scimFeature(config, store));
  const webhooks = webhooksFeature(config, store);
  features.push(webhooks, adminFeature(config, store, { webhooks: webhooks.service }));
  features.push(scimFeature(config, store));
  features.push(consoleFeature(config, store, { webhooks: webhooks.service }));
  return features;
}
