/** The users port on knex: the core users table (SCIM adds its columns through scim-users.ts). */
import { randomUUID } from 'node:crypto';
import type { UserStore } from '../../plugin/ports.ts';
import type { UserRecord } from '../../plugin/types.ts';
import { SHARED_EMAIL_ID_LIMIT, sharedEmailError } from '../../plugin/provisioning/shared-email.ts';
import { rowToUser, userColumns, type Row } from './rows.ts';
import { escapeLike, LIKE_ESCAPE, lockRows, type SqlContext } from './sql.ts';
import { applyUserOrder, encodeUserCursor, userOrder } from './user-list-order.ts';

/** The users port on the runner of `c`. */
export function knexUsers(c: SqlContext): UserStore {
  const { db, t } = c;
  const getUser = async (id: string): Promise<UserRecord | null> => {
    const r = (await db(t('users')).where({ id }).first()) as Row | undefined;
    return r ? rowToUser(r) : null;
  };

  return {
    getUser,

    async lockUser(id) {
      const r = (await lockRows(db(t('users')).where({ id }).first(), c.dialect)) as Row | undefined;
      return r ? rowToUser(r) : null;
    },

    async getUserStatus(id) {
      const r = (await db(t('users')).select('status', 'instance_admin').where({ id }).first()) as Row | undefined;
      return r ? { status: String(r.status) as UserRecord['status'], instanceAdmin: Boolean(r.instance_admin) } : null;
    },

    async findUserByEmail(emailLower) {
      const email = emailLower.toLowerCase();
      const rows = (await db(t('users')).where({ email }).orderBy('id').limit(SHARED_EMAIL_ID_LIMIT)) as Row[];
      // Emails are not unique (005_shared_emails): several holders is a refusal, never the first row.
      if (rows.length > 1) throw sharedEmailError(email, rows.map((r) => String(r.id)));
      return rows[0] ? rowToUser(rows[0]) : null;
    },

    async insertUser(user) {
      const at = c.now();
      const row: Row = { id: randomUUID(), instance_admin: false, ...userColumns(user), created_at: at, updated_at: at, version: 1 };
      await db(t('users')).insert(row);
      return rowToUser(row);
    },

    async updateUser(id, patch) {
      const n = await db(t('users'))
        .where({ id })
        .update({ ...userColumns(patch), updated_at: c.now(), version: db.raw('version + 1') });
      return n > 0 ? getUser(id) : null;
    },

    async deleteUser(id) {
      await db(t('sessions')).where({ user_id: id }).delete();
      return (await db(t('users')).where({ id }).delete()) > 0;
    },

    async listUsers(filter) {
      const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
      const users = t('users');
      const order = userOrder(filter, users);
      const q = db(users).select(`${users}.*`).limit(limit + 1);
      applyUserOrder(q, db, order, users, filter.cursor);
      if (filter.status) q.where('status', filter.status);
      if (filter.provider) {
        q.whereExists(
          db(t('identities'))
            .select(db.raw('1'))
            .whereRaw(`${t('identities')}.user_id = ${users}.id`)
            .andWhere('provider', filter.provider),
        );
      }
      if (filter.q) {
        const like = `%${escapeLike(filter.q.toLowerCase())}%`;
        q.where((w) => {
          w.whereRaw(`email like ? ${LIKE_ESCAPE}`, [like])
            .orWhereRaw(`user_name like ? ${LIKE_ESCAPE}`, [like])
            .orWhereRaw(`lower(display_name) like ? ${LIKE_ESCAPE}`, [like]);
        });
      }
      const rows = (await q) as Row[];
      const page = rows.slice(0, limit).map(rowToUser);
      const last = page[page.length - 1];
      return { users: page, nextCursor: rows.length > limit && last ? encodeUserCursor(order, last) : null };
    },
  };
}
