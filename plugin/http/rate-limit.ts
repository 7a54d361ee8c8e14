/**
 * Brute-force limits on the unauthenticated surfaces (docs/security.md, "Rate limits"): the port
 * the routes call (`RateLimiter`, in ports.ts), and the few helpers that answer a limited request. Implementations (memory,
 * Redis shared by every instance) live in adapters/; the context carries one when configured.
 *
 * - `loginStart` counts every `GET /auth/{p}/login` (each one writes a pending request);
 * - `scimTokenFailures` / `adminTokenFailures` count only failed bearer tokens, so an IdP's or a
 *   script's legitimate traffic is never throttled; once a client's failures reach the budget it
 *   waits out the window, whatever token it sends (otherwise a lucky guess would still get in).
 */
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import type { GatehouseContext } from '../context.ts';
import { NOT_LIMITED, type ApiTokenKind, type ApiTokenRecord, type RateLimitDecision, type RateLimitSurface } from '../ports.ts';
import { bearerFrom, verifyToken } from '../tokens.ts';
import { clientIp } from './client-ip.ts';
import { errorPage } from './pages.ts';
import { wantsHtml } from './session.ts';

/** Counts one attempt of this request's client (a no-op without a limiter). */
export function countAttempt(ctx: GatehouseContext, req: IncomingMessage, surface: RateLimitSurface): Promise<RateLimitDecision> {
  if (!ctx.rateLimiter) return Promise.resolve(NOT_LIMITED);
  return ctx.rateLimiter.consume(surface, clientIp(req, ctx.config.server.trustProxy));
}

/** Whether this request's client has spent its budget on `surface` (nothing counted). */
export function budgetSpent(ctx: GatehouseContext, req: IncomingMessage, surface: RateLimitSurface): Promise<RateLimitDecision> {
  if (!ctx.rateLimiter) return Promise.resolve(NOT_LIMITED);
  return ctx.rateLimiter.peek(surface, clientIp(req, ctx.config.server.trustProxy));
}

const TOKEN_FAILURES: Record<ApiTokenKind, RateLimitSurface> = { scim: 'scimTokenFailures', admin: 'adminTokenFailures' };

/** What a bearer token checked under its kind's failure budget turned out to be. */
export type BudgetedToken =
  | { ok: true; row: ApiTokenRecord }
  | { ok: false; limited: true; retryAfterSeconds: number }
  | { ok: false; limited: false; presented: boolean };

/**
 * Checks the request's bearer token of this kind under the client's failure budget: a client
 * whose budget is spent is refused whatever it sends (a lucky guess would otherwise still get
 * in); only a failed check counts, so legitimate traffic never spends it.
 */
export async function verifyTokenWithinBudget(ctx: GatehouseContext, req: IncomingMessage, kind: ApiTokenKind): Promise<BudgetedToken> {
  const surface = TOKEN_FAILURES[kind];
  const spent = await budgetSpent(ctx, req, surface);
  if (spent.limited) return { ok: false, limited: true, retryAfterSeconds: spent.retryAfterSeconds };
  const presented = bearerFrom(req.headers.authorization);
  const row = presented === null ? null : await verifyToken(ctx.store, kind, presented, ctx.now());
  if (row) return { ok: true, row };
  await countAttempt(ctx, req, surface);
  return { ok: false, limited: false, presented: presented !== null };
}

/** Answers 429 with `Retry-After` (an HTML page for browsers, JSON otherwise). */
export function sendTooManyRequests(req: Request, res: Response, retryAfterSeconds: number): void {
  const message = `Too many attempts from your address. Try again in ${retryAfterSeconds} s.`;
  res.setHeader('Retry-After', String(retryAfterSeconds));
  if (wantsHtml(req)) res.status(429).type('html').send(errorPage(429, message));
  else res.status(429).json({ error: 'ERR_RATE_LIMITED', message });
}
