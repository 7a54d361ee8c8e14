/**
 * The body of `POST|PUT /admin/api/providers[/{id}]`: the config file's provider shape, checked
 * by the same zod schema. What `GET` answers can be sent back as it is: its read-only fields
 * are dropped, and a secret shown as `{"set": true}` keeps the stored value.
 */
import type { ProviderRuntime } from '../context.ts';
import { SECRET_FIELDS, withoutSecrets } from '../runtime/stored-providers.ts';

/** Fields a provider's view adds to the config shape (never part of a saved provider). */
const READ_ONLY = ['source', 'configuredFirstLoginPolicy', 'createdAt', 'updatedAt'] as const;

export function prepareProviderBody(raw: unknown, params: Record<string, string>): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const body: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const key of READ_ONLY) delete body[key];
  // The view shows unset optional fields as null; the schema knows no null.
  for (const [key, value] of Object.entries(body)) if (value === null) delete body[key];
  for (const field of Object.values(SECRET_FIELDS).flat()) if (body[field] !== undefined && typeof body[field] !== 'string') delete body[field];
  if (params.id !== undefined && body.id === undefined) body.id = params.id;
  return body;
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
    ...(times ? { createdAt: new Date(times.createdAt).toISOString(), updatedAt: new Date(times.updatedAt).toISOString() } : {}),
  };
}

/** The config keys two versions of a provider differ in (audit rows name them, never their values). */
export function changedKeys(before: object | null, after: object): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}
