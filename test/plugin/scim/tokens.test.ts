/**
 * SCIM bearer tokens: refused without one, refused at once when revoked (no cache), stored only as
 * a hash, `last_used_at` kept, every request audited with the token's name; and the
 * `gatehouse scim-token mint|list|revoke` command line.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliConfig, runCli } from '../../support/cli.ts';
import { openStore } from '../../../adapters/backend.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { mintToken, verifyToken } from '../../../plugin/tokens.ts';
import { DB_KINDS } from '../../support/db.ts';
import { ERROR_SCHEMA, oktaUser, scimClient, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;

async function eventually<T>(fn: () => Promise<T | null | undefined>, ms = 3000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DB_KINDS)('SCIM bearer tokens on %s', (kind) => {
  let s: ScimServer;
  beforeAll(async () => {
    s = await startScimServer(kind);
  });
  afterAll(() => s.close());

  it('serves discovery without a token', async () => {
    const anon = scimClient(s.base, null);
    for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes', '/ResourceTypes/User']) expect((await anon.get(path)).status).toBe(200);
  });

  it('answers 401 without a token, with a wrong one, or with another scheme', async () => {
    for (const client of [scimClient(s.base, null), scimClient(s.base, 'ghs_not-a-real-token'), scimClient(s.base, 'gha_admin-kind')]) {
      const res = await client.get<Json>('/Users');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(res.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '401' });
    }
    const basic = await scimClient(s.base, null).get('/Users', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    expect(basic.status).toBe(401);
    const admin = await mintToken(s.gateway.store, { kind: 'admin', name: 'an-admin-token', actor: 'test' });
    expect((await scimClient(s.base, admin.token).get('/Users')).status).toBe(401);
  });

  it('refuses a revoked token on the very next request', async () => {
    const t = await s.mint('to-revoke');
    const client = scimClient(s.base, t.token);
    expect((await client.get('/Users')).status).toBe(200);
    expect(await s.gateway.store.revokeApiToken('scim', t.id, Date.now())).toBe(true);
    expect((await client.get('/Users')).status).toBe(401);
    // The row stays for the audit trail.
    expect((await s.gateway.store.listApiTokens('scim')).find((r) => r.id === t.id)?.revokedAt).not.toBeNull();
  });

  it('stores only a hash: the token appears nowhere in the database', async () => {
    const t = await s.mint('hash-check');
    await scimClient(s.base, t.token).get('/Users');
    const rows = await s.gateway.knex('gh_api_tokens').select('*');
    expect(JSON.stringify(rows)).not.toContain(t.token);
    expect(JSON.stringify(rows)).not.toContain(t.token.slice(8));
    expect(rows.find((r: Json) => r.id === t.id)?.hash).toBe(createHash('sha256').update(t.token).digest('hex'));
    const audit = await s.gateway.knex('gh_audit').select('*');
    expect(JSON.stringify(audit)).not.toContain(t.token);
  });

  it('sets last_used_at', async () => {
    const t = await s.mint('last-used');
    const before = (await s.gateway.store.listApiTokens('scim')).find((r) => r.id === t.id);
    expect(before?.lastUsedAt).toBeNull();
    const at = Date.now();
    await scimClient(s.base, t.token).get('/Users');
    const after = (await s.gateway.store.listApiTokens('scim')).find((r) => r.id === t.id);
    expect(after?.lastUsedAt).toBeGreaterThanOrEqual(at - 1000);
  });

  it('audits every request with the token name: writes in their transaction, reads and refusals in batches', async () => {
    const t = await s.mint('audit-me');
    const client = scimClient(s.base, t.token);
    const created = await client.post<Json>('/Users', oktaUser('audited@example.com'));
    const write = await s.gateway.store.listAudit({ actor: 'scim:audit-me', action: 'scim.user.create' });
    expect(write.entries[0]).toMatchObject({ outcome: 'pending_approval', userId: created.body.id, details: { tokenId: t.id, userName: 'audited@example.com' } });

    await client.get(`/Users/${created.body.id}`);
    await client.get(`/Users?filter=${encodeURIComponent('userName eq "audited@example.com"')}`);
    await client.post('/Users', oktaUser('audited@example.com'));
    const read = await eventually(async () => (await s.gateway.store.listAudit({ actor: 'scim:audit-me', action: 'scim.user.get' })).entries[0]);
    expect(read).toMatchObject({ outcome: 'ok', details: { tokenId: t.id, status: 200, method: 'GET' } });
    const list = await eventually(async () => (await s.gateway.store.listAudit({ actor: 'scim:audit-me', action: 'scim.user.list' })).entries[0]);
    expect(list.details).toMatchObject({ filter: 'userName eq "audited@example.com"' });
    const failed = await eventually(async () => (await s.gateway.store.listAudit({ actor: 'scim:audit-me', action: 'scim.user.create' })).entries.find((e) => e.outcome === 'error'));
    expect(failed.details).toMatchObject({ status: 409, scimType: 'uniqueness' });

    await scimClient(s.base, 'ghs_wrong').get('/Groups');
    const refused = await eventually(async () => (await s.gateway.store.listAudit({ action: 'scim.auth' })).entries[0]);
    expect(refused).toMatchObject({ outcome: 'unauthorized', actor: null });
  });

  it('answers 403 for a token scoped to a provider that is no longer configured', async () => {
    const orphan = await mintToken(s.gateway.store, { kind: 'scim', name: 'orphan', provider: 'removed-idp', actor: 'test' });
    const res = await scimClient(s.base, orphan.token).get<Json>('/Users');
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain('removed-idp');
  });
});

const run = runCli;

describe.each(DB_KINDS)('gatehouse scim-token on %s', (kind) => {
  let configFile: string;
  let input: Record<string, unknown>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ configFile, input, close } = await cliConfig(kind, { scim: { enabled: true } }));
  });
  afterAll(() => close());

  it('mints a token shown once (>= 128 random bits), scoped to a provider, lists and revokes it', async () => {
    const minted = await run(['scim-token', 'mint', '--config', configFile, '--name', 'okta-prod', '--provider', 'corp-oidc']);
    expect(minted.code, minted.err).toBe(0);
    const token = minted.out.trim();
    expect(token).toMatch(/^gatehouse_scim_[0-9A-Za-z]{49}$/);
    expect(Buffer.from(token.slice(4), 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(minted.err).toContain('shown only this once');
    const store = await openStore(parseConfig(input));
    try {
      const row = await verifyToken(store, 'scim', token);
      expect(row).toMatchObject({ name: 'okta-prod', provider: 'corp-oidc', kind: 'scim' });
      const listed = await run(['scim-token', 'list', '--config', configFile]);
      expect(listed.out).toContain(`${row!.id}\tokta-prod\t`);
      expect(listed.out).toContain('\tcorp-oidc\t');
      expect(listed.out).not.toContain(token);
      const json = JSON.parse((await run(['scim-token', 'list', '--config', configFile, '--json'])).out) as Json[];
      expect(json[0]).toMatchObject({ id: row!.id, name: 'okta-prod', provider: 'corp-oidc', revokedAt: null });
      expect(JSON.stringify(json)).not.toContain(token);

      expect((await run(['scim-token', 'revoke', row!.id, '--config', configFile])).code).toBe(0);
      expect(await verifyToken(store, 'scim', token)).toBeNull();
      expect((await run(['scim-token', 'list', '--config', configFile])).out).toMatch(/\trevoked /);
      const again = await run(['scim-token', 'revoke', row!.id, '--config', configFile]);
      expect(again.code).toBe(1);
      expect(again.err).toMatch(/^gatehouse: no active SCIM token/);
    } finally {
      await store.close();
    }
  });

  it('refuses an unknown provider with a one-line reason', async () => {
    const res = await run(['scim-token', 'mint', '--config', configFile, '--name', 'x', '--provider', 'nope']);
    expect(res.code).toBe(1);
    expect(res.out).toBe('');
    expect(res.err).toBe('gatehouse: unknown provider "nope"\n');
  });
});
