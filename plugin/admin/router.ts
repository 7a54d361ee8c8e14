/**
 * `/admin/api`: JSON admin API for an instance-admin session or an admin API token. Routes come
 * from one registry (see registry.ts) that also yields `GET /admin/api/openapi.json`.
 */
import express, { Router, type Request, type Response, type NextFunction } from 'express';
import type { GatehouseContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import type { WebhookService } from '../webhooks/service.ts';
import { actorOf, adminAuth } from './auth.ts';
import type { CatalogWriter } from './catalog.ts';
import type { ProviderProbe, SamlMetadataReader } from './probe.ts';
import type { RuntimeProviders } from './providers.ts';
import { buildOpenApi } from './openapi.ts';
import { expressPath, route, type RouteDef } from './registry.ts';
import { accessRoutes } from './routes/access.ts';
import { auditRoutes } from './routes/audit.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { probeRoutes } from './routes/probe.ts';
import { providerRoutes } from './routes/providers.ts';
import { provisioningRoutes } from './routes/provisioning.ts';
import { userRoutes } from './routes/users.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { adminErrorHandler, parseInput } from './validation.ts';

export const ADMIN_API_BASE = '/admin/api';
const API_VERSION = '1.0.0';

export interface AdminDeps {
  /** Webhook endpoints and deliveries (absent: no webhook routes). */
  webhooks?: WebhookService | undefined;
  /** Creates organizations, roles and groups (absent: the catalog is read-only). */
  catalog?: CatalogWriter | undefined;
  /** Stores providers managed at run time (absent: the config file's are listed, read-only). */
  providers?: RuntimeProviders | undefined;
  /** "Test connection" of a provider (absent: no test routes). */
  probe?: ProviderProbe | undefined;
  /** Reads SAML IdP metadata for providers saved with `metadataUrl` (absent: the three fields are required). */
  samlMetadata?: SamlMetadataReader | undefined;
}

/** Every admin route, in documentation order. */
export function adminRoutes(ctx: GatehouseContext, deps: AdminDeps): RouteDef[] {
  const routes: RouteDef[] = [
    ...userRoutes(ctx),
    ...catalogRoutes(ctx, deps.catalog),
    ...providerRoutes(ctx, deps.providers, deps.samlMetadata),
    ...(deps.probe ? probeRoutes(ctx, deps.probe) : []),
    ...provisioningRoutes(ctx),
    ...accessRoutes(ctx),
    ...(deps.webhooks ? webhookRoutes(deps.webhooks, (id) => ctx.runtime.current().providers.has(id)) : []),
    ...auditRoutes(ctx),
  ];
  const doc = () => buildOpenApi(routes, { version: API_VERSION, serverUrl: ADMIN_API_BASE, cookieName: ctx.config.sessions.cookieName });
  let cached: ReturnType<typeof buildOpenApi> | null = null;
  routes.push(
    route({
      method: 'get',
      path: '/openapi.json',
      tag: 'Meta',
      summary: 'This document (no authentication needed)',
      public: true,
      responses: { 200: 'OpenAPI 3.1 document' },
      handler: () => ({ body: (cached ??= doc()) }),
    }),
  );
  return routes;
}

/** The admin API's router, relative to where it is mounted (`/admin/api`). */
export function createAdminRouter(ctx: GatehouseContext, deps: AdminDeps = {}): Router {
  const api = Router();
  const auth = adminAuth(ctx);
  const json = express.json({ limit: '256kb', type: ['application/json', 'application/*+json'] });

  for (const r of adminRoutes(ctx, deps)) {
    const handler = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const params = req.params as Record<string, string>;
        const raw: unknown = r.prepareBody ? await r.prepareBody(req.body, params) : req.body;
        const body = r.body ? parseInput(r.body, raw, 'body') : undefined;
        const query = r.query ? parseInput(r.query, req.query, 'query') : undefined;
        const actor = r.public ? { kind: 'user' as const, id: '', label: 'anonymous' } : actorOf(res);
        const reply = await r.handler({ req, res, body, query, params, actor });
        const status = reply.status ?? 200;
        if (status === 204 || reply.body === undefined) res.status(status).end();
        else res.status(status).json(reply.body);
      } catch (e) {
        next(e);
      }
    };
    const chain = r.public ? [handler] : [auth, json, handler];
    api[r.method](expressPath(r.path), ...chain);
  }
  // Unknown routes answer 404 only to callers who may see the API at all.
  api.use(auth, (req, _res, next) => next(new GatehouseError('ERR_NOT_FOUND', `no admin route ${req.method} ${ADMIN_API_BASE}${req.path}`)));
  api.use(adminErrorHandler(ctx.logger));
  return api;
}
