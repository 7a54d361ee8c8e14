/**
 * The three ways a `rules` policy names roles (Pangolin): `fixed`, the mapping builder
 * (`claim` + `map`: an IdP value such as an Azure group GUID -> role names) and a raw
 * `expression` returning a role name or a list of them. Compiled and checked at start.
 */
import type { JSONObject, JSONValue } from '@jmespath-community/jmespath';
import type { RoleMapping } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import { keyPath } from './catalog.ts';
import { compileTemplate, evaluateExpression, jsonType, type CompiledExpression, type Evaluation, type ExpressionTemplate } from './expression.ts';
import type { OrgCatalog } from './types.ts';

export type RolesPlan =
  | { kind: 'fixed'; path: string; roles: string[] }
  | { kind: 'map'; path: string; claim: ExpressionTemplate; map: ReadonlyMap<string, readonly string[]> }
  | { kind: 'expression'; path: string; expression: ExpressionTemplate };

/** Role names a plan produced for an org (existence not yet checked), or why it could not. */
export type RoleNames = { names: string[]; detail: string } | { error: string };

/** Where the role names of a policy are checked: one org (per-org policy) or any org in scope (default). */
export interface RoleScope {
  catalog: OrgCatalog;
  /** The org of a per-org policy; null for the default policy. */
  organization: string | null;
  /** Orgs to compile `{{orgId}}` expressions for. */
  organizations: readonly string[];
}

function checkRoleExists(scope: RoleScope, role: string, path: string): void {
  if (scope.organization !== null) {
    if (scope.catalog.get(scope.organization)?.roles.has(role) !== true) {
      throw new ConfigError(path, `role "${role}" does not exist in organization "${scope.organization}"`);
    }
    return;
  }
  if (!scope.organizations.some((orgId) => scope.catalog.get(orgId)?.roles.has(role) === true)) {
    throw new ConfigError(path, `role "${role}" does not exist in any organization`);
  }
}

/** Compiles and checks a `roles` block; `path` is the key path of that block. */
export function compileRoles(roles: RoleMapping, path: string, scope: RoleScope): RolesPlan {
  if (roles.fixed !== undefined) {
    if (roles.fixed.length === 0) throw new ConfigError(`${path}.fixed`, 'must name at least one role');
    roles.fixed.forEach((role, i) => checkRoleExists(scope, role, `${path}.fixed[${i}]`));
    return { kind: 'fixed', path: `${path}.fixed`, roles: [...new Set(roles.fixed)] };
  }
  if (roles.claim !== undefined && roles.map !== undefined) {
    const entries = Object.entries(roles.map);
    if (entries.length === 0) throw new ConfigError(`${path}.map`, 'must map at least one value');
    const map = new Map<string, readonly string[]>();
    for (const [value, target] of entries) {
      const at = keyPath(`${path}.map`, value);
      const names = typeof target === 'string' ? [target] : target;
      if (names.length === 0) throw new ConfigError(at, 'must name at least one role');
      names.forEach((role, i) => checkRoleExists(scope, role, typeof target === 'string' ? at : `${at}[${i}]`));
      map.set(value, names);
    }
    const claim = compileTemplate(roles.claim, `${path}.claim`, scope.organizations);
    return { kind: 'map', path, claim, map };
  }
  if (roles.expression !== undefined) {
    return { kind: 'expression', path: `${path}.expression`, expression: compileTemplate(roles.expression, `${path}.expression`, scope.organizations) };
  }
  // The schema guarantees one of the three; reaching here is a bug in the caller.
  throw new TypeError(`${path}: no role mapping`);
}

/** A roles block made of `defaultRole` alone (a policy that names no roles). */
export function defaultRolePlan(role: string, path: string, scope: RoleScope): RolesPlan {
  checkRoleExists(scope, role, path);
  return { kind: 'fixed', path, roles: [role] };
}

/** True when the plan gives the same names for every org, so one evaluation per login serves all. */
export function isOrgIndependent(plan: RolesPlan): boolean {
  if (plan.kind === 'fixed') return true;
  if (plan.kind === 'map') return !plan.claim.perOrganization;
  return !plan.expression.perOrganization;
}

function evaluate(expr: CompiledExpression | undefined, data: JSONObject): Evaluation {
  return expr === undefined ? { error: 'expression not compiled for this organization' } : evaluateExpression(expr, data);
}

/** Runs a roles plan for one org. Never throws: a failing or mistyped expression becomes `error`. */
export function resolveRoleNames(plan: RolesPlan, orgId: string, data: JSONObject): RoleNames {
  if (plan.kind === 'fixed') return { names: plan.roles, detail: 'fixed roles' };
  if (plan.kind === 'expression') {
    const result = evaluate(plan.expression.forOrganization(orgId), data);
    if ('error' in result) return result;
    const names = asStrings(result.value, false);
    if (names === null) {
      return { error: `${plan.path}: returned ${jsonType(result.value)}, expected a role name or a list of role names` };
    }
    return { names, detail: `role expression returned ${JSON.stringify(result.value)}` };
  }
  const result = evaluate(plan.claim.forOrganization(orgId), data);
  if ('error' in result) return result;
  const values = asStrings(result.value, true);
  if (values === null) {
    return { error: `${plan.claim.path}: returned ${jsonType(result.value)}, expected a string or a list of strings` };
  }
  const names: string[] = [];
  let mapped = 0;
  for (const value of values) {
    const roles = plan.map.get(value);
    if (roles === undefined) continue;
    mapped++;
    names.push(...roles);
  }
  return { names, detail: `claim "${plan.claim.template}" gave ${values.length} value(s), ${mapped} of them in the map` };
}

/** null/string/array of strings (and numbers, for claim values) -> strings; anything else -> null. */
function asStrings(value: JSONValue, allowNumbers: boolean): string[] | null {
  if (value === null) return [];
  if (typeof value === 'string') return [value];
  if (allowNumbers && typeof value === 'number') return [String(value)];
  if (!Array.isArray(value)) return null;
  const out: string[] = [];
  for (const item of value) {
    if (typeof item === 'string') out.push(item);
    else if (allowNumbers && typeof item === 'number') out.push(String(item));
    else return null;
  }
  return out;
}
