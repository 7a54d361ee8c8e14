/**
 * The SAML request and assertion caches in the database (SamlStateCache), shared by every instance
 * so that any of them can take an IdP's response. They run outside any login transaction.
 */
import type { SamlStateCache } from '../../plugin/ports.ts';
import { isUniqueViolation } from './database.ts';
import type { SqlContext } from './sql.ts';

/** The SAML caches on the runner of `c` (the top-level knex: no login transaction holds them). */
export function knexSamlCache(c: SqlContext): SamlStateCache {
  const { db, t } = c;
  return {
    async saveRequestId(provider, requestId, expiresAt) {
      await db(t('saml_requests')).insert({ provider, request_id: requestId, expires_at: expiresAt }).onConflict(['provider', 'request_id']).ignore();
    },

    async consumeRequestId(provider, requestId) {
      const n = await db(t('saml_requests')).where({ provider, request_id: requestId }).andWhere('expires_at', '>', c.now()).delete();
      return n > 0;
    },

    async rememberAssertion(provider, assertionId, expiresAt) {
      try {
        await db(t('saml_assertions')).insert({ provider, assertion_id: assertionId, expires_at: expiresAt });
        return true;
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        // A row past its expiry is stale; anything else is a replay.
        const n = await db(t('saml_assertions'))
          .where({ provider, assertion_id: assertionId })
          .andWhere('expires_at', '<=', c.now())
          .update({ expires_at: expiresAt });
        return n > 0;
      }
    },
  };
}

/** Deletes the request IDs and assertion IDs expired at `at`; run periodically. */
export async function sweepExpiredSamlCache(c: SqlContext, at: number): Promise<void> {
  await c.db(c.t('saml_requests')).where('expires_at', '<=', at).delete();
  await c.db(c.t('saml_assertions')).where('expires_at', '<=', at).delete();
}
