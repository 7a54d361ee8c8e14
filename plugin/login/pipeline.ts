/**
 * A login from start to finish, whoever drives the HTTP side (the gateway's `/auth/*` router or
 * the Passport strategy): start at the IdP, then at the callback verify the assertion (IdP
 * adapter) -> normalize the claims -> gate, FirstLoginPolicy, mapping and provisioning in one
 * transaction (provisioning/login.ts) -> an outcome value. Refusals are audited here, outside the
 * rolled-back transaction, and every callback is counted in the metrics.
 */
import type { GatehouseContext, ProviderRuntime } from '../context.ts';
import { type GatehouseError, isGatehouseError } from '../errors.ts';
import type { FlowState } from '../ports.ts';
import { provisionLogin, type LoginResult } from '../provisioning/login.ts';
import type { Claims } from '../types.ts';

/** The outcome label of a refusal, as written to the audit log and the metrics. */
const OUTCOME_BY_CODE: Partial<Record<GatehouseError['code'], LoginRefusalReason>> = {
  ERR_INVALID_ASSERTION: 'invalid_assertion',
  ERR_STATE_MISMATCH: 'invalid_state',
  ERR_NOT_ALLOWLISTED: 'not_allowlisted',
  ERR_POLICY_REJECTED: 'rejected_by_policy',
  ERR_USER_REJECTED: 'user_rejected',
  ERR_USER_DEPROVISIONED: 'deprovisioned',
  ERR_NO_ENTITLEMENT: 'no_entitlement',
  ERR_EMAIL_CONFLICT: 'email_conflict',
};

/** Why a login was refused: a stable label for apps to switch on. */
export type LoginRefusalReason =
  | 'invalid_assertion'
  | 'invalid_state'
  | 'not_allowlisted'
  | 'rejected_by_policy'
  | 'user_rejected'
  | 'deprovisioned'
  | 'no_entitlement'
  | 'email_conflict'
  | 'error';

/** What the IdP sent back to the callback (OIDC redirect or SAML ACS POST). */
export interface CallbackInput {
  method: string;
  url: URL;
  body: Record<string, unknown>;
}

export type LoginOutcome =
  | { ok: true; provider: string; result: LoginResult; claims: Claims; returnTo: string | undefined }
  | {
      ok: false;
      provider: string;
      status: number;
      reason: LoginRefusalReason;
      code: string;
      /** Safe to show to the user. */
      message: string;
      /** The thrown value, for errors that are not refusals (status 500). */
      cause: unknown;
    };

export interface LoginPipeline {
  /** The provider's runtime, or null for an unknown id. */
  provider(id: string): ProviderRuntime | null;
  /** Starts a login at the IdP; returns the URL to send the browser to. Keeps its state in `flow`. */
  begin(provider: ProviderRuntime, flow: FlowState, returnTo: string): Promise<string>;
  /** Finishes a login at the callback. Never throws: every failure is an audited outcome. */
  complete(provider: ProviderRuntime, flow: FlowState, input: CallbackInput): Promise<LoginOutcome>;
}

/** The login pipeline over a context (IdP adapters, normalizers, store, engines). */
export function createLoginPipeline(ctx: GatehouseContext): LoginPipeline {
  return {
    provider: (id) => ctx.providers.get(id) ?? null,
    begin: (p, flow, returnTo) => p.adapter.begin({ flow, returnTo }),
    async complete(p, flow, input) {
      const started = process.hrtime.bigint();
      const provider = p.config.id;
      let claims: Claims | null = null;
      let label = 'error';
      try {
        const assertion = await p.adapter.complete({ flow, ...input });
        claims = p.normalize(assertion);
        const result = await provisionLogin(ctx, claims);
        label = result.pending ? 'pending' : result.created ? 'created' : 'success';
        ctx.logger.info({ provider, userId: result.user.id, outcome: label }, 'login');
        return { ok: true, provider, result, claims, returnTo: assertion.returnTo };
      } catch (e) {
        const err = isGatehouseError(e) ? e : null;
        const reason: LoginRefusalReason = err ? (OUTCOME_BY_CODE[err.code] ?? 'error') : 'error';
        label = reason;
        if (!err) ctx.logger.error({ err: e, provider }, 'login failed unexpectedly');
        else ctx.logger.warn({ provider, code: err.code, reason: err.details?.reason }, 'login refused');
        await ctx.store
          .audit({
            action: 'login',
            outcome: reason,
            actor: `idp:${provider}`,
            provider,
            subject: claims?.subject ?? null,
            userId: typeof err?.details?.userId === 'string' ? err.details.userId : null,
            reason: err ? err.message : 'internal error',
            details: { code: err?.code ?? 'ERR_INTERNAL', ...(err?.details ?? {}), ...(claims?.email ? { email: claims.email } : {}) },
          })
          .catch((auditErr: unknown) => ctx.logger.error({ err: auditErr }, 'audit write failed'));
        return {
          ok: false,
          provider,
          status: err ? err.status : 500,
          reason,
          code: err?.code ?? 'ERR_INTERNAL',
          message: err ? err.message : 'Sign-in failed because of an internal error.',
          cause: e,
        };
      } finally {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        ctx.metrics.logins.inc({ provider, outcome: label });
        ctx.metrics.loginDuration.observe({ provider, outcome: label }, seconds);
      }
    },
  };
}
