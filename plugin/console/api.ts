/**
 * The console calls the admin API's own route handlers in process: the same validation (zod
 * schemas), the same operations and the same audit entries with the same actor label as
 * `/admin/api`, with no HTTP round trip and no second copy of any business rule.
 */
import type { Request, Response } from 'express';
import type { AdminActor } from '../admin/auth.ts';
import type { Method, RouteDef } from '../admin/registry.ts';
import { adminRoutes, type AdminDeps } from '../admin/router.ts';
import { parseInput } from '../admin/validation.ts';
import type { GatehouseContext } from '../context.ts';

export interface CallInput {
  params?: Record<string, string> | undefined;
  body?: unknown;
  query?: Record<string, unknown> | undefined;
}

export interface ConsoleApi {
  /** True when the admin API has this route (e.g. webhooks only with the webhook service). */
  has(method: Method, path: string): boolean;
  /** Runs one admin route as `actor`; throws what the route throws (GatehouseError on bad input). */
  call<T>(req: Request, res: Response, actor: AdminActor, method: Method, path: string, input?: CallInput): Promise<T>;
}

export function createConsoleApi(ctx: GatehouseContext, deps: AdminDeps): ConsoleApi {
  const routes = new Map<string, RouteDef>(adminRoutes(ctx, deps).map((r) => [`${r.method} ${r.path}`, r]));
  return {
    has: (method, path) => routes.has(`${method} ${path}`),
    async call<T>(req: Request, res: Response, actor: AdminActor, method: Method, path: string, input: CallInput = {}): Promise<T> {
      const r = routes.get(`${method} ${path}`);
      if (!r) throw new TypeError(`the admin API has no route ${method.toUpperCase()} ${path}`);
      const params = input.params ?? {};
      const raw: unknown = r.prepareBody ? await r.prepareBody(input.body, params) : input.body;
      const body = r.body ? parseInput(r.body, raw, 'body') : undefined;
      const query = r.query ? parseInput(r.query, input.query ?? {}, 'query') : undefined;
      const reply = await r.handler({ req, res, body, query, params, actor });
      return reply.body as T;
    },
  };
}

/** The admin API's user label for a console session, exactly as `adminAuth` makes it. */
export function sessionActor(userId: string): AdminActor {
  return { kind: 'user', id: userId, label: `user:${userId}` };
}
