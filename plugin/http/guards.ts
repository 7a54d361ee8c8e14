/**
 * Route guards for the host application: `requireUser()`, `requireRole(org, role)` and
 * `requireGroup(org, group)`. They read the Gatehouse user of the request, as Passport's
 * `deserializeUser` left it in `req.user` or as the gateway's own session has it, and answer
 * in JSON: 401 without a user, 403 for a user who is not active yet (pending approval) or who
 * lacks the role or group.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { GatehouseContext } from '../context.ts';
import { isGatehouseUser, loadGatehouseUser, type GatehouseUser } from './current-user.ts';
import { sendPendingApproval } from './session.ts';

/** Route guards for the host application's routes. */
export interface Guards {
  /** 401 without a signed-in user, 403 while the user waits for approval. */
  requireUser(): RequestHandler;
  /** As `requireUser`, then 403 unless the user has `role` in `organization`. */
  requireRole(organization: string, role: string): RequestHandler;
  /** As `requireUser`, then 403 unless the user is in `group` of `organization`. */
  requireGroup(organization: string, group: string): RequestHandler;
}

/** The request's Gatehouse user: Passport's `req.user`, else the gateway session's user, loaded once per request. */
async function userOf(ctx: GatehouseContext, req: Request, res: Response): Promise<GatehouseUser | null> {
  const passportUser = (req as { user?: unknown }).user;
  if (isGatehouseUser(passportUser)) return passportUser;
  const g = req.gatehouseUser;
  if (!g || g.token) return null;
  const cached = res.locals.gatehouseUser as GatehouseUser | undefined;
  if (cached) return cached;
  const loaded = await loadGatehouseUser(ctx.store, g.id);
  if (loaded) res.locals.gatehouseUser = loaded;
  return loaded;
}

function guard(ctx: GatehouseContext, allowed: (u: GatehouseUser) => boolean, what: string): RequestHandler {
  return (req, res, next) => {
    userOf(ctx, req, res).then((u) => {
      if (!u) return res.status(401).json({ error: 'unauthenticated', message: 'Sign in first.' });
      if (u.status !== 'active') return sendPendingApproval(ctx, res);
      if (!allowed(u)) return res.status(403).json({ error: 'forbidden', message: `This needs ${what}.` });
      next();
    }, next);
  };
}

/** The three guards over a context. */
export function createGuards(ctx: GatehouseContext): Guards {
  const orgOf = (u: GatehouseUser, organization: string) => u.memberships.find((m) => m.organization === organization);
  return {
    requireUser: () => guard(ctx, () => true, 'a signed-in user'),
    requireRole(organization, role) {
      if (!organization || !role) throw new TypeError('requireRole(organization, role) needs both names');
      return guard(ctx, (u) => orgOf(u, organization)?.roles.includes(role) === true, `the role "${role}" in the organization "${organization}"`);
    },
    requireGroup(organization, group) {
      if (!organization || !group) throw new TypeError('requireGroup(organization, group) needs both names');
      return guard(ctx, (u) => orgOf(u, organization)?.groups.includes(group) === true, `the group "${group}" in the organization "${organization}"`);
    },
  };
}
