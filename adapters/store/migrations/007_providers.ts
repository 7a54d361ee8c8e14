/**
 * Identity providers managed at run time (admin API). The config sits as JSON without its
 * secrets; the secrets column holds only AES-256-GCM ciphertexts (plugin/runtime/secret-box.ts).
 */
import type { Knex } from 'knex';
import { exactStrings, type Migration } from './migration.ts';

export const providers: Migration = {
  name: '007_providers',
  async up(db: Knex, p: string) {
    await db.schema.createTable(`${p}providers`, (t) => {
      exactStrings(db, t);
      t.string('id', 191).primary();
      t.string('type', 8).notNullable();
      t.text('config').notNullable();
      t.text('secrets').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
  },
  async down(db: Knex, p: string) {
    await db.schema.dropTableIfExists(`${p}providers`);
  },
};
