/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes a response
 * carries. `id` and `schemas` always come back; names may be URN-qualified and may name a
 * sub-attribute (`name.givenName`, `emails.value`). Unknown names are ignored.
 */
import { splitAttrPath } from './filter/parse.ts';
import { isPlainObject, resolveAttribute, topLevelAttributes, type ResourceSchema } from './schema/resource.ts';

export interface Projection {
  /** null: the default set. */
  attributes: Selection | null;
  excluded: Selection;
}

/** container (null = top level) -> attribute name -> sub-attribute names (null = the whole attribute). */
type Selection = Map<string | null, Map<string, Set<string> | null>>;

function names(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.flatMap((v) => (typeof v === 'string' ? v.split(',') : [])).map((s) => s.trim()).filter((s) => s !== '');
}

function select(schema: ResourceSchema, raw: unknown): Selection {
  const out: Selection = new Map();
  for (const name of names(raw)) {
    const ext = schema.extensions.find((e) => e.id.toLowerCase() === name.toLowerCase());
    if (ext) {
      const m = out.get(ext.id) ?? new Map();
      for (const a of ext.attributes) m.set(a.name, null);
      out.set(ext.id, m);
      continue;
    }
    const path = splitAttrPath(name);
    const r = path ? resolveAttribute(schema, path) : null;
    if (!r) continue;
    const m = out.get(r.container) ?? new Map<string, Set<string> | null>();
    out.set(r.container, m);
    if (r.sub === null) m.set(r.def.name, null);
    else {
      const subs = m.get(r.def.name);
      if (subs !== null) m.set(r.def.name, (subs ?? new Set()).add(r.sub.name));
    }
  }
  return out;
}

export function parseProjection(schema: ResourceSchema, attributes: unknown, excludedAttributes: unknown): Projection {
  const attrs = names(attributes).length ? select(schema, attributes) : null;
  return { attributes: attrs, excluded: select(schema, excludedAttributes) };
}

/** Whether the response will carry this top-level attribute (to skip loading members/groups). */
export function wantsAttribute(projection: Projection, name: string): boolean {
  if (projection.attributes !== null) return projection.attributes.get(null)?.has(name) === true;
  return !(projection.excluded.get(null)?.has(name) && projection.excluded.get(null)?.get(name) === null);
}

function pick(value: unknown, subs: Set<string>, keep: boolean): unknown {
  const one = (v: unknown) => {
    if (!isPlainObject(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (subs.has(k) === keep) out[k] = x;
    return out;
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

function alwaysReturned(schema: ResourceSchema): Set<string> {
  return new Set(['schemas', ...topLevelAttributes(schema).filter((a) => a.returned === 'always').map((a) => a.name)]);
}

/** No `attributes` and no `excludedAttributes`: the resource as rendered. */
export function isDefaultProjection(projection: Projection): boolean {
  return projection.attributes === null && projection.excluded.size === 0;
}

/** The rendered resource trimmed to the projection. */
export function project(schema: ResourceSchema, resource: Record<string, unknown>, projection: Projection): Record<string, unknown> {
  if (isDefaultProjection(projection)) return resource;
  const always = alwaysReturned(schema);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const ext = schema.extensions.find((e) => e.id === key);
    const container = ext ? ext.id : null;
    if (ext && isPlainObject(value)) {
      const inner: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const kept = keepValue(projection, container, k, v, false);
        if (kept !== undefined) inner[k] = kept;
      }
      if (Object.keys(inner).length) out[key] = inner;
      continue;
    }
    const kept = keepValue(projection, null, key, value, always.has(key));
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function keepValue(projection: Projection, container: string | null, key: string, value: unknown, always: boolean): unknown {
  if (always) return value;
  if (projection.attributes !== null) {
    const m = projection.attributes.get(container);
    if (!m?.has(key)) return undefined;
    const subs = m.get(key);
    return subs ? pick(value, subs, true) : value;
  }
  const m = projection.excluded.get(container);
  if (!m?.has(key)) return value;
  const subs = m.get(key);
  return subs ? pick(value, subs, false) : undefined;
}
