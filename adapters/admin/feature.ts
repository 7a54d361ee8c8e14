/**
 * The admin API as a gateway feature: mounts `/admin/api` with the webhook service of the
 * webhooks feature and a catalog writer over the knex store.
 */
import { createAdminRouter } from '../../plugin/admin/router.ts';
import type { ResolvedConfig } from '../../plugin/config/schema.ts';
import type { WebhookService } from '../../plugin/webhooks/service.ts';
import type { Feature } from '../features.ts';
import type { KnexStore } from '../store/knex-store.ts';

export function adminFeature(_config: ResolvedConfig, store: KnexStore, deps: { webhooks?: WebhookService | undefined } = {}): Feature {
  return {
    name: 'admin',
    routers: [
      (ctx) =>
        createAdminRouter(ctx, {
          webhooks: deps.webhooks,
          catalog: { upsertOrganization: (org) => store.seedOrganizations([org]) },
        }),
    ],
  };
}
