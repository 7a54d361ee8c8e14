/**
 * What each SCIM request does once it is authenticated and its body read: discovery (no auth,
 * RFC 7644 §4), the routes of every resource type in the registry, root `/.search` and `/Bulk`.
 * The router (router.ts) owns the HTTP door around them: base path, auth, body, turns, audit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScimAuditLog } from './audit-log.ts';
import { runBulk } from './bulk.ts';
import type { ScimRequestContext } from './context.ts';
import { allSchemas, resourceTypeDocuments, schemaDocument, serviceProviderConfig, type ScimLimits } from './discovery.ts';
import { errorHeaders, scimError, scimErrorBody, type ScimError } from './errors.ts';
import { etagOf, parsePrecondition, preconditionMatches, sendScim, sendScimJson } from './http.ts';
import { isDefaultProjection, parseProjection, project } from './project.ts';
import { listResponse, listResponseJson, parseListRequest, parseSearchBody, type ListRequest } from './query.ts';
import { RESOURCE_TYPES, type ResourceType } from './registry.ts';
import type { WriteResult } from './resources/types.ts';

/** What a handler sees of one request. */
export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path below the base path, as sent (`/Users/abc`). */
  path: string;
  query: Record<string, unknown>;
  body: unknown;
}

export type Handler = (rc: ScimRequestContext, call: Call) => Promise<void>;

/** The routes of one request, resolved from its method and path (case-insensitive, like the RFC's examples). */
export interface Resolved {
  action: string;
  /** Writes audit themselves inside their transaction. */
  writes: boolean;
  run: Handler;
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

export function sendScimError(res: ServerResponse, e: ScimError): void {
  sendScim(res, e.status, scimErrorBody(e), { ...errorHeaders(e.status), ...e.headers });
}

export interface ScimRoutesDeps {
  limits: ScimLimits;
  /** Failed Bulk operations are audited here, like any failed request. */
  audit: ScimAuditLog;
  now: () => number;
  /** The SCIM base URL a response names (`meta.location`, discovery documents). */
  baseUrlOf(req: IncomingMessage): string;
}

export interface ScimRoutes {
  /** Answers a discovery request (no auth) and returns true; false for anything else. */
  discovery(call: Call, segments: string[]): boolean;
  /** The route of an authenticated request, or null when none matches. */
  resolve(method: string, segments: string[]): Resolved | null;
  /** The error for a request no route matches: 405 under a known endpoint, else 404. */
  unrouted(call: Call): ScimError;
}

export function createScimRoutes(deps: ScimRoutesDeps): ScimRoutes {
  const { limits, audit, baseUrlOf } = deps;
  const sendError = sendScimError;

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
          at: deps.now(),
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

  return { discovery, resolve, unrouted };
}
