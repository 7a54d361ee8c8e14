/**
 * Who may call the admin API: an instance admin's session, or an admin API token
 * (`Authorization: Bearer gatehouse_admin_...`). Session requests that change state must be JSON or carry
 * `X-Requested-With` (a cross-site form can do neither without a CORS preflight we never grant);
 * bearer requests carry no ambient credentials and are exempt.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { GatehouseContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import { verifyTokenWithinBudget } from '../http/rate-limit.ts';

export type AdminActor =
  | { kind: 'user'; id: string; label: string }
  | { kind: 'token'; id: string; name: string; label: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isJson(req: Request): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** True when a session-authenticated request may change state. */
export function passesCsrfCheck(req: Request): boolean {
  if (SAFE_METHODS.has(req.method)) return true;
  if (isJson(req)) return true;
  const xrw = req.headers['x-requested-with'];
  return typeof xrw === 'string' && xrw.trim() !== '';
}

export function actorOf(res: Response): AdminActor {
  const a = res.locals.adminActor as AdminActor | undefined;
  if (!a) throw new TypeError('admin route reached without the admin auth middleware');
  return a;
}

/**
 * Bearer-token branch: sets the actor, or returns why not. Failed tokens count against the
 * client's `rateLimits.adminTokenFailures` budget; once it is spent, 429 until the window ends.
 */
async function tokenAuth(ctx: GatehouseContext, req: Request, res: Response): Promise<GatehouseError | undefined> {
  const checked = await verifyTokenWithinBudget(ctx, req, 'admin');
  if (!checked.ok && checked.limited) {
    res.setHeader('Retry-After', String(checked.retryAfterSeconds));
    return new GatehouseError('ERR_RATE_LIMITED', `too many failed admin token attempts from your address; retry in ${checked.retryAfterSeconds} s`);
  }
  if (!checked.ok) {
    return new GatehouseError('ERR_UNAUTHENTICATED', checked.presented ? 'unknown or revoked admin token' : 'Authorization must be "Bearer <admin token>"');
  }
  const row = checked.row;
  res.locals.adminActor = { kind: 'token', id: row.id, name: row.name, label: `admin-token:${row.name}` } satisfies AdminActor;
  return undefined;
}

export function adminAuth(ctx: GatehouseContext): RequestHandler {
  return (req, res, next) => {
    if (req.headers.authorization !== undefined) {
      tokenAuth(ctx, req, res).then(next, next);
      return;
    }
    const u = req.gatehouseUser;
    if (!u) return next(new GatehouseError('ERR_UNAUTHENTICATED', 'sign in as an instance admin or send an admin API token'));
    if (u.status !== 'active' || !u.instanceAdmin) return next(new GatehouseError('ERR_FORBIDDEN', 'the admin API is for instance admins'));
    if (!passesCsrfCheck(req)) {
      return next(new GatehouseError('ERR_FORBIDDEN', 'requests that change state must send Content-Type: application/json (or X-Requested-With)'));
    }
    res.locals.adminActor = { kind: 'user', id: u.id, label: `user:${u.id}` } satisfies AdminActor;
    next();
  };
}
