/**
 * The SCIM 2.0 server (RFC 7644) as one plain node:http request handler for everything under
 * `config.scim.basePath`: discovery without auth, then bearer auth, then the body, then one set of
 * routes per registry entry, `/.search` and `/Bulk`. It takes no framework on the hot path: the
 * standalone gateway hands it SCIM requests before Express sees them, and an Express app can mount
 * it as ordinary middleware (it calls `next()` for paths outside the base path). Every
 * authenticated request is audited with the token's name: writes inside their transaction,
 * everything else through the batched audit log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatehouseContext } from '../context.ts';
import type { ApiHandler } from '../http/api-handler.ts';
import { createScimAuditLog, type ScimAuditLog } from './audit-log.ts';
import { authenticate } from './auth.ts';
import { runBulk } from './bulk.ts';
import { requestContext, type ScimRequestContext } from './context.ts';
import { DEFAULT_LIMITS, allSchemas, resourceTypeDocuments, schemaDocument, serviceProviderConfig, type ScimLimits } from './discovery.ts';
import { errorHeaders, isScimError, scimError, scimErrorBody, toScimError, type ScimError } from './errors.ts';
import { logFailure } from '../http/unavailable.ts';
import { etagOf, parsePrecondition, parseQuery, preconditionMatches, readJsonBody, sendScim, sendScimJson } from './http.ts';
import type { ScimStore } from './ports.ts';
import { isDefaultProjection, parseProjection, project } from './project.ts';
import { listResponse, listResponseJson, parseListRequest, parseSearchBody, type ListRequest } from './query.ts';
import { RESOURCE_TYPES, type ResourceType } from './registry.ts';
import type { WriteResult } from './resources/types.ts';

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

/** What a handler sees of one request. */
interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path below the base path, as sent (`/Users/abc`). */
  path: string;
  query: Record<string, unknown>;
  body: unknown;
}

function normalizeBasePath(p: string): string {
  const trimmed = `/${p.replace(/^\/+|\/+$/g, '')}`;
  return trimmed === '/' ? '' : trimmed;
}

function versionOf(resource: Record<string, unknown>): number | null {
  const v = (resource.meta as { version?: unknown } | undefined)?.version;
  const m = typeof v === 'string' ? /"(\d+)"/.exec(v) : null;
  return m ? Number(m[1]) : null;
}

function hasProjection(query: Record<string, unknown>): boolean {
  return 'attributes' in query || 'excludedAttributes' in query;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  const one = Array.isArray(v) ? v[0] : v;
  return one?.split(',')[0]?.trim() || undefined;
}

type Handler = (rc: ScimRequestContext, call: Call) => Promise<void>;

/** The routes of one request, resolved from its method and path (case-insensitive, like the RFC's examples). */
interface Resolved {
  action: string;
  /** Writes audit themselves inside their transaction. */
  writes: boolean;
  run: Handler;
}

/**
 * At most `limit` calls of `fn` at once, the others started in arrival order. With a synchronous
 * database driver a request's work is one run of CPU between its awaits; letting sixteen such
 * requests interleave makes every one of them finish at the end of the batch, where taking them in
 * turn, in arrival order, answers the first one first: the same throughput, a flat latency.
 */
export function createGate(limit: number, opts: { holdMs?: number; onSlow?: () => void } = {}): <T>(fn: () => Promise<T>) => Promise<T> {
  const holdMs = opts.holdMs ?? 10_000;
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    // The slot passes to the next waiter (active stays the same) or is freed. The hand-over waits
    // for the event loop's next turn, so requests that arrived meanwhile are read and queued
    // behind it rather than after a whole chain of waiters run back to back.
    const next = waiting.shift();
    if (next) setImmediate(next);
    else active--;
  };
  // No limit: no turns either (a driver that waits on the network gains from requests overlapping).
  if (!Number.isFinite(limit)) return (fn) => fn();
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else {
      // Even a free slot is taken on the loop's next turn: a poll phase that read sixteen requests
      // would otherwise run them all back to back before reading the ones sent meanwhile.
      active++;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // A run that hangs (a session store that stopped answering) gives its slot up after holdMs,
    // so one stuck request never stops the others; it goes on, outside the gate.
    let released = false;
    const timer = setTimeout(() => {
      released = true;
      opts.onSlow?.();
      release();
    }, holdMs);
    timer.unref();
    try {
      return await fn();
    } finally {
      clearTimeout(timer);
      if (!released) release();
    }
  };
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

  const sendError = (res: ServerResponse, e: ScimError) =>
    sendScim(res, e.status, scimErrorBody(e), { ...errorHeaders(e.status), ...e.headers });

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

  // ------------------------------------------------------------ discovery (no auth, RFC 7644 §4)
  const discovery = (call: Call, segments: string[]): boolean => {
    if (call.method !== 'GET' && call.method !== 'HEAD') return false;
    const [first, second, extra] = segments.map((s) => s.toLowerCase());
    if (extra !== undefined) return false;
    const { req, res } = call;
    if (first === 'serviceproviderconfig' && second === undefined) {
      sendScim(res, 200, serviceProviderConfig(baseUrlOf(req), limits));
      return true;
    }
    // A discovery collection, or one of its documents by id (case-insensitive).
    const collection = (docs: Record<string, unknown>[], noun: string) => {
      if (second === undefined) return sendScim(res, 200, listResponse(docs.length, 1, docs));
      const doc = docs.find((d) => String(d.id).toLowerCase() === second);
      if (doc) sendScim(res, 200, doc);
      else sendError(res, scimError.notFound(`${noun} "${decodeSegment(segments[1] as string).slice(0, 200)}" not found.`));
    };
    if (first === 'schemas') {
      collection(allSchemas().map((s) => schemaDocument(s, baseUrlOf(req))), 'Schema');
      return true;
    }
    if (first === 'resourcetypes') {
      collection(resourceTypeDocuments(baseUrlOf(req)), 'ResourceType');
      return true;
    }
    return false;
  };

  // ------------------------------------------------------------ resources, one set per registry entry
  const sendList = async (rc: ScimRequestContext, type: ResourceType, request: ListRequest, res: ServerResponse) => {
    if (type.ops.listJson && isDefaultProjection(request.projection)) {
      const { total, items } = await type.ops.listJson(rc, request);
      return sendScimJson(res, 200, listResponseJson(total, request.startIndex, items));
    }
    const { total, resources } = await type.ops.list(rc, request);
    sendScim(res, 200, listResponse(total, request.startIndex, resources.map((x) => project(type.schema, x, request.projection))));
  };
  const sendWritten = (rc: ScimRequestContext, call: Call, type: ResourceType, result: WriteResult, status: number) => {
    const headers: Record<string, string> = { ETag: etagOf(result.version), Location: `${rc.baseUrl}${type.endpoint}/${result.id}` };
    const projection = parseProjection(type.schema, call.query.attributes, call.query.excludedAttributes);
    sendScim(call.res, status, project(type.schema, result.resource, projection), headers);
  };

  const resourceRoute = (type: ResourceType, method: string, id: string | null): Resolved | null => {
    const act = (verb: string) => `scim.${type.noun}.${verb}`;
    if (id === null) {
      if (method === 'GET' || method === 'HEAD') return { action: act('list'), writes: false, run: (rc, c) => sendList(rc, type, parseListRequest(type.schema, c.query), c.res) };
      if (method === 'POST') return { action: act('create'), writes: true, run: async (rc, c) => sendWritten(rc, c, type, await type.ops.create(rc, c.body), 201) };
      return null;
    }
    if (method === 'POST' && id === '.search') return { action: act('search'), writes: false, run: (rc, c) => sendList(rc, type, parseSearchBody(type.schema, c.body), c.res) };
    switch (method) {
      case 'GET':
      case 'HEAD':
        return {
          action: act('get'),
          writes: false,
          run: async (rc, c) => {
            const projection = parseProjection(type.schema, c.query.attributes, c.query.excludedAttributes);
            const resource = await type.ops.get(rc, id, projection);
            const version = versionOf(resource);
            const headers: Record<string, string> = version === null ? {} : { ETag: etagOf(version) };
            const ifNoneMatch = parsePrecondition(c.req.headers['if-none-match']);
            if (ifNoneMatch !== null && version !== null && preconditionMatches(ifNoneMatch, version)) return sendScim(c.res, 304, undefined, headers);
            sendScim(c.res, 200, project(type.schema, resource, projection), headers);
          },
        };
      case 'PUT':
        return {
          action: act('replace'),
          writes: true,
          run: async (rc, c) => sendWritten(rc, c, type, await type.ops.replace(rc, id, c.body, parsePrecondition(c.req.headers['if-match'])), 200),
        };
      case 'PATCH':
        return {
          action: act('patch'),
          writes: true,
          run: async (rc, c) => {
            const projection = hasProjection(c.query) ? parseProjection(type.schema, c.query.attributes, c.query.excludedAttributes) : null;
            sendWritten(rc, c, type, await type.ops.patch(rc, id, c.body, parsePrecondition(c.req.headers['if-match']), projection), 200);
          },
        };
      case 'DELETE':
        return {
          action: act('delete'),
          writes: true,
          run: async (rc, c) => {
            await type.ops.remove(rc, id, parsePrecondition(c.req.headers['if-match']));
            sendScim(c.res, 204);
          },
        };
      default:
        return null;
    }
  };

  // Root search across resource types: each type where the filter applies, concatenated.
  const rootSearch: Handler = async (rc, c) => {
    const parsed: { type: ResourceType; request: ListRequest }[] = [];
    let firstError: unknown = null;
    for (const type of RESOURCE_TYPES) {
      try {
        parsed.push({ type, request: parseSearchBody(type.schema, c.body) });
      } catch (e) {
        firstError ??= e;
      }
    }
    if (parsed.length === 0) throw firstError;
    const first = parsed[0] as { request: ListRequest };
    let skip = first.request.query.offset;
    let room = first.request.query.limit;
    let total = 0;
    const resources: Record<string, unknown>[] = [];
    for (const { type, request } of parsed) {
      const count = await type.ops.list(rc, { ...request, query: { ...request.query, offset: 0, limit: 0 } });
      total += count.total;
      if (room > 0 && skip < count.total) {
        const page = await type.ops.list(rc, { ...request, query: { ...request.query, offset: skip, limit: room } });
        resources.push(...page.resources.map((x) => project(type.schema, x, request.projection)));
        room -= page.resources.length;
      }
      skip = Math.max(0, skip - count.total);
    }
    sendScim(c.res, 200, listResponse(total, first.request.startIndex, resources));
  };

  const bulk: Handler = async (rc, c) => {
    const body = await runBulk(rc, c.body, limits, (event) => {
      // Successful writes audited themselves; failed ones are audited here, like any failed request.
      if (event.error) {
        audit.record({
          at: ctx.now(),
          action: `scim.${event.noun ?? 'bulk'}.${event.method.toLowerCase()}`,
          outcome: 'error',
          actor: rc.actor,
          provider: rc.token.provider,
          reason: event.error.message,
          details: { tokenId: rc.token.id, bulk: true, path: event.path, status: event.error.status },
        });
      }
    });
    sendScim(c.res, 200, body);
  };

  const resolve = (method: string, segments: string[]): Resolved | null => {
    const first = (segments[0] ?? '').toLowerCase();
    if (segments.length === 1 && method === 'POST') {
      if (first === '.search') return { action: 'scim.search', writes: false, run: rootSearch };
      if (first === 'bulk') return { action: 'scim.bulk', writes: false, run: bulk };
    }
    if (segments.length > 2) return null;
    const type = RESOURCE_TYPES.find((t) => t.endpoint.slice(1).toLowerCase() === first);
    if (!type) return null;
    return resourceRoute(type, method, segments.length === 2 ? decodeSegment(segments[1] as string) : null);
  };

  const unrouted = (call: Call): ScimError => {
    const lower = call.path.toLowerCase();
    const known = RESOURCE_TYPES.some((t) => lower.startsWith(t.endpoint.toLowerCase()));
    return known
      ? scimError.methodNotAllowed(`${call.method} is not supported on ${call.path.slice(0, 200)}.`)
      : scimError.notFound(`No SCIM endpoint at ${call.path.slice(0, 200)}.`);
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
