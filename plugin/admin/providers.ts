/**
 * Identity providers managed at run time. A change is checked as the config file is at start
 * (the same schema, the same mapping engines, the same IdP adapter checks) against everything
 * else in force, then stored with its secrets sealed, audited without them, and announced to
 * every instance (runtime.changed). Config-file providers are read-only here.
 */
import type { ProviderConfig } from '../config/schema.ts';
import { discoverableOnlyProblem, findDomainClash } from '../config/domains.ts';
import type { GatehouseContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import { effectivePolicy } from '../login/gate.ts';
import type { ProviderStore } from '../runtime/ports.ts';
import type { SecretBox } from '../runtime/secret-box.ts';
import type { SnapshotParts } from '../runtime/snapshot.ts';
import { fromRow, openSecrets, SECRET_FIELDS, toRow } from '../runtime/stored-providers.ts';
import { changedKeys, providerView } from './provider-body.ts';
import { fieldError, invalidField } from './validation.ts';

/** What the provider routes need beyond the context. */
export interface RuntimeProviders {
  store: ProviderStore;
  box: SecretBox;
}

export async function listProviders(ctx: GatehouseContext, deps: RuntimeProviders | undefined): Promise<Record<string, unknown>[]> {
  const rows = new Map(((await deps?.store.listProviders()) ?? []).map((r) => [r.id, r]));
  const out = [];
  for (const p of ctx.runtime.current().providers.values()) {
    out.push(providerView(p, await effectivePolicy(ctx.store, p.config.id, p.config.firstLoginPolicy), rows.get(p.config.id) ?? null));
  }
  return out;
}

export async function getProvider(ctx: GatehouseContext, deps: RuntimeProviders | undefined, id: string): Promise<Record<string, unknown>> {
  const p = ctx.runtime.current().providers.get(id);
  if (!p) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${id}"`);
  const row = p.source === 'database' ? await deps?.store.getProvider(id) : null;
  return providerView(p, await effectivePolicy(ctx.store, id, p.config.firstLoginPolicy), row ?? null);
}

/**
 * The config file may name PEM files by path; a body sent over HTTP may not: reading the
 * server's files on an API caller's say-so would let it probe them (and the errors say which exist).
 */
function refuseFilePaths(p: ProviderConfig): void {
  if (p.type !== 'saml') return;
  const isPem = (v: string) => v.includes('-----BEGIN') || /^[A-Za-z0-9+/\s]{64,}={0,2}\s*$/.test(v);
  const certs = Array.isArray(p.idpCert) ? p.idpCert.map((v, i) => [`idpCert[${i}]`, v] as const) : [['idpCert', p.idpCert] as const];
  const keyed = [...certs, ...(['privateKey', 'publicCert', 'decryptionKey', 'decryptionCert'] as const).map((f) => [f, p[f]] as const)];
  for (const [field, value] of keyed) {
    if (value !== undefined && !isPem(value)) throw invalidField(field, 'must be PEM here (file paths are for the config file only)');
  }
}

/** Checks `candidate` against everything in force (throws a 400 naming the field). */
async function checked(ctx: GatehouseContext, candidate: ProviderConfig, replace: boolean): Promise<void> {
  refuseFilePaths(candidate);
  const current = ctx.runtime.current().providers;
  const others = [...current.values()].map((p) => p.config).filter((p) => p.id !== candidate.id);
  const offChooser = discoverableOnlyProblem(candidate);
  if (offChooser) throw invalidField('discoverableOnly', offChooser);
  // The candidate comes last, so a domain it shares with another provider is reported at its own index.
  const clash = findDomainClash([...others, candidate]);
  const own = `providers[${others.length}].`;
  if (clash?.path.startsWith(own)) throw invalidField(clash.path.slice(own.length), clash.message);
  let prefix: string | null = null;
  const edit = (parts: SnapshotParts): SnapshotParts => {
    const stored = replace ? parts.stored.map((p) => (p.id === candidate.id ? candidate : p)) : [...parts.stored, candidate];
    prefix = `providers[${ctx.config.providers.length + stored.findIndex((p) => p.id === candidate.id)}]`;
    return { ...parts, stored };
  };
  try {
    await ctx.runtime.trial(edit);
  } catch (e) {
    throw fieldError(e, prefix);
  }
}

function secretsSet(p: ProviderConfig): string[] {
  const source = p as Record<string, unknown>;
  return SECRET_FIELDS[p.type].filter((f) => typeof source[f] === 'string' && source[f] !== '');
}

export async function createProvider(ctx: GatehouseContext, deps: RuntimeProviders, body: ProviderConfig, actor: string): Promise<Record<string, unknown>> {
  if (ctx.runtime.current().providers.has(body.id) || (await deps.store.getProvider(body.id))) {
    throw new GatehouseError('ERR_CONFLICT', `provider "${body.id}" exists`);
  }
  await checked(ctx, body, false);
  const row = toRow(body, deps.box, ctx.now(), null);
  if (!(await deps.store.insertProvider(row))) throw new GatehouseError('ERR_CONFLICT', `provider "${body.id}" exists`);
  await ctx.store.audit({ action: 'provider.create', actor, provider: body.id, details: { type: body.type, fields: changedKeys(null, body), secretsSet: secretsSet(body) } });
  await ctx.runtime.changed();
  return getProvider(ctx, deps, body.id);
}

/** The stored provider `id`, or 409 for a config-file one and 404 for an unknown one. */
async function storedOr409(ctx: GatehouseContext, deps: RuntimeProviders, id: string) {
  const live = ctx.runtime.current().providers.get(id);
  if (live?.source === 'config') throw new GatehouseError('ERR_CONFLICT', `provider "${id}" is defined in the config file (read-only here; only its policy can be set)`);
  const row = await deps.store.getProvider(id);
  if (!row) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${id}"`);
  return { row, before: live?.config ?? null };
}

export async function replaceProvider(ctx: GatehouseContext, deps: RuntimeProviders, id: string, body: ProviderConfig, actor: string): Promise<Record<string, unknown>> {
  if (body.id !== id) throw invalidField('id', `"${body.id}" differs from the path's "${id}" (an id cannot change)`);
  const { row: previous, before } = await storedOr409(ctx, deps, id);
  const row = toRow(body, deps.box, ctx.now(), previous);
  // The check runs on the provider as it will be, with a kept secret in place (and opened).
  const kept = openSecrets(row, deps.box);
  await checked(ctx, { ...body, ...kept } as ProviderConfig, true);
  if (!(await deps.store.updateProvider(row))) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${id}"`);
  await ctx.store.audit({ action: 'provider.update', actor, provider: id, details: { type: body.type, fields: before ? changedKeys(before, { ...body, ...kept } as ProviderConfig) : [], secretsSet: secretsSet(body) } });
  await ctx.runtime.changed();
  return getProvider(ctx, deps, id);
}

export async function deleteProvider(ctx: GatehouseContext, deps: RuntimeProviders, id: string, actor: string): Promise<void> {
  // A stored row shadowed by a config-file provider of the same id can still be deleted.
  if (!(await deps.store.getProvider(id))) await storedOr409(ctx, deps, id);
  if (!(await deps.store.deleteProvider(id))) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${id}"`);
  await ctx.store.audit({ action: 'provider.delete', actor, provider: id });
  await ctx.runtime.changed();
}

/** Turns a run-time provider on or off (its stored settings otherwise unchanged). */
export async function setProviderEnabled(ctx: GatehouseContext, deps: RuntimeProviders, id: string, enabled: boolean, actor: string): Promise<Record<string, unknown>> {
  const { row } = await storedOr409(ctx, deps, id);
  const config = fromRow(row, deps.box);
  if (config.enabled !== enabled) {
    if (!(await deps.store.updateProvider(toRow({ ...config, enabled }, deps.box, ctx.now(), row)))) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${id}"`);
    await ctx.store.audit({ action: enabled ? 'provider.enable' : 'provider.disable', actor, provider: id });
    await ctx.runtime.changed();
  }
  return getProvider(ctx, deps, id);
}
