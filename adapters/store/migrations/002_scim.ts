/**
 * SCIM storage: the SCIM document and the filterable attributes beside the core user row, the
 * multi-valued emails in their own rows (indexed on the lower-cased value, so
 * `emails.value eq "..."` is an index lookup at 100k users), and SCIM Groups (the IdP's groups,
 * not organization groups) with their members.
 */
import type { Knex } from 'knex';
import { exactStrings, type Migration } from './migration.ts';

/** Filterable user attributes stored in their own columns (userName, externalId, names, email are core columns). */
export const SCIM_USER_COLUMNS = ['nick_name', 'title', 'user_type', 'employee_number', 'cost_center', 'organization', 'division', 'department', 'manager_id'] as const;

export const scim: Migration = {
  name: '002_scim',
  async up(db: Knex, p: string) {
    await db.schema.alterTable(`${p}users`, (t) => {
      // The SCIM attributes as last written (canonical names), JSON; null for users SCIM never wrote.
      t.text('scim').nullable();
      for (const c of SCIM_USER_COLUMNS) t.string(c, 255).nullable();
    });
    await db.schema.createTable(`${p}scim_emails`, (t) => {
      exactStrings(db, t);
      t.string('user_id', 64).notNullable().references('id').inTable(`${p}users`).onDelete('CASCADE');
      t.integer('position').notNullable();
      t.string('value', 320).notNullable();
      t.string('value_lower', 320).notNullable().index();
      t.string('type', 64).nullable();
      t.boolean('is_primary').notNullable().defaultTo(false);
      t.primary(['user_id', 'position']);
    });
    await db.schema.createTable(`${p}scim_groups`, (t) => {
      exactStrings(db, t);
      t.string('id', 64).primary();
      t.string('display_name', 255).notNullable();
      // Unique case-insensitively: the lower-cased name has the unique index (same on every database).
      t.string('display_name_lower', 255).notNullable().unique();
      t.string('external_id', 255).nullable().index();
      t.text('scim').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.integer('version').notNullable().defaultTo(1);
    });
    await db.schema.createTable(`${p}scim_group_members`, (t) => {
      exactStrings(db, t);
      t.string('group_id', 64).notNullable().references('id').inTable(`${p}scim_groups`).onDelete('CASCADE');
      t.string('user_id', 64).notNullable().references('id').inTable(`${p}users`).onDelete('CASCADE');
      t.primary(['group_id', 'user_id']);
      t.index(['user_id']);
    });
  },
  async down(db: Knex, p: string) {
    await db.schema.dropTableIfExists(`${p}scim_group_members`);
    await db.schema.dropTableIfExists(`${p}scim_groups`);
    await db.schema.dropTableIfExists(`${p}scim_emails`);
    await db.schema.alterTable(`${p}users`, (t) => {
      t.dropColumn('scim');
      for (const c of SCIM_USER_COLUMNS) t.dropColumn(c);
    });
  },
};
