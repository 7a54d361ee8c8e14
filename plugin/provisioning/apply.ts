/**
 * Applies a mapping outcome to one user inside the caller's transaction: the membership diff
 * (ADDITIVE or MANAGED), instance admin, and the entitlement requirement.
 */
import type { GatehouseContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import { planMembershipSync } from '../mapping/diff.ts';
import type { MappingEngine, MappingOutcome } from '../mapping/index.ts';
import type { NewMembership, StoreOps } from '../ports.ts';
import type { Claims, Membership, UserRecord } from '../types.ts';

export interface AppliedMapping {
  outcome: MappingOutcome;
  added: NewMembership[];
  removed: Membership[];
  memberships: Membership[];
}

/** Claims with the overage resolved through the library hook, when there is one. */
export async function resolveOverage(ctx: GatehouseContext, claims: Claims): Promise<Claims> {
  if (!claims.groupsOverage || !ctx.resolveGroups) return claims;
  const groups = await ctx.resolveGroups(claims);
  return groups === null ? claims : { ...claims, groups: [...new Set(groups)], groupsOverage: false };
}

export async function applyMapping(
  tx: StoreOps,
  ctx: GatehouseContext,
  engine: MappingEngine,
  user: UserRecord,
  claims: Claims,
  source: 'sso' | 'scim',
): Promise<AppliedMapping> {
  const current = await tx.listMemberships(user.id);
  // instanceAdmins match on a verified email only: an address anyone can set at an IdP is no credential.
  const outcome = engine.evaluate({ claims, source, current, email: claims.emailVerified ? claims.email : null });
  const plan = planMembershipSync({ current, outcome, syncMode: engine.syncMode, source });

  const mustHaveEntitlement = engine.requireEntitlement || engine.syncMode === 'MANAGED';
  if (mustHaveEntitlement && !outcome.groupsUnavailable) {
    const hasOverride = current.some((m) => m.source === 'override');
    if (outcome.entitlements.length === 0 && !hasOverride && !outcome.instanceAdmin) {
      throw new GatehouseError(
        'ERR_NO_ENTITLEMENT',
        engine.message ?? ctx.config.allowlist.message,
        { details: { reason: 'no_entitlement', errors: outcome.errors } },
      );
    }
  }

  if (plan.remove.length) await tx.removeMemberships(user.id, plan.remove.map((m) => m.id));
  const added = plan.add.length ? await tx.addMemberships(user.id, plan.add) : [];
  if (outcome.instanceAdmin && !user.instanceAdmin) await tx.updateUser(user.id, { instanceAdmin: true });
  // The user's row is locked: what we read, minus what we removed, plus what we added, is the state.
  const removedIds = new Set(plan.remove.map((m) => m.id));
  const memberships = removedIds.size || added.length ? [...current.filter((m) => !removedIds.has(m.id)), ...added] : current;
  return { outcome, added: plan.add, removed: plan.remove, memberships };
}
