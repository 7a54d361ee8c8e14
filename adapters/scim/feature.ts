/**
 * SCIM 2.0 as a gateway feature: when `scim.enabled`, mounts the SCIM router at `scim.basePath`
 * over the knex SCIM store, and flushes the batched request audit on shutdown.
 */
import type { ResolvedConfig } from '../../plugin/config/schema.ts';
import { createScimAuditLog, createScimRouter, type ScimAuditLog } from '../../plugin/scim/index.ts';
import type { Feature } from '../features.ts';
import type { KnexStore } from '../store/knex-store.ts';
import { KnexScimStore } from '../store/scim-store.ts';

export function scimFeature(config: ResolvedConfig, store: KnexStore): Feature {
  if (!config.scim.enabled) return { name: 'scim' };
  const scim = new KnexScimStore(store);
  const logs: ScimAuditLog[] = [];
  return {
    name: 'scim',
    apis: [
      (ctx) => {
        const audit = createScimAuditLog(scim, ctx.logger);
        logs.push(audit);
        // SQLite's driver is synchronous: requests take turns (see createGate).
        return createScimRouter(ctx, { scim, audit, concurrency: config.database.client === 'sqlite3' ? 1 : undefined });
      },
    ],
    start: () => async () => {
      for (const log of logs) await log.close();
    },
  };
}
