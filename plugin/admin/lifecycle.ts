/**
 * An admin deactivates, reactivates or deletes a user. Deactivation is SCIM's deprovisioning:
 * the same `deprovisioned` status (logins refused, any session dead on its next request) and the
 * same store call that ends the sessions at once, wherever they live (database rows, Redis).
 */
import type { GatehouseContext } from '../context.ts';
import { emitDirectoryEvents, type DirectoryEvent } from '../directory-events.ts';
import { GatehouseError } from '../errors.ts';
import type { StoreOps } from '../ports.ts';
import type { UserRecord } from '../types.ts';
import type { AdminActor } from './auth.ts';

type Change = 'deactivate' | 'reactivate' | 'delete';

/** An admin who locks themself out of the console has no way back in but the database. */
function refuseSelf(actor: AdminActor, userId: string, change: Change): void {
  if (actor.kind === 'user' && actor.id === userId) throw new GatehouseError('ERR_CONFLICT', `you cannot ${change} your own account`);
}

const event = (type: 'user.deactivated' | 'user.reactivated' | 'user.deleted', user: UserRecord, actor: AdminActor): DirectoryEvent => ({
  source: 'admin',
  actor: actor.label,
  type,
  user,
});

async function locked(tx: StoreOps, userId: string): Promise<UserRecord> {
  const user = await tx.lockUser(userId);
  if (!user) throw new GatehouseError('ERR_NOT_FOUND', `no user ${userId}`);
  return user;
}

export async function deactivateUser(ctx: GatehouseContext, userId: string, actor: AdminActor): Promise<void> {
  refuseSelf(actor, userId, 'deactivate');
  await ctx.store.transaction(async (tx) => {
    const user = await locked(tx, userId);
    if (user.status === 'deprovisioned') throw new GatehouseError('ERR_CONFLICT', `user ${user.email ?? userId} is already deactivated`);
    const updated = (await tx.updateUser(userId, { status: 'deprovisioned' })) ?? { ...user, status: 'deprovisioned' };
    const sessionsEnded = await tx.deleteSessionsOfUser(userId);
    await tx.audit({ action: 'user.deactivate', outcome: 'deprovisioned', actor: actor.label, userId, details: { previous: user.status, sessionsEnded } });
    await emitDirectoryEvents(ctx, tx, [event('user.deactivated', updated, actor)]);
  });
}

/** Back to `active`: the admin's decision stands in for an approval; memberships were kept. */
export async function reactivateUser(ctx: GatehouseContext, userId: string, actor: AdminActor): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const user = await locked(tx, userId);
    if (user.status !== 'deprovisioned') throw new GatehouseError('ERR_CONFLICT', `user ${user.email ?? userId} is ${user.status.replace('_', ' ')}, not deactivated`);
    const updated = (await tx.updateUser(userId, { status: 'active' })) ?? { ...user, status: 'active' };
    await tx.audit({ action: 'user.reactivate', outcome: 'active', actor: actor.label, userId, details: { previous: user.status } });
    await emitDirectoryEvents(ctx, tx, [event('user.reactivated', updated, actor)]);
  });
}

/** The user row with its identities, memberships and sessions; the audit trail stays. */
export async function deleteUser(ctx: GatehouseContext, userId: string, actor: AdminActor): Promise<void> {
  refuseSelf(actor, userId, 'delete');
  await ctx.store.transaction(async (tx) => {
    const user = await locked(tx, userId);
    await tx.audit({ action: 'user.delete', outcome: 'deleted', actor: actor.label, userId, details: { email: user.email, previous: user.status } });
    await tx.deleteSessionsOfUser(userId);
    await tx.deleteUser(userId);
    await emitDirectoryEvents(ctx, tx, [event('user.deleted', user, actor)]);
  });
}
