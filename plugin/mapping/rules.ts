/**
 * `rules` (Pangolin's auto provisioning): for each organization, its own policy
 * (`rules.organizations[orgId]`) or else `rules.default`. The `organization` expression, with
 * `{{orgId}}` replaced by the org id, selects the org when it returns `true` or the org id; the
 * `roles` block names roles that must already exist there. An org with no valid role is not joined.
 *
 * Expressions are compiled at start, once per org when they mention `{{orgId}}` (bench/mapping.ts:
 * 0.2-0.7 s for 10,000 orgs on a 2-core VM; evaluation never parses). An expression without `{{orgId}}` gives the
 * same result for every org, so it runs once per login; a `{{orgId}}` selection in the common forms
 * (`contains(groups, '{{orgId}}')`, `||`, `&&`, `==`...) evaluates its org-independent part once
 * per login too (parametric.ts).
 */
import type { JSONObject, JSONValue } from '@jmespath-community/jmespath';
import type { RulePolicy } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import { checkRoles, keyPath, newMapperTrace, newOrgTrace } from './catalog.ts';
import { compileTemplate, jsonType, type Evaluation, type ExpressionTemplate } from './expression.ts';
import {
  compileRoles,
  defaultRolePlan,
  isOrgIndependent,
  resolveRoleNames,
  type RoleNames,
  type RolesPlan,
  type RoleScope,
} from './rule-roles.ts';
import type { Grant, Mapper, MapperResult, MapperSetup, OrgTrace } from './types.ts';

interface PolicyPlan {
  kind: 'default' | 'organization';
  path: string;
  /** null: the org is always selected (a per-org policy without `organization`). */
  organization: ExpressionTemplate | null;
  roles: RolesPlan;
  /** Roles give the same names for every org: resolve once per login. */
  rolesOrgIndependent: boolean;
}

export interface RulesPlan {
  perOrganization: ReadonlyMap<string, PolicyPlan>;
  fallback: PolicyPlan | null;
}

function compilePolicy(
  setup: MapperSetup,
  policy: RulePolicy,
  kind: PolicyPlan['kind'],
  path: string,
  scope: RoleScope,
  inheritedRoles: RolesPlan | null,
): PolicyPlan {
  let organization: ExpressionTemplate | null = null;
  if (policy.organization !== undefined) {
    organization = compileTemplate(policy.organization, `${path}.organization`, scope.organizations);
  } else if (kind === 'default' && setup.onlyOrganization === null) {
    throw new ConfigError(
      `${path}.organization`,
      'required: without it every user would join every organization (use `static` for that)',
    );
  }
  let roles: RolesPlan;
  if (policy.roles !== undefined) roles = compileRoles(policy.roles, `${path}.roles`, scope);
  else if (inheritedRoles !== null) roles = inheritedRoles;
  else if (setup.provisioning.defaultRole !== undefined) roles = defaultRolePlan(setup.provisioning.defaultRole, `${setup.path}.defaultRole`, scope);
  else throw new ConfigError(`${path}.roles`, `required when neither rules.default.roles nor ${setup.path}.defaultRole is set`);
  return { kind, path, organization, roles, rolesOrgIndependent: isOrgIndependent(roles) };
}

/** Per-login memo: organization expressions bound to this login's data, role names that do not depend on the org. */
interface RunCache {
  data: JSONObject;
  /** The default policy's selection, bound up front: it runs for nearly every org. */
  fallbackTemplate: ExpressionTemplate | null;
  fallbackBound: ((orgId: string) => Evaluation) | undefined;
  selections: Map<ExpressionTemplate, (orgId: string) => Evaluation>;
  roles: Map<RolesPlan, RoleNames>;
}

type Selection = { member: boolean; value: JSONValue } | { error: string };
const SELECTED: Selection = Object.freeze({ member: true, value: true });
const NOT_SELECTED: Selection = Object.freeze({ member: false, value: false });

/** Runs the organization expression; the reason text is built only for orgs that get listed. */
function select(policy: PolicyPlan, orgId: string, cache: RunCache): Selection {
  const template = policy.organization;
  if (template === null) return SELECTED;
  let bound = template === cache.fallbackTemplate ? cache.fallbackBound : cache.selections.get(template);
  if (bound === undefined) {
    bound = template.bind(cache.data);
    cache.selections.set(template, bound);
  }
  const result = bound(orgId);
  if ('error' in result) return result;
  const value = result.value;
  if (value === true) return SELECTED;
  if (value === false) return NOT_SELECTED;
  if (value === orgId) return { member: true, value };
  if (value === null || typeof value === 'string') return { member: false, value };
  return { error: `${template.path}: returned ${jsonType(value)}, expected true or the organization id` };
}

function selectionDetail(policy: PolicyPlan, value: JSONValue): string {
  if (policy.organization === null) return 'the organization policy has no organization expression: always';
  return `organization expression returned ${JSON.stringify(value)}`;
}

function roleNames(policy: PolicyPlan, orgId: string, data: JSONObject, cache: RunCache): RoleNames {
  if (!policy.rolesOrgIndependent) return resolveRoleNames(policy.roles, orgId, data);
  let names = cache.roles.get(policy.roles);
  if (names === undefined) {
    names = resolveRoleNames(policy.roles, orgId, data);
    cache.roles.set(policy.roles, names);
  }
  return names;
}

export const rulesMapper: Mapper<RulesPlan> = {
  name: 'rules',

  validate(setup) {
    const rules = setup.provisioning.rules;
    if (rules === undefined) return null;
    const base = `${setup.path}.rules`;
    const defaultScope: RoleScope = { catalog: setup.catalog, organization: null, organizations: setup.organizations };
    const fallback = rules.default === undefined ? null : compilePolicy(setup, rules.default, 'default', `${base}.default`, defaultScope, null);
    const perOrganization = new Map<string, PolicyPlan>();
    for (const [orgId, policy] of Object.entries(rules.organizations)) {
      const path = keyPath(`${base}.organizations`, orgId);
      if (setup.catalog.get(orgId) === undefined) throw new ConfigError(path, `unknown organization "${orgId}"`);
      if (setup.onlyOrganization !== null && orgId !== setup.onlyOrganization) {
        throw new ConfigError(path, `the provider is organization-only ("${setup.onlyOrganization}") and cannot map into "${orgId}"`);
      }
      const scope: RoleScope = { catalog: setup.catalog, organization: orgId, organizations: [orgId] };
      perOrganization.set(orgId, compilePolicy(setup, policy, 'organization', path, scope, fallback?.roles ?? null));
    }
    if (fallback === null && perOrganization.size === 0) return null;
    return { perOrganization, fallback };
  },

  evaluate(plan, { input, data, organizations, verbose, catalog }): MapperResult {
    const trace = newMapperTrace('rules', input.source);
    const grants: Grant[] = [];
    const errors: MapperResult['errors'] = [];
    const fallbackTemplate = plan.fallback?.organization ?? null;
    const cache: RunCache = {
      data,
      fallbackTemplate,
      fallbackBound: fallbackTemplate?.bind(data),
      selections: new Map(),
      roles: new Map(),
    };
    const list = (entry: OrgTrace): void => void trace.organizations.push(entry);
    for (const orgId of organizations) {
      const policy = plan.perOrganization.get(orgId) ?? plan.fallback;
      if (policy === null) {
        if (verbose) list(newOrgTrace(orgId, 'no policy for this organization and no default policy'));
        continue;
      }
      trace.summary.evaluated++;
      const listed = verbose || policy.kind === 'organization';
      const selection = select(policy, orgId, cache);
      if ('error' in selection) {
        errors.push({ organization: orgId, message: selection.error });
        list(newOrgTrace(orgId, 'skipped: the organization expression failed', false, { policy: policy.kind, error: selection.error }));
        continue;
      }
      if (!selection.member) {
        if (listed) list(newOrgTrace(orgId, `not selected: ${selectionDetail(policy, selection.value)}`, false, { policy: policy.kind }));
        else trace.summary.notListed++;
        continue;
      }
      const names = roleNames(policy, orgId, data, cache);
      if ('error' in names) {
        errors.push({ organization: orgId, message: names.error });
        list(newOrgTrace(orgId, 'skipped: the roles expression failed', false, { policy: policy.kind, error: names.error }));
        continue;
      }
      const roles = checkRoles(catalog, orgId, names.names);
      const orgTrace = newOrgTrace(orgId, `${selectionDetail(policy, selection.value)}; ${names.detail}`, true, { policy: policy.kind });
      orgTrace.rolesMissing = roles.missing;
      list(orgTrace);
      if (roles.found.length === 0) {
        orgTrace.matched = false;
        orgTrace.reason += names.names.length === 0 ? '; no role named: not joined' : '; no named role exists in the organization: not joined';
        continue;
      }
      grants.push({ organization: orgId, roles: roles.found, fallbackRole: null, groups: [], source: input.source, trace: orgTrace });
    }
    trace.summary.matched = grants.length;
    if (input.claims.groupsOverage) trace.notes.push('the IdP did not send the groups (overage): expressions saw an empty `groups`');
    return { grants, instanceAdmin: false, trace, errors };
  },
};
