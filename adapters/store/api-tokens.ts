/** The API tokens port on knex: SCIM and admin bearer tokens, stored as hashes only. */
import type { ApiTokenStore } from '../../plugin/ports.ts';
import { rowToToken, type Row } from './rows.ts';
import type { SqlContext } from './sql.ts';

/** The API tokens port on the runner of `c`. */
export function knexApiTokens(c: SqlContext): ApiTokenStore {
  const { db, t } = c;
  return {
    async insertApiToken(row) {
      await db(t('api_tokens')).insert({
        id: row.id,
        kind: row.kind,
        name: row.name,
        hash: row.hash,
        hint: row.hint,
        provider: row.provider,
        created_by: row.createdBy,
        created_at: row.createdAt,
        last_used_at: null,
        revoked_at: null,
      });
    },

    async findApiTokenByHash(hash) {
      const r = (await db(t('api_tokens')).where({ hash }).first()) as Row | undefined;
      return r ? rowToToken(r) : null;
    },

    async listApiTokens(kind) {
      const rows = (await db(t('api_tokens')).where({ kind }).orderBy('created_at')) as Row[];
      return rows.map(rowToToken);
    },

    async revokeApiToken(kind, id, at) {
      return (await db(t('api_tokens')).where({ kind, id }).whereNull('revoked_at').update({ revoked_at: at })) > 0;
    },

    async touchApiToken(id, at) {
      await db(t('api_tokens')).where({ id }).update({ last_used_at: at });
    },
  };
}
