/**
 * The waiting room's two exits. Approval provisions at once from the claims of the user's
 * last login, so the user does not have to sign in again to get their memberships.
 */
import type { GatehouseContext } from '../context.ts';
import { emitDirectoryEvents, fact, membershipEvents, type MembershipFact } from '../directory-events.ts';
import { GatehouseError } from '../errors.ts';
import type { Claims, UserRecord } from '../types.ts';
import { planForUser, writePlan } from './apply.ts';
import { withTransactionRetry } from './retry.ts';

function isClaims(v: unknown): v is Claims {
  return typeof v === 'object' && v !== null && typeof (v as Claims).subject === 'string' && Array.isArray((v as Claims).groups);
}

export async function approveUser(ctx: GatehouseContext, userId: string, actor: string): Promise<UserRecord> {
  return withTransactionRetry(ctx.store, () =>
    ctx.store.transaction(async (tx) => {
      const user = await tx.lockUser(userId);
      if (!user) throw new GatehouseError('ERR_NOT_FOUND', `no user ${userId}`);
      if (user.status === 'deprovisioned') throw new GatehouseError('ERR_CONFLICT', 'a deprovisioned user cannot be approved; reactivate it through SCIM');
      const updated = (await tx.updateUser(userId, { status: 'active' })) ?? user;
      const runtime = ctx.runtime.current();
      const added: string[] = [];
      const moved: { added: MembershipFact[]; removed: MembershipFact[] } = { added: [], removed: [] };
      const errors: unknown[] = [];
      for (const identity of await tx.listIdentities(userId)) {
        const claims = await tx.getIdentityClaims(identity.id);
        if (!isClaims(claims) || !runtime.providers.has(identity.provider)) continue;
        const { current, planned } = await planForUser(tx, runtime.engines.forProvider(identity.provider), userId, claims, 'sso');
        // No entitlement from the last claims is not a reason to refuse an admin's approval: that
        // identity's claims are then left unapplied, as its login would be refused.
        if (!planned.access.allowed) continue;
        const applied = await writePlan(tx, updated, current, planned);
        added.push(...applied.added.map((m) => `${m.organization}:${m.kind}:${m.name}`));
        moved.added.push(...applied.added.map(fact));
        moved.removed.push(...applied.removed.map(fact));
        errors.push(...applied.outcome.errors);
      }
      await tx.audit({ action: 'user.approve', outcome: 'active', actor, userId, details: { previous: user.status, added, ...(errors.length ? { mappingErrors: errors } : {}) } });
      const origin = { source: 'waiting_room' as const, actor };
      await emitDirectoryEvents(ctx, tx, [
        // Approving a user who is active already leaves them as they were: no user.approved.
        ...(user.status === 'active' ? [] : [{ ...origin, type: 'user.approved' as const, user: updated }]),
        ...membershipEvents(origin, [{ user: updated, ...moved }]),
      ]);
      return updated;
    }),
  );
}

export async function rejectUser(ctx: GatehouseContext, userId: string, actor: string): Promise<UserRecord> {
  return ctx.store.transaction(async (tx) => {
    const user = await tx.getUser(userId);
    if (!user) throw new GatehouseError('ERR_NOT_FOUND', `no user ${userId}`);
    const updated = (await tx.updateUser(userId, { status: 'rejected' })) ?? user;
    const sessions = await tx.deleteSessionsOfUser(userId);
    await tx.audit({ action: 'user.reject', outcome: 'rejected', actor, userId, details: { previous: user.status, sessionsEnded: sessions } });
    if (user.status !== 'rejected') await emitDirectoryEvents(ctx, tx, [{ source: 'waiting_room', actor, type: 'user.rejected', user: updated }]);
    return updated;
  });
}
