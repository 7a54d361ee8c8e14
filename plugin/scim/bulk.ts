/**
 * POST /Bulk (RFC 7644 §3.7): operations run one by one through the registry's operations (each
 * in its own transaction), `bulkId:<id>` references resolved from earlier POSTs (an operation
 * waits for the one it references, whatever their order), `failOnErrors` honoured, limits
 * enforced (413 `tooMany` above maxOperations; the body size is capped by the JSON parser).
 */
import type { ScimRequestContext } from './context.ts';
import { isScimError, scimError, scimErrorBody, toScimError, type ScimError } from './errors.ts';
import { etagOf, parsePrecondition } from './http.ts';
import { resourceTypeOfPath, type ResourceType } from './registry.ts';
import { isPlainObject } from './schema/resource.ts';
import type { ScimLimits } from './discovery.ts';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

type Method = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface BulkOperation {
  index: number;
  method: Method;
  bulkId: string | null;
  path: string;
  data: unknown;
  version: string | null;
}

/** Told about every operation's outcome, for the request audit. */
export type BulkObserver = (event: { method: Method; path: string; noun: string | null; error: ScimError | null }) => void;

const REF = /^bulkId:(.+)$/;
/** `/Users/bulkId:qwerty` in an operation's path. */
const PATH_REF = /(?<=\/)bulkId:([^/?#]+)/g;

function pathReferences(path: string): string[] {
  return [...path.matchAll(PATH_REF)].map((m) => decodeURIComponent(m[1] as string));
}

function substitutePath(path: string, ids: Map<string, string>): string {
  return path.replace(PATH_REF, (whole, ref: string) => ids.get(decodeURIComponent(ref)) ?? whole);
}

function references(value: unknown, out: Set<string>): Set<string> {
  if (typeof value === 'string') {
    const m = REF.exec(value);
    if (m) out.add(m[1] as string);
  } else if (Array.isArray(value)) value.forEach((v) => references(v, out));
  else if (isPlainObject(value)) Object.values(value).forEach((v) => references(v, out));
  return out;
}

function substitute(value: unknown, ids: Map<string, string>): unknown {
  if (typeof value === 'string') {
    const m = REF.exec(value);
    return m ? (ids.get(m[1] as string) ?? value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, ids));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, ids)]));
  return value;
}

function parseOperations(body: unknown, limits: ScimLimits): { ops: BulkOperation[]; failOnErrors: number | null } {
  if (!isPlainObject(body)) throw scimError.invalidSyntax('The bulk request must be a JSON object.');
  if (Array.isArray(body.schemas) && !body.schemas.includes(BULK_REQUEST_SCHEMA)) throw scimError.invalidSyntax(`schemas must contain "${BULK_REQUEST_SCHEMA}".`);
  const raw = body.Operations;
  if (!Array.isArray(raw)) throw scimError.invalidSyntax('"Operations" must be an array.');
  if (raw.length > limits.maxOperations) {
    throw scimError.tooMany(`The bulk request has ${raw.length} operations; maxOperations is ${limits.maxOperations}.`, 413);
  }
  const foe = body.failOnErrors;
  if (foe !== undefined && (typeof foe !== 'number' || !Number.isInteger(foe) || foe < 1)) throw scimError.invalidValue('failOnErrors must be a positive integer.');
  const seen = new Set<string>();
  const ops = raw.map((op, index): BulkOperation => {
    if (!isPlainObject(op)) throw scimError.invalidSyntax(`Operations[${index}] must be an object.`);
    const method = typeof op.method === 'string' ? op.method.toUpperCase() : '';
    if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH' && method !== 'DELETE') throw scimError.invalidSyntax(`Operations[${index}].method must be POST, PUT, PATCH or DELETE.`);
    if (typeof op.path !== 'string') throw scimError.invalidSyntax(`Operations[${index}].path must be a string.`);
    const bulkId = typeof op.bulkId === 'string' && op.bulkId !== '' ? op.bulkId : null;
    if (method === 'POST' && bulkId === null) throw scimError.invalidSyntax(`Operations[${index}]: a POST needs a bulkId.`);
    if (bulkId !== null) {
      if (seen.has(bulkId)) throw scimError.invalidSyntax(`Operations[${index}]: bulkId "${bulkId}" is used twice.`);
      seen.add(bulkId);
    }
    if (method !== 'DELETE' && !isPlainObject(op.data)) throw scimError.invalidSyntax(`Operations[${index}].data must be an object.`);
    return { index, method, bulkId, path: op.path, data: op.data, version: typeof op.version === 'string' ? op.version : null };
  });
  return { ops, failOnErrors: typeof foe === 'number' ? foe : null };
}

async function execute(rc: ScimRequestContext, op: BulkOperation, type: ResourceType, id: string | null): Promise<Record<string, unknown>> {
  const ifMatch = parsePrecondition(op.version ?? undefined);
  const base = { method: op.method, ...(op.bulkId ? { bulkId: op.bulkId } : {}) };
  const location = (rid: string) => `${rc.baseUrl}${type.endpoint}/${rid}`;
  if (op.method === 'POST') {
    if (id !== null) throw scimError.invalidPath(`POST goes to ${type.endpoint}, not to a resource.`);
    const r = await type.ops.create(rc, op.data);
    return { ...base, location: location(r.id), version: etagOf(r.version), status: '201' };
  }
  if (id === null) throw scimError.invalidPath(`${op.method} needs a resource path (${type.endpoint}/{id}).`);
  if (op.method === 'DELETE') {
    await type.ops.remove(rc, id, ifMatch);
    return { ...base, location: location(id), status: '204' };
  }
  const r = op.method === 'PUT' ? await type.ops.replace(rc, id, op.data, ifMatch) : await type.ops.patch(rc, id, op.data, ifMatch, null);
  return { ...base, location: location(id), version: etagOf(r.version), status: '200' };
}

/** Runs a bulk request; the response is always 200 with one result per operation run. */
export async function runBulk(rc: ScimRequestContext, body: unknown, limits: ScimLimits, observe: BulkObserver): Promise<Record<string, unknown>> {
  const { ops, failOnErrors } = parseOperations(body, limits);
  const definedBy = new Map(ops.filter((o) => o.bulkId !== null).map((o) => [o.bulkId as string, o]));
  const ids = new Map<string, string>();
  const failed = new Set<string>();
  const results: Record<string, unknown>[] = [];
  let pending = ops;
  let errors = 0;

  const fail = (op: BulkOperation, e: unknown, noun: string | null) => {
    const err = toScimError(e);
    if (!isScimError(e)) rc.ctx.logger.error({ err: e }, 'SCIM bulk operation failed');
    errors++;
    if (op.bulkId) failed.add(op.bulkId);
    observe({ method: op.method, path: op.path, noun, error: err });
    results.push({ method: op.method, ...(op.bulkId ? { bulkId: op.bulkId } : {}), status: String(err.status), response: scimErrorBody(err) });
  };

  while (pending.length > 0 && !(failOnErrors !== null && errors >= failOnErrors)) {
    const deferred: BulkOperation[] = [];
    for (const op of pending) {
      if (failOnErrors !== null && errors >= failOnErrors) break;
      const refs = [...new Set([...pathReferences(op.path), ...references(op.data, new Set())])];
      // Wait for an operation defined in this request that has not run yet.
      if (refs.some((r) => !ids.has(r) && !failed.has(r) && definedBy.has(r) && definedBy.get(r) !== op && pending.includes(definedBy.get(r) as BulkOperation))) {
        deferred.push(op);
        continue;
      }
      const missing = refs.find((r) => !ids.has(r));
      if (missing !== undefined) {
        fail(op, scimError.unresolvedReference(`bulkId "${missing}" does not resolve to a resource created by this request.`), null);
        continue;
      }
      const path = substitutePath(op.path, ids);
      const target = resourceTypeOfPath(path);
      if (!target) {
        fail(op, scimError.invalidPath(`Unknown resource path "${path.slice(0, 200)}".`), null);
        continue;
      }
      try {
        const result = await execute(rc, { ...op, data: substitute(op.data, ids) }, target.type, target.id);
        if (op.method === 'POST' && op.bulkId && typeof result.location === 'string') ids.set(op.bulkId, result.location.slice(result.location.lastIndexOf('/') + 1));
        observe({ method: op.method, path, noun: target.type.noun, error: null });
        results.push(result);
      } catch (e) {
        fail(op, e, target.type.noun);
      }
    }
    if (deferred.length === pending.length) {
      // Only circular references are left.
      for (const op of deferred) fail(op, scimError.unresolvedReference('Circular bulkId references.'), null);
      break;
    }
    pending = deferred;
  }
  return { schemas: [BULK_RESPONSE_SCHEMA], Operations: results };
}
