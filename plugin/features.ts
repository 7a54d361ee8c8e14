/**
 * Optional features (webhooks, admin API, admin console, SCIM) are assembled here, inside the
 * plugin, over the ports the adapters build: each contributes routers built from the context,
 * stateless APIs answered before sessions, login hooks that run inside the login transaction,
 * and background work. A new feature is one module plus one line in `featuresFor`.
 */
import { createAdminRouter } from './admin/router.ts';
import type { CatalogWriter } from './admin/catalog.ts';
import type { ProviderProbe, SamlMetadataReader } from './admin/probe.ts';
import type { RuntimeProviders } from './admin/providers.ts';
import type { ResolvedConfig } from './config/schema.ts';
import { createConsoleRouter } from './console/router.ts';
import type { Feature } from './feature.ts';
import { scimFeature } from './scim/feature.ts';
import type { ScimStore } from './scim/ports.ts';
import type { AuditEntry } from './types.ts';
import { webhooksFeature, type WebhooksFeatureOptions } from './webhooks/feature.ts';
import type { WebhookStore } from './webhooks/ports.ts';

/** The ports the features need beyond the core store. */
export interface FeaturePorts {
  /** Webhook endpoints, outbox and deliveries. */
  webhooks: WebhookStore;
  /** SCIM users and groups (absent: no SCIM, whatever `scim.enabled` says). */
  scim?: ScimStore | undefined;
  /** Creates organizations, roles and groups at run time. */
  catalog: CatalogWriter;
  /** Writes one audit row outside any transaction. */
  audit(entry: AuditEntry): Promise<void>;
  /** Webhook delivery overrides (tests inject misbehaving peers). */
  webhookOptions?: WebhooksFeatureOptions | undefined;
  /** Providers managed at run time and the box that seals their secrets. */
  providers?: RuntimeProviders | undefined;
  /** "Test connection" of a provider (OIDC discovery, SAML metadata). */
  probe?: ProviderProbe | undefined;
  /** Reads SAML IdP metadata for providers saved with `metadataUrl`. */
  samlMetadata?: SamlMetadataReader | undefined;
}

/** Every feature, in mounting order. */
export function featuresFor(config: ResolvedConfig, ports: FeaturePorts): Feature[] {
  const webhooks = webhooksFeature(config, ports.webhooks, ports.audit, ports.webhookOptions);
  const deps = { webhooks: webhooks.service, catalog: ports.catalog, providers: ports.providers, probe: ports.probe, samlMetadata: ports.samlMetadata };
  const admin: Feature = { name: 'admin', adminApi: [(ctx) => createAdminRouter(ctx, deps)], console: [(ctx) => createConsoleRouter(ctx, deps)] };
  return [webhooks, admin, scimFeature(config, ports.scim)];
}
