/**
 * How a failed login callback ends: HTTP status, audit outcome, message. One decision for the
 * callback's catch, so that the answer, the audit row and the metrics always agree:
 *
 * - a GatehouseError (refused by policy, bad assertion...) keeps its status and outcome;
 * - a dependency that is down (database, Redis) is a 503 `unavailable` (retryable);
 * - a session that could not be written AFTER the login's transaction committed is
 *   `session_failed`: the provisioning happened (its own audit row says so), the sign-in did not
 *   reach the browser; 503 when the session store is down, 500 otherwise;
 * - anything else is a 500 `error`.
 */
import { GatehouseError, isGatehouseError } from '../errors.ts';
import { dependencyOf, UNAVAILABLE_MESSAGE } from './unavailable.ts';

/** Why a login did not end in a session: a stable label for apps, the audit log and the metrics. */
export type LoginRefusalReason =
  | 'invalid_assertion'
  | 'invalid_state'
  | 'not_allowlisted'
  | 'rejected_by_policy'
  | 'user_rejected'
  | 'deprovisioned'
  | 'no_entitlement'
  | 'email_conflict'
  | 'unavailable'
  | 'session_failed'
  | 'error';

const OUTCOME_BY_CODE: Partial<Record<GatehouseError['code'], LoginRefusalReason>> = {
  ERR_INVALID_ASSERTION: 'invalid_assertion',
  ERR_STATE_MISMATCH: 'invalid_state',
  ERR_NOT_ALLOWLISTED: 'not_allowlisted',
  ERR_POLICY_REJECTED: 'rejected_by_policy',
  ERR_USER_REJECTED: 'user_rejected',
  ERR_USER_DEPROVISIONED: 'deprovisioned',
  ERR_NO_ENTITLEMENT: 'no_entitlement',
  ERR_EMAIL_CONFLICT: 'email_conflict',
  ERR_UNAVAILABLE: 'unavailable',
};

/** The login whose transaction committed before the failure (null: nothing was committed). */
export interface CommittedLogin {
  userId: string;
  /** The outcome its own audit row records: `success`, `created`, `linked` or `pending`. */
  outcome: string;
}

export interface LoginFailure {
  status: number;
  outcome: LoginRefusalReason;
  code: string;
  /** Shown to the browser. */
  message: string;
  /** The audit row's reason. */
  reason: string;
  userId: string | null;
  details: Record<string, unknown>;
  /** A refusal (bad input, policy) rather than a failure of ours or of a dependency. */
  refused: boolean;
}

/** Classifies what the callback caught; `committed` is set once provisioning has committed. */
export function classifyLoginFailure(e: unknown, committed: CommittedLogin | null): LoginFailure {
  const dependency = dependencyOf(e);
  if (committed) {
    const down = dependency !== null;
    return {
      status: down ? 503 : 500,
      outcome: 'session_failed',
      code: down ? 'ERR_UNAVAILABLE' : 'ERR_INTERNAL',
      message: down ? UNAVAILABLE_MESSAGE : 'Sign-in failed because of an internal error.',
      reason: down ? `the session could not be written: ${dependency} unavailable` : 'the session could not be written',
      userId: committed.userId,
      details: { reason: 'session_write_failed', provisioned: committed.outcome, ...(down ? { dependency } : {}) },
      refused: false,
    };
  }
  if (dependency !== null) {
    return {
      status: 503,
      outcome: 'unavailable',
      code: 'ERR_UNAVAILABLE',
      message: UNAVAILABLE_MESSAGE,
      reason: `${dependency} unavailable`,
      userId: null,
      details: { reason: 'dependency_unavailable', dependency },
      refused: false,
    };
  }
  if (isGatehouseError(e)) {
    return {
      status: e.status,
      outcome: OUTCOME_BY_CODE[e.code] ?? 'error',
      code: e.code,
      message: e.message,
      reason: e.message,
      userId: typeof e.details?.userId === 'string' ? e.details.userId : null,
      details: { ...(e.details ?? {}) },
      refused: e.status < 500,
    };
  }
  return {
    status: 500,
    outcome: 'error',
    code: 'ERR_INTERNAL',
    message: 'Sign-in failed because of an internal error.',
    reason: 'internal error',
    userId: null,
    details: {},
    refused: false,
  };
}
