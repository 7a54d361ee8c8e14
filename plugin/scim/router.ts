/**
 * The SCIM 2.0 server (RFC 7644) as one plain node:http request handler for everything under
 * `config.scim.basePath`: discovery without auth, then bearer auth, then the body, then its turn
 * at the gate (gate.ts), then the route (routes.ts). It takes no framework on the hot path: the
 * standalone gateway hands it SCIM requests before Express sees them, and an Express app can mount
 * it as ordinary middleware (it calls `next()` for paths outside the base path). Every
 * authenticated request is audited with the token's name: writes inside their transaction,
 * everything else through the batched audit log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatehouseContext } from '../context.ts';
import type { ApiHandler } from '../http/api-handler.ts';
import { logFailure } from '../http/unavailable.ts';
import { createScimAuditLog, type ScimAuditLog } from './audit-log.ts';
import { authenticate } from './auth.ts';
import { requestContext, type ScimRequestContext } from './context.ts';
import { DEFAULT_LIMITS, type ScimLimits } from './discovery.ts';
import { isScimError, scimError, toScimError, type ScimError } from './errors.ts';
import { createGate } from './gate.ts';
import { parseQuery, readJsonBody } from './http.ts';
import type { ScimStore } from './ports.ts';
import { createScimRoutes, sendScimError as sendError, type Call } from './routes.ts';

export interface ScimRouterDeps {
  scim: ScimStore;
  /** The batched audit log of reads and refusals; one is created when absent (flush it on shutdown). */
  audit?: ScimAuditLog | undefined;
  limits?: Partial<ScimLimits> | undefined;
  /**
   * How many authenticated requests run their database work at once (the rest wait their turn, in
   * order). Unlimited by default; 1 suits a synchronous driver (SQLite), where requests never wait
   * on the network, only on each other.
   */
  concurrency?: number | undefined;
}

/**
 * A node:http handler that also works as Express middleware. `owns(url)` tells whether a request
 * URL is under the SCIM base path (the gateway dispatches on it before Express).
 */
export type ScimHandler = ApiHandler;

function normalizeBasePath(p: string): string {
  const trimmed = `/${p.replace(/^\/+|\/+$/g, '')}`;
  return trimmed === '/' ? '' : trimmed;
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  const one = Array.isArray(v) ? v[0] : v;
  return one?.split(',')[0]?.trim() || undefined;
}

export function createScimRouter(ctx: GatehouseContext, deps: ScimRouterDeps): ScimHandler {
  const limits: ScimLimits = { ...DEFAULT_LIMITS, ...(deps.limits ?? {}) };
  const gate = createGate(deps.concurrency ?? Number.POSITIVE_INFINITY, {
    onSlow: () => ctx.logger.warn('a SCIM request has run for 10 s: the next one starts without waiting for it'),
  });
  const audit = deps.audit ?? createScimAuditLog(deps.scim, ctx.logger);
  const basePath = normalizeBasePath(ctx.config.scim.basePath);
  const baseLower = basePath.toLowerCase();
  const trustProxy = ctx.config.server.trustProxy !== false;
  const configuredBase = ctx.config.server.baseUrl ? `${ctx.config.server.baseUrl.replace(/\/+$/, '')}${basePath}` : null;
  const baseUrlOf = (req: IncomingMessage): string => {
    if (configuredBase !== null) return configuredBase;
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    const proto = (trustProxy && firstHeader(req.headers['x-forwarded-proto'])) || (encrypted ? 'https' : 'http');
    const host = (trustProxy && firstHeader(req.headers['x-forwarded-host'])) || req.headers.host || 'localhost';
    return `${proto}://${host}${basePath}`;
  };

  const { discovery, resolve, unrouted } = createScimRoutes({ limits, audit, now: ctx.now, baseUrlOf });

  const count = (action: string, status: number) => ctx.metrics.scimRequests.inc({ action, status: String(status) });

  const auditRequest = (rc: ScimRequestContext, action: string, call: Call, status: number, error: ScimError | null) => {
    count(action, status);
    const filter = typeof call.query.filter === 'string' ? call.query.filter.slice(0, 500) : undefined;
    audit.record({
      at: ctx.now(),
      action,
      outcome: error ? 'error' : 'ok',
      actor: rc.actor,
      provider: rc.token.provider,
      reason: error ? error.message : null,
      details: { tokenId: rc.token.id, method: call.method, path: call.path, status, ...(filter ? { filter } : {}), ...(error?.scimType ? { scimType: error.scimType } : {}) },
    });
  };


  /** Authenticates, reads the body, then takes its turn at the gate to run. */
  const serve = async (call: Call, segments: string[]): Promise<void> => {
    let rc: ScimRequestContext;
    try {
      const token = await authenticate(ctx, call.req);
      rc = requestContext(ctx, deps.scim, token, baseUrlOf(call.req));
    } catch (e) {
      const err = toScimError(e);
      if (!isScimError(e)) logFailure(ctx.logger, e, {}, 'SCIM authentication failed');
      sendError(call.res, err);
      count('scim.auth', err.status);
      audit.record({
        at: ctx.now(),
        action: 'scim.auth',
        outcome: err.status === 401 ? 'unauthorized' : 'error',
        actor: null,
        reason: err.message,
        details: { method: call.method, path: call.path, status: err.status },
      });
      return;
    }
    if (call.method === 'POST' || call.method === 'PUT' || call.method === 'PATCH') {
      try {
        call.body = await readJsonBody(call.req, limits.maxPayloadSize);
      } catch (e) {
        const err = toScimError(e);
        sendError(call.res, err);
        auditRequest(rc, 'scim.request', call, err.status, err);
        return;
      }
    }
    await gate(() => run(rc, call, segments));
  };

  /** Routes, runs and audits one authenticated request whose body has been read. */
  const run = async (rc: ScimRequestContext, call: Call, segments: string[]): Promise<void> => {
    const route = resolve(call.method, segments);
    if (route === null) {
      const err = unrouted(call);
      sendError(call.res, err);
      auditRequest(rc, 'scim.request', call, err.status, err);
      return;
    }
    let error: ScimError | null = null;
    try {
      await route.run(rc, call);
    } catch (e) {
      error = failed(call.res, e, call.path);
    }
    // The bookkeeping comes after the answer; a failure there is logged, never answered twice.
    try {
      if (error !== null || !route.writes) auditRequest(rc, route.action, call, error?.status ?? call.res.statusCode, error);
      else count(route.action, call.res.statusCode);
    } catch (e) {
      failed(call.res, e, call.path);
    }
  };

  /**
   * Answers a request that failed, whatever stage it reached: the SCIM error when nothing was sent;
   * nothing more when the answer had been sent whole (the failure came after it); otherwise the
   * connection is closed, since a half-sent body cannot be completed. The last two are always logged:
   * a client that sees a response end early must find the reason in the log.
   */
  const failed = (res: ServerResponse, e: unknown, path: string): ScimError => {
    const err = toScimError(e);
    if (!res.headersSent) {
      if (!isScimError(e)) logFailure(ctx.logger, e, { path }, 'SCIM request failed');
      sendError(res, err);
    } else if (res.writableEnded) {
      ctx.logger.error({ err: e, path, status: res.statusCode }, 'SCIM request failed after its answer was sent');
    } else {
      ctx.logger.error({ err: e, path, status: res.statusCode }, 'SCIM response cut off: the request failed while its answer was being written');
      res.destroy();
    }
    return err;
  };

  /** The path below the base path when `url` is under it, else null. */
  const relativePath = (url: string): string | null => {
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (baseLower === '') return pathname;
    if (pathname.length < baseLower.length || pathname.slice(0, baseLower.length).toLowerCase() !== baseLower) return null;
    const rest = pathname.slice(baseLower.length);
    if (rest !== '' && rest[0] !== '/') return null;
    return rest === '' ? '/' : rest;
  };

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void => {
    const url = req.url ?? '/';
    const path = relativePath(url);
    if (path === null) {
      if (next) next();
      else sendError(res, scimError.notFound('Not a SCIM endpoint.'));
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const call: Call = { req, res, method, path, query: {}, body: undefined };
    try {
      call.query = parseQuery(url);
    } catch {
      call.query = {};
    }
    // '/Users/abc/' is '/Users/abc'; empty segments ('//') are not collapsed.
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const segments = trimmed === '/' ? [] : trimmed.slice(1).split('/');
    if (discovery(call, segments)) {
      count('scim.discovery', res.statusCode);
      return;
    }
    serve(call, segments).catch((e: unknown) => failed(res, e, path));
  }) as ScimHandler;
  handler.owns = (url: string) => relativePath(url) !== null;
  return handler;
}
