/**
 * Directory event subscriptions: the event types (JSON list) an endpoint receives besides its
 * login trigger. Existing endpoints subscribe to none, so they send what they sent before.
 */
import type { Knex } from 'knex';
import type { Migration } from './migration.ts';

export const webhookEvents: Migration = {
  name: '008_webhook_events',
  async up(db: Knex, p: string) {
    // A varchar, not text: MySQL gives a text column no default. Twelve types fit in 512.
    await db.schema.alterTable(`${p}webhook_endpoints`, (t) => {
      t.string('events', 512).notNullable().defaultTo('[]');
    });
  },
  async down(db: Knex, p: string) {
    await db.schema.alterTable(`${p}webhook_endpoints`, (t) => {
      t.dropColumn('events');
    });
  },
};
