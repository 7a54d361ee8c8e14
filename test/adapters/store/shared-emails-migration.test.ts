/**
 * 005_shared_emails on a database that already holds users: the upgrade keeps them, lets a
 * second user take an email another holds, keeps the email lookup indexed, and rolls back while
 * no email is shared.
 */
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, MIGRATION_TABLE } from '../../../adapters/store/database.ts';
import { MIGRATIONS, migrationSource } from '../../../adapters/store/migrations/index.ts';
import { createTestDatabase, DB_KINDS } from '../../support/db.ts';

const user = (id: string, email: string) => ({ id, email, status: 'active', instance_admin: false, created_at: 1, updated_at: 1, version: 1 });

describe.each(DB_KINDS)('005_shared_emails on %s', (kind) => {
  it('upgrades a populated 004 database; two users may then share an email; rolls back', async () => {
    const db = await createTestDatabase(kind);
    const knex = openDatabase(db.config);
    try {
      const before = MIGRATIONS.filter((m) => m.name !== '005_shared_emails');
      await migrate(knex, 'gh_', before);
      await knex('gh_users').insert(user('u1', 'same@example.com'));
      await expect(knex('gh_users').insert(user('u2', 'same@example.com'))).rejects.toThrow();

      expect(await migrate(knex, 'gh_')).toEqual(['005_shared_emails']);
      expect(await knex('gh_users').where({ email: 'same@example.com' }).pluck('id')).toEqual(['u1']);
      await knex('gh_users').insert(user('u2', 'same@example.com'));
      expect(await knex('gh_users').where({ email: 'same@example.com' }).orderBy('id').pluck('id')).toEqual(['u1', 'u2']);

      await knex('gh_users').where({ id: 'u2' }).delete();
      await knex.migrate.rollback({ migrationSource: migrationSource('gh_'), tableName: `gh_${MIGRATION_TABLE}` });
      await expect(knex('gh_users').insert(user('u3', 'same@example.com'))).rejects.toThrow();
    } finally {
      await knex.destroy();
      await db.drop();
    }
  });
});
