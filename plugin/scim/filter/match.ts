/**
 * Evaluates a value filter in memory against the elements of a multi-valued attribute (PATCH
 * paths such as `emails[type eq "work"]`, member removal by filter). Same semantics as the SQL the
 * store builds: case-insensitive unless the sub-attribute is case-exact, absent never equals.
 */
import { scimError } from '../errors.ts';
import { findAttribute, type AttributeDef } from '../schema/types.ts';
import type { FilterAst, Literal } from './parse.ts';

function subOf(parent: AttributeDef, name: string, uri: string | null, sub: string | null): AttributeDef {
  const def = uri === null && sub === null ? findAttribute(parent.subAttributes, name) : undefined;
  if (!def) throw scimError.invalidPath(`Invalid path: "${name}" is not a sub-attribute of ${parent.name}.`);
  return def;
}

function comparable(def: AttributeDef, v: unknown): string | number | boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (def.type === 'boolean') {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    return undefined;
  }
  if (def.type === 'dateTime') {
    const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (def.type === 'integer' || def.type === 'decimal') return typeof v === 'number' ? v : undefined;
  const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  return s === undefined ? undefined : def.caseExact ? s : s.toLowerCase();
}

function compare(op: string, actual: string | number | boolean, expected: string | number | boolean): boolean {
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'co':
      return typeof actual === 'string' && actual.includes(String(expected));
    case 'sw':
      return typeof actual === 'string' && actual.startsWith(String(expected));
    case 'ew':
      return typeof actual === 'string' && actual.endsWith(String(expected));
    case 'gt':
      return typeof actual !== 'boolean' && actual > expected;
    case 'ge':
      return typeof actual !== 'boolean' && actual >= expected;
    case 'lt':
      return typeof actual !== 'boolean' && actual < expected;
    case 'le':
      return typeof actual !== 'boolean' && actual <= expected;
    default:
      return false;
  }
}

/** True when `element` (one value of `parent`) satisfies the filter. */
export function matchElement(parent: AttributeDef, ast: FilterAst, element: Record<string, unknown>): boolean {
  switch (ast.type) {
    case 'logical':
      return ast.op === 'and' ? ast.terms.every((t) => matchElement(parent, t, element)) : ast.terms.some((t) => matchElement(parent, t, element));
    case 'not':
      return !matchElement(parent, ast.filter, element);
    case 'valuePath':
      throw scimError.invalidPath('Invalid path: nested value filters are not allowed.');
    case 'present': {
      const def = subOf(parent, ast.path.name, ast.path.uri, ast.path.sub);
      const v = element[def.name];
      return v !== undefined && v !== null && v !== '';
    }
    case 'compare': {
      const def = subOf(parent, ast.path.name, ast.path.uri, ast.path.sub);
      const actual = comparable(def, element[def.name]);
      const value: Literal = ast.value;
      if (value === null) return ast.op === 'eq' ? actual === undefined : ast.op === 'ne' ? actual !== undefined : false;
      const expected = comparable(def, value);
      if (expected === undefined) throw scimError.invalidPath(`Invalid path: ${JSON.stringify(value)} does not compare with ${parent.name}.${def.name}.`);
      if (actual === undefined) return ast.op === 'ne';
      return compare(ast.op, actual, expected);
    }
  }
}

/**
 * For `emails[type eq "work"].value` on a user without a work email: the element the filter
 * describes (`{ type: "work" }`), when the filter is only `eq` terms joined by `and`; else null.
 */
export function seedFromFilter(parent: AttributeDef, ast: FilterAst): Record<string, unknown> | null {
  if (ast.type === 'compare' && ast.op === 'eq' && ast.value !== null) {
    const def = subOf(parent, ast.path.name, ast.path.uri, ast.path.sub);
    return { [def.name]: ast.value };
  }
  if (ast.type === 'logical' && ast.op === 'and') {
    const out: Record<string, unknown> = {};
    for (const t of ast.terms) {
      const part = seedFromFilter(parent, t);
      if (part === null) return null;
      Object.assign(out, part);
    }
    return out;
  }
  return null;
}

/** Checks every path of a value filter names a sub-attribute of `parent` (400 `invalidPath` otherwise). */
export function checkFilterPaths(parent: AttributeDef, ast: FilterAst): void {
  if (ast.type === 'logical') ast.terms.forEach((t) => checkFilterPaths(parent, t));
  else if (ast.type === 'not') checkFilterPaths(parent, ast.filter);
  else if (ast.type === 'valuePath') throw scimError.invalidPath('Invalid path: nested value filters are not allowed.');
  else subOf(parent, ast.path.name, ast.path.uri, ast.path.sub);
}
