/**
 * Webhook endpoints attached to identity providers: the provider ids (JSON list) whose logins an
 * endpoint's trigger fires for. Null or empty: every provider, as before.
 */
import type { Knex } from 'knex';
import type { Migration } from './migration.ts';

export const webhookProviders: Migration = {
  name: '009_webhook_providers',
  async up(db: Knex, p: string) {
    await db.schema.alterTable(`${p}webhook_endpoints`, (t) => {
      t.text('providers').nullable();
    });
  },
  async down(db: Knex, p: string) {
    await db.schema.alterTable(`${p}webhook_endpoints`, (t) => {
      t.dropColumn('providers');
    });
  },
};
