/**
 * Core schema: organizations and their roles/groups, users, identities, memberships with
 * their source, allowlist overrides, runtime settings, sessions, audit log, SAML caches.
 * Times are epoch milliseconds (bigint) so every database compares them the same way.
 */
import type { Knex } from 'knex';
import { exactStrings, type Migration } from './migration.ts';

export const core: Migration = {
  name: '001_core',
  async up(db: Knex, p: string) {
    await db.schema.createTable(`${p}organizations`, (t) => {
      exactStrings(db, t);
      t.string('id', 191).primary();
      t.string('name', 255).nullable();
      t.bigInteger('created_at').notNullable();
    });
    await db.schema.createTable(`${p}roles`, (t) => {
      exactStrings(db, t);
      t.string('organization_id', 191).notNullable().references('id').inTable(`${p}organizations`).onDelete('CASCADE');
      t.string('name', 191).notNullable();
      t.primary(['organization_id', 'name']);
    });
    await db.schema.createTable(`${p}groups`, (t) => {
      exactStrings(db, t);
      t.string('organization_id', 191).notNullable().references('id').inTable(`${p}organizations`).onDelete('CASCADE');
      t.string('name', 191).notNullable();
      t.primary(['organization_id', 'name']);
    });
    await db.schema.createTable(`${p}users`, (t) => {
      exactStrings(db, t);
      t.string('id', 64).primary();
      t.string('email', 320).nullable().unique();
      t.string('email_original', 320).nullable();
      t.string('user_name', 320).nullable().unique();
      t.string('external_id', 255).nullable().index();
      t.string('given_name', 255).nullable();
      t.string('family_name', 255).nullable();
      t.string('display_name', 255).nullable();
      t.string('status', 32).notNullable().index();
      t.boolean('instance_admin').notNullable().defaultTo(false);
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.integer('version').notNullable().defaultTo(1);
    });
    await db.schema.createTable(`${p}identities`, (t) => {
      exactStrings(db, t);
      t.string('id', 64).primary();
      t.string('user_id', 64).notNullable().references('id').inTable(`${p}users`).onDelete('CASCADE');
      t.string('provider', 191).notNullable();
      t.string('subject', 255).notNullable();
      t.string('email', 320).nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('last_login_at').nullable();
      // The last normalized claims, so an approval out of the waiting room can provision at once.
      t.text('last_claims').nullable();
      t.unique(['provider', 'subject']);
      t.index(['user_id']);
    });
    await db.schema.createTable(`${p}memberships`, (t) => {
      exactStrings(db, t);
      t.string('id', 64).primary();
      t.string('user_id', 64).notNullable().references('id').inTable(`${p}users`).onDelete('CASCADE');
      t.string('organization_id', 191).notNullable().references('id').inTable(`${p}organizations`).onDelete('CASCADE');
      t.string('kind', 8).notNullable();
      t.string('name', 191).notNullable();
      t.string('source', 16).notNullable();
      t.string('mapper', 64).nullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['user_id', 'organization_id', 'kind', 'name', 'source']);
    });
    await db.schema.createTable(`${p}allowlist`, (t) => {
      exactStrings(db, t);
      t.string('id', 64).primary();
      t.string('entry', 320).notNullable().unique();
      t.string('created_by', 255).nullable();
      t.bigInteger('created_at').notNullable();
    });
    await db.schema.createTable(`${p}settings`, (t) => {
      exactStrings(db, t);
      t.string('key', 191).primary();
      t.text('value').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable(`${p}sessions`, (t) => {
      exactStrings(db, t);
      t.string('sid', 191).primary();
      t.text('sess').notNullable();
      t.string('user_id', 64).nullable().index();
      t.bigInteger('expires_at').notNullable().index();
    });
    await db.schema.createTable(`${p}audit`, (t) => {
      exactStrings(db, t);
      t.bigIncrements('id').primary();
      t.bigInteger('at').notNullable().index();
      t.string('action', 64).notNullable().index();
      t.string('outcome', 64).nullable();
      t.string('actor', 255).nullable().index();
      t.string('provider', 191).nullable();
      t.string('subject', 255).nullable();
      t.string('user_id', 64).nullable().index();
      t.text('reason').nullable();
      t.text('details').nullable();
    });
    await db.schema.createTable(`${p}api_tokens`, (t) => {
      exactStrings(db, t);
      t.string('id', 64).primary();
      t.string('kind', 16).notNullable();
      t.string('name', 191).notNullable();
      t.string('hash', 64).notNullable().unique();
      t.string('hint', 32).notNullable();
      t.string('provider', 191).nullable();
      t.string('created_by', 255).nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('last_used_at').nullable();
      t.bigInteger('revoked_at').nullable();
      t.index(['kind', 'created_at']);
    });
    await db.schema.createTable(`${p}saml_requests`, (t) => {
      exactStrings(db, t);
      t.string('provider', 191).notNullable();
      t.string('request_id', 191).notNullable();
      t.bigInteger('expires_at').notNullable().index();
      t.primary(['provider', 'request_id']);
    });
    await db.schema.createTable(`${p}saml_assertions`, (t) => {
      exactStrings(db, t);
      t.string('provider', 191).notNullable();
      t.string('assertion_id', 191).notNullable();
      t.bigInteger('expires_at').notNullable().index();
      t.primary(['provider', 'assertion_id']);
    });
  },
  async down(db: Knex, p: string) {
    for (const name of [
      'saml_assertions',
      'saml_requests',
      'api_tokens',
      'audit',
      'sessions',
      'settings',
      'allowlist',
      'memberships',
      'identities',
      'users',
      'groups',
      'roles',
      'organizations',
    ]) {
      await db.schema.dropTableIfExists(`${p}${name}`);
    }
  },
};
