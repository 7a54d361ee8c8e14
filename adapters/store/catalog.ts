/**
 * The catalog port on knex: organizations with their roles and groups (seeded from config and the
 * catalog watcher), and the allowlist overrides kept in the database.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { CatalogStore, OrganizationCatalogEntry } from '../../plugin/ports.ts';
import { isUniqueViolation } from './database.ts';
import { rowToAllowlist, str, type Row } from './rows.ts';
import type { SqlContext } from './sql.ts';

/** An organization as config declares it. */
export interface OrganizationSeed {
  id: string;
  name?: string | undefined;
  roles: string[];
  groups: string[];
}

/** The catalog port (organizations, allowlist) on the runner of `c`. */
export function knexCatalog(c: SqlContext): CatalogStore {
  const { db, t } = c;
  return {
    async listOrganizations() {
      // Sequential: inside a transaction all three share one connection.
      const orgs = (await db(t('organizations')).select('id', 'name').orderBy('id')) as Row[];
      const roles = (await db(t('roles')).select('organization_id', 'name')) as Row[];
      const groups = (await db(t('groups')).select('organization_id', 'name')) as Row[];
      const byId = new Map<string, OrganizationCatalogEntry>();
      for (const o of orgs) byId.set(String(o.id), { id: String(o.id), name: str(o.name), roles: [], groups: [] });
      for (const r of roles) byId.get(String(r.organization_id))?.roles.push(String(r.name));
      for (const g of groups) byId.get(String(g.organization_id))?.groups.push(String(g.name));
      return [...byId.values()];
    },

    async listAllowlist() {
      const rows = (await db(t('allowlist')).orderBy('created_at')) as Row[];
      return rows.map(rowToAllowlist);
    },

    async addAllowlist(entry, createdBy) {
      const row = { id: randomUUID(), entry: entry.trim().toLowerCase(), created_by: createdBy, created_at: c.now() };
      try {
        await db(t('allowlist')).insert(row);
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        const existing = (await db(t('allowlist')).where({ entry: row.entry }).first()) as Row;
        return { ...rowToAllowlist(existing), entry: row.entry };
      }
      return { id: row.id, entry: row.entry, createdBy, createdAt: row.created_at };
    },

    async removeAllowlist(id) {
      return (await db(t('allowlist')).where({ id }).delete()) > 0;
    },
  };
}

/** Seeds organizations with their roles and groups (idempotent, additive), in a transaction of its own. */
export async function seedOrganizations(knex: Knex, c: Pick<SqlContext, 't' | 'now'>, orgs: OrganizationSeed[]): Promise<void> {
  const at = c.now();
  await knex.transaction(async (trx) => {
    for (const o of orgs) {
      await trx(c.t('organizations'))
        .insert({ id: o.id, name: o.name ?? null, created_at: at })
        .onConflict('id')
        .merge(['name']);
      if (o.roles.length) {
        await trx(c.t('roles'))
          .insert(o.roles.map((name) => ({ organization_id: o.id, name })))
          .onConflict(['organization_id', 'name'])
          .ignore();
      }
      if (o.groups.length) {
        await trx(c.t('groups'))
          .insert(o.groups.map((name) => ({ organization_id: o.id, name })))
          .onConflict(['organization_id', 'name'])
          .ignore();
      }
    }
  });
}
