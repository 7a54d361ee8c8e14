/**
 * List parameters (RFC 7644 §3.4.2): filter, sortBy/sortOrder, startIndex/count,
 * attributes/excludedAttributes, from a GET query string or a POST /.search body.
 */
import { scimError } from './errors.ts';
import { parseFilter } from './filter/parse.ts';
import { resolveFilter, resolveSort } from './filter/resolve.ts';
import type { ScimQuery } from './ports.ts';
import { parseProjection, type Projection } from './project.ts';
import { isPlainObject, type ResourceSchema } from './schema/resource.ts';

export const DEFAULT_COUNT = 100;
/** Advertised as `filter.maxResults`. */
export const MAX_RESULTS = 1000;
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface ListRequest {
  query: ScimQuery;
  projection: Projection;
  startIndex: number;
}

function single(raw: unknown, name: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'number') return String(raw);
  if (typeof raw !== 'string') throw scimError.invalidValue(`${name} must be given once, as a string.`);
  return raw;
}

function integer(raw: unknown, name: string): number | undefined {
  const s = single(raw, name);
  if (s === undefined || s.trim() === '') return undefined;
  if (!/^-?\d{1,15}$/.test(s.trim())) throw scimError.invalidValue(`${name} must be an integer.`);
  return Number(s);
}

/** Case-insensitive read of a parameter (query strings and search bodies alike). */
function param(source: Record<string, unknown>, name: string): unknown {
  if (name in source) return source[name];
  const key = Object.keys(source).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : source[key];
}

export function parseListRequest(schema: ResourceSchema, source: Record<string, unknown>): ListRequest {
  const filterRaw = param(source, 'filter');
  if (filterRaw !== undefined && typeof filterRaw !== 'string') throw scimError.invalidFilter('Invalid filter: give one filter, as a string.');
  const filterText = filterRaw?.trim();
  const filter = filterText ? resolveFilter(schema, parseFilter(filterText)) : null;

  const sortBy = single(param(source, 'sortBy'), 'sortBy');
  const order = single(param(source, 'sortOrder'), 'sortOrder')?.toLowerCase();
  if (order !== undefined && order !== 'ascending' && order !== 'descending') throw scimError.invalidValue('sortOrder must be "ascending" or "descending".');
  const sort = sortBy ? resolveSort(schema, sortBy, order === 'descending') : null;

  // startIndex < 1 means 1, a negative count means 0 (RFC 7644 §3.4.2.4); count is capped at maxResults.
  const startIndex = Math.max(1, integer(param(source, 'startIndex'), 'startIndex') ?? 1);
  const count = Math.min(MAX_RESULTS, Math.max(0, integer(param(source, 'count'), 'count') ?? DEFAULT_COUNT));
  const projection = parseProjection(schema, param(source, 'attributes'), param(source, 'excludedAttributes'));
  return { query: { filter, sort, offset: startIndex - 1, limit: count }, projection, startIndex };
}

/** A POST /.search body. */
export function parseSearchBody(schema: ResourceSchema, body: unknown): ListRequest {
  if (!isPlainObject(body)) throw scimError.invalidSyntax('The search request must be a JSON object.');
  const schemas = param(body, 'schemas');
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.includes(SEARCH_REQUEST_SCHEMA))) {
    throw scimError.invalidSyntax(`schemas must contain "${SEARCH_REQUEST_SCHEMA}".`);
  }
  return parseListRequest(schema, body);
}

export function listResponse(total: number, startIndex: number, resources: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** listResponse with resources already serialized (see ResourceOps.listJson). */
export function listResponseJson(total: number, startIndex: number, items: string[]): string {
  return `{"schemas":${JSON.stringify([LIST_RESPONSE_SCHEMA])},"totalResults":${total},"startIndex":${startIndex},"itemsPerPage":${items.length},"Resources":[${items.join(',')}]}`;
}
