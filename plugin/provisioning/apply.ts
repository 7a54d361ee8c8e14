/**
 * Writes a mapping plan for one user inside the caller's transaction: the membership rows the
 * engine's plan adds and removes (ADDITIVE or MANAGED) and instance admin. The engine decides
 * access; a login's refusal becomes ERR_NO_ENTITLEMENT here, SCIM and approval read the decision.
 */
import type { GatehouseContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import { mappingInput, type MappingEngine, type MappingOutcome, type MappingPlan } from '../mapping/index.ts';
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

/** The engine's plan for a user against the rows it holds now (read under the caller's lock). */
export async function planForUser(
  tx: Pick<StoreOps, 'listMemberships'>,
  engine: MappingEngine,
  userId: string,
  claims: Claims,
  source: 'sso' | 'scim',
): Promise<{ current: Membership[]; planned: MappingPlan }> {
  const current = await tx.listMemberships(userId);
  return { current, planned: engine.plan(mappingInput(claims, source, current)) };
}

/**
 * Every write of a plan but its inserts: the rows it removes and instance admin. A SCIM group push
 * inserts the rows of all its users in one statement afterwards.
 */
export async function writeRemovals(tx: StoreOps, user: UserRecord, planned: MappingPlan): Promise<void> {
  const { remove } = planned.memberships;
  if (remove.length) await tx.removeMemberships(user.id, remove.map((m) => m.id));
  if (planned.outcome.instanceAdmin && !user.instanceAdmin) await tx.updateUser(user.id, { instanceAdmin: true });
}

/** Writes a plan made against `current`; returns what it added and removed, and the memberships after. */
export async function writePlan(tx: StoreOps, user: UserRecord, current: Membership[], planned: MappingPlan): Promise<AppliedMapping> {
  await writeRemovals(tx, user, planned);
  const { add, remove } = planned.memberships;
  const added = add.length ? await tx.addMemberships(user.id, add) : [];
  // The user's row is locked: what we read, minus what we removed, plus what we added, is the state.
  const removedIds = new Set(remove.map((m) => m.id));
  const memberships = removedIds.size || added.length ? [...current.filter((m) => !removedIds.has(m.id)), ...added] : current;
  return { outcome: planned.outcome, added: add, removed: remove, memberships };
}

/** A login's mapping: refused with ERR_NO_ENTITLEMENT when the engine blocks access, else written. */
export async function applyLoginMapping(tx: StoreOps, engine: MappingEngine, user: UserRecord, claims: Claims): Promise<AppliedMapping> {
  const { current, planned } = await planForUser(tx, engine, user.id, claims, 'sso');
  const { access, outcome } = planned;
  if (!access.allowed) {
    throw new GatehouseError('ERR_NO_ENTITLEMENT', access.message, { details: { reason: access.reason, errors: outcome.errors } });
  }
  return writePlan(tx, user, current, planned);
}
