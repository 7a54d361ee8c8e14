/**
 * SCIM 2.0 as a feature: when `scim.enabled`, the SCIM handler for `scim.basePath` over the SCIM
 * store port, and the batched request audit flushed on shutdown.
 */
import type { ResolvedConfig } from '../config/schema.ts';
import type { Feature } from '../feature.ts';
import { createScimAuditLog, type ScimAuditLog } from './audit-log.ts';
import type { ScimStore } from './ports.ts';
import { createScimRouter } from './router.ts';

/** The SCIM feature, or an empty one when `scim.enabled` is false or no SCIM store was given. */
export function scimFeature(config: ResolvedConfig, scim: ScimStore | undefined): Feature {
  if (!config.scim.enabled || !scim) return { name: 'scim' };
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
