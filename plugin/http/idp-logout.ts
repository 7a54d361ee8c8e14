/**
 * Logouts between Gatehouse and the IdP (docs/logout.md): the IdP's end-session URL for a session
 * we end (OIDC RP-initiated logout, SAML LogoutRequest), the OIDC back-channel endpoint and the
 * SAML SLO endpoint where the IdP announces a logout it made. An announced logout is recorded once
 * in the database (its token or message ID is unique: a replay records nothing); every instance
 * ends the matching sessions on their next request (session.ts), whatever store holds them.
 */
import express, { Router, type Request, type Response } from 'express';
import type { GatehouseContext, ProviderRuntime } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import { errorPage } from './pages.ts';
import { budgetSpent, countAttempt, sendTooManyRequests } from './rate-limit.ts';
import type { SessionUser } from './session.ts';

function postLogoutRedirect(ctx: GatehouseContext, p: ProviderRuntime): string {
  return p.config.postLogoutRedirectUri ?? `${(ctx.config.server.baseUrl ?? '').replace(/\/+$/, '')}/`;
}

/** The URL that ends the IdP's session too, or null when the provider is not set for it (`singleLogout`) or offers none. */
export async function idpEndSessionUrl(ctx: GatehouseContext, s: SessionUser): Promise<string | null> {
  const p = ctx.runtime.current().providers.get(s.provider);
  if (!p?.config.singleLogout || !p.adapter.endSessionUrl || !s.idp) return null;
  const { sid, idTokenHint, subject, nameIdFormat } = s.idp;
  return p.adapter.endSessionUrl({ session: { sid, idTokenHint, subject, nameIdFormat }, postLogoutRedirectUri: postLogoutRedirect(ctx, p) });
}

const isRefusal = (e: unknown) => e instanceof GatehouseError && e.code === 'ERR_INVALID_ASSERTION';

export function createIdpLogoutRouter(ctx: GatehouseContext): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '128kb' });
  const audit = (action: string, provider: string, outcome: string, details: Record<string, unknown>, reason?: string) =>
    ctx.store
      .audit({ action, actor: `idp:${provider}`, outcome, ...(reason ? { reason } : {}), details: { provider, ...details } })
      .catch((e: unknown) => ctx.logger.warn({ err: e, action }, 'audit of an IdP logout failed'));

  /**
   * A client whose refused logout messages spent its budget gets 429 before anything is read or
   * audited: refusals write audit rows, and the unauthenticated must not make us write without end.
   */
  const overBudget = async (req: Request, res: Response, oauth: boolean): Promise<boolean> => {
    const spent = await budgetSpent(ctx, req, 'idpLogoutFailures');
    if (!spent.limited) return false;
    if (!oauth) {
      sendTooManyRequests(req, res, spent.retryAfterSeconds);
      return true;
    }
    // The back-channel endpoint answers in OAuth's error shape, as its other refusals do.
    res.setHeader('Retry-After', String(spent.retryAfterSeconds));
    res.status(429).json({ error: 'slow_down', error_description: `Too many refused logout messages from your address. Try again in ${spent.retryAfterSeconds} s.` });
    return true;
  };

  /** Records a logout the IdP announced; false for a replay (its unique id was seen). */
  const record = (provider: string, id: string, sid: string | undefined, subject: string | undefined, keepUntil: number) => {
    const at = ctx.now();
    return ctx.store.recordIdpLogout({
      provider,
      jti: id,
      sid: sid ?? null,
      // With a session id only that session ends; a subject alone ends every session of the subject.
      subject: sid ? null : (subject ?? null),
      at,
      expiresAt: Math.max(at + ctx.config.server.sessionMaxAgeMs, keepUntil),
    });
  };

  // OIDC Back-Channel Logout 1.0 (§2.5, §2.8): 200, or 400 with an OAuth error; never cached.
  router.post('/auth/:provider/backchannel-logout', form, async (req: Request, res: Response) => {
    const provider = String(req.params.provider);
    const p = ctx.runtime.current().providers.get(provider);
    res.setHeader('Cache-Control', 'no-store');
    if (!p?.adapter.verifyLogoutToken) return void res.status(404).json({ error: 'invalid_request', error_description: 'no back-channel logout for this provider' });
    if (await overBudget(req, res, true)) return;
    const token = (req.body as Record<string, unknown> | undefined)?.logout_token;
    const refuse = async (why: string, message: string) => {
      await countAttempt(ctx, req, 'idpLogoutFailures');
      await audit('logout.backchannel', provider, 'refused', { why }, message);
      res.status(400).json({ error: 'invalid_request', error_description: message });
    };
    try {
      const t = await p.adapter.verifyLogoutToken(typeof token === 'string' ? token : '');
      if (!(await record(provider, t.jti, t.sid, t.sub, t.expiresAt))) return refuse('replayed', `logout token ${t.jti.slice(0, 80)} was already used (replay)`);
      await audit('logout.backchannel', provider, 'ok', { sid: t.sid ?? null, sub: t.sub ?? null });
      ctx.logger.info({ provider, sid: t.sid, sub: t.sub }, 'IdP announced a logout');
      res.status(200).end();
    } catch (e) {
      if (isRefusal(e)) return refuse('invalid_token', (e as Error).message);
      ctx.logger.error({ err: e, provider }, 'back-channel logout failed');
      res.status(503).json({ error: 'temporarily_unavailable' });
    }
  });

  // SAML Single Logout: a LogoutRequest from the IdP, or its LogoutResponse to ours (both bindings).
  const slo = async (req: Request, res: Response) => {
    const provider = String(req.params.provider);
    const p = ctx.runtime.current().providers.get(provider);
    const channel = p?.adapter.logoutChannel;
    if (!p || !channel) return void res.status(404).type('text/plain').send('no single logout for this provider');
    if (await overBudget(req, res, false)) return;
    const q = req.originalUrl.indexOf('?');
    const refuse = async (why: string, message: string) => {
      await countAttempt(ctx, req, 'idpLogoutFailures');
      await audit('logout.saml', provider, 'refused', { why }, message);
      res.status(400).type('html').send(errorPage(400, message));
    };
    try {
      const message = await channel.receive({ method: req.method, rawQuery: q === -1 ? '' : req.originalUrl.slice(q + 1), body: (req.body ?? {}) as Record<string, unknown> });
      if (message.kind === 'response') {
        await audit('logout.saml', provider, message.success ? 'ok' : 'partial', { message: 'LogoutResponse' });
        return res.redirect(302, postLogoutRedirect(ctx, p));
      }
      if (!(await record(provider, `saml:${message.id}`, message.sid, message.subject, 0))) {
        return refuse('replayed', `LogoutRequest ${message.id.slice(0, 80)} was already used (replay)`);
      }
      await audit('logout.saml', provider, 'ok', { message: 'LogoutRequest', sessionIndex: message.sid ?? null, nameId: message.subject });
      ctx.logger.info({ provider, sessionIndex: message.sid }, 'IdP announced a logout');
      res.redirect(302, await channel.answer(message));
    } catch (e) {
      if (isRefusal(e)) return refuse(String((e as GatehouseError).details?.reason ?? 'invalid'), (e as Error).message);
      ctx.logger.error({ err: e, provider }, 'SAML single logout failed');
      res.status(503).type('html').send(errorPage(503, 'The logout could not be recorded; try again.'));
    }
  };
  router.get('/auth/:provider/slo', slo);
  router.post('/auth/:provider/slo', form, slo);
  return router;
}
