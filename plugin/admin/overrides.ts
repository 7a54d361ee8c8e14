/**
 * Group/role overrides for IdP users (seed 003): membership rows with source `override`, which
 * SSO sync never removes (MANAGED removes only what SSO gave). The role or group must exist in
 * the organization. Used by the admin API and the CLI.
 */
import type { GatehouseContext } from '../context.ts';
import { emitDirectoryEvents, fact, membershipEvents } from '../directory-events.ts';
import { GatehouseError } from '../errors.ts';
import type { NewMembership, OrganizationCatalogEntry, StoreOps } from '../ports.ts';
import type { Membership } from '../types.ts';

export interface OverrideInput {
  organization: string;
  role?: string | undefined;
  group?: string | undefined;
}

/** The organization's catalog entry, or ERR_VALIDATION naming `field`. */
export async function organizationOr400(tx: Pick<StoreOps, 'listOrganizations'>, id: string, field = 'organization'): Promise<OrganizationCatalogEntry> {
  const org = (await tx.listOrganizations()).find((o) => o.id === id);
  if (!org) throw new GatehouseError('ERR_VALIDATION', `${field}: no organization "${id}"`, { details: { field } });
  return org;
}

/** Checks roles and groups against the org; throws ERR_VALIDATION naming the first unknown one. */
export function checkNames(org: OrganizationCatalogEntry, roles: readonly string[], groups: readonly string[], fields = { role: 'role', group: 'group' }): void {
  for (const r of roles) {
    if (!org.roles.includes(r)) throw new GatehouseError('ERR_VALIDATION', `${fields.role}: organization "${org.id}" has no role "${r}"`, { details: { field: fields.role } });
  }
  for (const g of groups) {
    if (!org.groups.includes(g)) throw new GatehouseError('ERR_VALIDATION', `${fields.group}: organization "${org.id}" has no group "${g}"`, { details: { field: fields.group } });
  }
}

/** `mapper` column: who set the override (bounded to the column width). */
export const overrideMapper = (actor: string): string => actor.slice(0, 64);

export function overrideRows(organization: string, roles: readonly string[], groups: readonly string[], actor: string): NewMembership[] {
  return [
    ...roles.map((name) => ({ organization, kind: 'role' as const, name, source: 'override' as const, mapper: overrideMapper(actor) })),
    ...groups.map((name) => ({ organization, kind: 'group' as const, name, source: 'override' as const, mapper: overrideMapper(actor) })),
  ];
}

/** Adds the override rows (idempotent) and returns them as stored. */
export async function addOverride(ctx: GatehouseContext, userId: string, input: OverrideInput, actor: string): Promise<Membership[]> {
  if (input.role === undefined && input.group === undefined) {
    throw new GatehouseError('ERR_VALIDATION', 'role: give a role, a group or both', { details: { field: 'role' } });
  }
  // The catalog is read outside the transaction: it only grows, and its read is several queries.
  const org = await organizationOr400(ctx.store, input.organization);
  const roles = input.role === undefined ? [] : [input.role];
  const groups = input.group === undefined ? [] : [input.group];
  checkNames(org, roles, groups);
  return ctx.store.transaction(async (tx) => {
    const user = await tx.getUser(userId);
    if (!user) throw new GatehouseError('ERR_NOT_FOUND', `no user ${userId}`);
    const before = new Set((await tx.listMemberships(userId)).map((m) => m.id));
    await tx.addMemberships(userId, overrideRows(org.id, roles, groups, actor));
    const wanted = new Set([...roles.map((r) => `role:${r}`), ...groups.map((g) => `group:${g}`)]);
    const rows = (await tx.listMemberships(userId)).filter(
      (m) => m.source === 'override' && m.organization === org.id && wanted.has(`${m.kind}:${m.name}`),
    );
    // Adding an override the user holds already changes nothing, and says nothing.
    const added = rows.filter((m) => !before.has(m.id)).map(fact);
    await emitDirectoryEvents(ctx, tx, membershipEvents({ source: 'admin', actor }, [{ user, added, removed: [] }]));
    await tx.audit({
      action: 'override.add',
      actor,
      userId,
      details: { organization: org.id, ...(input.role ? { role: input.role } : {}), ...(input.group ? { group: input.group } : {}), overrideIds: rows.map((m) => m.id) },
    });
    return rows;
  });
}

export async function removeOverride(ctx: GatehouseContext, userId: string, overrideId: string, actor: string): Promise<Membership> {
  return ctx.store.transaction(async (tx) => {
    const user = await tx.getUser(userId);
    const row = user ? (await tx.listMemberships(userId)).find((m) => m.id === overrideId) : undefined;
    if (!user || !row || row.source !== 'override') throw new GatehouseError('ERR_NOT_FOUND', `user ${userId} has no override ${overrideId}`);
    await tx.removeMemberships(userId, [row.id]);
    await emitDirectoryEvents(ctx, tx, membershipEvents({ source: 'admin', actor }, [{ user, added: [], removed: [fact(row)] }]));
    await tx.audit({ action: 'override.remove', actor, userId, details: { overrideId, organization: row.organization, kind: row.kind, name: row.name } });
    return row;
  });
}
