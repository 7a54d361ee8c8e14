/**
 * The policy gate in front of provisioning: allowlist and the run-time FirstLoginPolicy.
 */
import type { ResolvedConfig } from '../config/schema.ts';
import { GatehouseError } from '../errors.ts';
import { mappingInput, type MappingEngine } from '../mapping/index.ts';
import type { StoreOps } from '../ports.ts';
import type { Claims, FirstLoginPolicy } from '../types.ts';

/** True when `email` matches an entry: an exact address or `@domain` (case-insensitive). */
export function matchesAllowlist(email: string, entries: readonly string[]): boolean {
  const e = email.toLowerCase();
  const at = e.lastIndexOf('@');
  const domain = at >= 0 ? e.slice(at) : null;
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === e) return true;
    if (domain !== null && entry.startsWith('@') && entry === domain) return true;
  }
  return false;
}

/** Throws ERR_NOT_ALLOWLISTED (403, with the operator's message) when the allowlist refuses. */
export async function checkAllowlist(
  allowlist: ResolvedConfig['allowlist'],
  email: string | null,
  store: Pick<StoreOps, 'listAllowlist'>,
): Promise<void> {
  if (!allowlist.enabled) return;
  if (email !== null) {
    if (matchesAllowlist(email, allowlist.entries)) return;
    if (allowlist.allowDbOverrides) {
      const rows = await store.listAllowlist();
      if (matchesAllowlist(email, rows.map((r) => r.entry))) return;
    }
  }
  throw new GatehouseError('ERR_NOT_ALLOWLISTED', allowlist.message, {
    details: { reason: email === null ? 'no_email' : 'not_allowlisted' },
  });
}

export const policySettingKey = (providerId: string): string => `provider:${providerId}:firstLoginPolicy`;

/** The FirstLoginPolicy in force: the run-time setting (persisted) wins over the file. */
export async function effectivePolicy(
  store: Pick<StoreOps, 'getSetting'>,
  providerId: string,
  fromConfig: FirstLoginPolicy,
): Promise<FirstLoginPolicy> {
  const v = await store.getSetting<FirstLoginPolicy>(policySettingKey(providerId));
  return v === 'allow' || v === 'reject' || v === 'pending_approval' ? v : fromConfig;
}

export async function setPolicy(
  store: Pick<StoreOps, 'setSetting' | 'audit'>,
  providerId: string,
  policy: FirstLoginPolicy,
  actor: string,
): Promise<void> {
  await store.setSetting(policySettingKey(providerId), policy);
  await store.audit({ action: 'policy.set', actor, provider: providerId, outcome: policy });
}

/**
 * Why a login's claims make the user an instance admin: `config` when `provisioning.instanceAdmins`
 * names the (verified) email, `claims` when only the IdP says so (groups pattern `instance`/`admin`),
 * `null` when neither does.
 */
export type InstanceAdminStanding = 'config' | 'claims' | null;

/** Evaluates the provider's mapping on the claims alone (pure) to tell whether they name an instance admin. */
export function instanceAdminStanding(engine: MappingEngine, claims: Claims): InstanceAdminStanding {
  const outcome = engine.evaluate(mappingInput(claims, 'sso', []));
  if (!outcome.instanceAdmin) return null;
  return outcome.trace.some((t) => t.mapper === 'static' && t.instanceAdmin) ? 'config' : 'claims';
}

/** What a first login (no user yet) turns into. */
export type FirstLoginDecision = { kind: 'create'; status: 'active' | 'pending_approval' } | { kind: 'refuse' };

/**
 * The FirstLoginPolicy applied to one first login. Instance admins never wait for approval (nobody
 * else could approve them); under `reject` only an admin the operator named in the config file
 * gets in, since an IdP group is exactly the say-so `reject` declines to act on.
 */
export function firstLoginDecision(policy: FirstLoginPolicy, admin: InstanceAdminStanding): FirstLoginDecision {
  if (policy === 'reject') return admin === 'config' ? { kind: 'create', status: 'active' } : { kind: 'refuse' };
  if (policy === 'pending_approval' && admin === null) return { kind: 'create', status: 'pending_approval' };
  return { kind: 'create', status: 'active' };
}
