/**
 * `groupsPattern` (Chainloop's dynamic provisioning): each group claim is read through a pattern
 * such as `chainloop_{ORG_NAME}_{GROUP_NAME}`. Reserved group names are roles (`org-admin` ->
 * `admin`...), `admin` in the org `instance` makes an instance admin, other names are groups.
 *
 * The literal parts of the pattern are compared as plain strings (no regex), so `.`, `#`, `+`...
 * mean themselves. When an org or group name contains the separator (org `acme_corp` with
 * `x_{ORG_NAME}_{GROUP_NAME}`), every split is considered and the catalog decides: an
 * interpretation whose org exists wins, then one whose role/group exists there, then the longest
 * org name. The alternatives are noted in the trace.
 */
import { ConfigError } from '../errors.ts';
import { checkGroups, checkRoles, newMapperTrace, newOrgTrace } from './catalog.ts';
import type { Grant, Mapper, MapperResult, MapperRun, OrgCatalog, OrgTrace } from './types.ts';

const ORG = '{ORG_NAME}';
const GROUP = '{GROUP_NAME}';

/** Reserved group names that are organization roles. */
export const RESERVED_ROLE_GROUPS: ReadonlyMap<string, string> = new Map([
  ['org-owner', 'owner'],
  ['org-admin', 'admin'],
  ['org-viewer', 'viewer'],
  ['org-member', 'member'],
  ['org-contributor', 'contributor'],
]);
/** `admin` in this pseudo-organization makes an instance administrator. */
export const INSTANCE_ORG = 'instance';
const INSTANCE_ADMIN_GROUP = 'admin';

export interface GroupsPatternPlan {
  pattern: string;
  prefix: string;
  middle: string;
  suffix: string;
  orgFirst: boolean;
  defaultRole: string | null;
  requireExistingGroups: boolean;
}

interface Reading {
  organization: string;
  name: string;
  /** 0: org unknown, 1: org exists but the role/group does not, 2: fully valid. */
  score: number;
}

function countOf(text: string, part: string): number {
  return text.split(part).length - 1;
}

/** Every way a claim fits the pattern, as (org, name) pairs with both parts non-empty. */
export function readClaim(plan: GroupsPatternPlan, claim: string): { organization: string; name: string }[] {
  const { prefix, middle, suffix } = plan;
  if (claim.length < prefix.length + middle.length + suffix.length + 2) return [];
  if (!claim.startsWith(prefix) || !claim.endsWith(suffix)) return [];
  const inner = claim.slice(prefix.length, claim.length - suffix.length);
  const out: { organization: string; name: string }[] = [];
  for (let i = 1; i + middle.length < inner.length; i++) {
    if (!inner.startsWith(middle, i)) continue;
    const first = inner.slice(0, i);
    const second = inner.slice(i + middle.length);
    out.push(plan.orgFirst ? { organization: first, name: second } : { organization: second, name: first });
  }
  return out;
}

function score(plan: GroupsPatternPlan, catalog: OrgCatalog, organization: string, name: string): number {
  if (organization === INSTANCE_ORG && name === INSTANCE_ADMIN_GROUP) return 2;
  const org = catalog.get(organization);
  if (org === undefined) return 0;
  const role = RESERVED_ROLE_GROUPS.get(name);
  if (role !== undefined) return org.roles.has(role) ? 2 : 1;
  return !plan.requireExistingGroups || org.groups.has(name) ? 2 : 1;
}

function bestReading(readings: Reading[]): Reading | undefined {
  let best: Reading | undefined;
  for (const r of readings) {
    if (best === undefined || r.score > best.score || (r.score === best.score && r.organization.length > best.organization.length)) best = r;
  }
  return best;
}

interface OrgAccumulator {
  roleNames: string[];
  groupNames: string[];
  claims: string[];
}

export const groupsPatternMapper: Mapper<GroupsPatternPlan> = {
  name: 'groupsPattern',

  validate({ provisioning, path }) {
    const pattern = provisioning.groupsPattern;
    if (pattern === undefined) return null;
    const at = `${path}.groupsPattern`;
    const orgs = countOf(pattern, ORG);
    const groups = countOf(pattern, GROUP);
    if (orgs === 0 || groups === 0) throw new ConfigError(at, `must contain ${ORG} and ${GROUP}`);
    if (orgs > 1 || groups > 1) throw new ConfigError(at, `must contain ${ORG} and ${GROUP} exactly once each`);
    const orgAt = pattern.indexOf(ORG);
    const groupAt = pattern.indexOf(GROUP);
    const orgFirst = orgAt < groupAt;
    const [firstAt, firstLen, secondAt, secondLen] = orgFirst
      ? [orgAt, ORG.length, groupAt, GROUP.length]
      : [groupAt, GROUP.length, orgAt, ORG.length];
    return {
      pattern,
      prefix: pattern.slice(0, firstAt),
      middle: pattern.slice(firstAt + firstLen, secondAt),
      suffix: pattern.slice(secondAt + secondLen),
      orgFirst,
      defaultRole: provisioning.defaultRole ?? null,
      requireExistingGroups: provisioning.requireExistingGroups,
    };
  },

  evaluate(plan, run): MapperResult {
    const { input, catalog, verbose } = run;
    const trace = newMapperTrace('groupsPattern', input.source);
    let instanceAdmin = false;
    const byOrg = new Map<string, OrgAccumulator>();
    let notMatching = 0;
    for (const claim of input.claims.groups) {
      trace.summary.evaluated++;
      const readings = readClaim(plan, claim).map((r): Reading => ({ organization: r.organization, name: r.name, score: score(plan, catalog, r.organization, r.name) }));
      const best = bestReading(readings);
      if (best === undefined) {
        notMatching++;
        if (verbose) trace.ignored.push({ value: claim, reason: `does not match the pattern "${plan.pattern}"` });
        continue;
      }
      if (best.score === 0) {
        const orgs = [...new Set(readings.map((r) => `"${r.organization}"`))].join(' or ');
        trace.ignored.push({ value: claim, reason: `unknown organization ${orgs}` });
        continue;
      }
      trace.summary.matched++;
      const others = readings.filter((r) => r !== best && r.score > 0);
      if (others.length > 0) {
        const alt = others.map((r) => `org "${r.organization}" name "${r.name}"`).join(', ');
        trace.notes.push(`claim "${claim}" is ambiguous: read as org "${best.organization}" name "${best.name}" (also possible: ${alt})`);
      }
      if (best.organization === INSTANCE_ORG && best.name === INSTANCE_ADMIN_GROUP) {
        instanceAdmin = true;
        trace.notes.push(`claim "${claim}" makes the user an instance admin`);
        continue;
      }
      const acc = byOrg.get(best.organization) ?? { roleNames: [], groupNames: [], claims: [] };
      byOrg.set(best.organization, acc);
      acc.claims.push(claim);
      const role = RESERVED_ROLE_GROUPS.get(best.name);
      if (role !== undefined) acc.roleNames.push(role);
      else acc.groupNames.push(best.name);
    }
    trace.instanceAdmin = instanceAdmin;
    if (!verbose && notMatching > 0) {
      trace.summary.notListed = notMatching;
      trace.notes.push(`${notMatching} group claim(s) do not match the pattern "${plan.pattern}"`);
    }
    if (input.claims.groupsOverage) trace.notes.push('the IdP did not send the groups (overage): nothing can be read from them');
    const grants = [...byOrg].map(([orgId, acc]) => grantFor(plan, run, orgId, acc, trace.organizations));
    return { grants, instanceAdmin, trace, errors: [] };
  },
};

function grantFor(plan: GroupsPatternPlan, run: MapperRun, orgId: string, acc: OrgAccumulator, out: OrgTrace[]): Grant {
  const roles = checkRoles(run.catalog, orgId, acc.roleNames);
  const groups = checkGroups(run.catalog, orgId, acc.groupNames, plan.requireExistingGroups);
  const orgTrace = newOrgTrace(orgId, 'group claims match the pattern', true);
  orgTrace.claims = acc.claims;
  orgTrace.rolesMissing = roles.missing;
  orgTrace.groupsMissing = groups.missing;
  out.push(orgTrace);
  let fallbackRole: string | null = null;
  if (acc.roleNames.length === 0) {
    // Only groups were mapped: the user joins with defaultRole, if the org has that role.
    if (plan.defaultRole === null) {
      orgTrace.fallbackRole = { role: null, granted: false, reason: 'no role claim and defaultRole is not set' };
    } else if (run.catalog.get(orgId)?.roles.has(plan.defaultRole) === true) {
      fallbackRole = plan.defaultRole;
    } else {
      orgTrace.fallbackRole = { role: plan.defaultRole, granted: false, reason: 'defaultRole does not exist in this organization' };
    }
  }
  return { organization: orgId, roles: roles.found, fallbackRole, groups: groups.found, source: run.input.source, trace: orgTrace };
}
