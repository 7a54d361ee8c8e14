/**
 * Logouts an IdP announced (OIDC back-channel logout): a session whose IdP session id or subject
 * matches a row newer than its login is ended on its next request, on every instance, whatever
 * the session store. Rows expire with the longest session; the token's jti is unique, which
 * refuses a replay.
 */
import type { Knex } from 'knex';
import { exactStrings, type Migration } from './migration.ts';

export const idpLogouts: Migration = {
  name: '006_idp_logouts',
  async up(db: Knex, p: string) {
    await db.schema.createTable(`${p}idp_logouts`, (t) => {
      exactStrings(db, t);
      t.increments('id').primary();
      t.string('provider', 191).notNullable();
      /** The logout token's jti: unique, so a replayed token records nothing. */
      t.string('jti', 191).notNullable();
      t.string('sid', 191).nullable();
      t.string('subject', 191).nullable();
      t.bigInteger('at').notNullable();
      t.bigInteger('expires_at').notNullable().index();
      t.unique(['provider', 'jti'], { indexName: `${p}idp_logouts_jti_unique` });
      t.index(['provider', 'sid'], `${p}idp_logouts_sid_index`);
      t.index(['provider', 'subject'], `${p}idp_logouts_subject_index`);
    });
  },
  async down(db: Knex, p: string) {
    await db.schema.dropTableIfExists(`${p}idp_logouts`);
  },
};
