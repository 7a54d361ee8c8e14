/**
 * The admin console as a gateway feature: mounts `/admin` (pages, assets) over the same admin
 * operations as the admin API, with the webhook service of the webhooks feature and a catalog
 * writer over the knex store.
 */
import type { ResolvedConfig } from '../../plugin/config/schema.ts';
import { createConsoleRouter } from '../../plugin/console/router.ts';
import type { WebhookService } from '../../plugin/webhooks/service.ts';
import type { Feature } from '../features.ts';
import type { KnexStore } from '../store/knex-store.ts';

export function consoleFeature(_config: ResolvedConfig, store: KnexStore, deps: { webhooks?: WebhookService | undefined } = {}): Feature {
  return {
    name: 'console',
    routers: [
      (ctx) =>
        createConsoleRouter(ctx, {
          webhooks: deps.webhooks,
          catalog: { upsertOrganization: (org) => store.seedOrganizations([org]) },
        }),
    ],
  };
}
