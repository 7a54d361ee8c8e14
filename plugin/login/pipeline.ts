/**
 * A login from start to finish, whoever drives the HTTP side (the gateway's `/auth/*` router or
 * the Passport strategy): start at the IdP, then at the callback verify the assertion (IdP
 * adapter) -> normalize the claims -> gate, FirstLoginPolicy, mapping and provisioning in one
 * transaction (provisioning/login.ts) -> an outcome value. Refusals are audited here, outside the
 * rolled-back transaction, and every callback is counted in the metrics.
 */
import type { IncomingMessage } from 'node:http';
import type { GatehouseContext, ProviderRuntime } from '../context.ts';
import { classifyLoginFailure, type CommittedLogin, type LoginRefusalReason } from '../http/login-failure.ts';
import { countAttempt } from '../http/rate-limit.ts';
import { noteDependencyDown } from '../http/unavailable.ts';
import type { FlowState, IdpSession } from '../ports.ts';
import { provisionLogin, type LoginResult } from '../provisioning/login.ts';
import { pinned } from '../runtime/state.ts';
import type { Claims } from '../types.ts';

export type { LoginRefusalReason };

/** What the IdP sent back to the callback (OIDC redirect or SAML ACS POST). */
export interface CallbackInput {
  method: string;
  url: URL;
  body: Record<string, unknown>;
}

/** A login that did not end in a session: refused, or failed (status 500/503). */
export interface LoginFailed {
  ok: false;
  provider: string;
  status: number;
  reason: LoginRefusalReason;
  code: string;
  /** Safe to show to the user. */
  message: string;
  /** The thrown value, for errors that are not refusals (status 500 or 503). */
  cause: unknown;
}

/** How a login that got through ended: `created` (first login), `linked` (to a pre-provisioned user), `pending` (waits for approval). */
export type LoginSuccessOutcome = 'success' | 'created' | 'linked' | 'pending';

/** The outcome of a committed login, as its audit row, the metrics and the Passport `info` name it. */
export function loginOutcomeOf(result: Pick<LoginResult, 'pending' | 'created' | 'linked'>): LoginSuccessOutcome {
  return result.pending ? 'pending' : result.created ? 'created' : result.linked ? 'linked' : 'success';
}

/** How a callback ended: a committed login, or a failure that was audited. */
export type LoginOutcome =
  | { ok: true; provider: string; result: LoginResult; claims: Claims; returnTo: string | undefined; idpSession: IdpSession | undefined }
  | LoginFailed;

/** The login, start and finish, for whichever HTTP side drives it. */
export interface LoginPipeline {
  /** The provider's runtime, or null for an unknown id. */
  provider(id: string): ProviderRuntime | null;
  /**
   * Starts a login at the IdP: the URL to send the browser to (its state kept in `flow`), or a
   * refusal when the client has spent its budget of login starts (`rateLimits.loginStart`).
   */
  begin(provider: ProviderRuntime, flow: FlowState, returnTo: string, client: IncomingMessage, loginHint?: string): Promise<LoginStart>;
  /** Finishes a login at the callback. Never throws: every failure is an audited outcome. */
  complete(provider: ProviderRuntime, flow: FlowState, input: CallbackInput): Promise<LoginOutcome>;
  /**
   * A login whose transaction committed but whose session could not be written: audited as
   * `session_failed` (the provisioning stays; the sign-in never reached the browser).
   */
  sessionFailed(login: Extract<LoginOutcome, { ok: true }>, error: unknown): Promise<LoginFailed>;
}

/** A login start: where to send the browser, or how long this client must wait. */
export type LoginStart = { ok: true; url: string } | { ok: false; retryAfterSeconds: number };

/** The login pipeline over a context (IdP adapters, normalizers, store, engines). */
export function createLoginPipeline(ctx: GatehouseContext): LoginPipeline {
  /** Classifies, logs and audits a failed login (outside any rolled-back transaction). */
  async function fail(provider: string, claims: Claims | null, e: unknown, committed: CommittedLogin | null): Promise<LoginFailed> {
    const f = classifyLoginFailure(e, committed);
    if (f.status === 503) noteDependencyDown(ctx.logger, e);
    if (f.refused) ctx.logger.warn({ provider, code: f.code, reason: f.details.reason }, 'login refused');
    else if (f.status === 503) ctx.logger.warn({ provider, outcome: f.outcome, userId: f.userId }, 'login failed: dependency unavailable');
    else ctx.logger.error({ err: e, provider, outcome: f.outcome }, 'login failed unexpectedly');
    await ctx.store
      .audit({
        action: 'login',
        outcome: f.outcome,
        actor: `idp:${provider}`,
        provider,
        subject: claims?.subject ?? null,
        userId: f.userId,
        reason: f.reason,
        details: { code: f.code, ...f.details, ...(claims?.email ? { email: claims.email } : {}) },
      })
      .catch((auditErr: unknown) => ctx.logger.error({ err: auditErr }, 'audit write failed'));
    return { ok: false, provider, status: f.status, reason: f.outcome, code: f.code, message: f.message, cause: e };
  }

  return {
    async sessionFailed(login, error) {
      const failed = await fail(login.provider, login.claims, error, { userId: login.result.user.id, outcome: loginOutcomeOf(login.result) });
      ctx.metrics.logins.inc({ provider: login.provider, outcome: failed.reason });
      return failed;
    },
    provider: (id) => {
      // A disabled provider signs nobody in: to a login it is as good as absent.
      const p = ctx.runtime.current().providers.get(id);
      return p?.config.enabled ? p : null;
    },
    async begin(p, flow, returnTo, client, loginHint) {
      // Every start counts (each writes a pending request): one budget for the gateway and Passport.
      const limit = await countAttempt(ctx, client, 'loginStart');
      if (limit.limited) return { ok: false, retryAfterSeconds: limit.retryAfterSeconds };
      return { ok: true, url: await p.adapter.begin({ flow, returnTo, ...(loginHint ? { loginHint } : {}) }) };
    },
    async complete(p, flow, input) {
      const started = process.hrtime.bigint();
      // One snapshot from here to the commit: an edit or delete of the provider meanwhile
      // applies to the next login; a provider gone already is refused (404), never a 500.
      const fixed: GatehouseContext = { ...ctx, runtime: pinned(ctx.runtime, ctx.runtime.current()) };
      const provider = p.config.id;
      let claims: Claims | null = null;
      let label = 'error';
      try {
        const assertion = await p.adapter.complete({ flow, ...input });
        claims = p.normalize(assertion);
        const result = await provisionLogin(fixed, claims);
        label = loginOutcomeOf(result);
        ctx.logger.info({ provider, userId: result.user.id, outcome: label }, 'login');
        return { ok: true, provider, result, claims, returnTo: assertion.returnTo, idpSession: assertion.idpSession };
      } catch (e) {
        const failed = await fail(provider, claims, e, null);
        label = failed.reason;
        return failed;
      } finally {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        ctx.metrics.logins.inc({ provider, outcome: label });
        ctx.metrics.loginDuration.observe({ provider, outcome: label }, seconds);
      }
    },
  };
}
