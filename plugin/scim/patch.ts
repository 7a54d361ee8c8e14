/**
 * RFC 7644 §3.5.2 PATCH, pure: operations applied to a canonical document. Both IdP dialects:
 *
 * - Okta: no `path`, the value is an object of attributes (`{"op":"replace","value":{"active":false}}`).
 * - Entra ID: `path` plus a primitive (`{"op":"Replace","path":"active","value":"False"}`), value-filter
 *   paths (`emails[type eq "work"].value`), capitalized op names, "True"/"False" booleans,
 *   one-element arrays for single values, dotted or URN-qualified keys inside a no-path value,
 *   a bare manager id, and an empty Operations list.
 *
 * The attribute named in `delta` (a Group's `members`) is not edited in the document: its operations
 * come back as deltas, so that a push of 20 members never loads a group of 100,000.
 */
import { scimError } from './errors.ts';
import { checkFilterPaths, matchElement, seedFromFilter } from './filter/match.ts';
import { parsePatchPath, type FilterAst, type PatchPath } from './filter/parse.ts';
import { findExtension, isPlainObject, normalizeValue, resolveAttribute, type ResourceSchema } from './schema/resource.ts';
import type { AttributeDef } from './schema/types.ts';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const MAX_PATCH_OPERATIONS = 1000;

export type MemberDelta =
  | { op: 'add' | 'remove' | 'replace'; values: string[] }
  /** `remove members[display co "x"]`: the caller matches it against the current members. */
  | { op: 'removeWhere'; filter: FilterAst };

export interface PatchResult {
  doc: Record<string, unknown>;
  deltas: MemberDelta[];
}

type Op = 'add' | 'remove' | 'replace';
type Element = Record<string, unknown>;

function field(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

/** Primary is unique: the elements in `keep` stay primary, the others lose it. */
function demoteOthers(elements: Element[], keep: Element[]): void {
  if (!keep.some((e) => e.primary === true)) return;
  for (const e of elements) if (!keep.includes(e) && e.primary === true) e.primary = false;
}

/** Member ids from `[{ "value": "id" }]`, `{ "value": "id" }` or `["id"]`. */
function memberValues(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items.map((item, i) => {
    if (typeof item === 'string' && item !== '') return item;
    if (isPlainObject(item)) {
      const type = field(item, 'type');
      if (typeof type === 'string' && type.toLowerCase() !== 'user') throw scimError.invalidValue(`members[${i}]: only Users can be members (nested groups are not supported).`);
      const id = field(item, 'value');
      if (typeof id === 'string' && id !== '') return id;
    }
    throw scimError.invalidValue(`members[${i}]: a member needs a "value" (the User id).`);
  });
}

/** `member[value eq "a" or value eq "b"]` as ids; null for any other filter. */
function idsFromFilter(ast: FilterAst): string[] | null {
  if (ast.type === 'compare' && ast.op === 'eq' && ast.path.name.toLowerCase() === 'value' && ast.path.sub === null && typeof ast.value === 'string') return [ast.value];
  if (ast.type === 'logical' && ast.op === 'or') {
    const out: string[] = [];
    for (const t of ast.terms) {
      const ids = idsFromFilter(t);
      if (ids === null) return null;
      out.push(...ids);
    }
    return out;
  }
  return null;
}

class PatchRun {
  readonly deltas: MemberDelta[] = [];

  constructor(
    readonly schema: ResourceSchema,
    readonly doc: Record<string, unknown>,
    readonly delta: string | null,
  ) {}

  run(op: Op, pathText: string | null, value: unknown): void {
    if (pathText === null) return this.withoutPath(op, value);
    const ext = findExtension(this.schema, pathText);
    if (ext) {
      if (op === 'remove') delete this.doc[ext.id];
      else this.withoutPath(op, { [ext.id]: value });
      return;
    }
    this.target(op, parsePatchPath(pathText), value, true);
  }

  /** Okta's shape: the value is an object whose keys are attributes (or, from Entra, paths). */
  private withoutPath(op: Op, value: unknown): void {
    if (op === 'remove') throw scimError.noTarget('A "remove" operation needs a path.');
    const obj = Array.isArray(value) && value.length === 1 ? value[0] : value;
    if (!isPlainObject(obj)) throw scimError.invalidValue(`"${op}" without a path needs an object value.`);
    for (const [key, v] of Object.entries(obj)) {
      const lower = key.toLowerCase();
      if (lower === 'schemas' || lower === 'meta' || lower === 'id') continue;
      const ext = findExtension(this.schema, key);
      if (ext) {
        if (!isPlainObject(v)) throw scimError.invalidValue(`${ext.id} must be an object.`);
        for (const [k2, v2] of Object.entries(v)) this.target(op, parsePatchPath(`${ext.id}:${k2}`), v2, false);
        continue;
      }
      this.target(op, parsePatchPath(key), v, false);
    }
  }

  /** `strict`: an explicit path to an unknown or read-only attribute is an error; a key of a no-path value is skipped. */
  private target(op: Op, pp: PatchPath, value: unknown, strict: boolean): void {
    const r = resolveAttribute(this.schema, pp.path);
    if (!r) {
      if (strict) throw scimError.invalidPath(`Invalid path: unknown attribute "${pp.path.text.slice(0, 200)}".`);
      return;
    }
    const { def } = r;
    let sub = r.sub;
    if (pp.subAfterFilter !== null) {
      sub = def.subAttributes?.find((a) => a.name.toLowerCase() === pp.subAfterFilter?.toLowerCase()) ?? null;
      if (!sub) throw scimError.invalidPath(`Invalid path: "${pp.subAfterFilter}" is not a sub-attribute of ${def.name}.`);
    }
    if (def.mutability === 'readOnly' || sub?.mutability === 'readOnly') {
      if (strict) throw scimError.mutability(`${def.name}${sub ? `.${sub.name}` : ''} is read-only.`);
      return;
    }
    // Passwords are not stored (SSO only): accepted and discarded.
    if (def.returned === 'never') return;
    if (r.container === null && def.name === this.delta) return this.memberDelta(op, pp, sub, value);

    let holder = this.doc;
    if (r.container !== null) {
      if (!isPlainObject(this.doc[r.container])) this.doc[r.container] = {};
      holder = this.doc[r.container] as Record<string, unknown>;
    }
    if (pp.filter !== null) {
      if (!def.multiValued) throw scimError.invalidPath(`Invalid path: ${def.name} is single-valued and takes no filter.`);
      return this.filtered(op, holder, def, pp.filter, sub, value);
    }
    if (sub !== null) return this.subAttribute(op, holder, def, sub, value);
    this.whole(op, holder, def, value);
  }

  private whole(op: Op, holder: Record<string, unknown>, def: AttributeDef, value: unknown): void {
    const current = holder[def.name];
    if (op === 'remove') {
      if (def.multiValued && value !== undefined && value !== null && Array.isArray(current)) {
        // Entra: remove the listed values only.
        const gone = (normalizeValue(def, value) as Element[] | undefined) ?? [];
        const same = (a: Element, b: Element) => (def.type === 'complex' ? a.value === b.value && (b.value !== undefined || JSON.stringify(a) === JSON.stringify(b)) : a === b);
        holder[def.name] = (current as Element[]).filter((e) => !gone.some((g) => same(e, g)));
      } else {
        delete holder[def.name];
      }
      return;
    }
    const nv = normalizeValue(def, value);
    if (nv === undefined) {
      if (op === 'replace') delete holder[def.name];
      return;
    }
    if (def.multiValued) {
      const items = nv as Element[];
      if (op === 'replace' || !Array.isArray(current)) {
        holder[def.name] = items;
        return;
      }
      const list = current as Element[];
      const touched: Element[] = [];
      for (const item of items) {
        const same = list.find((e) => JSON.stringify(e) === JSON.stringify(item));
        if (same) touched.push(same);
        else {
          list.push(item);
          touched.push(item);
        }
      }
      demoteOthers(list, touched);
    } else if (def.type === 'complex' && isPlainObject(current)) {
      // add and replace both merge into a complex attribute (RFC 7644 §3.5.2.1, §3.5.2.3).
      holder[def.name] = { ...current, ...(nv as Element) };
    } else {
      holder[def.name] = nv;
    }
  }

  private subAttribute(op: Op, holder: Record<string, unknown>, def: AttributeDef, sub: AttributeDef, value: unknown): void {
    const nv = op === 'remove' ? undefined : normalizeValue(sub, value, `${def.name}.${sub.name}`);
    const set = (e: Element) => {
      if (nv === undefined) delete e[sub.name];
      else e[sub.name] = nv;
    };
    if (def.multiValued) {
      const list = Array.isArray(holder[def.name]) ? (holder[def.name] as Element[]) : [];
      if (list.length === 0 && nv !== undefined) list.push({});
      list.forEach(set);
      holder[def.name] = list;
      return;
    }
    const obj: Element = isPlainObject(holder[def.name]) ? (holder[def.name] as Element) : {};
    set(obj);
    holder[def.name] = obj;
  }

  private filtered(op: Op, holder: Record<string, unknown>, def: AttributeDef, filter: FilterAst, sub: AttributeDef | null, value: unknown): void {
    const list = Array.isArray(holder[def.name]) ? (holder[def.name] as Element[]) : [];
    const matches = list.filter((e) => matchElement(def, filter, e));
    if (op === 'remove') {
      if (sub) for (const m of matches) delete m[sub.name];
      else holder[def.name] = list.filter((e) => !matches.includes(e));
      return;
    }
    const nv = sub ? normalizeValue(sub, value, `${def.name}.${sub.name}`) : normalizeValue({ ...def, multiValued: false }, value);
    if (matches.length === 0) {
      // Entra adds `emails[type eq "work"].value` to a user without a work email: create that element.
      const seed = seedFromFilter(def, filter);
      if (seed === null) throw scimError.noTarget(`No ${def.name} value matches the filter.`);
      const element = (normalizeValue({ ...def, multiValued: false }, seed) as Element | undefined) ?? {};
      if (sub) {
        if (nv !== undefined) element[sub.name] = nv;
      } else if (isPlainObject(nv)) Object.assign(element, nv);
      list.push(element);
      holder[def.name] = list;
      demoteOthers(list, [element]);
      return;
    }
    for (const m of matches) {
      if (sub) {
        if (nv === undefined) delete m[sub.name];
        else m[sub.name] = nv;
      } else if (isPlainObject(nv)) {
        if (op === 'replace') for (const k of Object.keys(m)) delete m[k];
        Object.assign(m, nv);
      }
    }
    holder[def.name] = list;
    demoteOthers(list, matches);
  }

  private memberDelta(op: Op, pp: PatchPath, sub: AttributeDef | null, value: unknown): void {
    if (sub !== null) throw scimError.invalidPath(`Invalid path: ${this.delta} sub-attributes cannot be patched; add or remove members.`);
    if (pp.filter !== null) {
      if (op !== 'remove') throw scimError.invalidPath(`Invalid path: a filter on ${this.delta} is only supported with "remove".`);
      const ids = idsFromFilter(pp.filter);
      if (ids) this.deltas.push({ op: 'remove', values: ids });
      else {
        const def = resolveAttribute(this.schema, pp.path)?.def;
        if (def) checkFilterPaths(def, pp.filter);
        this.deltas.push({ op: 'removeWhere', filter: pp.filter });
      }
      return;
    }
    if (op === 'remove' && (value === undefined || value === null)) this.deltas.push({ op: 'replace', values: [] });
    else this.deltas.push({ op, values: memberValues(value) });
  }
}

/**
 * Applies a PatchOp request body to a copy of `doc`. Throws ScimError 400 (`invalidSyntax`,
 * `invalidPath`, `noTarget`, `mutability`, `invalidValue`). The caller validates the result as a
 * whole (required attributes, types) with `normalizeResource`.
 */
export function applyPatch(schema: ResourceSchema, doc: Record<string, unknown>, body: unknown, options: { delta?: string } = {}): PatchResult {
  if (!isPlainObject(body)) throw scimError.invalidSyntax('The PATCH body must be a JSON object.');
  const schemas = field(body, 'schemas');
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.includes(PATCH_OP_SCHEMA))) {
    throw scimError.invalidSyntax(`schemas must contain "${PATCH_OP_SCHEMA}".`);
  }
  const ops = field(body, 'Operations');
  if (!Array.isArray(ops)) throw scimError.invalidSyntax('"Operations" must be an array.');
  if (ops.length > MAX_PATCH_OPERATIONS) throw scimError.tooMany(`At most ${MAX_PATCH_OPERATIONS} operations per PATCH.`);
  const run = new PatchRun(schema, structuredClone(doc), options.delta ?? null);
  ops.forEach((raw, i) => {
    if (!isPlainObject(raw)) throw scimError.invalidSyntax(`Operations[${i}] must be an object.`);
    const opName = field(raw, 'op');
    const op = typeof opName === 'string' ? opName.toLowerCase() : '';
    if (op !== 'add' && op !== 'remove' && op !== 'replace') throw scimError.invalidSyntax(`Operations[${i}].op must be "add", "remove" or "replace".`);
    const path = field(raw, 'path');
    if (path !== undefined && path !== null && typeof path !== 'string') throw scimError.invalidPath(`Operations[${i}].path must be a string.`);
    const value = field(raw, 'value');
    if (op !== 'remove' && value === undefined) throw scimError.invalidSyntax(`Operations[${i}] ("${op}") needs a value.`);
    run.run(op, path === undefined || path === null || path.trim() === '' ? null : path.trim(), value);
  });
  return { doc: run.doc, deltas: run.deltas };
}
