/**
 * One error type with stable codes. A `TypeError` means a caller's bug; a
 * GatehouseError means bad input data (an assertion, a request, a config).
 */
export type ErrorCode =
  | 'ERR_CONFIG_INVALID'
  | 'ERR_INVALID_ASSERTION'
  | 'ERR_STATE_MISMATCH'
  | 'ERR_NOT_ALLOWLISTED'
  | 'ERR_POLICY_REJECTED'
  | 'ERR_USER_REJECTED'
  | 'ERR_USER_DEPROVISIONED'
  | 'ERR_NO_ENTITLEMENT'
  | 'ERR_EMAIL_CONFLICT'
  | 'ERR_UNKNOWN_PROVIDER'
  | 'ERR_NOT_FOUND'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_FORBIDDEN'
  | 'ERR_VALIDATION'
  | 'ERR_CONFLICT'
  | 'ERR_RATE_LIMITED'
  | 'ERR_UNAVAILABLE';

const STATUS: Record<ErrorCode, number> = {
  ERR_CONFIG_INVALID: 500,
  ERR_INVALID_ASSERTION: 401,
  ERR_STATE_MISMATCH: 401,
  ERR_NOT_ALLOWLISTED: 403,
  ERR_POLICY_REJECTED: 403,
  ERR_USER_REJECTED: 403,
  ERR_USER_DEPROVISIONED: 403,
  ERR_NO_ENTITLEMENT: 403,
  ERR_EMAIL_CONFLICT: 403,
  ERR_UNKNOWN_PROVIDER: 404,
  ERR_NOT_FOUND: 404,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_VALIDATION: 400,
  ERR_CONFLICT: 409,
  ERR_RATE_LIMITED: 429,
  ERR_UNAVAILABLE: 503,
};

export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra facts for the audit log; never secrets. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.status = STATUS[code];
    this.details = options?.details;
  }
}

/** A config problem, always carrying the key path (e.g. `providers[1].issuer`). */
export class ConfigError extends GatehouseError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('ERR_CONFIG_INVALID', `${path}: ${message}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}

export function isGatehouseError(e: unknown): e is GatehouseError {
  return e instanceof GatehouseError;
}
