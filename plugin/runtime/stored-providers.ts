/**
 * A run-time provider between its config shape and its database row: the secret fields are
 * sealed on the way in (secret-box.ts) and opened on the way out, and a secret left out of a
 * replacement keeps the stored one.
 */
import { providerSchema, type ProviderConfig } from '../config/schema.ts';
import type { StoredProviderRow } from './ports.ts';
import type { SecretBox } from './secret-box.ts';

/** The fields of a provider that are secrets: never returned, logged or audited. */
export const SECRET_FIELDS = { oidc: ['clientSecret'], saml: ['privateKey', 'decryptionKey'] } as const satisfies Record<ProviderConfig['type'], readonly string[]>;

const secretFieldsOf = (type: ProviderConfig['type']): readonly string[] => SECRET_FIELDS[type];
const sealContext = (id: string, field: string) => `provider:${id}:${field}`;

/** The provider without its secrets, and which of them are set (for API answers and audit rows). */
export function withoutSecrets(provider: ProviderConfig): { config: Record<string, unknown>; secrets: Record<string, { set: boolean }> } {
  const config: Record<string, unknown> = { ...provider };
  const secrets: Record<string, { set: boolean }> = {};
  for (const field of secretFieldsOf(provider.type)) {
    secrets[field] = { set: typeof config[field] === 'string' && config[field] !== '' };
    delete config[field];
  }
  return { config, secrets };
}

/**
 * The row to store for `provider`. A secret field it leaves out keeps the sealed value of
 * `previous` (same type only: an OIDC secret means nothing to a SAML provider).
 */
export function toRow(provider: ProviderConfig, box: SecretBox, at: number, previous: StoredProviderRow | null): StoredProviderRow {
  const { config } = withoutSecrets(provider);
  const secrets: Record<string, string> = {};
  const source = provider as Record<string, unknown>;
  for (const field of secretFieldsOf(provider.type)) {
    const value = source[field];
    if (typeof value === 'string' && value !== '') secrets[field] = box.seal(value, sealContext(provider.id, field));
    else if (previous?.type === provider.type && previous.secrets[field] !== undefined) secrets[field] = previous.secrets[field];
  }
  return { id: provider.id, type: provider.type, config, secrets, createdAt: previous?.createdAt ?? at, updatedAt: at };
}

/** The row's secrets opened (throws when their key is gone or a value was tampered with). */
export function openSecrets(row: StoredProviderRow, box: SecretBox): Record<string, string> {
  const opened: Record<string, string> = {};
  for (const [field, sealed] of Object.entries(row.secrets)) opened[field] = box.open(sealed, sealContext(row.id, field));
  return opened;
}

/** The provider's config with its secrets opened. */
export function fromRow(row: StoredProviderRow, box: SecretBox): ProviderConfig {
  return providerSchema.parse({ ...row.config, ...openSecrets(row, box), id: row.id, type: row.type });
}

/** The same row sealed again under the current key (rotation). */
export function resealed(row: StoredProviderRow, box: SecretBox): StoredProviderRow {
  const secrets: Record<string, string> = {};
  for (const [field, plain] of Object.entries(openSecrets(row, box))) secrets[field] = box.seal(plain, sealContext(row.id, field));
  return { ...row, secrets };
}
