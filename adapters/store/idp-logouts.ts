/** The `idp_logouts` table: logouts an IdP announced, matched by IdP session id or subject. */
import type { Knex } from 'knex';
import { isUniqueViolation } from './database.ts';

export interface IdpLogoutEntry {
  provider: string;
  jti: string;
  sid: string | null;
  subject: string | null;
  at: number;
  expiresAt: number;
}

/** False when this token (provider, jti) was recorded before: a replay. */
export async function recordIdpLogout(db: Knex | Knex.Transaction, table: string, e: IdpLogoutEntry): Promise<boolean> {
  try {
    await db(table).insert({ provider: e.provider, jti: e.jti, sid: e.sid, subject: e.subject, at: e.at, expires_at: e.expiresAt });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export async function idpLoggedOutAt(db: Knex | Knex.Transaction, table: string, provider: string, sid: string | null, subject: string): Promise<number | null> {
  const row = (await db(table)
    .where({ provider })
    .andWhere((q) => {
      q.where({ subject });
      if (sid !== null) q.orWhere({ sid });
    })
    .max({ at: 'at' })
    .first()) as { at: number | string | null } | undefined;
  return row?.at == null ? null : Number(row.at);
}
