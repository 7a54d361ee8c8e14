/**
 * The one place that decides whether an error means "a dependency is down" (the database or
 * Redis unreachable, a connection lost, a pool or command timeout) and how such a request is
 * answered: 503 with `Retry-After` (RFC 9110 §15.6.4, §10.2.3), which load balancers and IdPs
 * treat as retryable, instead of a 500. Every error path (general handler, login callback, SCIM,
 * admin API, console) asks `isDependencyDown` and answers through the helpers below.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { GatehouseError, isGatehouseError } from '../errors.ts';
import { dependencyMonitor } from './dependency-monitor.ts';
import { errorPage } from './pages.ts';
import { wantsHtml } from './session.ts';

/** Seconds a client is told to wait before retrying (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 5;

export const UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable. Retry in a few seconds.';

export type Dependency = 'database' | 'redis';

/** Socket-level and driver codes of a server that cannot be reached or went away. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  // mysql2
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  // PostgreSQL SQLSTATE: connection exceptions (08xxx), server shutting down or starting (57P0x),
  // too many connections (53300).
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** Driver messages without a code (knex pool, pg, mysql2). */
const CONNECTION_MESSAGES = [
  /^Knex: Timeout acquiring a connection/,
  /Connection terminated/,
  /not queryable/,
  /connection is in closed state/,
];

/** node-redis error classes (their `name` is plain `Error`; the class name tells them apart). */
const REDIS_ERRORS = new Set([
  'ClientClosedError',
  'ClientOfflineError',
  'ConnectionTimeoutError',
  'SocketClosedUnexpectedlyError',
  'SocketTimeoutError',
  'DisconnectsClientError',
  'ReconnectStrategyError',
  'TimeoutError',
]);

type ErrorLike = { code?: unknown; message?: unknown; name?: unknown; cause?: unknown; errors?: unknown; details?: unknown };

function own(err: ErrorLike): Dependency | null {
  if (isGatehouseError(err)) {
    if (err.code !== 'ERR_UNAVAILABLE') return null;
    return err.details?.dependency === 'redis' ? 'redis' : 'database';
  }
  const className = (err as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof className === 'string' && REDIS_ERRORS.has(className)) return 'redis';
  if (err.name === 'KnexTimeoutError') return 'database';
  if (typeof err.code === 'string' && (CONNECTION_CODES.has(err.code) || /^SQLITE_BUSY(_|$)/.test(err.code))) return 'database';
  if (typeof err.message === 'string' && CONNECTION_MESSAGES.some((re) => re.test(err.message as string))) return 'database';
  return null;
}

/**
 * Which dependency an error says is down, or null when it says nothing of the kind. Looks
 * through `cause` and AggregateError members (a connect to several addresses), a few levels deep.
 */
export function dependencyOf(err: unknown, depth = 0): Dependency | null {
  if (typeof err !== 'object' || err === null || depth > 4) return null;
  const e = err as ErrorLike;
  const found = own(e);
  if (found || isGatehouseError(err)) return found;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const d = dependencyOf(inner, depth + 1);
      if (d) return d;
    }
  }
  return e.cause === undefined ? null : dependencyOf(e.cause, depth + 1);
}

/** True when the error means a dependency (database, Redis) is unreachable or timed out. */
export function isDependencyDown(err: unknown): boolean {
  return dependencyOf(err) !== null;
}

/**
 * For errors handed to someone else's error handler (Passport's `error`, `deserializeUser`): a
 * dependency that is down becomes a `GatehouseError` `ERR_UNAVAILABLE` (status 503, the driver
 * error as its cause); anything else is returned as it is.
 */
export function asUnavailable(err: unknown): unknown {
  if (isGatehouseError(err) || !isDependencyDown(err)) return err;
  return new GatehouseError('ERR_UNAVAILABLE', UNAVAILABLE_MESSAGE, { cause: err, details: { dependency: dependencyOf(err) } });
}

/** Notes the outage (logged once per outage, not per request; see dependency-monitor.ts). */
export function noteDependencyDown(logger: Logger, err: unknown): void {
  dependencyMonitor(logger).down(dependencyOf(err) ?? 'database', err);
}

/** Sets `Retry-After` on a 503. */
export function setRetryAfter(res: { setHeader(name: string, value: string): unknown }): void {
  res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
}

/** Answers a request whose dependency is down: 503, `Retry-After`, an HTML page or JSON. */
export function sendUnavailable(logger: Logger, req: Request, res: Response, err: unknown): void {
  noteDependencyDown(logger, err);
  setRetryAfter(res);
  if (wantsHtml(req)) res.status(503).type('html').send(errorPage(503, UNAVAILABLE_MESSAGE));
  else res.status(503).json({ error: 'ERR_UNAVAILABLE', message: UNAVAILABLE_MESSAGE });
}

/**
 * Logs a request that failed: an outage goes to the dependency monitor (one line per outage),
 * anything else is logged as an error with its stack.
 */
export function logFailure(logger: Logger, err: unknown, fields: Record<string, unknown>, msg: string): void {
  if (isDependencyDown(err)) noteDependencyDown(logger, err);
  else logger.error({ err, ...fields }, msg);
}
