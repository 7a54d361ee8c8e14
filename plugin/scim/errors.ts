/**
 * Every SCIM error is built here, in the RFC 7644 §3.12 shape:
 * `{ schemas: [Error URN], status: "409", scimType: "uniqueness", detail: "..." }`.
 * Routes, the PATCH engine and the filter parser throw ScimError, store conflicts become one in
 * `throwOnConflict`; the router's error handler turns anything else (body-parser errors,
 * GatehouseError, bugs) into one.
 */
import { isGatehouseError } from '../errors.ts';
import { isDependencyDown, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE } from '../http/unavailable.ts';
import type { ScimConflict } from './ports.ts';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The `scimType` vocabulary of RFC 7644 §3.12. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  /** Extra response headers (`Retry-After` on a 429). */
  readonly headers: Record<string, string>;

  constructor(status: number, detail: string, scimType?: ScimType, headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.headers = headers;
  }
}

export function isScimError(e: unknown): e is ScimError {
  return e instanceof ScimError;
}

/** Constructors for the errors this server answers, so that status and scimType always agree. */
export const scimError = {
  invalidFilter: (detail: string) => new ScimError(400, detail, 'invalidFilter'),
  invalidValue: (detail: string) => new ScimError(400, detail, 'invalidValue'),
  invalidSyntax: (detail: string) => new ScimError(400, detail, 'invalidSyntax'),
  invalidPath: (detail: string) => new ScimError(400, detail, 'invalidPath'),
  noTarget: (detail: string) => new ScimError(400, detail, 'noTarget'),
  mutability: (detail: string) => new ScimError(400, detail, 'mutability'),
  tooMany: (detail: string, status = 400) => new ScimError(status, detail, 'tooMany'),
  uniqueness: (detail: string) => new ScimError(409, detail, 'uniqueness'),
  conflict: (detail: string) => new ScimError(409, detail),
  /** A bulkId that no operation of the request defines (RFC 7644 §3.7.2). */
  unresolvedReference: (detail: string) => new ScimError(409, detail, 'invalidValue'),
  badRequest: (detail: string) => new ScimError(400, detail),
  unauthorized: (detail = 'Authorization failure: a valid SCIM bearer token is required.') => new ScimError(401, detail),
  forbidden: (detail: string) => new ScimError(403, detail),
  notFound: (detail: string) => new ScimError(404, detail),
  methodNotAllowed: (detail: string) => new ScimError(405, detail),
  preconditionFailed: (detail = 'Failed to update: the resource changed on the server (If-Match).') => new ScimError(412, detail),
  payloadTooLarge: (detail: string) => new ScimError(413, detail),
  /** Too many failed bearer tokens from this client (docs/security.md, rate limits). */
  tooManyRequests: (retryAfterSeconds: number) =>
    new ScimError(429, `Too many failed authentication attempts from your address; retry in ${retryAfterSeconds} s.`, undefined, { 'Retry-After': String(retryAfterSeconds) }),
  unsupportedMediaType: (detail = 'Send application/scim+json or application/json.') => new ScimError(415, detail),
  internal: (detail = 'Internal error.') => new ScimError(500, detail),
  /** A dependency (the database) is down: retryable, answered with `Retry-After`. */
  unavailable: (detail = UNAVAILABLE_MESSAGE) => new ScimError(503, detail),
};

/** A store write's result, or the 409 `uniqueness` its conflict means (naming the attribute and the value taken). */
export function throwOnConflict<T>(result: T | ScimConflict): T {
  if (typeof result !== 'object' || result === null || !('conflict' in result)) return result;
  const c = result as ScimConflict;
  throw scimError.uniqueness(c.conflict === 'displayName' ? `A Group with displayName "${c.value}" already exists.` : `A User with userName "${c.value}" already exists.`);
}

/** The response body of an error. */
export function scimErrorBody(e: ScimError): Record<string, unknown> {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(e.status),
    ...(e.scimType ? { scimType: e.scimType } : {}),
    detail: e.message,
  };
}

/** Headers of an error response: the auth challenge on 401, `Retry-After` on 503 (RFC 9110). */
export function errorHeaders(status: number): Record<string, string> {
  if (status === 401) return { 'WWW-Authenticate': 'Bearer realm="SCIM"' };
  if (status === 503) return { 'Retry-After': String(RETRY_AFTER_SECONDS) };
  return {};
}

const GATEHOUSE_STATUS_TYPES: Partial<Record<number, ScimType>> = { 400: 'invalidValue', 409: 'uniqueness' };

/**
 * Anything thrown while serving a SCIM request, as a ScimError. Body-parser errors carry a
 * `type` (`entity.parse.failed`, `entity.too.large`...); GatehouseErrors keep their status.
 */
export function toScimError(e: unknown): ScimError {
  if (isScimError(e)) return e;
  if (isDependencyDown(e)) return scimError.unavailable();
  if (isGatehouseError(e)) return new ScimError(e.status >= 500 ? 500 : e.status, e.status >= 500 ? 'Internal error.' : e.message, GATEHOUSE_STATUS_TYPES[e.status]);
  const err = e as { type?: unknown; status?: unknown; limit?: unknown };
  switch (err?.type) {
    case 'entity.parse.failed':
      return scimError.invalidSyntax('The request body is not valid JSON.');
    case 'entity.too.large':
      return scimError.payloadTooLarge(`The request body exceeds the maximum payload size (${String(err.limit)} bytes).`);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return scimError.unsupportedMediaType('Unsupported charset or content encoding.');
    default:
      return scimError.internal();
  }
}
