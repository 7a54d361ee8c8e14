/**
 * Migrations ship as code, through a knex migration source with its own migration table,
 * so they never mix with the host application's migrations. Each feature adds one file here.
 */
import type { Knex } from 'knex';
import { core } from './001_core.ts';
import { scim } from './002_scim.ts';
import { webhooks } from './003_webhooks.ts';
import { scimPaging } from './004_scim_paging.ts';
import { sharedEmails } from './005_shared_emails.ts';
import { dialectOf } from '../dialect.ts';

/**
 * On MySQL/MariaDB, makes a table compare strings byte for byte (utf8mb4_bin), as SQLite and
 * PostgreSQL do: role names match exactly, and `Admin` and `admin` are two roles. No-op elsewhere.
 */
export function exactStrings(db: Knex, t: Knex.CreateTableBuilder): void {
  if (dialectOf(db) === 'mysql') {
    t.charset('utf8mb4');
    t.collate('utf8mb4_bin');
  }
}

export interface Migration {
  name: string;
  up(db: Knex, prefix: string): Promise<void>;
  down(db: Knex, prefix: string): Promise<void>;
}

export const MIGRATIONS: Migration[] = [core, scim, webhooks, scimPaging, sharedEmails];

export function migrationSource(prefix: string, migrations: Migration[] = MIGRATIONS): Knex.MigrationSource<Migration> {
  return {
    getMigrations: async () => migrations,
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: (db: Knex) => m.up(db, prefix), down: (db: Knex) => m.down(db, prefix) }),
  };
}
