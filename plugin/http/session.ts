/**
 * Session shape and the per-request user check: every request with a session re-reads the
 * user's status (one primary-key lookup), so a deprovisioned or rejected user's sessions die
 * on their next request, and a pending user is confined to the waiting room.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { GatehouseContext } from '../context.ts';
import type { UserStatus } from '../types.ts';

export interface SessionUser {
  userId: string;
  provider: string;
  loginAt: number;
  /** The IdP's side of the session, for logouts it announces or we ask it for (docs/logout.md). */
  idp?: { subject: string; sid?: string | undefined; idTokenHint?: string | undefined; nameIdFormat?: string | undefined } | undefined;
}

declare module 'express-session' {
  interface SessionData {
    gatehouse?: SessionUser;
  }
}

export interface RequestUser {
  id: string;
  status: UserStatus;
  instanceAdmin: boolean;
  provider: string | null;
  /** Set when authenticated by an admin API token rather than a session. */
  token?: { id: string; name: string } | undefined;
}

declare module 'express-serve-static-core' {
  interface Request {
    gatehouseUser?: RequestUser | undefined;
  }
}

export const WAITING_ROOM_PATH = '/auth/waiting-room';

/** Paths a pending user may still reach. */
const PENDING_ALLOWED = new Set([WAITING_ROOM_PATH, '/auth/logout', '/auth/me', '/healthz']);

function destroy(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}

export function wantsHtml(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html') && !accept.includes('application/json');
}

/** The JSON answer to a user who waits for approval: 403 with the waiting room's message and path. */
export function sendPendingApproval(ctx: GatehouseContext, res: Response): void {
  res.status(403).json({ error: 'pending_approval', message: ctx.config.waitingRoom.message, waitingRoom: WAITING_ROOM_PATH });
}

/** Loads `req.gatehouseUser` from the session and enforces the user's current status. */
export function sessionUser(ctx: GatehouseContext): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const s = req.session?.gatehouse;
    if (!s) return next();
    // A session that knows its IdP session also asks whether the IdP announced its end since.
    const loggedOutAt = s.idp ? ctx.store.idpLoggedOutAt(s.provider, s.idp.sid ?? null, s.idp.subject) : Promise.resolve(null);
    Promise.all([ctx.store.getUserStatus(s.userId), loggedOutAt]).then(async ([status, logoutAt]) => {
      const inactive = !status || status.status === 'deprovisioned' || status.status === 'rejected';
      if (inactive || (logoutAt !== null && logoutAt >= s.loginAt)) {
        if (inactive) ctx.logger.info({ userId: s.userId, status: status?.status ?? 'deleted' }, 'session ended: user no longer active');
        else ctx.logger.info({ userId: s.userId, provider: s.provider }, 'session ended: the IdP logged the user out');
        await destroy(req);
        res.clearCookie(ctx.config.sessions.cookieName, { path: '/' });
        req.gatehouseUser = undefined;
        return next();
      }
      req.gatehouseUser = { id: s.userId, status: status.status, instanceAdmin: status.instanceAdmin, provider: s.provider };
      if (status.status === 'pending_approval' && !PENDING_ALLOWED.has(req.path)) {
        if (req.method === 'GET' && wantsHtml(req)) return res.redirect(302, WAITING_ROOM_PATH);
        return sendPendingApproval(ctx, res);
      }
      next();
    }, next);
  };
}
