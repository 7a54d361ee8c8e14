/**
 * Unites the grants of all mappers into entitlements:
 * 1. an organization-only provider keeps its own org alone;
 * 2. a fallback role (static `role`, `defaultRole`) is given only when the user ends up with no
 *    other role in that org: none from another grant of this login, none among the memberships
 *    that survive the sync (Chainloop: "if the user already existed with a different role, it will
 *    be kept");
 * 3. an org where the user ends up with no role at all is not joined (its groups are dropped);
 * 4. each (org, kind, name) is kept by the first mapper that produced it; later ones list it as a
 *    duplicate in their trace.
 */
import type { Entitlement, Membership, MembershipSource } from '../types.ts';
import { survivingRows, type SyncScope } from './diff.ts';
import type { Grant, OrgTrace } from './types.ts';

export interface UniteContext extends SyncScope {
  current: Membership[];
  organization: string | null;
}

interface NamedGrant {
  mapper: string;
  grant: Grant;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function markDropped(trace: OrgTrace, why: string): void {
  trace.matched = false;
  trace.reason += `; ${why}`;
  trace.roles = [];
  trace.groups = [];
}

/** Roles per org that the coming sync leaves in place whatever this login grants. */
function survivingRoles(ctx: UniteContext): Map<string, { name: string; source: MembershipSource }[]> {
  const out = new Map<string, { name: string; source: MembershipSource }[]>();
  for (const row of survivingRows(ctx.current, ctx, () => false).kept) {
    if (row.kind === 'role') pushTo(out, row.organization, { name: row.name, source: row.source });
  }
  return out;
}

export function unite(grants: NamedGrant[], ctx: UniteContext): Entitlement[] {
  const inScope = grants.filter(({ grant }) => {
    if (ctx.organization === null || grant.organization === ctx.organization) return true;
    markDropped(grant.trace, `dropped: the provider is organization-only ("${ctx.organization}")`);
    return false;
  });

  const hardRoles = new Map<string, { name: string; mapper: string }[]>();
  for (const { mapper, grant } of inScope) for (const role of grant.roles) pushTo(hardRoles, grant.organization, { name: role, mapper });
  const surviving = survivingRoles(ctx);
  const fallbacksGiven = new Map<string, { name: string; mapper: string }[]>();

  for (const { mapper, grant } of inScope) {
    const role = grant.fallbackRole;
    if (role === null) continue;
    const org = grant.organization;
    const other =
      hardRoles.get(org)?.find((r) => r.name !== role) ??
      fallbacksGiven.get(org)?.find((r) => r.name !== role);
    const existing = surviving.get(org)?.find((r) => r.name !== role);
    if (other !== undefined) {
      grant.trace.fallbackRole = { role, granted: false, reason: `role "${other.name}" given by ${other.mapper} is kept instead` };
    } else if (existing !== undefined) {
      grant.trace.fallbackRole = { role, granted: false, reason: `existing role "${existing.name}" (${existing.source}) is kept instead` };
    } else {
      grant.roles = [...grant.roles, role];
      pushTo(fallbacksGiven, org, { name: role, mapper });
      grant.trace.fallbackRole = { role, granted: true, reason: 'no other role in this organization' };
    }
  }

  const joined = inScope.filter(({ grant }) => {
    const org = grant.organization;
    const hasRole = (hardRoles.get(org)?.length ?? 0) + (fallbacksGiven.get(org)?.length ?? 0) + (surviving.get(org)?.length ?? 0) > 0;
    if (!hasRole) markDropped(grant.trace, 'not joined: no valid role in this organization');
    return hasRole;
  });

  const keptBy = new Map<string, string>();
  const entitlements: Entitlement[] = [];
  for (const { mapper, grant } of joined) {
    const take = (kind: 'role' | 'group', names: string[]): string[] => {
      const kept: string[] = [];
      for (const name of names) {
        const key = `${grant.organization}\u0000${kind}\u0000${name}`;
        const first = keptBy.get(key);
        if (first === undefined) {
          keptBy.set(key, mapper);
          kept.push(name);
        } else {
          (grant.trace.duplicates ??= []).push({ kind, name, keptBy: first });
        }
      }
      return kept;
    };
    const roles = take('role', grant.roles);
    const groups = take('group', grant.groups);
    grant.trace.roles = roles;
    grant.trace.groups = groups;
    if (roles.length > 0 || groups.length > 0) {
      entitlements.push({ organization: grant.organization, roles, groups, source: grant.source, mapper });
    }
  }
  return entitlements;
}
