/**
 * What the run-time state needs from the outside: an IdP adapter per provider (openid-client,
 * node-saml live in adapters/) and the providers stored in the database.
 */
import type { ProviderConfig } from '../config/schema.ts';
import type { IdpAdapter } from '../ports.ts';

/**
 * Builds the IdP adapter of one provider. Config errors name `keyPath` (`providers[2]`), as the
 * config file's do; no network I/O happens here (OIDC discovery waits for the first login).
 */
export type IdpFactory = (provider: ProviderConfig, keyPath: string) => IdpAdapter;

/** One provider row as the database holds it: the config without its secrets, and the secrets sealed. */
export interface StoredProviderRow {
  id: string;
  type: 'oidc' | 'saml';
  /** The provider's config (the config file's shape) with every secret field left out. */
  config: Record<string, unknown>;
  /** Secret field -> ciphertext (secret-box.ts); never plaintext. */
  secrets: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

/** Providers managed at run time (admin API); config-file providers never reach this store. */
export interface ProviderStore {
  listProviders(): Promise<StoredProviderRow[]>;
  getProvider(id: string): Promise<StoredProviderRow | null>;
  /** Inserts; false when a provider with that id is stored already. */
  insertProvider(row: StoredProviderRow): Promise<boolean>;
  /** Replaces config and secrets; false when there is no such row. */
  updateProvider(row: StoredProviderRow): Promise<boolean>;
  deleteProvider(id: string): Promise<boolean>;
}
