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
import type { MappingOutcome } from './types.ts';

export interface MembershipPlan {
  add: NewMembership[];
  remove: Membership[];
  kept: Membership[];
  /** True when MANAGED would have removed rows but the groups were unavailable (overage). */
  removalBlocked: boolean;
}

function rowKey(row: { organization: string; kind: string; name: string; source: MembershipSource }): string {
  return `${row.organization}\u0000${row.kind}\u0000${row.name}\u0000${row.source}`;
}

/**
 * ADDITIVE adds what the outcome grants and keeps every row. MANAGED also removes the rows of
 * the sources it manages (`source` - `sso` for a login, `scim` for a SCIM push - and `static`)
 * that the outcome no longer grants; `override` rows and rows of the other source stay. When the
 * groups were unavailable (Azure overage) MANAGED removes nothing: absence of evidence is not
 * evidence of absence.
 */
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
  if (syncMode === 'ADDITIVE') return { add, remove: [], kept: [...current], removalBlocked: false };

  const managed = new Set<MembershipSource>([source, 'static']);
  const stale = current.filter((row) => managed.has(row.source) && !desired.has(rowKey(row)));
  if (outcome.groupsUnavailable) return { add, remove: [], kept: [...current], removalBlocked: stale.length > 0 };
  const staleSet = new Set(stale);
  return { add, remove: stale, kept: current.filter((row) => !staleSet.has(row)), removalBlocked: false };
}
