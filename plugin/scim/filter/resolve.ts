/**
 * Turns a parsed filter into storage terms through the registry: each attribute path must name a
 * filterable attribute (one with `storage`), values are type-checked against the attribute, and
 * multi-valued attributes become "some row of the relation matches". Anything else is a 400
 * `invalidFilter`. `sortBy` resolves the same way.
 */
import { scimError } from '../errors.ts';
import type { ScimFilterNode, ScimSort } from '../ports.ts';
import { resolveAttribute, type ResourceSchema } from '../schema/resource.ts';
import { findAttribute, type AttributeDef } from '../schema/types.ts';
import { splitAttrPath, type AttrPath, type CompareOp, type FilterAst, type Literal } from './parse.ts';

type ValueType = 'string' | 'number' | 'boolean' | 'dateTime';

function valueType(def: AttributeDef, path: string): ValueType {
  switch (def.type) {
    case 'string':
    case 'reference':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'integer':
    case 'decimal':
      return 'number';
    case 'dateTime':
      return 'dateTime';
    default:
      throw scimError.invalidFilter(`Invalid filter: "${path}" cannot be compared.`);
  }
}

function typedValue(type: ValueType, value: Exclude<Literal, null>, path: string): string | number | boolean {
  const bad = () => scimError.invalidFilter(`Invalid filter: "${path}" is ${type === 'dateTime' ? 'a dateTime' : `a ${type}`}; ${JSON.stringify(value)} does not compare with it.`);
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return String(value);
      throw bad();
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw bad();
    case 'number':
      if (typeof value === 'number') return value;
      throw bad();
    case 'dateTime': {
      const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (Number.isNaN(ms)) throw bad();
      return ms;
    }
  }
}

/** A comparison on one stored column. */
function leaf(def: AttributeDef, op: CompareOp | 'pr', value: Literal, path: string): ScimFilterNode {
  const column = def.storage?.column;
  if (column === undefined) throw scimError.invalidFilter(`Invalid filter: "${path}" is not filterable.`);
  const type = valueType(def, path);
  if (op === 'pr') return { kind: 'present', column, type };
  if (value === null) {
    if (op === 'eq') return { kind: 'not', term: { kind: 'present', column, type } };
    if (op === 'ne') return { kind: 'present', column, type };
    throw scimError.invalidFilter(`Invalid filter: null only compares with eq and ne ("${path}").`);
  }
  if ((op === 'co' || op === 'sw' || op === 'ew') && type !== 'string') {
    throw scimError.invalidFilter(`Invalid filter: "${op}" needs a string attribute; "${path}" is not one.`);
  }
  if (type === 'boolean' && op !== 'eq' && op !== 'ne') {
    throw scimError.invalidFilter(`Invalid filter: "${path}" is a boolean; only eq, ne and pr apply.`);
  }
  const compare: ScimFilterNode = {
    kind: 'compare',
    column,
    op: op === 'ne' ? 'eq' : op,
    value: typedValue(type, value, path),
    type,
    caseExact: def.caseExact,
  };
  return op === 'ne' ? { kind: 'not', term: compare } : compare;
}

/** Within `emails[...]` or on `emails.value`: paths are sub-attributes of `parent`. */
function resolveWithin(parent: AttributeDef, ast: FilterAst): ScimFilterNode {
  switch (ast.type) {
    case 'logical':
      return { kind: ast.op, terms: ast.terms.map((t) => resolveWithin(parent, t)) };
    case 'not':
      return { kind: 'not', term: resolveWithin(parent, ast.filter) };
    case 'valuePath':
      throw scimError.invalidFilter('Invalid filter: nested value filters are not allowed.');
    default: {
      const sub = ast.path.uri === null && ast.path.sub === null ? findAttribute(parent.subAttributes, ast.path.name) : undefined;
      if (!sub) throw scimError.invalidFilter(`Invalid filter: "${ast.path.text}" is not a sub-attribute of ${parent.name}.`);
      return leaf(sub, ast.type === 'present' ? 'pr' : ast.op, ast.type === 'present' ? null : ast.value, `${parent.name}.${sub.name}`);
    }
  }
}

function resolvePath(schema: ResourceSchema, path: AttrPath) {
  const r = resolveAttribute(schema, path);
  if (!r) throw scimError.invalidFilter(`Invalid filter: unknown attribute "${path.text.slice(0, 200)}".`);
  return r;
}

function resolveNode(schema: ResourceSchema, ast: FilterAst): ScimFilterNode {
  switch (ast.type) {
    case 'logical':
      return { kind: ast.op, terms: ast.terms.map((t) => resolveNode(schema, t)) };
    case 'not':
      return { kind: 'not', term: resolveNode(schema, ast.filter) };
    case 'valuePath': {
      const { def } = resolvePath(schema, ast.path);
      if (!def.multiValued || def.storage?.relation === undefined) {
        throw scimError.invalidFilter(`Invalid filter: "${ast.path.text}" is not a filterable multi-valued attribute.`);
      }
      return { kind: 'some', relation: def.storage.relation, where: resolveWithin(def, ast.filter) };
    }
    default: {
      const { def, sub } = resolvePath(schema, ast.path);
      const op = ast.type === 'present' ? 'pr' : ast.op;
      const value = ast.type === 'present' ? null : ast.value;
      if (def.multiValued) {
        const relation = def.storage?.relation;
        if (relation === undefined) throw scimError.invalidFilter(`Invalid filter: "${ast.path.text}" is not filterable.`);
        if (op === 'pr' && sub === null) return { kind: 'some', relation, where: null };
        // `emails co "x"` means `emails.value co "x"` (RFC 7644 §3.4.2.2).
        const target = sub ?? findAttribute(def.subAttributes, 'value');
        if (!target) throw scimError.invalidFilter(`Invalid filter: "${ast.path.text}" needs a sub-attribute.`);
        const where = `${def.name}.${target.name}`;
        // Over a multi-valued attribute: some value matches (ne: some value differs; eq null: none present).
        if (op === 'eq' && value === null) return { kind: 'not', term: { kind: 'some', relation, where: leaf(target, 'pr', null, where) } };
        if (op === 'ne' && value !== null) return { kind: 'some', relation, where: { kind: 'not', term: leaf(target, 'eq', value, where) } };
        return { kind: 'some', relation, where: leaf(target, op, value, where) };
      }
      if (def.type === 'complex' && sub === null) {
        throw scimError.invalidFilter(`Invalid filter: "${ast.path.text}" is complex; filter on a sub-attribute (e.g. ${def.name}.${def.subAttributes?.[0]?.name ?? 'value'}).`);
      }
      return leaf(sub ?? def, op, value, ast.path.text);
    }
  }
}

/** A parsed filter as storage terms; throws 400 `invalidFilter`. */
export function resolveFilter(schema: ResourceSchema, ast: FilterAst): ScimFilterNode {
  return resolveNode(schema, ast);
}

/** `sortBy` as a storage column; throws 400 `invalidValue` for an attribute that cannot be sorted on. */
export function resolveSort(schema: ResourceSchema, sortBy: string, descending: boolean): ScimSort {
  const path = splitAttrPath(sortBy.trim());
  const r = path ? resolveAttribute(schema, path) : null;
  const target = r ? (r.sub ?? r.def) : null;
  const column = r?.def.multiValued ? r.def.storage?.sort : target?.storage?.derived ? undefined : target?.storage?.column;
  if (!r || !target || column === undefined || (target.type === 'complex' && !r.def.multiValued)) {
    throw scimError.invalidValue(`sortBy: "${sortBy.slice(0, 200)}" is not an attribute this server sorts on.`);
  }
  return { column, caseExact: r.def.multiValued ? false : target.caseExact, descending };
}
