/**
 * Webhooks: endpoints, the outbox (one row per delivery, written in the login transaction)
 * and the attempt log. Times are epoch milliseconds (bigint).
 */
import type { Knex } from 'knex';
import type { Migration } from './migration.ts';

export const webhooks: Migration = {
  name: '003_webhooks',
  async up(db: Knex, p: string) {
    await db.schema.createTable(`${p}webhook_endpoints`, (t) => {
      t.string('id', 64).primary();
      t.text('url').notNullable();
      t.text('secret').notNullable();
      t.text('previous_secret').nullable();
      t.bigInteger('previous_secret_expires_at').nullable();
      t.string('trigger', 40).notNullable();
      t.text('fields').notNullable();
      t.text('payload').notNullable();
      t.boolean('allow_private_network').notNullable().defaultTo(false);
      t.string('source', 16).notNullable();
      t.bigInteger('disabled_at').nullable();
      t.string('disabled_reason', 255).nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable(`${p}webhook_events`, (t) => {
      // seq orders the delivery log and pages it; id is the webhook-id sent to receivers.
      t.bigIncrements('seq').primary();
      t.string('id', 64).notNullable().unique();
      t.string('endpoint_id', 64).notNullable().references('id').inTable(`${p}webhook_endpoints`).onDelete('CASCADE');
      t.string('type', 40).notNullable();
      t.text('body').notNullable();
      t.string('user_id', 64).nullable();
      t.string('status', 16).notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      t.integer('round_start').notNullable().defaultTo(0);
      t.bigInteger('next_attempt_at').notNullable();
      t.string('lease_owner', 128).nullable();
      t.bigInteger('lease_until').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('delivered_at').nullable();
      t.text('last_error').nullable();
      t.index(['status', 'next_attempt_at']);
      t.index(['endpoint_id', 'seq']);
    });
    await db.schema.createTable(`${p}webhook_attempts`, (t) => {
      t.bigIncrements('id').primary();
      t.string('event_id', 64).notNullable().references('id').inTable(`${p}webhook_events`).onDelete('CASCADE');
      t.string('endpoint_id', 64).notNullable();
      t.integer('attempt').notNullable();
      t.bigInteger('started_at').notNullable();
      t.integer('duration_ms').notNullable();
      t.integer('status_code').nullable();
      t.string('outcome', 24).notNullable();
      t.text('error').nullable();
      t.text('response_excerpt').nullable();
      t.bigInteger('next_attempt_at').nullable();
      t.index(['event_id', 'attempt']);
    });
  },
  async down(db: Knex, p: string) {
    for (const name of ['webhook_attempts', 'webhook_events', 'webhook_endpoints']) await db.schema.dropTableIfExists(`${p}${name}`);
  },
};
