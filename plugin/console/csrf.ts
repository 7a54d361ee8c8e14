/**
 * CSRF protection for the console's forms: a per-session token, derived as an HMAC of the
 * session id under the session secret (so nothing is stored, every instance agrees, and a new
 * session after sign-in gets a new token). Every POST must carry it as `_csrf`; a missing or
 * wrong token is a 403 before any handler runs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { GatehouseError } from '../errors.ts';

export const CSRF_FIELD = '_csrf';
const LABEL = 'gatehouse-console-csrf\0';

export interface Csrf {
  /** The token for this request's session (empty without a session). */
  tokenFor(req: Request): string;
  /** Rejects unsafe methods without the right token (needs a parsed urlencoded body). */
  verify: RequestHandler;
}

export function createCsrf(secrets: readonly string[]): Csrf {
  if (secrets.length === 0) throw new TypeError('CSRF needs at least one secret');
  const derive = (secret: string, sessionId: string) => createHmac('sha256', secret).update(LABEL + sessionId).digest('base64url');

  function matches(req: Request, presented: string): boolean {
    if (!req.sessionID || !req.gatehouseUser) return false;
    const given = Buffer.from(presented);
    // Every secret verifies, so rotating the session secret does not break open forms.
    return secrets.some((s) => {
      const expected = Buffer.from(derive(s, req.sessionID));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  return {
    tokenFor(req) {
      return req.sessionID && req.gatehouseUser ? derive(secrets[0]!, req.sessionID) : '';
    },
    verify(req, _res, next) {
      if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
      const body = req.body as Record<string, unknown> | undefined;
      const presented = body?.[CSRF_FIELD];
      if (typeof presented !== 'string' || presented === '' || !matches(req, presented)) {
        return next(new GatehouseError('ERR_FORBIDDEN', 'The form expired or did not come from this console (CSRF check failed). Reload the page and try again.'));
      }
      next();
    },
  };
}
