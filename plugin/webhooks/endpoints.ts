/**
 * Endpoints from the config file: validated at start (a bad secret or field fails fast with its
 * key path), then upserted under a stable id (explicit `id`, else derived from the URL). A
 * changed secret starts a rotation: the old one keeps signing for `secretOverlapMs`.
 */
import { createHash } from 'node:crypto';
import type { WebhookConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import { isOptionalField, OPTIONAL_FIELDS } from './payload.ts';
import type { EndpointPatch, WebhookEndpoint, WebhookStore } from './ports.ts';
import { secretProblem } from './signing.ts';

/** Stable id of a config endpoint without an explicit `id`. */
export function configEndpointId(url: string): string {
  return `cfg_${createHash('sha256').update(url, 'utf8').digest('hex').slice(0, 16)}`;
}

export function urlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be http(s)';
  if (u.username || u.password) return 'must not carry credentials';
  return null;
}

export type ConfigEndpoint = Omit<WebhookEndpoint, 'previousSecret' | 'previousSecretExpiresAt' | 'disabledAt' | 'disabledReason' | 'createdAt' | 'updatedAt'>;

/**
 * Validates the `webhooks:` list; throws ConfigError naming the key path. An endpoint may be
 * attached to providers of the file (`providerIds`) only: run-time ones come and go.
 */
export function resolveConfigEndpoints(list: readonly WebhookConfig[], providerIds: readonly string[]): ConfigEndpoint[] {
  const seen = new Set<string>();
  return list.map((w, i) => {
    const at = (key: string) => `webhooks[${i}].${key}`;
    const badUrl = urlProblem(w.url);
    if (badUrl) throw new ConfigError(at('url'), badUrl);
    const badSecret = secretProblem(w.secret);
    if (badSecret) throw new ConfigError(at('secret'), badSecret);
    w.providers.forEach((p, j) => {
      if (!providerIds.includes(p)) throw new ConfigError(`${at('providers')}[${j}]`, `no provider "${p}" in the config file (providers: ${providerIds.join(', ') || 'none'})`);
    });
    w.fields.forEach((f, j) => {
      if (!isOptionalField(f)) throw new ConfigError(`${at('fields')}[${j}]`, `unknown field "${f}" (expected one of ${OPTIONAL_FIELDS.join(', ')})`);
    });
    const id = w.id ?? configEndpointId(w.url);
    if (seen.has(id)) throw new ConfigError(at(w.id ? 'id' : 'url'), `duplicate webhook endpoint "${id}" (give each an explicit id)`);
    seen.add(id);
    return {
      id,
      url: w.url,
      secret: w.secret,
      trigger: w.trigger,
      events: [...new Set(w.events)],
      providers: [...new Set(w.providers)],
      fields: [...new Set(w.fields)],
      payload: { ...w.payload },
      allowPrivateNetwork: w.allowPrivateNetwork,
      source: 'config' as const,
    };
  });
}

/**
 * Upserts config endpoints; config endpoints that left the file are disabled (their delivery
 * log stays). Returns the ids written. Safe to run from several instances at once.
 */
export async function syncConfigEndpoints(store: WebhookStore, endpoints: ConfigEndpoint[], now: number, overlapMs: number): Promise<string[]> {
  const ids = new Set(endpoints.map((e) => e.id));
  for (const e of endpoints) {
    const inserted = await store.insertEndpoint({
      ...e,
      previousSecret: null,
      previousSecretExpiresAt: null,
      disabledAt: null,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
    });
    if (inserted) continue;
    const current = await store.getEndpoint(e.id);
    if (!current) continue;
    const patch: EndpointPatch = {
      url: e.url,
      trigger: e.trigger,
      events: e.events,
      providers: e.providers,
      fields: e.fields,
      payload: e.payload,
      allowPrivateNetwork: e.allowPrivateNetwork,
    };
    if (current.secret !== e.secret) {
      patch.secret = e.secret;
      patch.previousSecret = current.secret;
      patch.previousSecretExpiresAt = now + overlapMs;
    }
    // Back in the file after a removal: enabled again. A 410 from the receiver stays until an admin re-enables it.
    if (current.disabledReason === REMOVED_FROM_CONFIG) {
      patch.disabledAt = null;
      patch.disabledReason = null;
    }
    await store.updateEndpoint(e.id, patch, now);
  }
  for (const existing of await store.listEndpoints()) {
    if (existing.source === 'config' && !ids.has(existing.id) && existing.disabledAt === null) {
      await store.updateEndpoint(existing.id, { disabledAt: now, disabledReason: REMOVED_FROM_CONFIG }, now);
    }
  }
  return [...ids];
}

export const REMOVED_FROM_CONFIG = 'removed from the config file';
