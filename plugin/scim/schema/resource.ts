/**
 * A resource's attributes as one lookup: core schema, extensions, common attributes. Names are
 * case-insensitive and may be URN-qualified. A document keeps core and common attributes at the
 * top level and extension attributes under the extension's URN, always with canonical names.
 */
import { scimError } from '../errors.ts';
import { COMMON_ATTRIBUTES, findAttribute, type AttributeDef, type SchemaDef } from './types.ts';

export interface ResourceSchema {
  name: string;
  core: SchemaDef;
  extensions: SchemaDef[];
}

export interface ResolvedAttribute {
  /** null: top level of the document (core or common); else the extension URN holding it. */
  container: string | null;
  def: AttributeDef;
  sub: AttributeDef | null;
}

export function topLevelAttributes(schema: ResourceSchema): AttributeDef[] {
  return [...COMMON_ATTRIBUTES, ...schema.core.attributes];
}

export function findExtension(schema: ResourceSchema, urn: string): SchemaDef | undefined {
  const lower = urn.toLowerCase();
  return schema.extensions.find((e) => e.id.toLowerCase() === lower);
}

/** Resolves `[uri:]name[.sub]`; null when unknown. */
export function resolveAttribute(schema: ResourceSchema, path: { uri: string | null; name: string; sub: string | null }): ResolvedAttribute | null {
  let container: string | null = null;
  let list: AttributeDef[];
  if (path.uri === null || path.uri.toLowerCase() === schema.core.id.toLowerCase()) {
    list = topLevelAttributes(schema);
  } else {
    const ext = findExtension(schema, path.uri);
    if (!ext) return null;
    container = ext.id;
    list = ext.attributes;
  }
  const def = findAttribute(list, path.name);
  if (!def) return null;
  if (path.sub === null) return { container, def, sub: null };
  const sub = findAttribute(def.subAttributes, path.sub);
  return sub ? { container, def, sub } : null;
}

// ------------------------------------------------------------------ values

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(where: string, message: string) {
  return scimError.invalidValue(`${where}: ${message}`);
}

function normalizeScalar(def: AttributeDef, v: unknown, where: string): unknown {
  switch (def.type) {
    case 'boolean':
      if (typeof v === 'boolean') return v;
      // Entra ID sends booleans as "True"/"False".
      if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
      throw invalid(where, 'must be a boolean');
    case 'integer':
    case 'decimal': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
      if (!Number.isFinite(n) || (def.type === 'integer' && !Number.isInteger(n))) throw invalid(where, `must be ${def.type === 'integer' ? 'an integer' : 'a number'}`);
      return n;
    }
    case 'dateTime':
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw invalid(where, 'must be an xsd:dateTime string');
      return v;
    default: {
      // string, reference, binary
      const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
      if (typeof s !== 'string') throw invalid(where, 'must be a string');
      const max = def.maxLength ?? 4096;
      if (s.length > max) throw invalid(where, `longer than ${max} characters`);
      return s;
    }
  }
}

function normalizeSingle(def: AttributeDef, v: unknown, where: string): unknown {
  if (v === null || v === undefined) return undefined;
  if (def.type !== 'complex') return normalizeScalar(def, v, where);
  // Entra ID sends a complex attribute with a `value` sub-attribute as its bare value (manager).
  if (typeof v === 'string' && findAttribute(def.subAttributes, 'value')) v = { value: v };
  if (!isPlainObject(v)) throw invalid(where, 'must be an object');
  const out: Record<string, unknown> = {};
  for (const [key, x] of Object.entries(v)) {
    const sub = findAttribute(def.subAttributes, key);
    if (!sub || sub.mutability === 'readOnly') continue;
    const nv = normalizeSingle(sub, Array.isArray(x) && x.length === 1 ? x[0] : x, `${where}.${sub.name}`);
    if (nv !== undefined) out[sub.name] = nv;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * A value checked and coerced against its definition; undefined means unassigned.
 * Tolerates what IdPs send: "True"/"False" booleans, a bare value for a multi-valued attribute,
 * a one-element array for a single-valued one, numbers for strings.
 */
export function normalizeValue(def: AttributeDef, v: unknown, where: string = def.name): unknown {
  if (v === null || v === undefined) return undefined;
  if (!def.multiValued) {
    if (Array.isArray(v)) {
      if (v.length > 1) throw invalid(where, 'is single-valued');
      return normalizeSingle(def, v[0], where);
    }
    return normalizeSingle(def, v, where);
  }
  const items = (Array.isArray(v) ? v : [v]).map((x, i) => normalizeSingle(def, x, `${where}[${i}]`)).filter((x) => x !== undefined);
  if (items.length === 0) return undefined;
  if (items.filter((x) => isPlainObject(x) && x.primary === true).length > 1) throw invalid(where, 'at most one value may be primary');
  return items;
}

function normalizeAttributes(list: readonly AttributeDef[], body: Record<string, unknown>, prefix: string, out: Record<string, unknown>): void {
  for (const [key, v] of Object.entries(body)) {
    const def = findAttribute(list, key);
    // Unknown, read-only and never-returned (password) attributes are ignored, as RFC 7644 §3.3 allows.
    if (!def || def.mutability === 'readOnly' || def.returned === 'never') continue;
    const nv = normalizeValue(def, v, `${prefix}${def.name}`);
    if (nv !== undefined) out[def.name] = nv;
    else delete out[def.name];
  }
}

/**
 * A POST/PUT body (or a patched document) as a canonical document: known, writable attributes
 * only, coerced; throws 400 `invalidValue` for a wrong type or a missing required attribute.
 */
export function normalizeResource(schema: ResourceSchema, body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw scimError.invalidSyntax('The request body must be a JSON object.');
  const top = topLevelAttributes(schema);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') continue;
    const ext = findExtension(schema, key);
    if (ext) {
      if (v === null || v === undefined) continue;
      if (!isPlainObject(v)) throw invalid(ext.id, 'must be an object');
      const extOut: Record<string, unknown> = isPlainObject(out[ext.id]) ? (out[ext.id] as Record<string, unknown>) : {};
      normalizeAttributes(ext.attributes, v, `${ext.name}.`, extOut);
      if (Object.keys(extOut).length) out[ext.id] = extOut;
      continue;
    }
    if (/^urn:/i.test(key)) {
      // A flattened extension attribute: "urn:...:enterprise:2.0:User:department".
      const cut = key.lastIndexOf(':');
      const flat = findExtension(schema, key.slice(0, cut));
      if (flat) {
        const extOut: Record<string, unknown> = isPlainObject(out[flat.id]) ? (out[flat.id] as Record<string, unknown>) : {};
        normalizeAttributes(flat.attributes, { [key.slice(cut + 1)]: v }, `${flat.name}.`, extOut);
        if (Object.keys(extOut).length) out[flat.id] = extOut;
        else delete out[flat.id];
      } else if (key.slice(0, cut).toLowerCase() === schema.core.id.toLowerCase()) {
        normalizeAttributes(top, { [key.slice(cut + 1)]: v }, '', out);
      }
      continue;
    }
    normalizeAttributes(top, { [key]: v }, '', out);
  }
  for (const def of schema.core.attributes) {
    if (def.required && (out[def.name] === undefined || out[def.name] === '')) throw scimError.invalidValue(`${def.name} is required.`);
  }
  return out;
}

/** JSON with sorted keys: equal documents give equal strings. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
