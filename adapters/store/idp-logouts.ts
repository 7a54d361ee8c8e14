/** The IdP logouts port on knex: the `idp_logouts` table, matched by IdP session id or subject. */
import type { IdpLogoutStore } from '../../plugin/ports.ts';
import { isUniqueViolation } from './database.ts';
import type { SqlContext } from './sql.ts';

/** The IdP logouts port on the runner of `c`. */
export function knexIdpLogouts(c: SqlContext): IdpLogoutStore {
  const { db, t } = c;
  return {
    async recordIdpLogout(e) {
      try {
        await db(t('idp_logouts')).insert({ provider: e.provider, jti: e.jti, sid: e.sid, subject: e.subject, at: e.at, expires_at: e.expiresAt });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    async idpLoggedOutAt(provider, sid, subject) {
      const row = (await db(t('idp_logouts'))
        .where({ provider })
        .andWhere((q) => {
          q.where({ subject });
          if (sid !== null) q.orWhere({ sid });
        })
        .max({ at: 'at' })
        .first()) as { at: number | string | null } | undefined;
      return row?.at == null ? null : Number(row.at);
    },
  };
}

/** Deletes the logouts past their `expiresAt` at `at`; run periodically. */
export async function sweepExpiredIdpLogouts(c: SqlContext, at: number): Promise<void> {
  await c.db(c.t('idp_logouts')).where('expires_at', '<=', at).delete();
}
