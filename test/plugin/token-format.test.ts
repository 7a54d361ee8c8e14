/**
 * The bearer-token format (docs/security.md): a prefix of Gatehouse's own per kind (never another
 * vendor's, so secret scanners attribute a leak correctly) and a CRC32 checksum a scanner can
 * verify offline; a token whose checksum is wrong never reaches the database; tokens minted in
 * the old format (`ghs_` / `gha_`) keep working.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreOps } from '../../plugin/ports.ts';
import { hashToken, mintToken, verifyToken } from '../../plugin/tokens.ts';
import { DB_KINDS } from '../support/db.ts';
import { scimClient, startScimServer, type ScimServer } from './scim/helpers.ts';

/** The regex docs/security.md gives to secret scanners. */
const SCANNER_REGEX = /\bgatehouse_(scim|admin)_([0-9A-Za-z]{43})([0-9A-Za-z]{6})\b/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** What a scanner does: CRC32 of the random part, base62, left-padded to 6 characters. */
function scannerChecksumOk(token: string): boolean {
  const m = SCANNER_REGEX.exec(token);
  if (!m) return false;
  let n = crc32(m[2]!);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out === m[3];
}

/** A different valid base62 character at position `i`. */
function flip(token: string, i: number): string {
  const c = token[i]!;
  return token.slice(0, i) + (c === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

describe.each(DB_KINDS)('bearer-token format on %s', (kind) => {
  let s: ScimServer;
  beforeAll(async () => {
    s = await startScimServer(kind);
  });
  afterAll(() => s?.close());

  const adminGet = (token: string) => fetch(`${s.gateway.url}/admin/api/users`, { headers: { authorization: `Bearer ${token}` } });

  it('new SCIM and admin tokens carry their own prefix and a checksum a scanner verifies offline', async () => {
    const scim = await mintToken(s.gateway.store, { kind: 'scim', name: 'fmt-scim', actor: 'test' });
    const admin = await mintToken(s.gateway.store, { kind: 'admin', name: 'fmt-admin', actor: 'test' });
    expect(scim.token).toMatch(/^gatehouse_scim_[0-9A-Za-z]{49}$/);
    expect(admin.token).toMatch(/^gatehouse_admin_[0-9A-Za-z]{49}$/);
    expect(scannerChecksumOk(scim.token)).toBe(true);
    expect(scannerChecksumOk(admin.token)).toBe(true);
    expect(scannerChecksumOk(flip(scim.token, scim.token.length - 1))).toBe(false);
    expect((await scimClient(s.base, scim.token).get('/Users')).status).toBe(200);
    expect((await adminGet(admin.token)).status).toBe(200);
  });

  it('a token with a bad checksum is refused without a database lookup', async () => {
    const minted = await mintToken(s.gateway.store, { kind: 'scim', name: 'fmt-typo', actor: 'test' });
    let lookups = 0;
    const store: Pick<StoreOps, 'findApiTokenByHash' | 'touchApiToken'> = {
      findApiTokenByHash: (hash) => {
        lookups++;
        return s.gateway.store.findApiTokenByHash(hash);
      },
      touchApiToken: (id, at) => s.gateway.store.touchApiToken(id, at),
    };
    // One character of the random part changed (a typo, a truncated copy, a guess): checksum fails.
    const typo = flip(minted.token, 'gatehouse_scim_'.length + 3);
    expect(await verifyToken(store, 'scim', typo)).toBeNull();
    expect(await verifyToken(store, 'scim', flip(minted.token, minted.token.length - 1))).toBeNull();
    expect(lookups).toBe(0);
    expect((await scimClient(s.base, typo).get('/Users')).status).toBe(401);
    // The genuine token is looked up and accepted.
    expect(await verifyToken(store, 'scim', minted.token)).not.toBeNull();
    expect(lookups).toBe(1);
  });

  it('old-format tokens minted before the change (ghs_ / gha_) still authenticate', async () => {
    const legacy = async (k: 'scim' | 'admin', prefix: string) => {
      const token = `${prefix}${randomBytes(32).toString('base64url')}`;
      await s.gateway.store.insertApiToken({ id: randomUUID(), kind: k, name: `legacy-${k}`, hash: hashToken(token), hint: token.slice(0, 8), provider: null, createdBy: 'test', createdAt: Date.now() });
      return token;
    };
    const scim = await legacy('scim', 'ghs_');
    const admin = await legacy('admin', 'gha_');
    expect((await scimClient(s.base, scim).get('/Users')).status).toBe(200);
    expect((await adminGet(admin)).status).toBe(200);
    // Kinds stay apart in the old format too.
    expect((await scimClient(s.base, admin).get('/Users')).status).toBe(401);
    expect((await adminGet(scim)).status).toBe(401);
  });
});
