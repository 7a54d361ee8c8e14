/**
 * Organizations, roles and groups created at run time. The write goes through the catalog
 * port (the same idempotent upsert that seeds the config's organizations); the run-time state
 * is then reloaded so that rules and overrides see the new names at once, on this instance, and
 * within the run-time poll (runtime/watch.ts) on every other one.
 */
import type { GatehouseContext } from '../context.ts';
import { ConfigError, GatehouseError } from '../errors.ts';
import type { OrganizationCatalogEntry } from '../ports.ts';
import type { SnapshotParts } from '../runtime/snapshot.ts';

export interface OrganizationInput {
  id: string;
  name?: string | undefined;
  roles: string[];
  groups: string[];
}

export interface CatalogWriter {
  /** Creates the organization if missing and adds roles/groups (never removes). */
  upsertOrganization(org: OrganizationInput): Promise<void>;
  /** Sets name, roles and groups; memberships of removed roles and groups go with them. False: no such organization. */
  replaceOrganization(org: OrganizationInput): Promise<boolean>;
  /** Deletes the organization with its roles, groups and memberships. False: no such organization. */
  deleteOrganization(id: string): Promise<boolean>;
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
  input: OrganizationInput,
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

/** The config file's entry for `id`: what the file seeds at every start cannot be taken away here. */
function fromFile(ctx: GatehouseContext, id: string) {
  return ctx.config.organizations.find((o) => o.id === id);
}

/** The catalog with `org` replaced (or removed, for null) must still compile every provider's and the global rules. */
async function checkCatalog(ctx: GatehouseContext, id: string, org: OrganizationInput | null): Promise<void> {
  const edit = (parts: SnapshotParts): SnapshotParts => ({
    ...parts,
    organizations: parts.organizations.flatMap((o) => (o.id !== id ? [o] : org ? [{ id, name: org.name ?? null, roles: org.roles, groups: org.groups }] : [])),
  });
  try {
    await ctx.runtime.trial(edit);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // `providers[3]` means nothing to the caller: name the provider.
    const ids = [...ctx.runtime.current().providers.keys()];
    const message = `still used: ${e.message.replace(/^providers\[(\d+)\]/, (m, i: string) => `providers[${ids[Number(i)] ?? i}]`)}`;
    throw new GatehouseError('ERR_CONFLICT', message, { details: { field: e.path } });
  }
}

export async function replaceOrganization(ctx: GatehouseContext, writer: CatalogWriter, input: OrganizationInput, actor: string): Promise<OrganizationCatalogEntry> {
  const before = await organizationOr404(ctx, input.id);
  const file = fromFile(ctx, input.id);
  if (file) {
    const kept = (kind: 'roles' | 'groups') => file[kind].filter((n) => !input[kind].includes(n));
    const missing = [...kept('roles').map((r) => `role "${r}"`), ...kept('groups').map((g) => `group "${g}"`)];
    if (missing.length) throw new GatehouseError('ERR_CONFLICT', `organization "${input.id}" is defined in the config file: ${missing.join(', ')} cannot be removed here`);
  }
  await checkCatalog(ctx, input.id, input);
  if (!(await writer.replaceOrganization(input))) throw new GatehouseError('ERR_NOT_FOUND', `no organization "${input.id}"`);
  const removed = (kind: 'roles' | 'groups') => before[kind].filter((n) => !input[kind].includes(n));
  await ctx.store.audit({
    action: 'organization.update',
    actor,
    details: { organization: input.id, roles: input.roles, groups: input.groups, removedRoles: removed('roles'), removedGroups: removed('groups') },
  });
  await reload(ctx);
  return organizationOr404(ctx, input.id);
}

export async function deleteOrganization(ctx: GatehouseContext, writer: CatalogWriter, id: string, actor: string): Promise<void> {
  await organizationOr404(ctx, id);
  if (fromFile(ctx, id)) throw new GatehouseError('ERR_CONFLICT', `organization "${id}" is defined in the config file (read-only here)`);
  await checkCatalog(ctx, id, null);
  if (!(await writer.deleteOrganization(id))) throw new GatehouseError('ERR_NOT_FOUND', `no organization "${id}"`);
  await ctx.store.audit({ action: 'organization.delete', actor, details: { organization: id } });
  await reload(ctx);
}
