/**
 * Logouts between Gatehouse and the IdP (docs/logout.md): the IdP's end-session URL for a session
 * we end (RP-initiated), and the back-channel endpoint where the IdP announces a logout it made.
 * An announced logout is recorded once in the database; every instance ends the matching sessions
 * on their next request (session.ts), whatever store holds them.
 */
import express, { Router, type Request, type Response } from 'express';
import type { GatehouseContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import type { SessionUser } from './session.ts';

/** The URL that ends the IdP's session too, or null when the provider is not set for it (`singleLogout`) or offers none. */
export async function idpEndSessionUrl(ctx: GatehouseContext, s: SessionUser): Promise<string | null> {
  const p = ctx.runtime.current().providers.get(s.provider);
  if (!p?.config.singleLogout || !p.adapter.endSessionUrl || !s.idp) return null;
  const base = (ctx.config.server.baseUrl ?? '').replace(/\/+$/, '');
  const postLogoutRedirectUri = p.config.postLogoutRedirectUri ?? `${base}/`;
  return p.adapter.endSessionUrl({ session: { sid: s.idp.sid, idTokenHint: s.idp.idTokenHint }, postLogoutRedirectUri });
}

/** `POST /auth/{provider}/backchannel-logout`: OIDC Back-Channel Logout 1.0 (§2.5, §2.8). */
export function createBackchannelLogoutRouter(ctx: GatehouseContext): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '32kb' });
  const answer = (res: Response, status: number, body?: Record<string, string>) => {
    res.setHeader('Cache-Control', 'no-store');
    if (body) res.status(status).json(body);
    else res.status(status).end();
  };

  router.post('/auth/:provider/backchannel-logout', form, async (req: Request, res: Response) => {
    const providerId = String(req.params.provider);
    const p = ctx.runtime.current().providers.get(providerId);
    if (!p?.adapter.verifyLogoutToken) return answer(res, 404, { error: 'invalid_request', error_description: 'no back-channel logout for this provider' });
    const token = (req.body as Record<string, unknown> | undefined)?.logout_token;
    const refuse = async (reason: string, message: string) => {
      await ctx.store
        .audit({ action: 'logout.backchannel', actor: `idp:${providerId}`, outcome: 'refused', reason: message, details: { provider: providerId, why: reason } })
        .catch((e: unknown) => ctx.logger.warn({ err: e }, 'audit of a refused logout token failed'));
      answer(res, 400, { error: 'invalid_request', error_description: message });
    };
    let verified;
    try {
      verified = await p.adapter.verifyLogoutToken(typeof token === 'string' ? token : '');
    } catch (e) {
      if (e instanceof GatehouseError && e.code === 'ERR_INVALID_ASSERTION') return refuse('invalid_token', e.message);
      ctx.logger.error({ err: e, provider: providerId }, 'back-channel logout failed');
      return answer(res, 503, { error: 'temporarily_unavailable' });
    }
    try {
      const at = ctx.now();
      const recorded = await ctx.store.recordIdpLogout({
        provider: providerId,
        jti: verified.jti,
        sid: verified.sid ?? null,
        // With a sid, only that session ends; a sub alone ends every session of the subject.
        subject: verified.sid ? null : (verified.sub ?? null),
        at,
        // Kept while a session it ends may live, and while the token could be replayed.
        expiresAt: Math.max(at + ctx.config.server.sessionMaxAgeMs, verified.expiresAt),
      });
      // One use per token: a replayed one is refused and ends nothing more.
      if (!recorded) return refuse('replayed', `logout token ${verified.jti.slice(0, 80)} was already used (replay)`);
      await ctx.store.audit({ action: 'logout.backchannel', actor: `idp:${providerId}`, outcome: 'ok', details: { provider: providerId, sid: verified.sid ?? null, sub: verified.sub ?? null } });
      ctx.logger.info({ provider: providerId, sid: verified.sid, sub: verified.sub }, 'IdP announced a logout');
      answer(res, 200);
    } catch (e) {
      ctx.logger.error({ err: e, provider: providerId }, 'back-channel logout could not be recorded');
      answer(res, 503, { error: 'temporarily_unavailable' });
    }
  });
  return router;
}
