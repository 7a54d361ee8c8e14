/**
 * Organizations, roles and groups created at run time. The write goes through the catalog
 * port (the same idempotent upsert that seeds the config's organizations); the mapping engines
 * are then rebuilt so that rules and overrides see the new names at once, on this instance, and
 * within `watchCatalog`'s interval on every other one.
 */
import { randomUUID } from 'node:crypto';
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

/** The setting every instance watches: a new value means the catalog changed somewhere. */
export const CATALOG_VERSION_KEY = 'catalog.version';

async function reload(ctx: GatehouseContext): Promise<void> {
  try {
    await ctx.store.setSetting(CATALOG_VERSION_KEY, randomUUID());
    await ctx.reloadCatalog?.();
  } catch (e) {
    ctx.logger.error({ err: e }, 'catalog reload failed; the new names apply after a restart');
  }
}

/**
 * Keeps this instance's mapping engines in step with catalog changes made through another
 * instance's admin API: every `intervalMs`, one read of the catalog version; the catalog is
 * read again and the engines rebuilt when it moved. Returns the stop function.
 */
export function watchCatalog(ctx: GatehouseContext, intervalMs: number): () => void {
  let seen: unknown = undefined;
  let busy = false;
  const check = async () => {
    if (busy) return;
    busy = true;
    try {
      const version = await ctx.store.getSetting(CATALOG_VERSION_KEY);
      if (seen !== undefined && version !== seen) await ctx.reloadCatalog?.();
      seen = version;
    } catch (e) {
      ctx.logger.warn({ err: e }, 'catalog version check failed');
    } finally {
      busy = false;
    }
  };
  void check();
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
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
