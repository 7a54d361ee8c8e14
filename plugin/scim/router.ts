/**
 * The SCIM 2.0 server (RFC 7644) as an Express router mounted at `config.scim.basePath`:
 * discovery without auth, then bearer auth, then one set of routes per registry entry, `/.search`
 * and `/Bulk`. Every authenticated request is audited with the token's name: writes inside their
 * transaction, everything else through the batched audit log.
 */
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { GatehouseContext } from '../context.ts';
import { createScimAuditLog, type ScimAuditLog } from './audit-log.ts';
import { authenticate } from './auth.ts';
import { runBulk } from './bulk.ts';
import { requestContext, type ScimRequestContext } from './context.ts';
import { DEFAULT_LIMITS, allSchemas, resourceTypeDocuments, schemaDocument, serviceProviderConfig, type ScimLimits } from './discovery.ts';
import { isScimError, scimError, scimErrorBody, toScimError, type ScimError } from './errors.ts';
import { etagOf, parsePrecondition, preconditionMatches, sendScim } from './http.ts';
import type { ScimStore } from './ports.ts';
import { parseProjection, project } from './project.ts';
import { listResponse, parseListRequest, parseSearchBody, type ListRequest } from './query.ts';
import { RESOURCE_TYPES, type ResourceType } from './registry.ts';
import type { WriteResult } from './resources/types.ts';

export interface ScimRouterDeps {
  scim: ScimStore;
  /** The batched audit log of reads and refusals; one is created when absent (flush it on shutdown). */
  audit?: ScimAuditLog | undefined;
  limits?: Partial<ScimLimits> | undefined;
}

const JSON_TYPES = /^application\/(?:scim\+json|json|[\w.-]+\+json)\s*(?:;|$)/i;

function normalizeBasePath(p: string): string {
  const trimmed = `/${p.replace(/^\/+|\/+$/g, '')}`;
  return trimmed === '/' ? '' : trimmed;
}

function versionOf(resource: Record<string, unknown>): number | null {
  const v = (resource.meta as { version?: unknown } | undefined)?.version;
  const m = typeof v === 'string' ? /"(\d+)"/.exec(v) : null;
  return m ? Number(m[1]) : null;
}

/** Express hands query values as string | string[] | object; SCIM wants plain values. */
function queryOf(req: Request): Record<string, unknown> {
  return { ...(req.query as Record<string, unknown>) };
}

function hasProjection(req: Request): boolean {
  return 'attributes' in req.query || 'excludedAttributes' in req.query;
}

export function createScimRouter(ctx: GatehouseContext, deps: ScimRouterDeps): Router {
  const limits: ScimLimits = { ...DEFAULT_LIMITS, ...(deps.limits ?? {}) };
  const audit = deps.audit ?? createScimAuditLog(deps.scim, ctx.logger);
  const basePath = normalizeBasePath(ctx.config.scim.basePath);
  const baseUrlOf = (req: Request) => `${(ctx.config.server.baseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '')}${basePath}`;
  const json = express.json({ limit: limits.maxPayloadSize, type: () => true, strict: true });
  const r = Router({ caseSensitive: false });

  const sendError = (res: Response, e: ScimError) => sendScim(res, e.status, scimErrorBody(e), e.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="SCIM"' } : {});
  const rcOf = (res: Response) => res.locals.scimRequest as ScimRequestContext;

  const auditRequest = (rc: ScimRequestContext, action: string, req: Request, status: number, error: ScimError | null) => {
    const filter = typeof req.query.filter === 'string' ? req.query.filter.slice(0, 500) : undefined;
    audit.record({
      at: ctx.now(),
      action,
      outcome: error ? 'error' : 'ok',
      actor: rc.actor,
      provider: rc.token.provider,
      reason: error ? error.message : null,
      details: { tokenId: rc.token.id, method: req.method, path: req.path, status, ...(filter ? { filter } : {}), ...(error?.scimType ? { scimType: error.scimType } : {}) },
    });
  };

  /** Runs a handler; reads are audited here, successful writes audited themselves in their transaction. */
  const route =
    (action: string, writes: boolean, fn: (rc: ScimRequestContext, req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      const rc = rcOf(res);
      try {
        await fn(rc, req, res);
        if (!writes) auditRequest(rc, action, req, res.statusCode, null);
      } catch (e) {
        const err = toScimError(e);
        if (!isScimError(e)) ctx.logger.error({ err: e, path: req.path }, 'SCIM request failed');
        sendError(res, err);
        auditRequest(rc, action, req, err.status, err);
      }
    };

  // ------------------------------------------------------------ discovery (no auth, RFC 7644 §4)
  r.get('/ServiceProviderConfig', (req, res) => sendScim(res, 200, serviceProviderConfig(baseUrlOf(req), limits)));
  r.get('/Schemas', (req, res) => {
    const docs = allSchemas().map((s) => schemaDocument(s, baseUrlOf(req)));
    sendScim(res, 200, listResponse(docs.length, 1, docs));
  });
  r.get('/Schemas/:id', (req, res) => {
    const schema = allSchemas().find((s) => s.id.toLowerCase() === String(req.params.id).toLowerCase());
    if (schema) sendScim(res, 200, schemaDocument(schema, baseUrlOf(req)));
    else sendError(res, scimError.notFound(`Schema "${String(req.params.id).slice(0, 200)}" not found.`));
  });
  r.get('/ResourceTypes', (req, res) => {
    const docs = resourceTypeDocuments(baseUrlOf(req));
    sendScim(res, 200, listResponse(docs.length, 1, docs));
  });
  r.get('/ResourceTypes/:id', (req, res) => {
    const doc = resourceTypeDocuments(baseUrlOf(req)).find((d) => String(d.id).toLowerCase() === String(req.params.id).toLowerCase());
    if (doc) sendScim(res, 200, doc);
    else sendError(res, scimError.notFound(`ResourceType "${String(req.params.id).slice(0, 200)}" not found.`));
  });

  // ------------------------------------------------------------ authentication, then the body
  r.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const token = await authenticate(ctx, req);
      res.locals.scimRequest = requestContext(ctx, deps.scim, token, baseUrlOf(req));
      next();
    } catch (e) {
      const err = toScimError(e);
      if (!isScimError(e)) ctx.logger.error({ err: e }, 'SCIM authentication failed');
      sendError(res, err);
      audit.record({
        at: ctx.now(),
        action: 'scim.auth',
        outcome: err.status === 401 ? 'unauthorized' : 'error',
        actor: null,
        reason: err.message,
        details: { method: req.method, path: req.path, status: err.status },
      });
    }
  });
  r.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return next();
    const type = req.headers['content-type'];
    if (type !== undefined && !JSON_TYPES.test(type)) {
      const err = scimError.unsupportedMediaType();
      sendError(res, err);
      auditRequest(rcOf(res), 'scim.request', req, err.status, err);
      return;
    }
    json(req, res, (e?: unknown) => {
      if (e === undefined || e === null) return next();
      const err = toScimError(e);
      sendError(res, err);
      auditRequest(rcOf(res), 'scim.request', req, err.status, err);
    });
  });

  // ------------------------------------------------------------ resources, one set per registry entry
  const sendList = async (rc: ScimRequestContext, type: ResourceType, request: ListRequest, res: Response) => {
    const { total, resources } = await type.ops.list(rc, request);
    sendScim(res, 200, listResponse(total, request.startIndex, resources.map((x) => project(type.schema, x, request.projection))));
  };
  const sendWritten = (res: Response, req: Request, type: ResourceType, result: WriteResult, status: number) => {
    const headers: Record<string, string> = { ETag: etagOf(result.version), Location: `${rcOf(res).baseUrl}${type.endpoint}/${result.id}` };
    if (result.resource === null) return sendScim(res, 204, undefined, headers);
    const projection = parseProjection(type.schema, req.query.attributes, req.query.excludedAttributes);
    sendScim(res, status, project(type.schema, result.resource, projection), headers);
  };

  for (const type of RESOURCE_TYPES) {
    const act = (verb: string) => `scim.${type.noun}.${verb}`;
    r.get(
      type.endpoint,
      route(act('list'), false, (rc, req, res) => sendList(rc, type, parseListRequest(type.schema, queryOf(req)), res)),
    );
    r.post(
      `${type.endpoint}/.search`,
      route(act('search'), false, (rc, req, res) => sendList(rc, type, parseSearchBody(type.schema, req.body), res)),
    );
    r.post(
      type.endpoint,
      route(act('create'), true, async (rc, req, res) => sendWritten(res, req, type, await type.ops.create(rc, req.body), 201)),
    );
    r.get(
      `${type.endpoint}/:id`,
      route(act('get'), false, async (rc, req, res) => {
        const projection = parseProjection(type.schema, req.query.attributes, req.query.excludedAttributes);
        const resource = await type.ops.get(rc, String(req.params.id), projection);
        const version = versionOf(resource);
        const headers: Record<string, string> = version === null ? {} : { ETag: etagOf(version) };
        const ifNoneMatch = parsePrecondition(req.headers['if-none-match']);
        if (ifNoneMatch !== null && version !== null && preconditionMatches(ifNoneMatch, version)) return sendScim(res, 304, undefined, headers);
        sendScim(res, 200, project(type.schema, resource, projection), headers);
      }),
    );
    r.put(
      `${type.endpoint}/:id`,
      route(act('replace'), true, async (rc, req, res) => {
        const result = await type.ops.replace(rc, String(req.params.id), req.body, parsePrecondition(req.headers['if-match']));
        sendWritten(res, req, type, result, 200);
      }),
    );
    r.patch(
      `${type.endpoint}/:id`,
      route(act('patch'), true, async (rc, req, res) => {
        const projection = hasProjection(req) ? parseProjection(type.schema, req.query.attributes, req.query.excludedAttributes) : null;
        const result = await type.ops.patch(rc, String(req.params.id), req.body, parsePrecondition(req.headers['if-match']), projection);
        sendWritten(res, req, type, result, 200);
      }),
    );
    r.delete(
      `${type.endpoint}/:id`,
      route(act('delete'), true, async (rc, req, res) => {
        await type.ops.remove(rc, String(req.params.id), parsePrecondition(req.headers['if-match']));
        sendScim(res, 204);
      }),
    );
  }

  // Root search across resource types: each type where the filter applies, concatenated.
  r.post(
    '/.search',
    route('scim.search', false, async (rc, req, res) => {
      const parsed: { type: ResourceType; request: ListRequest }[] = [];
      let firstError: unknown = null;
      for (const type of RESOURCE_TYPES) {
        try {
          parsed.push({ type, request: parseSearchBody(type.schema, req.body) });
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
      sendScim(res, 200, listResponse(total, first.request.startIndex, resources));
    }),
  );

  r.post(
    '/Bulk',
    route('scim.bulk', false, async (rc, req, res) => {
      const body = await runBulk(rc, req.body, limits, (event) => {
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
      sendScim(res, 200, body);
    }),
  );

  r.use((req: Request, res: Response) => {
    const known = RESOURCE_TYPES.some((t) => req.path.toLowerCase().startsWith(t.endpoint.toLowerCase()));
    const err = known ? scimError.methodNotAllowed(`${req.method} is not supported on ${req.path.slice(0, 200)}.`) : scimError.notFound(`No SCIM endpoint at ${req.path.slice(0, 200)}.`);
    sendError(res, err);
    if (res.locals.scimRequest) auditRequest(rcOf(res), 'scim.request', req, err.status, err);
  });

  const outer = Router();
  outer.use(basePath || '/', r);
  return outer;
}
