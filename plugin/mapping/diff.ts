/**
 * What a login (or a SCIM group push) changes in the membership rows: pure, shared by provisioning
 * and by explain.
 *
 * Rows are compared by (organization, kind, name, source), the store's unique key, so that each
 * source owns its rows: a group that both SCIM and SSO give has two rows, and SCIM removing its
 * row leaves the SSO one in place.
 */
import type { NewMembership } from '../ports.ts';
import type { Membership, MembershipSource, SyncMode } from '../types.ts';
import type { MappingOutcome, MembershipPlan } from './types.ts';

/** How one sync treats the rows a user holds now. */
export interface SyncScope {
  syncMode: SyncMode;
  /** The mapping's own source: `sso` for a login, `scim` for a SCIM push. */
  source: 'sso' | 'scim';
  /** The IdP did not send the groups (Azure overage). */
  groupsUnavailable: boolean;
}

function rowKey(row: { organization: string; kind: string; name: string; source: MembershipSource }): string {
  return `${row.organization}\u0000${row.kind}\u0000${row.name}\u0000${row.source}`;
}

/**
 * The one rule of which current rows survive a sync, given which of them the mapping grants again.
 * ADDITIVE keeps every row. MANAGED removes the rows of the sources it manages (`source` and
 * `static`) that are not granted again; `override` rows and rows of the other source stay. When
 * the groups were unavailable (Azure overage) MANAGED removes nothing: absence of evidence is not
 * evidence of absence. `unite` asks with nothing granted again (what stays whatever this login
 * grants), the plan with what the login grants.
 */
export function survivingRows(
  current: Membership[],
  scope: SyncScope,
  grantedAgain: (row: Membership) => boolean,
): Omit<MembershipPlan, 'add'> {
  if (scope.syncMode === 'ADDITIVE') return { remove: [], kept: [...current], removalBlocked: false };
  const managed = new Set<MembershipSource>([scope.source, 'static']);
  const stale = current.filter((row) => managed.has(row.source) && !grantedAgain(row));
  if (scope.groupsUnavailable) return { remove: [], kept: [...current], removalBlocked: stale.length > 0 };
  const staleSet = new Set(stale);
  return { remove: stale, kept: current.filter((row) => !staleSet.has(row)), removalBlocked: false };
}

/** Adds what the outcome grants and the user lacks; removes and keeps as `survivingRows` says. */
export function planMembershipSync(input: {
  current: Membership[];
  outcome: MappingOutcome;
  syncMode: SyncMode;
  source: 'sso' | 'scim';
}): MembershipPlan {
  const { current, outcome, syncMode, source } = input;
  const desired = new Map<string, NewMembership>();
  for (const e of outcome.entitlements) {
    for (const name of e.roles) {
      const row: NewMembership = { organization: e.organization, kind: 'role', name, source: e.source, mapper: e.mapper };
      if (!desired.has(rowKey(row))) desired.set(rowKey(row), row);
    }
    for (const name of e.groups) {
      const row: NewMembership = { organization: e.organization, kind: 'group', name, source: e.source, mapper: e.mapper };
      if (!desired.has(rowKey(row))) desired.set(rowKey(row), row);
    }
  }
  const held = new Set(current.map(rowKey));
  const add = [...desired.values()].filter((row) => !held.has(rowKey(row)));
  const scope = { syncMode, source, groupsUnavailable: outcome.groupsUnavailable };
  return { add, ...survivingRows(current, scope, (row) => desired.has(rowKey(row))) };
}
