/** The memberships port on knex: roles and groups per user and organization, each with its source. */
import { randomUUID } from 'node:crypto';
import type { MembershipStore, NewMembership } from '../../plugin/ports.ts';
import { rowToMembership, type Row } from './rows.ts';
import { chunks, type SqlContext } from './sql.ts';

/** The memberships port on the runner of `c`. */
export function knexMemberships(c: SqlContext): MembershipStore {
  const { db, t } = c;

  const rowsOf = (userId: string, rows: NewMembership[]): Row[] => {
    const at = c.now();
    return rows.map((m) => ({
      id: randomUUID(),
      user_id: userId,
      organization_id: m.organization,
      kind: m.kind,
      name: m.name,
      source: m.source,
      mapper: m.mapper,
      created_at: at,
    }));
  };

  /** 200 rows a statement (8 columns: far below every database's bound-parameter limit); a row already there is left alone. */
  const insertRows = async (data: Row[]): Promise<void> => {
    for (const part of chunks(data, 200)) {
      await db(t('memberships')).insert(part).onConflict(['user_id', 'organization_id', 'kind', 'name', 'source']).ignore();
    }
  };

  return {
    async listMemberships(userId) {
      const rows = (await db(t('memberships')).where({ user_id: userId }).orderBy(['organization_id', 'kind', 'name', 'source'])) as Row[];
      return rows.map(rowToMembership);
    },

    async addMemberships(userId, rows) {
      if (rows.length === 0) return [];
      const data = rowsOf(userId, rows);
      await insertRows(data);
      return data.map(rowToMembership);
    },

    async addMembershipsOfUsers(entries) {
      await insertRows(entries.flatMap((e) => rowsOf(e.userId, e.rows)));
    },

    async removeMemberships(userId, ids) {
      for (const part of chunks(ids)) {
        await db(t('memberships')).where({ user_id: userId }).whereIn('id', part).delete();
      }
    },
  };
}
