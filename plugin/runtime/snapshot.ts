/**
 * One consistent view of what can change at run time: the providers (config file and database),
 * the organization catalog, the global provisioning block and the mapping engines compiled over
 * them. A snapshot is never changed; the run-time state swaps it for a new one.
 */
import type { ProviderConfig, ProvisioningConfig, ResolvedConfig } from '../config/schema.ts';
import type { ProviderRuntime } from '../context.ts';
import { createClaimsNormalizer } from '../login/claims.ts';
import { catalogFrom, createMappingEngines, type MappingEngines, type OrgCatalog } from '../mapping/index.ts';
import type { IdpAdapter, OrganizationCatalogEntry } from '../ports.ts';
import type { IdpFactory } from './ports.ts';

export interface RuntimeSnapshot {
  /** The version setting this snapshot was read at (null before the first run-time change). */
  version: unknown;
  providers: ReadonlyMap<string, ProviderRuntime>;
  catalog: OrgCatalog;
  engines: MappingEngines;
  /** The global provisioning block in force: the one saved through the admin API, else the file's. */
  provisioning: ProvisioningConfig;
}

/** Everything a snapshot is made of, as read from the config and the store. */
export interface SnapshotParts {
  version: unknown;
  organizations: OrganizationCatalogEntry[];
  /** Providers managed at run time, secrets opened. */
  stored: ProviderConfig[];
  /** The global provisioning block saved at run time, or null for the file's. */
  provisioning: ProvisioningConfig | null;
}

/** The config as the mapping engines see it: the file's providers first, then the database's. */
export function effectiveConfig(config: ResolvedConfig, stored: readonly ProviderConfig[], provisioning: ProvisioningConfig | null): ResolvedConfig {
  return { ...config, providers: [...config.providers, ...stored], provisioning: provisioning ?? config.provisioning };
}

/**
 * Keeps each provider's adapter while its config stays the same, so that a reload does not
 * throw away OIDC discovery or SAML certificates that did not change.
 */
export class AdapterCache {
  readonly #entries = new Map<string, { json: string; adapter: IdpAdapter }>();
  readonly #factory: IdpFactory;

  constructor(factory: IdpFactory) {
    this.#factory = factory;
  }

  adapterFor(provider: ProviderConfig, keyPath: string): IdpAdapter {
    const json = JSON.stringify(provider);
    const cached = this.#entries.get(provider.id);
    if (cached?.json === json) return cached.adapter;
    const adapter = this.#factory(provider, keyPath);
    this.#entries.set(provider.id, { json, adapter });
    return adapter;
  }

  /** Forgets adapters of providers that are gone. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id);
  }
}

/** Builds one provider's runtime; config errors carry `providers[index]` key paths. */
export function providerRuntime(provider: ProviderConfig, index: number, source: ProviderRuntime['source'], adapters: AdapterCache): ProviderRuntime {
  return { config: provider, source, adapter: adapters.adapterFor(provider, `providers[${index}]`), normalize: createClaimsNormalizer(provider, index) };
}

/** Compiles a snapshot; throws ConfigError (with the effective config's key path) on anything invalid. */
export function buildSnapshot(config: ResolvedConfig, parts: SnapshotParts, adapters: AdapterCache): RuntimeSnapshot {
  const effective = effectiveConfig(config, parts.stored, parts.provisioning);
  const catalog = catalogFrom(parts.organizations);
  const engines = createMappingEngines(effective, catalog);
  const fileCount = config.providers.length;
  const providers = new Map<string, ProviderRuntime>();
  effective.providers.forEach((p, i) => providers.set(p.id, providerRuntime(p, i, i < fileCount ? 'config' : 'database', adapters)));
  adapters.retain(new Set(providers.keys()));
  return { version: parts.version, providers, catalog, engines, provisioning: effective.provisioning };
}
