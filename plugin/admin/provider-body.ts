/**
 * The body of `POST|PUT /admin/api/providers[/{id}]`: the config file's provider shape, checked
 * by the same zod schema. What `GET` answers can be sent back as it is: its read-only fields
 * are dropped, and a secret shown as `{"set": true}` keeps the stored value.
 */
import type { ProviderRuntime } from '../context.ts';
import type { IdpMetadataSource } from '../ports.ts';
import type { SamlMetadataReader } from './probe.ts';
import { invalidField } from './validation.ts';
import { SECRET_FIELDS, withoutSecrets } from '../runtime/stored-providers.ts';

/** Fields a provider's view adds to the config shape (never part of a saved provider). */
const READ_ONLY = ['source', 'configuredFirstLoginPolicy', 'createdAt', 'updatedAt', 'metadataStatus'] as const;

function prepareProviderBody(raw: unknown, params: Record<string, string>): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const body: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const key of READ_ONLY) delete body[key];
  // The view shows unset optional fields as null; the schema knows no null.
  for (const [key, value] of Object.entries(body)) if (value === null) delete body[key];
  for (const field of Object.values(SECRET_FIELDS).flat()) if (body[field] !== undefined && typeof body[field] !== 'string') delete body[field];
  if (params.id !== undefined && body.id === undefined) body.id = params.id;
  return body;
}

/** How a provider's IdP metadata (`metadataUrl`) stands on this instance; null without one. */
function metadataStatus(source: IdpMetadataSource | undefined): Record<string, unknown> | null {
  if (!source) return null;
  const s = source.state();
  return {
    url: s.url,
    lastRefreshedAt: s.lastRefreshedAtMs === null ? null : new Date(s.lastRefreshedAtMs).toISOString(),
    lastError: s.lastError,
    certificates: s.certificates.map(({ subject, notAfter }) => ({ subject, notAfter })),
  };
}

/** A provider as the API shows it: its config without secrets, which secrets are set, where it is defined. */
export function providerView(p: ProviderRuntime, firstLoginPolicy: string, times: { createdAt: number; updatedAt: number } | null): Record<string, unknown> {
  const { config, secrets } = withoutSecrets(p.config);
  return {
    ...config,
    ...secrets,
    source: p.source,
    firstLoginPolicy,
    configuredFirstLoginPolicy: p.config.firstLoginPolicy,
    displayName: p.config.displayName ?? null,
    organization: p.config.organization ?? null,
    metadataStatus: metadataStatus(p.adapter.idpMetadata),
    ...(times ? { createdAt: new Date(times.createdAt).toISOString(), updatedAt: new Date(times.updatedAt).toISOString() } : {}),
  };
}

/** The config keys two versions of a provider differ in (audit rows name them, never their values). */
export function changedKeys(before: object | null, after: object): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

const METADATA_FIELDS = ['entryPoint', 'idpIssuer', 'idpCert'] as const;

/**
 * `prepareProviderBody`, then for a SAML body with `metadataUrl`: entryPoint, idpIssuer and
 * idpCert left out are read from the IdP's metadata (fetched under the private-network guard).
 */
export function providerBodyPreparer(reader: SamlMetadataReader | undefined) {
  return async (raw: unknown, params: Record<string, string>): Promise<unknown> => {
    const body = prepareProviderBody(raw, params) as Record<string, unknown>;
    if (!reader || typeof body !== 'object' || body === null || body.type !== 'saml' || typeof body.metadataUrl !== 'string') return body;
    if (METADATA_FIELDS.every((f) => body[f] !== undefined)) return body;
    let facts;
    try {
      facts = await reader(body.metadataUrl, body.allowPrivateNetwork === true);
    } catch (e) {
      const message = `the IdP metadata could not be read: ${e instanceof Error ? e.message : String(e)}`;
      throw invalidField('metadataUrl', message);
    }
    const found = { entryPoint: facts.ssoUrl ?? undefined, idpIssuer: facts.entityId ?? undefined, idpCert: facts.signingCertificates.length ? facts.signingCertificates : undefined };
    const filled = { ...body };
    for (const f of METADATA_FIELDS) if (filled[f] === undefined && found[f] !== undefined) filled[f] = found[f];
    return filled;
  };
}
