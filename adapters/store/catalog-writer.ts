/**
 * The admin API's catalog writer: organizations, roles and groups written at run time (reads are
 * catalog.ts's). Creation reuses the seeding upsert; a replacement or deletion takes the
 * memberships of what it removes with it, in one transaction, so no membership names a role or
 * group that no longer exists.
 */
import type { Knex } from 'knex';
import type { CatalogWriter, OrganizationInput } from '../../plugin/admin/catalog.ts';
import type { KnexStore } from './knex-store.ts';

export class KnexCatalogWriter implements CatalogWriter {
  readonly #store: KnexStore;
  readonly #prefix: string;

  constructor(store: KnexStore, prefix: string) {
    this.#store = store;
    this.#prefix = prefix;
  }

  upsertOrganization(org: OrganizationInput): Promise<void> {
    return this.#store.seedOrganizations([org]);
  }

  async replaceOrganization(org: OrganizationInput): Promise<boolean> {
    const t = (name: string) => `${this.#prefix}${name}`;
    return this.#store.knex.transaction(async (trx) => {
      const updated = await trx(t('organizations')).where({ id: org.id }).update({ name: org.name ?? null });
      if (updated === 0) return false;
      await this.#replaceNames(trx, org.id, 'role', org.roles);
      await this.#replaceNames(trx, org.id, 'group', org.groups);
      return true;
    });
  }

  async #replaceNames(trx: Knex.Transaction, orgId: string, kind: 'role' | 'group', names: string[]): Promise<void> {
    const table = `${this.#prefix}${kind === 'role' ? 'roles' : 'groups'}`;
    const existing = ((await trx(table).where({ organization_id: orgId }).select('name')) as { name: string }[]).map((r) => r.name);
    const removed = existing.filter((n) => !names.includes(n));
    const added = names.filter((n) => !existing.includes(n));
    if (removed.length) {
      await trx(`${this.#prefix}memberships`).where({ organization_id: orgId, kind }).whereIn('name', removed).delete();
      await trx(table).where({ organization_id: orgId }).whereIn('name', removed).delete();
    }
    if (added.length) await trx(table).insert(added.map((name) => ({ organization_id: orgId, name })));
  }

  async deleteOrganization(id: string): Promise<boolean> {
    const t = (name: string) => `${this.#prefix}${name}`;
    return this.#store.knex.transaction(async (trx) => {
      await trx(t('memberships')).where({ organization_id: id }).delete();
      await trx(t('roles')).where({ organization_id: id }).delete();
      await trx(t('groups')).where({ organization_id: id }).delete();
      return (await trx(t('organizations')).where({ id }).delete()) > 0;
    });
  }
}
