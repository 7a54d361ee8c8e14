/**
 * A Passport strategy per identity provider (OIDC and SAML alike), named after the provider id.
 * `passport.authenticate(id)` on a request that carries no IdP response starts a login (a
 * redirect to the IdP); on the callback it verifies the response and runs the whole Gatehouse
 * pipeline (gate, FirstLoginPolicy, mapping, one transaction), then:
 * - `success(user, info)` with the `GatehouseUser` (status `active`, or `pending_approval` for a
 *   user who waits for an administrator: `info.outcome` says `pending`);
 * - `fail(refusal, status)` when the gate refuses or the response is bad (401/403), `refusal`
 *   carrying the reason, so `failureRedirect`, `failureMessage` and custom callbacks see it;
 * - `error(err)` when something is down.
 * The login's own state (OIDC state, nonce and PKCE verifier; SAML RelayState and request id)
 * lives in the same encrypted flow cookie as in the gateway, never in the app's session.
 */
import express, { type Request, type Response } from 'express';
import passport from 'passport';
import type { GatehouseContext } from '../context.ts';
import { loginOutcomeOf, type LoginPipeline, type LoginRefusalReason, type LoginSuccessOutcome } from '../login/pipeline.ts';
import type { FlowCookie } from '../http/flow-cookie.ts';
import { asUnavailable } from '../http/unavailable.ts';
import { safeReturnTo } from '../http/return-to.ts';
import { loadGatehouseUser } from '../http/current-user.ts';

/** `info` of a successful login. */
export interface GatehouseLoginInfo {
  provider: string;
  /** `created`: first login; `pending`: the user waits for approval (status `pending_approval`). */
  outcome: LoginSuccessOutcome;
  /** The same-origin path the login was started with (`returnTo` option or query), if any. */
  returnTo?: string | undefined;
  /** For a pending user: the waiting room message of the config. */
  message?: string | undefined;
}

/** `info` (the challenge) of a refused login. */
export interface GatehouseLoginRefusal {
  provider: string;
  /** `rate_limited` (status 429) when this client started too many logins: see `retryAfterSeconds`. */
  reason: LoginRefusalReason | 'rate_limited';
  retryAfterSeconds?: number | undefined;
  /** A stable error code (`ERR_NOT_ALLOWLISTED`, `ERR_INVALID_ASSERTION`, ...). */
  code: string;
  /** Safe to show to the user. */
  message: string;
}

/** Options of `passport.authenticate(providerId, options)` that this strategy reads. */
export interface GatehouseAuthenticateOptions {
  /** Same-origin path to come back to after login (otherwise the `returnTo` query parameter). */
  returnTo?: string | undefined;
}

/** What a strategy needs: its provider id, the login pipeline, the context and the flow cookie. */
export interface StrategyDeps {
  providerId: string;
  login: LoginPipeline;
  ctx: GatehouseContext;
  flows: FlowCookie;
}

const parseForm = express.urlencoded({ extended: false, limit: '2mb' });

/** True when the request carries the IdP's answer rather than asking to start a login. */
function isIdpResponse(type: 'oidc' | 'saml', url: URL, body: Record<string, unknown>): boolean {
  if (type === 'saml') return typeof body.SAMLResponse === 'string' || url.searchParams.has('SAMLResponse');
  return ['code', 'error', 'state', 'response'].some((k) => url.searchParams.has(k) || typeof body[k] === 'string');
}

function bodyOf(req: Request, res: Response): Promise<Record<string, unknown>> {
  if (req.body !== undefined || req.method !== 'POST') return Promise.resolve((req.body ?? {}) as Record<string, unknown>);
  // The SAML ACS parses its own form body, whatever the app mounted.
  return new Promise((resolve, reject) => parseForm(req, res, (e?: unknown) => (e ? reject(e) : resolve((req.body ?? {}) as Record<string, unknown>))));
}

/**
 * The Passport strategy of one provider. Passport calls `authenticate` on a per-request copy of
 * this object (`Object.create`), so its state is in plain properties, never `#private` fields.
 */
export class GatehouseStrategy extends passport.Strategy {
  /** The provider id: `passport.authenticate(name)`. */
  readonly name: string;
  private readonly deps: StrategyDeps;

  /** Made by `Gatehouse.strategy(providerId)`; not meant to be constructed by applications. */
  constructor(deps: StrategyDeps) {
    super();
    this.name = deps.providerId;
    this.deps = deps;
  }

  override authenticate(req: Request, options?: GatehouseAuthenticateOptions): void {
    this.run(req, options ?? {}).catch((e: unknown) => this.error(asUnavailable(e)));
  }

  private async run(req: Request, options: GatehouseAuthenticateOptions): Promise<void> {
    const { login, flows, providerId } = this.deps;
    const res = req.res;
    if (!res) throw new TypeError('the Gatehouse strategy runs in Express (req.res is missing)');
    const provider = login.provider(providerId);
    if (!provider) {
      this.fail({ provider: providerId, reason: 'error', code: 'ERR_UNKNOWN_PROVIDER', message: `unknown provider "${providerId}"` } satisfies GatehouseLoginRefusal, 404);
      return;
    }
    const url = new URL(req.originalUrl ?? req.url, 'http://callback.invalid');
    const body = await bodyOf(req, res);
    const flow = flows.read(req);
    if (!isIdpResponse(provider.config.type, url, body)) {
      const start = await login.begin(provider, flow, safeReturnTo(options.returnTo ?? req.query?.returnTo), req);
      if (!start.ok) {
        res.setHeader('Retry-After', String(start.retryAfterSeconds));
        const refusal: GatehouseLoginRefusal = { provider: providerId, reason: 'rate_limited', code: 'ERR_RATE_LIMITED', message: 'Too many sign-in attempts; try again later.', retryAfterSeconds: start.retryAfterSeconds };
        return this.fail(refusal, 429);
      }
      flows.write(res, flow);
      this.redirect(start.url);
      return;
    }
    const outcome = await login.complete(provider, flow, { method: req.method, url, body });
    flows.write(res, flow);
    if (!outcome.ok) {
      // A dependency that is down reaches the app's error handler as a 503 GatehouseError (retryable).
      if (outcome.status >= 500) return this.error(asUnavailable(outcome.cause));
      const refusal: GatehouseLoginRefusal = { provider: providerId, reason: outcome.reason, code: outcome.code, message: outcome.message };
      return this.fail(refusal, outcome.status);
    }
    const user = await loadGatehouseUser(this.deps.ctx.store, outcome.result.user.id);
    if (!user) throw new Error(`user ${outcome.result.user.id} vanished right after its login`);
    const { result } = outcome;
    const info: GatehouseLoginInfo = {
      provider: providerId,
      outcome: loginOutcomeOf(result),
      returnTo: outcome.returnTo,
      ...(result.pending ? { message: this.deps.ctx.config.waitingRoom.message } : {}),
    };
    this.success(user, info);
  }
}
