/**
 * Migrations ship as code, through a knex migration source with its own migration table,
 * so they never mix with the host application's migrations. Each feature adds one file here.
 */
import type { Knex } from 'knex';
import { core } from './001_core.ts';
import { webhooks } from './003_webhooks.ts';

export interface Migration {
  name: string;
  up(db: Knex, prefix: string): Promise<void>;
  down(db: Knex, prefix: string): Promise<void>;
}

export const MIGRATIONS: Migration[] = [core, webhooks];

export function migrationSource(prefix: string, migrations: Migration[] = MIGRATIONS): Knex.MigrationSource<Migration> {
  return {
    getMigrations: async () => migrations,
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: (db: Knex) => m.up(db, prefix), down: (db: Knex) => m.down(db, prefix) }),
  };
}
