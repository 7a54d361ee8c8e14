/**
 * The one place where openid-client's errors become GatehouseErrors. Each failure gets a stable
 * `details.reason` (snake_case) for the audit log and for callers to switch on; raw library
 * errors stay in `cause` and never reach the caller as such. No token ever goes into a message
 * or a detail.
 */
import * as client from 'openid-client';
import { GatehouseError } from '../../plugin/errors.ts';

/** Why the callback's state did not tie back to a login this browser started (ERR_STATE_MISMATCH). */
export type OidcStateReason = 'flow_state_missing' | 'flow_state_expired' | 'state_missing' | 'state_mismatch';

/** Why the IdP's answer was refused (ERR_INVALID_ASSERTION). */
export type OidcAssertionReason =
  | 'idp_error'
  | 'unexpected_method'
  | 'code_missing'
  | 'response_issuer_missing'
  | 'response_issuer_mismatch'
  | 'authorization_code_rejected'
  | 'token_endpoint_error'
  | 'token_request_failed'
  | 'invalid_token_response'
  | 'id_token_missing'
  | 'id_token_malformed'
  | 'id_token_unsigned'
  | 'id_token_alg_not_allowed'
  | 'id_token_key_not_found'
  | 'id_token_signature_invalid'
  | 'id_token_claim_missing'
  | 'id_token_expired'
  | 'id_token_not_yet_valid'
  | 'auth_time_too_old'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'azp_missing'
  | 'azp_mismatch'
  | 'nonce_mismatch'
  | 'userinfo_subject_mismatch'
  | 'userinfo_failed';

const STATE_MESSAGES: Record<OidcStateReason, string> = {
  flow_state_missing: 'no sign-in was started from this browser (or it was already completed)',
  flow_state_expired: 'the sign-in took too long; start again',
  state_missing: 'the callback carries no state parameter',
  state_mismatch: 'the callback state does not match a sign-in started from this browser',
};

const ASSERTION_MESSAGES: Record<OidcAssertionReason, string> = {
  idp_error: 'the identity provider refused the sign-in',
  unexpected_method: 'the OIDC callback must be a GET request',
  code_missing: 'the callback carries no authorization code',
  response_issuer_missing: 'the callback lacks the iss parameter this identity provider promises',
  response_issuer_mismatch: 'the callback iss parameter names another identity provider (mix-up)',
  authorization_code_rejected: 'the identity provider rejected the authorization code (used already, expired, or PKCE mismatch)',
  token_endpoint_error: 'the token endpoint answered with an error',
  token_request_failed: 'the token endpoint could not be reached or answered unexpectedly',
  invalid_token_response: 'the token response is invalid',
  id_token_missing: 'the token response carries no ID token',
  id_token_malformed: 'the ID token is not a well-formed JWT',
  id_token_unsigned: 'the ID token is unsigned (alg "none")',
  id_token_alg_not_allowed: 'the ID token is signed with an algorithm other than the configured one',
  id_token_key_not_found: "no key in the identity provider's JWKS matches the ID token",
  id_token_signature_invalid: 'the ID token signature is invalid',
  id_token_claim_missing: 'the ID token lacks a required claim',
  id_token_expired: 'the ID token has expired',
  id_token_not_yet_valid: 'the ID token is not valid yet',
  auth_time_too_old: 'the authentication is older than allowed',
  issuer_mismatch: 'the ID token was issued by another identity provider (iss mismatch)',
  audience_mismatch: 'the ID token is meant for another client (aud mismatch)',
  azp_missing: 'the ID token has several audiences but no azp claim',
  azp_mismatch: 'the ID token azp claim names another client',
  nonce_mismatch: 'the ID token nonce does not match this sign-in',
  userinfo_subject_mismatch: 'the userinfo sub differs from the ID token sub',
  userinfo_failed: 'the userinfo endpoint could not be read',
};

export function stateMismatch(reason: OidcStateReason, provider: string): GatehouseError {
  return new GatehouseError('ERR_STATE_MISMATCH', `OIDC sign-in with ${provider} failed: ${STATE_MESSAGES[reason]}`, {
    details: { reason, provider },
  });
}

export function invalidAssertion(
  reason: OidcAssertionReason,
  provider: string,
  opts: { cause?: unknown; details?: Record<string, unknown> } = {},
): GatehouseError {
  return new GatehouseError('ERR_INVALID_ASSERTION', `OIDC sign-in with ${provider} failed: ${ASSERTION_MESSAGES[reason]}`, {
    cause: opts.cause,
    details: { reason, provider, ...opts.details },
  });
}

/** Where in the login the library failed; picks the fallback reason for transport failures. */
export type OidcStage = 'token' | 'userinfo';

/** What oauth4webapi puts in a ClientError's cause: its own message/code and a structured cause. */
interface ProcessingFailure {
  message?: unknown;
  code?: unknown;
  cause?: { claim?: unknown; attribute?: unknown; header?: { alg?: unknown } } | undefined;
}

/** Turns anything openid-client throws at the token or userinfo step into ERR_INVALID_ASSERTION. */
export function translateOidcError(err: unknown, stage: OidcStage, provider: string): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const { reason, details } = classify(err, stage);
  return invalidAssertion(reason, provider, { cause: err, details });
}

function classify(err: unknown, stage: OidcStage): { reason: OidcAssertionReason; details?: Record<string, unknown> } {
  const failed: OidcAssertionReason = stage === 'userinfo' ? 'userinfo_failed' : 'token_request_failed';
  if (err instanceof client.ResponseBodyError) {
    const details = { error: oauthErrorCode(err.error), status: err.status };
    if (stage === 'userinfo') return { reason: 'userinfo_failed', details };
    return { reason: err.error === 'invalid_grant' ? 'authorization_code_rejected' : 'token_endpoint_error', details };
  }
  if (err instanceof client.AuthorizationResponseError) return { reason: 'idp_error', details: { error: oauthErrorCode(err.error) } };
  if (err instanceof client.WWWAuthenticateChallengeError) return { reason: stage === 'userinfo' ? 'userinfo_failed' : 'token_endpoint_error' };
  if (!(err instanceof client.ClientError)) return { reason: failed };

  const inner = (typeof err.cause === 'object' && err.cause !== null ? err.cause : {}) as ProcessingFailure;
  const message = typeof inner.message === 'string' ? inner.message : err.message;
  const claim = typeof inner.cause?.claim === 'string' ? inner.cause.claim : undefined;
  switch (err.code) {
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      if (claim === 'nonce') return { reason: 'nonce_mismatch' };
      if (claim === 'iss') return { reason: 'issuer_mismatch' };
      if (claim === 'azp') return { reason: 'azp_mismatch' };
      if (claim === 'aud') return { reason: /additional untrusted audiences/.test(message) ? 'azp_missing' : 'audience_mismatch' };
      return { reason: 'invalid_token_response', details: { claim } };
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
      if (claim === 'nbf') return { reason: 'id_token_not_yet_valid' };
      if (claim === 'auth_time') return { reason: 'auth_time_too_old' };
      return { reason: 'id_token_expired' };
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      return { reason: stage === 'userinfo' ? 'userinfo_subject_mismatch' : 'invalid_token_response' };
    case 'OAUTH_KEY_SELECTION_FAILED':
      return { reason: 'id_token_key_not_found' };
    case 'OAUTH_PARSE_ERROR':
      return { reason: stage === 'userinfo' ? 'userinfo_failed' : 'id_token_malformed' };
    case 'OAUTH_UNSUPPORTED_OPERATION':
      // Raised when the JWKS check meets a symmetric (HS*) token.
      return { reason: /JWS algorithm/i.test(message) ? 'id_token_alg_not_allowed' : 'invalid_token_response' };
    case 'OAUTH_INVALID_RESPONSE':
      return invalidResponse(message, inner, stage);
    default:
      return { reason: failed };
  }
}

function invalidResponse(message: string, inner: ProcessingFailure, stage: OidcStage): { reason: OidcAssertionReason; details?: Record<string, unknown> } {
  if (/unexpected JWT "alg" header/.test(message)) {
    const alg = inner.cause?.header?.alg;
    return { reason: alg === 'none' ? 'id_token_unsigned' : 'id_token_alg_not_allowed', details: { alg: typeof alg === 'string' ? alg.slice(0, 16) : null } };
  }
  if (/signature verification failed/.test(message)) return { reason: 'id_token_signature_invalid' };
  if (/"iss" \(issuer\) response parameter value/.test(message)) return { reason: 'response_issuer_mismatch' };
  if (/response parameter "iss" \(issuer\) missing/.test(message)) return { reason: 'response_issuer_missing' };
  const missing = /JWT "(\w+)" \(.*\) claim missing/.exec(message);
  if (missing) return { reason: 'id_token_claim_missing', details: { claim: missing[1] } };
  if (/"id_token" property/.test(message)) return { reason: 'id_token_missing' };
  if (/Invalid JWT|JWT Header|JWT Payload/.test(message)) return { reason: 'id_token_malformed' };
  return { reason: stage === 'userinfo' ? 'userinfo_failed' : 'invalid_token_response' };
}

/** An OAuth error code from the IdP, kept only when it looks like one (it lands in the audit log). */
export function oauthErrorCode(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : 'unknown';
}
