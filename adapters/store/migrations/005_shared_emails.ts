/**
 * Emails are not unique (RFC 7643: `userName` is a User's only unique attribute): several users
 * may share an address, as IdPs provision them (a shared mailbox, an alias on two accounts). The
 * unique index on `users.email` becomes a plain one, still serving the lookup by email; a login
 * matched by an email that several users hold is refused (plugin/provisioning/match-email.ts).
 */
import type { Knex } from 'knex';
import type { Migration } from './migration.ts';

export const sharedEmails: Migration = {
  name: '005_shared_emails',
  async up(db: Knex, p: string) {
    // The plain index first, so the column is never without one.
    await db.schema.alterTable(`${p}users`, (t) => {
      t.index(['email'], `${p}users_email_index`);
    });
    await db.schema.alterTable(`${p}users`, (t) => {
      t.dropUnique(['email'], `${p}users_email_unique`);
    });
  },
  async down(db: Knex, p: string) {
    // Fails while two users share an email: they must be told apart by hand first.
    await db.schema.alterTable(`${p}users`, (t) => {
      t.unique(['email'], { indexName: `${p}users_email_unique` });
    });
    await db.schema.alterTable(`${p}users`, (t) => {
      t.dropIndex(['email'], `${p}users_email_index`);
    });
  },
};
