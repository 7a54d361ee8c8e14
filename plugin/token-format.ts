/**
 * The bearer-token format, one place for it (docs/security.md, "Token format"):
 *
 *   gatehouse_scim_<43 base62: 256 random bits><6 base62: CRC32 of the random part>
 *   gatehouse_admin_<...same...>
 *
 * The prefix is Gatehouse's own (a leaked token is attributed to us, not to another vendor) and
 * the checksum lets a secret scanner tell a real token from a look-alike offline, and lets us
 * refuse a typo or a guess without a database lookup. Tokens minted before this format
 * (`ghs_` / `gha_` + base64url) are still recognised; they carry no checksum.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ApiTokenKind } from './ports.ts';

/** The current prefix of each kind. */
export const TOKEN_PREFIX: Record<ApiTokenKind, string> = { scim: 'gatehouse_scim_', admin: 'gatehouse_admin_' };
/** Prefixes of tokens minted before the checksummed format; accepted, never minted. */
const LEGACY_PREFIX: Record<ApiTokenKind, string> = { scim: 'ghs_', admin: 'gha_' };

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_CHARS = 43; // 62^43 > 2^256
const CHECKSUM_CHARS = 6; // 62^6 > 2^32
const BODY = new RegExp(`^[0-9A-Za-z]{${RANDOM_CHARS + CHECKSUM_CHARS}}$`);
const LEGACY_BODY = /^[A-Za-z0-9_-]{20,120}$/;

function base62(n: bigint, width: number): string {
  let out = '';
  for (let v = n; v > 0n; v /= 62n) out = BASE62[Number(v % 62n)]! + out;
  return out.padStart(width, '0');
}

/** CRC32 of the random part, base62, left-padded to 6 characters. */
export function tokenChecksum(random: string): string {
  return base62(BigInt(crc32(random)), CHECKSUM_CHARS);
}

/** A new token of this kind: prefix, 256 random bits in base62, checksum. */
export function newToken(kind: ApiTokenKind): string {
  const random = base62(BigInt(`0x${randomBytes(32).toString('hex')}`), RANDOM_CHARS);
  return `${TOKEN_PREFIX[kind]}${random}${tokenChecksum(random)}`;
}

/**
 * True when `presented` has the shape of a token of this kind (current format with a valid
 * checksum, or the legacy format): only then is it worth a database lookup.
 */
export function isWellFormedToken(kind: ApiTokenKind, presented: string): boolean {
  const prefix = TOKEN_PREFIX[kind];
  if (presented.startsWith(prefix)) {
    const body = presented.slice(prefix.length);
    if (!BODY.test(body)) return false;
    return tokenChecksum(body.slice(0, RANDOM_CHARS)) === body.slice(RANDOM_CHARS);
  }
  const legacy = LEGACY_PREFIX[kind];
  return presented.startsWith(legacy) && LEGACY_BODY.test(presented.slice(legacy.length));
}

/** The shown part of a token (list views): its prefix and 4 characters. */
export function tokenHint(kind: ApiTokenKind, token: string): string {
  return token.slice(0, TOKEN_PREFIX[kind].length + 4);
}
