/**
 * Long-lived bearer tokens (SCIM, admin API): 256 random bits, shown once, stored as a
 * SHA-256 hash (the token has full entropy, so a slow hash adds nothing), compared in
 * constant time, revocable with the row kept for audit. Their format: ./token-format.ts.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { GatehouseError } from './errors.ts';
import type { ApiTokenKind, ApiTokenRecord, StoreOps } from './ports.ts';
import { isWellFormedToken, newToken, tokenHint } from './token-format.ts';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface MintedToken {
  id: string;
  name: string;
  token: string;
  provider: string | null;
  createdAt: number;
}

export async function mintToken(
  store: Pick<StoreOps, 'insertApiToken' | 'audit'>,
  input: { kind: ApiTokenKind; name: string; provider?: string | null | undefined; actor: string; now?: number | undefined },
): Promise<MintedToken> {
  const name = input.name.trim();
  if (name === '' || name.length > 191) throw new GatehouseError('ERR_VALIDATION', 'name: must be 1-191 characters');
  const token = newToken(input.kind);
  const id = randomUUID();
  const createdAt = input.now ?? Date.now();
  await store.insertApiToken({
    id,
    kind: input.kind,
    name,
    hash: hashToken(token),
    hint: tokenHint(input.kind, token),
    provider: input.provider ?? null,
    createdBy: input.actor,
    createdAt,
  });
  await store.audit({ action: `${input.kind}_token.mint`, actor: input.actor, details: { tokenId: id, name, provider: input.provider ?? null } });
  return { id, name, token, provider: input.provider ?? null, createdAt };
}

/**
 * The token row for a presented bearer token, or null (unknown, revoked, wrong kind).
 * A token of the wrong shape or with a bad checksum is refused before any lookup; the lookup
 * is by hash; the final comparison is constant-time.
 */
export async function verifyToken(
  store: Pick<StoreOps, 'findApiTokenByHash' | 'touchApiToken'>,
  kind: ApiTokenKind,
  presented: string,
  now: number = Date.now(),
): Promise<ApiTokenRecord | null> {
  if (presented.length > 200 || !isWellFormedToken(kind, presented)) return null;
  const hash = hashToken(presented);
  const row = await store.findApiTokenByHash(hash);
  if (!row) return null;
  const ok = timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'));
  if (!ok || row.kind !== kind || row.revokedAt !== null) return null;
  // last_used_at at minute granularity keeps hot paths from writing on every request.
  if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000) await store.touchApiToken(row.id, now);
  return row;
}

/** Extracts `Bearer <token>` from an Authorization header. */
export function bearerFrom(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

/** A token row as shown in lists: never the hash. */
export function publicToken(t: ApiTokenRecord) {
  return {
    id: t.id,
    name: t.name,
    hint: `${t.hint}…`,
    provider: t.provider,
    createdBy: t.createdBy,
    createdAt: new Date(t.createdAt).toISOString(),
    lastUsedAt: t.lastUsedAt === null ? null : new Date(t.lastUsedAt).toISOString(),
    revokedAt: t.revokedAt === null ? null : new Date(t.revokedAt).toISOString(),
  };
}
