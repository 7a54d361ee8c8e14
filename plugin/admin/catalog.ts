/**
 * Organizations, roles and groups created at run time. The write goes through the catalog
 * port (the same idempotent upsert that seeds the config's organizations); the run-time state
 * is then reloaded so that rules and overrides see the new names at once, on this instance, and
 * within the run-time poll (runtime/watch.ts) on every other one.
 */
import type { GatehouseContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import type { OrganizationCatalogEntry } from '../ports.ts';

export interface CatalogWriter {
  /** Creates the organization if missing and adds roles/groups (never removes). */
  upsertOrganization(org: { id: string; name?: string | undefined; roles: string[]; groups: string[] }): Promise<void>;
}

async function find(ctx: GatehouseContext, id: string): Promise<OrganizationCatalogEntry | undefined> {
  return (await ctx.store.listOrganizations()).find((o) => o.id === id);
}

async function reload(ctx: GatehouseContext): Promise<void> {
  try {
    await ctx.runtime.changed();
  } catch (e) {
    ctx.logger.error({ err: e }, 'catalog reload failed; the new names apply after a restart');
  }
}

export async function organizationOr404(ctx: GatehouseContext, id: string): Promise<OrganizationCatalogEntry> {
  const org = await find(ctx, id);
  if (!org) throw new GatehouseError('ERR_NOT_FOUND', `no organization "${id}"`);
  return org;
}

export async function createOrganization(
  ctx: GatehouseContext,
  writer: CatalogWriter,
  input: { id: string; name?: string | undefined; roles: string[]; groups: string[] },
  actor: string,
): Promise<OrganizationCatalogEntry> {
  if (await find(ctx, input.id)) throw new GatehouseError('ERR_CONFLICT', `organization "${input.id}" exists`);
  await writer.upsertOrganization(input);
  await ctx.store.audit({ action: 'organization.create', actor, details: { organization: input.id, roles: input.roles, groups: input.groups } });
  await reload(ctx);
  return organizationOr404(ctx, input.id);
}

export async function addCatalogName(
  ctx: GatehouseContext,
  writer: CatalogWriter,
  orgId: string,
  kind: 'role' | 'group',
  name: string,
  actor: string,
): Promise<OrganizationCatalogEntry> {
  const org = await organizationOr404(ctx, orgId);
  const existing = kind === 'role' ? org.roles : org.groups;
  if (existing.includes(name)) throw new GatehouseError('ERR_CONFLICT', `organization "${orgId}" has a ${kind} "${name}"`);
  await writer.upsertOrganization({ id: org.id, name: org.name ?? undefined, roles: kind === 'role' ? [name] : [], groups: kind === 'group' ? [name] : [] });
  await ctx.store.audit({ action: `organization.${kind}.create`, actor, details: { organization: orgId, [kind]: name } });
  await reload(ctx);
  return organizationOr404(ctx, orgId);
}
