/** The sessions port on knex: the sessions table, and the store outside the database when there is one. */
import type { UserSessionStore } from '../../plugin/ports.ts';
import type { SqlContext } from './sql.ts';

/** Ends sessions kept outside the database (Redis); set when sessions live there. */
export type ExternalSessionRevoker = (userId: string) => Promise<number>;

/**
 * `external.fn` is read at each call: the revoker is set once the session store exists, after the
 * store (and the transactions that share this holder) were made.
 */
export function knexSessions(c: SqlContext, external: { fn?: ExternalSessionRevoker }): UserSessionStore {
  return {
    async deleteSessionsOfUser(userId) {
      const n = await c.db(c.t('sessions')).where({ user_id: userId }).delete();
      const outside = external.fn ? await external.fn(userId) : 0;
      return n + outside;
    },
  };
}

/** Deletes the sessions expired at `at`; run periodically. */
export async function sweepExpiredSessions(c: SqlContext, at: number): Promise<void> {
  await c.db(c.t('sessions')).where('expires_at', '<=', at).delete();
}
