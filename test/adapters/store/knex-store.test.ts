import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, DB_KINDS } from '../../support/db.ts';
import type { KnexStore } from '../../../adapters/store/knex-store.ts';

describe.each(DB_KINDS)('knex store on %s', (kind) => {
  let store: KnexStore;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await createTestStore(kind));
    await store.seedOrganizations([{ id: 'acme-corp', roles: ['admin', 'viewer'], groups: ['developers'] }]);
  });
  afterAll(() => close());

  it('seeds organizations idempotently with their roles and groups', async () => {
    await store.seedOrganizations([{ id: 'acme-corp', roles: ['admin', 'viewer', 'member'], groups: ['developers'] }]);
    const orgs = await store.listOrganizations();
    expect(orgs).toEqual([{ id: 'acme-corp', name: null, roles: expect.arrayContaining(['admin', 'viewer', 'member']), groups: ['developers'] }]);
    expect(orgs[0]?.roles).toHaveLength(3);
  });

  it('keeps exactly one identity per provider and subject', async () => {
    const u1 = await store.insertUser({ email: 'A@Example.com', emailOriginal: 'A@Example.com', status: 'active' });
    const u2 = await store.insertUser({ email: 'b@example.com', emailOriginal: 'b@example.com', status: 'active' });
    const i1 = await store.ensureIdentity({ userId: u1.id, provider: 'p', subject: 's', email: null });
    const i2 = await store.ensureIdentity({ userId: u2.id, provider: 'p', subject: 's', email: null });
    expect(i2.id).toBe(i1.id);
    expect(i2.userId).toBe(u1.id);
    expect((await store.findUserByEmail('a@example.com'))?.id).toBe(u1.id);
  });

  it('bumps version and updated_at on update', async () => {
    const u = await store.insertUser({ email: 'v@example.com', emailOriginal: null, status: 'active' });
    const after = await store.updateUser(u.id, { status: 'deprovisioned' });
    expect(after?.version).toBe(2);
    expect(after?.status).toBe('deprovisioned');
    expect(await store.getUserStatus(u.id)).toEqual({ status: 'deprovisioned', instanceAdmin: false });
  });

  it('stores memberships with their source and ignores duplicates', async () => {
    const u = await store.insertUser({ email: 'm@example.com', emailOriginal: null, status: 'active' });
    const rows = [
      { organization: 'acme-corp', kind: 'role' as const, name: 'viewer', source: 'static' as const, mapper: 'static' },
      { organization: 'acme-corp', kind: 'group' as const, name: 'developers', source: 'sso' as const, mapper: 'groupsPattern' },
    ];
    await store.addMemberships(u.id, rows);
    await store.addMemberships(u.id, rows);
    const ms = await store.listMemberships(u.id);
    expect(ms.map((m) => [m.kind, m.name, m.source])).toEqual([
      ['group', 'developers', 'sso'],
      ['role', 'viewer', 'static'],
    ]);
    await store.removeMemberships(u.id, [ms[0]!.id]);
    expect(await store.listMemberships(u.id)).toHaveLength(1);
  });

  it('rolls back everything written in a failed transaction', async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.insertUser({ email: 'rollback@example.com', emailOriginal: null, status: 'active' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.findUserByEmail('rollback@example.com')).toBeNull();
  });

  it('consumes a SAML request id once and refuses a replayed assertion id', async () => {
    const future = Date.now() + 60_000;
    await store.saveRequestId('saml', '_req1', future);
    expect(await store.consumeRequestId('saml', '_req1')).toBe(true);
    expect(await store.consumeRequestId('saml', '_req1')).toBe(false);
    expect(await store.consumeRequestId('saml', '_unknown')).toBe(false);
    expect(await store.rememberAssertion('saml', '_a1', future)).toBe(true);
    expect(await store.rememberAssertion('saml', '_a1', future)).toBe(false);
  });

  it('persists settings and pages audit rows newest first', async () => {
    await store.setSetting('k', { a: 1 });
    await store.setSetting('k', { a: 2 });
    expect(await store.getSetting('k')).toEqual({ a: 2 });
    for (let i = 0; i < 5; i++) await store.audit({ action: 'test', outcome: String(i), details: { i } });
    const page1 = await store.listAudit({ action: 'test', limit: 3 });
    expect(page1.entries.map((e) => e.outcome)).toEqual(['4', '3', '2']);
    const page2 = await store.listAudit({ action: 'test', limit: 3, cursor: page1.nextCursor! });
    expect(page2.entries.map((e) => e.outcome)).toEqual(['1', '0']);
    expect(page2.nextCursor).toBeNull();
  });

  it('normalizes allowlist entries and searches users with LIKE metacharacters escaped', async () => {
    const e = await store.addAllowlist(' @Example.ORG ', 'admin');
    expect(e.entry).toBe('@example.org');
    expect((await store.addAllowlist('@example.org', 'x')).id).toBe(e.id);
    await store.insertUser({ email: 'under_score@example.com', emailOriginal: null, status: 'active' });
    await store.insertUser({ email: 'underxscore@example.com', emailOriginal: null, status: 'active' });
    const { users } = await store.listUsers({ q: 'under_' });
    expect(users.map((u) => u.email)).toEqual(['under_score@example.com']);
  });
});

describe.each(DB_KINDS)('migrations on %s', (kind) => {
  it('several instances migrating the same empty database at once all succeed, once', async () => {
    const { createTestDatabase } = await import('../../support/db.ts');
    const { openDatabase, migrate } = await import('../../../adapters/store/database.ts');
    const db = await createTestDatabase(kind);
    const conns = Array.from({ length: 3 }, () => openDatabase(db.config));
    try {
      const results = await Promise.all(conns.map((k) => migrate(k, 'gh_')));
      expect(results.flat().filter((n) => n === '001_core')).toHaveLength(1);
      const rows = await conns[0]!('gh_gatehouse_migrations').select('name');
      expect(rows.filter((r: { name: string }) => r.name === '001_core')).toHaveLength(1);
    } finally {
      await Promise.all(conns.map((k) => k.destroy()));
      await db.drop();
    }
  });
});
