/**
 * The keys Gatehouse signs and encrypts its own cookies and tokens with. `server.sessionSecret`
 * (a string or a list: the first signs, all verify) when the config has one; otherwise, for a
 * library user whose app owns the sessions, a random key made once and kept in the database, so
 * that every instance on that database agrees without any setting.
 */
import { randomBytes } from 'node:crypto';
import type { ResolvedConfig } from './config/schema.ts';
import type { StoreOps } from './ports.ts';

const INSTANCE_KEY = 'instance.secret';

/** `server.sessionSecret` as a list, or null when the config has none. */
export function configuredSecrets(config: ResolvedConfig): string[] | null {
  const s = config.server.sessionSecret;
  if (s === undefined) return null;
  return Array.isArray(s) ? s : [s];
}

/** The configured secrets, or the database's instance key (made by the first instance that needs it). */
export async function resolveSecrets(config: ResolvedConfig, store: Pick<StoreOps, 'claimSetting'>): Promise<string[]> {
  return configuredSecrets(config) ?? [await store.claimSetting(INSTANCE_KEY, randomBytes(32).toString('base64url'))];
}
