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
import { NOT_LIMITED, type RateLimitDecision, type RateLimitSurface } from '../ports.ts';
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

/** Answers 429 with `Retry-After` (an HTML page for browsers, JSON otherwise). */
export function sendTooManyRequests(req: Request, res: Response, retryAfterSeconds: number): void {
  const message = `Too many attempts from your address. Try again in ${retryAfterSeconds} s.`;
  res.setHeader('Retry-After', String(retryAfterSeconds));
  if (wantsHtml(req)) res.status(429).type('html').send(errorPage(429, message));
  else res.status(429).json({ error: 'ERR_RATE_LIMITED', message });
}
