/** The identities port on knex: one row per (provider, subject), the claims of its last login kept. */
import { randomUUID } from 'node:crypto';
import type { IdentityStore } from '../../plugin/ports.ts';
import type { IdentityRecord } from '../../plugin/types.ts';
import { rowToIdentity, rowToUser, type Row } from './rows.ts';
import { lockRows, type SqlContext } from './sql.ts';

/** The identities port on the runner of `c`. */
export function knexIdentities(c: SqlContext): IdentityStore {
  const { db, t } = c;
  const findIdentity = async (provider: string, subject: string): Promise<IdentityRecord | null> => {
    const r = (await db(t('identities')).where({ provider, subject }).first()) as Row | undefined;
    return r ? rowToIdentity(r) : null;
  };

  return {
    findIdentity,

    async findIdentityAndLockUser(provider, subject) {
      const u = t('users');
      const i = t('identities');
      const q = db(i)
        .join(u, `${u}.id`, `${i}.user_id`)
        .select(`${u}.*`, `${i}.id as i_id`, `${i}.email as i_email`, `${i}.created_at as i_created_at`, `${i}.last_login_at as i_last_login_at`)
        .where(`${i}.provider`, provider)
        .andWhere(`${i}.subject`, subject)
        .first();
      const r = (await lockRows(q, c.dialect, u)) as Row | undefined;
      if (!r) return null;
      return {
        user: rowToUser(r),
        identity: rowToIdentity({
          id: r.i_id,
          user_id: r.id,
          provider,
          subject,
          email: r.i_email,
          created_at: r.i_created_at,
          last_login_at: r.i_last_login_at,
        }),
      };
    },

    async ensureIdentity(input) {
      const row = {
        id: randomUUID(),
        user_id: input.userId,
        provider: input.provider,
        subject: input.subject,
        email: input.email,
        created_at: c.now(),
        last_login_at: input.lastLoginAt ?? null,
        last_claims: input.lastClaims === undefined ? null : JSON.stringify(input.lastClaims),
      };
      const insert = db(t('identities')).insert(row).onConflict(['provider', 'subject']).ignore();
      if (c.dialect !== 'mysql') {
        // RETURNING gives a row only when this insert made it: then it is `row`, no need to read it back.
        const made = (await insert.returning('id')) as Row[];
        if (made.length > 0) return { ...rowToIdentity(row), inserted: true };
      } else await insert;
      const found = await findIdentity(input.provider, input.subject);
      if (!found) throw new Error('identity vanished after upsert');
      return { ...found, inserted: found.id === row.id };
    },

    async listIdentities(userId) {
      const rows = (await db(t('identities')).where({ user_id: userId }).orderBy('created_at')) as Row[];
      return rows.map(rowToIdentity);
    },

    async touchIdentity(id, at, lastClaims) {
      const patch: Row = { last_login_at: at };
      if (lastClaims !== undefined) patch.last_claims = JSON.stringify(lastClaims);
      await db(t('identities')).where({ id }).update(patch);
    },

    async getIdentityClaims(id) {
      const r = (await db(t('identities')).select('last_claims').where({ id }).first()) as Row | undefined;
      return r && typeof r.last_claims === 'string' ? (JSON.parse(r.last_claims) as unknown) : null;
    },
  };
}
