/**
 * One error translator for the admin API: zod issues become 400 with the field named,
 * GatehouseErrors keep their code and status, body-parser failures are 400/413, the rest 500.
 */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { formatPath } from '../config/parse.ts';
import { ConfigError, GatehouseError, isGatehouseError } from '../errors.ts';
import { isDependencyDown, sendUnavailable } from '../http/unavailable.ts';

export interface FieldIssue {
  field: string;
  message: string;
}

/** Parses `value` or throws ERR_VALIDATION naming the first bad field (`roles[1]`, `trigger`). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.output<S> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((i) => {
    let message = i.message;
    if (i.code === 'unrecognized_keys') message = `unknown field(s): ${i.keys.join(', ')}`;
    return { field: i.path.length ? formatPath(i.path) : where, message };
  });
  const first = issues[0] ?? { field: where, message: 'invalid' };
  throw new GatehouseError('ERR_VALIDATION', `${first.field}: ${first.message}`, { details: { field: first.field, issues } });
}

/** A 400 naming `field`, in the shape parseInput's are. */
export function invalidField(field: string, message: string): GatehouseError {
  return new GatehouseError('ERR_VALIDATION', `${field}: ${message}`, { details: { field, issues: [{ field, message }] } });
}

/** A config error about field `providers[index].x` of the candidate, as a 400 naming `x`. */
export function fieldError(e: unknown, prefix: string | null): unknown {
  if (!(e instanceof ConfigError)) return e;
  const message = e.message.slice(e.path.length + 2);
  let field = e.path;
  if (prefix !== null && (field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`))) {
    field = field.slice(prefix.length).replace(/^\./, '') || '(body)';
  }
  return invalidField(field, message);
}

export function adminErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    if (isDependencyDown(err)) return sendUnavailable(logger, req, res, err);
    if (isGatehouseError(err)) {
      if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="gatehouse-admin"');
      const extra = err.code === 'ERR_VALIDATION' && err.details ? { field: err.details.field, issues: err.details.issues } : {};
      res.status(err.status).json({ error: err.code, message: err.message, ...extra });
      return;
    }
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'ERR_VALIDATION', message: 'body: not valid JSON', field: 'body' });
      return;
    }
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: 'ERR_VALIDATION', message: 'body: too large', field: 'body' });
      return;
    }
    logger.error({ err, path: req.path, method: req.method }, 'admin API request failed');
    res.status(500).json({ error: 'ERR_INTERNAL', message: 'Internal error' });
  };
}
