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
import { idpLogouts } from './006_idp_logouts.ts';
import { providers } from './007_providers.ts';
import { webhookEvents } from './008_webhook_events.ts';
import { webhookProviders } from './009_webhook_providers.ts';
import type { Migration } from './migration.ts';

export type { Migration } from './migration.ts';

export const MIGRATIONS: Migration[] = [core, scim, webhooks, scimPaging, sharedEmails, idpLogouts, providers, webhookEvents, webhookProviders];

export function migrationSource(prefix: string, migrations: Migration[] = MIGRATIONS): Knex.MigrationSource<Migration> {
  return {
    getMigrations: async () => migrations,
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: (db: Knex) => m.up(db, prefix), down: (db: Knex) => m.down(db, prefix) }),
  };
}
